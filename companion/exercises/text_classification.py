"""Checkers of the text classification chapter: ROC-AUC and F1 from their definitions, attention
weights that padding never gets."""

from __future__ import annotations

import numpy as np
import torch

from .core import _checker, check_function


def _binary_labels(rng, n: int) -> np.ndarray:
    """``n`` labels 0/1 with both classes present."""
    labels = rng.integers(0, 2, size=n)
    labels[0], labels[1] = 0, 1
    return rng.permutation(labels)


@_checker
def check_roc_auc(function, trials: int = 5) -> None:
    """Check ``function(labels, scores) -> float``: the fraction of (positive, negative) pairs in which
    the positive scores higher, ties counting one half. The scores hold ties on purpose."""
    from ..metrics import roc_auc

    def make_inputs(rng):
        n = int(rng.integers(5, 40))
        return {"labels": _binary_labels(rng, n), "scores": rng.integers(0, 6, size=n) / 5.0}

    def ties_ignored(labels, scores):
        positive, negative = scores[labels == 1], scores[labels == 0]
        return float(np.mean(positive[:, None] > negative[None, :]))

    check_function(function, reference=roc_auc, make_inputs=make_inputs, name="roc_auc", trials=trials,
                   mistakes=[(ties_ignored, "a tie counts 0 instead of one half")])


@_checker
def check_f1_score(function, trials: int = 5) -> None:
    """Check ``function(labels, predictions) -> float``: F1 of the positive class (label 1)."""
    from ..metrics import accuracy, f1_score

    def make_inputs(rng):
        n = int(rng.integers(5, 40))
        return {"labels": _binary_labels(rng, n), "predictions": _binary_labels(rng, n)}

    def precision_only(labels, predictions):
        return float(np.sum((predictions == 1) & (labels == 1)) / max(1, np.sum(predictions == 1)))

    check_function(function, reference=f1_score, make_inputs=make_inputs, name="f1_score", trials=trials,
                   mistakes=[(accuracy, "this is the accuracy, not F1"),
                             (precision_only, "this is the precision only, not its harmonic mean with the recall")])


@_checker
def check_attention_weights(function, trials: int = 5) -> None:
    """Check ``function(scores, mask) -> weights``: the softmax of ``scores`` (B, T) over the real
    positions of each row (``mask`` (B, T) bool), exactly 0 on padding. The padded scores hold
    large garbage and a NaN."""
    from ..masking import lengths_to_mask

    def make_inputs(rng):
        B, T = int(rng.integers(2, 6)), int(rng.integers(3, 9))
        lengths = rng.integers(1, T + 1, size=B)
        lengths[0] = T
        if B > 1:
            lengths[1] = int(rng.integers(1, T))
        mask = lengths_to_mask(torch.as_tensor(lengths), max_len=T)
        scores = torch.as_tensor(rng.normal(size=(B, T)) * 3)
        scores[~mask] = torch.as_tensor(rng.uniform(50, 100, size=int((~mask).sum())))
        scores[1, -1] = float("nan")  # row 1 is shorter than T: its last position is padding
        return {"scores": scores, "mask": mask}

    def reference(scores, mask):
        return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)

    def plain_softmax(scores, mask):
        return torch.softmax(scores, dim=1)

    check_function(function, reference=reference, make_inputs=make_inputs, name="attention weights",
                   trials=trials, mistakes=[(plain_softmax, "the softmax runs over the padding too")])
