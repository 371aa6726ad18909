"""Anomaly detectors for a series and the choice of their threshold.

Every detector gives a **score** per point, larger = more anomalous, for the points
``window, window + 1, ..., n - 1`` of a series of ``n`` points: ``scores[k]`` scores point
``window + k``, so ``labels[window:]`` are its labels (:func:`aligned`). A point is flagged when its
score is at least the threshold.

* :func:`rolling_zscore` — the baseline: ``|x_t - mean| / std`` over the ``window`` points before ``t``;
* :class:`LSTMAutoencoder` — an encoder LSTM reads a window, a decoder LSTM rebuilds it from the encoder's
  last state; :func:`reconstruction_scores` scores each point by its reconstruction error;
* :func:`forecast_scores` — the absolute error of a one-step forecaster (``companion.models.Forecaster``);
* :func:`lagged_windows` — the inputs of both: the ``window`` rows before each scored point, (N, window, F);
* :func:`best_f1_threshold` — the threshold with the best point-wise F1 on labelled validation scores;
  :func:`normal_threshold` — the largest validation score of the normal points (no labels of anomalies needed).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .checks import as_float_array, check_int, check_real, describe
from .data.anomalies import labels_array
from .models.common import _check_input, _check_sizes


def _series(who: str, series, *, features: bool = False) -> np.ndarray:
    array = as_float_array(who, "series", series)  # NaN or infinite values: a ValueError that says where
    allowed = (1, 2) if features else (1,)
    if array.ndim not in allowed:
        raise ValueError(f"{who}: expected series of shape (n,){' or (n, F)' if features else ''}, got {array.shape}")
    return array


def _window(who: str, window, n: int) -> int:
    window = check_int(who, "window", window)
    if window >= n:
        raise ValueError(f"{who}: a window of {window} points leaves nothing to score in a series of {n} points "
                         f"(needs window < n)")
    return window


def aligned(labels, window: int) -> np.ndarray:
    """The labels (n,) of the scored points, ``labels[window:]`` (n - window,)."""
    labels = labels_array("aligned", "labels", labels)
    return labels[_window("aligned", window, len(labels)):]


def rolling_zscore(series, window: int) -> np.ndarray:
    """``|x_t - m_t| / s_t`` for ``t = window .. n-1``, with ``m_t`` and ``s_t`` the mean and the (population)
    standard deviation of ``x_{t-window} .. x_{t-1}``. ``series`` (n,); returns (n - window,).

    A window of constant values has ``s_t = 0`` and no z-score: an error that says where."""
    who = "rolling_zscore"
    series = _series(who, series)
    window = _window(who, window, len(series))
    if window < 2:
        raise ValueError(f"{who}: window must be at least 2 (a standard deviation needs two points), got {window}")
    past = np.lib.stride_tricks.sliding_window_view(series, window)[:-1]  # (n - window, window)
    mean, std = past.mean(axis=1), past.std(axis=1)
    if np.any(std == 0):
        t = int(np.flatnonzero(std == 0)[0]) + window
        raise ValueError(f"{who}: the {window} points before point {t} are all equal (standard deviation 0), so "
                         "its z-score is undefined; use a longer window")
    return np.abs(series[window:] - mean) / std


def lagged_windows(series, window: int) -> torch.Tensor:
    """The ``window`` rows before each point ``t = window .. n-1``: (n - window, window, F) float32, from a
    series (n, F) (or (n,), read as F = 1). Row ``k`` holds ``series[k : k + window]``."""
    who = "lagged_windows"
    series = _series(who, series, features=True)
    series = series[:, None] if series.ndim == 1 else series
    window = _window(who, window, len(series))
    views = np.lib.stride_tricks.sliding_window_view(series, window, axis=0)[:-1]  # (N, F, window)
    return torch.as_tensor(np.ascontiguousarray(views.transpose(0, 2, 1)), dtype=torch.float32)


class LSTMAutoencoder(nn.Module):
    """Encoder LSTM -> its last state -> decoder LSTM -> linear read-out, one output per step.

    ``x`` (B, T, I) -> the encoder's final state ``(h_T, c_T)``, the summary of the window; the decoder
    starts from it and must rebuild the first ``output_size`` features of every step from the summary
    alone: at each step it reads zeros in their place, and the other input features (context such as the
    time of day, which it is not asked to rebuild) as they are. ``y_t = W h'_t + b`` (B, T, O).
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 16, output_size: int = 1):
        super().__init__()
        who = type(self).__name__
        _check_sizes(who, input_size=input_size, hidden_size=hidden_size, output_size=output_size, num_layers=1)
        if output_size > input_size:
            raise ValueError(f"{who}: output_size ({output_size}) must be at most input_size ({input_size}): the "
                             "model rebuilds the first output_size input features")
        self.encoder = nn.LSTM(input_size, hidden_size, batch_first=True)
        self.decoder = nn.LSTM(input_size, hidden_size, batch_first=True)
        self.readout = nn.Linear(hidden_size, output_size)
        self.input_size, self.output_size = input_size, output_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(type(self).__name__, x, self.input_size)
        _, state = self.encoder(x)  # (h_T, c_T), each (1, B, H)
        context = torch.cat([torch.zeros_like(x[:, :, :self.output_size]), x[:, :, self.output_size:]], dim=2)
        out, _ = self.decoder(context, state)  # (B, T, H): the rebuilt features hidden, the context kept
        return self.readout(out)  # (B, T, O)


def _model_scores(who: str, model, inputs: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    if not isinstance(model, nn.Module):
        raise TypeError(f"{who}: expected model to be a torch.nn.Module, got {describe(model)}")
    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        return torch.cat([model(inputs[i:i + batch_size].to(device)).cpu() for i in range(0, len(inputs), batch_size)])


def forecast_scores(model: nn.Module, series, target, window: int) -> np.ndarray:
    """``|y_t - ŷ_t|`` for ``t = window .. n-1``: ``ŷ_t = model(series[t-window:t])``, a one-step forecast
    from the ``window`` rows before ``t``. ``series`` (n, F) or (n,) the model's inputs, ``target`` (n,) the
    forecast value; returns (n - window,)."""
    who = "forecast_scores"
    series = _series(who, series, features=True)
    target = _series(who, target)
    if len(target) != len(series):
        raise ValueError(f"{who}: expected target to hold one value per row of series ({len(series)}), "
                         f"got {len(target)}")
    inputs = lagged_windows(series, window)
    prediction = _model_scores(who, model, inputs)
    if prediction.shape != (len(inputs),):
        raise ValueError(f"{who}: expected the model to return one forecast per window, shape ({len(inputs)},), "
                         f"got {tuple(prediction.shape)}")
    return np.abs(target[window:] - prediction.double().numpy())


def reconstruction_scores(model: nn.Module, series, window: int) -> np.ndarray:
    """Each point's squared reconstruction error, for ``t = window .. n-1``.

    The points are cut into consecutive blocks of ``window`` rows from ``window`` on (the last block is
    the last ``window`` rows, overlapping the one before); the model rebuilds each block, and a point's
    score is the squared error summed over the rebuilt features at that point. A block is read whole, so
    a score also depends on the points after it in its block (the detector is not causal).
    ``series`` (n, F) or (n,); returns (n - window,)."""
    who = "reconstruction_scores"
    series = _series(who, series, features=True)
    series = series[:, None] if series.ndim == 1 else series
    n = len(series)
    window = _window(who, window, n)
    if n - window < window:
        raise ValueError(f"{who}: needs at least one block of window={window} points after the first window, "
                         f"got a series of {n} points")
    starts = list(range(window, n - window + 1, window))
    if starts[-1] + window < n:
        starts.append(n - window)
    blocks = torch.as_tensor(np.stack([series[s:s + window] for s in starts]), dtype=torch.float32)  # (N, W, F)
    rebuilt = _model_scores(who, model, blocks).double().numpy()  # (N, W, O)
    if rebuilt.ndim != 3 or rebuilt.shape[:2] != blocks.shape[:2] or rebuilt.shape[2] > series.shape[1]:
        raise ValueError(f"{who}: expected the model to rebuild each block as (N, {window}, O) with O <= "
                         f"{series.shape[1]}, got {tuple(rebuilt.shape)}")
    errors = ((rebuilt - blocks.double().numpy()[:, :, :rebuilt.shape[2]]) ** 2).sum(axis=2)  # (N, W)
    scores = np.empty(n)
    for s, e in zip(starts, errors):
        scores[s:s + window] = e
    return scores[window:]


def _scores_and_labels(who: str, scores, labels):
    scores = as_float_array(who, "scores", scores)
    if scores.ndim != 1 or len(scores) == 0:
        raise ValueError(f"{who}: expected scores of shape (n,) with n >= 1, got {scores.shape}")
    return scores, labels_array(who, "labels", labels, len(scores))


def best_f1_threshold(scores, labels) -> float:
    """The threshold ``τ`` (one of the scores) whose flags ``scores >= τ`` have the best point-wise F1 against
    ``labels`` — to be called on **validation** scores only; the largest such ``τ`` on a tie. Needs at least
    one anomalous point: without one, F1 is undefined and no threshold can be chosen by it."""
    who = "best_f1_threshold"
    scores, labels = _scores_and_labels(who, scores, labels)
    positives = int(labels.sum())
    if positives == 0:
        raise ValueError(f"{who}: the validation labels hold no anomaly (all {len(labels)} are 0), so F1 is "
                         "undefined for every threshold; label some anomalies (or inject some) in the validation "
                         "data, or use normal_threshold")
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(labels[order])  # flags = the k + 1 highest scores
    flagged = np.arange(1, len(scores) + 1)
    last = np.r_[scores[order][1:] != scores[order][:-1], True]  # a threshold flags every tie at once
    f1 = np.where(last, 2 * tp / (flagged + positives), -1.0)
    best = int(np.flatnonzero(f1 == f1.max())[0])
    return float(scores[order][best])


def normal_threshold(scores, labels=None, margin: float = 1.0) -> float:
    """``margin`` times the largest score of the normal points (label 0; all points when ``labels`` is None):
    on these (validation) data, nothing normal is flagged. Needs no labelled anomaly."""
    who = "normal_threshold"
    if labels is None:
        scores = as_float_array(who, "scores", scores)
        labels = np.zeros(scores.shape[:1], dtype=np.int64) if scores.ndim == 1 else None
    scores, labels = _scores_and_labels(who, scores, labels)
    margin = check_real(who, "margin", margin, above=0)
    if labels.all():
        raise ValueError(f"{who}: every one of the {len(labels)} points is labelled anomalous; no normal score")
    return float(margin * scores[labels == 0].max())
