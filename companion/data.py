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
    if split not in ("train", "test"):
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
