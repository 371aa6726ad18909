"""Error measures and scores; each returns a float.

=================  =========================================================
module             what it holds
=================  =========================================================
``forecast``       ``mae``, ``rmse``, ``mase``
``intervals``      ``pinball_loss`` (quantile loss), ``mase_by_horizon``, ``coverage`` of intervals, ``conformal_margin``
``text``           ``bleu`` with ``brevity_penalty`` and ``modified_precision``; ``exact_match``
``classify``       ``accuracy``, ``f1_score``, ``roc_auc`` of a binary classifier
``language``       ``cross_entropy`` (nats), ``perplexity``, ``bits_per_character``
``direction``      better than chance? ``directional_accuracy``, ``chance_agreement``, ``binomial_p_value``;
                   ``wilson_interval`` (a pair), ``lagged_correlation`` (an array)
``anomaly``        ``point_scores``, ``event_scores`` (precision, recall, F1), ``precision_recall_curve``,
                   ``false_alarms``
=================  =========================================================

Every public name is also importable from ``companion.metrics`` itself.
"""

from .forecast import mae, mase, rmse
from .intervals import conformal_margin, coverage, mase_by_horizon, pinball_loss
from .classify import accuracy, f1_score, roc_auc
from .language import bits_per_character, cross_entropy, perplexity
from .direction import binomial_p_value, chance_agreement, directional_accuracy, lagged_correlation, wilson_interval
from .anomaly import event_scores, false_alarms, point_scores, precision_recall_curve
from .text import bleu, brevity_penalty, exact_match, exact_matches, modified_precision

__all__ = ["mae", "rmse", "mase", "bleu", "brevity_penalty", "modified_precision", "exact_matches", "exact_match",
           "accuracy", "f1_score", "roc_auc", "cross_entropy", "perplexity", "bits_per_character",
           "point_scores", "event_scores", "precision_recall_curve", "false_alarms",
           "pinball_loss", "mase_by_horizon", "coverage", "conformal_margin",
           "directional_accuracy", "chance_agreement", "wilson_interval", "binomial_p_value", "lagged_correlation"]
