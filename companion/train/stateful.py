"""Training on long sequences by truncated backpropagation through time: :func:`fit_stateful`.

It cuts the time axis into chunks, carries the hidden state from one chunk to the next
and detaches it at the boundaries; the epochs around it are :func:`companion.train.loop`'s.
"""

from __future__ import annotations

import os

import torch
from torch import nn

from ..bptt import chunk_lengths, run_chunks
from ..checks import check_bool, check_callable, check_finite_array, check_int, check_tensor, describe, shape_str
from .checkpoint import History, model_device
from .fit import _check_pair, _check_prediction, _loss_name, _validator
from .loop import CHECKPOINT_DOC, _check_training_arguments, loop, update


def fit_stateful(model: nn.Module, train: tuple[torch.Tensor, torch.Tensor], *, chunk_length: int | None, epochs: int,
                 randomise: bool = False, valid: tuple[torch.Tensor, torch.Tensor] | None = None, lr: float = 1e-2,
                 loss_fn=nn.functional.mse_loss, clip_norm: float | None = None, patience: int | None = None,
                 seed: int | None = None, progress: bool = True, checkpoint: str | os.PathLike | None = None,
                 resume: bool | str = False) -> History:
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
    n = _check_training_arguments(who, model, epochs=epochs, lr=lr, clip_norm=clip_norm, patience=patience, seed=seed,
                                  progress=progress, checkpoint=checkpoint, resume=resume, has_valid=valid is not None)
    check_callable(who, "loss_fn", loss_fn)
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
            update(model, optimizer, loss, clip_norm=n["clip_norm"], who=who, epoch=epoch,
                   where=f" in the chunk of steps {start}..{stop - 1}",
                   batch=(("X", X[:, start:stop]), ("y", y[:, start:stop])))
            total += loss.item() * (stop - start)
        return total / X.shape[1]

    n.pop("stop_below")
    hyperparameters = {"function": who, **n, "chunk_length": chunk_length, "randomise": randomise,
                       "loss_fn": _loss_name(loss_fn), "train_shapes": [list(X.shape), list(y.shape)],
                       "valid_shapes": None if valid is None else [list(valid[0].shape), list(valid[1].shape)]}
    return loop(model, run_epoch, epochs=epochs, lr=lr, validate=_validator(who, valid, loss_fn), patience=patience,
                seed=n["seed"], progress=progress, checkpoint=checkpoint, resume=resume,
                hyperparameters=hyperparameters, who=who)


fit_stateful.__doc__ = fit_stateful.__doc__.replace("{checkpoint}", CHECKPOINT_DOC)
