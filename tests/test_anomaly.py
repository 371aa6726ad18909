"""companion.anomaly, companion.metrics.anomaly and companion.data.anomalies, each against an independent
reference: hand formulas, scikit-learn on point labels, brute force over thresholds."""

import numpy as np
import pytest
import sklearn.metrics
import torch
from torch import nn

from companion.anomaly import (LSTMAutoencoder, aligned, best_f1_threshold, forecast_scores, lagged_windows,
                               normal_threshold, reconstruction_scores, rolling_zscore)
from companion.data.anomalies import ecg, events, inject_anomalies, victoria_electricity
from companion.exercises import ExerciseError, check_event_recall, check_rolling_zscore
from companion.metrics import event_scores, false_alarms, point_scores, precision_recall_curve


# ---------------------------------------------------------------------------- events and metrics

def test_events_are_the_runs_of_ones():
    assert events([0, 1, 1, 0, 1, 0, 0, 1, 1, 1]) == [(1, 3), (4, 5), (7, 10)]
    assert events([0, 0, 0]) == []
    assert events([1]) == [(0, 1)]


@pytest.mark.parametrize("trial", range(20))
def test_point_scores_agree_with_scikit_learn(trial):
    rng = np.random.default_rng(trial)
    n = int(rng.integers(5, 80))
    labels, flags = rng.integers(0, 2, n), rng.integers(0, 2, n)
    labels[0] = 1
    ours = point_scores(labels, flags)
    assert ours["precision"] == pytest.approx(sklearn.metrics.precision_score(labels, flags, zero_division=0))
    assert ours["recall"] == pytest.approx(sklearn.metrics.recall_score(labels, flags))
    assert ours["f1"] == pytest.approx(sklearn.metrics.f1_score(labels, flags, zero_division=0))


def test_event_recall_counts_an_event_once():
    labels = np.array([0, 1, 1, 1, 1, 0, 0, 1, 1, 0])  # two events of 4 and 2 points
    one_point = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    all_points = np.array([0, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    assert event_scores(labels, one_point)["recall"] == event_scores(labels, all_points)["recall"] == 0.5
    assert point_scores(labels, one_point)["recall"] == pytest.approx(1 / 6)
    assert event_scores(labels, labels)["recall"] == 1.0


def test_event_precision_counts_alarms_that_touch_an_event():
    labels = np.array([0, 1, 1, 0, 0, 0, 0, 0, 1, 0])
    flags = np.array([1, 1, 0, 0, 1, 1, 0, 0, 0, 1])  # alarms 0-1 (touches the event), 4-5 and 9 (do not)
    scores = event_scores(labels, flags)
    assert scores["precision"] == pytest.approx(1 / 3) and scores["recall"] == 0.5
    assert scores["f1"] == pytest.approx(2 * (1 / 3) * 0.5 / (1 / 3 + 0.5))


def test_false_alarms_per_period():
    labels = np.array([0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0])
    flags = np.array([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1])  # alarms 0-1 (true), 4-5 and 11 (false)
    assert false_alarms(labels, flags, period=12) == 2.0
    assert false_alarms(labels, flags, period=6) == 1.0


@pytest.mark.parametrize("trial", range(30))
def test_precision_recall_curve_agrees_with_scikit_learn(trial):
    rng = np.random.default_rng(100 + trial)
    n = int(rng.integers(2, 60))
    labels = rng.integers(0, 2, n)
    labels[int(rng.integers(n))] = 1
    scores = rng.integers(0, 6, n) / 5.0 if trial % 2 else rng.normal(size=n)  # with ties and without
    for ours, theirs in zip(precision_recall_curve(labels, scores),
                            sklearn.metrics.precision_recall_curve(labels, scores), strict=True):
        np.testing.assert_allclose(ours, theirs)


# ---------------------------------------------------------------------------- detectors

def test_rolling_zscore_is_the_hand_formula():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=50).cumsum(), 7
    z = rolling_zscore(x, w)
    assert z.shape == (43,)
    for t in range(w, 50):
        past = x[t - w:t]
        mean = sum(past) / w
        std = (sum((v - mean) ** 2 for v in past) / w) ** 0.5
        assert z[t - w] == pytest.approx(abs(x[t] - mean) / std)


def test_lagged_windows_hold_the_rows_before_each_point():
    x = np.arange(20.0).reshape(10, 2)
    windows = lagged_windows(x, 3)
    assert windows.shape == (7, 3, 2)
    for k in range(7):
        np.testing.assert_array_equal(windows[k].numpy(), x[k:k + 3])
    assert lagged_windows(np.arange(5.0), 2).shape == (3, 2, 1)


class LastValue(nn.Module):
    """The naive forecast: the last value of the window's first feature."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x[:, -1, 0]


def test_forecast_scores_of_the_naive_forecast_are_the_differences():
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    scores = forecast_scores(LastValue(), x, x, 5)
    np.testing.assert_allclose(scores, np.abs(x[5:] - x[4:-1]), atol=1e-6)


class Constant(nn.Module):
    def __init__(self, identity: bool):
        super().__init__()
        self.identity = identity
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x[:, :, :1] if self.identity else torch.zeros_like(x[:, :, :1])


def test_reconstruction_scores_are_squared_errors_per_point():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(23, 2))
    np.testing.assert_allclose(reconstruction_scores(Constant(identity=True), x, 4), np.zeros(19))
    # rebuilding zeros: each point's score is its first feature squared, whatever block it falls in
    np.testing.assert_allclose(reconstruction_scores(Constant(identity=False), x, 4), x[4:, 0] ** 2, rtol=1e-6)


def test_the_autoencoder_rebuilds_the_first_features_and_hides_them_from_its_decoder():
    torch.manual_seed(0)
    model = LSTMAutoencoder(3, 8, output_size=1).eval()
    x = torch.randn(5, 6, 3)
    assert model(x).shape == (5, 6, 1)
    # the decoder reads zeros for the rebuilt feature: with the encoder's state fixed, changing that
    # feature changes nothing
    _, state = model.encoder(x)
    y = x.clone()
    y[:, :, 0] = 100.0
    context = lambda v: torch.cat([torch.zeros_like(v[:, :, :1]), v[:, :, 1:]], dim=2)  # noqa: E731
    out_x, _ = model.decoder(context(x), state)
    out_y, _ = model.decoder(context(y), state)
    torch.testing.assert_close(out_x, out_y)
    with torch.no_grad():
        manual = model.readout(model.decoder(context(x), model.encoder(x)[1])[0])
        torch.testing.assert_close(model(x), manual)


# ---------------------------------------------------------------------------- thresholds

@pytest.mark.parametrize("trial", range(15))
def test_best_f1_threshold_is_the_brute_force_best(trial):
    rng = np.random.default_rng(200 + trial)
    n = int(rng.integers(5, 60))
    labels = rng.integers(0, 2, n)
    labels[0] = 1
    scores = rng.integers(0, 8, n) / 7.0 if trial % 2 else rng.normal(size=n) + labels
    tau = best_f1_threshold(scores, labels)
    candidates = np.unique(scores)
    f1 = [sklearn.metrics.f1_score(labels, scores >= c, zero_division=0) for c in candidates]
    best = max(f1)
    assert sklearn.metrics.f1_score(labels, scores >= tau) == pytest.approx(best)
    assert tau == max(c for c, f in zip(candidates, f1) if np.isclose(f, best))


def test_normal_threshold_is_the_largest_normal_score():
    scores, labels = np.array([0.1, 5.0, 0.7, 0.3]), np.array([0, 1, 0, 0])
    assert normal_threshold(scores, labels) == 0.7
    assert normal_threshold(scores) == 5.0
    assert normal_threshold(scores, labels, margin=2.0) == 1.4


# ---------------------------------------------------------------------------- data

def test_injected_anomalies_are_labelled_where_the_series_changed():
    rng = np.random.default_rng(3)
    x = rng.normal(size=24 * 7 * 6)
    keep_out = np.zeros(len(x), dtype=int)
    keep_out[100:124] = 1
    injected = inject_anomalies(x, seed=5, spikes=4, shifts=3, swaps=2, period=24, keep_out=keep_out)
    changed = injected.series != x
    assert np.all(injected.labels[changed] == 1)  # every changed point is labelled
    assert not injected.labels[100:124].any()  # never on a real event
    kinds = [kind for _, _, kind in injected.events]
    assert (kinds.count("spike"), kinds.count("shift"), kinds.count("swap")) == (4, 3, 4)
    assert [(a, b) for a, b, _ in injected.events] == events(injected.labels)  # no two events touch
    for a, b, kind in injected.events:
        if kind == "swap":
            assert b - a == 24 and a % 24 == 0
    days = [a // 24 % 7 for a, _, kind in injected.events if kind == "swap"]
    assert sorted(d < 5 for d in days) == [False, False, True, True]  # a weekday and a weekend day per swap
    again = inject_anomalies(x, seed=5, spikes=4, shifts=3, swaps=2, period=24, keep_out=keep_out)
    np.testing.assert_array_equal(again.series, injected.series)


def test_victoria_electricity_labels_the_weekday_holidays():
    hourly, half = victoria_electricity(), victoria_electricity(hourly=False)
    assert len(hourly.demand) == 8760 and len(half.demand) == 17520
    assert hourly.holiday.sum() == 240 and half.holiday.sum() == 480  # ten days
    assert str(hourly.times[0])[:19] == "2014-01-01T00:00:00"
    np.testing.assert_allclose(hourly.demand, half.demand.reshape(-1, 2).mean(axis=1))
    calendar = hourly.calendar_features()
    assert calendar.shape == (8760, 3) and calendar[0, 2] == 1.0  # 1 January 2014 was a Wednesday


def test_ecg_has_one_labelled_segment():
    values, labels = ecg()
    assert values.shape == labels.shape == (7500,)
    assert events(labels) == [(6936, 7288)]


# ---------------------------------------------------------------------------- exercises

def my_rolling_zscore(series, window):  # a reader's answer, not the package's: one window of past points per row
    past = np.lib.stride_tricks.sliding_window_view(series, window)[:-1]
    return np.abs(series[window:] - past.mean(1)) / past.std(1)


def my_event_recall(labels, flags):  # a reader's answer: the runs of 1s found from where labels steps up and down
    edges = np.diff(np.concatenate([[0], labels, [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return float(np.mean([flags[start:end].any() for start, end in zip(starts, ends, strict=True)]))


@pytest.mark.parametrize("seed", range(3))
def test_the_checkers_accept_answers_written_here_and_name_the_mistakes(seed, capsys):
    check_rolling_zscore(my_rolling_zscore, seed=seed)
    check_event_recall(my_event_recall, seed=seed)
    assert capsys.readouterr().out.count(": correct on 5 random inputs.") == 2
    with pytest.raises(ExerciseError, match="point-wise recall"):
        check_event_recall(lambda labels, flags: float(np.sum(labels & flags) / np.sum(labels)), seed=seed)
    with pytest.raises(ExerciseError, match="includes the point itself"):
        check_rolling_zscore(lambda series, window: np.abs(
            series[window:] - np.lib.stride_tricks.sliding_window_view(series, window + 1).mean(1))
            / np.lib.stride_tricks.sliding_window_view(series, window + 1).std(1), seed=seed)
    with pytest.raises(ExerciseError, match=r"divides by window - 1; use the population one"):  # sample_std
        check_rolling_zscore(lambda series, window: np.abs(
            series[window:] - np.lib.stride_tricks.sliding_window_view(series, window)[:-1].mean(1))
            / np.lib.stride_tricks.sliding_window_view(series, window)[:-1].std(1, ddof=1), seed=seed)


# ---------------------------------------------------------------------------- bad input

def test_labels_not_aligned_with_the_series():
    with pytest.raises(ValueError, match=r"expected flags to hold one label per point of the series \(5\), got 4"):
        point_scores([0, 1, 0, 0, 1], [0, 1, 0, 0])
    with pytest.raises(ValueError, match="one label per point"):
        best_f1_threshold(np.zeros(5), [0, 1, 0])
    with pytest.raises(ValueError, match=r"one score per label, shape \(3,\), got \(4,\)"):
        precision_recall_curve([0, 1, 0], [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="keep_out to hold one label per point"):
        inject_anomalies(np.zeros(50), seed=0, spikes=1, keep_out=np.zeros(49))


def test_a_window_of_zero_or_too_long():
    with pytest.raises(ValueError, match="rolling_zscore: window must be a positive integer, got 0"):
        rolling_zscore(np.arange(10.0), 0)
    with pytest.raises(ValueError, match="window must be at least 2"):
        rolling_zscore(np.arange(10.0), 1)
    with pytest.raises(ValueError, match="a window of 10 points leaves nothing to score in a series of 10"):
        rolling_zscore(np.arange(10.0), 10)
    with pytest.raises(ValueError, match="lagged_windows: window must be a positive integer, got 0"):
        lagged_windows(np.arange(10.0), 0)
    with pytest.raises(ValueError, match="aligned: window must be a positive integer"):
        aligned([0, 1], -1)


def test_a_threshold_with_no_positive_in_validation():
    with pytest.raises(ValueError, match="validation labels hold no anomaly"):
        best_f1_threshold([0.1, 0.5, 0.2], [0, 0, 0])
    with pytest.raises(ValueError, match="every one of the 2 points is labelled anomalous"):
        normal_threshold([0.1, 0.5], [1, 1])


def test_nan_in_the_series_or_the_scores():
    x = np.arange(20.0)
    x[7] = np.nan
    with pytest.raises(ValueError, match=r"rolling_zscore: expected series to hold finite numbers, got nan at index \(7,\)"):
        rolling_zscore(x, 3)
    with pytest.raises(ValueError, match="forecast_scores: expected series to hold finite numbers"):
        forecast_scores(LastValue(), x, np.arange(20.0), 3)
    with pytest.raises(ValueError, match="best_f1_threshold: expected scores to hold finite numbers"):
        best_f1_threshold([0.1, np.nan], [0, 1])
    with pytest.raises(ValueError, match="inject_anomalies: expected series to hold finite numbers"):
        inject_anomalies(x, seed=0, spikes=1)


def test_other_bad_input():
    with pytest.raises(ValueError, match="are all equal"):
        rolling_zscore(np.r_[np.ones(5), 2.0, 3.0], 3)
    with pytest.raises(ValueError, match="labels to hold only 0 and 1, got 2"):
        event_scores([0, 2, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="recall is undefined without an event"):
        event_scores([0, 0], [0, 1])
    with pytest.raises(TypeError, match="expected labels to be a 1-D sequence of 0/1 labels"):
        events("0110")
    with pytest.raises(ValueError, match="expected target to hold one value per row of series"):
        forecast_scores(LastValue(), np.zeros(10), np.zeros(9), 3)
    with pytest.raises(ValueError, match=r"output_size \(2\) must be at most input_size \(1\)"):
        LSTMAutoencoder(1, 4, output_size=2)
    with pytest.raises(ValueError, match="found no free place for a spike"):
        inject_anomalies(np.arange(6.0), seed=0, spikes=5)
    with pytest.raises(ValueError, match="start < stop"):
        inject_anomalies(np.arange(60.0), seed=0, spikes=1, start=30, stop=20)
    with pytest.raises(TypeError, match="inject_anomalies: expected size to be a number"):
        inject_anomalies(np.arange(60.0), seed=0, spikes=1, size="big")
    with pytest.raises(ValueError, match="false_alarms: period must be a positive integer"):
        false_alarms([0, 1], [1, 0], period=0)
