"""Checkers of the weather-and-stocks chapter: the seasonal baseline on windows, the Wilson interval,
and the directional accuracy a forecast gets by chance."""

from __future__ import annotations

import numpy as np

from .core import _checker, check_function


@_checker
def check_seasonal_persistence(function, trials: int = 5) -> None:
    """Check ``function(X, column, horizon, m) -> (N,)``: for windows ``X`` (N, W, F) whose target is
    ``horizon`` steps after the last step, the value of feature ``column`` one season (``m`` steps)
    before the target. Horizons vary, so reading ``m`` steps before the window's end is caught."""
    from ..models import seasonal_persistence

    def make_inputs(rng):
        m = int(rng.choice([4, 7, 24]))
        horizon = int(rng.integers(1, m + 1))
        W = int(rng.integers(m, m + 6))  # at least a season, so that a wrong offset still indexes the window
        F = int(rng.integers(1, 4))
        return {"X": rng.normal(size=(int(rng.integers(2, 9)), W, F)), "column": int(rng.integers(0, F)),
                "horizon": horizon, "m": m}

    def from_the_end(X, column, horizon, m):
        return X[:, -m, column]

    def last_value(X, column, horizon, m):
        return X[:, -1, column]

    check_function(function, reference=seasonal_persistence, make_inputs=make_inputs, name="seasonal_persistence",
                   trials=trials,
                   mistakes=[(from_the_end, "this is m steps before the window's end, not one season before the "
                                            "target, which lies horizon steps after the end"),
                             (last_value, "this is the last value of the window (persistence), not one season "
                                          "before the target")])


@_checker
def check_wilson_interval(function, trials: int = 5) -> None:
    """Check ``function(successes, n) -> (low, high)``, the 95% Wilson score interval. Counts near 0
    and n are drawn, where the plain normal interval ``p̂ ± 1.96 sqrt(p̂(1-p̂)/n)`` goes wrong."""
    from ..metrics import wilson_interval

    def make_inputs(rng):
        n = int(rng.integers(5, 300))
        k = int(rng.choice([0, 1, n // 2, n - 1, int(rng.integers(0, n + 1))]))
        return {"successes": k, "n": n}

    def normal_interval(successes, n):
        p = successes / n
        half = 1.959963984540054 * np.sqrt(p * (1 - p) / n)
        return p - half, p + half

    check_function(function, reference=lambda successes, n: wilson_interval(successes, n), make_inputs=make_inputs,
                   name="wilson_interval", trials=trials, atol=1e-6, rtol=1e-6,
                   mistakes=[(normal_interval, "this is the normal (Wald) interval p ± z·sqrt(p(1-p)/n), not "
                                               "Wilson's")])


@_checker
def check_chance_agreement(function, trials: int = 5) -> None:
    """Check ``function(y_true, y_pred) -> float``: the directional accuracy expected if ``y_pred``'s
    "up" calls were independent of ``y_true``'s moves. The draws have a drift, so 0.5 is wrong."""
    from ..metrics import chance_agreement

    def make_inputs(rng):
        n = int(rng.integers(10, 200))
        return {"y_true": rng.normal(rng.uniform(-0.8, 0.8), 1, size=n),
                "y_pred": rng.normal(rng.uniform(-0.8, 0.8), 1, size=n)}

    check_function(function, reference=chance_agreement, make_inputs=make_inputs, name="chance_agreement",
                   trials=trials, mistakes=[(lambda y_true, y_pred: 0.5, "chance is not 0.5 when up and down moves "
                                                                          "(or calls) are not equally frequent")])
