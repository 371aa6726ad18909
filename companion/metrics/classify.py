"""Scores of a binary classifier, written from their definitions (the tests compare them with scikit-learn).

Labels are 0 or 1 (1 = the positive class). A *prediction* is a hard 0/1 decision; a *score* is any
real number that ranks the examples (a probability of class 1, a logit).

* :func:`accuracy` — the fraction of predictions equal to the labels;
* :func:`f1_score` — the harmonic mean of precision and recall of the positive class;
* :func:`roc_auc` — the probability that a random positive example scores higher than a random
  negative one (ties count one half): the area under the ROC curve.
"""

from __future__ import annotations

import numpy as np
import torch

from ..checks import as_float_array, describe


def _labels(who: str, name: str, values, n: int | None = None) -> np.ndarray:
    """``values`` as a 1-D int64 array of 0s and 1s (a list, an array or a tensor of integers or bools)."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    if isinstance(values, (str, bytes, dict)) or values is None or np.ndim(values) == 0:
        raise TypeError(f"{who}: expected {name} to be a 1-D sequence of 0/1 labels, got {describe(values)}")
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{who}: expected {name} to be a 1-D sequence of 0/1 labels, got {describe(array)}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{who}: expected {name} to hold 0/1 labels, got {describe(array)}")
    if not np.all(np.isin(array, (0, 1))):
        bad = array[~np.isin(array, (0, 1))][0]
        raise ValueError(f"{who}: expected {name} to hold only 0 and 1 (a binary task), got {bad.item()!r}")
    if n is not None and len(array) != n:
        raise ValueError(f"{who}: expected {name} to hold one value per label ({n}), got {len(array)}")
    if len(array) == 0:
        raise ValueError(f"{who}: expected at least one example, got an empty {name}")
    return array.astype(np.int64)


def accuracy(labels, predictions) -> float:
    """The fraction of examples with ``predictions[i] == labels[i]``."""
    labels = _labels("accuracy", "labels", labels)
    predictions = _labels("accuracy", "predictions", predictions, len(labels))
    return float(np.mean(labels == predictions))


def f1_score(labels, predictions) -> float:
    """F1 of the positive class (label 1): ``2 TP / (2 TP + FP + FN)``, the harmonic mean of precision
    ``TP / (TP + FP)`` and recall ``TP / (TP + FN)``. With no positive label and no positive
    prediction (TP + FP + FN = 0) F1 is undefined: an error, not a silent 0."""
    labels = _labels("f1_score", "labels", labels)
    predictions = _labels("f1_score", "predictions", predictions, len(labels))
    tp = int(np.sum((predictions == 1) & (labels == 1)))
    fp = int(np.sum((predictions == 1) & (labels == 0)))
    fn = int(np.sum((predictions == 0) & (labels == 1)))
    if tp + fp + fn == 0:
        raise ValueError("f1_score: F1 is undefined without a positive label or a positive prediction "
                         f"(all {len(labels)} labels and predictions are 0)")
    return 2 * tp / (2 * tp + fp + fn)


def roc_auc(labels, scores) -> float:
    """The area under the ROC curve: over every (positive, negative) pair of examples, the fraction
    in which the positive one scores higher, a tie counting one half (the Mann–Whitney U statistic
    divided by the number of pairs). Needs at least one example of each class."""
    who = "roc_auc"
    labels = _labels(who, "labels", labels)
    scores = as_float_array(who, "scores", scores)
    if scores.shape != labels.shape:
        raise ValueError(f"{who}: expected one score per label, a 1-D sequence of {len(labels)}, got shape "
                         f"{scores.shape}")
    positives, negatives = int(labels.sum()), int(len(labels) - labels.sum())
    if positives == 0 or negatives == 0:
        raise ValueError(f"{who}: ROC-AUC needs both classes, got {positives} positive and {negatives} negative labels")
    # Rank all scores (ties share their average rank); the positives' rank sum gives U.
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    start = 0
    while start < len(scores):
        stop = start
        while stop + 1 < len(scores) and sorted_scores[stop + 1] == sorted_scores[start]:
            stop += 1
        ranks[order[start:stop + 1]] = (start + stop) / 2 + 1  # ranks counted from 1
        start = stop + 1
    u = ranks[labels == 1].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))
