"""Training on independent examples: :func:`fit` (windows, pairs ``(X, y)``) and :func:`evaluate`.

Bad arguments are refused before training starts, and the model's first output is
checked against the targets: equal shapes for an element-wise loss such as
``mse_loss`` (never a silent broadcast), class indices in ``[0, C)`` for ``cross_entropy``.
"""

from __future__ import annotations

import math
import os

import torch
from torch import nn

from ..checks import check_callable, check_finite_array, check_instance, check_int, check_tensor, describe, shape_str
from .checkpoint import History, model_device
from .loop import CHECKPOINT_DOC, _check_training_arguments, loop, update


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


def _validator(who: str, valid, loss_fn):
    """``validate(model)`` for :func:`companion.train.loop`: the loss on ``valid = (X, y)``; None without ``valid``."""
    if valid is None:
        return None
    return lambda model: _evaluate(model, *valid, loss_fn, who, "valid")


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


# Losses the first output is checked against

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
    weight_decay: float = 0.0,
) -> History:
    """Train ``model`` in place and return its :class:`History`.

    ``train`` and ``valid`` are ``(X, y)`` pairs; each batch is moved to the model's device.
    ``batch_size=None`` trains on the whole set at once. With ``valid``, the weights of
    the epoch with the lowest validation loss are restored at the end, and ``patience``
    (epochs without improvement) may stop training early, and so may ``stop_below``:
    training ends after the first epoch whose validation loss is below it (the task is
    solved); both need ``valid``. ``clip_norm`` clips the global gradient norm;
    ``weight_decay`` (default 0) is Adam's L2 penalty on every parameter. ``seed``
    fixes the order of the batches (default: the run's seed, :func:`companion.config.seed`). Raises ``FloatingPointError`` when a loss becomes NaN
    or infinite.

    The model's output must fit ``y`` as ``loss_fn`` reads it: for an element-wise loss
    (``mse_loss``, ``l1_loss``, ...) the same shape, never broadcast; for ``cross_entropy``
    or ``nll_loss`` with class indices, logits (N, C) for targets (N,) in ``[0, C)``.

    {checkpoint}
    """
    who = "fit"
    n = _check_training_arguments(who, model, epochs=epochs, lr=lr, clip_norm=clip_norm, patience=patience, seed=seed,
                                  progress=progress, checkpoint=checkpoint, resume=resume, has_valid=valid is not None,
                                  stop_below=stop_below)
    check_callable(who, "loss_fn", loss_fn)
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
            update(model, optimizer, loss, clip_norm=n["clip_norm"], who=who, epoch=epoch, batch=(("X", xb), ("y", yb)))
            total, count = total + loss.item() * xb.shape[0], count + xb.shape[0]
        return total / count

    hyperparameters = {"function": who, **n, "batch_size": batch_size, "loss_fn": _loss_name(loss_fn),
                       "train_shapes": [list(X.shape), list(y.shape)],
                       "valid_shapes": None if valid is None else [list(valid[0].shape), list(valid[1].shape)]}
    return loop(model, run_epoch, epochs=epochs, lr=lr, validate=_validator(who, valid, loss_fn), patience=patience,
                stop_below=stop_below, seed=n["seed"], progress=progress, checkpoint=checkpoint, resume=resume,
                hyperparameters=hyperparameters, who=who, weight_decay=weight_decay)


fit.__doc__ = fit.__doc__.replace("{checkpoint}", CHECKPOINT_DOC)
