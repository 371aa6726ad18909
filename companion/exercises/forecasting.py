"""Checkers of the forecasting chapter: the pinball loss, the coverage of intervals, MASE by horizon."""

from __future__ import annotations

import numpy as np
import torch

from .core import _checker, check_function


@_checker
def check_pinball_loss(function, trials: int = 5) -> None:
    """Check ``function(prediction, target, q) -> float``: the mean pinball loss of quantile-``q``
    forecasts ``prediction`` of ``target`` (NumPy arrays of one shape, ``0 < q < 1``)."""
    from ..metrics import pinball_loss

    def make_inputs(rng):
        shape = (int(rng.integers(2, 6)), int(rng.integers(1, 5)))
        return {"prediction": rng.normal(size=shape), "target": rng.normal(size=shape),
                "q": float(rng.choice([0.1, 0.25, 0.8, 0.9]))}

    def reference(prediction, target, q):
        return float(pinball_loss(torch.from_numpy(prediction)[..., None], torch.from_numpy(target), [q]))

    def swapped(prediction, target, q):
        return reference(prediction, target, 1 - q)

    def half_mae(prediction, target, q):
        return float(0.5 * np.mean(np.abs(target - prediction)))

    check_function(function, reference=reference, make_inputs=make_inputs, name="pinball_loss", trials=trials,
                   mistakes=[(swapped, "q and 1 - q are swapped: an under-forecast (y > ŷ) costs q per unit"),
                             (half_mae, "this is half the MAE, the pinball loss at q = 0.5 only")])


@_checker
def check_coverage(function, trials: int = 5) -> None:
    """Check ``function(y, lower, upper) -> float``: the fraction of ``y`` inside ``[lower, upper]``,
    ends included. Some values lie exactly on an end."""
    from ..metrics import coverage

    def make_inputs(rng):
        n = int(rng.integers(6, 30))
        lower = rng.integers(-3, 2, size=n).astype(float)
        upper = lower + rng.integers(0, 3, size=n)
        y = rng.integers(-4, 5, size=n).astype(float)
        y[0], y[1] = lower[0], upper[1]  # on the ends
        return {"y": y, "lower": lower, "upper": upper}

    def reference(y, lower, upper):
        return coverage(y, lower, upper)

    def strict(y, lower, upper):
        return float(np.mean((lower < y) & (y < upper)))

    check_function(function, reference=reference, make_inputs=make_inputs, name="coverage", trials=trials,
                   mistakes=[(strict, "a value equal to an end of its interval is inside it (<=, not <)")])


@_checker
def check_mase_by_horizon(function, trials: int = 5) -> None:
    """Check ``function(y_true, y_pred, y_train, m) -> array (K,)``: the MASE of each column (step of
    the horizon) of ``y_true``, ``y_pred`` (N, K), scaled by the in-sample MAE of the ``m``-seasonal
    naive forecast of ``y_train``."""
    from ..metrics import mase_by_horizon

    def make_inputs(rng):
        N, K, m = int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(1, 5))
        return {"y_true": rng.normal(size=(N, K)), "y_pred": rng.normal(size=(N, K)),
                "y_train": rng.normal(size=int(rng.integers(m + 2, 30))), "m": m}

    def naive_scale(y_true, y_pred, y_train, m):
        return mase_by_horizon(y_true, y_pred, y_train, 1)

    def by_row(y_true, y_pred, y_train, m):
        return mase_by_horizon(y_true.T, y_pred.T, y_train, m)

    check_function(function, reference=mase_by_horizon, make_inputs=make_inputs, name="mase_by_horizon",
                   trials=trials, mistakes=[(naive_scale, "the scale is the m-seasonal naive error, not the "
                                                          "one-step naive (m = 1) error"),
                                            (by_row, "one value per origin (row), not per step of the horizon")])
