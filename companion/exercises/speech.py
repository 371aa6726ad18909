"""Checkers of the speech chapter: reading a CTC path, the edit distance, the DTW distance."""

from __future__ import annotations

import numpy as np

from .core import _checker, check_function


@_checker
def check_ctc_collapse(function, trials: int = 20) -> None:
    """Check ``function(path, blank) -> list``: a frame-by-frame path of class indices read as a
    string (merge runs of a class, then drop the blank), against :func:`companion.ctc.collapse`.
    The paths hold repeats separated by blanks, so dropping blanks first is caught."""
    from ..ctc import collapse

    def make_inputs(rng):
        blank = int(rng.choice([0, 0, 3]))
        T = int(rng.integers(1, 14))
        path = rng.integers(0, 4, size=T)
        if T >= 3:
            path[:3] = [1, blank, 1] if blank != 1 else [2, blank, 2]  # a repeat kept by a blank
        return {"path": [int(c) for c in path], "blank": blank}

    def blanks_first(path, blank):  # drop the blanks, then merge: "1 _ 1" wrongly becomes "1"
        out = []
        for c in (c for c in path if c != blank):
            if not out or out[-1] != c:
                out.append(c)
        return out

    def no_merging(path, blank):
        return [c for c in path if c != blank]

    check_function(lambda path, blank: np.asarray(function(path, blank), dtype=float),
                   reference=lambda path, blank: np.asarray(collapse(path, blank), dtype=float),
                   make_inputs=make_inputs, name="ctc_collapse", trials=trials,
                   mistakes=[(lambda path, blank: np.asarray(blanks_first(path, blank), dtype=float),
                              "the blanks are dropped before the repeats are merged: a blank between two equal "
                              "symbols is what keeps them apart"),
                             (lambda path, blank: np.asarray(no_merging(path, blank), dtype=float),
                              "runs of the same class are not merged into one symbol")])


@_checker
def check_edit_distance(function, trials: int = 20) -> None:
    """Check ``function(reference, hypothesis) -> int``: the fewest substitutions, deletions and
    insertions turning one list into the other, against :func:`companion.ctc.edit_distance`."""
    from ..ctc import edit_distance

    def make_inputs(rng):
        return {"reference": [int(c) for c in rng.integers(0, 4, size=rng.integers(0, 8))],
                "hypothesis": [int(c) for c in rng.integers(0, 4, size=rng.integers(0, 8))]}

    def hamming(reference, hypothesis):  # position by position, plus the difference in length
        return sum(a != b for a, b in zip(reference, hypothesis)) + abs(len(reference) - len(hypothesis))

    check_function(function, reference=edit_distance, make_inputs=make_inputs, name="edit_distance", trials=trials,
                   mistakes=[(hamming, "symbols are compared position by position: an insertion or deletion "
                              "shifts every later symbol, which the dynamic programme allows for")])


@_checker
def check_dtw_distance(function, trials: int = 10) -> None:
    """Check ``function(a, b) -> float``: the DTW distance between (n, F) and (m, F) arrays with the
    Euclidean distance between frames, against :func:`companion.dtw.dtw_distance`."""
    from ..dtw import dtw_distance

    def make_inputs(rng):
        F = int(rng.integers(1, 4))
        return {"a": rng.normal(size=(int(rng.integers(1, 8)), F)), "b": rng.normal(size=(int(rng.integers(1, 8)), F))}

    check_function(function, reference=dtw_distance, make_inputs=make_inputs, name="dtw_distance", trials=trials)
