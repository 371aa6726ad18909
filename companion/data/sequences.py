"""Variable-length sequences to classify, shipped with maintained packages.

* :func:`japanese_vowels` — nine speakers' vowels as variable-length sequences of 12 LPC
  cepstrum coefficients (the UCI JapaneseVowels set, shipped with sktime), published split.
* :func:`digits_as_sequences` — scikit-learn's 8x8 handwritten digits, read as 8 rows of 8 pixels.
"""

from __future__ import annotations

import numpy as np


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
