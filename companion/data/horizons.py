"""Multi-step windows: a past of ``window`` steps in, the next ``horizon`` steps out, with covariates.

* :func:`horizon_windows` — cut a series (and its covariates) at chosen forecast origins into a
  :class:`HorizonWindows`: the past of the target and of the covariates, the covariates of the
  forecast horizon, and the targets.
* :func:`origins_between` — the origins whose targets lie in a time range (a split) and whose
  past exists, on a grid (e.g. every midnight).

An origin ``o`` is the index of the first value to forecast: the past is ``series[o-window:o]``,
the targets ``series[o:o+horizon]``. Covariates of the horizon (``covariates[o:o+horizon]``) are
*future* values: known in advance for a calendar (work days), not for the weather, where using
them means assuming a perfect ("oracle") weather forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..checks import as_float_array, check_int, describe


@dataclass
class HorizonWindows:
    """Windows cut at ``N`` origins (arrays, float64).

    ``origins`` (N,) int; ``past`` (N, window) the target's past; ``past_covariates``
    (N, window, F); ``future_covariates`` (N, horizon, F); ``target`` (N, horizon). ``F`` may be 0.
    """

    origins: np.ndarray
    past: np.ndarray
    past_covariates: np.ndarray
    future_covariates: np.ndarray
    target: np.ndarray

    def __len__(self) -> int:
        return len(self.origins)

    def inputs(self, covariates: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """The models' inputs as float32 tensors: ``past`` (N, window, 1+F) — the target's past
        in channel 0, then the covariates — and ``future`` (N, horizon, F); with
        ``covariates=False``, (N, window, 1) and (N, horizon, 0)."""
        past = self.past[:, :, None]
        future = self.future_covariates
        if covariates:
            past = np.concatenate([past, self.past_covariates], axis=2)
        else:
            future = future[:, :, :0]
        return torch.tensor(past, dtype=torch.float32), torch.tensor(future, dtype=torch.float32)

    def targets(self) -> torch.Tensor:
        """``target`` as a float32 tensor (N, horizon)."""
        return torch.tensor(self.target, dtype=torch.float32)


def _series_and_covariates(who: str, series, covariates):
    series = as_float_array(who, "series", series)
    if series.ndim != 1:
        raise ValueError(f"{who}: expected a 1-D series (n,), got shape {series.shape}")
    if covariates is None:
        return series, np.zeros((len(series), 0))
    covariates = as_float_array(who, "covariates", covariates)
    if covariates.ndim == 1:
        covariates = covariates[:, None]
    if covariates.ndim != 2 or covariates.shape[0] != len(series):
        raise ValueError(f"{who}: expected covariates aligned with the series, of shape ({len(series)}, F) or "
                         f"({len(series)},), one row per time step, got shape {covariates.shape}")
    return series, covariates


def horizon_windows(series, covariates=None, *, window: int, horizon: int, origins) -> HorizonWindows:
    """Cut ``series`` (n,) and ``covariates`` (n, F) or (n,) or None at ``origins``.

    Window ``k`` holds ``past = series[o-window:o]``, ``past_covariates = covariates[o-window:o]``,
    ``future_covariates = covariates[o:o+horizon]`` and ``target = series[o:o+horizon]`` for
    ``o = origins[k]``. Every origin needs ``window <= o <= n - horizon``.
    """
    who = "horizon_windows"
    series, covariates = _series_and_covariates(who, series, covariates)
    window = check_int(who, "window", window)
    horizon = check_int(who, "horizon", horizon)
    n = len(series)
    if window + horizon > n:
        raise ValueError(f"{who}: a series of length {n} is too short for window={window} and horizon={horizon} "
                         f"(needs at least {window + horizon} values)")
    origins_array = np.asarray(origins)
    if origins_array.ndim != 1 or origins_array.size == 0 or origins_array.dtype.kind not in "iu":
        raise ValueError(f"{who}: expected origins to be a non-empty 1-D array of integer indices, got "
                         f"{describe(origins)}" + (f" of shape {origins_array.shape} and dtype {origins_array.dtype}"
                                                   if not isinstance(origins, np.ndarray) and origins_array.dtype != object
                                                   else ""))
    bad = (origins_array < window) | (origins_array > n - horizon)
    if bad.any():
        o = int(origins_array[bad][0])
        raise ValueError(f"{who}: every origin o needs window <= o <= n - horizon, i.e. {window} <= o <= "
                         f"{n - horizon} (a full past and a full horizon inside the series of length {n}), got o={o}")
    past_idx = origins_array[:, None] + np.arange(-window, 0)[None, :]  # (N, window)
    future_idx = origins_array[:, None] + np.arange(horizon)[None, :]  # (N, horizon)
    return HorizonWindows(origins=origins_array.astype(np.int64), past=series[past_idx],
                          past_covariates=covariates[past_idx], future_covariates=covariates[future_idx],
                          target=series[future_idx])


def origins_between(start: int, stop: int, *, window: int, horizon: int, step: int = 1) -> np.ndarray:
    """The origins ``o`` (multiples of ``step``) whose targets ``o .. o+horizon-1`` lie in
    ``[start, stop)`` and whose past ``o-window .. o-1`` starts at index 0 or later (the past may
    reach back before ``start``: it is observed when the forecast is made). With ``step=48`` on a
    half-hourly series starting at midnight, one origin per midnight."""
    who = "origins_between"
    start = check_int(who, "start", start, minimum=0)
    stop = check_int(who, "stop", stop, minimum=0)
    window = check_int(who, "window", window)
    horizon = check_int(who, "horizon", horizon)
    step = check_int(who, "step", step)
    first = max(start, window)
    first = -(-first // step) * step
    origins = np.arange(first, stop - horizon + 1, step, dtype=np.int64)
    if origins.size == 0:
        raise ValueError(f"{who}: no origin on a grid of step {step} fits in [{start}, {stop}) with window={window} "
                         f"and horizon={horizon} (the targets need {horizon} steps inside the range, the past "
                         f"{window} steps from index 0)")
    return origins
