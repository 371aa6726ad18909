"""Forecasting and regression over sequences: :class:`Forecaster` (many-to-one, a window in, the next
value out), :class:`SequenceRegressor` (many-to-many, the state carried between calls for truncated
BPTT), :class:`StepRegressor` (many-to-many over a padded batch with lengths)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..checks import check_bool
from ..masking import lengths_to_mask
from .common import _check_input, _check_lengths, _check_sizes, _layer_classes
from .classify import final_states


class Forecaster(nn.Module):
    """Many-to-one: read a window of a series, predict the next value(s).

    ``x`` (B, T, I) -> recurrent layer -> the last step's hidden state h_T (B, H)
    -> linear read-out ``y = W_hy h_T + b_y`` (B, O). With ``output_size=1`` the
    last dimension is dropped, giving (B,).

    ``bidirectional=True`` reads the window in both directions and maps the last layer's two
    final states ``[h_fwd at t = T ; h_bwd at t = 1]`` (B, 2H) (:func:`final_states`) to the
    output. That is a legitimate forecaster: the whole window is the past, so the backward
    direction sees nothing that is unknown when the forecast is made.

    ``use_torch_nn=True`` builds the recurrent layer from ``torch.nn`` instead
    (``rnn``, ``lstm``, ``gru``): the same parameter names and results (the tests
    check it), but its loop over time runs in C++, so long sequences train
    several times faster on a CPU. A ``state_dict`` moves between the two.
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 16, output_size: int = 1,
                 cell: str = "rnn", num_layers: int = 1, use_torch_nn: bool = False, bidirectional: bool = False):
        super().__init__()
        who = type(self).__name__
        _check_sizes(who, input_size=input_size, hidden_size=hidden_size, output_size=output_size,
                     num_layers=num_layers)
        layers = _layer_classes(who, cell, use_torch_nn, bidirectional=bidirectional)
        self.recurrent = layers[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                                      bidirectional=bidirectional)
        self.readout = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)
        self.output_size = output_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(type(self).__name__, x, self.recurrent.input_size)
        out, h_n = self.recurrent(x)  # (B, T, D*H)
        if self.recurrent.bidirectional:
            # The backward direction's final state is at t = 1, not at out[:, -1].
            h_n = h_n[0] if isinstance(h_n, tuple) else h_n  # LSTM: (h_n, c_n)
            h = final_states(h_n, self.recurrent.num_layers, bidirectional=True)  # (B, 2H)
        else:
            h = out[:, -1]  # (B, H)
        y = self.readout(h)  # (B, O)
        return y.squeeze(-1) if self.output_size == 1 else y


class SequenceRegressor(Forecaster):
    """Many-to-many: one prediction per step, ``y_t = W_hy h_t + b_y``, and the final state back.

    The layers and arguments of :class:`Forecaster`. ``forward(x, h=None)``: ``x`` (B, T, I),
    ``h`` the layer's state (L, B, H) (or ``(h, c)`` for an LSTM), zeros when None. Returns
    ``(y, h_n)`` with ``y`` (B, T, O), or (B, T) when ``output_size=1``. Passing ``h_n`` back
    in continues the sequence: what truncated BPTT (:func:`companion.train.fit_stateful`) needs,
    so the layer must be one-directional (for a bidirectional one see :class:`StepRegressor`).
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 16, output_size: int = 1, cell: str = "rnn",
                 num_layers: int = 1, use_torch_nn: bool = False, bidirectional: bool = False):
        if check_bool("SequenceRegressor", "bidirectional", bidirectional):
            raise ValueError("SequenceRegressor: bidirectional must be False (a state carried into the next chunk "
                             "comes from the past only); use StepRegressor for a bidirectional per-step model")
        super().__init__(input_size, hidden_size, output_size, cell, num_layers, use_torch_nn)

    def forward(self, x: torch.Tensor, h=None):
        _check_input("SequenceRegressor", x, self.recurrent.input_size)
        out, h_n = self.recurrent(x, h)  # (B, T, H)
        y = self.readout(out)  # (B, T, O)
        return (y.squeeze(-1) if self.output_size == 1 else y), h_n


class StepRegressor(nn.Module):
    """Many-to-many over a padded batch: a prediction at every real step, one- or bidirectional.

    ``StepRegressor(cell, input_size, hidden_size, output_size=1, num_layers=1, bidirectional=False)``.
    ``forward(x, lengths=None)``: ``x`` (B, T, I) batch first; ``lengths`` (B,) the real length of
    each sequence, or None when all have T steps. The batch is packed, so each direction reads a
    sequence's real steps only (the backward direction starts at its last real step), and
    ``y_t = W_hy h_t + b_y`` with ``h_t = [h_fwd_t ; h_bwd_t]`` (B, T, 2H) when bidirectional.
    Returns (B, T, O), or (B, T) when ``output_size=1``, with zeros after each sequence's end.
    ``use_torch_nn=True`` builds the layer from ``torch.nn``, as in :class:`Forecaster`.

    A bidirectional ``StepRegressor`` trained to predict ``x_{t+1}`` at every step reads its
    targets: ``h_bwd_t`` has seen ``x_{t+1}``. Run it on a prefix ``x_1..x_t`` (``lengths``) to
    see what it forecasts from the past alone.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int = 1, num_layers: int = 1,
                 bidirectional: bool = False, use_torch_nn: bool = False):
        super().__init__()
        _check_sizes("StepRegressor", input_size=input_size, hidden_size=hidden_size, output_size=output_size,
                     num_layers=num_layers)
        layers = _layer_classes("StepRegressor", cell, use_torch_nn, bidirectional=bidirectional)
        self.recurrent = layers[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                                      bidirectional=bidirectional)
        self.readout = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)
        self.output_size = output_size

    def forward(self, x: torch.Tensor, lengths=None) -> torch.Tensor:
        _check_input("StepRegressor", x, self.recurrent.input_size)
        B, T = x.shape[:2]
        if lengths is None:
            out, _ = self.recurrent(x)  # (B, T, D*H)
        else:
            lengths = _check_lengths("StepRegressor", lengths, B, T)
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, _ = self.recurrent(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)  # zeros after each end
        y = self.readout(out)  # (B, T, O)
        if lengths is not None:
            padding = ~lengths_to_mask(lengths.to(y.device), max_len=T)
            y = y.masked_fill(padding.unsqueeze(-1), 0.0)  # zeros, not the read-out's bias, in the padding
        return y.squeeze(-1) if self.output_size == 1 else y
