"""Regularising recurrent networks: variational dropout (Gal & Ghahramani 2016).

:class:`VariationalLSTM` is :class:`companion.LSTM` with two extra kinds of dropout that draw
**one mask per sequence**, shared by every time step:

* ``dropout``: on the input of every layer, ``x_t ⊙ m_x / (1 - p)`` with ``m_x`` (B, I_layer);
* ``recurrent_dropout``: on the state entering the recurrent weights,
  ``W_hh (h_{t-1} ⊙ m_h / (1 - p))`` with ``m_h`` (B, H); the cell state ``c`` is never dropped.

The masks are drawn in training mode only, from torch's global generator, anew on every forward
call; in evaluation mode the layer is exactly :class:`companion.LSTM` (and ``torch.nn.LSTM``
with the same ``state_dict``). The dropped values are scaled by ``1 / (1 - p)`` (inverted
dropout), so the expected input of every weight is unchanged. :func:`variational_classifier`
puts the layer into :class:`companion.models.SequenceClassifier`.
"""

from __future__ import annotations

import torch

from .checks import check_real, check_size
from .layers import LSTM
from .models.classify import SequenceClassifier


def _check_probability(who: str, name: str, p) -> float:
    p = check_real(who, name, p)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"{who}: expected {name} to be a probability in [0, 1) (the chance that a unit is dropped; "
                         f"1 would drop every unit), got {p:g}")
    return p


def variational_mask(shape, p: float, *, like: torch.Tensor) -> torch.Tensor:
    """A dropout mask of ``shape`` (B, F): 0 with probability ``p``, else ``1 / (1 - p)``,
    with ``like``'s dtype and device, drawn from torch's global generator."""
    p = _check_probability("variational_mask", "p", p)
    keep = torch.empty(shape, dtype=like.dtype, device=like.device).bernoulli_(1.0 - p)
    return keep / (1.0 - p)


class VariationalLSTM(LSTM):
    """An LSTM whose dropout masks are drawn once per sequence and reused at every step.

    ``VariationalLSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    bidirectional=False, *, dropout=0.0, recurrent_dropout=0.0, device=None, dtype=None)``.
    ``dropout`` drops units of every layer's input (B, I_layer) and ``recurrent_dropout`` units
    of ``h_{t-1}`` (B, H) before ``W_hh``, each with one mask per sequence and direction, the same
    at every step; both must lie in [0, 1). Input, state and return values are
    :class:`companion.LSTM`'s (tensor or ``PackedSequence`` input); parameter names too, so a
    ``state_dict`` moves to and from ``torch.nn.LSTM``. Unlike ``torch.nn.LSTM(dropout=p)``,
    which draws a fresh mask at every step between layers only, this also acts on the first
    layer's input and on the recurrent connections; ``lstm.dropout`` (torch.nn's between-layer
    dropout) stays 0.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, bidirectional: bool = False, *, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, device=None, dtype=None):
        who = "VariationalLSTM"
        dropout = _check_probability(who, "dropout", dropout)
        recurrent_dropout = _check_probability(who, "recurrent_dropout", recurrent_dropout)
        super().__init__(input_size, hidden_size, num_layers=num_layers, bias=bias, batch_first=batch_first,
                         bidirectional=bidirectional, device=device, dtype=dtype)
        self.input_dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self._state_mask = None  # (B, H) during a training-mode scan with recurrent_dropout > 0

    def extra_repr(self) -> str:
        s = super().extra_repr()
        for name in ("input_dropout", "recurrent_dropout"):
            if getattr(self, name):
                s += f", {name}={getattr(self, name)}"
        return s

    def _scan(self, x, state, weights, reverse: bool, lengths):
        """One layer and direction: mask its input (T, B, I) and, through :meth:`step`, ``h_{t-1}``."""
        if not self.training:
            return super()._scan(x, state, weights, reverse, lengths)
        B = x.shape[1]
        if self.input_dropout > 0:
            x = x * variational_mask((B, x.shape[2]), self.input_dropout, like=x)  # broadcast over T
        if self.recurrent_dropout > 0:
            self._state_mask = variational_mask((B, self.hidden_size), self.recurrent_dropout, like=x)
        try:
            return super()._scan(x, state, weights, reverse, lengths)
        finally:
            self._state_mask = None

    def step(self, xw_t, state, W_hh, b_hh):
        h, c = state
        if self._state_mask is not None:
            h = h * self._state_mask  # only the copy that meets W_hh; the carried state is untouched
        return super().step(xw_t, (h, c), W_hh, b_hh)


def variational_classifier(input_size: int, hidden_size: int, num_classes: int, num_layers: int = 1, *,
                           dropout: float = 0.0, recurrent_dropout: float = 0.0) -> SequenceClassifier:
    """A :class:`companion.models.SequenceClassifier` (``cell="lstm"``, no other dropout) whose
    recurrent layer is a :class:`VariationalLSTM` with ``dropout`` and ``recurrent_dropout``."""
    who = "variational_classifier"
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_classes", num_classes),
                        ("num_layers", num_layers)):
        check_size(who, name, value)
    model = SequenceClassifier("lstm", input_size, hidden_size, num_classes, num_layers=num_layers)
    model.recurrent = VariationalLSTM(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                                      dropout=dropout, recurrent_dropout=recurrent_dropout)
    return model
