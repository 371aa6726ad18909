"""Checkers of the chapter on sequences and time series: MASE and the seasonal naive forecast."""

from __future__ import annotations

import numpy as np

from .core import _checker, check_function


def _forecast_inputs(rng):
    """A training series with trend and season, a horizon that is rarely a whole number of seasons."""
    m = int(rng.choice([1, 4, 7, 12]))
    n = int(rng.integers(m + 5, 60))
    t = np.arange(n)
    y_train = 0.1 * t + np.sin(2 * np.pi * t / m) + rng.normal(scale=0.5, size=n)
    horizon = int(rng.integers(1, 3 * m + 3))
    return y_train, horizon, m


@_checker
def check_mase(function, trials: int = 5) -> None:
    """Check the reader's ``function(y_true, y_pred, y_train, m)`` against :func:`companion.metrics.mase`.

    The inputs mix season lengths ``m`` in {1, 4, 7, 12}, so a function that scales by the
    naive forecast (``m = 1``) whatever ``m`` is, or by out-of-sample errors, is caught.
    """
    from ..metrics import mase

    def make_inputs(rng):
        y_train, horizon, m = _forecast_inputs(rng)
        y_true = y_train[-1] + rng.normal(size=horizon)
        return {"y_true": y_true, "y_pred": y_true + rng.normal(scale=0.7, size=horizon), "y_train": y_train, "m": m}

    check_function(function, reference=mase, make_inputs=make_inputs, name="mase", trials=trials)


@_checker
def check_seasonal_naive(function, trials: int = 5) -> None:
    """Check the reader's ``function(y_train, horizon, m)`` against :func:`companion.baselines.seasonal_naive_forecast`.

    Horizons are often longer than one season and not a multiple of ``m``, so the forecast
    must repeat the last season as often as needed and stop part-way through it.
    """
    from ..baselines import seasonal_naive_forecast

    def make_inputs(rng):
        y_train, horizon, m = _forecast_inputs(rng)
        return {"y_train": y_train, "horizon": horizon, "m": m}

    check_function(function, reference=seasonal_naive_forecast, make_inputs=make_inputs,
                   name="seasonal_naive", trials=trials)
