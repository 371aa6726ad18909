"""Checkers of the deep and bidirectional RNNs chapter: parameter counts of stacks, final states."""

from __future__ import annotations

import torch

from .core import _checker, check_function


def _reference_parameter_count(cell, input_size, hidden_size, num_layers, bidirectional):
    from ..layers import GRU, LSTM, RNN

    layer = {"rnn": RNN, "lstm": LSTM, "gru": GRU}[cell](input_size, hidden_size, num_layers=num_layers,
                                                          bidirectional=bidirectional)
    return sum(p.numel() for p in layer.parameters())


@_checker
def check_stacked_parameter_count(function, trials: int = 8) -> None:
    """Check ``function(cell, input_size, hidden_size, num_layers, bidirectional)``: the number
    of parameters of a ``companion.RNN``/``LSTM``/``GRU`` (``cell`` is ``"rnn"``, ``"lstm"`` or
    ``"gru"``) with PyTorch's two biases, counted by the layers themselves.

    Sizes mix one to three layers and both directions, so a formula that forgets that the
    upper layers of a bidirectional stack read ``2H`` features is caught.
    """

    def make_inputs(rng):
        return {"cell": str(rng.choice(["rnn", "lstm", "gru"])), "input_size": int(rng.integers(1, 20)),
                "hidden_size": int(rng.integers(1, 20)), "num_layers": int(rng.integers(1, 4)),
                "bidirectional": bool(rng.integers(0, 2))}

    check_function(function, reference=_reference_parameter_count, make_inputs=make_inputs,
                   name="parameter_count", trials=trials, atol=0, rtol=0)


@_checker
def check_final_states(function, trials: int = 6) -> None:
    """Check ``function(h_n, num_layers, bidirectional)``: from ``h_n`` (L·D, B, H), the last
    layer's final states, (B, H) or, when bidirectional, forward and backward joined (B, 2H),
    as :func:`companion.models.final_states` returns them.
    """
    from ..models import final_states

    def make_inputs(rng):
        L, D = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        B, H = int(rng.integers(1, 5)), int(rng.integers(1, 6))
        return {"h_n": torch.from_numpy(rng.normal(size=(L * D, B, H))), "num_layers": L, "bidirectional": D == 2}

    check_function(function, reference=final_states, make_inputs=make_inputs, name="final_states", trials=trials)


# Sequence to sequence and attention
