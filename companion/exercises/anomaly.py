"""Checkers of the anomaly detection chapter: event-wise recall (an event counts once) and the
rolling z-score (statistics from the points before, never the point itself)."""

from __future__ import annotations

import numpy as np

from .core import _checker, check_function


def _labels_with_events(rng, n: int) -> np.ndarray:
    """0/1 labels (n,) with a few runs of 1s of different lengths, at least one."""
    labels = np.zeros(n, dtype=np.int64)
    for _ in range(int(rng.integers(1, 4))):
        start = int(rng.integers(0, n - 1))
        labels[start:start + int(rng.integers(1, 6))] = 1
    return labels


@_checker
def check_event_recall(function, trials: int = 5) -> None:
    """Check ``function(labels, flags) -> float``: the fraction of events (runs of 1s in ``labels``) with
    at least one flagged point. An event counts once, however many of its points are flagged."""
    from ..metrics.anomaly import event_scores

    def make_inputs(rng):
        n = int(rng.integers(20, 60))
        labels = _labels_with_events(rng, n)
        flags = (rng.random(n) < 0.15).astype(np.int64)
        first = int(np.flatnonzero(labels)[0])
        flags[first] = 1  # at least one event found
        return {"labels": labels, "flags": flags}

    def reference(labels, flags):
        return event_scores(labels, flags)["recall"]

    def point_recall(labels, flags):
        return float(np.sum(labels & flags) / np.sum(labels))

    check_function(function, reference=reference, make_inputs=make_inputs, name="event recall", trials=trials,
                   mistakes=[(point_recall, "this is the point-wise recall: an event must count once, found when "
                                            "any of its points is flagged")])


@_checker
def check_rolling_zscore(function, trials: int = 5) -> None:
    """Check ``function(series, window) -> scores``: ``|x_t - mean| / std`` for ``t = window .. n-1``, with the
    mean and the population standard deviation of the ``window`` points before ``t``; shape (n - window,)."""
    from ..anomaly import rolling_zscore

    def make_inputs(rng):
        n, window = int(rng.integers(15, 40)), int(rng.integers(3, 8))
        series = rng.normal(size=n).cumsum()
        series[int(rng.integers(window, n))] += 6.0  # a spike
        return {"series": series, "window": window}

    def including_the_point(series, window):
        views = np.lib.stride_tricks.sliding_window_view(series, window + 1)
        return np.abs(series[window:] - views.mean(1)) / views.std(1)

    def sample_std(series, window):
        past = np.lib.stride_tricks.sliding_window_view(series, window)[:-1]
        return np.abs(series[window:] - past.mean(1)) / past.std(1, ddof=1)

    check_function(function, reference=rolling_zscore, make_inputs=make_inputs, name="rolling z-score",
                   trials=trials,
                   mistakes=[(including_the_point, "the window includes the point itself: a spike then raises its own "
                                                   "mean and standard deviation"),
                             (sample_std, "the standard deviation divides by window - 1; use the population one "
                                          "(numpy's default, ddof=0)")])
