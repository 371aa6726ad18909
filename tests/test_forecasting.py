"""Multi-step forecasting: the energy data, horizon windows, the three recurrent forecasters, the
linear baseline, the pinball loss, MASE by horizon, coverage and conformal margins."""

import numpy as np
import pytest
import torch

from companion.data import HorizonWindows, horizon_windows, load_elecdemand, origins_between
from companion.exercises import ExerciseError, check_coverage, check_mase_by_horizon, check_pinball_loss
from companion.metrics import conformal_margin, coverage, mae, mase, mase_by_horizon, pinball_loss
from companion.models import (DirectForecaster, EncoderDecoderForecaster, LagRegression, RecursiveForecaster,
                              fit_multistep, predict_multistep)

# ---- data --------------------------------------------------------------------------------------


def test_elecdemand_is_a_year_of_half_hours_with_plausible_values():
    df = load_elecdemand()
    assert df.shape == (17520, 3) and list(df.columns) == ["demand", "temperature", "workday"]
    assert str(df.index[0]) == "2014-01-01 00:00:00" and str(df.index[-1]) == "2014-12-31 23:30:00"
    assert (df.index[1:] - df.index[:-1] == np.timedelta64(30, "m")).all()
    assert set(np.unique(df.workday)) == {0.0, 1.0}
    assert 2 < df.demand.min() and df.demand.max() < 10  # GW in Victoria
    assert -5 < df.temperature.min() and df.temperature.max() < 50  # °C in Melbourne
    # weekends are not work days: 2014-01-04 was a Saturday
    assert df.loc["2014-01-04", "workday"].eq(0).all() and df.loc["2014-01-07", "workday"].eq(1).all()


# ---- windows -----------------------------------------------------------------------------------


def test_horizon_windows_equal_hand_built_slices():
    series = np.arange(40.0)
    cov = np.stack([100 + np.arange(40.0), -np.arange(40.0)], axis=1)
    w = horizon_windows(series, cov, window=5, horizon=3, origins=[5, 20, 37])
    assert isinstance(w, HorizonWindows) and len(w) == 3
    np.testing.assert_array_equal(w.past[1], [15, 16, 17, 18, 19])
    np.testing.assert_array_equal(w.target[1], [20, 21, 22])
    np.testing.assert_array_equal(w.target[2], [37, 38, 39])
    np.testing.assert_array_equal(w.past_covariates[0], cov[0:5])
    np.testing.assert_array_equal(w.future_covariates[2], cov[37:40])
    past, future = w.inputs()
    assert past.shape == (3, 5, 3) and future.shape == (3, 3, 2) and past.dtype == torch.float32
    np.testing.assert_array_equal(past[1, :, 0].numpy(), [15, 16, 17, 18, 19])
    past, future = w.inputs(covariates=False)
    assert past.shape == (3, 5, 1) and future.shape == (3, 3, 0)
    assert w.targets().shape == (3, 3)


def test_horizon_windows_without_covariates_and_with_one_column():
    w = horizon_windows(np.arange(10.0), None, window=2, horizon=2, origins=np.array([2]))
    assert w.past_covariates.shape == (1, 2, 0)
    w = horizon_windows(np.arange(10.0), np.arange(10.0) * 2, window=2, horizon=2, origins=[4])
    np.testing.assert_array_equal(w.future_covariates[0, :, 0], [8, 10])


@pytest.mark.parametrize("kwargs, message", [
    (dict(window=0, horizon=2, origins=[3]), r"window must be a positive integer, got 0"),
    (dict(window=3, horizon=0, origins=[3]), r"horizon must be a positive integer, got 0"),
    (dict(window=5, horizon=20, origins=[5]), r"length 12 is too short for window=5 and horizon=20.*needs at least 25"),
    (dict(window=3, horizon=2, origins=[2]), r"window <= o <= n - horizon, i.e. 3 <= o <= 10.*got o=2"),
    (dict(window=3, horizon=2, origins=[11]), r"3 <= o <= 10.*got o=11"),
    (dict(window=3, horizon=2, origins=[3.0]), r"origins to be a non-empty 1-D array of integer"),
    (dict(window=3, horizon=2, origins=[]), r"origins to be a non-empty 1-D array"),
])
def test_horizon_windows_refuse_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        horizon_windows(np.arange(12.0), None, **kwargs)


def test_horizon_windows_refuse_covariates_not_aligned_with_the_series():
    expected = r"covariates aligned with the series, of shape \(12, F\).*got shape \(11, 2\)"
    with pytest.raises(ValueError, match=expected):
        horizon_windows(np.arange(12.0), np.zeros((11, 2)), window=3, horizon=2, origins=[3])
    with pytest.raises(ValueError, match=r"NaN"):
        horizon_windows(np.r_[np.arange(11.0), np.nan], None, window=3, horizon=2, origins=[3])
    with pytest.raises(ValueError, match=r"1-D series \(n,\), got shape \(12, 1\)"):
        horizon_windows(np.zeros((12, 1)), None, window=3, horizon=2, origins=[3])


def test_origins_between_lie_on_the_grid_with_past_and_targets_in_range():
    origins = origins_between(100, 300, window=60, horizon=48, step=48)
    np.testing.assert_array_equal(origins, [144, 192, 240])  # 96 is before 100; 288 + 48 > 300
    origins = origins_between(0, 300, window=60, horizon=48, step=48)
    assert origins[0] == 96  # the first multiple of 48 with a full past of 60
    with pytest.raises(ValueError, match=r"no origin on a grid of step 48 fits in \[0, 100\)"):
        origins_between(0, 100, window=60, horizon=48, step=48)


# ---- losses and metrics ------------------------------------------------------------------------


def test_pinball_loss_at_the_median_is_half_the_mae():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=(7, 5)), rng.normal(size=(7, 5))
    got = pinball_loss(torch.tensor(p)[..., None], torch.tensor(y), [0.5])
    assert float(got) == pytest.approx(0.5 * mae(y, p), rel=1e-12)


def test_pinball_loss_by_hand_and_per_quantile():
    y = torch.tensor([1.0, 3.0])
    pred = torch.tensor([[0.0, 2.0], [4.0, 5.0]])  # (2, Q=2), quantiles 0.1 and 0.9
    # y=1: e=1 (q .1: .1, q .9: .9) and e=-1 (q .1: .9, q .9: .1); y=3: e=-1 -> .9, .1 ; e=-2 -> 1.8, .2
    expected = np.mean([0.1 * 1, 0.9 * 1 * 0 + (0.9 - 1) * -1, (0.1 - 1) * -1, (0.9 - 1) * -2])
    assert float(pinball_loss(pred, y, [0.1, 0.9])) == pytest.approx(expected)


def test_pinball_loss_is_minimised_by_the_quantile():
    values = torch.tensor(np.random.default_rng(1).normal(size=2001))
    grid = torch.linspace(-3, 3, 601, dtype=torch.float64)
    losses = [float(pinball_loss(torch.full((2001, 1), float(c), dtype=torch.float64), values, [0.9])) for c in grid]
    best = float(grid[int(np.argmin(losses))])
    assert best == pytest.approx(np.quantile(values.numpy(), 0.9), abs=0.02)


@pytest.mark.parametrize("quantiles", [[0.0], [1.0], [0.5, 1.2], [-0.1], [True], []])
def test_pinball_loss_refuses_quantiles_outside_zero_one(quantiles):
    with pytest.raises(ValueError, match=r"quantile"):
        pinball_loss(torch.zeros(3, len(quantiles) or 1), torch.zeros(3), quantiles)


def test_pinball_loss_refuses_a_prediction_without_a_quantile_axis():
    with pytest.raises(ValueError, match=r"expected prediction of shape \(4, 2\).*got \(4,\)"):
        pinball_loss(torch.zeros(4), torch.zeros(4), [0.1, 0.9])


def test_mase_by_horizon_equals_a_loop_over_columns():
    rng = np.random.default_rng(2)
    y_true, y_pred, y_train = rng.normal(size=(6, 4)), rng.normal(size=(6, 4)), rng.normal(size=50)
    scale = np.mean([abs(y_train[t] - y_train[t - 3]) for t in range(3, 50)])
    expected = [np.mean(np.abs(y_true[:, k] - y_pred[:, k])) / scale for k in range(4)]
    np.testing.assert_allclose(mase_by_horizon(y_true, y_pred, y_train, 3), expected, rtol=1e-12)
    assert mase_by_horizon(y_true, y_pred, y_train, 3).mean() == pytest.approx(mase(y_true, y_pred, y_train, 3))
    with pytest.raises(ValueError, match=r"same shape \(N, K\), got \(6, 4\) and \(6, 3\)"):
        mase_by_horizon(y_true, y_pred[:, :3], y_train, 3)


def test_coverage_counts_the_ends_and_refuses_crossed_intervals():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    assert coverage(y, np.array([0.0, 1.5, 1.0, 4.0]), np.array([1.0, 2.0, 2.0, 5.0])) == 0.5
    with pytest.raises(ValueError, match=r"lower <= upper everywhere, got lower 3 > upper 2 at flat index 1"):
        coverage(y, np.array([0.0, 3.0, 0, 0]), np.array([1.0, 2.0, 9, 9]))
    with pytest.raises(ValueError, match=r"one non-empty shape, got \(4,\), \(3,\) and \(4,\)"):
        coverage(y, y[:3], y)


def test_conformal_margin_covers_the_calibration_set_as_asked():
    rng = np.random.default_rng(3)
    y = rng.normal(size=199)
    lower, upper = np.full(199, -0.2), np.full(199, 0.2)  # far too narrow
    c = conformal_margin(y, lower, upper, 0.8)
    # ceil(200 * 0.8) = 160th smallest score: at least 160 of 199 values inside, fewer with a smaller margin
    assert coverage(y, lower - c, upper + c) >= 160 / 199
    assert coverage(y, lower - c + 1e-9, upper + c - 1e-9) < 160 / 199
    assert c == pytest.approx(np.sort(np.abs(y))[159] - 0.2)
    wide = conformal_margin(y, np.full(199, -10.0), np.full(199, 10.0), 0.8)
    assert wide < 0  # intervals that were too wide are narrowed
    with pytest.raises(ValueError, match=r"level to be a number strictly between 0 and 1, got 1.5"):
        conformal_margin(y, lower, upper, 1.5)
    with pytest.raises(ValueError, match=r"needs at least 9 calibration values.*got n=3"):
        conformal_margin(y[:3], lower[:3], upper[:3], 0.9)


# ---- models ------------------------------------------------------------------------------------

W, K, P = 12, 4, 4  # a small week: 3 periods of 4 steps, a horizon of one period


def _inputs(B=5, I=3, F=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, W, I, generator=g), torch.randn(B, K, F, generator=g), torch.randn(B, K, generator=g)


@pytest.mark.parametrize("cls", [DirectForecaster, EncoderDecoderForecaster, RecursiveForecaster])
def test_forecasters_give_one_value_per_step_and_use_the_future_covariates(cls):
    torch.manual_seed(0)
    past, future, _ = _inputs()
    model = cls(3, 2, window=W, horizon=K, hidden_size=6, period=P)
    y = model(past, future)
    assert y.shape == (5, K)
    future2 = future.clone()
    future2[:, -1] += 1.0  # the covariates of the last step only
    y2 = model(past, future2)
    assert not torch.allclose(y[:, -1], y2[:, -1])
    if cls is not DirectForecaster:  # step by step: earlier steps cannot see a later step's covariates
        torch.testing.assert_close(y[:, :-1], y2[:, :-1])


@pytest.mark.parametrize("cls", [DirectForecaster, EncoderDecoderForecaster])
def test_quantile_outputs_never_cross(cls):
    torch.manual_seed(1)
    past, future, _ = _inputs()
    y = cls(3, 2, window=W, horizon=K, hidden_size=6, period=P, quantiles=3)(past * 10, future * 10)
    assert y.shape == (5, K, 3) and bool((y[..., 1:] >= y[..., :-1]).all())


def test_recursive_forecaster_feeds_back_its_own_predictions():
    """Teacher forcing with the model's own free-running forecast reproduces that forecast; a teacher
    value changes only the steps after it."""
    torch.manual_seed(2)
    past, future, target = _inputs()
    model = RecursiveForecaster(3, 2, window=W, horizon=K, hidden_size=6, period=P)
    free = model(past, future)
    torch.testing.assert_close(model(past, future, teacher=free), free)
    forced = model(past, future, teacher=target)
    torch.testing.assert_close(forced[:, 0], free[:, 0])  # step 1 reads observed values only
    assert not torch.allclose(forced[:, 1:], free[:, 1:])
    changed = target.clone()
    changed[:, 2] += 5.0
    torch.testing.assert_close(model(past, future, teacher=changed)[:, :3], forced[:, :3])


def test_direct_forecaster_reads_the_past_in_time_order_one_period_per_step():
    torch.manual_seed(3)
    model = DirectForecaster(1, 0, window=W, horizon=K, hidden_size=5, period=P)
    past = torch.randn(2, W, 1)
    days = past.reshape(2, W // P, P)  # period 1 is steps 0..3, in order
    _, h = model.encoder.layer(days)
    expected = model.readout(h[-1])
    torch.testing.assert_close(model(past, torch.zeros(2, K, 0)), expected)


def test_forecasters_refuse_bad_shapes_naming_what_was_expected():
    model = DirectForecaster(3, 2, window=W, horizon=K, hidden_size=4, period=P)
    past, future, _ = _inputs()
    with pytest.raises(ValueError, match=r"expected past of shape \(B, 12, 3\), got \(5, 11, 3\)"):
        model(past[:, 1:], future)
    with pytest.raises(ValueError, match=r"expected future of shape \(5, 4, 2\) \(B from past\), got \(5, 3, 2\)"):
        model(past, future[:, 1:])
    with pytest.raises(ValueError, match=r"window must be a whole number of periods, got window=12 and period=5"):
        DirectForecaster(3, 2, window=W, horizon=K, period=5)
    rec = RecursiveForecaster(3, 2, window=W, horizon=K, hidden_size=4, period=P)
    with pytest.raises(ValueError, match=r"teacher \(the true targets\) of shape \(5, 4\), got \(5, 3\)"):
        rec(past, future, teacher=future[..., 0][:, :3])


def test_fit_multistep_lowers_the_loss_and_keeps_the_best_validation_epoch():
    torch.manual_seed(4)
    past, future, _ = _inputs(B=32, I=1, F=1)
    target = past[:, -K:, 0] + future[..., 0]  # last period plus the covariate: learnable
    for cls in (DirectForecaster, EncoderDecoderForecaster, RecursiveForecaster):
        model = cls(1, 1, window=W, horizon=K, hidden_size=8, period=P)
        with torch.no_grad():
            before = float(torch.nn.functional.mse_loss(model(past, future), target))
        history = fit_multistep(model, (past, future, target), epochs=60, lr=0.02, valid=(past, future, target),
                                progress=False)
        after = float(torch.nn.functional.mse_loss(torch.tensor(predict_multistep(model, past, future)).float(),
                                                   target))
        assert after < 0.5 * before, cls.__name__
        assert len(history.train_loss) == 60
    with pytest.raises(TypeError, match=r"train to be a triple \(past, future, target\)"):
        fit_multistep(model, (past, future), epochs=1)
    with pytest.raises(ValueError, match=r"same number \(> 0\) of examples, got 32, 32 and 31"):
        fit_multistep(model, (past, future, target[1:]), epochs=1)


def test_lag_regression_recovers_the_coefficients_of_a_linear_process():
    rng = np.random.default_rng(5)
    N = 200
    past, future = rng.normal(size=(N, W)), rng.normal(size=(N, K, 2))
    k = np.arange(K)
    target = (1.0 + 0.5 * past[:, -1:] + 0.3 * past[:, W + k - P] - 0.2 * past[:, k] + 2.0 * future[:, :, 0]
              - 1.0 * future[:, :, 1] + 0.7 * future[:, :, 0] ** 2)
    model = LagRegression(period=P, squares=(0,)).fit(past, future, target)
    np.testing.assert_allclose(model.params_[:-1], np.tile([1.0, 0.5, 0.3, -0.2, 2.0, -1.0, 0.7], (K - 1, 1)),
                               atol=1e-9)
    # at the last step y[o+K-1-P] is y[o-1]: two equal columns, whose weights only their sum identifies
    assert model.params_[-1, 1] + model.params_[-1, 2] == pytest.approx(0.8)
    np.testing.assert_allclose(model.predict(past[:3], future[:3]), target[:3], atol=1e-9)
    no_cov = LagRegression(period=P, covariates=False).fit(past, future, target)
    assert no_cov.params_.shape == (K, 4)
    with pytest.raises(RuntimeError, match="not fitted yet"):
        LagRegression(period=P).predict(past, future)
    with pytest.raises(ValueError, match=r"squares=\[2\] names a covariate column .* \(F=2\)"):
        LagRegression(period=P, squares=(2,)).fit(past, future, target)
    with pytest.raises(ValueError, match=r"expected target of shape \(200, 4\), got \(200, 3\)"):
        LagRegression(period=P).fit(past, future, target[:, :3])


# ---- exercises ---------------------------------------------------------------------------------


def test_forecasting_checkers_accept_right_answers_and_explain_wrong_ones(seeded, capsys):
    def pinball(prediction, target, q):
        e = target - prediction
        return float(np.mean(np.where(e >= 0, q * e, (q - 1) * e)))

    check_pinball_loss(pinball, seed=seeded)
    with pytest.raises(ExerciseError, match="swapped"):
        check_pinball_loss(lambda prediction, target, q: pinball(prediction, target, 1 - q), seed=seeded)
    with pytest.raises(ExerciseError, match="half the MAE, the pinball loss at q = 0.5 only"):  # half_mae
        check_pinball_loss(lambda prediction, target, q: float(np.mean(np.abs(target - prediction)) / 2), seed=seeded)
    check_coverage(lambda y, lower, upper: float(np.mean((lower <= y) & (y <= upper))), seed=seeded)
    with pytest.raises(ExerciseError, match=r"<=, not <"):
        check_coverage(lambda y, lower, upper: float(np.mean((lower < y) & (y < upper))), seed=seeded)

    def by_horizon(y_true, y_pred, y_train, m):
        scale = np.mean(np.abs(y_train[m:] - y_train[:-m]))
        return np.abs(y_true - y_pred).mean(axis=0) / scale

    check_mase_by_horizon(by_horizon, seed=seeded)
    with pytest.raises(ExerciseError, match="seasonal naive error"):
        check_mase_by_horizon(lambda y_true, y_pred, y_train, m: by_horizon(y_true, y_pred, y_train, 1), seed=seeded)
    with pytest.raises(ExerciseError, match=r"one value per origin \(row\), not per step of the horizon"):  # by_row
        check_mase_by_horizon(lambda y_true, y_pred, y_train, m: by_horizon(y_true.T, y_pred.T, y_train, m),
                              seed=seeded)
    assert "correct" in capsys.readouterr().out
