"""Classifying variable-length sequences: :class:`SequenceClassifier` (packed, optionally
bidirectional) and :func:`final_states`, the last layer's final states of ``h_n``."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from ..checks import check_bool, check_instance, check_size, shape_str
from .common import _check_dropout, _check_input, _check_lengths, _check_sizes, _layer_classes


def final_states(h_n: torch.Tensor, num_layers: int, bidirectional: bool) -> torch.Tensor:
    """The last layer's final state(s) from ``h_n`` (L·D, B, H): (B, H), or (B, 2H) when bidirectional.

    For a bidirectional layer this is ``[h_fwd at each sequence's last real step ; h_bwd at t = 1]``:
    the backward direction ends at the *first* step, so ``output[:, -1]`` is not its final state.
    """
    who = "final_states"
    check_instance(who, "h_n", h_n, torch.Tensor, "a torch.Tensor of shape (L*D, B, H)")
    check_size(who, "num_layers", num_layers)
    check_bool(who, "bidirectional", bidirectional)
    D = 2 if bidirectional else 1
    if h_n.dim() != 3 or h_n.shape[0] != num_layers * D:
        raise ValueError(f"{who}: expected h_n of shape ({num_layers * D}, B, H) (num_layers={num_layers} x "
                         f"{D} direction{'s' if D == 2 else ''}), got {shape_str(h_n.shape)}")
    last = h_n.view(num_layers, D, *h_n.shape[1:])[-1]  # (D, B, H)
    return torch.cat(list(last), dim=-1)


class SequenceClassifier(nn.Module):
    """Many-to-one classifier of variable-length sequences.

    ``SequenceClassifier(cell, input_size, hidden_size, num_classes, num_layers=1,
    bidirectional=False, dropout=0.0)``. ``forward(x, lengths=None)`` takes a padded
    batch-first ``x`` (B, T, I) with its ``lengths`` (B,) — or a ``PackedSequence`` — and
    returns logits (B, C) from the last layer's final states (:func:`final_states`), so
    padding never reaches the read-out. Dropout acts between layers and before the read-out.
    ``use_torch_nn=True`` builds the layer from ``torch.nn``, as in :class:`Forecaster`: the same
    model and ``state_dict``, trained several times faster on a CPU.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_classes: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, use_torch_nn: bool = False):
        super().__init__()
        _check_sizes("SequenceClassifier", input_size=input_size, hidden_size=hidden_size, num_classes=num_classes,
                     num_layers=num_layers)
        dropout = _check_dropout("SequenceClassifier", dropout)
        layers = _layer_classes("SequenceClassifier", cell, use_torch_nn, bidirectional=bidirectional)
        self.recurrent = layers[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                                      bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.readout = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, x, lengths=None) -> torch.Tensor:
        who = "SequenceClassifier"
        if isinstance(x, PackedSequence):
            if lengths is not None:
                raise ValueError(f"{who}: a PackedSequence carries its own lengths; pass lengths=None")
        else:
            check_instance(who, "x", x, torch.Tensor, "a torch.Tensor (B, T, I) or a PackedSequence")
            if lengths is not None and not isinstance(lengths, (str, bytes)) and hasattr(lengths, "__len__") \
                    and getattr(lengths, "ndim", 1) == 1 and (x.dim() != 3 or len(lengths) != x.shape[0]):
                raise ValueError(f"{who}: expected x (B, T, I) and lengths (B,), got x of shape "
                                 f"{tuple(x.shape)} and {len(lengths)} lengths")
            _check_input(who, x, self.recurrent.input_size)
            if lengths is not None:
                lengths = _check_lengths(who, lengths, x.shape[0], x.shape[1])
                x = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h_n = self.recurrent(x)
        if isinstance(h_n, tuple):  # LSTM: (h_n, c_n)
            h_n = h_n[0]
        h = final_states(h_n, self.recurrent.num_layers, self.recurrent.bidirectional)
        return self.readout(self.dropout(h))
