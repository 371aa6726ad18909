"""Is a forecast better than chance? Direction, binomial intervals and tests, lagged correlation.

* :func:`directional_accuracy` — the fraction of steps whose sign (up or not) a forecast got right;
* :func:`chance_agreement` — the directional accuracy a forecast would get by luck: its share of
  "up" calls and the share of real up moves, as if independent;
* :func:`wilson_interval` — a confidence interval for a proportion (Wilson, 1927);
* :func:`binomial_p_value` — the exact two-sided binomial test of ``k`` successes in ``n`` at rate ``p``;
* :func:`lagged_correlation` — the correlation of a forecast with the truth shifted by 0, 1, ... steps:
  a forecast that peaks at lag 1 is copying yesterday.
"""

from __future__ import annotations

import math

import numpy as np

from ..checks import check_int, check_real
from .forecast import _pair


def directional_accuracy(y_true, y_pred) -> float:
    """``mean [y_true > 0] == [y_pred > 0]``: how often the forecast change ``y_pred`` (n,) has the
    direction of the real change ``y_true`` (n,). A change of exactly 0 counts as "not up"."""
    y_true, y_pred = _pair("directional_accuracy", y_true, y_pred)
    return float(np.mean((y_true > 0) == (y_pred > 0)))


def chance_agreement(y_true, y_pred) -> float:
    """``u q + (1 - u)(1 - q)`` with ``u`` the fraction of ``y_true`` (n,) above 0 and ``q`` that of
    ``y_pred`` (n,): the expected :func:`directional_accuracy` of a forecast that says "up" as often
    as ``y_pred`` does but independently of what happens. It is 0.5 only when ``u`` or ``q`` is 0.5:
    a forecast that always says "up" scores ``u``, the share of up moves."""
    y_true, y_pred = _pair("chance_agreement", y_true, y_pred)
    u, q = float(np.mean(y_true > 0)), float(np.mean(y_pred > 0))
    return u * q + (1 - u) * (1 - q)


def _counts(who: str, successes, n) -> tuple[int, int]:
    n = check_int(who, "n", n)
    successes = check_int(who, "successes", successes, minimum=0)
    if successes > n:
        raise ValueError(f"{who}: successes must be at most n={n}, got {successes}")
    return successes, n


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval ``(low, high)`` for a proportion after ``successes`` in ``n`` trials.

    ``(p̂ + z²/2n ± z sqrt(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n)`` with ``z`` the normal quantile of
    ``(1 + level) / 2``. Unlike ``p̂ ± z sqrt(p̂(1-p̂)/n)`` it stays in [0, 1] and is not empty at 0 or n.
    """
    who = "wilson_interval"
    successes, n = _counts(who, successes, n)
    level = check_real(who, "level", level, above=0)
    if level >= 1:
        raise ValueError(f"{who}: level must be between 0 and 1, got {level:g}")
    z = math.sqrt(2) * _erfinv(level)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _erfinv(x: float) -> float:
    """Inverse error function by Newton's method on ``math.erf`` (exact to machine precision)."""
    y = 0.0
    for _ in range(100):
        step = (math.erf(y) - x) / (2 / math.sqrt(math.pi) * math.exp(-y * y))
        y -= step
        if abs(step) < 1e-15:
            break
    return y


def binomial_p_value(successes: int, n: int, p: float = 0.5) -> float:
    """Exact two-sided p-value of ``successes`` in ``n`` trials of success probability ``p``: the
    probability of an outcome no more likely than the one observed."""
    who = "binomial_p_value"
    successes, n = _counts(who, successes, n)
    p = check_real(who, "p", p, above=0)
    if p >= 1:
        raise ValueError(f"{who}: p must be between 0 and 1, got {p:g}")
    k = np.arange(n + 1)
    log_pmf = (np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in k])
               + k * math.log(p) + (n - k) * math.log1p(-p))
    pmf = np.exp(log_pmf)
    return float(min(1.0, pmf[pmf <= pmf[successes] * (1 + 1e-7)].sum()))


def lagged_correlation(y_true, y_pred, max_lag: int) -> np.ndarray:
    """``c[k] = corr(y_pred[t], y_true[t - k])`` for ``k = 0..max_lag``, over the ``t`` where both exist.

    ``y_true`` and ``y_pred`` (n,) on the same steps; returns (max_lag + 1,). A forecast that
    merely repeats the last observed value correlates best at ``k = 1``.
    """
    who = "lagged_correlation"
    y_true, y_pred = _pair(who, y_true, y_pred)
    if y_true.ndim != 1:
        raise ValueError(f"{who}: expected 1-D series, got shape {y_true.shape}")
    max_lag = check_int(who, "max_lag", max_lag, minimum=0)
    if len(y_true) - max_lag < 3:
        raise ValueError(f"{who}: series of length {len(y_true)} are too short for max_lag={max_lag} "
                         f"(need at least {max_lag + 3} values)")
    out = []
    for k in range(max_lag + 1):
        a, b = y_pred[k:], y_true[: len(y_true) - k]
        if a.std() == 0 or b.std() == 0:
            raise ValueError(f"{who}: a series is constant at lag {k}; its correlation is undefined")
        out.append(float(np.corrcoef(a, b)[0, 1]))
    return np.array(out)
