"""A recurrent language model: embedding → recurrent layer → linear read-out to next-token logits.

``LanguageModel(vocab_size, embedding_dim, hidden_size, cell="lstm")``. ``forward(x, state=None)``:
``x`` (B, T) token ids, ``state`` the layer's state ((L, B, H), or ``(h, c)`` for an LSTM; zeros
when None). Returns ``(logits, state)``: ``logits`` (B, T, V), the unnormalised scores of the
token at ``t + 1`` given tokens ``1 .. t`` (softmax turns them into probabilities), and the final
state, which continues the text when passed back in (stateful truncated BPTT,
:func:`companion.train.fit_language_model`).

* the **embedding** is a learned table (V, E): token ``i`` reads row ``i``, a dense vector that
  training moves so that tokens used alike get alike rows (the same as multiplying a one-hot
  vector by the table, without building the one-hot vector);
* ``use_torch_nn=True`` takes the recurrent layer from ``torch.nn`` (the same parameters and
  results as companion's layer, but its loop over time runs in C++: several times faster on a CPU).
"""

from __future__ import annotations

import torch
from torch import nn

from ..checks import check_instance, shape_str
from .common import _check_dropout, _check_sizes, _layer_classes


class LanguageModel(nn.Module):
    """Embedding (V, E) → recurrent layer (E → H, ``num_layers`` layers) → linear (H → V)."""

    def __init__(self, vocab_size: int, embedding_dim: int = 32, hidden_size: int = 128, cell: str = "lstm",
                 num_layers: int = 1, dropout: float = 0.0, use_torch_nn: bool = False):
        super().__init__()
        who = type(self).__name__
        _check_sizes(who, vocab_size=vocab_size, embedding_dim=embedding_dim, hidden_size=hidden_size,
                     num_layers=num_layers)
        dropout = _check_dropout(who, dropout)
        layers = _layer_classes(who, cell, use_torch_nn)
        self.vocab_size, self.cell = vocab_size, cell
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.recurrent = layers[cell](embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                                      dropout=dropout if num_layers > 1 else 0.0)
        self.readout = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: torch.Tensor, state=None):
        who = type(self).__name__
        check_instance(who, "x", x, torch.Tensor, "a torch.Tensor of token ids of shape (B, T)")
        if x.dim() != 2 or x.shape[1] == 0:
            raise ValueError(f"{who}: expected token ids of shape (B, T) with T >= 1, got {shape_str(x.shape)}")
        if x.is_floating_point() or x.dtype == torch.bool:
            raise TypeError(f"{who}: expected integer token ids, got dtype {x.dtype}")
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.vocab_size):
            bad = int(x.min()) if int(x.min()) < 0 else int(x.max())
            raise ValueError(f"{who}: token ids must be in 0..{self.vocab_size - 1} (vocab_size={self.vocab_size}), "
                             f"got {bad}")
        out, state = self.recurrent(self.embedding(x), state)  # (B, T, H)
        return self.readout(out), state  # (B, T, V)
