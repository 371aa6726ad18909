"""Shared test setup.

* Tests marked ``gpu`` are skipped, with the reason, where CUDA is absent.
* Every test runs with one CPU thread: the layers loop over time on small matrices, where a
  second thread costs more than it saves (on a busy 2-core machine, many times more).
* Every test starts from seeded generators (Python's, NumPy's global one, torch's), seeded from
  the test's name and ``RECURRENT_TEST_SEED`` (default 0): a test draws the same numbers on
  every run, so a failure reproduces, and ``RECURRENT_TEST_SEED=1 make test`` draws other ones.
  The ``rng`` fixture is a NumPy ``Generator`` seeded the same way; a failing test's report
  names its seed.
"""

import os
import random

import numpy as np
import pytest
import torch

from helpers import TEST_SEED_VAR, seed_of


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device: torch.cuda.is_available() is False on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def seeded(request):
    """Seed Python's, NumPy's and torch's generators for this test; yield the seed."""
    seed = seed_of(request.node.nodeid)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    request.node.user_properties.append(("seed", seed))
    yield seed


@pytest.fixture
def rng(seeded):
    """A NumPy random ``Generator`` seeded for this test."""
    return np.random.default_rng(seeded)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when == "call":
        seed = dict(item.user_properties).get("seed")
        base = os.environ.get(TEST_SEED_VAR, "0") or "0"
        report.sections.append(("seed", f"this test ran with seed {seed} ({TEST_SEED_VAR}={base}); "
                                        f"it draws the same numbers when run again"))


@pytest.fixture(autouse=True)
def one_cpu_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
