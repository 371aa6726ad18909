"""Data sets that ship with maintained packages (nothing is downloaded) and windowing.

* :func:`sunspots` — yearly mean sunspot numbers 1700–2008, shipped with statsmodels
  (``statsmodels.datasets.sunspots``; source: the Royal Observatory of Belgium's SIDC).
* :func:`make_windows` — cut a series into supervised pairs (past ``window`` values -> next value).
"""

from __future__ import annotations

import numpy as np


def sunspots() -> tuple[np.ndarray, np.ndarray]:
    """Return ``(years, counts)``, two float64 arrays of length 309 (1700–2008).

    Loaded from the copy that statsmodels ships, so it works offline.
    """
    from statsmodels.datasets import sunspots as _sunspots  # imported here: statsmodels is slow to import

    frame = _sunspots.load_pandas().data
    return frame["YEAR"].to_numpy(dtype=np.float64), frame["SUNACTIVITY"].to_numpy(dtype=np.float64)


def make_windows(series, window: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Cut a 1-D series into inputs and targets for one-step (or ``horizon``-step) forecasting.

    Pair ``k`` is ``X[k] = series[k : k+window]`` and ``y[k] = series[k+window+horizon-1]``.
    Returns ``X`` (N, window) and ``y`` (N,) with ``N = len(series) - window - horizon + 1``.
    """
    series = np.asarray(series)
    if series.ndim != 1:
        raise ValueError(f"make_windows: expected a 1-D series, got shape {series.shape}")
    if window < 1 or horizon < 1:
        raise ValueError(f"make_windows: window and horizon must be >= 1, got window={window}, horizon={horizon}")
    n = len(series) - window - horizon + 1
    if n < 1:
        raise ValueError(
            f"make_windows: a series of length {len(series)} is too short for window={window} "
            f"and horizon={horizon} (needs at least {window + horizon})"
        )
    X = np.lib.stride_tricks.sliding_window_view(series, window)[:n].copy()
    y = series[window + horizon - 1 :].copy()
    return X, y
