"""Baseline forecasts every model must beat: naive and seasonal naive.

Both read only the training series ``y_train`` (n,), finite numbers, and return a forecast of
the next ``horizon`` values, shape (horizon,).
"""

from __future__ import annotations

import numpy as np

from .checks import as_float_array, check_int


def _check(who: str, y_train, horizon, m: int):
    y_train = as_float_array(who, "y_train", y_train)
    if y_train.ndim != 1:
        raise ValueError(f"{who}: expected a 1-D training series, got shape {y_train.shape}")
    for name, value in (("horizon", horizon), ("m", m)):
        check_int(who, name, value)
    if len(y_train) < m:
        raise ValueError(f"{who}: needs at least m={m} training values (one season), got {len(y_train)}")
    return y_train


def naive_forecast(y_train, horizon: int) -> np.ndarray:
    """Repeat the last training value: ``ŷ[n+k] = y[n]`` for ``k = 1..horizon``."""
    y_train = _check("naive_forecast", y_train, horizon, 1)
    return np.full(horizon, y_train[-1])


def seasonal_naive_forecast(y_train, horizon: int, m: int) -> np.ndarray:
    """Repeat the last season: ``ŷ[n+k] = y[n+k-m·ceil(k/m)]``, e.g. next January = last January.

    With ``m=1`` this is :func:`naive_forecast`.
    """
    y_train = _check("seasonal_naive_forecast", y_train, horizon, m)
    last_season = y_train[-m:]
    return np.resize(last_season, horizon)  # np.resize repeats the season as often as needed
