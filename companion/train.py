"""The training loops the chapters share.

:func:`fit` trains a model on tensors ``(X, y)`` of independent examples (windows).
:func:`fit_stateful` trains a model on long sequences by truncated backpropagation
through time: it cuts the time axis into chunks, carries the hidden state from one
chunk to the next and detaches it at the boundaries.

Both use Adam, move each batch to the model's device, show a progress bar, clip the
gradient norm when asked, evaluate on a validation set after every epoch and keep the
weights of the best validation epoch (early stopping), can save a checkpoint after
every epoch and resume from it, and stop with a clear error when the loss stops
being a finite number.

A checkpoint records the hyperparameters its run was started with; resuming with
others is refused unless asked for with ``resume="override"`` (see :func:`fit`). It also
holds the states of every generator the run draws from (batch order, torch's CPU
generator and, where CUDA is present, the CUDA generators), so a resumed run equals an
uninterrupted one, and it is flushed to the disk before it replaces the previous one.

Bad arguments are refused before training starts, and the model's first output is
checked against the targets: equal shapes for an element-wise loss such as
``mse_loss`` (never a silent broadcast), class indices in ``[0, C)`` for ``cross_entropy``.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
from dataclasses import dataclass, field

import torch
from torch import nn

from . import config
from .bptt import chunk_lengths, run_chunks
from .checks import (check_bool, check_callable, check_finite_array, check_instance, check_int, check_real,
                     check_tensor, describe, shape_str)
from .progress import progress as progress_bar


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


def _batches(X, y, batch_size, generator):
    n = X.shape[0]
    if batch_size is None or batch_size >= n:
        yield X, y
        return
    order = torch.randperm(n, generator=generator, device="cpu").to(X.device)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor, loss_fn=nn.functional.mse_loss) -> float:
    """The loss of ``model`` on ``(X, y)`` in evaluation mode, without gradients.

    A model that returns ``(output, state)`` (a :func:`fit_stateful` model) is run on the
    whole of ``X`` from the zero state. ``X`` and ``y`` must hold the same number of examples,
    finite numbers only; the model's output must fit ``y`` as ``loss_fn`` needs (see :func:`fit`).
    """
    who = "evaluate"
    check_instance(who, "model", model, nn.Module, "a torch.nn.Module")
    _check_pair(who, "(X, y)", (X, y), min_dim=1)
    check_callable(who, "loss_fn", loss_fn)
    check_finite_array(who, "X", X)
    check_finite_array(who, "y", y)
    return _evaluate(model, X, y, loss_fn, who, "X and y")


def _evaluate(model, X, y, loss_fn, who: str, what: str) -> float:
    device = model_device(model)
    model.eval()
    with torch.no_grad():
        out = model(X.to(device))
        out = out[0] if isinstance(out, tuple) else out
        target = y.to(device)
        _check_prediction(who, out, target, loss_fn, what, y_all=target)
        loss = float(loss_fn(out, target))
    if not math.isfinite(loss):
        raise FloatingPointError(f"{who}: the loss on {what} is {loss}: the model's output holds NaN or infinite "
                                 "values (have its weights diverged?)")
    return loss


# ----------------------------------------------------------------------------
# Argument checks shared by fit, fit_stateful and evaluate

# Losses that compare the output with the target element by element: they broadcast two different
# shapes without an error ((N,) against (N, 1) becomes (N, N)), so fit asks for equal shapes.
_ELEMENTWISE_LOSSES = (nn.functional.mse_loss, nn.functional.l1_loss, nn.functional.smooth_l1_loss,
                       nn.functional.huber_loss)
_ELEMENTWISE_MODULES = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss)
# Losses whose integer targets are class indices in [0, C) (ignore_index, by default -100, is let through).
_CLASS_LOSSES = (nn.functional.cross_entropy, nn.functional.nll_loss)
_CLASS_MODULES = (nn.CrossEntropyLoss, nn.NLLLoss)


def _loss_name(loss_fn) -> str:
    if isinstance(loss_fn, nn.Module):
        return type(loss_fn).__name__
    return getattr(loss_fn, "__qualname__", None) or getattr(loss_fn, "__name__", None) or type(loss_fn).__name__


def _check_pair(who: str, name: str, pair, *, min_dim: int):
    """``pair`` is ``(X, y)``: two tensors with the same number of examples (at least one)."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise TypeError(f"{who}: expected {name} to be a pair (X, y) of tensors, got {describe(pair)}"
                        + (f" of {len(pair)} items" if isinstance(pair, (tuple, list)) else ""))
    X, y = pair
    prefix = name[:-len("(X, y)")].strip() if name.endswith("(X, y)") and name != "(X, y)" else ""
    x_name, y_name = (f"{prefix}'s X", f"{prefix}'s y") if prefix else ("X", "y")
    check_tensor(who, x_name, X)
    check_tensor(who, y_name, y)
    if X.dim() < min_dim or y.dim() < 1:
        raise ValueError(f"{who}: expected {x_name} with at least {min_dim} dimensions and {y_name} with at least 1, "
                         f"got shapes {shape_str(X.shape)} and {shape_str(y.shape)}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{who}: {x_name} and {y_name} must have the same number of examples, "
                         f"got {X.shape[0]} and {y.shape[0]}")
    if X.shape[0] == 0:
        raise ValueError(f"{who}: expected at least one example in {x_name} and {y_name}, got shapes "
                         f"{shape_str(X.shape)} and {shape_str(y.shape)}")
    return X, y


def _check_prediction(who: str, out, target, loss_fn, what: str, y_all=None) -> None:
    """The model's output must fit the target as ``loss_fn`` reads it: the same shape for an
    element-wise loss (no silent broadcasting), class indices in [0, C) for a classification loss."""
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{who}: expected the model to return a tensor (or (output, state)), got {describe(out)}")
    elementwise = loss_fn in _ELEMENTWISE_LOSSES or isinstance(loss_fn, _ELEMENTWISE_MODULES)
    classes = loss_fn in _CLASS_LOSSES or isinstance(loss_fn, _CLASS_MODULES)
    name = _loss_name(loss_fn)
    if elementwise:
        if not target.is_floating_point():
            raise TypeError(f"{who}: {name} needs floating-point targets, got {what} of dtype {target.dtype}; "
                            "convert them with .float() (or use a classification loss for class indices)")
        if out.shape != target.shape:
            raise ValueError(
                f"{who}: expected the targets of {what} to have the model's output shape {shape_str(out.shape)} "
                f"({name} compares them element by element and would broadcast other shapes), got "
                f"{shape_str(target.shape)}; reshape y, e.g. with y.squeeze(-1) or y.unsqueeze(-1)")
    elif classes and not target.is_floating_point():
        if out.dim() != target.dim() + 1 or out.shape[0] != target.shape[0] or out.shape[2:] != target.shape[1:]:
            raise ValueError(
                f"{who}: {name} with class indices expects an output of shape (N, C) for targets (N,) "
                f"(or (N, C, d...) for (N, d...)), got output {shape_str(out.shape)} and targets "
                f"{shape_str(target.shape)} from {what}")
        labels = target if y_all is None else y_all
        C = out.shape[1]
        ignore = getattr(loss_fn, "ignore_index", -100)
        real = labels[labels != ignore]
        if real.numel() and (int(real.min()) < 0 or int(real.max()) >= C):
            bad = int(real.min()) if int(real.min()) < 0 else int(real.max())
            raise ValueError(f"{who}: the model gives {C} classes, so class indices must be in [0, {C - 1}], "
                             f"got {bad} in the targets of {what}")
    elif classes and out.shape != target.shape:
        raise ValueError(f"{who}: {name} with floating-point targets (class probabilities) expects them of the "
                         f"output's shape {shape_str(out.shape)}, got {shape_str(target.shape)} from {what}")


def _check_training_arguments(who, model, *, epochs, lr, loss_fn, clip_norm, patience, seed, progress, checkpoint,
                              resume, valid, stop_below=None) -> dict:
    """Refuse bad arguments of fit and fit_stateful; return the numbers as plain Python ones."""
    check_instance(who, "model", model, nn.Module, "a torch.nn.Module")
    if not any(True for _ in model.parameters()):
        raise ValueError(f"{who}: the model has no parameters to train")
    numbers = {
        "epochs": check_int(who, "epochs", epochs),
        "lr": check_real(who, "lr", lr, above=0),
        "clip_norm": check_real(who, "clip_norm", clip_norm, above=0, optional=True),
        "patience": check_int(who, "patience", patience, minimum=0, optional=True),
        "seed": config.seed() if seed is None else check_int(who, "seed", seed, minimum=0),
        "stop_below": check_real(who, "stop_below", stop_below, optional=True),
    }
    check_callable(who, "loss_fn", loss_fn)
    check_bool(who, "progress", progress)
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"{who}: expected checkpoint to be a file path (str or os.PathLike) or None, "
                        f"got {describe(checkpoint)}")
    if not (isinstance(resume, bool) or isinstance(resume, str) and resume == "override"):
        raise ValueError(f"{who}: resume must be False, True or 'override', got {describe(resume)}")
    if resume and checkpoint is None:
        raise ValueError(f"{who}: resume={resume!r} needs the checkpoint file to resume from; pass checkpoint=path")
    if valid is None:
        for name in ("patience", "stop_below"):
            if numbers[name] is not None:
                raise ValueError(f"{who}: {name}={numbers[name]!r} needs a validation set to watch; "
                                 "pass valid=(X, y)")
    return numbers


# ----------------------------------------------------------------------------
# Checkpoints


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


# ----------------------------------------------------------------------------
# The loop shared by fit and fit_stateful


def _update(model, optimizer, loss, clip_norm, who: str, epoch: int, where: str = "", batch=()) -> None:
    """Backpropagate ``loss``, clip the global gradient norm, take one optimizer step;
    refuse a loss that is NaN or infinite, saying where it happened and, when the batch's
    data hold NaN or infinite values, that the data are the cause."""
    if not torch.isfinite(loss):
        cause = "lower the learning rate or set clip_norm"
        for name, tensor in batch:
            if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                cause = f"the batch's {name} holds NaN or infinite values: clean the data"
                break
        raise FloatingPointError(f"{who}: the training loss became {loss.item()} at epoch {epoch}{where}; {cause}")
    loss.backward()
    if clip_norm is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()


# The hyperparameters a resumed run must share with the run that wrote its checkpoint. ``epochs``
# is recorded too but may grow: resuming with more epochs trains a finished run further.
_EPOCHS = "epochs"


def _restore_random_state(state: dict, generator: torch.Generator) -> None:
    """The batch-order generator, torch's CPU generator (dropout on the CPU) and, where CUDA is
    present and the checkpoint holds them, the CUDA generators (dropout on a GPU)."""
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    cuda_states = state.get("cuda_rng")
    if cuda_states and torch.cuda.is_available():
        count = min(len(cuda_states), torch.cuda.device_count())
        torch.cuda.set_rng_state_all(cuda_states[:count])


def _cuda_rng_states():
    """The CUDA generators' states where CUDA is in use (a CPU-only run on a GPU machine never starts CUDA)."""
    return torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else None


def _check_resumable(who: str, checkpoint, saved: dict | None, wanted: dict, resume, finished: int) -> None:
    """Refuse to resume a run under other hyperparameters than it was started with, unless
    ``resume="override"``; refuse in any case a checkpoint that trained more epochs than asked for."""
    if wanted[_EPOCHS] < finished:
        raise ValueError(f"{who}: the checkpoint {os.fspath(checkpoint)} has already trained {finished} epochs, "
                         f"more than epochs={wanted[_EPOCHS]}; ask for epochs >= {finished}, or start afresh "
                         "with another checkpoint file")
    if resume == "override":
        return
    if saved is None:
        raise ValueError(f"{who}: the checkpoint {os.fspath(checkpoint)} records no hyperparameters (an older "
                         "companion wrote it), so resuming cannot check them; pass resume='override' to continue "
                         "with this call's")
    changed = [key for key in sorted(set(saved) | set(wanted)) if key != _EPOCHS and saved.get(key) != wanted.get(key)]
    if changed:
        was = ", ".join(f"{key}={saved.get(key)!r}" for key in changed)
        now = ", ".join(f"{key}={wanted.get(key)!r}" for key in changed)
        raise ValueError(f"{who}: the checkpoint {os.fspath(checkpoint)} was started with {was}, but this call asks "
                         f"for {now}; pass the same values to resume it, resume='override' to continue it with "
                         "this call's values, or another checkpoint file to start afresh")


def _train(model, run_epoch, *, who, hyperparameters, epochs, lr, valid, loss_fn, patience, seed, progress,
           checkpoint, resume, stop_below=None):
    """Run ``run_epoch(optimizer, generator, epoch) -> mean training loss`` for each epoch,
    with validation, early stopping, checkpoints and the progress bar around it."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)  # batch order and random chunk lengths
    history, first_epoch, last_epoch = History(), 0, epochs
    best_loss, best_state = math.inf, None
    if resume and os.path.exists(checkpoint):
        state = load_checkpoint(checkpoint, model, optimizer)
        _check_resumable(who, checkpoint, state.get("hyperparameters"), hyperparameters, resume, state["epoch"] + 1)
        if resume == "override":
            for group in optimizer.param_groups:  # the checkpoint's optimizer state holds the old learning rate
                group["lr"] = lr
        history, first_epoch = state["history"], state["epoch"] + 1
        best_loss, best_state = state["best_loss"], state["best_state"]
        _restore_random_state(state, generator)  # dropout draws from the global generators
        if state["stopped_early"]:
            last_epoch = first_epoch
    bar = progress_bar(range(first_epoch, last_epoch), desc="training", unit="epoch", disable=not progress,
                       initial=first_epoch, total=epochs)
    for epoch in bar:
        model.train()
        try:
            history.train_loss.append(run_epoch(optimizer, generator, epoch))
        except BaseException:
            bar.close()
            raise
        postfix = {"train": f"{history.train_loss[-1]:.4f}"}
        stop = False
        if valid is not None:
            history.valid_loss.append(_evaluate(model, *valid, loss_fn, who, "valid"))
            postfix["valid"] = f"{history.valid_loss[-1]:.4f}"
            if history.valid_loss[-1] < best_loss:
                best_loss, history.best_epoch = history.valid_loss[-1], epoch
                best_state = copy.deepcopy(model.state_dict())
            elif patience is not None and epoch - history.best_epoch >= patience:
                stop = True
            if stop_below is not None and history.valid_loss[-1] < stop_below:
                stop = True
        bar.set_postfix(postfix)
        if checkpoint is not None:
            save_checkpoint(checkpoint, model=model, optimizer=optimizer, epoch=epoch, history=history,
                            best_loss=best_loss, best_state=best_state, generator=generator.get_state(),
                            torch_rng=torch.get_rng_state(), cuda_rng=_cuda_rng_states(), stopped_early=stop,
                            hyperparameters=hyperparameters)
        if stop:
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


_CHECKPOINT_DOC = """With ``checkpoint`` (a file path) the state is saved after every epoch: model,
    optimizer, history, the generators' states (CUDA's too where CUDA is present) and the
    hyperparameters of this call (``lr``, ``batch_size`` or ``chunk_length``, ``clip_norm``,
    ``patience``, ``seed``, the loss's name, the shapes of the data, ``epochs``, ...).
    ``resume=True`` continues from that file when it exists (and starts afresh when it
    does not), to the same result as an uninterrupted run. Resuming refuses, with a
    ValueError that lists them, hyperparameters other than the checkpoint's, except
    ``epochs``, which may grow, to train further (never shrink below the epochs already
    trained). ``resume="override"`` continues the checkpoint's run with this call's values
    instead (the optimizer takes this call's ``lr``; the checkpoint's weights, Adam moments,
    history and generator states are kept) and records them for the next resume. A run that
    stopped early stays stopped."""


# ----------------------------------------------------------------------------
# Independent examples


def fit(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    *,
    epochs: int,
    valid: tuple[torch.Tensor, torch.Tensor] | None = None,
    lr: float = 1e-2,
    batch_size: int | None = None,
    loss_fn=nn.functional.mse_loss,
    clip_norm: float | None = None,
    patience: int | None = None,
    seed: int | None = None,
    progress: bool = True,
    checkpoint: str | os.PathLike | None = None,
    resume: bool | str = False,
    stop_below: float | None = None,
) -> History:
    """Train ``model`` in place and return its :class:`History`.

    ``train`` and ``valid`` are ``(X, y)`` pairs; each batch is moved to the model's device.
    ``batch_size=None`` trains on the whole set at once. With ``valid``, the weights of
    the epoch with the lowest validation loss are restored at the end, and ``patience``
    (epochs without improvement) may stop training early, and so may ``stop_below``:
    training ends after the first epoch whose validation loss is below it (the task is
    solved); both need ``valid``. ``clip_norm`` clips the global gradient norm. ``seed``
    fixes the order of the batches (default: the run's seed, :func:`companion.config.seed`). Raises ``FloatingPointError`` when a loss becomes NaN
    or infinite.

    The model's output must fit ``y`` as ``loss_fn`` reads it: for an element-wise loss
    (``mse_loss``, ``l1_loss``, ...) the same shape, never broadcast; for ``cross_entropy``
    or ``nll_loss`` with class indices, logits (N, C) for targets (N,) in ``[0, C)``.

    {checkpoint}
    """
    who = "fit"
    n = _check_training_arguments(who, model, epochs=epochs, lr=lr, loss_fn=loss_fn, clip_norm=clip_norm,
                              patience=patience, seed=seed, progress=progress, checkpoint=checkpoint, resume=resume,
                              valid=valid, stop_below=stop_below)
    X, y = _check_pair(who, "train (X, y)", train, min_dim=1)
    if valid is not None:
        Xv, yv = _check_pair(who, "valid (X, y)", valid, min_dim=1)
        check_finite_array(who, "valid's X", Xv)
        check_finite_array(who, "valid's y", yv)
    batch_size = check_int(who, "batch_size", batch_size, optional=True)
    device = model_device(model)
    checked = []  # the first batch's output is checked against the targets, once

    def run_epoch(optimizer, generator, epoch):
        total, count = 0.0, 0
        for xb, yb in _batches(X, y, batch_size, generator):
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            out = model(xb)
            if not checked:
                if isinstance(out, tuple):
                    raise TypeError(f"{who}: the model returned a tuple; fit trains a model(x) -> output tensor "
                                    "(fit_stateful trains a model(x, h) -> (output, h_n))")
                _check_prediction(who, out, yb, loss_fn, "train", y_all=y)
                checked.append(True)
            loss = loss_fn(out, yb)
            _update(model, optimizer, loss, clip_norm, who, epoch, batch=(("X", xb), ("y", yb)))
            total, count = total + loss.item() * xb.shape[0], count + xb.shape[0]
        return total / count

    hyperparameters = {"function": who, **n, "batch_size": batch_size, "loss_fn": _loss_name(loss_fn),
                       "train_shapes": [list(X.shape), list(y.shape)],
                       "valid_shapes": None if valid is None else [list(valid[0].shape), list(valid[1].shape)]}
    return _train(model, run_epoch, who=who, hyperparameters=hyperparameters, epochs=epochs, lr=lr, valid=valid,
                  loss_fn=loss_fn, patience=patience, seed=n["seed"], progress=progress, checkpoint=checkpoint,
                  resume=resume, stop_below=stop_below)


# ----------------------------------------------------------------------------
# Long sequences: truncated BPTT with a carried state


def fit_stateful(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    *,
    chunk_length: int | None,
    epochs: int,
    randomise: bool = False,
    valid: tuple[torch.Tensor, torch.Tensor] | None = None,
    lr: float = 1e-2,
    loss_fn=nn.functional.mse_loss,
    clip_norm: float | None = None,
    patience: int | None = None,
    seed: int | None = None,
    progress: bool = True,
    checkpoint: str | os.PathLike | None = None,
    resume: bool | str = False,
) -> History:
    """Train ``model`` on long sequences by truncated BPTT; return its :class:`History`.

    ``train = (X, y)``: ``X`` (B, T, I) holds B long sequences side by side (B streams),
    ``y`` (B, T, ...) a target for every step. ``model(x, h) -> (output, h_n)``, as
    :class:`companion.models.SequenceRegressor`. Each epoch starts from the zero state and
    walks along time in chunks (:func:`companion.bptt.chunk_lengths`): forward a chunk from
    the state the previous chunk ended in, one optimizer step on the chunk's loss, then
    detach the state (:func:`companion.bptt.run_chunks`). ``chunk_length=None`` is full
    BPTT, one update per epoch; ``randomise=True`` draws chunk lengths with mean
    ``chunk_length``. The training loss of an epoch is the mean over all T steps.
    ``valid``, ``patience``, ``clip_norm``, ``seed``, ``loss_fn`` and the output's shape work as
    in :func:`fit`.

    {checkpoint}
    """
    who = "fit_stateful"
    n = _check_training_arguments(who, model, epochs=epochs, lr=lr, loss_fn=loss_fn, clip_norm=clip_norm,
                              patience=patience, seed=seed, progress=progress, checkpoint=checkpoint, resume=resume,
                              valid=valid)
    chunk_length = check_int(who, "chunk_length", chunk_length, optional=True)
    randomise = check_bool(who, "randomise", randomise)
    if not isinstance(train, (tuple, list)) or len(train) != 2:
        raise TypeError(f"{who}: expected train to be a pair (X, y) of tensors, got {describe(train)}")
    X, y = train
    check_tensor(who, "X", X)
    check_tensor(who, "y", y)
    if X.dim() != 3 or y.dim() < 2 or y.shape[:2] != X.shape[:2]:
        raise ValueError(f"{who}: expected X of shape (B, T, I) and y of shape (B, T, ...) with the same B and T, "
                         f"got {tuple(X.shape)} and {tuple(y.shape)}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{who}: expected at least one sequence of at least one step, got X of shape "
                         f"{shape_str(X.shape)}")
    if valid is not None:
        Xv, yv = _check_pair(who, "valid (X, y)", valid, min_dim=1)
        check_finite_array(who, "valid's X", Xv)
        check_finite_array(who, "valid's y", yv)
    device = model_device(model)
    X, y = X.to(device), y.to(device)
    checked = []

    def stateful_model(x, h):  # what run_chunks calls: the model, with its first call checked
        if checked:
            return model(x, h)
        try:
            result = model(x, h)
        except TypeError as error:
            raise TypeError(f"{who}: calling model(x, h) failed: {error}; fit_stateful trains a "
                            "model(x, h) -> (output, h_n), fit a model(x) -> output") from error
        if not checked:
            if not isinstance(result, tuple) or len(result) != 2:
                raise TypeError(f"{who}: expected model(x, h) to return a pair (output, h_n), got {describe(result)}"
                                "; fit trains a model(x) -> output")
        return result

    def run_epoch(optimizer, generator, epoch):
        total = 0.0
        lengths = chunk_lengths(X.shape[1], chunk_length, randomise=randomise, generator=generator)
        for start, stop, output in run_chunks(stateful_model, X, lengths):
            optimizer.zero_grad()
            if not checked:
                _check_prediction(who, output, y[:, start:stop], loss_fn, f"train (steps {start}..{stop - 1})", y_all=y)
                checked.append(True)
            loss = loss_fn(output, y[:, start:stop])
            _update(model, optimizer, loss, clip_norm, who, epoch, f" in the chunk of steps {start}..{stop - 1}",
                    batch=(("X", X[:, start:stop]), ("y", y[:, start:stop])))
            total += loss.item() * (stop - start)
        return total / X.shape[1]

    n.pop("stop_below")
    hyperparameters = {"function": who, **n, "chunk_length": chunk_length, "randomise": randomise,
                       "loss_fn": _loss_name(loss_fn), "train_shapes": [list(X.shape), list(y.shape)],
                       "valid_shapes": None if valid is None else [list(valid[0].shape), list(valid[1].shape)]}
    return _train(model, run_epoch, who=who, hyperparameters=hyperparameters, epochs=epochs, lr=lr, valid=valid,
                  loss_fn=loss_fn, patience=patience, seed=n["seed"], progress=progress, checkpoint=checkpoint,
                  resume=resume)


fit.__doc__ = fit.__doc__.replace("{checkpoint}", _CHECKPOINT_DOC)
fit_stateful.__doc__ = fit_stateful.__doc__.replace("{checkpoint}", _CHECKPOINT_DOC)
