"""Scores of an anomaly detector: 0/1 labels (n,) against 0/1 flags (n,) or real scores (n,).

* :func:`point_scores` — precision, recall and F1 over the points;
* :func:`event_scores` — over events: an event (a run of labelled points) is found when any of its
  points is flagged, and an alarm (a run of flagged points) is true when it touches an event;
* :func:`precision_recall_curve` — point-wise precision and recall at every threshold of the scores,
  as scikit-learn computes them;
* :func:`false_alarms` — the alarms that touch no event, per ``period`` points (e.g. per week).

Precision with nothing flagged is defined as 0 here (scikit-learn's ``zero_division=0``).
"""

from __future__ import annotations

import numpy as np

from ..checks import as_float_array, check_int
from ..data.anomalies import events, labels_array


def _pair(who: str, labels, flags):
    labels = labels_array(who, "labels", labels)
    return labels, labels_array(who, "flags", flags, len(labels))


def _prf(tp: int, n_flagged: int, n_true: int) -> dict[str, float]:
    precision = tp / n_flagged if n_flagged else 0.0
    recall = tp / n_true if n_true else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def point_scores(labels, flags) -> dict[str, float]:
    """``{"precision", "recall", "f1"}`` over the points: ``TP / flagged``, ``TP / labelled``, their harmonic
    mean. Needs at least one labelled point (recall is undefined without one)."""
    labels, flags = _pair("point_scores", labels, flags)
    if labels.sum() == 0:
        raise ValueError(f"point_scores: recall is undefined without an anomaly; all {len(labels)} labels are 0")
    return _prf(int(np.sum(labels & flags)), int(flags.sum()), int(labels.sum()))


def event_scores(labels, flags) -> dict[str, float]:
    """``{"precision", "recall", "f1"}`` over events. Recall: the fraction of events (runs of 1s in ``labels``)
    with at least one flagged point; an event counts once, however many of its points are flagged.
    Precision: the fraction of alarms (runs of 1s in ``flags``) that overlap some event."""
    labels, flags = _pair("event_scores", labels, flags)
    true_events, alarms = events(labels), events(flags)
    if not true_events:
        raise ValueError(f"event_scores: recall is undefined without an event; all {len(labels)} labels are 0")
    found = sum(bool(flags[a:b].any()) for a, b in true_events)
    true_alarms = sum(bool(labels[a:b].any()) for a, b in alarms)
    precision = true_alarms / len(alarms) if alarms else 0.0
    recall = found / len(true_events)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def false_alarms(labels, flags, period: int) -> float:
    """The number of alarms (runs of flagged points) that overlap no event, per ``period`` points: with
    hourly points, ``period=168`` gives false alarms per week."""
    labels, flags = _pair("false_alarms", labels, flags)
    period = check_int("false_alarms", "period", period)
    wrong = sum(not labels[a:b].any() for a, b in events(flags))
    return wrong * period / len(labels)


def precision_recall_curve(labels, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point-wise ``(precision, recall, thresholds)`` of the flags ``scores >= τ`` for every distinct score
    ``τ``, in scikit-learn's layout: ``thresholds`` the distinct scores, increasing;
    ``precision`` and ``recall`` one longer, ending with the point (precision 1, recall 0)."""
    who = "precision_recall_curve"
    labels = labels_array(who, "labels", labels)
    scores = as_float_array(who, "scores", scores)
    if scores.shape != labels.shape:
        raise ValueError(f"{who}: expected one score per label, shape {labels.shape}, got {scores.shape}")
    positives = int(labels.sum())
    if positives == 0:
        raise ValueError(f"{who}: recall is undefined without an anomaly; all {len(labels)} labels are 0")
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    last = np.r_[s[1:] != s[:-1], True]  # the last of each run of equal scores
    tp, flagged = np.cumsum(y)[last], np.arange(1, len(s) + 1)[last]
    thresholds = s[last]
    precision, recall = tp / flagged, tp / positives
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thresholds[::-1]
