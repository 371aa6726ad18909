"""Small models built from companion's layers, shared by the chapters.

* :class:`Forecaster` — many-to-one forecasting of a window (the RNN chapter), also with a
  bidirectional encoder of the window;
* :class:`SequenceRegressor` — many-to-many with the state carried between calls (truncated BPTT);
* :class:`StepRegressor` — many-to-many over a padded batch with lengths, one- or bidirectional;
* :class:`SequenceClassifier` — variable-length sequence classification, packed, bidirectional;
* :class:`ResidualRNN` — stacked one-layer recurrent layers with skip connections.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from .checks import check_bool, check_instance, check_real, check_size, describe, shape_str
from .layers import GRU, LSTM, RNN, ChoGRU
from .masking import lengths_to_mask

LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU, "cho_gru": ChoGRU}
TORCH_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


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


def _check_lengths(who: str, lengths, B: int, T: int) -> torch.Tensor:
    """``lengths`` (B,) integers in 1..T, as a tensor."""
    if isinstance(lengths, (str, bytes)):
        raise TypeError(f"{who}: expected lengths to be integers of shape ({B},), got {describe(lengths)}")
    try:
        lengths = torch.as_tensor(lengths)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{who}: expected lengths to be integers of shape ({B},), got {describe(lengths)}") from None
    if lengths.shape != (B,) or lengths.dtype.is_floating_point or lengths.dtype.is_complex \
            or lengths.dtype == torch.bool:
        raise ValueError(f"{who}: expected lengths of shape ({B},) with integer values, got shape "
                         f"{tuple(lengths.shape)} of {lengths.dtype}")
    if bool((lengths < 1).any()) or bool((lengths > T).any()):
        raise ValueError(f"{who}: lengths must lie in 1..{T} (x has {T} steps), got "
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
