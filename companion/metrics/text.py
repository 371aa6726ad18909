"""Scores of generated text: corpus BLEU, as sacrebleu computes it, with :func:`brevity_penalty`
and :func:`modified_precision`, its two parts; exact matches.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ..checks import check_int, check_sequence, check_strings, describe


def brevity_penalty(hyp_len: int, ref_len: int) -> float:
    """``1`` if the hypotheses are at least as long as the references, else ``exp(1 - r/c)``; 0 when ``c = 0``.

    ``hyp_len`` (c) and ``ref_len`` (r) are token counts: integers >= 0.
    """
    check_int("brevity_penalty", "hyp_len", hyp_len, minimum=0)
    check_int("brevity_penalty", "ref_len", ref_len, minimum=0)
    if hyp_len >= ref_len:
        return 1.0
    return math.exp(1 - ref_len / hyp_len) if hyp_len > 0 else 0.0


def modified_precision(hypothesis, reference, n: int) -> tuple[int, int]:
    """``(matches, total)`` for the n-grams of one tokenised hypothesis against one reference.

    Each hypothesis n-gram counts as a match at most as often as it occurs in the reference
    ("clipped" counts), so "the the the" does not match "the cat" three times.
    Both are lists of tokens (not strings: split them first).
    """
    who = "modified_precision"
    hypothesis = _token_list(who, "hypothesis", hypothesis)
    reference = _token_list(who, "reference", reference)
    check_int(who, "n", n)
    return _modified_precision(hypothesis, reference, n)


def _modified_precision(hypothesis: list, reference: list, n: int) -> tuple[int, int]:
    hyp = Counter(tuple(hypothesis[i : i + n]) for i in range(len(hypothesis) - n + 1))
    ref = Counter(tuple(reference[i : i + n]) for i in range(len(reference) - n + 1))
    return sum(min(count, ref[gram]) for gram, count in hyp.items()), sum(hyp.values())


def _token_list(who: str, name: str, tokens) -> list:
    if isinstance(tokens, str):
        raise TypeError(f"{who}: expected {name} to be a list of tokens, got {describe(tokens)}; split it first, "
                        "e.g. text.split()")
    return check_sequence(who, name, tokens, expected="a list of tokens")


def bleu(hypotheses, references, max_order: int = 4) -> float:
    """Corpus BLEU (Papineni et al., 2002) on a 0–100 scale, one reference per hypothesis.

    Both are lists of strings, tokenised by splitting at whitespace: the same number as
    ``sacrebleu.corpus_bleu(hypotheses, [references], tokenize="none")`` (its defaults
    otherwise: 4-grams, "exp" smoothing, mixed case). Our outputs are already word tokens,
    so no further tokenisation ('13a' splits punctuation, which number words lack).

    ``BLEU = BP · exp(mean_n log p_n)``: ``p_n`` are the modified n-gram precisions summed
    over the corpus, ``BP`` the :func:`brevity_penalty` of the total lengths. An order with
    no match gets the precision ``1 / (2^k · total_n)`` for the k-th such order (sacrebleu's
    "exp" smoothing); no match of any order gives 0.
    """
    hypotheses = check_strings("bleu", "hypotheses", hypotheses, what="hypothesis", allow_empty=False)
    references = check_strings("bleu", "references", references, what="reference", allow_empty=False)
    check_int("bleu", "max_order", max_order)
    if len(hypotheses) != len(references):
        raise ValueError(f"bleu: {len(hypotheses)} hypotheses but {len(references)} references")
    matches, totals = [0] * max_order, [0] * max_order
    hyp_len = ref_len = 0
    for hypothesis, reference in zip(hypotheses, references):
        hyp, ref = hypothesis.split(), reference.split()
        hyp_len, ref_len = hyp_len + len(hyp), ref_len + len(ref)
        for n in range(1, max_order + 1):
            m, t = _modified_precision(hyp, ref, n)
            matches[n - 1] += m
            totals[n - 1] += t
    if not any(matches):
        return 0.0
    log_precisions, smooth = [], 1.0
    for m, t in zip(matches, totals):
        if t == 0:  # no hypothesis is this long: sacrebleu counts the order as precision 0
            log_precisions.append(-9999999999.0)
        elif m == 0:
            smooth *= 2
            log_precisions.append(math.log(100.0 / (smooth * t)))
        else:
            log_precisions.append(math.log(100.0 * m / t))
    return brevity_penalty(hyp_len, ref_len) * math.exp(sum(log_precisions) / max_order)


def exact_matches(hypotheses, references) -> np.ndarray:
    """One boolean per pair: is the hypothesis exactly the reference? Lists of comparable items (strings,
    token lists); ``==`` must give True or False for each pair (compare tensors as lists: ``t.tolist()``)."""
    who = "exact_matches"
    hypotheses = check_sequence(who, "hypotheses", hypotheses, expected="a list of hypotheses (strings or token lists)")
    references = check_sequence(who, "references", references, expected="a list of references (strings or token lists)")
    if len(hypotheses) != len(references):
        raise ValueError(
            f"exact_matches: expected as many hypotheses as references, got {len(hypotheses)} and {len(references)}"
        )
    matches = []
    for i, (h, r) in enumerate(zip(hypotheses, references)):
        same = h == r
        if not isinstance(same, (bool, np.bool_)):
            raise TypeError(f"{who}: expected True or False from comparing hypothesis {i} with its reference, "
                            f"got {describe(same)}; pass strings or token lists (a tensor's .tolist())")
        matches.append(bool(same))
    return np.array(matches, dtype=bool)


def exact_match(hypotheses, references) -> float:
    """The fraction of hypotheses that equal their reference exactly."""
    matches = exact_matches(hypotheses, references)
    if matches.size == 0:
        raise ValueError("exact_match: expected at least one pair, got none")
    return float(matches.mean())
