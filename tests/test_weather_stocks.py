"""The weather-and-stocks chapter's companion code: gaps on a full clock, windows that never span a
gap, window baselines, stock returns, and the tests of "better than chance" — each against an
independent reference (loops, scikit-learn, SciPy) and with clear errors for bad input."""

import math

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.linear_model import LinearRegression, Ridge

from companion.data import hour_of_day, load_goog, load_weather, log_returns, to_full_clock, window_pairs
from companion.metrics import (binomial_p_value, chance_agreement, directional_accuracy, lagged_correlation,
                               wilson_interval)
from companion.models import LinearWindow, persistence, seasonal_persistence

H = np.timedelta64(1, "h")


def hours(*k):
    return np.datetime64("2013-01-01T00", "h") + np.array(k) * H


# -- to_full_clock ------------------------------------------------------------------------------------


def test_to_full_clock_puts_each_row_at_its_hour_and_nan_in_the_missing_ones():
    clock, full, observed = to_full_clock(hours(0, 1, 4), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    assert list(clock) == list(hours(0, 1, 2, 3, 4))
    assert observed.tolist() == [True, True, False, False, True]
    np.testing.assert_array_equal(full[[0, 1, 4]], [[1, 2], [3, 4], [5, 6]])
    assert np.isnan(full[[2, 3]]).all()


@pytest.mark.parametrize("times, message", [
    (hours(0, 2, 1), "expected increasing times without repeats, got .* at rows 1 and 2"),
    (hours(0, 1, 1), "without repeats"),
    (np.array(["2013-01-01T00:00", "2013-01-01T00:30"], dtype="datetime64[m]"), "is not on the clock"),
])
def test_to_full_clock_refuses_unordered_repeated_or_off_clock_times(times, message):
    with pytest.raises(ValueError, match=f"to_full_clock: .*{message}"):
        to_full_clock(times, np.zeros(len(times)))


def test_to_full_clock_refuses_values_with_another_number_of_rows():
    with pytest.raises(ValueError, match=r"to_full_clock: expected values of shape \(3,\) or \(3, F\), one row per "
                                         r"time, got \(2, 1\)"):
        to_full_clock(hours(0, 1, 2), np.zeros((2, 1)))


# -- window_pairs -------------------------------------------------------------------------------------


def windows_by_loop(features, target, window, horizon):
    X, y, end = [], [], []
    for s in range(len(features) - window - horizon + 1):
        e = s + window - 1
        x = features[s:s + window]
        if np.isfinite(x).all() and np.isfinite(target[e + horizon]):
            X.append(x)
            y.append(target[e + horizon])
            end.append(e)
    return np.array(X), np.array(y), np.array(end)


@pytest.mark.parametrize("window, horizon", [(1, 1), (3, 1), (4, 6), (5, 2)])
def test_window_pairs_equals_a_loop_that_skips_windows_touching_a_gap(window, horizon):
    rng = np.random.default_rng(window * 10 + horizon)
    features = rng.normal(size=(40, 3))
    target = rng.normal(size=40)
    features[[7, 20], rng.integers(0, 3, 2)] = np.nan  # a missing value, in one column
    features[30] = np.nan  # a missing hour
    target[[12, 31]] = np.nan
    pairs = window_pairs(features, target, window, horizon)
    X, y, end = windows_by_loop(features, target, window, horizon)
    np.testing.assert_array_equal(pairs.X, X)
    np.testing.assert_array_equal(pairs.y, y)
    np.testing.assert_array_equal(pairs.end, end)
    assert pairs.candidates == 40 - window - horizon + 1 and pairs.dropped == pairs.candidates - len(y) > 0


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(window=0), ValueError, "window_pairs: window must be a positive integer, got 0"),
    (dict(horizon=0), ValueError, "window_pairs: horizon must be a positive integer, got 0"),
    (dict(window=8, horizon=3), ValueError, r"a series of length 10 is too short for window=8 and horizon=3 "
                                            r"\(needs at least 11\)"),
    (dict(target=np.zeros(9)), ValueError, r"expected target of shape \(10,\), one value per row of features "
                                           r"\(the same clock\), got \(9,\)"),
    (dict(features=np.zeros(10)), ValueError, r"expected features of shape \(n, F\) with F >= 1, got \(10,\)"),
    (dict(target=np.full(10, np.nan)), ValueError, "every one of the 8 windows touches a missing value"),
    (dict(target=np.r_[np.inf, np.zeros(9)]), ValueError, "not infinite values"),
    (dict(features="abc"), TypeError, "window_pairs: expected features to be numbers"),
])
def test_window_pairs_refuses_bad_input_with_a_clear_error(kwargs, error, message):
    arguments = dict(features=np.zeros((10, 2)), target=np.zeros(10), window=2, horizon=1) | kwargs
    with pytest.raises(error, match=message):
        window_pairs(**arguments)


def test_hour_of_day_is_a_point_on_the_clock_circle():
    times = np.datetime64("2013-03-10T00", "h") + np.arange(48) * H
    angles = hour_of_day(times)
    np.testing.assert_allclose(angles[6], [1, 0], atol=1e-12)
    np.testing.assert_allclose(angles[:24], angles[24:])
    np.testing.assert_allclose((angles ** 2).sum(1), 1)
    with pytest.raises(ValueError, match="hour_of_day: expected times to be a 1-D array of datetime64"):
        hour_of_day(np.arange(3))


# -- window baselines ---------------------------------------------------------------------------------


def test_persistence_and_seasonal_persistence_read_the_right_step_of_a_series():
    series = np.arange(100.0)  # the value is its own index, so every forecast says where it read
    features = np.column_stack([series * 0, series])
    for window, horizon, m in [(24, 6, 24), (30, 1, 24), (7, 3, 7)]:
        pairs = window_pairs(features, series, window, horizon)
        np.testing.assert_array_equal(persistence(pairs.X, 1), pairs.end)
        np.testing.assert_array_equal(seasonal_persistence(pairs.X, 1, horizon, m), pairs.y - m)


@pytest.mark.parametrize("call, message", [
    (lambda X: seasonal_persistence(X, 0, 25, 24), "horizon=25 is longer than the season m=24"),
    (lambda X: seasonal_persistence(X, 0, 2, 24), r"windows of W=10 steps do not reach back .* \(need W >= 23\)"),
    (lambda X: persistence(X, 3), "column must index one of the F=3 features, got 3"),
    (lambda X: persistence(X[0], 0), r"expected windows X of shape \(N, W, F\) with no empty axis, got \(10, 3\)"),
])
def test_window_baselines_refuse_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call(np.zeros((5, 10, 3)))


def test_linear_window_equals_scikit_learn():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(200, 6, 3)), rng.normal(size=200)
    flat = X.reshape(200, -1)
    for ridge, reference in [(0.0, LinearRegression()), (5.0, Ridge(alpha=5.0))]:
        ours = LinearWindow(ridge=ridge).fit(X, y)
        theirs = reference.fit(flat, y)
        np.testing.assert_allclose(ours.predict(X[:20]), theirs.predict(flat[:20]), atol=1e-9)
    with pytest.raises(ValueError, match=r"LinearWindow.predict: expected windows of shape \(N, 6, 3\)"):
        ours.predict(X[:, :5])
    with pytest.raises(ValueError, match=r"LinearWindow.fit: expected y of shape \(200,\), one target per window"):
        LinearWindow().fit(X, y[:-1])
    with pytest.raises(RuntimeError, match="not fitted yet"):
        LinearWindow().predict(X)


# -- direction and chance -----------------------------------------------------------------------------


def test_directional_accuracy_and_chance_agreement_by_counting():
    rng = np.random.default_rng(2)
    y_true, y_pred = rng.normal(size=300), rng.normal(0.3, 1, size=300)
    hits = sum((t > 0) == (p > 0) for t, p in zip(y_true, y_pred))
    assert directional_accuracy(y_true, y_pred) == hits / 300
    # chance agreement: the mean accuracy of y_pred's calls shuffled against y_true
    shuffled = np.mean([directional_accuracy(y_true, rng.permutation(y_pred)) for _ in range(4000)])
    assert abs(chance_agreement(y_true, y_pred) - shuffled) < 0.003
    assert chance_agreement(y_true, np.ones(300)) == np.mean(y_true > 0)
    with pytest.raises(ValueError, match=r"directional_accuracy: expected y_true and y_pred of the same shape"):
        directional_accuracy(y_true, y_pred[:-1])


@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (103, 200), (81, 200), (200, 200), (1, 1)])
def test_wilson_interval_and_binomial_p_value_equal_scipy(k, n):
    result = stats.binomtest(k, n, 0.5)
    interval = result.proportion_ci(0.95, method="wilson")
    np.testing.assert_allclose(wilson_interval(k, n), (interval.low, interval.high), atol=1e-12)
    assert math.isclose(binomial_p_value(k, n), result.pvalue, rel_tol=1e-9)
    assert math.isclose(binomial_p_value(k, n, p=0.3), stats.binomtest(k, n, 0.3).pvalue, rel_tol=1e-9)


@pytest.mark.parametrize("call, message", [
    (lambda: wilson_interval(11, 10), "wilson_interval: successes must be at most n=10, got 11"),
    (lambda: wilson_interval(1, 0), "wilson_interval: n must be a positive integer, got 0"),
    (lambda: wilson_interval(1, 10, level=1.0), "level must be between 0 and 1, got 1"),
    (lambda: binomial_p_value(2.5, 10), "binomial_p_value: successes must be a non-negative integer, got 2.5"),
    (lambda: binomial_p_value(2, 10, p=0), "binomial_p_value: p must be positive, got 0"),
])
def test_interval_and_test_refuse_bad_counts(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_lagged_correlation_peaks_at_one_for_yesterdays_value():
    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(size=500))
    forecast = np.r_[walk[0], walk[:-1]]  # yesterday's value
    c = lagged_correlation(walk, forecast, 3)
    reference = [np.corrcoef(forecast[k:], walk[:500 - k])[0, 1] for k in range(4)]
    np.testing.assert_allclose(c, reference, atol=1e-12)
    assert np.argmax(c) == 1 and c[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"lagged_correlation: series of length 4 are too short for max_lag=2"):
        lagged_correlation(walk[:4], forecast[:4], 2)
    with pytest.raises(ValueError, match="a series is constant at lag 0"):
        lagged_correlation(walk[:10], np.ones(10), 0)


# -- the data -----------------------------------------------------------------------------------------


def test_weather_is_on_a_full_utc_clock_with_the_24_missing_hours_as_nan():
    weather = load_weather("JFK")
    assert np.all(np.diff(weather.times) == H)
    assert (~weather.observed).sum() == 24 and len(weather.times) == 8730
    assert np.isnan(weather.values[~weather.observed]).all()
    temp = weather.column("temp")
    assert np.isfinite(temp[weather.observed]).all() and 0 < np.nanmin(temp) < np.nanmax(temp) < 110
    with pytest.raises(ValueError, match=r"load_weather: station must be one of \('EWR', 'JFK', 'LGA'\), got 'SFO'"):
        load_weather("SFO")
    with pytest.raises(KeyError, match="no column 'pressure'"):
        weather.column("pressure")


def test_goog_prices_and_log_returns():
    prices = load_goog()
    assert len(prices.close) == 1047 and str(prices.dates[0]) == "2004-08-19"
    r = log_returns(prices.close)
    np.testing.assert_allclose(np.exp(np.cumsum(r)) * prices.close[0], prices.close[1:], rtol=1e-10)
    with pytest.raises(ValueError, match="log_returns: prices must be positive .* got 0 at index 1"):
        log_returns([1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match=r"at least 2 prices, got shape \(1,\)"):
        log_returns(torch.ones(1))


# -- the chapter's exercise checkers ------------------------------------------------------------------


def test_weather_stocks_checkers_accept_independent_answers_and_name_typical_mistakes(capsys):
    from companion.exercises import (ExerciseError, check_chance_agreement, check_seasonal_persistence,
                                     check_wilson_interval)

    def seasonal_by_loop(X, column, horizon, m):
        W = X.shape[1]
        return np.array([window[W - 1 + horizon - m, column] for window in X])

    def wilson_by_scipy(successes, n):
        ci = stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
        return ci.low, ci.high

    def chance_by_counting(y_true, y_pred):
        return float(np.mean([(t > 0) == (p > 0) for t in y_true for p in y_pred]))

    for seed in range(3):
        check_seasonal_persistence(seasonal_by_loop, seed=seed)
        check_wilson_interval(wilson_by_scipy, seed=seed)
        check_chance_agreement(chance_by_counting, seed=seed)
    with pytest.raises(ExerciseError, match="m steps before the window's end"):
        check_seasonal_persistence(lambda X, column, horizon, m: X[:, -m, column], seed=0, trials=20)
    with pytest.raises(ExerciseError, match="normal \\(Wald\\) interval"):
        check_wilson_interval(lambda successes, n: (successes / n - 1.959963984540054 * np.sqrt(
            successes / n * (1 - successes / n) / n), successes / n + 1.959963984540054 * np.sqrt(
            successes / n * (1 - successes / n) / n)), seed=0, trials=20)
    with pytest.raises(ExerciseError, match="chance is not 0.5"):
        check_chance_agreement(lambda y_true, y_pred: 0.5, seed=0)
