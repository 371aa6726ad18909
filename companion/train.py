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
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
from dataclasses import dataclass, field

import torch
from torch import nn

from .bptt import chunk_lengths, run_chunks
from .progress import progress as progress_bar


@dataclass
class History:
    """Per-epoch losses, for plots: ``train_loss[k]`` and ``valid_loss[k]`` after epoch ``k``."""

    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    best_epoch: int | None = None


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (the CPU for a model without parameters)."""
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
    whole of ``X`` from the zero state.
    """
    device = model_device(model)
    model.eval()
    with torch.no_grad():
        out = model(X.to(device))
        out = out[0] if isinstance(out, tuple) else out
        return float(loss_fn(out, y.to(device)))


# ----------------------------------------------------------------------------
# Checkpoints


def save_checkpoint(path, *, model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int,
                    history: History, **extra) -> None:
    """Save what resuming needs: model and optimizer state, the last finished ``epoch``,
    the ``history``, and ``extra`` tensors, numbers, lists or dicts of them.

    Written to a temporary file and renamed, so a crash never leaves half a checkpoint.
    """
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch,
             "history": dataclasses.asdict(history), **extra}
    tmp = f"{path}.tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> dict:
    """Load a :func:`save_checkpoint` file into ``model`` (and ``optimizer``); return the whole dict,
    with ``"history"`` as a :class:`History`.

    Uses ``torch.load(..., weights_only=True)``: a checkpoint can hold tensors and plain
    data, never code to run.
    """
    state = torch.load(path, map_location=model_device(model), weights_only=True)
    model.load_state_dict(state["model"])
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    state["history"] = History(**state["history"])
    return state


# ----------------------------------------------------------------------------
# The loop shared by fit and fit_stateful


def _update(model, optimizer, loss, clip_norm, who: str, epoch: int, where: str = "") -> None:
    """Backpropagate ``loss``, clip the global gradient norm, take one optimizer step;
    refuse a loss that is NaN or infinite, saying where it happened."""
    if not torch.isfinite(loss):
        raise FloatingPointError(
            f"{who}: the training loss became {loss.item()} at epoch {epoch}{where}; "
            "lower the learning rate or set clip_norm"
        )
    loss.backward()
    if clip_norm is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()


def _train(model, run_epoch, *, epochs, lr, valid, loss_fn, patience, seed, progress, checkpoint, resume,
           stop_below=None):
    """Run ``run_epoch(optimizer, generator, epoch) -> mean training loss`` for each epoch,
    with validation, early stopping, checkpoints and the progress bar around it."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)  # batch order and random chunk lengths
    history, first_epoch, last_epoch = History(), 0, epochs
    best_loss, best_state = math.inf, None
    if resume and checkpoint is not None and os.path.exists(checkpoint):
        state = load_checkpoint(checkpoint, model, optimizer)
        history, first_epoch = state["history"], state["epoch"] + 1
        best_loss, best_state = state["best_loss"], state["best_state"]
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])  # dropout draws from the global generator
        if state["stopped_early"]:
            last_epoch = first_epoch
    bar = progress_bar(range(first_epoch, last_epoch), desc="training", unit="epoch", disable=not progress,
                       initial=first_epoch, total=epochs)
    for epoch in bar:
        model.train()
        try:
            history.train_loss.append(run_epoch(optimizer, generator, epoch))
        except FloatingPointError:
            bar.close()
            raise
        postfix = {"train": f"{history.train_loss[-1]:.4f}"}
        stop = False
        if valid is not None:
            history.valid_loss.append(evaluate(model, *valid, loss_fn=loss_fn))
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
                            torch_rng=torch.get_rng_state(), stopped_early=stop)
        if stop:
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


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
    seed: int = 0,
    progress: bool = True,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    stop_below: float | None = None,
) -> History:
    """Train ``model`` in place and return its :class:`History`.

    ``train`` and ``valid`` are ``(X, y)`` pairs; each batch is moved to the model's device.
    ``batch_size=None`` trains on the whole set at once. With ``valid``, the weights of
    the epoch with the lowest validation loss are restored at the end, and ``patience``
    (epochs without improvement) may stop training early, and so may ``stop_below``:
    training ends after the first epoch whose validation loss is below it (the task is
    solved). ``clip_norm`` clips the global gradient norm. ``seed`` fixes the order of the batches. With ``checkpoint`` (a file
    path) the state is saved after every epoch; ``resume=True`` continues from that file
    when it exists, to the same result as an uninterrupted run. Raises
    ``FloatingPointError`` when a loss becomes NaN or infinite.
    """
    X, y = train
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"fit: X and y must have the same number of examples, got {X.shape[0]} and {y.shape[0]}")
    device = model_device(model)

    def run_epoch(optimizer, generator, epoch):
        total, count = 0.0, 0
        for xb, yb in _batches(X, y, batch_size, generator):
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            _update(model, optimizer, loss, clip_norm, "fit", epoch)
            total, count = total + loss.item() * xb.shape[0], count + xb.shape[0]
        return total / count

    return _train(model, run_epoch, epochs=epochs, lr=lr, valid=valid, loss_fn=loss_fn, patience=patience,
                  seed=seed, progress=progress, checkpoint=checkpoint, resume=resume, stop_below=stop_below)


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
    seed: int = 0,
    progress: bool = True,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
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
    ``valid``, ``patience``, ``clip_norm``, ``seed``, ``checkpoint`` and ``resume`` work as in :func:`fit`.
    """
    X, y = train
    if X.dim() != 3 or y.shape[:2] != X.shape[:2]:
        raise ValueError(f"fit_stateful: expected X of shape (B, T, I) and y of shape (B, T, ...) with the same B and T, "
                         f"got {tuple(X.shape)} and {tuple(y.shape)}")
    device = model_device(model)
    X, y = X.to(device), y.to(device)

    def run_epoch(optimizer, generator, epoch):
        total = 0.0
        lengths = chunk_lengths(X.shape[1], chunk_length, randomise=randomise, generator=generator)
        for start, stop, output in run_chunks(model, X, lengths):
            optimizer.zero_grad()
            loss = loss_fn(output, y[:, start:stop])
            _update(model, optimizer, loss, clip_norm, "fit_stateful", epoch, f" in the chunk of steps {start}..{stop - 1}")
            total += loss.item() * (stop - start)
        return total / X.shape[1]

    return _train(model, run_epoch, epochs=epochs, lr=lr, valid=valid, loss_fn=loss_fn,
                  patience=patience, seed=seed, progress=progress, checkpoint=checkpoint, resume=resume)
