"""Run-time settings shared by every chapter: quick or full sizes, the device, seeds.

The one switch
--------------
Every notebook picks its sizes (epochs, hidden units, data points) with :func:`pick`::

    from companion import config
    epochs = config.pick(quick=30, full=300)

*Quick* sizes are for a laptop CPU and for CI: each notebook runs in under a
minute on two cores and still reaches the quality its text claims. *Full* sizes
are for a GPU and give the figures quoted in the text.

The mode is chosen, in this order, by

1. the environment variable ``RECURRENT_MODE`` (``quick`` or ``full``), read
   when :func:`mode` is called, so it can be set before starting Jupyter;
2. otherwise: ``full`` when CUDA is available, ``quick`` when not.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

ENV_VAR = "RECURRENT_MODE"
MODES = ("quick", "full")


def mode() -> str:
    """Return ``"quick"`` or ``"full"`` (see the module docstring)."""
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if value == "":
        return "full" if torch.cuda.is_available() else "quick"
    if value not in MODES:
        raise ValueError(f"{ENV_VAR} must be one of {MODES}, got {value!r}")
    return value


def is_quick() -> bool:
    return mode() == "quick"


def pick(*, quick, full):
    """Return ``quick`` in quick mode and ``full`` in full mode."""
    return quick if is_quick() else full


def device() -> torch.device:
    """The best device present: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def describe() -> str:
    """One line for the top of a notebook: mode, device, versions."""
    return (
        f"mode={mode()} (set {ENV_VAR}=quick|full to change)  device={device()}  "
        f"torch={torch.__version__}"
    )
