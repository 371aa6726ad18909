""":class:`ResidualRNN`: stacked one-layer recurrent layers with skip connections."""

from __future__ import annotations

import torch
from torch import nn

from .common import LAYERS, _check_dropout, _check_input, _check_sizes, _layer_classes


class ResidualRNN(nn.Module):
    """A stack of one-layer recurrent layers with residual (skip) connections.

    ``h^{(0)}_t = P x_t`` (a linear projection to H, so the sizes match), then for layer
    ``l = 1..L``: ``h^{(l)}_t = layer_l(h^{(l-1)})_t + h^{(l-1)}_t``. Dropout, when set, acts on
    each layer's output before the addition. ``forward(x)`` takes (B, T, I) and returns the
    top states (B, T, H): many-to-many, and causal when the layers are one-directional.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int, dropout: float = 0.0):
        super().__init__()
        _check_sizes("ResidualRNN", input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        dropout = _check_dropout("ResidualRNN", dropout)
        _layer_classes("ResidualRNN", cell, use_torch_nn=False)
        self.project = nn.Linear(input_size, hidden_size)
        self.layers = nn.ModuleList(LAYERS[cell](hidden_size, hidden_size, batch_first=True) for _ in range(num_layers))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input("ResidualRNN", x, self.project.in_features)
        h = self.project(x)
        for layer in self.layers:
            out, _ = layer(h)
            h = h + self.dropout(out)  # the skip: layer l adds to its input instead of replacing it
        return h
