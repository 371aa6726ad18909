"""Run-time settings shared by every chapter: quick or full sizes, the device, the seed, threads.

Every chapter starts with one call, :func:`setup`, which seeds every generator with the
run's seed, sets PyTorch's CPU threads and prints a line saying how the notebook runs.

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

The seed
--------
Every chapter seeds through :func:`seed_everything`, whose default is the run's seed,
:func:`seed`: the environment variable ``RECURRENT_SEED`` (a non-negative integer,
default 0). A chapter that trains several models for a comparison draws them from
:func:`seeds` (``RECURRENT_SEED``, ``RECURRENT_SEED + 1``, ...), so a whole notebook
moves to other seeds when the variable changes::

    RECURRENT_SEED=3 jupyter lab book/

A trained model also depends on the CPU's instruction set: PyTorch picks its kernels
by it (``ATEN_CPU_CAPABILITY`` = ``default``, ``avx2`` or ``avx512`` overrides the
choice), and kernels that differ in the last bit lead, after many steps of training,
to another model. So no claim in the book rests on one run: comparisons are measured
over several seeds (:func:`companion.seeds.over_seeds`) and asserted with the margin
the worst seed leaves, and CI runs every notebook under other seeds and instruction
sets. :func:`describe` prints both.
"""

from __future__ import annotations

import os
import random

import numpy as np
import threadpoolctl
import torch

from .checks import check_int

ENV_VAR = "RECURRENT_MODE"
MODES = ("quick", "full")
SEED_VAR = "RECURRENT_SEED"
MAX_SEED = 2**32 - 1  # NumPy's global generator takes seeds in 0 .. 2**32 - 1


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


def seed() -> int:
    """The run's seed: ``RECURRENT_SEED`` (a non-negative integer), 0 when it is unset."""
    return _seed_from_environment()


def _seed_from_environment() -> int:
    value = os.environ.get(SEED_VAR, "").strip()
    if value == "":
        return 0
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_SEED:
        raise ValueError(f"{SEED_VAR} must be a non-negative integer of at most {MAX_SEED}, got {value!r}")
    return int(value)


def seeds(n: int) -> list[int]:
    """``n`` consecutive seeds starting at the run's seed: ``[seed(), seed() + 1, ...]``."""
    n = check_int("seeds", "n", n)
    base = _seed_from_environment()
    return list(range(base, base + n))


def seed_everything(seed: int | None = None) -> int:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) generators; return the seed used.

    ``seed=None`` (the default) uses the run's seed, :func:`seed`.
    """
    if seed is None:
        seed = _seed_from_environment()
    seed = check_int("seed_everything", "seed", seed, minimum=0)
    if seed > MAX_SEED:
        raise ValueError(f"seed_everything: seed must be at most 2**32 - 1 = {MAX_SEED} (NumPy's limit), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return seed


def cpu_capability() -> str:
    """The instruction set of PyTorch's CPU kernels in this process: ``DEFAULT``, ``AVX2``, ``AVX512``, ..."""
    return torch.backends.cpu.get_cpu_capability()


def describe() -> str:
    """One line for the top of a notebook: mode, device, seed, CPU kernels, versions."""
    return (
        f"mode={mode()} (set {ENV_VAR}=quick|full to change)  device={device()}  "
        f"seed={seed()} ({SEED_VAR})  cpu kernels={cpu_capability()}  torch={torch.__version__}"
    )


def setup(threads: int = 1) -> None:
    """Start a chapter: seed every generator with the run's seed, use ``threads`` CPU threads (PyTorch's
    and NumPy's BLAS), print :func:`describe`.

    One thread is the default: the chapters' models are small, and two threads that wait
    for each other on a busy two-core machine are slower than one.
    """
    threads = check_int("setup", "threads", threads)
    seed_everything()
    torch.set_num_threads(threads)
    # NumPy's BLAS too (statsmodels' fits): several BLAS threads on tiny matrices and a busy
    # machine are many times slower than one.
    threadpoolctl.threadpool_limits(limits=threads)
    print(describe())
