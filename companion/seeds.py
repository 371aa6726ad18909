"""Run an experiment over several seeds and report the spread.

A trained model depends on its seed and on the CPU's instruction set (see
:mod:`companion.config`), so one run proves little. :func:`over_seeds` runs a function once
per seed, each time after seeding every generator, and collects what it returns::

    spread = over_seeds(lambda seed: {"lstm": train_lstm(), "rnn": train_rnn()}, n=5)
    print(spread)                         # a table: mean, min and max of each result
    assert spread.min("lstm") > 0.9        # a level that the worst seed reaches
    assert spread.worst_gap("lstm", "rnn") > 0   # lstm beat rnn on every seed

The seeds are :func:`companion.config.seeds` (``RECURRENT_SEED``, ``RECURRENT_SEED + 1``,
...) unless given, so a notebook measured over seeds 0-4 moves to 3-7 when CI sets
``RECURRENT_SEED=3``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import config
from .progress import progress as progress_bar


@dataclass
class Spread:
    """The results of one experiment over seeds: ``values[name][k]`` is result ``name`` for ``seeds[k]``."""

    seeds: list[int]
    values: dict[str, list[float]]

    def _get(self, name: str) -> list[float]:
        if name not in self.values:
            raise KeyError(f"Spread: no result named {name!r}; the results are {sorted(self.values)}")
        return self.values[name]

    def mean(self, name: str = "value") -> float:
        values = self._get(name)
        return sum(values) / len(values)

    def min(self, name: str = "value") -> float:
        return min(self._get(name))

    def max(self, name: str = "value") -> float:
        return max(self._get(name))

    def worst_gap(self, better: str, worse: str) -> float:
        """The smallest ``better - worse`` over the seeds, on the same seed: positive when
        ``better`` was ahead on every seed, and by at least that much."""
        return min(b - w for b, w in zip(self._get(better), self._get(worse)))

    def per_seed(self) -> list[dict[str, float]]:
        """One dict of results per seed, in the order of :attr:`seeds`."""
        return [{name: values[k] for name, values in self.values.items()} for k in range(len(self.seeds))]

    def table(self, fmt: str = ".4g") -> str:
        """A plain-text table: one row per result, its mean, min and max over the seeds."""
        width = max(len("result"), *(len(name) for name in self.values))
        cells = {name: (format(self.mean(name), fmt), format(self.min(name), fmt), format(self.max(name), fmt))
                 for name in self.values}
        cw = max(4, *(len(c) for row in cells.values() for c in row))
        lines = [f"{'result':<{width}}  {'mean':>{cw}}  {'min':>{cw}}  {'max':>{cw}}"]
        lines += [f"{name:<{width}}  " + "  ".join(f"{c:>{cw}}" for c in row) for name, row in cells.items()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return f"over {len(self.seeds)} seeds {_seed_range(self.seeds)}:\n{self.table()}"


def _seed_range(seeds: list[int]) -> str:
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 1:
        return f"({seeds[0]}-{seeds[-1]})"
    return "(" + ", ".join(map(str, seeds)) + ")"


def over_seeds(fn: Callable[[int], float | Mapping[str, float]], *, n: int | None = None,
               seeds: list[int] | None = None, progress: bool = True, desc: str = "seeds") -> Spread:
    """Call ``fn(seed)`` once per seed, after :func:`companion.config.seed_everything(seed)`.

    ``fn`` returns a number (stored as ``"value"``) or a mapping of names to numbers, the same
    names every time. Give either ``n`` (the seeds are :func:`companion.config.seeds(n)`) or
    an explicit list ``seeds``. A result that is not a finite number is an error: a NaN must
    not hide inside a mean.
    """
    if (n is None) == (seeds is None):
        raise ValueError(f"over_seeds: give exactly one of n (how many seeds) or seeds (a list), got n={n!r}, "
                         f"seeds={seeds!r}")
    if seeds is None:
        seeds = config.seeds(n)
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
        raise ValueError(f"over_seeds: seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    if not callable(fn):
        raise TypeError(f"over_seeds: fn must be a function of the seed, got {type(fn).__name__}")
    values: dict[str, list[float]] = {}
    for k, seed in enumerate(progress_bar(seeds, desc=desc, unit="seed", disable=not progress)):
        config.seed_everything(seed)
        result = fn(seed)
        result = result if isinstance(result, Mapping) else {"value": result}
        if k == 0:
            values = {name: [] for name in result}
        elif set(result) != set(values):
            raise ValueError(f"over_seeds: fn returned the results {sorted(result)} for seed {seed}, "
                             f"but {sorted(values)} for seed {seeds[0]}")
        for name, value in result.items():
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"over_seeds: result {name!r} is {value} for seed {seed}, not a finite number")
            values[name].append(value)
    return Spread(seeds=seeds, values=values)
