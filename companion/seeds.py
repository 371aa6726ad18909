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

import numpy as np
import torch

from . import config
from .checks import check_bool, check_callable, check_instance, check_int, check_sequence, describe
from .progress import progress as progress_bar


@dataclass
class Spread:
    """The results of one experiment over seeds: ``values[name][k]`` is result ``name`` for ``seeds[k]``."""

    seeds: list[int]
    values: dict[str, list[float]]

    def __post_init__(self):
        who = "Spread"
        items = check_sequence(who, "seeds", self.seeds, expected="a non-empty list of seeds", allow_empty=False)
        self.seeds = [check_int(who, f"seeds[{k}]", s, minimum=0) for k, s in enumerate(items)]
        check_instance(who, "values", self.values, Mapping, "a dict of result names to lists of numbers")
        if not self.values:
            raise ValueError(f"{who}: expected values to hold at least one result, got an empty dict")
        values = {}
        for name, numbers in self.values.items():
            if not isinstance(name, str):
                raise TypeError(f"{who}: expected the result names in values to be strings, got {describe(name)}")
            numbers = check_sequence(who, f"values[{name!r}]", numbers, expected="a list of numbers, one per seed")
            if len(numbers) != len(self.seeds):
                raise ValueError(f"{who}: expected values[{name!r}] to hold one number per seed ({len(self.seeds)}), "
                                 f"got {len(numbers)}")
            values[name] = [_number(who, f"values[{name!r}][{k}]", v) for k, v in enumerate(numbers)]
        self.values = values

    def _get(self, name: str) -> list[float]:
        if not isinstance(name, str):
            raise TypeError(f"Spread: expected a result name (a str), got {describe(name)}; "
                            f"the results are {sorted(self.values)}")
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
        check_instance("Spread.table", "fmt", fmt, str, "a format specification such as '.4g'")
        try:
            format(0.5, fmt)
        except ValueError as error:
            raise ValueError(f"Spread.table: expected fmt to be a format specification for a float such as '.4g', "
                             f"got {fmt!r} ({error})") from None
        width = max(len("result"), *(len(name) for name in self.values))
        cells = {name: (format(self.mean(name), fmt), format(self.min(name), fmt), format(self.max(name), fmt))
                 for name in self.values}
        cw = max(4, *(len(c) for row in cells.values() for c in row))
        lines = [f"{'result':<{width}}  {'mean':>{cw}}  {'min':>{cw}}  {'max':>{cw}}"]
        lines += [f"{name:<{width}}  " + "  ".join(f"{c:>{cw}}" for c in row) for name, row in cells.items()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return f"over {len(self.seeds)} seeds {_seed_range(self.seeds)}:\n{self.table()}"


def _number(who: str, name: str, value) -> float:
    """``value`` as a finite float: a number, a NumPy scalar or a one-element array or tensor; not a bool or a str."""
    if isinstance(value, np.ndarray) and value.size == 1 or isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: expected {name} to be a number, got {describe(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{who}: {name} is {value}, not a finite number")
    return value


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
    who = "over_seeds"
    if (n is None) == (seeds is None):
        raise ValueError(f"over_seeds: give exactly one of n (how many seeds) or seeds (a list), got n={n!r}, "
                         f"seeds={seeds!r}")
    if seeds is None:
        seeds = config.seeds(check_int(who, "n", n))
    items = check_sequence(who, "seeds", seeds, expected="a non-empty list of non-negative integers", allow_empty=False)
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_)) and s >= 0 for s in items):
        raise ValueError(f"over_seeds: seeds must be a non-empty list of non-negative integers, got {seeds!r}")
    seeds = [int(s) for s in items]
    if len(set(seeds)) != len(seeds):
        repeated = sorted({s for s in seeds if seeds.count(s) > 1})
        raise ValueError(f"over_seeds: expected seeds without repeats (a repeated seed counts one run twice), "
                         f"got {seeds} (repeated: {repeated})")
    check_callable(who, "fn", fn, " (a function of the seed)")
    check_bool(who, "progress", progress)
    check_instance(who, "desc", desc, str, "a str (the progress bar's label)")
    values: dict[str, list[float]] = {}
    for k, seed in enumerate(progress_bar(seeds, desc=desc, unit="seed", disable=not progress)):
        config.seed_everything(seed)
        result = fn(seed)
        result = result if isinstance(result, Mapping) else {"value": result}
        if not result:
            raise ValueError(f"over_seeds: fn returned no results for seed {seed} (an empty dict); expected a number "
                             "or a dict of names to numbers")
        for name in result:
            if not isinstance(name, str):
                raise TypeError(f"over_seeds: expected fn to return a number or a dict of names (strings) to numbers, "
                                f"got the name {describe(name)} for seed {seed}")
        if k == 0:
            values = {name: [] for name in result}
        elif set(result) != set(values):
            raise ValueError(f"over_seeds: fn returned the results {sorted(result)} for seed {seed}, "
                             f"but {sorted(values)} for seed {seeds[0]}")
        for name, value in result.items():
            values[name].append(_number(who, f"result {name!r} for seed {seed}", value))
    return Spread(seeds=seeds, values=values)
