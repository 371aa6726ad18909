"""companion.seeds.over_seeds: an experiment over several seeds, and its spread."""

import math
import random
import statistics

import pytest
import torch

from companion import config
from companion.seeds import Spread, over_seeds


def test_over_seeds_seeds_every_run_and_reports_mean_min_max(monkeypatch):
    monkeypatch.setenv(config.SEED_VAR, "10")
    seen = []

    def experiment(seed):
        seen.append(seed)
        return {"a": torch.rand(()).item(), "b": random.random()}

    spread = over_seeds(experiment, n=4, progress=False)
    assert seen == spread.seeds == [10, 11, 12, 13]
    # each run drew from generators seeded with its own seed: an independent replay agrees
    for seed, a, b in zip(seen, spread.values["a"], spread.values["b"]):
        torch.manual_seed(seed)
        random.seed(seed)
        assert (a, b) == (torch.rand(()).item(), random.random())
    a = spread.values["a"]
    assert spread.mean("a") == pytest.approx(statistics.fmean(a))
    assert (spread.min("a"), spread.max("a")) == (min(a), max(a))


def test_worst_gap_is_the_smallest_same_seed_difference():
    spread = Spread(seeds=[0, 1, 2], values={"x": [5.0, 3.0, 9.0], "y": [1.0, 2.5, 8.0]})
    assert spread.worst_gap("x", "y") == 0.5          # seed 1: 3.0 - 2.5
    assert spread.worst_gap("y", "x") == -4.0         # seed 0: 1.0 - 5.0
    # not the same as comparing the extremes across seeds
    assert spread.min("x") - spread.max("y") != spread.worst_gap("x", "y")
    assert spread.per_seed()[1] == {"x": 3.0, "y": 2.5}


def test_a_plain_number_is_stored_as_value_and_the_table_shows_it():
    spread = over_seeds(lambda seed: float(seed) * 2, seeds=[1, 2, 3], progress=False)
    assert spread.values == {"value": [2.0, 4.0, 6.0]}
    assert spread.mean() == 4.0
    text = str(spread)
    assert "3 seeds (1-3)" in text and "mean" in text and "6" in text


@pytest.mark.parametrize("kwargs,message", [
    ({}, "exactly one of n"),
    ({"n": 2, "seeds": [0, 1]}, "exactly one of n"),
    ({"seeds": []}, "non-empty list"),
    ({"seeds": [0, -1]}, "non-negative integers"),
    ({"n": 0}, "n must be a positive integer"),
])
def test_bad_seed_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        over_seeds(lambda seed: 1.0, progress=False, **kwargs)


def test_a_nan_result_or_changing_names_is_an_error_not_a_mean():
    with pytest.raises(ValueError, match="not a finite number"):
        over_seeds(lambda seed: math.nan if seed == 1 else 0.0, seeds=[0, 1], progress=False)
    with pytest.raises(ValueError, match="returned the results"):
        over_seeds(lambda seed: {"a": 1.0} if seed == 0 else {"b": 1.0}, seeds=[0, 1], progress=False)
    with pytest.raises(KeyError, match="no result named 'c'"):
        Spread(seeds=[0], values={"a": [1.0]}).min("c")
    with pytest.raises(TypeError, match="function of the seed"):
        over_seeds(3.0, n=1, progress=False)
