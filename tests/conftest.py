"""Shared test setup.

* Tests marked ``gpu`` are skipped, with the reason, where CUDA is absent.
* Every test runs with one CPU thread: the layers loop over time on small matrices, where a
  second thread costs more than it saves (on a busy 2-core machine, many times more).
"""

import pytest
import torch


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device: torch.cuda.is_available() is False on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def one_cpu_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
