"""Classifying texts: learned embeddings, a (bidirectional) recurrent layer over the packed batch,
a pooling of its outputs that padding never reaches, a linear read-out.

* :func:`mean_pool`, :func:`last_pool`, :class:`AttentionPool` — three ways to turn the outputs
  (B, T, D·H) of a padded batch into one vector (B, D·H) per text;
* :class:`TextClassifier` — embedding → RNN/LSTM/GRU → pooling → linear;
* :func:`fit_text_classifier` — training with companion's one training loop (:func:`companion.train.loop`);
* :func:`predict_proba` — the probability of class 1 for each text.

Each pooling reads the real positions only: it *selects* them (``torch.where``), so garbage, ``inf``
or ``NaN`` in the padded positions changes nothing, and attention gives padding a weight of
exactly 0.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .. import train
from ..checks import (check_bool, check_instance, check_int, check_real, check_sequence, check_size, describe,
                      shape_str)
from ..data.reviews import batches as review_batches
from ..data.text import pad
from ..masking import lengths_to_mask
from .common import _check_dropout, _check_lengths, _layer_classes

POOLINGS = ("last", "mean", "attention")


def _check_outputs(who: str, outputs, mask) -> None:
    check_instance(who, "outputs", outputs, torch.Tensor, "a (B, T, F) tensor")
    check_instance(who, "mask", mask, torch.Tensor, "a (B, T) bool tensor")
    if outputs.dim() != 3 or mask.dtype != torch.bool or mask.shape != outputs.shape[:2]:
        raise ValueError(f"{who}: expected outputs (B, T, F) and a bool mask (B, T) of the same B and T, got "
                         f"outputs {shape_str(outputs.shape)} and mask {shape_str(mask.shape)} of {mask.dtype}")
    if outputs.shape[0] and not bool(mask.any(dim=1).all()):
        row = int((~mask.any(dim=1)).nonzero()[0])
        raise ValueError(f"{who}: row {row} of the mask has no real position; every text needs at least one token")


def mean_pool(outputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The mean of ``outputs`` (B, T, F) over the real positions of each row (``mask`` (B, T)): (B, F)."""
    _check_outputs("mean_pool", outputs, mask)
    real = torch.where(mask.unsqueeze(-1), outputs, torch.zeros((), dtype=outputs.dtype, device=outputs.device))
    return real.sum(dim=1) / mask.sum(dim=1, keepdim=True).to(outputs.dtype)


def last_pool(outputs: torch.Tensor, lengths, bidirectional: bool = False) -> torch.Tensor:
    """The final states read from ``outputs`` (B, T, D·H): (B, D·H).

    The forward direction ends at each text's last real position ``lengths[b] - 1``; the backward
    direction of a bidirectional layer ends at position 0 (it reads the text from its end), so its
    half is taken there. This equals the last layer's ``h_n`` of a packed run
    (:func:`companion.models.final_states`).
    """
    who = "last_pool"
    check_instance(who, "outputs", outputs, torch.Tensor, "a (B, T, F) tensor")
    check_bool(who, "bidirectional", bidirectional)
    if outputs.dim() != 3:
        raise ValueError(f"{who}: expected outputs of shape (B, T, F), got {shape_str(outputs.shape)}")
    B, T = outputs.shape[:2]
    lengths = _check_lengths(who, lengths, B, T, what="outputs", device=outputs.device)
    last = outputs[torch.arange(outputs.shape[0], device=outputs.device), lengths - 1]  # (B, F)
    if not bidirectional:
        return last
    if outputs.shape[-1] % 2:
        raise ValueError(f"{who}: a bidirectional layer's outputs have an even size 2H, got {shape_str(outputs.shape)}")
    H = outputs.shape[-1] // 2
    return torch.cat([last[:, :H], outputs[:, 0, H:]], dim=-1)


class AttentionPool(nn.Module):
    """Additive attention pooling (Yang et al., 2016): score each position, softmax over the real
    positions, return the weighted sum of the outputs and the weights.

    ``s_t = v^T tanh(W o_t + b)``, ``a_t = exp(s_t) / Σ_{real u} exp(s_u)`` (0 on padding),
    ``z = Σ_t a_t o_t``. ``forward(outputs (B, T, F), mask (B, T))`` returns ``(z (B, F), a (B, T))``.
    """

    def __init__(self, input_size: int, attention_size: int | None = None):
        super().__init__()
        check_size("AttentionPool", "input_size", input_size)
        attention_size = input_size if attention_size is None else attention_size
        check_size("AttentionPool", "attention_size", attention_size)
        self.project = nn.Linear(input_size, attention_size)
        self.score = nn.Linear(attention_size, 1, bias=False)

    def forward(self, outputs: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        who = "AttentionPool"
        _check_outputs(who, outputs, mask)
        if outputs.shape[-1] != self.project.in_features:
            raise ValueError(f"{who}: expected outputs of shape (B, T, {self.project.in_features}), got "
                             f"{shape_str(outputs.shape)}")
        zero = torch.zeros((), dtype=outputs.dtype, device=outputs.device)
        real = torch.where(mask.unsqueeze(-1), outputs, zero)  # NaN or garbage in the padding is never read
        scores = self.score(torch.tanh(self.project(real))).squeeze(-1)  # (B, T)
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=1)  # exactly 0 where the score is -inf
        return (weights.unsqueeze(-1) * real).sum(dim=1), weights


class TextClassifier(nn.Module):
    """Embedding → recurrent layer (packed, so padding is never read) → pooling → linear.

    ``TextClassifier(vocab_size, embedding_dim, hidden_size, num_classes=2, cell="gru",
    pooling="mean", bidirectional=False, num_layers=1, dropout=0.0, pad_id=0, use_torch_nn=False)``.
    ``pooling`` is ``"last"`` (the final states), ``"mean"`` (the mean output over the real tokens)
    or ``"attention"`` (:class:`AttentionPool`). ``forward(ids (B, T), lengths (B,))`` returns logits
    (B, C); with ``return_weights=True`` it returns ``(logits, weights (B, T))``, the attention
    weights (attention pooling only). Dropout acts on the embeddings and before the read-out.
    ``use_torch_nn=True`` builds the recurrent layer from ``torch.nn``: the same model and
    ``state_dict`` as companion's layer, trained several times faster on a CPU.
    """

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int, num_classes: int = 2, *,
                 cell: str = "gru", pooling: str = "mean", bidirectional: bool = False, num_layers: int = 1,
                 dropout: float = 0.0, pad_id: int = 0, use_torch_nn: bool = False):
        super().__init__()
        who = "TextClassifier"
        for name, value in (("vocab_size", vocab_size), ("embedding_dim", embedding_dim),
                            ("hidden_size", hidden_size), ("num_classes", num_classes), ("num_layers", num_layers)):
            check_size(who, name, value)
        if num_classes < 2:
            raise ValueError(f"{who}: num_classes must be at least 2 (two logits for a binary task), got {num_classes}")
        if not isinstance(pooling, str) or pooling not in POOLINGS:
            raise ValueError(f"{who}: pooling must be one of {POOLINGS}, got {pooling!r}")
        pad_id = check_int(who, "pad_id", pad_id, minimum=0)
        if pad_id >= vocab_size:
            raise ValueError(f"{who}: pad_id must be an id of the vocabulary (0..{vocab_size - 1}), got {pad_id}")
        dropout = _check_dropout(who, dropout)
        layers = _layer_classes(who, cell, use_torch_nn, bidirectional=bidirectional)
        self.pooling, self.pad_id, self.vocab_size = pooling, pad_id, vocab_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.recurrent = layers[cell](embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                                      bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        size = hidden_size * (2 if bidirectional else 1)
        self.attention = AttentionPool(size) if pooling == "attention" else None
        self.dropout = nn.Dropout(dropout)
        self.readout = nn.Linear(size, num_classes)

    def forward(self, ids: torch.Tensor, lengths, *, return_weights: bool = False):
        who = "TextClassifier"
        check_bool(who, "return_weights", return_weights)
        if return_weights and self.pooling != "attention":
            raise ValueError(f"{who}: return_weights=True needs pooling='attention', this model pools by "
                             f"{self.pooling!r}")
        lengths = _check_ids(who, ids, lengths, self.vocab_size)
        B, T = ids.shape
        x = self.dropout(self.embedding(ids))  # (B, T, E)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.recurrent(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=T)  # (B, T, D·H), zeros in padding
        mask = lengths_to_mask(lengths.cpu(), max_len=T).to(ids.device)
        weights = None
        if self.pooling == "mean":
            z = mean_pool(outputs, mask)
        elif self.pooling == "last":
            z = last_pool(outputs, lengths.to(ids.device), self.recurrent.bidirectional)
        else:
            z, weights = self.attention(outputs, mask)
        logits = self.readout(self.dropout(z))
        return (logits, weights) if return_weights else logits


def _check_ids(who: str, ids, lengths, vocab_size: int) -> torch.Tensor:
    """``ids`` a (B, T) integer tensor of ids in 0..vocab_size-1, ``lengths`` (B,) in 1..T; lengths as a tensor."""
    check_instance(who, "ids", ids, torch.Tensor, "a (B, T) tensor of token ids")
    if ids.dim() != 2 or ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
        raise ValueError(f"{who}: expected ids of shape (B, T) with integer token ids, got {describe(ids)}")
    B, T = ids.shape
    if T == 0:
        raise ValueError(f"{who}: expected ids of shape (B, T) with T >= 1, got {shape_str(ids.shape)}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
        raise ValueError(f"{who}: expected token ids in 0..{vocab_size - 1} (the vocabulary's size is {vocab_size}), "
                         f"got {bad}")
    return _check_lengths(who, lengths, B, T, what="ids")


def _check_dataset(who: str, name: str, data, vocab_size: int | None = None):
    """``data`` a pair (ids: a list of id lists, labels: one class index per text)."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{who}: expected {name} to be a pair (ids, labels): a list of id lists and one label per "
                        f"text, got {describe(data)}")
    ids = check_sequence(who, f"{name}'s ids", data[0], expected="a list of id lists (see data.reviews.encode)",
                         allow_empty=False)
    labels = data[1]
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    labels = np.asarray(labels)
    if labels.shape != (len(ids),) or labels.dtype.kind not in "iu":
        raise ValueError(f"{who}: expected {name}'s labels to be {len(ids)} integer class indices, one per text, "
                         f"got {describe(labels)}")
    if int(labels.min()) < 0:
        raise ValueError(f"{who}: expected {name}'s labels to be class indices >= 0, got {int(labels.min())}")
    for i, row in enumerate(ids):
        if len(row) == 0:
            raise ValueError(f"{who}: text {i} of {name} has no token; every text needs at least one")
    return ids, labels


def _cross_entropy(model, batch, who: str, num_checked: list):
    ids, lengths, y = batch
    device = train.model_device(model)
    logits = model(ids.to(device), lengths)
    if not num_checked:
        if int(y.max()) >= logits.shape[-1]:
            raise ValueError(f"{who}: the model has {logits.shape[-1]} classes, so labels must lie in "
                             f"0..{logits.shape[-1] - 1}, got {int(y.max())}")
        num_checked.append(True)
    return nn.functional.cross_entropy(logits, y.to(device)), len(y)


def fit_text_classifier(model: nn.Module, train_data, *, epochs: int, valid=None, lr: float = 1e-2,
                        batch_size: int = 64, clip_norm: float | None = 1.0, patience: int | None = None,
                        seed: int | None = None, progress: bool = True) -> "train.History":
    """Train ``model(ids, lengths) -> logits`` on cross-entropy with :func:`companion.train.loop` (Adam).

    ``train_data`` and ``valid`` are pairs ``(ids, labels)``: a list of id lists (from
    :func:`companion.data.reviews.encode`) and one class index per text. Batches hold texts of
    similar lengths (:func:`companion.data.reviews.batches`) in an order drawn from ``seed`` (None:
    the run's seed). With ``valid`` the weights of the epoch with the lowest validation loss are
    kept, and ``patience`` may stop training early. Returns the :class:`companion.train.History`.
    """
    who = "fit_text_classifier"
    check_instance(who, "model", model, nn.Module, "a torch.nn.Module called as model(ids, lengths)")
    ids, labels = _check_dataset(who, "train_data", train_data)
    if valid is not None:
        valid_ids, valid_labels = _check_dataset(who, "valid", valid)
    batch_size = check_int(who, "batch_size", batch_size)
    check_real(who, "lr", lr, above=0)
    check_real(who, "clip_norm", clip_norm, above=0, optional=True)
    checked: list = []

    def batch_loss(batch):
        return _cross_entropy(model, batch, who, checked)

    run_epoch = train.minibatch_epoch(
        model, lambda generator: review_batches(ids, labels, batch_size=batch_size, generator=generator),
        batch_loss, clip_norm=clip_norm, who=who)

    def validate(model):
        model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for batch in _sorted_batches(valid_ids, valid_labels, 256):
                loss, n = _cross_entropy(model, batch, who, checked)
                total, count = total + loss.item() * n, count + n
        return total / count

    hyperparameters = {"function": who, "lr": lr, "batch_size": batch_size, "clip_norm": clip_norm,
                       "patience": patience, "n_train": len(ids), "n_valid": None if valid is None else len(valid_ids)}
    return train.loop(model, run_epoch, epochs=epochs, lr=lr, validate=None if valid is None else validate,
                      patience=patience, seed=seed, progress=progress, hyperparameters=hyperparameters, who=who)


def _sorted_batches(ids, labels, batch_size: int):
    """Batches of texts of similar lengths, every text once, plus where each came from (``order``)."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    for start in range(0, len(order), batch_size):
        group = order[start:start + batch_size]
        padded, lengths, _ = pad([ids[i] for i in group])
        yield padded, lengths, torch.as_tensor(np.asarray(labels)[group])


def predict_proba(model: nn.Module, ids, *, batch_size: int = 256) -> np.ndarray:
    """The probability of class 1 (softmax of the logits) for every text of ``ids`` (a list of id
    lists), in evaluation mode and without gradients: a NumPy array (N,)."""
    who = "predict_proba"
    check_instance(who, "model", model, nn.Module, "a torch.nn.Module called as model(ids, lengths)")
    ids = check_sequence(who, "ids", ids, expected="a list of id lists (see data.reviews.encode)", allow_empty=False)
    batch_size = check_int(who, "batch_size", batch_size)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.empty(len(ids))
    device = train.model_device(model)
    model.eval()
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            group = order[start:start + batch_size]
            padded, lengths, _ = pad([ids[i] for i in group])
            logits = model(padded.to(device), lengths)
            if logits.dim() != 2 or logits.shape[0] != len(group) or logits.shape[1] < 2:
                raise ValueError(f"{who}: expected model(ids, lengths) to return logits of shape ({len(group)}, C) "
                                 f"with C >= 2, got {describe(logits)}")
            out[group] = torch.softmax(logits.double(), dim=-1)[:, 1].cpu().numpy()
    return out

