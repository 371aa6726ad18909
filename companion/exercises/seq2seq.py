"""Checkers of the sequence-to-sequence chapter: BLEU's parts, length-normalised scores."""

from __future__ import annotations

import numpy as np

from .core import _checker, check_function


def _token_lists(rng):
    """A hypothesis and a reference over a 4-word vocabulary, so n-grams repeat and match often."""
    words = np.array(["one", "two", "three", "hundred"])
    hypothesis = list(words[rng.integers(0, 4, size=int(rng.integers(1, 9)))])
    reference = list(words[rng.integers(0, 4, size=int(rng.integers(1, 9)))])
    return {"hypothesis": hypothesis, "reference": reference, "n": int(rng.integers(1, 4))}


@_checker
def check_modified_precision(function, trials: int = 20) -> None:
    """Check ``function(hypothesis, reference, n) -> (matches, total)`` for token lists, against
    :func:`companion.metrics.modified_precision`: matches are *clipped* by the reference's counts."""
    from ..metrics import modified_precision

    check_function(function, reference=modified_precision, make_inputs=_token_lists,
                   name="modified_precision", trials=trials)


@_checker
def check_brevity_penalty(function, trials: int = 20) -> None:
    """Check ``function(hyp_len, ref_len)`` against :func:`companion.metrics.brevity_penalty`,
    on lengths shorter than, equal to and longer than the reference, and on an empty output."""
    from ..metrics import brevity_penalty

    def make_inputs(rng):
        ref_len = int(rng.integers(1, 50))
        return {"hyp_len": int(rng.choice([0, ref_len, rng.integers(1, 100)])), "ref_len": ref_len}

    check_function(function, reference=brevity_penalty, make_inputs=make_inputs, name="brevity_penalty",
                   trials=trials)


@_checker
def check_length_normalized_score(function, trials: int = 10) -> None:
    """Check ``function(log_prob, length, alpha)`` against :func:`companion.seq2seq.length_normalized_score`."""
    from ..seq2seq import length_normalized_score

    def make_inputs(rng):
        return {"log_prob": float(-rng.exponential(5.0)), "length": int(rng.integers(1, 20)),
                "alpha": float(rng.choice([0.0, 0.6, 1.0, rng.uniform(0, 2)]))}

    check_function(function, reference=length_normalized_score, make_inputs=make_inputs,
                   name="length_normalized_score", trials=trials)
