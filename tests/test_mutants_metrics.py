"""Tests written to kill the mutants of ``companion/metrics/`` (issue 10).

Each test compares a metric with something other than its own code: a value worked by hand (the
working is in the comment), the equation written again in NumPy in another form, or an independent
implementation (scikit-learn, sacrebleu, SciPy, statsmodels, pandas). Error messages are part of the
API, so they are checked word for word in compact tables.
"""

from __future__ import annotations

import math
import re
import statistics

import numpy as np
import pandas as pd
import pytest
import sacrebleu
import sklearn.metrics as skm
import torch
from scipy.stats import binomtest
from statsmodels.stats.proportion import proportion_confint

from companion.metrics import (accuracy, binomial_p_value, bits_per_character, bleu, brevity_penalty,
                               chance_agreement, conformal_margin, coverage, cross_entropy, directional_accuracy,
                               event_scores, exact_match, exact_matches, f1_score, false_alarms, lagged_correlation,
                               mae, mase, mase_by_horizon, modified_precision, perplexity, pinball_loss, point_scores,
                               precision_recall_curve, rmse, roc_auc, wilson_interval)

T = torch.tensor

# ---------------------------------------------------------------------------------------------------
# Messages: every check names the function, the argument, what was expected and what came.
# ---------------------------------------------------------------------------------------------------

LABELS_STR = "expected labels to be a 1-D sequence of 0/1 labels, got '01' (a str)"
ERRORS = [
    # anomaly: labels and flags of each function (labels_array's messages with the caller's name)
    (lambda: point_scores("01", [0, 1]), TypeError, "point_scores: " + LABELS_STR),
    (lambda: event_scores("01", [0, 1]), TypeError, "event_scores: " + LABELS_STR),
    (lambda: false_alarms("01", [0, 1], 1), TypeError, "false_alarms: " + LABELS_STR),
    (lambda: precision_recall_curve("01", [0.1, 0.2]), TypeError, "precision_recall_curve: " + LABELS_STR),
    (lambda: point_scores([0, 1], [0, 1, 1]), ValueError,
     "point_scores: expected flags to hold one label per point of the series (2), got 3; labels must be aligned "
     "with the series"),
    (lambda: event_scores([0, 1], [0, 2]), ValueError, "event_scores: expected flags to hold only 0 and 1, got 2"),
    (lambda: false_alarms([0, 1], "01", 1), TypeError,
     "false_alarms: expected flags to be a 1-D sequence of 0/1 labels, got '01' (a str)"),
    (lambda: point_scores([0, 0, 0], [0, 1, 0]), ValueError,
     "point_scores: recall is undefined without an anomaly; all 3 labels are 0"),
    (lambda: event_scores([0, 0, 0, 0], [1, 1, 0, 0]), ValueError,
     "event_scores: recall is undefined without an event; all 4 labels are 0"),
    (lambda: false_alarms([0, 1], [0, 1], 0), ValueError, "false_alarms: period must be a positive integer, got 0"),
    (lambda: false_alarms([0, 1], [0, 1], 1.5), ValueError, "false_alarms: period must be a positive integer, got 1.5"),
    (lambda: precision_recall_curve([0, 1], "ab"), TypeError,
     "precision_recall_curve: expected scores to be numbers (an array, a list or a tensor), got 'ab' (a str)"),
    (lambda: precision_recall_curve([0, 1, 1], [0.1, 0.2]), ValueError,
     "precision_recall_curve: expected one score per label, shape (3,), got (2,)"),
    (lambda: precision_recall_curve([0, 0, 0], [0.1, 0.2, 0.3]), ValueError,
     "precision_recall_curve: recall is undefined without an anomaly; all 3 labels are 0"),
    # classify
    (lambda: accuracy(1, [1]), TypeError, "accuracy: expected labels to be a 1-D sequence of 0/1 labels, got 1"),
    (lambda: accuracy("01", [1]), TypeError,
     "accuracy: expected labels to be a 1-D sequence of 0/1 labels, got '01' (a str)"),
    (lambda: accuracy([0, 1], None), TypeError,
     "accuracy: expected predictions to be a 1-D sequence of 0/1 labels, got None"),
    (lambda: f1_score([[0, 1]], [0, 1]), ValueError,
     "f1_score: expected labels to be a 1-D sequence of 0/1 labels, got a ndarray of shape (1, 2) and dtype int64"),
    (lambda: f1_score([0, 1], ["a", "b"]), TypeError,
     "f1_score: expected predictions to hold 0/1 labels, got a ndarray of shape (2,) and dtype <U1"),
    (lambda: roc_auc(np.array([0, 1]), [0.1, 0.2, 0.3]), ValueError,
     "roc_auc: expected one score per label, a 1-D sequence of 2, got shape (3,)"),
    (lambda: roc_auc([0, 1], "ab"), TypeError,
     "roc_auc: expected scores to be numbers (an array, a list or a tensor), got 'ab' (a str)"),
    (lambda: roc_auc("01", [0.1, 0.2]), TypeError,
     "roc_auc: expected labels to be a 1-D sequence of 0/1 labels, got '01' (a str)"),
    (lambda: roc_auc([1, 1], [0.1, 0.2]), ValueError,
     "roc_auc: ROC-AUC needs both classes, got 2 positive and 0 negative labels"),
    (lambda: roc_auc([0, 0, 0], [0.1, 0.2, 0.3]), ValueError,
     "roc_auc: ROC-AUC needs both classes, got 0 positive and 3 negative labels"),
    (lambda: accuracy([0, 1], [0, 1, 1]), ValueError, "accuracy: expected predictions to hold one value per label (2), got 3"),
    (lambda: accuracy([1], [0, 1, 1]), ValueError, "accuracy: expected predictions to hold one value per label (1), got 3"),
    (lambda: f1_score([0, 1], [1]), ValueError, "f1_score: expected predictions to hold one value per label (2), got 1"),
    (lambda: accuracy([], []), ValueError, "accuracy: expected at least one example, got an empty labels"),
    (lambda: f1_score([0, 0, 0], [0, 0, 0]), ValueError,
     "f1_score: F1 is undefined without a positive label or a positive prediction (all 3 labels and predictions are 0)"),
    # forecast
    (lambda: mae("a", [1.0]), TypeError,
     "mae: expected y_true to be numbers (an array, a list or a tensor), got 'a' (a str)"),
    (lambda: rmse([1.0], "a"), TypeError,
     "rmse: expected y_pred to be numbers (an array, a list or a tensor), got 'a' (a str)"),
    (lambda: mase([1.0], [1.0], "a"), TypeError,
     "mase: expected y_train to be numbers (an array, a list or a tensor), got 'a' (a str)"),
    (lambda: mase("a", [1.0], [1.0, 2.0]), TypeError,
     "mase: expected y_true to be numbers (an array, a list or a tensor), got 'a' (a str)"),
    (lambda: rmse([1.0, 2.0], [1.0]), ValueError, "rmse: expected y_true and y_pred of the same shape, got (2,) and (1,)"),
    (lambda: mase([1.0], [1.0, 2.0], [1.0, 2.0]), ValueError,
     "mase: expected y_true and y_pred of the same shape, got (1,) and (2,)"),
    (lambda: mae([], []), ValueError, "mae: expected at least one value, got empty arrays"),
    (lambda: mase([1.0], [2.0], [[1.0, 2.0], [3.0, 4.0]]), ValueError,
     "mase: expected a 1-D training series y_train, got shape (2, 2)"),
    (lambda: mase([1.0], [1.0], [1.0, 2.0], m=0), ValueError, "mase: the season length m must be a positive integer, got 0"),
    (lambda: mase([1.0], [2.0], [1.0, 2.0, 4.0], m=3), ValueError,
     "mase: the training series needs more than m=3 values to compute the seasonal naive scale, got 3"),
    (lambda: mase([1.0], [2.0], [5.0, 5.0, 5.0]), ValueError,
     "mase: the scale (in-sample MAE of the m=1 seasonal naive forecast) is 0.0; the training series repeats "
     "itself exactly every m steps, so MASE is undefined"),
    # intervals
    (lambda: pinball_loss([1.0], T([1.0]), [0.5]), TypeError,
     "pinball_loss: expected prediction to be a torch.Tensor of shape (..., Q), got a list"),
    (lambda: pinball_loss(T([[1.0]]), [1.0], [0.5]), TypeError,
     "pinball_loss: expected target to be a torch.Tensor, got a list"),
    (lambda: pinball_loss(T([[1.0]]), T([1.0]), 0.5), TypeError,
     "pinball_loss: expected quantiles to be a sequence of numbers in (0, 1), got 0.5"),
    (lambda: pinball_loss(T([[1.0]]), T([1.0]), []), ValueError,
     "pinball_loss: expected quantiles to be a sequence of numbers in (0, 1), got an empty list"),
    (lambda: pinball_loss(T([[1.0, 2.0]]), T([1.0]), [0.1, 1.0]), ValueError,
     "pinball_loss: every quantile must be a number strictly between 0 and 1, got 1.0 in quantiles=[0.1, 1.0]"),
    (lambda: pinball_loss(T([[1.0]]), T([1.0]), [0]), ValueError,
     "pinball_loss: every quantile must be a number strictly between 0 and 1, got 0 in quantiles=[0]"),
    (lambda: pinball_loss(T([[1.0]]), T([1.0]), [True]), ValueError,
     "pinball_loss: every quantile must be a number strictly between 0 and 1, got True in quantiles=[True]"),
    (lambda: pinball_loss(T([[1.0]]), T([1.0]), ["a"]), ValueError,
     "pinball_loss: every quantile must be a number strictly between 0 and 1, got 'a' (a str) in quantiles=['a']"),
    (lambda: pinball_loss(torch.zeros(2, 3), torch.zeros(2, 3), [0.5, 0.9]), ValueError,
     "pinball_loss: expected prediction of shape (2, 3, 2) (the target's shape and one value per quantile), "
     "got (2, 3)"),
    (lambda: mase_by_horizon("a", [[1.0]], [1.0, 2.0], 1), TypeError,
     "mase_by_horizon: expected y_true to be numbers (an array, a list or a tensor), got 'a' (a str)"),
    (lambda: mase_by_horizon([[1.0]], "a", [1.0, 2.0], 1), TypeError,
     "mase_by_horizon: expected y_pred to be numbers (an array, a list or a tensor), got 'a' (a str)"),
    (lambda: mase_by_horizon([1.0, 2.0], [1.0, 2.0], [1.0, 2.0], 1), ValueError,
     "mase_by_horizon: expected y_true and y_pred of the same shape (N, K), got (2,) and (2,)"),
    (lambda: mase_by_horizon([[1.0, 2.0]], [[1.0], [2.0]], [1.0, 2.0], 1), ValueError,
     "mase_by_horizon: expected y_true and y_pred of the same shape (N, K), got (1, 2) and (2, 1)"),
    (lambda: mase_by_horizon([[1.0]], [[1.0]], [1.0, 2.0], 0), ValueError,
     "mase_by_horizon: the season length m must be a positive integer, got 0"),
    (lambda: coverage("a", [1.0], [2.0]), TypeError,
     "coverage: expected y_true to be numbers (an array, a list or a tensor), got 'a' (a str)"),
    (lambda: coverage([1.0], "a", [2.0]), TypeError,
     "coverage: expected lower to be numbers (an array, a list or a tensor), got 'a' (a str)"),
    (lambda: coverage([1.0], [0.0], "a"), TypeError,
     "coverage: expected upper to be numbers (an array, a list or a tensor), got 'a' (a str)"),
    (lambda: coverage([1.0, 2.0], [0.0, 1.0, 2.0], [3.0, 4.0]), ValueError,
     "coverage: expected y_true, lower and upper of one non-empty shape, got (2,), (3,) and (2,)"),
    (lambda: coverage([1.0, 2.0], [0.0, 1.0], [3.0, 4.0, 5.0]), ValueError,
     "coverage: expected y_true, lower and upper of one non-empty shape, got (2,), (2,) and (3,)"),
    (lambda: coverage([1.0], [0.0, 1.0], [3.0, 4.0]), ValueError,
     "coverage: expected y_true, lower and upper of one non-empty shape, got (1,), (2,) and (2,)"),
    (lambda: coverage([], [], []), ValueError,
     "coverage: expected y_true, lower and upper of one non-empty shape, got (0,), (0,) and (0,)"),
    (lambda: coverage([1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 3.0, 5.0], [0.0, 2.0, 1.0, 4.0]), ValueError,
     "coverage: expected lower <= upper everywhere, got lower 3 > upper 1 at flat index 2"),
    (lambda: conformal_margin([1.0, 2.0], [0.0], [3.0], 0.5), ValueError,
     "coverage: expected y_true, lower and upper of one non-empty shape, got (2,), (1,) and (1,)"),
    (lambda: conformal_margin([1.0], [0.0], [3.0], 1), ValueError,
     "conformal_margin: expected level to be a number strictly between 0 and 1, got 1"),
    (lambda: conformal_margin([1.0], [0.0], [3.0], 0), ValueError,
     "conformal_margin: expected level to be a number strictly between 0 and 1, got 0"),
    (lambda: conformal_margin([1.0], [0.0], [3.0], True), ValueError,
     "conformal_margin: expected level to be a number strictly between 0 and 1, got True"),
    (lambda: conformal_margin([1.0], [0.0], [3.0], "0.9"), ValueError,
     "conformal_margin: expected level to be a number strictly between 0 and 1, got '0.9' (a str)"),
    (lambda: conformal_margin([1.0, 2.0, 3.0], [0.0] * 3, [4.0] * 3, 0.9), ValueError,
     "conformal_margin: level=0.9 needs at least 9 calibration values (ceil((n + 1)·level) <= n), got n=3"),
    (lambda: conformal_margin([1.0, 2.0, 3.0], [0.0] * 3, [4.0] * 3, 0.8), ValueError,
     "conformal_margin: level=0.8 needs at least 4 calibration values (ceil((n + 1)·level) <= n), got n=3"),
    # direction
    (lambda: directional_accuracy([1.0], [1.0, 2.0]), ValueError,
     "directional_accuracy: expected y_true and y_pred of the same shape, got (1,) and (2,)"),
    (lambda: chance_agreement([1.0], "a"), TypeError,
     "chance_agreement: expected y_pred to be numbers (an array, a list or a tensor), got 'a' (a str)"),
    (lambda: wilson_interval(1, 0), ValueError, "wilson_interval: n must be a positive integer, got 0"),
    (lambda: wilson_interval(-1, 5), ValueError, "wilson_interval: successes must be a non-negative integer, got -1"),
    (lambda: wilson_interval(6, 5), ValueError, "wilson_interval: successes must be at most n=5, got 6"),
    (lambda: wilson_interval(1, 5, level=0), ValueError, "wilson_interval: level must be positive, got 0"),
    (lambda: wilson_interval(1, 5, level=1), ValueError, "wilson_interval: level must be between 0 and 1, got 1"),
    (lambda: wilson_interval(1, 5, level="a"), TypeError, "wilson_interval: expected level to be a number, got 'a' (a str)"),
    (lambda: binomial_p_value(1, 2.0), ValueError, "binomial_p_value: n must be a positive integer, got 2.0"),
    (lambda: binomial_p_value(-1, 5), ValueError, "binomial_p_value: successes must be a non-negative integer, got -1"),
    (lambda: binomial_p_value(6, 5), ValueError, "binomial_p_value: successes must be at most n=5, got 6"),
    (lambda: binomial_p_value(1, 5, p=0), ValueError, "binomial_p_value: p must be positive, got 0"),
    (lambda: binomial_p_value(1, 5, p=1), ValueError, "binomial_p_value: p must be between 0 and 1, got 1"),
    (lambda: binomial_p_value(1, 5, p=1.5), ValueError, "binomial_p_value: p must be between 0 and 1, got 1.5"),
    (lambda: binomial_p_value(1, 5, p="a"), TypeError, "binomial_p_value: expected p to be a number, got 'a' (a str)"),
    (lambda: lagged_correlation(np.zeros((2, 3)), np.zeros((2, 3)), 0), ValueError,
     "lagged_correlation: expected 1-D series, got shape (2, 3)"),
    (lambda: lagged_correlation([1.0], [1.0, 2.0], 0), ValueError,
     "lagged_correlation: expected y_true and y_pred of the same shape, got (1,) and (2,)"),
    (lambda: lagged_correlation([1.0, 2.0, 3.0], [1.0, 3.0, 2.0], -1), ValueError,
     "lagged_correlation: max_lag must be a non-negative integer, got -1"),
    (lambda: lagged_correlation([1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 5.0], 2), ValueError,
     "lagged_correlation: series of length 4 are too short for max_lag=2 (need at least 5 values)"),
    (lambda: lagged_correlation([1.0, 2.0], [1.0, 3.0], 0), ValueError,
     "lagged_correlation: series of length 2 are too short for max_lag=0 (need at least 3 values)"),
    (lambda: lagged_correlation([1.0, 2.0, 4.0, 3.0, 5.0], [5.0, 1.0, 1.0, 1.0, 1.0], 2), ValueError,
     "lagged_correlation: a series is constant at lag 1; its correlation is undefined"),
    (lambda: lagged_correlation([1.0, 1.0, 1.0, 1.0, 5.0], [5.0, 1.0, 2.0, 4.0, 3.0], 2), ValueError,
     "lagged_correlation: a series is constant at lag 1; its correlation is undefined"),
    # language
    (lambda: cross_entropy([[0.0]], T([0])), TypeError, "cross_entropy: expected logits to be a torch.Tensor, got list"),
    (lambda: cross_entropy(T([[0.0]]), [0]), TypeError, "cross_entropy: expected targets to be a torch.Tensor, got list"),
    (lambda: cross_entropy(T([[0.0]]), T([0]), ignore_index=1.5), ValueError,
     "cross_entropy: ignore_index must be an integer, got 1.5"),
    (lambda: cross_entropy(T([[0, 1]]), T([0])), TypeError,
     "cross_entropy: expected floating-point logits, got dtype torch.int64"),
    (lambda: cross_entropy(T([[0.0, 1.0]]), T([0.0])), TypeError,
     "cross_entropy: expected integer targets (token ids), got dtype torch.float32"),
    (lambda: cross_entropy(T([[0.0, 1.0]]), T([True])), TypeError,
     "cross_entropy: expected integer targets (token ids), got dtype torch.bool"),
    (lambda: cross_entropy(T([0.0, 1.0, 2.0]), T(1)), ValueError,
     "cross_entropy: expected logits (N, V) with targets (N,) or logits (B, T, V) with targets (B, T), got logits "
     "(3,) and targets ()"),
    (lambda: cross_entropy(torch.zeros(2, 3, 4), torch.zeros(2, dtype=torch.long)), ValueError,
     "cross_entropy: expected logits (N, V) with targets (N,) or logits (B, T, V) with targets (B, T), got logits "
     "(2, 3, 4) and targets (2,)"),
    (lambda: cross_entropy(torch.zeros(2, 3), torch.zeros(3, dtype=torch.long)), ValueError,
     "cross_entropy: expected logits (N, V) with targets (N,) or logits (B, T, V) with targets (B, T), got logits "
     "(2, 3) and targets (3,)"),
    (lambda: cross_entropy(torch.zeros(3, 4), T([-100, -100, -100])), ValueError,
     "cross_entropy: expected at least one target that is not ignore_index=-100, got targets (3,) with none"),
    (lambda: cross_entropy(torch.zeros(2, 4), T([0, 4])), ValueError,
     "cross_entropy: the logits give 4 tokens, so targets must be in [0, 3], got 4"),
    (lambda: cross_entropy(torch.zeros(2, 4), T([-1, 2])), ValueError,
     "cross_entropy: the logits give 4 tokens, so targets must be in [0, 3], got -1"),
    (lambda: cross_entropy(torch.zeros(2, 4), T([-1, 2]), ignore_index=2), ValueError,
     "cross_entropy: the logits give 4 tokens, so targets must be in [0, 3], got -1"),
    (lambda: cross_entropy(T([[0.0, float("nan")], [0.0, 1.0]]), T([0, 1])), ValueError,
     "cross_entropy: the cross-entropy is nan: the logits hold NaN or infinite values"),
    (lambda: perplexity(-1), ValueError, "perplexity: cross_entropy must be >= 0, got -1"),
    (lambda: perplexity("1"), TypeError, "perplexity: expected cross_entropy to be a number, got '1' (a str)"),
    (lambda: bits_per_character(-0.5), ValueError, "bits_per_character: cross_entropy must be >= 0, got -0.5"),
    (lambda: bits_per_character("1"), TypeError,
     "bits_per_character: expected cross_entropy to be a number, got '1' (a str)"),
    (lambda: bits_per_character(1.0, 0), ValueError, "bits_per_character: characters_per_token must be positive, got 0"),
    (lambda: bits_per_character(1.0, "2"), TypeError,
     "bits_per_character: expected characters_per_token to be a number, got '2' (a str)"),
    # text
    (lambda: brevity_penalty(1.5, 2), ValueError, "brevity_penalty: hyp_len must be a non-negative integer, got 1.5"),
    (lambda: brevity_penalty(2, "3"), ValueError,
     "brevity_penalty: ref_len must be a non-negative integer, got '3' (a str)"),
    (lambda: modified_precision("x", ["x"], 1), TypeError,
     "modified_precision: expected hypothesis to be a list of tokens, got 'x' (a str); split it first, e.g. text.split()"),
    (lambda: modified_precision(["a"], None, 2), TypeError,
     "modified_precision: expected reference to be a list of tokens, got None"),
    (lambda: bleu([], []), ValueError,
     "bleu: expected hypotheses to be a list of strings (one hypothesis per item), got an empty list"),
    (lambda: bleu(("a",), ()), ValueError,
     "bleu: expected references to be a list of strings (one reference per item), got an empty tuple"),
    (lambda: modified_precision(5, ["a"], 1), TypeError, "modified_precision: expected hypothesis to be a list of tokens, got 5"),
    (lambda: modified_precision(["a"], ["a"], 1.0), ValueError, "modified_precision: n must be a positive integer, got 1.0"),
    (lambda: bleu("a b", ["a b"]), TypeError,
     "bleu: expected hypotheses to be a list of strings (one hypothesis per item), got 'a b' (a str)"),
    (lambda: bleu(["a b"], "a b"), TypeError,
     "bleu: expected references to be a list of strings (one reference per item), got 'a b' (a str)"),
    (lambda: bleu(["a b", "c"], ["a b"]), ValueError, "bleu: 2 hypotheses but 1 references"),
    (lambda: bleu(["a b"], ["a b"], max_order=1.0), ValueError, "bleu: max_order must be a positive integer, got 1.0"),
    (lambda: exact_matches(5, ["a"]), TypeError,
     "exact_matches: expected hypotheses to be a list of hypotheses (strings or token lists), got 5"),
    (lambda: exact_matches(["a"], "a"), TypeError,
     "exact_matches: expected references to be a list of references (strings or token lists), got 'a' (a str)"),
    (lambda: exact_matches(["a", "b"], ["a"]), ValueError,
     "exact_matches: expected as many hypotheses as references, got 2 and 1"),
    (lambda: exact_match(["a"], ["a", "b"]), ValueError,
     "exact_matches: expected as many hypotheses as references, got 1 and 2"),
    (lambda: exact_matches(["a", T([1, 2])], ["a", T([1, 2])]), TypeError,
     "exact_matches: expected True or False from comparing hypothesis 1 with its reference, got a Tensor of shape "
     "(2,) and dtype torch.bool; pass strings or token lists (a tensor's .tolist())"),
    (lambda: exact_match([np.array([1, 2])], [np.array([1, 3])]), TypeError,
     "exact_matches: expected True or False from comparing hypothesis 0 with its reference, got a ndarray of shape "
     "(2,) and dtype bool; pass strings or token lists (a tensor's .tolist())"),
    (lambda: exact_match([], []), ValueError, "exact_match: expected at least one pair, got none"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[f"{i}-{m[:30]}" for i, (_, _, m) in enumerate(ERRORS)])
def test_metric_errors_name_the_function_the_argument_and_what_came(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == message


@pytest.mark.parametrize("metric", [accuracy, f1_score, roc_auc])
def test_classifier_metrics_name_the_first_value_that_is_not_a_label(metric):
    """The message shows the first value outside {0, 1} (2 here, not 0, 1 or the later 3)."""
    with pytest.raises(ValueError) as caught:
        metric([0, 1, 2, 3], [0, 1, 1, 0])
    assert re.fullmatch(rf"{metric.__name__}: expected labels to hold only 0 and 1 \(a binary task\), "
                        r"got (2|np\.int64\(2\))", str(caught.value))


# ---------------------------------------------------------------------------------------------------
# anomaly
# ---------------------------------------------------------------------------------------------------

def _sklearn_prf(labels, flags):
    p, r, f, _ = skm.precision_recall_fscore_support(labels, flags, average="binary", zero_division=0)
    return {"precision": p, "recall": r, "f1": f}


@pytest.mark.parametrize("labels, flags", [
    ([0, 1, 1, 0, 1, 0, 0, 1], [1, 1, 0, 0, 1, 1, 1, 0]),  # TP 2, flagged 5, labelled 4
    ([0, 0, 1, 0], [1, 1, 1, 1]),  # TP 1, flagged 4, labelled 1
    ([1, 0], [0, 0]),  # nothing flagged: precision 0 by convention, F1 0
    ([1, 0, 0], [0, 1, 1]),  # flagged but none right: precision 0, recall 0, F1 0
    ([1, 1, 0, 0], [1, 0, 1, 0]),  # precision 1/2, recall 1/2: F1 1/2
    ([0, 1, 0], [0, 1, 0]),  # one labelled point, found: all 1
])
def test_point_scores_equal_scikit_learn(labels, flags):
    got = point_scores(labels, flags)
    assert set(got) == {"precision", "recall", "f1"}
    want = _sklearn_prf(labels, flags)
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-12), key


def test_point_scores_count_points_with_torch_input():
    """Hand-worked: 2 of 5 flags right, 2 of 4 labels found: P 0.4, R 0.5, F1 = 2·0.2/0.9 = 4/9."""
    got = point_scores(T([0, 1, 1, 0, 1, 0, 0, 1]), T([1, 1, 0, 0, 1, 1, 1, 0]))
    assert got == pytest.approx({"precision": 0.4, "recall": 0.5, "f1": 4 / 9})


def test_event_scores_count_each_event_and_each_alarm_once():
    """Events (1,3), (5,6), (8,10); alarms (0,1) false, (2,4) hits the first event, (6,7) false, (9,10) hits the
    third: recall 2/3 (events found), precision 2/4 (alarms true), F1 = 2·(1/2)(2/3)/(7/6) = 4/7."""
    labels = [0, 1, 1, 0, 0, 1, 0, 0, 1, 1]
    flags = [1, 0, 1, 1, 0, 0, 1, 0, 0, 1]
    assert event_scores(labels, flags) == pytest.approx({"precision": 0.5, "recall": 2 / 3, "f1": 4 / 7})


@pytest.mark.parametrize("labels, flags, want", [
    ([0, 1, 1, 0], [0, 0, 0, 0], {"precision": 0.0, "recall": 0.0, "f1": 0.0}),  # no alarm at all
    ([0, 1, 1, 0], [1, 0, 0, 1], {"precision": 0.0, "recall": 0.0, "f1": 0.0}),  # alarms that miss
    ([1, 1, 0, 0, 0], [0, 1, 0, 0, 0], {"precision": 1.0, "recall": 1.0, "f1": 1.0}),  # one point of one event
    ([1, 0, 0, 1, 0, 0], [1, 1, 0, 0, 0, 1], {"precision": 0.5, "recall": 0.5, "f1": 0.5}),
])
def test_event_scores_hand_worked_edge_cases(labels, flags, want):
    assert event_scores(labels, flags) == pytest.approx(want)


def test_false_alarms_are_alarms_touching_no_event_per_period():
    """Alarms (0,1) false, (2,3) true, (5,7) false: 2 false alarms in 8 points, per 6 points: 2·6/8 = 1.5."""
    labels = [0, 1, 1, 0, 0, 0, 0, 0]
    flags = [1, 0, 1, 0, 0, 1, 1, 0]
    assert false_alarms(labels, flags, 6) == 1.5
    assert false_alarms(labels, [0] * 8, 6) == 0.0
    assert false_alarms(labels, labels, 6) == 0.0


@pytest.mark.parametrize("labels, scores", [
    ([0, 1, 1, 0, 1], [0.1, 0.4, 0.4, 0.8, 0.9]),  # a tie
    ([1, 0, 0, 1, 0, 1], [0.3, 0.3, 0.3, 0.2, 0.9, 0.9]),  # ties at the top and in the middle
    ([0, 0, 1], [0.5, 0.2, 0.1]),  # one positive, scored lowest
    ([1, 0, 1, 0], [4.0, 3.0, 2.0, 1.0]),  # all distinct
])
def test_precision_recall_curve_equals_scikit_learn(labels, scores):
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    want_p, want_r, want_t = skm.precision_recall_curve(labels, scores)
    np.testing.assert_allclose(thresholds, want_t, rtol=0, atol=0)
    np.testing.assert_allclose(precision, want_p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(recall, want_r, rtol=0, atol=1e-12)


def test_precision_recall_curve_hand_worked():
    """Scores 0.9 (1), 0.8 (0), 0.4 (1), 0.4 (1), 0.1 (0); thresholds 0.1, 0.4, 0.8, 0.9 flag 5, 4, 2, 1 points
    with 3, 3, 1, 1 true: precision 3/5, 3/4, 1/2, 1, then 1; recall 1, 1, 1/3, 1/3, then 0."""
    precision, recall, thresholds = precision_recall_curve([0, 1, 1, 0, 1], [0.1, 0.4, 0.4, 0.8, 0.9])
    np.testing.assert_allclose(thresholds, [0.1, 0.4, 0.8, 0.9])
    np.testing.assert_allclose(precision, [3 / 5, 3 / 4, 1 / 2, 1.0, 1.0])
    np.testing.assert_allclose(recall, [1.0, 1.0, 1 / 3, 1 / 3, 0.0])


# ---------------------------------------------------------------------------------------------------
# classify
# ---------------------------------------------------------------------------------------------------

def test_accuracy_and_f1_hand_worked():
    """TP 2, FN 3, FP 4, TN 1: accuracy 3/10, F1 = 2·2 / (2·2 + 4 + 3) = 4/11."""
    labels = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    predictions = [1, 1, 0, 0, 0, 1, 1, 1, 1, 0]
    assert accuracy(labels, predictions) == pytest.approx(0.3)
    assert f1_score(labels, predictions) == pytest.approx(4 / 11)


@pytest.mark.parametrize("labels, predictions", [
    ([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 1, 1, 1, 1, 0]),
    ([1, 0], [0, 1]),  # TP 0, FP 1, FN 1: F1 0 (defined)
    ([1, 1, 0, 0], [1, 0, 1, 1]),  # TP 1, FP 2, FN 1: F1 2/5
    ([1, 0], [1, 0]),  # TP 1 only: F1 1
    ([0, 0, 0], [0, 1, 0]),  # no positive label, one false positive: F1 0
    ([1], [1]),  # one example
])
def test_accuracy_and_f1_equal_scikit_learn(labels, predictions):
    assert accuracy(labels, predictions) == pytest.approx(skm.accuracy_score(labels, predictions), abs=1e-12)
    assert f1_score(labels, predictions) == pytest.approx(skm.f1_score(labels, predictions, zero_division=0), abs=1e-12)


def test_classifier_metrics_take_bools_floats_and_tensors():
    labels = [True, False, True, True]
    predictions = T([1, 1, 0, 1])
    assert accuracy(labels, predictions) == 0.5
    assert f1_score(np.array([1.0, 0.0, 1.0, 1.0]), predictions) == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))


@pytest.mark.parametrize("labels, scores", [
    ([0, 1, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.35, 0.2, 0.7]),  # a tie across the classes
    ([1, 0, 1, 0, 0], [0.5, 0.5, 0.5, 0.1, 0.2]),  # a tie of three at the top, at the end of the sort
    ([0, 0, 1, 1, 0, 1], [3.0, 1.0, 2.0, 2.0, 0.0, 5.0]),  # a tie within a class
    ([1, 0, 1], [0.2, 0.9, 0.2]),  # ties at the bottom; AUC 0
    ([0, 1, 1, 0, 1], [0.7, 0.7, 0.1, 0.9, 0.7]),
])
def test_roc_auc_equals_scikit_learn(labels, scores):
    assert roc_auc(labels, scores) == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)


def test_roc_auc_counts_pairs_by_hand():
    """Positives 0.4, 0.8, 0.35, 0.7; negatives 0.1, 0.35, 0.2. Pairs the positive wins: 0.4 → 3, 0.8 → 3,
    0.35 → 2 and a tie (2.5), 0.7 → 3: U = 11.5 of 12 pairs."""
    labels = [0, 1, 0, 1, 1, 0, 1]
    scores = [0.1, 0.4, 0.35, 0.8, 0.35, 0.2, 0.7]
    assert roc_auc(labels, scores) == pytest.approx(11.5 / 12)
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    pairs = [(p > n) + 0.5 * (p == n) for p in pos for n in neg]
    assert roc_auc(labels, scores) == pytest.approx(sum(pairs) / len(pairs))


def test_roc_auc_of_random_scores_with_many_ties_equals_scikit_learn(rng):
    labels = rng.integers(0, 2, size=40)
    labels[:2] = [0, 1]
    scores = rng.integers(0, 6, size=40).astype(float)
    assert roc_auc(labels, scores) == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)


# ---------------------------------------------------------------------------------------------------
# direction
# ---------------------------------------------------------------------------------------------------

def test_directional_accuracy_counts_zero_as_not_up():
    """Up: true [T, F, F, T, T, F], forecast [T, F, T, F, T, F]: agree at 0, 1, 4, 5: 4/6 (changes of 0 and
    changes between 0 and 1 included, so that "up" must mean "> 0")."""
    y_true = [0.5, 0.0, -1.0, 2.0, 1.5, -0.2]
    y_pred = [0.6, 0.0, 0.5, -3.0, 0.8, -1.0]
    assert directional_accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    # The same from the signs, written another way.
    agree = [(t > 0) is (p > 0) for t, p in zip(y_true, y_pred)]
    assert directional_accuracy(y_true, y_pred) == pytest.approx(sum(agree) / len(agree))


@pytest.mark.parametrize("y_true, y_pred", [
    ([0.5, 0.0, -1.0, 2.0, 0.3], [0.0, 0.2, 3.0, -1.0, -2.0]),  # u 0.6, q 0.4: 0.48
    ([0.5, 0.0, -1.0, 2.0, 0.3, 1.0], [0.5, 0.5, 1.5, -1.0, 0.0, 3.0]),
])
def test_chance_agreement_is_the_mean_agreement_over_all_pairings(y_true, y_pred):
    """Independence: pair every true step with every forecast step; the mean agreement is u·q + (1-u)(1-q)."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    all_pairings = np.mean((t[:, None] > 0) == (p[None, :] > 0))
    assert chance_agreement(y_true, y_pred) == pytest.approx(all_pairings, abs=1e-12)


def test_chance_agreement_hand_worked():
    """u = 3/5 of the true steps up (0 is not up), q = 2/5 of the forecasts: 0.6·0.4 + 0.4·0.6 = 0.48."""
    assert chance_agreement([0.5, 0.0, -1.0, 2.0, 0.3], [0.0, 0.2, 3.0, -1.0, -2.0]) == pytest.approx(0.48)


@pytest.mark.parametrize("k, n, level", [(0, 10, 0.95), (10, 10, 0.95), (3, 10, 0.95), (7, 20, 0.9),
                                         (1, 3, 0.5), (45, 50, 0.99), (2, 7, 0.999999)])
def test_wilson_interval_equals_statsmodels(k, n, level):
    low, high = wilson_interval(k, n, level)
    want_low, want_high = proportion_confint(k, n, alpha=1 - level, method="wilson")
    assert low == pytest.approx(want_low, abs=1e-12)
    assert high == pytest.approx(want_high, abs=1e-12)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_wilson_interval_hand_worked_and_default_level():
    """z for 95 %: NormalDist().inv_cdf(0.975). At 0 of n, low is 0 and high z²/(n + z²)."""
    z = statistics.NormalDist().inv_cdf(0.975)
    n = 10
    low, high = wilson_interval(0, n)
    assert low == 0.0
    assert high == pytest.approx(z * z / (n + z * z), abs=1e-12)
    assert wilson_interval(3, 10) == wilson_interval(3, 10, 0.95)
    assert wilson_interval(3, 10) != pytest.approx(wilson_interval(3, 10, 0.9))


def test_wilson_interval_stays_inside_zero_one_at_the_ends():
    """At k = 0 and k = n the formula's bound is 0 or 1 exactly; rounding must not leave [0, 1]."""
    for n in range(1, 60):
        for level in (0.5, 0.8, 0.9, 0.95, 0.99):
            low, high = wilson_interval(n, n, level)
            assert high <= 1.0 and low > 0
            low, high = wilson_interval(0, n, level)
            assert low >= 0.0 and high < 1


@pytest.mark.parametrize("k, n, p", [(3, 10, 0.5), (7, 10, 0.5), (0, 10, 0.5), (10, 10, 0.5), (5, 10, 0.5),
                                     (2, 12, 0.3), (9, 12, 0.3), (1, 1, 0.5), (60, 100, 0.5), (4, 9, 0.8)])
def test_binomial_p_value_equals_scipy(k, n, p):
    assert binomial_p_value(k, n, p) == pytest.approx(binomtest(k, n, p).pvalue, rel=1e-9, abs=1e-15)


def test_binomial_p_value_hand_worked_and_default_p():
    """3 of 10 at p = 1/2: outcomes no more likely than 3 are 0-3 and 7-10: 2·(1 + 10 + 45 + 120)/1024."""
    assert binomial_p_value(3, 10) == pytest.approx(2 * 176 / 1024, rel=1e-12)
    assert binomial_p_value(3, 10) == binomial_p_value(3, 10, 0.5)
    assert binomial_p_value(3, 10) != pytest.approx(binomial_p_value(3, 10, 0.3))
    assert binomial_p_value(5, 10) == pytest.approx(1.0, abs=1e-12)  # the most likely outcome: every outcome counts
    for k, n in [(2, 3), (3, 6), (7, 14)]:  # where the rounded sum of all n + 1 probabilities exceeds 1
        assert binomial_p_value(k, n) == 1.0  # a probability: capped at 1


def _lagged_reference(y_true, y_pred, max_lag):
    truth, forecast = pd.Series(y_true), pd.Series(y_pred)
    return [forecast.corr(truth.shift(k)) for k in range(max_lag + 1)]


def test_lagged_correlation_equals_pandas_shifted_correlation(rng):
    y_true = rng.normal(size=12)
    y_pred = np.r_[0.0, y_true[:-1]] + 0.3 * rng.normal(size=12)  # mostly yesterday's value
    got = lagged_correlation(y_true, y_pred, 3)
    assert got.shape == (4,)
    np.testing.assert_allclose(got, _lagged_reference(y_true, y_pred, 3), rtol=0, atol=1e-12)


def test_lagged_correlation_at_the_shortest_allowed_length():
    """Length max_lag + 3 is allowed: at the last lag 3 pairs remain."""
    y_true, y_pred = [1.0, 2.0, 4.0, 3.0, 7.0], [2.0, 1.0, 5.0, 4.0, 6.0]
    np.testing.assert_allclose(lagged_correlation(y_true, y_pred, 2), _lagged_reference(y_true, y_pred, 2), atol=1e-12)
    np.testing.assert_allclose(lagged_correlation(y_true, y_pred, 0), _lagged_reference(y_true, y_pred, 0), atol=1e-12)


# ---------------------------------------------------------------------------------------------------
# forecast
# ---------------------------------------------------------------------------------------------------

def test_mae_rmse_hand_worked():
    """Errors 1, -2, 3 (and a single value): MAE 2, RMSE sqrt(14/3)."""
    y_true, y_pred = [2.0, 0.0, 5.0], [1.0, 2.0, 2.0]
    assert mae(y_true, y_pred) == pytest.approx(2.0)
    assert rmse(y_true, y_pred) == pytest.approx(math.sqrt(14 / 3))
    assert mae([1.0], [3.0]) == 2.0 and rmse([1.0], [-2.0]) == 3.0


def test_mase_hand_worked():
    """y_train 1, 3, 2, 5: lag-1 changes 2, 1, 3 (scale 2), lag-2 changes 1, 2 (scale 1.5).
    Errors of the forecast |4-5|, |6-4|: MAE 1.5, so MASE 0.75 (m=1, the default) and 1.0 (m=2)."""
    y_train = [1.0, 3.0, 2.0, 5.0]
    assert mase([4.0, 6.0], [5.0, 4.0], y_train) == pytest.approx(0.75)
    assert mase([4.0, 6.0], [5.0, 4.0], y_train, m=1) == pytest.approx(0.75)
    assert mase([4.0, 6.0], [5.0, 4.0], y_train, m=2) == pytest.approx(1.0)
    assert mase([4.0, 6.0], [5.0, 4.0], y_train, m=3) == pytest.approx(1.5 / 4.0)  # one change: 5 - 1
    assert mase([1.0], [1.25], [0.0, 0.5, 1.0]) == pytest.approx(0.25 / 0.5)  # a scale below 1 is a scale


# ---------------------------------------------------------------------------------------------------
# intervals
# ---------------------------------------------------------------------------------------------------

def _pinball_reference(prediction, target, quantiles):
    """Written from the case definition: q·e for e >= 0, (q - 1)·e for e < 0, e = y - ŷ_q."""
    pred, y = prediction.detach().numpy().astype(np.float64), target.detach().numpy().astype(np.float64)
    total, count = 0.0, 0
    for j, q in enumerate(quantiles):
        e = y - pred[..., j]
        total += np.sum(np.where(e >= 0, q * e, (q - 1) * e))
        count += e.size
    return total / count


def test_pinball_loss_equals_its_case_definition(rng):
    target = torch.from_numpy(rng.normal(size=(2, 3)))
    prediction = torch.from_numpy(rng.normal(size=(2, 3, 3)))
    quantiles = [0.1, 0.5, 0.9]
    got = pinball_loss(prediction, target, quantiles)
    assert got.dtype == torch.float64
    assert float(got) == pytest.approx(_pinball_reference(prediction, target, quantiles), rel=1e-13, abs=0)


def test_pinball_loss_hand_worked():
    """Target 1, forecasts of the 0.25 and 0.75 quantiles 3 and -1: errors -2 and 2, losses 0.75·2 and 0.75·2:
    mean 1.5. At q = 0.5 it is half the absolute error."""
    assert float(pinball_loss(T([[3.0, -1.0]]), T([1.0]), [0.25, 0.75])) == pytest.approx(1.5)
    assert float(pinball_loss(T([[3.0, -1.0]]), T([1.0]), [0.75, 0.25])) == pytest.approx(0.5)
    assert float(pinball_loss(T([[3.0], [0.0]]), T([1.0, 2.0]), (0.5,))) == pytest.approx(0.5 * (2 + 2) / 2)
    assert float(pinball_loss(T([[1.0]]), T([1.0]), [np.float64(0.3)])) == 0.0


def test_mase_by_horizon_is_the_mase_of_each_column():
    """y_train 1, 3, 2, 5 (lag-1 scale 2, lag-2 scale 1.5). Column errors: |1|, |3| (MAE 2) and |0|, |2| (MAE 1)."""
    y_true = np.array([[1.0, 2.0], [4.0, 0.0]])
    y_pred = np.array([[2.0, 2.0], [1.0, 2.0]])
    y_train = [1.0, 3.0, 2.0, 5.0]
    np.testing.assert_allclose(mase_by_horizon(y_true, y_pred, y_train, 1), [2.0 / 2, 1.0 / 2])
    np.testing.assert_allclose(mase_by_horizon(y_true, y_pred, y_train, 2), [2.0 / 1.5, 1.0 / 1.5])
    np.testing.assert_allclose(mase_by_horizon(y_true[:, :1].T, y_pred[:, :1].T, y_train, 1), [0.5, 1.5])


def test_coverage_counts_the_bounds_as_inside():
    """Inside: on the lower bound, on the upper bound, strictly inside; outside: below and above: 3/5."""
    y_true = [0.0, 2.0, 1.0, -1.0, 3.0]
    lower = [0.0, 0.0, 0.0, 0.0, 0.0]
    upper = [2.0, 2.0, 2.0, 2.0, 2.0]
    assert coverage(y_true, lower, upper) == pytest.approx(3 / 5)
    assert coverage([[1.0, 5.0]], [[1.0, 5.0]], [[1.0, 5.0]]) == 1.0  # zero-width intervals, 2-D


def test_conformal_margin_hand_worked():
    """Scores max(lower - y, y - upper): -1, 1, 0.5, 2; sorted -1, 0.5, 1, 2. level 0.6: ceil(5·0.6) = 3rd: 1;
    level 0.75: ceil(3.75) = 4th: 2; level 0.2: ceil(1.0) = 1st: -1 (narrows the intervals)."""
    y_true = [1.0, 5.0, 3.5, 10.0]
    lower = [0.0, 0.0, 4.0, 2.0]
    upper = [2.0, 4.0, 6.0, 8.0]
    assert conformal_margin(y_true, lower, upper, 0.6) == 1.0
    assert conformal_margin(y_true, lower, upper, 0.75) == 2.0
    assert conformal_margin(y_true, lower, upper, 0.2) == -1.0
    assert conformal_margin(y_true[:3], lower[:3], upper[:3], 0.75) == 1.0  # rank ceil(4·0.75) = n = 3: the largest


def test_conformal_margin_is_the_smallest_widening_that_covers_the_rank(rng):
    """Written another way: the k-th smallest c for which at least k of the widened intervals cover."""
    n, level = 19, 0.9
    y = rng.normal(size=n)
    centre = y + rng.normal(size=n)
    lower, upper = centre - 0.5, centre + 0.5
    c = conformal_margin(y, lower, upper, level)
    k = math.ceil((n + 1) * level)
    # c is one of the scores, so one interval ends exactly at its y: allow for the rounding of lower - c and
    # upper + c (1e-12), and show that a widening smaller by 1e-9 covers too few (normal draws: no ties that close)
    covered = lambda margin, slack: np.sum((lower - margin - slack <= y) & (y <= upper + margin + slack))
    assert covered(c, 1e-12) >= k
    assert covered(c - 1e-9, 0.0) < k


def test_conformal_margin_computes_in_float64_whatever_the_input_dtype(rng):
    """float32 tensors give the margin of their values converted to float64 (subtracting in float32 would round)."""
    y = torch.from_numpy(rng.normal(size=9)).float()
    lower = y - torch.from_numpy(rng.uniform(0.1, 1.0, size=9)).float()
    upper = y + torch.from_numpy(rng.uniform(0.1, 1.0, size=9)).float()
    lower[::3] += 1.5  # some points below their interval
    upper[::3] += 1.5
    c = conformal_margin(y, lower, upper, 0.7)
    y64, l64, u64 = (v.double().numpy() for v in (y, lower, upper))
    scores = sorted(max(a - b, b - d) for a, b, d in zip(l64, y64, u64))
    assert c == scores[math.ceil(10 * 0.7) - 1]
    # Differences that float32 cannot hold exactly: 1000.1 - 0.7 needs more than 24 bits of mantissa.
    y, lower, upper = (torch.tensor(v, dtype=torch.float32) for v in ([1000.1, 2.7, -3.3], [0.3, 0.1, -5.0],
                                                                       [0.7, 3.0, -4.0]))
    assert conformal_margin(y, lower, upper, 0.75) == float(y[0].double() - upper[0].double())


# ---------------------------------------------------------------------------------------------------
# language
# ---------------------------------------------------------------------------------------------------

def _cross_entropy_reference(logits, targets, ignore_index):
    """Mean of -log softmax(logits)[target] over the targets that are not ignore_index, in NumPy float64."""
    z = logits.reshape(-1, logits.shape[-1]).double().numpy()
    t = targets.reshape(-1).numpy()
    log_softmax = z - z.max(axis=1, keepdims=True)
    log_softmax = log_softmax - np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
    keep = t != ignore_index
    return float(-np.mean(log_softmax[np.flatnonzero(keep), t[keep]]))


def test_cross_entropy_equals_numpy_log_softmax(rng):
    logits = torch.from_numpy(rng.normal(size=(2, 3, 5))).float()  # B 2, T 3, V 5
    targets = T([[0, 4, 2], [-100, 3, 1]])
    assert cross_entropy(logits, targets) == pytest.approx(_cross_entropy_reference(logits, targets, -100), rel=1e-12)
    flat = logits.reshape(6, 5)
    assert cross_entropy(flat, targets.reshape(6)) == pytest.approx(cross_entropy(logits, targets), rel=1e-12)


def test_cross_entropy_with_another_ignore_index(rng):
    """ignore_index=2 leaves out the 2s (and lets -100 be refused as out of range)."""
    logits = torch.from_numpy(rng.normal(size=(4, 3)))
    targets = T([2, 0, 2, 1])
    got = cross_entropy(logits, targets, ignore_index=2)
    assert got == pytest.approx(_cross_entropy_reference(logits, targets, 2), rel=1e-12)
    assert got != pytest.approx(_cross_entropy_reference(logits, targets, -100), rel=1e-6)
    targets = T([7, 0, 7, 1])  # an ignore_index outside the vocabulary
    assert cross_entropy(logits, targets, ignore_index=7) == pytest.approx(
        _cross_entropy_reference(logits, targets, 7), rel=1e-12)


def test_cross_entropy_hand_worked_single_target():
    """Uniform logits over 4 tokens: -ln(1/4) = ln 4, with one real target among ignored ones."""
    assert cross_entropy(torch.zeros(3, 4), T([-100, 3, -100])) == pytest.approx(math.log(4), rel=1e-12)
    assert cross_entropy(torch.zeros(1, 4), T([0])) == pytest.approx(math.log(4), rel=1e-12)


def test_perplexity_and_bits_per_character_hand_worked():
    assert perplexity(0) == 1.0
    assert perplexity(math.log(7)) == pytest.approx(7.0)
    assert bits_per_character(0) == 0.0
    assert bits_per_character(3 * math.log(2), 1.5) == pytest.approx(2.0)  # 3 bits per token of 1.5 characters
    assert bits_per_character(math.log(2), 0.5) == pytest.approx(2.0)
    assert bits_per_character(math.log(8)) == pytest.approx(3.0)
    assert bits_per_character(math.log(8)) == bits_per_character(math.log(8), 1.0)
    assert bits_per_character(math.log(8)) != pytest.approx(bits_per_character(math.log(8), 2.0))


# ---------------------------------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hyp_len, ref_len, want", [
    (0, 0, 1.0), (6, 5, 1.0), (5, 5, 1.0), (2, 3, math.exp(1 - 3 / 2)), (1, 3, math.exp(1 - 3)), (0, 3, 0.0),
])
def test_brevity_penalty_hand_worked(hyp_len, ref_len, want):
    assert brevity_penalty(hyp_len, ref_len) == pytest.approx(want, rel=1e-12, abs=0)


@pytest.mark.parametrize("hyp, ref, n, want", [
    ("the the the cat", "the cat sat", 1, (2, 4)),  # the: min(3, 1); cat: min(1, 1)
    ("the the the cat", "the cat sat", 2, (1, 3)),  # (the the)×2 no; (the cat) yes
    ("the the cat sat", "the cat sat", 3, (1, 2)),  # (the cat sat) is the reference's last 3-gram
    ("the cat sat", "the cat sat", 3, (1, 1)),
    ("the cat", "the cat sat", 3, (0, 0)),  # no 3-gram in the hypothesis
    ("a b c", "x a b", 2, (1, 2)),
])
def test_modified_precision_hand_worked(hyp, ref, n, want):
    assert modified_precision(hyp.split(), ref.split(), n) == want


CORPORA = [
    (["the cat sat on the mat", "a dog ran in the park today"], ["the cat sat on a mat", "the dog ran in the park"]),
    (["the cat the cat", "dog"], ["the cat sat on the mat", "a dog"]),  # brevity penalty, short hypothesis
    (["a b c d e", "x y z"], ["a b q d e", "x y w"]),  # 3- and 4-grams: no match in either; smoothing
    (["a b c x e f"], ["a b c d e f"]),  # one 4-gram order with no match
    (["a b"], ["a b c"]),  # orders 3 and 4 with no n-gram at all
    (["a b c d"], ["a b c d e f g"]),  # one 4-gram, matched
    (["w x y z"], ["a b c d"]),  # nothing matches: 0
    (["a b c d e f g h"], ["a b c d"]),  # longer than the reference
]


@pytest.mark.parametrize("hypotheses, references", CORPORA)
def test_bleu_equals_sacrebleu(hypotheses, references):
    want = sacrebleu.corpus_bleu(hypotheses, [references], tokenize="none").score
    assert bleu(hypotheses, references) == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("hypotheses, references", CORPORA[:4])
def test_bleu_max_order_default_is_4_and_others_equal_sacrebleu(hypotheses, references):
    assert bleu(hypotheses, references) == bleu(hypotheses, references, max_order=4)
    for order in (1, 2, 3):
        want = sacrebleu.metrics.BLEU(tokenize="none", max_ngram_order=order).corpus_score(
            hypotheses, [references]).score
        assert bleu(hypotheses, references, max_order=order) == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_bleu_hand_worked_with_smoothing():
    """'a b c x e f' against 'a b c d e f': p1 5/6, p2 3/5, p3 1/4, p4 0 matches of 3, smoothed to 1/(2·3);
    lengths equal, BP 1: BLEU = 100·(5/6 · 3/5 · 1/4 · 1/6)^(1/4)."""
    want = 100 * (5 / 6 * 3 / 5 * 1 / 4 * 1 / 6) ** 0.25
    assert bleu(["a b c x e f"], ["a b c d e f"]) == pytest.approx(want, rel=1e-12)


def test_exact_matches_and_exact_match_hand_worked():
    got = exact_matches(["a b", "c", "d"], ["a b", "d", "d"])
    assert got.dtype == np.bool_ and got.tolist() == [True, False, True]
    assert exact_matches([["a", "b"], [1]], [["a", "b"], [2]]).tolist() == [True, False]
    assert exact_matches([np.int64(1)], [np.int64(1)]).tolist() == [True]  # NumPy's bool is a bool
    assert exact_matches([], []).dtype == np.bool_
    assert exact_match(["a b", "c", "d"], ["a b", "d", "d"]) == pytest.approx(2 / 3)
    assert exact_match(["x"], ["x"]) == 1.0
    assert exact_match(["x"], ["y"]) == 0.0


# -- written against the survivors of the full run of 2026-11-30 22:47 -----------------------------------


def test_binomial_p_value_counts_the_observed_outcome_even_when_its_probability_is_subnormal():
    # 0 of 1060 fair trials: P = 2 * 2**-1060 = 2**-1059, a subnormal double; the observed outcome and its
    # mirror are the only ones as unlikely, so the p-value is their probability, not 0
    assert binomial_p_value(0, 1060) == pytest.approx(2.0 ** -1059, rel=1e-3, abs=0)


def test_pinball_loss_keeps_the_quantiles_on_the_predictions_device():
    # the meta device (shapes only, no data) stands in for a GPU: a quantile tensor left on the CPU would
    # refuse to meet a prediction elsewhere
    loss = pinball_loss(torch.zeros(3, 2, device="meta"), torch.zeros(3, device="meta"), [0.1, 0.9])
    assert loss.is_meta and loss.shape == ()
