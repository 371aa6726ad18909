"""Training and scoring a classifier of variable-length sequences.

``companion.train.fit`` trains on fixed-shape tensors ``(X, y)``. A padded batch also
needs its ``lengths``, so this module trains models called as ``model(x, lengths)`` —
such as :class:`companion.models.SequenceClassifier` — with the cross-entropy loss.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import config, train
from .checks import (check_bool, check_finite_array, check_instance, check_int, check_real, describe, shape_str)


def _check_batch(who: str, model, x, lengths) -> torch.Tensor:
    """Check ``model``, ``x`` (N, T, ...) and ``lengths`` (N,) in 1..T; return ``lengths`` as a tensor."""
    check_instance(who, "model", model, nn.Module, "a torch.nn.Module called as model(x, lengths)")
    check_instance(who, "x", x, torch.Tensor, "a torch.Tensor of shape (N, T, I) (padded, batch first)")
    if x.dim() < 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{who}: expected x of shape (N, T, I) (padded, batch first) with N >= 1 and T >= 1, "
                         f"got {shape_str(x.shape)}")
    check_finite_array(who, "x", x)
    lengths = _as_lengths(who, lengths, x.shape[0])
    if lengths.dtype.is_floating_point or lengths.dtype.is_complex or lengths.dtype == torch.bool:
        raise TypeError(f"{who}: expected lengths to be an integer tensor, got {lengths.dtype}")
    if lengths.shape != (x.shape[0],):
        raise ValueError(f"{who}: expected lengths of shape ({x.shape[0]},), one per sequence of x, got "
                         f"{shape_str(lengths.shape)}")
    T = x.shape[1]
    if bool((lengths < 1).any()) or bool((lengths > T).any()):
        raise ValueError(f"{who}: lengths must lie in 1..{T} (x has {T} steps), got "
                         f"{int(lengths.min())}..{int(lengths.max())}")
    return lengths


def _as_lengths(who: str, lengths, n: int) -> torch.Tensor:
    """``lengths`` (a tensor, a list or an array of integers) as a tensor; a TypeError for anything else."""
    if isinstance(lengths, (str, bytes)) or lengths is None:
        raise TypeError(f"{who}: expected lengths to be integers (a tensor of shape ({n},)), got {describe(lengths)}")
    try:
        return torch.as_tensor(np.asarray(lengths) if isinstance(lengths, (list, tuple)) else lengths)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{who}: expected lengths to be integers (a tensor of shape ({n},)), "
                        f"got {describe(lengths)}") from None


def _check_labels(who: str, y, n: int) -> torch.Tensor:
    """``y`` an integer tensor of ``n`` class indices, none negative (``accuracy`` also takes a list or an array)."""
    if who == "accuracy" and isinstance(y, (list, tuple, np.ndarray)):
        try:
            y = torch.as_tensor(np.asarray(y))
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{who}: expected y to be {n} integer class indices, got {describe(y)}") from None
    check_instance(who, "y", y, torch.Tensor, f"a torch.Tensor of {n} class indices")
    if y.dtype.is_floating_point or y.dtype.is_complex or y.dtype == torch.bool:
        raise TypeError(f"{who}: expected y to hold integer class indices (torch.int64), got {y.dtype}; "
                        "convert it with .long()")
    if y.shape != (n,):
        raise ValueError(f"{who}: expected y of shape ({n},), one class index per sequence of x, got "
                         f"{shape_str(y.shape)}")
    if n and int(y.min()) < 0:
        index = int((y < 0).nonzero()[0])
        raise ValueError(f"{who}: expected y to hold class indices >= 0, got {int(y[index])} at index {index}")
    return y


def _check_classes(who: str, y: torch.Tensor, logits, n: int) -> None:
    """``logits`` (n, C) from the model, and every label of ``y`` in 0..C-1."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[0] != n:
        raise ValueError(f"{who}: expected model(x, lengths) to return logits of shape ({n}, C), one row per "
                         f"sequence, got {describe(logits)}")
    C = logits.shape[1]
    if bool((y >= C).any()):
        index = int((y >= C).nonzero()[0])
        raise ValueError(f"{who}: the model's output has {C} classes, so y must hold class indices in [0, {C - 1}], "
                         f"got {int(y[index])} at index {index}")


def _logits(who: str, model: nn.Module, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        logits = model(x, lengths)
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[0] != x.shape[0]:
        raise ValueError(f"{who}: expected model(x, lengths) to return logits of shape ({x.shape[0]}, C), one row "
                         f"per sequence, got {describe(logits)}")
    check_finite_array(who, "the model's logits", logits)
    return logits


def predict(model: nn.Module, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Predicted classes (B,) in evaluation mode, without gradients."""
    lengths = _check_batch("predict", model, x, lengths)
    return _logits("predict", model, x, lengths).argmax(dim=-1)


def accuracy(model: nn.Module, x: torch.Tensor, lengths: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction of sequences whose predicted class is ``y``."""
    lengths = _check_batch("accuracy", model, x, lengths)
    y = _check_labels("accuracy", y, x.shape[0])
    logits = _logits("accuracy", model, x, lengths)
    _check_classes("accuracy", y, logits, x.shape[0])
    return float((logits.argmax(dim=-1) == y).double().mean())


def fit_classifier(model: nn.Module, x: torch.Tensor, lengths: torch.Tensor, y: torch.Tensor, *, epochs: int,
                   lr: float = 1e-2, batch_size: int = 32, clip_norm: float | None = 1.0, seed: int | None = None,
                   progress: bool = True) -> list[float]:
    """Train ``model(x, lengths) -> logits`` with Adam on cross-entropy for ``epochs`` epochs.

    ``x`` (N, T, I) padded, ``lengths`` (N,), ``y`` (N,) class indices. Returns the mean
    training loss of each epoch. ``seed`` fixes the order of the batches; None (the default)
    uses the run's seed, :func:`companion.config.seed`. (The initial weights and dropout come
    from PyTorch's global generator: seed it, e.g. with :func:`companion.config.seed_everything`.)
    Choose ``epochs`` in advance, or on a validation set: never on the test set.
    """
    who = "fit_classifier"
    check_instance(who, "model", model, nn.Module, "a torch.nn.Module called as model(x, lengths)")
    for name, value in (("x", x), ("y", y)):
        check_instance(who, name, value, torch.Tensor, "a torch.Tensor")
    if isinstance(lengths, (list, tuple, np.ndarray)):  # as SequenceClassifier takes them
        lengths = _as_lengths(who, lengths, x.shape[0] if x.dim() else 0)
    check_instance(who, "lengths", lengths, torch.Tensor, "a torch.Tensor of integers")
    if x.dim() == 0 or lengths.dim() != 1 or y.dim() != 1 or not x.shape[0] == len(lengths) == y.shape[0]:
        raise ValueError(f"fit_classifier: x, lengths and y must have the same number of sequences, got "
                         f"{_count(x, 1)}, {_count(lengths)} and {_count(y)}")
    lengths = _check_batch(who, model, x, lengths)
    y = _check_labels(who, y, x.shape[0])
    epochs = check_int(who, "epochs", epochs)
    lr = check_real(who, "lr", lr, above=0)
    batch_size = check_int(who, "batch_size", batch_size)
    clip_norm = check_real(who, "clip_norm", clip_norm, above=0, optional=True)
    seed = config.seed() if seed is None else check_int(who, "seed", seed, minimum=0, optional=True)
    check_bool(who, "progress", progress)
    if not any(p.requires_grad for p in model.parameters()):
        raise ValueError(f"{who}: the model has no parameters that require gradients: nothing to train")
    checked = []

    def batches(generator):
        for idx in torch.randperm(x.shape[0], generator=generator).split(batch_size):
            yield idx

    def batch_loss(idx):
        T = int(lengths[idx].max())  # trim the batch to its own longest sequence: fewer padded steps
        logits = model(x[idx, :T], lengths[idx])
        if not checked:  # before the first step changes the model: every label within the model's classes
            _check_classes(who, y, logits.detach() if isinstance(logits, torch.Tensor) else logits, len(idx))
            checked.append(True)
        return nn.functional.cross_entropy(logits, y[idx]), len(idx)

    run_epoch = train.minibatch_epoch(model, batches, batch_loss, clip_norm=clip_norm, who=who)
    history = train.loop(model, run_epoch, epochs=epochs, lr=lr, seed=seed, progress=progress, who=who)
    return history.train_loss


def _count(value: torch.Tensor, min_dim: int = 0) -> str:
    """How many sequences a tensor holds, for a message: its first dimension (x: of at least ``min_dim``
    dimensions; lengths and y: of exactly one), or its shape when it has another number of dimensions."""
    ok = value.dim() >= min_dim if min_dim else value.dim() == 1
    return str(value.shape[0]) if ok else f"shape {shape_str(value.shape)}"
