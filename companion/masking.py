"""Variable-length batches: padding, masks, and losses in which padding never counts.

A batch of ``B`` sequences of lengths ``T_1, ..., T_B`` is stored padded to
``T = max T_b`` with a ``lengths`` vector (B,). Position ``t`` of sequence ``b``
is real when ``t < lengths[b]`` and padding otherwise; :func:`lengths_to_mask`
turns lengths into that (B, T) boolean mask.

The masked losses *select* the real positions (``values[mask]``) instead of
multiplying by the mask, so whatever sits in the padding — garbage, ``inf`` or
``NaN`` — changes neither the loss nor any gradient. Each is the mean over all
real steps of the batch, which equals summing the losses of the unpadded
sequences one by one and dividing by the number of real steps.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .checks import check_instance, check_int, shape_str


def _lengths_tensor(who: str, lengths, device=None) -> torch.Tensor:
    lengths = torch.as_tensor(lengths, device=device)
    if lengths.dim() != 1 or lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise ValueError(f"{who}: expected lengths as a 1-D integer tensor (B,), got {lengths.dtype} of shape "
                         f"{shape_str(lengths.shape)}")
    if lengths.numel() and int(lengths.min()) < 1:
        raise ValueError(f"{who}: every length must be at least 1, got {lengths.tolist()}")
    return lengths


def lengths_to_mask(lengths, max_len: int | None = None) -> torch.Tensor:
    """(B,) lengths -> (B, T) bool mask, ``mask[b, t] = t < lengths[b]``; ``T = max_len`` or the longest."""
    lengths = _lengths_tensor("lengths_to_mask", lengths)
    if lengths.numel() == 0:
        raise ValueError("lengths_to_mask: expected at least one length, got an empty lengths tensor")
    T = int(lengths.max()) if max_len is None else check_int("lengths_to_mask", "max_len", max_len)
    if T < int(lengths.max()):
        raise ValueError(f"lengths_to_mask: max_len={T} is shorter than the longest sequence ({int(lengths.max())})")
    return torch.arange(T, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def pad_sequences(sequences, dtype=torch.float32, value: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad a list of (T_b, F) arrays or tensors into ``(padded (B, T, F), lengths (B,))``, batch first.

    Position ``t >= T_b`` of sequence ``b`` holds ``value``; ``lengths`` is int64.
    """
    if len(sequences) == 0:
        raise ValueError("pad_sequences: expected at least one sequence, got an empty list")
    tensors = [torch.as_tensor(np.asarray(s) if not isinstance(s, torch.Tensor) else s, dtype=dtype)
               for s in sequences]
    features = tensors[0].shape[1:]
    for i, s in enumerate(tensors):
        if s.dim() != 2 or s.shape[1:] != features or s.shape[0] == 0:
            raise ValueError(f"pad_sequences: expected every sequence of shape (T_b, {features[0] if features else 'F'}) "
                             f"with T_b >= 1, got {shape_str(s.shape)} for sequence {i}")
    lengths = torch.tensor([s.shape[0] for s in tensors], dtype=torch.int64)
    return torch.nn.utils.rnn.pad_sequence(tensors, batch_first=True, padding_value=value), lengths


def reverse_padded(x: torch.Tensor, lengths) -> torch.Tensor:
    """Reverse each sequence of a batch-first (B, T, ...) tensor within its own length; padding stays put.

    ``out[b, t] = x[b, lengths[b] - 1 - t]`` for ``t < lengths[b]``, ``x[b, t]`` otherwise. This is
    what the backward direction of a bidirectional layer reads.
    """
    check_instance("reverse_padded", "x", x, torch.Tensor, "a batch-first (B, T, ...) tensor")
    if x.dim() < 2:
        raise ValueError(f"reverse_padded: expected x of shape (B, T, ...), got {shape_str(x.shape)}")
    lengths = _lengths_tensor("reverse_padded", lengths, device=x.device)
    B, T = x.shape[:2]
    if tuple(lengths.shape) != (B,) or (B and int(lengths.max()) > T):
        raise ValueError(f"reverse_padded: expected one length per sequence of x {shape_str(x.shape)}, each at most "
                         f"T = {T}, got lengths {lengths.tolist()}")
    t = torch.arange(T, device=x.device).unsqueeze(0)  # (1, T)
    source = torch.where(t < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - t, t)  # (B, T)
    index = source.view(B, T, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, index)


def _mask_for(who: str, values: torch.Tensor, mask) -> torch.Tensor:
    """``mask`` as a (B, T) bool mask matching ``values`` (B, T, ...), with at least one real step: a mean
    over no step at all would be NaN."""
    check_instance(who, "values", values, torch.Tensor, "a (B, T, ...) tensor")
    if values.dim() < 2:
        raise ValueError(f"{who}: expected values of shape (B, T, ...), got {shape_str(values.shape)}")
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        mask = lengths_to_mask(mask, max_len=values.shape[1])  # lengths were given
    if values.shape[:2] != mask.shape:
        raise ValueError(f"{who}: expected values of shape (B, T, ...) = {shape_str(mask.shape)} + (...) to match "
                         f"the mask, got {shape_str(values.shape)}")
    if not bool(mask.any()):
        raise ValueError(f"{who}: the mask selects no real step in a batch of shape {shape_str(mask.shape)} (all "
                         f"padding): the mean over no steps is undefined (NaN); expected at least one real step")
    return mask.to(values.device)


def masked_mean(values: torch.Tensor, mask) -> torch.Tensor:
    """Mean of ``values`` (B, T, ...) over the real steps; ``mask`` is a (B, T) bool mask or (B,) lengths."""
    mask = _mask_for("masked_mean", values, mask)
    return values[mask].mean()


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, mask) -> torch.Tensor:
    """Mean squared error over the real steps of (B, T, ...) predictions and targets."""
    if prediction.shape != target.shape:
        raise ValueError(f"masked_mse: expected prediction and target of the same shape, got "
                         f"{shape_str(prediction.shape)} and {shape_str(target.shape)}")
    mask = _mask_for("masked_mse", prediction, mask)
    return F.mse_loss(prediction[mask], target[mask])


def masked_cross_entropy(logits: torch.Tensor, target: torch.Tensor, mask=None, *,
                         pad_id: int | None = None) -> torch.Tensor:
    """Mean cross-entropy over the real steps: ``logits`` (B, T, C), integer ``target`` (B, T).

    The real steps are given either by ``mask`` — a (B, T) bool mask or (B,) lengths — or by
    ``pad_id``, the target id that marks padding (the real steps are ``target != pad_id``, as
    in ``F.cross_entropy(..., ignore_index=pad_id)``); give exactly one. The loss *selects* the
    real steps (``logits[mask]``) and averages over them: nothing at a padded position is read,
    so any placeholder target (such as -1) and any value in the padded logits, even ``NaN`` or
    ``inf``, changes neither the loss nor the gradient (multiplying the per-step losses by the
    mask would not do: ``0 * NaN`` is ``NaN``). A batch without a single real step is an error,
    not a ``NaN``.

    This is the one masked cross-entropy of ``companion``; :mod:`companion.seq2seq` trains with
    it (``pad_id=Vocab.pad_id``).
    """
    if logits.dim() != 3 or target.shape != logits.shape[:2]:
        raise ValueError(f"masked_cross_entropy: expected logits (B, T, C) and target (B, T), got "
                         f"{shape_str(logits.shape)} and {shape_str(target.shape)}")
    if (mask is None) == (pad_id is None):
        raise ValueError(f"masked_cross_entropy: give exactly one of mask (a (B, T) bool mask or (B,) lengths) "
                         f"or pad_id (the padding id of target), got mask={'None' if mask is None else 'a mask'} "
                         f"and pad_id={pad_id!r}")
    if pad_id is not None:
        if not isinstance(pad_id, int) or isinstance(pad_id, bool):
            raise ValueError(f"masked_cross_entropy: pad_id must be an integer token id, got {pad_id!r}")
        mask = target != pad_id
    mask = _mask_for("masked_cross_entropy", logits, mask)
    return F.cross_entropy(logits[mask], target[mask])
