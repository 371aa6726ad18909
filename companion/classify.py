"""Training and scoring a classifier of variable-length sequences.

``companion.train.fit`` trains on fixed-shape tensors ``(X, y)``. A padded batch also
needs its ``lengths``, so this module trains models called as ``model(x, lengths)`` —
such as :class:`companion.models.SequenceClassifier` — with the cross-entropy loss.
"""

from __future__ import annotations

import torch
from torch import nn

from . import config
from .progress import progress as progress_bar


def predict(model: nn.Module, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Predicted classes (B,) in evaluation mode, without gradients."""
    model.eval()
    with torch.no_grad():
        return model(x, lengths).argmax(dim=-1)


def accuracy(model: nn.Module, x: torch.Tensor, lengths: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction of sequences whose predicted class is ``y``."""
    return float((predict(model, x, lengths) == y).double().mean())


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
    if not x.shape[0] == len(lengths) == y.shape[0]:
        raise ValueError(f"fit_classifier: x, lengths and y must have the same number of sequences, got "
                         f"{x.shape[0]}, {len(lengths)} and {y.shape[0]}")
    if seed is None:
        seed = config.seed()
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"fit_classifier: seed must be a non-negative integer or None, got {seed!r}")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    bar = progress_bar(range(epochs), desc="training", unit="epoch", disable=not progress)
    for _ in bar:
        model.train()
        total = 0.0
        for idx in torch.randperm(x.shape[0], generator=generator).split(batch_size):
            optimizer.zero_grad()
            # Trim the batch to its own longest sequence: fewer padded steps to loop over.
            T = int(lengths[idx].max())
            loss = nn.functional.cross_entropy(model(x[idx, :T], lengths[idx]), y[idx])
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / x.shape[0])
        bar.set_postfix({"train loss": f"{losses[-1]:.4f}"})
    bar.close()
    model.eval()
    return losses
