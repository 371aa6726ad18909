"""Forecast errors: arrays of equal shape in, a float out.

* :func:`mae`, :func:`rmse` — in the units of the series;
* :func:`mase` — scale-free: the MAE divided by the in-sample MAE of the seasonal naive forecast
  (Hyndman and Koehler, 2006), so 1.0 means "as good as repeating the last season".
"""

from __future__ import annotations

import numpy as np

from ..checks import as_float_array, check_int


def _pair(name, y_true, y_pred):
    """Both as float64 arrays of the same, non-empty shape, finite numbers only."""
    y_true, y_pred = as_float_array(name, "y_true", y_true), as_float_array(name, "y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{name}: expected y_true and y_pred of the same shape, got {y_true.shape} and {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError(f"{name}: expected at least one value, got empty arrays")
    return y_true, y_pred


def mae(y_true, y_pred) -> float:
    """Mean absolute error ``mean |y - ŷ|``."""
    y_true, y_pred = _pair("mae", y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error ``sqrt(mean (y - ŷ)²)``."""
    y_true, y_pred = _pair("rmse", y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mase(y_true, y_pred, y_train, m: int = 1) -> float:
    """Mean absolute scaled error of a forecast ``y_pred`` of ``y_true`` (both (K,) for a horizon of K steps).

    ``MASE = mean |y - ŷ| / scale`` with ``scale = mean_{t > m} |y_train[t] - y_train[t-m]|``,
    the in-sample MAE of the ``m``-seasonal naive forecast on the training series ``y_train``
    (n,). ``m=1`` scales by the naive forecast. Below 1: better, on the test horizon, than the
    seasonal naive forecast was, one step ahead, on the training data.
    """
    y_true, y_pred = _pair("mase", y_true, y_pred)
    y_train = as_float_array("mase", "y_train", y_train)
    check_int("mase", "the season length m", m)
    if y_train.ndim != 1:
        raise ValueError(f"mase: expected a 1-D training series y_train, got shape {y_train.shape}")
    if len(y_train) <= m:
        raise ValueError(
            f"mase: the training series needs more than m={m} values to compute the seasonal naive "
            f"scale, got {len(y_train)}"
        )
    scale = np.mean(np.abs(y_train[m:] - y_train[:-m]))
    if not scale > 0:
        raise ValueError(
            f"mase: the scale (in-sample MAE of the m={m} seasonal naive forecast) is {scale}; "
            "the training series repeats itself exactly every m steps, so MASE is undefined"
        )
    return float(np.mean(np.abs(y_true - y_pred)) / scale)
