"""How well a language model predicts held-out text: cross-entropy, perplexity, bits per character.

A model gives the probability ``p(x_t | x_<t)`` of each next token. Its **cross-entropy** on a
text of ``N`` predicted tokens is the mean of ``-ln p(x_t | x_<t)``, in nats (natural log);
**perplexity** is ``exp(cross-entropy)``, the number of equally likely tokens the model is as
unsure as; **bits per character** is the cross-entropy in bits (divided by ``ln 2``) per character
of text, ``cross-entropy / (ln 2 · characters per token)``, which compares character and word models.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..checks import check_int, check_real, check_tensor, shape_str


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor, *, ignore_index: int = -100) -> float:
    """Mean ``-ln softmax(logits)[target]`` in nats over every target that is not ``ignore_index``.

    ``logits`` (N, V) or (B, T, V) (unnormalised scores, one row per predicted token), ``targets``
    (N,) or (B, T) of ids in ``0 .. V-1``.
    """
    who = "cross_entropy"
    check_tensor(who, "logits", logits)
    check_tensor(who, "targets", targets)
    ignore_index = check_int(who, "ignore_index", ignore_index, minimum=None)
    if not logits.is_floating_point():
        raise TypeError(f"{who}: expected floating-point logits, got dtype {logits.dtype}")
    if targets.is_floating_point() or targets.dtype == torch.bool:
        raise TypeError(f"{who}: expected integer targets (token ids), got dtype {targets.dtype}")
    if logits.dim() < 2 or logits.shape[:-1] != targets.shape:
        raise ValueError(f"{who}: expected logits (N, V) with targets (N,) or logits (B, T, V) with targets (B, T), "
                         f"got logits {shape_str(logits.shape)} and targets {shape_str(targets.shape)}")
    V = logits.shape[-1]
    real = targets[targets != ignore_index]
    if real.numel() == 0:
        raise ValueError(f"{who}: expected at least one target that is not ignore_index={ignore_index}, got "
                         f"targets {shape_str(targets.shape)} with none")
    if int(real.min()) < 0 or int(real.max()) >= V:
        bad = int(real.min()) if int(real.min()) < 0 else int(real.max())
        raise ValueError(f"{who}: the logits give {V} tokens, so targets must be in [0, {V - 1}], got {bad}")
    loss = F.cross_entropy(logits.reshape(-1, V).double(), targets.reshape(-1), ignore_index=ignore_index)
    value = float(loss)
    if not math.isfinite(value):
        raise ValueError(f"{who}: the cross-entropy is {value}: the logits hold NaN or infinite values")
    return value


def perplexity(cross_entropy: float) -> float:
    """``exp(cross_entropy)``, the cross-entropy given in nats per token."""
    cross_entropy = check_real("perplexity", "cross_entropy", cross_entropy, minimum=0)
    return math.exp(cross_entropy)


def bits_per_character(cross_entropy: float, characters_per_token: float = 1.0) -> float:
    """``cross_entropy / (ln 2 · characters_per_token)``: nats per token as bits per character
    (``characters_per_token = 1`` for a character model; the mean characters per token, spaces
    included, for a word model)."""
    who = "bits_per_character"
    cross_entropy = check_real(who, "cross_entropy", cross_entropy, minimum=0)
    characters_per_token = check_real(who, "characters_per_token", characters_per_token, above=0)
    return cross_entropy / (math.log(2) * characters_per_token)
