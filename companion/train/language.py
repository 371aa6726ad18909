"""Training a recurrent language model by *stateful* truncated BPTT, and scoring it on held-out text.

:func:`fit_language_model` lays the training ids out as ``B`` streams
(:func:`companion.data.stream_batches`), walks along them ``seq_len`` tokens at a time, and carries
the state from one batch to the next, detached (:func:`companion.bptt.detach_state`): the model
reads the text as one long sequence per stream while the gradient reaches back ``seq_len`` steps
only. The epochs around it are :func:`companion.train.loop`'s.

:func:`evaluate_language_model` gives the mean cross-entropy (nats per token) of ``ids[1:]``
given what precedes each, for exactly the positions an n-gram model's
:meth:`companion.models.NGramLM.cross_entropy` scores, so the two compare on the same text.
"""

from __future__ import annotations

import math
import os

import torch
import torch.nn.functional as F
from torch import nn

from ..bptt import detach_state
from ..checks import check_instance, check_int, describe
from ..data.corpus import _as_ids, stream_batches
from .checkpoint import History, model_device
from .loop import CHECKPOINT_DOC, _check_training_arguments, loop, update


def _check_vocab_size(who: str, model: nn.Module, ids: torch.Tensor, name: str) -> None:
    V = getattr(model, "vocab_size", None)
    if V is not None and ids.numel() and int(ids.max()) >= V:
        raise ValueError(f"{who}: the model predicts {V} tokens, so {name} must be in 0..{V - 1}, got {int(ids.max())}")


def evaluate_language_model(model: nn.Module, ids, *, streams: int = 64) -> float:
    """Mean ``-ln p(ids[t] | ids[:t])`` over ``t = 1 .. N-1``, in nats (evaluation mode, no gradients).

    The text is cut into ``streams`` consecutive pieces read side by side, each from the zero state
    (so the first tokens of each piece see a shorter past; with 64 pieces of a long text that is a
    few hundredths of a percent of the positions). Every one of the N - 1 targets counts once.
    """
    who = "evaluate_language_model"
    check_instance(who, "model", model, nn.Module, "a torch.nn.Module (model(x, state) -> (logits, state))")
    ids = _as_ids(who, ids)
    streams = check_int(who, "streams", streams)
    if ids.numel() < 2:
        raise ValueError(f"{who}: expected at least 2 ids (one input and its next token), got {ids.numel()}")
    _check_vocab_size(who, model, ids, "ids")
    x, y = ids[:-1], ids[1:]
    P = min(streams, x.numel())
    L = math.ceil(x.numel() / P)
    pad = P * L - x.numel()  # the last piece is padded; its padded targets are ignored
    x = torch.cat([x, x.new_zeros(pad)]).view(P, L)
    y = torch.cat([y, y.new_full((pad,), -100)]).view(P, L)
    device = model_device(model)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits, _ = model(x.to(device))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).double(), y.reshape(-1).to(device),
                               ignore_index=-100, reduction="sum")
    model.train(was_training)
    value = float(loss) / (ids.numel() - 1)
    if not math.isfinite(value):
        raise FloatingPointError(f"{who}: the cross-entropy is {value}: the model's logits hold NaN or infinite values")
    return value


def fit_language_model(
    model: nn.Module,
    train_ids,
    *,
    batch_size: int = 32,
    seq_len: int = 32,
    epochs: int = 1,
    batches_per_epoch: int | None = None,
    valid_ids=None,
    lr: float = 1e-2,
    clip_norm: float | None = 1.0,
    patience: int | None = None,
    seed: int | None = None,
    progress: bool = True,
    checkpoint: str | os.PathLike | None = None,
    resume: bool | str = False,
) -> History:
    """Train ``model(x, state) -> (logits, state)`` (such as :class:`companion.models.LanguageModel`) to
    predict the next token of ``train_ids`` by stateful truncated BPTT; return its :class:`History`
    (losses in nats per token).

    The ids are laid out as ``batch_size`` streams and cut into batches of ``seq_len`` steps
    (:func:`companion.data.stream_batches`). Each epoch starts from the zero state; after every batch
    the state is detached and carried into the next, which continues every stream. An epoch is one
    pass over the text, or, with ``batches_per_epoch``, that many batches: epoch ``e`` then takes
    batches ``e·k .. e·k + k - 1`` (counted modulo the number of batches), so short epochs walk on
    through the text instead of rereading its start. ``valid_ids`` is scored after every epoch by
    :func:`evaluate_language_model`; the best epoch's weights are kept, and ``patience`` may stop
    early. ``clip_norm`` clips the global gradient norm (1.0 by default: a recurrent language model's
    gradients spike now and then).

    {checkpoint}
    """
    who = "fit_language_model"
    n = _check_training_arguments(who, model, epochs=epochs, lr=lr, clip_norm=clip_norm, patience=patience, seed=seed,
                                  progress=progress, checkpoint=checkpoint, resume=resume,
                                  has_valid=valid_ids is not None, valid_hint="valid_ids=")
    train_ids = _as_ids(who, train_ids)
    batches = stream_batches(train_ids, batch_size, seq_len)  # checks batch_size and seq_len against the text
    batches_per_epoch = check_int(who, "batches_per_epoch", batches_per_epoch, optional=True)
    _check_vocab_size(who, model, train_ids, "train_ids")
    validate = None
    if valid_ids is not None:
        valid_ids = _as_ids(who, valid_ids)
        if valid_ids.numel() < 2:
            raise ValueError(f"{who}: expected valid_ids to hold at least 2 ids, got {valid_ids.numel()}")
        _check_vocab_size(who, model, valid_ids, "valid_ids")

        def validate(model):
            return evaluate_language_model(model, valid_ids)

    device = model_device(model)
    per_epoch = batches_per_epoch or len(batches)

    def run_epoch(optimizer, generator, epoch):
        state, total, count = None, 0.0, 0
        for k in range(epoch * per_epoch, (epoch + 1) * per_epoch):
            index = k % len(batches)
            if index == 0:
                state = None  # back at the start of the streams
            x, y = (t.to(device) for t in batches[index])
            optimizer.zero_grad()
            result = model(x, state)
            if not isinstance(result, tuple) or len(result) != 2:
                raise TypeError(f"{who}: expected model(x, state) to return (logits, state), got {describe(result)}")
            logits, state = result
            if logits.dim() != 3 or logits.shape[:2] != x.shape:
                raise ValueError(f"{who}: expected logits of shape (B, T, V) = ({x.shape[0]}, {x.shape[1]}, V), got "
                                 f"{tuple(logits.shape)}")
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            update(model, optimizer, loss, clip_norm=n["clip_norm"], who=who, epoch=epoch,
                   where=f" in batch {index} of {len(batches)}")
            state = detach_state(state)  # carried into the next batch, but no gradient flows back into this one
            total, count = total + loss.item() * y.numel(), count + y.numel()
        return total / count

    hyperparameters = {"function": who, **n, "batch_size": batch_size, "seq_len": seq_len,
                       "batches_per_epoch": batches_per_epoch, "train_ids": int(train_ids.numel()),
                       "valid_ids": None if valid_ids is None else int(valid_ids.numel())}
    return loop(model, run_epoch, epochs=n["epochs"], lr=n["lr"], validate=validate, patience=n["patience"],
                seed=n["seed"], progress=progress, checkpoint=checkpoint, resume=resume,
                hyperparameters=hyperparameters, who=who)


fit_language_model.__doc__ = fit_language_model.__doc__.replace("{checkpoint}", CHECKPOINT_DOC)
