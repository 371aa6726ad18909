"""Baselines that forecast from each window of the past, as a recurrent forecaster does.

For windows ``X`` (N, W, F) whose target is ``horizon`` steps after the last step:

* :func:`persistence` — the last observed value of the target column, ``X[:, -1, column]``;
* :func:`seasonal_persistence` — the value one season (``m`` steps) before the target time,
  ``X[:, W - m + horizon - 1, column]`` (same hour yesterday for hourly data and ``m = 24``);
* :class:`LinearWindow` — least-squares linear regression on the whole flattened window.

:mod:`companion.baselines` forecasts many steps from one origin; these forecast one target per
window, so they are scored on exactly the windows the network is.
"""

from __future__ import annotations

import numpy as np

from ..checks import as_float_array, check_int, check_real


def _windows(who: str, X, column: int) -> tuple[np.ndarray, int]:
    X = as_float_array(who, "X", X)
    if X.ndim != 3 or 0 in X.shape:
        raise ValueError(f"{who}: expected windows X of shape (N, W, F) with no empty axis, got {X.shape}")
    column = check_int(who, "column", column, minimum=0)
    if column >= X.shape[2]:
        raise ValueError(f"{who}: column must index one of the F={X.shape[2]} features, got {column}")
    return X, column


def persistence(X, column: int) -> np.ndarray:
    """(N,) the last value of feature ``column`` in each window: "it stays as it is now"."""
    X, column = _windows("persistence", X, column)
    return X[:, -1, column].copy()


def seasonal_persistence(X, column: int, horizon: int, m: int) -> np.ndarray:
    """(N,) the value of feature ``column`` one season of ``m`` steps before each target.

    The target is ``horizon`` steps after the window's last step, so that value is
    ``X[:, W - m + horizon - 1, column]``; it must lie in the window: ``horizon <= m`` and
    ``W >= m - horizon + 1``.
    """
    who = "seasonal_persistence"
    X, column = _windows(who, X, column)
    horizon, m = check_int(who, "horizon", horizon), check_int(who, "m", m)
    if horizon > m:
        raise ValueError(f"{who}: horizon={horizon} is longer than the season m={m}; the value one season before "
                         "the target is then not yet observed")
    W = X.shape[1]
    if W < m - horizon + 1:
        raise ValueError(f"{who}: windows of W={W} steps do not reach back one season (m={m}) before a target "
                         f"{horizon} steps ahead (need W >= {m - horizon + 1})")
    return X[:, W - m + horizon - 1, column].copy()


class LinearWindow:
    """``ŷ = w · vec(X) + b``: least squares on the flattened window, with an optional ridge penalty
    ``ridge * |w|²`` (the intercept is not penalised). ``fit(X, y)`` with X (N, W, F), y (N,);
    ``predict(X)`` (N,)."""

    def __init__(self, ridge: float = 0.0):
        self.ridge = check_real("LinearWindow", "ridge", ridge, minimum=0)
        self.coef_ = None
        self.intercept_ = None

    def fit(self, X, y) -> "LinearWindow":
        X, _ = _windows("LinearWindow.fit", X, 0)
        y = as_float_array("LinearWindow.fit", "y", y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"LinearWindow.fit: expected y of shape ({X.shape[0]},), one target per window, "
                             f"got {y.shape}")
        A = X.reshape(len(X), -1)
        mean_a, mean_y = A.mean(0), y.mean()
        Ac = A - mean_a
        if self.ridge > 0:
            coef = np.linalg.solve(Ac.T @ Ac + self.ridge * np.eye(A.shape[1]), Ac.T @ (y - mean_y))
        else:
            coef = np.linalg.lstsq(Ac, y - mean_y, rcond=None)[0]
        self.coef_, self.intercept_ = coef.reshape(X.shape[1:]), float(mean_y - mean_a @ coef)
        return self

    def predict(self, X) -> np.ndarray:
        if self.coef_ is None:
            raise RuntimeError("LinearWindow.predict: not fitted yet; call fit(X, y) on the training windows first")
        X, _ = _windows("LinearWindow.predict", X, 0)
        if X.shape[1:] != self.coef_.shape:
            raise ValueError(f"LinearWindow.predict: expected windows of shape (N, {self.coef_.shape[0]}, "
                             f"{self.coef_.shape[1]}) like those given to fit, got {X.shape}")
        return X.reshape(len(X), -1) @ self.coef_.ravel() + self.intercept_
