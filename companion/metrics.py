"""Error measures: forecasts (arrays of equal shape) and translations (BLEU). Each returns a float.

* :func:`mae`, :func:`rmse` — in the units of the series;
* :func:`mase` — scale-free: the MAE divided by the in-sample MAE of the seasonal naive forecast
  (Hyndman and Koehler, 2006), so 1.0 means "as good as repeating the last season";
* :func:`bleu` — corpus BLEU, as sacrebleu computes it, with :func:`brevity_penalty` and
  :func:`modified_precision`, its two parts.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .checks import as_float_array, check_int, check_sequence, check_strings, describe


def _pair(name, y_true, y_pred):
    """Both as float64 arrays of the same, non-empty shape, finite numbers only."""
    y_true, y_pred = as_float_array(name, "y_true", y_true), as_float_array(name, "y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{name}: expected y_true and y_pred of the same shape, got {y_true.shape} and {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError(f"{name}: expected at least one value, got empty arrays")
    return y_true, y_pred


def mae(y_true, y_pred) -> float:
    """Mean absolute error ``mean |y - ŷ|``."""
    y_true, y_pred = _pair("mae", y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error ``sqrt(mean (y - ŷ)²)``."""
    y_true, y_pred = _pair("rmse", y_true, y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mase(y_true, y_pred, y_train, m: int = 1) -> float:
    """Mean absolute scaled error of a forecast ``y_pred`` of ``y_true`` (both (K,) for a horizon of K steps).

    ``MASE = mean |y - ŷ| / scale`` with ``scale = mean_{t > m} |y_train[t] - y_train[t-m]|``,
    the in-sample MAE of the ``m``-seasonal naive forecast on the training series ``y_train``
    (n,). ``m=1`` scales by the naive forecast. Below 1: better, on the test horizon, than the
    seasonal naive forecast was, one step ahead, on the training data.
    """
    y_true, y_pred = _pair("mase", y_true, y_pred)
    y_train = as_float_array("mase", "y_train", y_train)
    check_int("mase", "the season length m", m)
    if y_train.ndim != 1:
        raise ValueError(f"mase: expected a 1-D training series y_train, got shape {y_train.shape}")
    if len(y_train) <= m:
        raise ValueError(
            f"mase: the training series needs more than m={m} values to compute the seasonal naive "
            f"scale, got {len(y_train)}"
        )
    scale = np.mean(np.abs(y_train[m:] - y_train[:-m]))
    if not scale > 0:
        raise ValueError(
            f"mase: the scale (in-sample MAE of the m={m} seasonal naive forecast) is {scale}; "
            "the training series repeats itself exactly every m steps, so MASE is undefined"
        )
    return float(np.mean(np.abs(y_true - y_pred)) / scale)


# ----------------------------------------------------------------------------
# Translation: BLEU


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
