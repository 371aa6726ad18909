"""What a training run records: its :class:`History`, and checkpoints to resume it from.

A checkpoint is written to a temporary file, flushed to the disk and renamed over the
previous one, and loaded with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

import torch
from torch import nn

from ..checks import check_instance, check_int, describe


@dataclass
class History:
    """Per-epoch losses, for plots: ``train_loss[k]`` and ``valid_loss[k]`` after epoch ``k``."""

    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    best_epoch: int | None = None


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (the CPU for a model without parameters)."""
    check_instance("model_device", "model", model, nn.Module, "a torch.nn.Module")
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def save_checkpoint(path, *, model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int,
                    history: History, **extra) -> None:
    """Save what resuming needs: model and optimizer state, the last finished ``epoch``,
    the ``history``, and ``extra`` tensors, numbers, strings, lists or dicts of them
    (:func:`fit` adds the generators' states and the run's hyperparameters).

    Written to a temporary file, flushed to the disk (``os.fsync``) and renamed over ``path``,
    so a crash, even of the machine, never leaves half a checkpoint.
    """
    who = "save_checkpoint"
    _check_path(who, path)
    check_instance(who, "model", model, nn.Module, "a torch.nn.Module")
    check_instance(who, "optimizer", optimizer, torch.optim.Optimizer, "a torch.optim.Optimizer")
    check_int(who, "epoch", epoch, minimum=0)
    check_instance(who, "history", history, History, "a companion.train.History")
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
             "history": dataclasses.asdict(history), **extra}
    path = os.fspath(path)
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as file:
        torch.save(state, file)
        file.flush()
        os.fsync(file.fileno())  # the data is on the disk before the rename makes it the checkpoint
    os.replace(tmp, path)
    _fsync_directory(path)


def _fsync_directory(path) -> None:
    """Make the rename itself durable (POSIX; a no-op where directories cannot be opened)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_path(who: str, path) -> None:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}: expected path to be a file path (str or os.PathLike), got {describe(path)}")


_RNG_KEYS = ("generator", "torch_rng")  # ByteTensors that torch wants on the CPU, whatever map_location was


def load_checkpoint(path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> dict:
    """Load a :func:`save_checkpoint` file into ``model`` (and ``optimizer``); return the whole dict,
    with ``"history"`` as a :class:`History`.

    Uses ``torch.load(..., weights_only=True)``: a checkpoint can hold tensors and plain
    data, never code to run. Tensors are mapped to the model's device, except the random
    generators' states (``"generator"``, ``"torch_rng"``, ``"cuda_rng"``), which stay CPU
    ``ByteTensor`` s, as ``torch.set_rng_state`` needs them.
    """
    who = "load_checkpoint"
    _check_path(who, path)
    check_instance(who, "model", model, nn.Module, "a torch.nn.Module")
    if optimizer is not None:
        check_instance(who, "optimizer", optimizer, torch.optim.Optimizer, "a torch.optim.Optimizer or None")
    state = torch.load(path, map_location=model_device(model), weights_only=True)
    missing = [key for key in ("model", "optimizer", "epoch", "history") if not isinstance(state, dict) or key not in state]
    if missing:
        raise ValueError(f"{who}: {os.fspath(path)} is not a checkpoint written by save_checkpoint: it has no "
                         f"{', '.join(map(repr, missing))} entry (a plain state_dict loads with "
                         "model.load_state_dict(torch.load(path, weights_only=True)))")
    for key in _RNG_KEYS:
        if isinstance(state.get(key), torch.Tensor):
            state[key] = state[key].cpu()
    if state.get("cuda_rng") is not None:
        state["cuda_rng"] = [s.cpu() for s in state["cuda_rng"]]
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as error:
        raise ValueError(f"{who}: the checkpoint {os.fspath(path)} holds the weights of another model: "
                         f"{error}") from error
    if optimizer is not None:
        try:
            optimizer.load_state_dict(state["optimizer"])
        except ValueError as error:
            raise ValueError(f"{who}: the checkpoint {os.fspath(path)}'s optimizer state does not fit this "
                             f"optimizer: {error}") from error
    state["history"] = History(**state["history"])
    return state
