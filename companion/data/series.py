"""Real series that ship with maintained packages (nothing is downloaded).

* :func:`sunspots` — yearly mean sunspot numbers 1700–2008, shipped with statsmodels
  (``statsmodels.datasets.sunspots``; source: the Royal Observatory of Belgium's SIDC).
* :func:`co2_weekly` — weekly atmospheric CO2 at Mauna Loa 1958–2001, shipped with statsmodels
  (``statsmodels.datasets.co2``; source: Scripps Institution of Oceanography), gaps filled.
"""

from __future__ import annotations

import numpy as np


def sunspots() -> tuple[np.ndarray, np.ndarray]:
    """Return ``(years, counts)``, two float64 arrays of length 309 (1700–2008).

    Loaded from the copy that statsmodels ships, so it works offline.
    """
    from statsmodels.datasets import sunspots as _sunspots  # imported here: statsmodels is slow to import

    frame = _sunspots.load_pandas().data
    return frame["YEAR"].to_numpy(dtype=np.float64), frame["SUNACTIVITY"].to_numpy(dtype=np.float64)


def co2_weekly() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(dates, ppm, filled)``: 2284 weeks from 1958-03-29 to 2001-12-29.

    ``dates`` (n,) ``datetime64[ns]``, one Saturday per week with no week left out; ``ppm`` (n,)
    float64, the CO2 mole fraction in parts per million; ``filled`` (n,) bool, True for the weeks
    that have no measurement in the data set. Those values are filled by linear interpolation in
    time between the nearest measured weeks on either side (no gap lies at either end). A
    straight line is a fair guess for a gap of a few weeks; the longest gap is 18 weeks, so
    ``filled`` is returned for anyone who prefers another fill.
    """
    from statsmodels.datasets import co2 as _co2  # imported here: statsmodels is slow to import

    series = _co2.load_pandas().data["co2"]
    filled = series.isna().to_numpy()
    ppm = series.interpolate(method="time").to_numpy(dtype=np.float64)
    if np.isnan(ppm).any():  # would mean a gap at the start, which interpolation cannot fill
        raise RuntimeError("co2_weekly: statsmodels' CO2 data changed: a gap at the start cannot be interpolated")
    return series.index.to_numpy(dtype="datetime64[ns]"), ppm, filled
