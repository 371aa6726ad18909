"""The training loop the chapters share.

:func:`fit` trains a model on tensors ``(X, y)`` with Adam, shows a progress bar,
evaluates on a validation set after every epoch, keeps the weights of the best
validation epoch (early stopping), and stops with a clear error when the loss
stops being a finite number.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
from torch import nn

from .progress import progress as progress_bar


@dataclass
class History:
    """Per-epoch losses, for plots: ``train_loss[k]`` and ``valid_loss[k]`` after epoch ``k``."""

    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    best_epoch: int | None = None


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
    """The loss of ``model`` on ``(X, y)`` in evaluation mode, without gradients."""
    model.eval()
    with torch.no_grad():
        return float(loss_fn(model(X), y))


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
) -> History:
    """Train ``model`` in place and return its :class:`History`.

    ``train`` and ``valid`` are ``(X, y)`` pairs already on the model's device.
    ``batch_size=None`` trains on the whole set at once. With ``valid``, the
    weights of the epoch with the lowest validation loss are restored at the
    end, and ``patience`` (epochs without improvement) may stop training early.
    ``clip_norm`` clips the global gradient norm. Raises ``FloatingPointError``
    when a loss becomes NaN or infinite.
    """
    X, y = train
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"fit: X and y must have the same number of examples, got {X.shape[0]} and {y.shape[0]}")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    history = History()
    best_loss, best_state = math.inf, None
    bar = progress_bar(range(epochs), desc="training", unit="epoch", disable=not progress)
    for epoch in bar:
        model.train()
        total, count = 0.0, 0
        for xb, yb in _batches(X, y, batch_size, generator):
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            if not torch.isfinite(loss):
                bar.close()
                raise FloatingPointError(
                    f"fit: the training loss became {loss.item()} at epoch {epoch}; "
                    "lower the learning rate or set clip_norm"
                )
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            total, count = total + loss.item() * xb.shape[0], count + xb.shape[0]
        history.train_loss.append(total / count)
        postfix = {"train": f"{history.train_loss[-1]:.4f}"}
        if valid is not None:
            history.valid_loss.append(evaluate(model, *valid, loss_fn=loss_fn))
            postfix["valid"] = f"{history.valid_loss[-1]:.4f}"
            if history.valid_loss[-1] < best_loss:
                best_loss, history.best_epoch = history.valid_loss[-1], epoch
                best_state = copy.deepcopy(model.state_dict())
            elif patience is not None and epoch - history.best_epoch >= patience:
                bar.set_postfix(postfix)
                break
        bar.set_postfix(postfix)
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history
