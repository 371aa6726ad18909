"""The test suite's own seeding (tests/conftest.py): every test starts from its own seed."""

import random

import numpy as np
import torch

from helpers import seed_of


def test_each_test_starts_from_generators_seeded_with_its_seed(seeded, request):
    assert seeded == seed_of(request.node.nodeid)
    drawn = (random.random(), float(np.random.rand()), float(torch.rand(())))
    random.seed(seeded)
    np.random.seed(seeded)
    assert drawn == (random.random(), float(np.random.rand()),
                     float(torch.rand((), generator=torch.Generator().manual_seed(seeded))))


def test_rng_fixture_is_seeded_like_the_test(rng, seeded):
    assert rng.random() == np.random.default_rng(seeded).random()


def test_different_tests_and_base_seeds_get_different_seeds(monkeypatch):
    # Both base seeds set here: the suite itself may run under any RECURRENT_TEST_SEED (benchmarks/flakiness.sh).
    monkeypatch.setenv("RECURRENT_TEST_SEED", "0")
    a, b = seed_of("tests/x.py::test_a"), seed_of("tests/x.py::test_b")
    assert a != b
    monkeypatch.setenv("RECURRENT_TEST_SEED", "1")
    assert seed_of("tests/x.py::test_a") != a
