"""Data sets that ship with maintained packages (nothing is downloaded) and windowing.

* :func:`sunspots` — yearly mean sunspot numbers 1700–2008, shipped with statsmodels
  (``statsmodels.datasets.sunspots``; source: the Royal Observatory of Belgium's SIDC).
* :func:`co2_weekly` — weekly atmospheric CO2 at Mauna Loa 1958–2001, shipped with statsmodels
  (``statsmodels.datasets.co2``; source: Scripps Institution of Oceanography), gaps filled.
* :func:`japanese_vowels` — nine speakers' vowels as variable-length sequences of 12 LPC
  cepstrum coefficients (the UCI JapaneseVowels set, shipped with sktime), published split.
* :func:`digits_as_sequences` — scikit-learn's 8x8 handwritten digits, read as 8 rows of 8 pixels.
* :func:`make_windows` — cut a series into supervised pairs (past ``window`` values -> next value).
* :func:`time_split` — train / validation / test ranges in time order.
* :class:`Standardizer` — scaling whose statistics come from the training part only.
"""

from __future__ import annotations

import numpy as np

from .checks import as_float_array, check_int


def sunspots() -> tuple[np.ndarray, np.ndarray]:
    """Return ``(years, counts)``, two float64 arrays of length 309 (1700–2008).

    Loaded from the copy that statsmodels ships, so it works offline.
    """
    from statsmodels.datasets import sunspots as _sunspots  # imported here: statsmodels is slow to import

    frame = _sunspots.load_pandas().data
    return frame["YEAR"].to_numpy(dtype=np.float64), frame["SUNACTIVITY"].to_numpy(dtype=np.float64)


def co2_weekly() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(dates, ppm, filled)``: 2284 weeks from 1958-03-29 to 2001-12-29.

    ``dates`` (n,) ``datetime64[ns]``, one Saturday per week with no week left out; ``ppm`` (n,)
    float64, the CO2 mole fraction in parts per million; ``filled`` (n,) bool, True for the weeks
    that have no measurement in the data set. Those values are filled by linear interpolation in
    time between the nearest measured weeks on either side (no gap lies at either end). A
    straight line is a fair guess for a gap of a few weeks; the longest gap is 18 weeks, so
    ``filled`` is returned for anyone who prefers another fill.
    """
    from statsmodels.datasets import co2 as _co2  # imported here: statsmodels is slow to import

    series = _co2.load_pandas().data["co2"]
    filled = series.isna().to_numpy()
    ppm = series.interpolate(method="time").to_numpy(dtype=np.float64)
    if np.isnan(ppm).any():  # would mean a gap at the start, which interpolation cannot fill
        raise RuntimeError("co2_weekly: statsmodels' CO2 data changed: a gap at the start cannot be interpolated")
    return series.index.to_numpy(dtype="datetime64[ns]"), ppm, filled


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


# -- sequence classification: JapaneseVowels (sktime) and digits (scikit-learn) ------------------


def japanese_vowels(split: str = "train") -> tuple[list[np.ndarray], np.ndarray]:
    """Nine male speakers saying the vowel /ae/: classify the speaker from the utterance.

    Returns ``(X, y)``: ``X`` a list of float64 arrays (T_i, 12) — 12 LPC cepstrum
    coefficients per frame, T_i from 7 to 29 frames — and ``y`` int64 speaker labels 0–8.
    ``split="train"`` gives the published 270 training utterances (30 per speaker),
    ``split="test"`` the 370 test utterances (24–88 per speaker). Loaded offline from the
    copy that sktime ships (``sktime.datasets.load_japanese_vowels``; Kudo, Toyama and
    Shimbo, 1999, UCI Machine Learning Repository).
    """
    if not isinstance(split, str) or split not in ("train", "test"):
        raise ValueError(f"japanese_vowels: split must be 'train' or 'test', got {split!r}")
    from sktime.datasets import load_japanese_vowels  # imported here: sktime is slow to import

    frame, labels = load_japanese_vowels(split=split, return_type="nested_univ")
    columns = list(frame.columns)
    X = [np.stack([frame.iloc[i][c].to_numpy(dtype=np.float64) for c in columns], axis=1) for i in range(len(frame))]
    y = np.asarray(labels).astype(np.int64) - 1  # sktime's labels are the strings "1".."9"
    return X, y


def digits_as_sequences() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits, each an 8x8 image read as 8 rows of 8 pixels.

    Returns ``(X, y)``: ``X`` float32 (N, 8, 8) — step ``t`` is row ``t`` of the image, pixel
    intensities scaled from 0–16 to 0–1 — and ``y`` int64 labels 0–9 (N = 1797).
    (``sklearn.datasets.load_digits``: the UCI optical recognition of handwritten digits test set.)
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.images / 16.0).astype(np.float32), digits.target.astype(np.int64)
