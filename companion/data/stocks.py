"""Daily stock prices that ship offline: Google's shares from matplotlib's sample data.

* :func:`load_goog` — 1,047 trading days of GOOG, 2004-08-19 to 2008-10-14 (Yahoo! Finance data,
  in ``matplotlib``'s sample data ``goog.npz``: nothing is downloaded, no new dependency);
* :func:`log_returns` — ``r_t = log p_t - log p_{t-1}``, the day's change that forecasts target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_float_array


@dataclass
class Prices:
    """``dates`` (n,) ``datetime64[D]`` (trading days, increasing) and ``close`` (n,) float64, the
    adjusted closing price in US dollars."""

    dates: np.ndarray
    close: np.ndarray


def load_goog() -> Prices:
    """Google's daily adjusted closing prices from matplotlib's sample data ``goog.npz``."""
    from matplotlib import cbook

    with cbook.get_sample_data("goog.npz") as data:
        table = data["price_data"]
    dates, close = table["date"].astype("datetime64[D]"), table["adj_close"].astype(np.float64)
    if not (np.all(np.diff(dates) > np.timedelta64(0)) and np.all(close > 0)):
        raise RuntimeError("load_goog: matplotlib's goog.npz changed: expected increasing dates and positive prices")
    return Prices(dates=dates, close=close)


def log_returns(prices) -> np.ndarray:
    """``r_t = log(p_t / p_{t-1})`` for ``t = 1..n-1``: (n - 1,) from prices (n,), positive and finite."""
    prices = as_float_array("log_returns", "prices", prices)
    if prices.ndim != 1 or len(prices) < 2:
        raise ValueError(f"log_returns: expected a 1-D series of at least 2 prices, got shape {prices.shape}")
    if np.any(prices <= 0):
        i = int(np.flatnonzero(prices <= 0)[0])
        raise ValueError(f"log_returns: prices must be positive (a log return needs them), got {prices[i]:g} at index {i}")
    return np.diff(np.log(prices))
