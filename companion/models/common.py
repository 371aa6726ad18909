"""The layers the models are built from, and the checks their arguments share."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..checks import check_bool, check_instance, check_real, check_size, describe, shape_str
from ..layers import GRU, LSTM, RNN, ChoGRU


LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU, "cho_gru": ChoGRU}
TORCH_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _check_sizes(who: str, **sizes) -> None:
    """Each size a positive ``int`` (torch.nn's rule and words: TypeError for a float, ValueError for 0)."""
    for name, value in sizes.items():
        check_size(who, name, value)


def _check_dropout(who: str, dropout) -> float:
    dropout = check_real(who, "dropout", dropout)
    if not 0.0 <= dropout <= 1.0:
        raise ValueError(f"{who}: dropout must be a probability in [0, 1], got {dropout:g}")
    return dropout


def _check_input(who: str, x, input_size: int) -> None:
    """``x`` a tensor of shape (B, T, input_size) with T >= 1."""
    check_instance(who, "x", x, torch.Tensor, f"a torch.Tensor of shape (B, T, {input_size})")
    if x.dim() != 3 or x.shape[-1] != input_size:
        raise ValueError(f"{who}: expected x of shape (B, T, {input_size}), got {shape_str(x.shape)}")
    if x.shape[1] == 0:
        raise ValueError(f"{who}: expected x of shape (B, T, {input_size}) with T >= 1 steps, got {shape_str(x.shape)}")


def _check_lengths(who: str, lengths, B: int, T: int, *, what: str = "x", device=None) -> torch.Tensor:
    """``lengths`` (B,) integers in 1..T, one per row of ``what``, as a tensor (on ``device``, when given)."""
    if isinstance(lengths, (str, bytes)) or lengths is None:
        raise TypeError(f"{who}: expected lengths to be integers of shape ({B},), got {describe(lengths)}")
    try:
        lengths = torch.as_tensor(np.asarray(lengths) if isinstance(lengths, (list, tuple)) else lengths,
                                  device=device)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{who}: expected lengths to be integers of shape ({B},), got {describe(lengths)}") from None
    if lengths.shape != (B,) or lengths.dtype.is_floating_point or lengths.dtype.is_complex \
            or lengths.dtype == torch.bool:
        raise ValueError(f"{who}: expected lengths of shape ({B},) with integer values, got shape "
                         f"{tuple(lengths.shape)} of {lengths.dtype}")
    if B and (bool((lengths < 1).any()) or bool((lengths > T).any())):
        raise ValueError(f"{who}: lengths must lie in 1..{T} ({what} has {T} steps), got "
                         f"{int(lengths.min())}..{int(lengths.max())}")
    return lengths


def _layer_classes(who: str, cell: str, use_torch_nn: bool, bidirectional: bool = False) -> dict:
    """companion's layer classes, or torch.nn's with ``use_torch_nn``; a clear error for an unknown ``cell``."""
    check_bool(who, "use_torch_nn", use_torch_nn)
    check_bool(who, "bidirectional", bidirectional)
    if not isinstance(cell, str):
        raise TypeError(f"{who}: expected cell to be one of {sorted(LAYERS)} (a str), got {describe(cell)}")
    if cell not in LAYERS:
        raise ValueError(f"{who}: cell must be one of {sorted(LAYERS)}, got {cell!r}")
    if use_torch_nn and cell not in TORCH_LAYERS:
        raise ValueError(f"{who}: torch.nn has no {cell!r} layer; use one of {sorted(TORCH_LAYERS)}")
    return TORCH_LAYERS if use_torch_nn else LAYERS
