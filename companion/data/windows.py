"""From a series to a supervised task, without looking at the future.

* :func:`make_windows` — cut a series into supervised pairs (past ``window`` values -> next value).
* :func:`time_split` — train / validation / test ranges in time order.
* :class:`Standardizer` — scaling whose statistics come from the training part only.
"""

from __future__ import annotations

import numpy as np

from ..checks import as_float_array, check_int


def make_windows(series, window: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Cut a 1-D series into inputs and targets for one-step (or ``horizon``-step) forecasting.

    Pair ``k`` is ``X[k] = series[k : k+window]`` and ``y[k] = series[k+window+horizon-1]``.
    Returns ``X`` (N, window) and ``y`` (N,) with ``N = len(series) - window - horizon + 1``.
    """
    who = "make_windows"
    as_float_array(who, "series", series)  # numbers, none NaN or infinite (the windows keep the series' dtype)
    series = np.asarray(series)
    if series.dtype.kind not in "iuf":
        raise TypeError(f"make_windows: expected series to be numbers (integers or floats), got dtype {series.dtype}")
    if series.ndim != 1:
        raise ValueError(f"make_windows: expected a 1-D series, got shape {series.shape}")
    window = check_int(who, "window", window)
    horizon = check_int(who, "horizon", horizon)
    n = len(series) - window - horizon + 1
    if n < 1:
        raise ValueError(
            f"make_windows: a series of length {len(series)} is too short for window={window} "
            f"and horizon={horizon} (needs at least {window + horizon})"
        )
    X = np.lib.stride_tricks.sliding_window_view(series, window)[:n].copy()
    y = series[window + horizon - 1 :].copy()
    return X, y


def time_split(n: int, valid: int, test: int) -> tuple[slice, slice, slice]:
    """Split ``n`` time-ordered points into ``(train, valid, test)`` slices, in that order.

    The last ``test`` points are the test set, the ``valid`` points before them the validation
    set, the rest (at least one point) the training set: ``series[train]`` is the past of
    ``series[valid]``, which is the past of ``series[test]``. Nothing is shuffled.
    """
    n = check_int("time_split", "n", n, minimum=0)
    valid = check_int("time_split", "valid", valid, minimum=0)
    test = check_int("time_split", "test", test, minimum=0)
    if valid + test >= n:
        raise ValueError(
            f"time_split: valid={valid} + test={test} leaves no training points out of n={n} "
            f"(needs n > {valid + test})"
        )
    train_end, valid_end = n - valid - test, n - test
    return slice(0, train_end), slice(train_end, valid_end), slice(valid_end, n)


class Standardizer:
    """``z = (x - mean) / std`` with ``mean`` and ``std`` from the data given to :meth:`fit` only.

    Fit it on the training part; then transform validation and test data with the training
    statistics, so no information from the future leaks into the inputs. Works on arrays of
    shape (n,) or (n, F): statistics are per column, over the first axis.
    """

    def __init__(self):
        self.mean_ = None
        self.std_ = None

    def fit(self, x) -> "Standardizer":
        x = as_float_array("Standardizer.fit", "x", x)
        if x.ndim not in (1, 2) or x.shape[0] < 2:
            raise ValueError(f"Standardizer.fit: expected shape (n,) or (n, F) with n >= 2, got {x.shape}")
        if x.ndim == 2 and x.shape[1] == 0:
            raise ValueError(f"Standardizer.fit: expected shape (n, F) with F >= 1 columns, got {x.shape}")
        std = x.std(axis=0)
        if np.any(std == 0):
            where = "" if x.ndim == 1 else f" (column {int(np.flatnonzero(std == 0)[0])})"
            raise ValueError(f"Standardizer.fit: a column of the training data is constant (std 0); cannot scale it; "
                             f"got the constant {float(x.reshape(len(x), -1)[0, int(np.flatnonzero(std == 0)[0])]):g}"
                             f"{where}")
        self.mean_, self.std_ = x.mean(axis=0), std
        return self

    def _checked(self, who: str, x) -> np.ndarray:
        if self.mean_ is None:
            raise RuntimeError(f"Standardizer.{who}: not fitted yet; call fit(train) first, on the training part only")
        x = as_float_array(f"Standardizer.{who}", "x" if who == "transform" else "z", x)
        if x.shape[1:] != np.shape(self.mean_):
            raise ValueError(
                f"Standardizer.{who}: expected shape (n,{''.join(f' {d}' for d in np.shape(self.mean_))}) "
                f"like the data given to fit, got {x.shape}"
            )
        return x

    def transform(self, x) -> np.ndarray:
        return (self._checked("transform", x) - self.mean_) / self.std_

    def inverse_transform(self, z) -> np.ndarray:
        return self._checked("inverse_transform", z) * self.std_ + self.mean_

    def fit_transform(self, x) -> np.ndarray:
        return self.fit(x).transform(x)
