"""Errors of multi-step and interval forecasts.

* :func:`pinball_loss` — the quantile (pinball) loss, a torch function to train quantile outputs;
* :func:`mase_by_horizon` — MASE (:func:`companion.metrics.mase`) at each step of the horizon;
* :func:`coverage` — the fraction of true values inside prediction intervals;
* :func:`conformal_margin` — how much to widen intervals so that they cover ``level`` of a
  calibration set (conformalized quantile regression, Romano et al. 2019).
"""

from __future__ import annotations

import numpy as np
import torch

from ..checks import as_float_array, check_instance, check_int, check_sequence, describe, shape_str
from .forecast import mase


def pinball_loss(prediction: torch.Tensor, target: torch.Tensor, quantiles) -> torch.Tensor:
    """Mean pinball loss of quantile forecasts ``prediction`` (..., Q) of ``target`` (...).

    For quantile ``q`` and error ``e = y - ŷ_q`` the loss is ``q·e`` when ``e >= 0`` and
    ``(q - 1)·e`` when ``e < 0``: under-forecasts cost ``q``, over-forecasts ``1 - q`` per unit,
    so its minimiser is the ``q``-quantile. At ``q = 0.5`` it is half the absolute error.
    ``quantiles`` is a sequence of ``Q`` numbers in (0, 1).
    """
    who = "pinball_loss"
    check_instance(who, "prediction", prediction, torch.Tensor, "a torch.Tensor of shape (..., Q)")
    check_instance(who, "target", target, torch.Tensor, "a torch.Tensor")
    qs = check_sequence(who, "quantiles", quantiles, expected="a sequence of numbers in (0, 1)", allow_empty=False)
    for q in qs:
        if isinstance(q, bool) or not isinstance(q, (int, float, np.floating, np.integer)) or not 0 < q < 1:
            raise ValueError(f"{who}: every quantile must be a number strictly between 0 and 1, got {describe(q)} "
                             f"in quantiles={list(qs)}")
    if prediction.shape != (*target.shape, len(qs)):
        raise ValueError(f"{who}: expected prediction of shape {shape_str((*target.shape, len(qs)))} (the target's "
                         f"shape and one value per quantile), got {shape_str(prediction.shape)}")
    q = torch.tensor([float(v) for v in qs], dtype=prediction.dtype, device=prediction.device)
    error = target.unsqueeze(-1) - prediction  # (..., Q)
    return torch.maximum(q * error, (q - 1) * error).mean()


def mase_by_horizon(y_true, y_pred, y_train, m: int) -> np.ndarray:
    """MASE at each step of the horizon: ``y_true``, ``y_pred`` (N, K) -> (K,).

    Entry ``k`` is :func:`companion.metrics.mase` of column ``k`` (all N forecasts of step k+1),
    scaled by the in-sample MAE of the ``m``-seasonal naive forecast on ``y_train`` (n,).
    """
    y_true, y_pred = as_float_array("mase_by_horizon", "y_true", y_true), as_float_array("mase_by_horizon", "y_pred",
                                                                                         y_pred)
    if y_true.ndim != 2 or y_true.shape != y_pred.shape:
        raise ValueError(f"mase_by_horizon: expected y_true and y_pred of the same shape (N, K), got "
                         f"{y_true.shape} and {y_pred.shape}")
    check_int("mase_by_horizon", "the season length m", m)
    return np.array([mase(y_true[:, k], y_pred[:, k], y_train, m) for k in range(y_true.shape[1])])


def coverage(y_true, lower, upper) -> float:
    """The fraction of ``y_true`` inside ``[lower, upper]`` (all three of one shape, ``lower <= upper``)."""
    who = "coverage"
    y_true, lower, upper = (as_float_array(who, name, v) for name, v in
                            (("y_true", y_true), ("lower", lower), ("upper", upper)))
    if not y_true.shape == lower.shape == upper.shape or y_true.size == 0:
        raise ValueError(f"{who}: expected y_true, lower and upper of one non-empty shape, got {y_true.shape}, "
                         f"{lower.shape} and {upper.shape}")
    if np.any(lower > upper):
        k = int(np.flatnonzero((lower > upper).ravel())[0])
        raise ValueError(f"{who}: expected lower <= upper everywhere, got lower {lower.ravel()[k]:g} > upper "
                         f"{upper.ravel()[k]:g} at flat index {k}")
    return float(np.mean((lower <= y_true) & (y_true <= upper)))


def conformal_margin(y_true, lower, upper, level: float) -> float:
    """The margin ``c`` such that ``[lower - c, upper + c]`` covers a fraction ``level`` of a
    calibration set (data the intervals' model was not trained on).

    With scores ``s_i = max(lower_i - y_i, y_i - upper_i)`` (negative inside the interval),
    ``c`` is the ``ceil((n + 1)·level)``-th smallest of the ``n`` scores (Romano et al. 2019):
    for exchangeable data, new intervals widened by ``c`` cover with probability at least
    ``level``. A negative ``c`` narrows intervals that were too wide. Time series are not
    exchangeable, so the guarantee is only approximate and coverage must be measured.
    """
    who = "conformal_margin"
    coverage(y_true, lower, upper)  # the same checks: one shape, lower <= upper
    y_true, lower, upper = (np.asarray(v, dtype=np.float64).ravel() for v in (y_true, lower, upper))
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
        raise ValueError(f"{who}: expected level to be a number strictly between 0 and 1, got {describe(level)}")
    n = y_true.size
    rank = int(np.ceil((n + 1) * level))
    if rank > n:
        needed = int(np.ceil(level / (1 - level) - 1e-9))  # the smallest n with ceil((n + 1)·level) <= n
        raise ValueError(f"{who}: level={level:g} needs at least {needed} calibration values "
                         f"(ceil((n + 1)·level) <= n), got n={n}")
    scores = np.maximum(lower - y_true, y_true - upper)
    return float(np.sort(scores)[rank - 1])
