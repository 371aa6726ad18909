"""Checkers of the LSTM and GRU chapters: one step of each, their parameter counts."""

from __future__ import annotations

import numpy as np
import torch

from .core import _checker, check_function


def _article_lstm_reference(x_t, h_prev, c_prev, W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o):
    """The article's LSTM step, via :func:`companion.cells.lstm_step` after splitting [h, x] weights."""
    from ..cells import lstm_step

    H = h_prev.shape[0]
    W = torch.from_numpy(np.concatenate([W_i, W_f, W_c, W_o]))  # PyTorch's gate order i, f, g, o
    b = torch.from_numpy(np.concatenate([b_i, b_f, b_c, b_o]))
    x, h, c = (torch.from_numpy(v)[None] for v in (x_t, h_prev, c_prev))
    h_t, c_t = lstm_step(x @ W[:, H:].T + b, h, c, W[:, :H], None)
    return h_t[0].numpy(), c_t[0].numpy()


def _article_lstm_inputs(rng):
    I, H = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    inputs = {"x_t": rng.normal(size=I), "h_prev": rng.normal(size=H), "c_prev": rng.normal(size=H)}
    for gate in "fico":
        inputs[f"W_{gate}"] = rng.normal(size=(H, H + I))
    for gate in "fico":
        inputs[f"b_{gate}"] = rng.normal(size=H)
    return inputs


@_checker
def check_lstm_step(function, trials: int = 5) -> None:
    """Check ``function(x_t, h_prev, c_prev, W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o) -> (h_t, c_t)``.

    NumPy vectors ``x_t`` (I,), ``h_prev`` and ``c_prev`` (H,); each ``W_·`` is
    (H, H + I) and acts on the concatenation ``[h_{t-1}, x_t]`` (the source
    article's form, eq. lstm-gates); each ``b_·`` is (H,). A message about
    ``lstm_step[0]`` is about ``h_t``, one about ``lstm_step[1]`` about ``c_t``.
    """
    check_function(function, reference=_article_lstm_reference, make_inputs=_article_lstm_inputs,
                   name="lstm_step", trials=trials)


def _gru_reference(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    from ..cells import gru_step

    x, h = torch.from_numpy(x_t)[None], torch.from_numpy(h_prev)[None]
    xw = x @ torch.from_numpy(weight_ih).T + torch.from_numpy(bias_ih)
    return gru_step(xw, h, torch.from_numpy(weight_hh), torch.from_numpy(bias_hh))[0].numpy()


def _gru_inputs(rng):
    I, H = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    return {"x_t": rng.normal(size=I), "h_prev": rng.normal(size=H),
            "weight_ih": rng.normal(size=(3 * H, I)), "weight_hh": rng.normal(size=(3 * H, H)),
            "bias_ih": rng.normal(size=3 * H), "bias_hh": rng.normal(size=3 * H)}


@_checker
def check_gru_step(function, trials: int = 5) -> None:
    """Check ``function(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh) -> h_t`` against ``torch.nn.GRUCell``'s step.

    NumPy arrays in PyTorch's layout: ``weight_ih`` (3H, I), ``weight_hh`` (3H, H),
    biases (3H,), gate order r, z, n (eq. gru-torch); ``x_t`` (I,), ``h_prev`` (H,).
    """
    check_function(function, reference=_gru_reference, make_inputs=_gru_inputs, name="gru_step", trials=trials)


def _parameter_count_reference(kind):
    def count(input_size, hidden_size, num_layers):
        layer = getattr(torch.nn, kind)(input_size, hidden_size, num_layers=num_layers)
        return sum(p.numel() for p in layer.parameters())
    return count


def _size_inputs(rng):
    return {"input_size": int(rng.integers(1, 50)), "hidden_size": int(rng.integers(1, 50)),
            "num_layers": int(rng.integers(1, 4))}


@_checker
def check_lstm_parameter_count(function, trials: int = 5) -> None:
    """Check ``function(input_size, hidden_size, num_layers) -> int`` against ``torch.nn.LSTM``'s parameter count."""
    check_function(function, reference=_parameter_count_reference("LSTM"), make_inputs=_size_inputs,
                   name="lstm_parameter_count", trials=trials, atol=0, rtol=0)


@_checker
def check_gru_parameter_count(function, trials: int = 5) -> None:
    """Check ``function(input_size, hidden_size, num_layers) -> int`` against ``torch.nn.GRU``'s parameter count."""
    check_function(function, reference=_parameter_count_reference("GRU"), make_inputs=_size_inputs,
                   name="gru_parameter_count", trials=trials, atol=0, rtol=0)


# -- variable-length sequences (the deep and bidirectional RNNs chapter) -------------------------
