"""companion.data, companion.metrics, companion.models and companion.train."""

import math

import numpy as np
import pytest
import torch

import companion
from companion import data, metrics, train


def test_sunspots_load_offline_from_statsmodels():
    years, counts = data.sunspots()
    assert years.shape == counts.shape == (309,)
    assert years[0] == 1700 and years[-1] == 2008
    assert np.all(np.diff(years) == 1), "one value per year, no gaps"
    assert np.all(counts >= 0)


def test_make_windows_pairs_each_window_with_the_value_after_it():
    rng = np.random.default_rng(0)
    series = rng.normal(size=50)
    for window, horizon in [(1, 1), (7, 1), (5, 3), (49, 1)]:
        X, y = data.make_windows(series, window, horizon)
        n = len(series) - window - horizon + 1
        assert X.shape == (n, window) and y.shape == (n,)
        for k in rng.integers(0, n, size=5):
            np.testing.assert_array_equal(X[k], series[k : k + window])
            assert y[k] == series[k + window + horizon - 1]


@pytest.mark.parametrize(
    "series, window, horizon, message",
    [
        (np.zeros((4, 2)), 2, 1, "expected a 1-D series, got shape (4, 2)"),
        (np.zeros(5), 5, 1, "a series of length 5 is too short for window=5 and horizon=1 (needs at least 6)"),
        (np.zeros(5), 0, 1, "make_windows: window must be a positive integer, got 0"),
    ],
)
def test_make_windows_rejects_bad_input_with_a_clear_message(series, window, horizon, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        data.make_windows(series, window, horizon)


def test_mae_and_rmse_match_their_definitions():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=30), rng.normal(size=30)
    assert math.isclose(metrics.mae(a, b), sum(abs(x - y) for x, y in zip(a, b)) / 30)
    assert math.isclose(metrics.rmse(a, b), math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)) / 30))
    assert metrics.rmse(a, b) >= metrics.mae(a, b)


def test_metrics_refuse_to_broadcast_different_shapes():
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(3, 1\)"):
        metrics.mae(np.zeros(3), np.zeros((3, 1)))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_forecaster_reads_the_last_hidden_state(cell):
    torch.manual_seed(0)
    model = companion.models.Forecaster(input_size=2, hidden_size=5, cell=cell)
    x = torch.randn(3, 7, 2)
    out, _ = model.recurrent(x)
    expected = model.readout(out[:, -1]).squeeze(-1)
    torch.testing.assert_close(model(x), expected)
    assert model(x).shape == (3,)


def test_fit_learns_a_linear_recurrence_and_restores_the_best_epoch():
    # Target: the sum of the window, which an RNN can learn exactly enough to beat predicting the mean.
    companion.config.seed_everything(0)
    X = torch.randn(256, 6, 1)
    y = X.sum(dim=(1, 2))
    model = companion.models.Forecaster(input_size=1, hidden_size=8)
    before = train.evaluate(model, X[200:], y[200:])
    history = train.fit(model, (X[:200], y[:200]), valid=(X[200:], y[200:]), epochs=150, lr=2e-2, progress=False)
    after = train.evaluate(model, X[200:], y[200:])
    assert len(history.train_loss) == len(history.valid_loss) == 150
    assert after < 0.05 * before, (before, after)
    assert after == pytest.approx(min(history.valid_loss)), "fit must restore the weights of the best validation epoch"
    assert history.valid_loss[history.best_epoch] == min(history.valid_loss)


def test_fit_stops_early_after_patience_epochs_without_improvement():
    companion.config.seed_everything(0)
    X, y = torch.randn(64, 4, 1), torch.randn(64)  # noise: validation loss soon stops improving
    model = companion.models.Forecaster(input_size=1, hidden_size=4)
    history = train.fit(model, (X[:32], y[:32]), valid=(X[32:], y[32:]), epochs=500, lr=5e-2, patience=5,
                        progress=False)
    assert len(history.valid_loss) < 500
    assert len(history.valid_loss) - 1 - history.best_epoch == 5


def test_fit_stop_below_ends_training_after_the_first_epoch_under_the_target():
    companion.config.seed_everything(0)
    X = torch.randn(96, 5, 1)
    y = X[:, -1, 0]  # easy: the last input
    model = companion.models.Forecaster(input_size=1, hidden_size=8)
    history = train.fit(model, (X[:64], y[:64]), valid=(X[64:], y[64:]), epochs=300, lr=5e-2, stop_below=0.05,
                        progress=False)
    assert len(history.valid_loss) < 300
    assert history.valid_loss[-1] < 0.05 and min(history.valid_loss[:-1]) >= 0.05


def test_fit_stops_with_a_clear_error_when_the_loss_is_not_finite():
    model = companion.models.Forecaster(input_size=1, hidden_size=4)
    X, y = torch.randn(8, 3, 1), torch.full((8,), float("nan"))
    with pytest.raises(FloatingPointError, match="training loss became nan at epoch 0"):
        train.fit(model, (X, y), epochs=3, progress=False)


def test_fit_rejects_inputs_and_targets_of_different_lengths():
    model = companion.models.Forecaster(input_size=1, hidden_size=4)
    with pytest.raises(ValueError, match="same number of examples, got 8 and 7"):
        train.fit(model, (torch.randn(8, 3, 1), torch.randn(7)), epochs=1, progress=False)


def test_unrolled_rnn_figure_draws_every_step():
    import matplotlib.pyplot as plt

    ax = companion.plots.draw_unrolled_rnn(T=5)
    labels = {t.get_text() for t in ax.texts}
    assert {"$x_{1}$", "$h_{4}$", "$y_{T}$", "$W_{hh}$", "$h_0$"} <= labels
    plt.close("all")


# -- metrics: every message of bad input, word for word (each names the function, the argument and what came) --

import re  # noqa: E402

from companion.metrics import bleu, brevity_penalty, exact_matches, mae, mase, modified_precision, rmse  # noqa: E402

METRIC_ERRORS = [
    (lambda: mae([], []), ValueError, "mae: expected at least one value, got empty arrays"),
    (lambda: mae("x", [1.0]), TypeError, "mae: expected y_true to be numbers (an array, a list or a tensor), got 'x' (a str)"),
    (lambda: rmse([1.0], "x"), TypeError, "rmse: expected y_pred to be numbers (an array, a list or a tensor), got 'x' (a str)"),
    (lambda: mase([1.0], [2.0], "abc"), TypeError,
     "mase: expected y_train to be numbers (an array, a list or a tensor), got 'abc' (a str)"),
    (lambda: mase([1.0], [2.0], [[1.0, 2.0, 3.0]]), ValueError, "mase: expected a 1-D training series y_train, got shape (1, 3)"),
    (lambda: mase([1.0], [2.0], [1.0, 2.0, 1.0, 2.0], m=2), ValueError,
     "mase: the scale (in-sample MAE of the m=2 seasonal naive forecast) is 0.0; the training series repeats "
     "itself exactly every m steps, so MASE is undefined"),
    (lambda: mase([1.0], [2.0], [1.0], m=1), ValueError,
     "mase: the training series needs more than m=1 values to compute the seasonal naive scale, got 1"),
    (lambda: brevity_penalty(-1, 2), ValueError, "brevity_penalty: hyp_len must be a non-negative integer, got -1"),
    (lambda: brevity_penalty(2, -1), ValueError, "brevity_penalty: ref_len must be a non-negative integer, got -1"),
    (lambda: modified_precision("a b", ["a"], 1), TypeError,
     "modified_precision: expected hypothesis to be a list of tokens, got 'a b' (a str); split it first, e.g. text.split()"),
    (lambda: modified_precision(["a"], "a b", 1), TypeError,
     "modified_precision: expected reference to be a list of tokens, got 'a b' (a str); split it first, e.g. text.split()"),
    (lambda: modified_precision(["a"], 3, 1), TypeError, "modified_precision: expected reference to be a list of tokens, got 3"),
    (lambda: modified_precision(["a"], ["a"], 0), ValueError, "modified_precision: n must be a positive integer, got 0"),
    (lambda: bleu([], ["a"]), ValueError,
     "bleu: expected hypotheses to be a list of strings (one hypothesis per item), got an empty list"),
    (lambda: bleu(["a"], []), ValueError,
     "bleu: expected references to be a list of strings (one reference per item), got an empty list"),
    (lambda: bleu([1], ["a"]), TypeError, "bleu: expected hypotheses to be a list of strings, got 1 at index 0"),
    (lambda: bleu(["a"], [None]), TypeError, "bleu: expected references to be a list of strings, got None at index 0"),
    (lambda: bleu(["a"], ["a"], max_order=0), ValueError, "bleu: max_order must be a positive integer, got 0"),
    (lambda: exact_matches(None, ["a"]), TypeError,
     "exact_matches: expected hypotheses to be a list of hypotheses (strings or token lists), got None"),
    (lambda: exact_matches(["a"], None), TypeError,
     "exact_matches: expected references to be a list of references (strings or token lists), got None"),
]


@pytest.mark.parametrize("call, error, message", METRIC_ERRORS, ids=[m[:40] for _, _, m in METRIC_ERRORS])
def test_metrics_name_the_function_the_argument_and_what_came(call, error, message):
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        call()


def test_mase_scales_by_the_naive_forecast_by_default():
    """Without m, the scale is the in-sample MAE of the naive (m=1) forecast, not of another season."""
    y_train = np.array([0.0, 1.0, 3.0, 6.0, 10.0])  # lag-1 changes 1, 2, 3, 4 (mean 2.5); lag-2 changes 3, 5, 7
    assert mase([1.0, 2.0], [2.0, 4.0], y_train) == pytest.approx(1.5 / 2.5)
    assert mase([1.0, 2.0], [2.0, 4.0], y_train, m=2) == pytest.approx(1.5 / 5.0)


def test_exact_matches_of_no_pairs_is_an_empty_boolean_array():
    assert exact_matches([], []).dtype == np.bool_ and exact_matches([], []).shape == (0,)
