"""Small models built from companion's layers, shared by the chapters."""

from __future__ import annotations

import torch
from torch import nn

from .layers import GRU, LSTM, RNN, ChoGRU

LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU, "cho_gru": ChoGRU}
TORCH_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class Forecaster(nn.Module):
    """Many-to-one: read a window of a series, predict the next value(s).

    ``x`` (B, T, I) -> recurrent layer -> the last step's hidden state h_T (B, H)
    -> linear read-out ``y = W_hy h_T + b_y`` (B, O). With ``output_size=1`` the
    last dimension is dropped, giving (B,).

    ``use_torch_nn=True`` builds the recurrent layer from ``torch.nn`` instead
    (``rnn``, ``lstm``, ``gru``): the same parameter names and results (the tests
    check it), but its loop over time runs in C++, so long sequences train
    several times faster on a CPU. A ``state_dict`` moves between the two.
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 16, output_size: int = 1,
                 cell: str = "rnn", num_layers: int = 1, use_torch_nn: bool = False):
        super().__init__()
        if cell not in LAYERS:
            raise ValueError(f"{type(self).__name__}: cell must be one of {sorted(LAYERS)}, got {cell!r}")
        if use_torch_nn and cell not in TORCH_LAYERS:
            raise ValueError(f"{type(self).__name__}: torch.nn has no {cell!r} layer; use one of {sorted(TORCH_LAYERS)}")
        layers = TORCH_LAYERS if use_torch_nn else LAYERS
        self.recurrent = layers[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.readout = nn.Linear(hidden_size, output_size)
        self.output_size = output_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.recurrent(x)  # (B, T, H)
        y = self.readout(out[:, -1])  # (B, O)
        return y.squeeze(-1) if self.output_size == 1 else y


class SequenceRegressor(Forecaster):
    """Many-to-many: one prediction per step, ``y_t = W_hy h_t + b_y``, and the final state back.

    The layers and arguments of :class:`Forecaster`. ``forward(x, h=None)``: ``x`` (B, T, I),
    ``h`` the layer's state (L, B, H) (or ``(h, c)`` for an LSTM), zeros when None. Returns
    ``(y, h_n)`` with ``y`` (B, T, O), or (B, T) when ``output_size=1``. Passing ``h_n`` back
    in continues the sequence: what truncated BPTT (:func:`companion.train.fit_stateful`) needs.
    """

    def forward(self, x: torch.Tensor, h=None):
        out, h_n = self.recurrent(x, h)  # (B, T, H)
        y = self.readout(out)  # (B, T, O)
        return (y.squeeze(-1) if self.output_size == 1 else y), h_n
