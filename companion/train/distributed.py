"""Training across processes: companion's one training :func:`~companion.train.loop` under
``torch.nn.parallel.DistributedDataParallel`` (DDP).

Data parallelism: every process holds a copy of the model and trains on its own share of each
batch; after every backward pass DDP averages the gradients over the processes (an all-reduce),
so every copy takes the same optimizer step. With a global batch of ``batch_size`` examples
split into ``world_size`` equal shares, the mean of the shares' mean gradients is the global
batch's mean gradient, and the run equals a single-process run on the same global batches
(``tests/test_distributed.py`` checks that to 1e-6 in float64).

* :func:`init_from_env` joins the process group that ``torchrun`` describes in the environment
  (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``): ``gloo`` on CPUs,
  ``nccl`` on CUDA GPUs, one GPU per process.
* :func:`fit_distributed` trains a model on ``(X, y)`` in every process of the group.
* :func:`launch_local` starts ``nprocs`` processes on this machine (no ``torchrun``, no network
  beyond a shared file), for tests and notebooks.

``benchmarks/ddp_example.py`` is the script to launch::

    torchrun --standalone --nproc_per_node 2 benchmarks/ddp_example.py --epochs 3
"""

from __future__ import annotations

import datetime
import os
import tempfile
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

from ..checks import check_callable, check_int, check_real, describe
from .checkpoint import History
from .fit import _check_pair, _check_prediction, _validator
from .loop import _check_training_arguments, loop, minibatch_epoch

WHO = "fit_distributed"


def init_from_env(backend: str | None = None, *, timeout_s: float = 120.0) -> tuple[int, int, torch.device]:
    """Join the process group that ``torchrun`` set up; return ``(rank, world_size, device)``.

    ``backend`` defaults to ``"nccl"`` where CUDA is present (each process then takes the GPU
    ``LOCAL_RANK``) and ``"gloo"`` otherwise. Raises a ``RuntimeError`` that says how to launch
    when the environment variables of ``torchrun`` are missing.
    """
    missing = [name for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT") if name not in os.environ]
    if missing:
        raise RuntimeError(f"init_from_env: the environment lacks {', '.join(missing)}; launch the script with "
                           "torchrun (torchrun --standalone --nproc_per_node 2 script.py), or use launch_local")
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    device = torch.device("cpu")
    if backend == "nccl":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
    return dist.get_rank(), dist.get_world_size(), device


def _sampler_batches(X, y, sampler: DistributedSampler, local_batch: int):
    """``batches(generator)`` for :func:`minibatch_epoch`: this process's share of every global batch.
    The order is the sampler's (its seed and epoch), the same permutation in every process."""

    def batches(generator):
        order = torch.tensor(list(sampler), dtype=torch.long)
        for start in range(0, len(order), local_batch):
            idx = order[start : start + local_batch]
            yield X[idx], y[idx]

    return batches


def fit_distributed(model: nn.Module, train_set, *, epochs: int, batch_size: int, loss_fn=nn.functional.mse_loss,
                    lr: float = 1e-2, clip_norm: float | None = None, valid=None, patience: int | None = None,
                    seed: int | None = None, progress: bool | None = None) -> History:
    """Train ``model`` in place with :func:`~companion.train.loop` in every process of the group.

    Call it in every process (after :func:`init_from_env`, or inside :func:`launch_local`),
    each with the same model (same initial weights: DDP broadcasts rank 0's at the start
    anyway) and the same ``train_set = (X, y)``. Every epoch, a ``DistributedSampler``
    (seeded with ``seed``, default the run's seed) draws one permutation of the examples,
    drops the last ``N mod world_size`` of them, and deals it out: the global batch
    ``k`` is examples ``k·batch_size ... (k+1)·batch_size - 1`` of the permutation, and the
    process of rank ``r`` trains on those of them at positions ``r, r + world_size, ...``.
    ``batch_size`` is the global batch and must be a multiple of ``world_size``. DDP averages
    the gradients, so the steps are those of one process on the global batches. The epoch's
    training loss is the mean over all processes; ``valid = (X, y)`` is evaluated in every
    process (the copies are equal); ``progress`` (default: in rank 0 only) shows the bar.
    Returns the :class:`~companion.train.History`, the same in every process.
    """
    if not dist.is_available() or not dist.is_initialized():
        raise RuntimeError(f"{WHO}: no process group; call init_from_env() in a script launched with torchrun, "
                           "or run the training function through launch_local")
    rank, world = dist.get_rank(), dist.get_world_size()
    if progress is None:
        progress = rank == 0
    # fit's checks and words (patience without valid names valid=(X, y), not loop's validate=)
    n = _check_training_arguments(WHO, model, epochs=epochs, lr=lr, clip_norm=clip_norm, patience=patience,
                                  seed=seed, progress=progress, checkpoint=None, resume=False,
                                  has_valid=valid is not None)
    X, y = _check_pair(WHO, "train_set", train_set, min_dim=1)
    check_callable(WHO, "loss_fn", loss_fn)
    if valid is not None:
        _check_pair(WHO, "valid (X, y)", valid, min_dim=1)
    batch_size = check_int(WHO, "batch_size", batch_size)
    if batch_size % world:
        raise ValueError(f"{WHO}: batch_size must be a multiple of the number of processes ({world}), so that "
                         f"each process takes an equal share of every batch; got batch_size={batch_size}")
    if X.shape[0] < world:
        raise ValueError(f"{WHO}: train_set holds {X.shape[0]} examples, fewer than the {world} processes")
    clip_norm, seed = n["clip_norm"], n["seed"]
    device = next(model.parameters()).device
    ddp = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    X, y = X.to(device), y.to(device)
    sampler = DistributedSampler(range(X.shape[0]), num_replicas=world, rank=rank, shuffle=True, seed=seed,
                                 drop_last=True)

    checked = []  # the first batch's output is checked against the targets, once (no silent broadcasting)

    def batch_loss(batch):
        inputs, targets = batch
        output = ddp(inputs)
        output = output[0] if isinstance(output, tuple) else output
        if not checked:
            _check_prediction(WHO, output, targets, loss_fn, "train", y_all=y)
            checked.append(True)
        return loss_fn(output, targets), targets.shape[0]

    one_epoch = minibatch_epoch(ddp, _sampler_batches(X, y, sampler, batch_size // world), batch_loss,
                                clip_norm=clip_norm, who=WHO)

    def run_epoch(optimizer, generator, epoch):
        sampler.set_epoch(epoch)  # a new permutation every epoch, the same in every process
        mean = torch.tensor([float(one_epoch(optimizer, generator, epoch))], dtype=torch.float64, device=device)
        dist.all_reduce(mean)  # the shares are equal, so the mean of the means is the global mean
        return mean.item() / world

    return loop(ddp, run_epoch, epochs=epochs, lr=lr, validate=_validator(WHO, valid, loss_fn), patience=patience,
                seed=seed, progress=progress, who=WHO)


def _launched(rank: int, fn, nprocs: int, backend: str, store: str, timeout_s: float, results: str, args) -> None:
    """What each process of :func:`launch_local` runs: join the group, call ``fn``, save its result."""
    dist.init_process_group(backend, init_method=f"file://{store}", rank=rank, world_size=nprocs,
                            timeout=datetime.timedelta(seconds=timeout_s))
    try:
        # every process waits until all have joined: one that finished early and left could otherwise
        # close its connections while a slower one is still meeting the group ("Connection closed by peer")
        dist.barrier()
        torch.set_num_threads(1)
        result = fn(rank, nprocs, *args)
        torch.save(result, os.path.join(results, f"{rank}.pt"))
    finally:
        dist.destroy_process_group()


def launch_local(fn, nprocs: int = 2, args: tuple = (), *, backend: str = "gloo", timeout_s: float = 120.0,
                 start_method: str = "spawn") -> list:
    """Run ``fn(rank, nprocs, *args)`` in ``nprocs`` new processes on this machine, in one process group;
    return the list of their return values, by rank.

    The processes meet through a file in a temporary folder (no port to choose, no network).
    ``start_method="spawn"`` (the default, safe everywhere) starts fresh interpreters: ``fn``
    must then be importable by name (defined at the top level of a module, not in a notebook),
    and each process pays for importing torch again. ``"fork"`` (Linux; CPU only, as CUDA cannot
    be used in a forked child) copies this process: it starts at once and takes any ``fn``,
    a notebook's included. ``fn``'s return value must be storable by ``torch.save`` (tensors,
    dicts, numbers). A process that fails raises here with its traceback; a run longer than
    ``timeout_s`` seconds is stopped with a ``TimeoutError`` (the processes are looked at every
    second, so within a second of ``timeout_s``).
    """
    check_callable("launch_local", "fn", fn, " (fn(rank, world_size, *args))")
    nprocs = check_int("launch_local", "nprocs", nprocs)
    timeout_s = check_real("launch_local", "timeout_s", timeout_s, above=0)
    if backend not in ("gloo", "nccl"):
        raise ValueError(f"launch_local: backend must be 'gloo' or 'nccl', got {describe(backend)}")
    if start_method not in ("spawn", "fork", "forkserver"):
        raise ValueError(f"launch_local: start_method must be 'spawn', 'fork' or 'forkserver', "
                         f"got {describe(start_method)}")
    if not isinstance(args, tuple):
        raise TypeError(f"launch_local: expected args to be a tuple, got {describe(args)}")
    with tempfile.TemporaryDirectory(prefix="companion-ddp-") as folder:
        store = os.path.join(folder, "store")
        context = torch.multiprocessing.start_processes(
            _launched, args=(fn, nprocs, backend, store, timeout_s, folder, args), nprocs=nprocs, join=False,
            start_method=start_method)
        deadline = time.monotonic() + timeout_s
        while not context.join(timeout=1.0):
            if time.monotonic() > deadline:
                for process in context.processes:
                    if process.is_alive():
                        process.terminate()
                raise TimeoutError(f"launch_local: the {nprocs} processes ran longer than timeout_s={timeout_s} s")
        return [torch.load(os.path.join(folder, f"{rank}.pt"), weights_only=False) for rank in range(nprocs)]
