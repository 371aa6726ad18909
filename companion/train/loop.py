"""The one training loop: every chapter's training goes through :func:`loop`.

:func:`loop` runs the epochs — Adam, a progress bar, validation after every epoch, the best
weights kept (early stopping), a checkpoint after every epoch and resuming from it — around a
``run_epoch`` function that the caller passes in: :func:`minibatch_epoch` builds one from
minibatches and a loss; :func:`companion.train.fit`, :func:`companion.train.fit_stateful`, the
classifier, the seq2seq model and the later chapters' trainers are thin wrappers. :func:`update`
takes one optimizer step and stops with a clear error when the loss is not a finite number.
"""

from __future__ import annotations

import copy
import math
import os

import torch
from torch import nn

from .. import config
from ..checks import check_bool, check_callable, check_instance, check_int, check_real, describe
from ..progress import progress as progress_bar
from .checkpoint import History, load_checkpoint, save_checkpoint


def update(model: nn.Module, optimizer: torch.optim.Optimizer, loss: torch.Tensor, *, clip_norm: float | None = None,
           who: str = "loop", epoch: int = 0, where: str = "", batch=()) -> None:
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


def _epoch_loss(who: str, loss, epoch: int) -> float:
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        loss = loss.item()
    if isinstance(loss, bool) or not isinstance(loss, (int, float)):
        raise TypeError(f"{who}: expected run_epoch to return the epoch's mean training loss (a float), got "
                        f"{describe(loss)} at epoch {epoch}")
    return float(loss)


def _validation_loss(who: str, model: nn.Module, validate, epoch: int) -> float:
    model.eval()
    with torch.no_grad():
        loss = validate(model)
    if isinstance(loss, torch.Tensor) and loss.numel() == 1:
        loss = loss.item()
    if isinstance(loss, bool) or not isinstance(loss, (int, float)):
        raise TypeError(f"{who}: expected validate(model) to return the validation loss (a float), got "
                        f"{describe(loss)} at epoch {epoch}")
    if not math.isfinite(loss):
        raise FloatingPointError(f"{who}: the validation loss is {loss} at epoch {epoch}: the model's output holds "
                                 "NaN or infinite values (have its weights diverged?)")
    return float(loss)


def minibatch_epoch(model: nn.Module, batches, batch_loss, *, clip_norm: float | None = None, who: str = "loop"):
    """A ``run_epoch`` for :func:`loop` that trains on minibatches.

    ``batches(generator)`` yields the epoch's batches (in an order drawn from ``generator``);
    ``batch_loss(batch) -> (loss, weight)`` gives the batch's mean loss and how many items
    (examples, tokens) it averages over. One :func:`update` per batch; the epoch's training loss
    is the mean over all items, ``sum(loss * weight) / sum(weight)``, as one pass over the whole
    set would give it.
    """
    check_instance(who, "model", model, nn.Module, "a torch.nn.Module")
    check_callable(who, "batches", batches, " (batches(generator) -> an iterable of batches)")
    check_callable(who, "batch_loss", batch_loss, " (batch_loss(batch) -> (mean loss, weight))")
    clip_norm = check_real(who, "clip_norm", clip_norm, above=0, optional=True)

    def run_epoch(optimizer, generator, epoch):
        total, count = 0.0, 0
        for batch in batches(generator):
            optimizer.zero_grad()
            result = batch_loss(batch)
            if not isinstance(result, tuple) or len(result) != 2:
                raise TypeError(f"{who}: expected batch_loss(batch) to return (mean loss, weight), got {describe(result)}")
            loss, weight = result
            update(model, optimizer, loss, clip_norm=clip_norm, who=who, epoch=epoch)
            total, count = total + loss.item() * weight, count + weight
        if count == 0:
            raise ValueError(f"{who}: batches(generator) yielded no batch (or only batches of weight 0) at epoch {epoch}")
        return total / count

    return run_epoch


def _check_training_arguments(who, model, *, epochs, lr, clip_norm, patience, seed, progress, checkpoint, resume,
                              has_valid, stop_below=None, valid_hint="valid=(X, y)") -> dict:
    """Refuse bad arguments of a training function; return the numbers as plain Python ones."""
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
    check_bool(who, "progress", progress)
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"{who}: expected checkpoint to be a file path (str or os.PathLike) or None, "
                        f"got {describe(checkpoint)}")
    if not (isinstance(resume, bool) or isinstance(resume, str) and resume == "override"):
        raise ValueError(f"{who}: resume must be False, True or 'override', got {describe(resume)}")
    if resume and checkpoint is None:
        raise ValueError(f"{who}: resume={resume!r} needs the checkpoint file to resume from; pass checkpoint=path")
    if not has_valid:
        for name in ("patience", "stop_below"):
            if numbers[name] is not None:
                raise ValueError(f"{who}: {name}={numbers[name]!r} needs a validation set to watch; "
                                 f"pass {valid_hint}")
    return numbers


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


def loop(model: nn.Module, run_epoch, *, epochs: int, lr: float = 1e-2, validate=None, patience: int | None = None,
         stop_below: float | None = None, seed: int | None = None, progress: bool = True,
         checkpoint: str | os.PathLike | None = None, resume: bool | str = False, hyperparameters: dict | None = None,
         who: str = "loop", weight_decay: float = 0.0) -> History:
    """Train ``model`` in place for ``epochs`` epochs of ``run_epoch``; return its :class:`History`.

    ``run_epoch(optimizer, generator, epoch) -> float`` trains one epoch (a Adam ``optimizer`` with
    learning rate ``lr`` and ``weight_decay``, Adam's L2 penalty: ``weight_decay * w`` is added
    to every parameter's gradient; ``generator`` seeded with ``seed`` — default the run's seed,
    :func:`companion.config.seed` — for the batch order) and returns the epoch's mean training
    loss; :func:`update` takes one step and :func:`minibatch_epoch` builds a ``run_epoch`` from
    minibatches. ``validate(model) -> float``, when given, is called after every epoch in
    evaluation mode without gradients; the weights of the epoch with the lowest value are
    restored at the end, ``patience`` (epochs without improvement) may stop training early, and
    so may ``stop_below`` (a validation loss below it ends training). ``hyperparameters`` (a
    dict of plain values) is recorded in checkpoints and checked on resuming.

    {checkpoint}
    """
    n = _check_training_arguments(who, model, epochs=epochs, lr=lr, clip_norm=None, patience=patience, seed=seed,
                                  progress=progress, checkpoint=checkpoint, resume=resume,
                                  has_valid=validate is not None, stop_below=stop_below, valid_hint="validate=")
    check_callable(who, "run_epoch", run_epoch, " (run_epoch(optimizer, generator, epoch) -> mean training loss)")
    if validate is not None:
        check_callable(who, "validate", validate, " (validate(model) -> validation loss)")
    check_instance(who, "hyperparameters", hyperparameters, (dict, type(None)), "a dict or None")
    seed = n["seed"]
    weight_decay = check_real(who, "weight_decay", weight_decay, minimum=0)
    hyperparameters = {"function": who, **n} if hyperparameters is None else hyperparameters
    if weight_decay:  # recorded only when used, so checkpoints written without it still resume
        hyperparameters = {**hyperparameters, "weight_decay": weight_decay}
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
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
            history.train_loss.append(_epoch_loss(who, run_epoch(optimizer, generator, epoch), epoch))
        except BaseException:
            bar.close()
            raise
        postfix = {"train": f"{history.train_loss[-1]:.4f}"}
        stop = False
        if validate is not None:
            history.valid_loss.append(_validation_loss(who, model, validate, epoch))
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


CHECKPOINT_DOC = """With ``checkpoint`` (a file path) the state is saved after every epoch: model,
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

loop.__doc__ = loop.__doc__.replace("{checkpoint}", CHECKPOINT_DOC)
