"""The chapter on sequences and time series: MASE, baselines, CO2 loader, splits, scaling, checkers."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from companion import baselines, data, metrics
from companion.exercises import ExerciseError, check_mase, check_seasonal_naive


def seasonal_series(rng, n, m):
    t = np.arange(n)
    return 0.05 * t + np.sin(2 * np.pi * t / m) + rng.normal(scale=0.3, size=n)


# --- MASE --------------------------------------------------------------------------------------


def direct_mase(y_true, y_pred, y_train, m):
    """Hyndman and Koehler's definition, written with plain loops."""
    n, h = len(y_train), len(y_true)
    scale = sum(abs(y_train[t] - y_train[t - m]) for t in range(m, n)) / (n - m)
    return sum(abs(a - b) for a, b in zip(y_true, y_pred)) / h / scale


def test_mase_matches_the_direct_formula_for_random_series_and_seasons(rng):
    for _ in range(20):
        m = int(rng.integers(1, 13))
        y_train = seasonal_series(rng, int(rng.integers(m + 1, 80)), m)
        h = int(rng.integers(1, 30))
        y_true, y_pred = rng.normal(size=h), rng.normal(size=h)
        assert math.isclose(metrics.mase(y_true, y_pred, y_train, m=m), direct_mase(y_true, y_pred, y_train, m),
                            rel_tol=1e-12)


def test_mase_of_the_in_sample_seasonal_naive_forecast_is_one(rng):
    m = 7
    y_train = seasonal_series(rng, 60, m)
    # Forecasting y_train[m:] by the value one season earlier is exactly the scale's own forecast.
    assert math.isclose(metrics.mase(y_train[m:], y_train[:-m], y_train, m=m), 1.0, rel_tol=1e-12)


def test_mase_is_unchanged_by_rescaling_the_series(rng):
    y_train, y_true, y_pred = rng.normal(size=40), rng.normal(size=5), rng.normal(size=5)
    c = float(rng.uniform(0.1, 100))
    assert math.isclose(metrics.mase(c * y_true, c * y_pred, c * y_train, m=4),
                        metrics.mase(y_true, y_pred, y_train, m=4), rel_tol=1e-10)


@pytest.mark.parametrize(
    "y_train, m, error, message",
    [
        (np.arange(4.0), 4, ValueError, "the training series needs more than m=4 values to compute the seasonal naive scale, got 4"),
        (np.tile([1.0, 2.0, 3.0], 5), 3, ValueError, "the scale (in-sample MAE of the m=3 seasonal naive forecast) is 0.0"),
        (np.arange(10.0), 0, ValueError, "the season length m must be a positive integer, got 0"),
        (np.arange(10.0), 1.5, ValueError, "the season length m must be a positive integer, got 1.5"),
        (np.zeros((5, 2)), 1, ValueError, "expected a 1-D training series y_train, got shape (5, 2)"),
    ],
)
def test_mase_rejects_bad_input_with_a_clear_message(y_train, m, error, message):
    with pytest.raises(error, match=re.escape(message)):
        metrics.mase(np.zeros(3), np.ones(3), y_train, m=m)


def test_mase_refuses_forecasts_of_another_shape():
    with pytest.raises(ValueError, match=re.escape("mase: expected y_true and y_pred of the same shape, got (3,) and (4,)")):
        metrics.mase(np.zeros(3), np.zeros(4), np.arange(10.0))


# --- Baselines ---------------------------------------------------------------------------------


def test_naive_forecast_repeats_the_last_training_value(rng):
    y_train = rng.normal(size=int(rng.integers(1, 30)))
    forecast = baselines.naive_forecast(y_train, 9)
    assert forecast.shape == (9,) and np.all(forecast == y_train[-1])


def test_seasonal_naive_forecast_follows_the_ceiling_formula_for_any_horizon(rng):
    for _ in range(20):
        m = int(rng.integers(1, 13))
        y_train = rng.normal(size=int(rng.integers(m, 50)))
        h = int(rng.integers(1, 4 * m + 5))
        n = len(y_train)
        expected = [y_train[n + k - m * math.ceil(k / m) - 1] for k in range(1, h + 1)]  # 1-based formula
        np.testing.assert_array_equal(baselines.seasonal_naive_forecast(y_train, h, m), expected)


def test_seasonal_naive_with_one_step_seasons_is_the_naive_forecast(rng):
    y_train = rng.normal(size=12)
    np.testing.assert_array_equal(baselines.seasonal_naive_forecast(y_train, 5, 1), baselines.naive_forecast(y_train, 5))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: baselines.seasonal_naive_forecast(np.arange(5.0), 3, 12), "needs at least m=12 training values (one season), got 5"),
        (lambda: baselines.seasonal_naive_forecast(np.arange(5.0), 0, 2), "horizon must be a positive integer, got 0"),
        (lambda: baselines.naive_forecast(np.zeros((3, 2)), 2), "naive_forecast: expected a 1-D training series, got shape (3, 2)"),
        (lambda: baselines.naive_forecast(np.zeros(0), 2), "needs at least m=1 training values (one season), got 0"),
    ],
)
def test_baselines_reject_bad_input_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


# --- Data: CO2, splits, scaling -----------------------------------------------------------------


def test_co2_weekly_has_every_week_and_fills_the_gaps_linearly_in_time():
    from statsmodels.datasets import co2

    raw = co2.load_pandas().data["co2"]
    dates, ppm, filled = data.co2_weekly()
    assert dates.shape == ppm.shape == filled.shape == (2284,)
    assert np.all(np.diff(dates) == np.timedelta64(7, "D")), "one value per week, none left out"
    assert not np.isnan(ppm).any()
    np.testing.assert_array_equal(filled, raw.isna().to_numpy())
    np.testing.assert_array_equal(ppm[~filled], raw.dropna().to_numpy())  # measured weeks untouched
    days = (dates - dates[0]) / np.timedelta64(1, "D")
    np.testing.assert_allclose(ppm[filled], np.interp(days[filled], days[~filled], ppm[~filled]))
    assert pd.Timestamp(dates[0]) == pd.Timestamp("1958-03-29") and pd.Timestamp(dates[-1]) == pd.Timestamp("2001-12-29")


def test_time_split_is_in_time_order_and_covers_every_point_once(rng):
    for _ in range(20):
        n = int(rng.integers(3, 200))
        valid, test = int(rng.integers(0, n // 2)), int(rng.integers(0, n // 2))
        train_part, valid_part, test_part = data.time_split(n, valid, test)
        index = np.arange(n)
        assert np.concatenate([index[train_part], index[valid_part], index[test_part]]).tolist() == index.tolist()
        assert len(index[valid_part]) == valid and len(index[test_part]) == test and len(index[train_part]) >= 1


@pytest.mark.parametrize(
    "args, message",
    [
        ((10, 5, 5), "valid=5 + test=5 leaves no training points out of n=10 (needs n > 10)"),
        ((10, -1, 2), "valid must be a non-negative integer, got -1"),
        ((10, 2, 2.5), "test must be a non-negative integer, got 2.5"),
    ],
)
def test_time_split_rejects_bad_input_with_a_clear_message(args, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        data.time_split(*args)


def test_standardizer_scales_everything_with_training_statistics_only(rng):
    train, test = rng.normal(3.0, 2.0, size=50), rng.normal(10.0, 5.0, size=20)
    scaler = data.Standardizer().fit(train)
    np.testing.assert_allclose(scaler.transform(test), (test - train.mean()) / train.std())
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test)
    z = scaler.transform(train)
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1) < 1e-12


def test_standardizer_scales_each_column_of_a_matrix(rng):
    x = rng.normal(size=(30, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -5.0]
    z = data.Standardizer().fit_transform(x)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: data.Standardizer().transform(np.zeros(3)), RuntimeError,
         "Standardizer.transform: not fitted yet; call fit(train) first"),
        (lambda: data.Standardizer().inverse_transform(np.zeros(3)), RuntimeError,
         "Standardizer.inverse_transform: not fitted yet"),
        (lambda: data.Standardizer().fit(np.ones(5)), ValueError, "a column of the training data is constant (std 0)"),
        (lambda: data.Standardizer().fit(np.ones(1)), ValueError, "expected shape (n,) or (n, F) with n >= 2, got (1,)"),
        (lambda: data.Standardizer().fit(np.arange(6.0)).transform(np.zeros((3, 2))), ValueError,
         "Standardizer.transform: expected shape (n,) like the data given to fit, got (3, 2)"),
        (lambda: data.Standardizer().fit(np.eye(3) + np.arange(3)).transform(np.zeros((3, 2))), ValueError,
         "expected shape (n, 3) like the data given to fit, got (3, 2)"),
    ],
)
def test_standardizer_rejects_misuse_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


# --- Exercise checkers -------------------------------------------------------------------------


def test_check_mase_accepts_a_correct_implementation_written_differently(seeded, capsys):
    def mine(y_true, y_pred, y_train, m):
        return direct_mase(list(y_true), list(y_pred), list(y_train), m)

    check_mase(mine, seed=seeded)
    assert "mase: correct on 5 random inputs." in capsys.readouterr().out


def test_check_mase_rejects_scaling_by_the_naive_forecast_whatever_m_is(seeded):
    def lag_one_scale(y_true, y_pred, y_train, m):
        return metrics.mase(y_true, y_pred, y_train, m=1)

    with pytest.raises(ExerciseError, match=r"mase: wrong value; expected [\d.]+, got [\d.]+ .*m=(4|7|12)\)"):
        check_mase(lag_one_scale, trials=40, seed=seeded)


def test_check_mase_reports_an_exception_in_the_readers_code(seeded):
    with pytest.raises(ExerciseError, match=r"mase: your function raised ZeroDivisionError: .*y_train: ndarray of shape"):
        check_mase(lambda y_true, y_pred, y_train, m: 1 / 0, seed=seeded)


def test_check_seasonal_naive_accepts_a_correct_implementation(seeded, capsys):
    def mine(y_train, horizon, m):
        season = list(y_train[-m:])
        return np.array([season[k % m] for k in range(horizon)])

    check_seasonal_naive(mine, seed=seeded)
    assert "seasonal_naive: correct on 5 random inputs." in capsys.readouterr().out


def test_check_seasonal_naive_rejects_a_forecast_that_stops_after_one_season(seeded):
    def one_season(y_train, horizon, m):
        return np.asarray(y_train[-m:][:horizon])  # too short whenever horizon > m

    with pytest.raises(ExerciseError, match=r"seasonal_naive: expected shape \(\d+,\), got \(\d+,\) \(trial \d+, inputs"):
        check_seasonal_naive(one_season, trials=40, seed=seeded)


def test_check_seasonal_naive_rejects_the_first_season_instead_of_the_last(seeded):
    def first_season(y_train, horizon, m):
        return np.resize(y_train[:m], horizon)

    with pytest.raises(ExerciseError, match=r"seasonal_naive: wrong value; largest difference .* at index \(\d+,\)"):
        check_seasonal_naive(first_season, seed=seeded)
