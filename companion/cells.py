"""RNN, LSTM and GRU cells written with tensor operations.

One cell computes one time step. Each has two parts:

* a *step function* (``rnn_step``, ``lstm_step``, ``gru_step``) that is the
  book's equation line for line. It receives ``xw_t = W_xh x_t + b_xh``, the
  input's contribution already multiplied in, because a layer computes that
  product for all time steps at once (one big matrix product instead of T
  small ones) and only the recurrent part has to wait for the previous step;
* a module (``RNNCell``, ``LSTMCell``, ``GRUCell``) with the constructor
  arguments (``device=``, ``dtype=`` too), parameter names, shapes, gate order,
  initialisation and exception types of its ``torch.nn`` namesake, so a
  ``state_dict`` moves between the two in both directions. Sizes may be 0 and
  batches empty, as in torch.nn.

Notation (the book's notation table): ``x_t`` input (B, I), ``h_t`` hidden state
(B, H), ``c_t`` cell state (B, H). ``weight_ih`` is the book's ``W_xh`` and
``weight_hh`` its ``W_hh``; PyTorch keeps two biases, ``bias_ih`` and
``bias_hh``, whose sum is the book's single ``b_h``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_matches_parameters, check_size, check_state, check_tensor, shape_str

NONLINEARITIES = {"tanh": torch.tanh, "relu": torch.relu}


# ----------------------------------------------------------------------------
# Step functions: one time step, for a batch. Shapes: xw_t (B, G*H), h (B, H).


def rnn_step(xw_t, h_prev, W_hh, b_hh, nonlinearity="tanh"):
    """Elman RNN: ``h_t = φ(W_xh x_t + b_xh + W_hh h_{t-1} + b_hh)`` (eq. rnn-state).

    ``xw_t`` is ``W_xh x_t + b_xh`` of shape (B, H); returns ``h_t`` (B, H).
    """
    return NONLINEARITIES[nonlinearity](xw_t + F.linear(h_prev, W_hh, b_hh))


def lstm_gates(xw_t, h_prev, W_hh, b_hh):
    """The four LSTM gate activations ``(i_t, f_t, g_t, o_t)``, each (B, H) (eq. lstm-gates).

    Separate from :func:`lstm_step` so a chapter can draw what the gates do.
    """
    a = xw_t + F.linear(h_prev, W_hh, b_hh)
    a_i, a_f, a_g, a_o = a.chunk(4, dim=-1)
    return torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)


def lstm_gate_trace(x, W_ih, W_hh, b_ih=None, b_hh=None) -> dict:
    """Run one LSTM direction over one sequence ``x`` (T, I) and record its gates.

    Returns a dict of NumPy arrays of shape (T, H): ``"i"``, ``"f"``, ``"g"``, ``"o"``
    (eq. lstm-gates), and the states ``"c"`` and ``"h"`` after each step. The weights are
    those of a layer's ``weights(layer, direction)``; the state starts at zero.
    """
    H = W_hh.shape[1]
    h, c = x.new_zeros(1, H), x.new_zeros(1, H)
    trace = {name: [] for name in "ifgoch"}
    with torch.no_grad():
        for xw_t in F.linear(x, W_ih, b_ih):  # (H4,) per step
            gates = lstm_gates(xw_t[None], h, W_hh, b_hh)
            h, c = lstm_step(xw_t[None], h, c, W_hh, b_hh)
            for name, value in zip("ifgoch", (*gates, c, h)):
                trace[name].append(value[0].cpu().numpy())
    return {name: np.array(values) for name, values in trace.items()}


def set_forget_bias(lstm: nn.Module, value: float = 1.0) -> None:
    """Set an LSTM's forget-gate bias b_f to ``value`` (Gers et al. 2000; Jozefowicz et al. 2015).

    Works on ``companion`` and ``torch.nn`` LSTMs and LSTM cells, every layer and direction.
    PyTorch's gate order is i, f, g, o, so rows H to 2H of each bias are the forget gate's; as
    b_f = bias_ih + bias_hh, ``bias_ih`` gets ``value`` and ``bias_hh`` zero.
    """
    H = lstm.hidden_size
    biases = [(name, p) for name, p in lstm.named_parameters() if name.startswith("bias_")]
    if not biases:
        raise ValueError(f"set_forget_bias: {type(lstm).__name__} has no bias parameters (built with bias=False?)")
    with torch.no_grad():
        for name, p in biases:
            if p.shape[0] != 4 * H:
                raise ValueError(f"set_forget_bias: expected {name} of 4H = {4 * H} rows (an LSTM), got {p.shape[0]}")
            p[H : 2 * H] = value if name.startswith("bias_ih") else 0.0


def lstm_step(xw_t, h_prev, c_prev, W_hh, b_hh):
    """LSTM, gate order ``i, f, g, o`` as in ``torch.nn.LSTM`` (eq. lstm-gates).

    ``i_t = σ(.)``, ``f_t = σ(.)``, ``g_t = tanh(.)``, ``o_t = σ(.)`` of
    ``W_x· x_t + b_x· + W_h· h_{t-1} + b_h·``; then
    ``c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t`` and ``h_t = o_t ⊙ tanh(c_t)``.
    ``xw_t`` is (B, 4H); returns ``(h_t, c_t)``, each (B, H).
    """
    i, f, g, o = lstm_gates(xw_t, h_prev, W_hh, b_hh)
    c_t = f * c_prev + i * g
    h_t = o * torch.tanh(c_t)
    return h_t, c_t


def gru_step(xw_t, h_prev, W_hh, b_hh):
    """GRU in PyTorch's formulation, gate order ``r, z, n`` (eq. gru-torch).

    ``r_t = σ(W_xr x_t + b_xr + W_hr h_{t-1} + b_hr)``,
    ``z_t = σ(W_xz x_t + b_xz + W_hz h_{t-1} + b_hz)``,
    ``n_t = tanh(W_xn x_t + b_xn + r_t ⊙ (W_hn h_{t-1} + b_hn))``,
    ``h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}``.
    ``xw_t`` is (B, 3H); returns ``h_t`` (B, H).
    """
    x_r, x_z, x_n = xw_t.chunk(3, dim=-1)
    h_r, h_z, h_n = F.linear(h_prev, W_hh, b_hh).chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h_prev


def peephole_lstm_step(xw_t, h_prev, c_prev, W_hh, b_hh, w_ci, w_cf, w_co):
    """LSTM with peephole connections (Gers & Schmidhuber 2000; eq. lstm-peephole).

    The gates also look at the cell state, each through its own diagonal weight
    (a vector of H numbers, applied elementwise):
    ``i_t = σ(a_i + w_ci ⊙ c_{t-1})``, ``f_t = σ(a_f + w_cf ⊙ c_{t-1})``,
    ``g_t = tanh(a_g)``, ``c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t``,
    ``o_t = σ(a_o + w_co ⊙ c_t)`` — the output gate sees the *new* cell state —
    and ``h_t = o_t ⊙ tanh(c_t)``, where ``a = xw_t + W_hh h_{t-1} + b_hh`` in
    gate order ``i, f, g, o``. With the three peephole vectors zero this is
    :func:`lstm_step`. ``xw_t`` (B, 4H), ``w_c·`` (H,); returns ``(h_t, c_t)``.
    """
    gates = xw_t + F.linear(h_prev, W_hh, b_hh)
    a_i, a_f, a_g, a_o = gates.chunk(4, dim=-1)
    i = torch.sigmoid(a_i + w_ci * c_prev)
    f = torch.sigmoid(a_f + w_cf * c_prev)
    c_t = f * c_prev + i * torch.tanh(a_g)
    o = torch.sigmoid(a_o + w_co * c_t)
    h_t = o * torch.tanh(c_t)
    return h_t, c_t


def cho_gru_step(xw_t, h_prev, W_hh, b_hh):
    """GRU in Cho et al.'s (2014) formulation: reset *before* the matrix (eq. gru-cho).

    Same gates and parameters as :func:`gru_step` (order ``r, z, n``); only the
    candidate differs. Cho et al. reset the previous state and then multiply,
    ``n_t = tanh(W_xn x_t + b_xn + W_hn (r_t ⊙ h_{t-1}) + b_hn)``,
    which is ``h̃ = tanh(W·[r ⊙ h_{t-1}, x_t] + b)`` with the weight split in
    two; PyTorch multiplies first and resets the product,
    ``r_t ⊙ (W_hn h_{t-1} + b_hn)``. The update uses PyTorch's convention,
    ``h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}`` (Cho et al. write it so too; some
    texts swap ``z_t`` and ``1 - z_t``, which only renames the gate).
    ``xw_t`` (B, 3H); returns ``h_t`` (B, H).
    """
    H = h_prev.shape[-1]
    x_r, x_z, x_n = xw_t.chunk(3, dim=-1)
    W_hr, W_hz, W_hn = W_hh.split(H, dim=0)
    b_hr, b_hz, b_hn = (None, None, None) if b_hh is None else b_hh.split(H)
    r = torch.sigmoid(x_r + F.linear(h_prev, W_hr, b_hr))
    z = torch.sigmoid(x_z + F.linear(h_prev, W_hz, b_hz))
    n = torch.tanh(x_n + F.linear(r * h_prev, W_hn, b_hn))
    return (1 - z) * n + z * h_prev


# ----------------------------------------------------------------------------
# Modules


class _Cell(nn.Module):
    """Parameters and input checks shared by the three cells.

    ``gates`` is how many blocks of H rows the weights stack: 1 (RNN), 4 (LSTM), 3 (GRU).
    Sizes may be 0, as in ``torch.nn`` (a cell with ``hidden_size=0`` returns (B, 0) states).
    """

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            check_size(type(self).__name__, name, value, minimum=0)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias  # any truthy value, as torch.nn's cells accept
        factory = {"device": device, "dtype": dtype}
        G = self.gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(G, input_size, **factory))
        self.weight_hh = nn.Parameter(torch.empty(G, hidden_size, **factory))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(G, **factory))
            self.bias_hh = nn.Parameter(torch.empty(G, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform on ``(-1/√H, 1/√H)``, as ``torch.nn`` does (zero bound for H = 0)."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s

    def _check_input(self, x) -> bool:
        """Validate ``x`` (B, I) or (I,); return whether it is batched.

        torch.nn's exception types: ``ValueError`` for a rank other than 1 or 2,
        ``RuntimeError`` for a feature size, dtype or device that differs. B may be 0.
        """
        who = type(self).__name__
        check_tensor(who, "input", x)
        I = self.input_size
        expected = f"(B, {I}) or ({I},)"
        if x.dim() not in (1, 2):
            raise ValueError(f"{who}: expected input of shape {expected}, got {shape_str(x.shape)}. "
                             f"Expected input to be 1D or 2D, got {x.dim()}D instead")
        if x.shape[-1] != I:
            raise RuntimeError(f"{who}: expected input of shape {expected}, got {shape_str(x.shape)}. "
                               f"input has inconsistent input_size: got {x.shape[-1]} expected {I}")
        check_matches_parameters(who, "input", x, self.weight_ih, dtype_error=RuntimeError)
        return x.dim() == 2

    def _state(self, name: str, value, x: torch.Tensor, batched: bool, index: int = 0) -> torch.Tensor:
        """Return a (B, H) state for the input ``x`` as given, (B, I) or (I,).

        Zeros when ``value`` is None; else ``value`` checked against the input's
        form, (B, H) for a batch and (H,) for an unbatched input (made (1, H)).
        ``index`` is the state's place in ``hx`` (torch.nn's ``hidden0``, ``hidden1``).
        """
        who, H = type(self).__name__, self.hidden_size
        B = x.shape[0] if batched else 1
        if value is None:
            return x.new_zeros(B, H)
        check_tensor(who, name, value)
        if value.dim() not in (1, 2):
            place = "hidden" if type(self).gates != 4 else f"hx[{index}]"
            raise ValueError(f"{who}: expected {name} of shape {'(B, H)' if batched else '(H,)'} = "
                             f"{shape_str((B, H) if batched else (H,))}, got {shape_str(value.shape)}. "
                             f"Expected {place} to be 1D or 2D, got {value.dim()}D instead")
        # torch.nn's words for the same mistake: it compares the batch size first, then H.
        words = ""
        as_batched = value if batched else value.unsqueeze(0)
        if as_batched.dim() == 2:
            if as_batched.shape[0] != B:
                words = f"Input batch size {B} doesn't match hidden{index} batch size {as_batched.shape[0]}"
            elif as_batched.shape[1] != H:
                words = f"hidden{index} has inconsistent hidden_size: got {as_batched.shape[1]}, expected {H}"
        if batched:
            check_state(who, name, value, (B, H), "(B, H)", x, torch_words=words)
            return value
        check_state(who, name, value, (H,), "(H,) for unbatched input", x, torch_words=words)
        return value.unsqueeze(0)


class RNNCell(_Cell):
    """One step of an Elman RNN, equal to ``torch.nn.RNNCell``.

    Args: ``input_size`` I, ``hidden_size`` H, ``bias``, ``nonlinearity``
    (``"tanh"`` or ``"relu"``). Input ``x`` (B, I) or (I,); ``hx`` (B, H) or (H,),
    zeros when omitted. Returns ``h_t`` with ``hx``'s shape.
    """

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        if nonlinearity not in NONLINEARITIES:
            # torch.nn's RNNCell accepts any string here and fails at the first step; companion fails now.
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}. "
                             f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity}"  # torch.nn's form

    def forward(self, x: torch.Tensor, hx: torch.Tensor | None = None) -> torch.Tensor:
        batched = self._check_input(x)
        h = self._state("hx", hx, x, batched)
        x = x if batched else x.unsqueeze(0)
        h_t = rnn_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh, self.nonlinearity)
        return h_t if batched else h_t.squeeze(0)


class LSTMCell(_Cell):
    """One step of an LSTM, equal to ``torch.nn.LSTMCell`` (gate order i, f, g, o).

    Input ``x`` (B, I) or (I,); ``hx`` a pair ``(h, c)`` of (B, H) or (H,) tensors,
    zeros when omitted. Returns ``(h_t, c_t)``.
    """

    gates = 4

    def step(self, xw_t, h_prev, c_prev):
        """The step function this cell applies; ``xw_t = W_xh x_t + b_xh`` (B, 4H)."""
        return lstm_step(xw_t, h_prev, c_prev, self.weight_hh, self.bias_hh)

    def forward(self, x: torch.Tensor, hx: tuple[torch.Tensor, torch.Tensor] | None = None):
        batched = self._check_input(x)
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{type(self).__name__}: expected hx to be a pair (h, c) of tensors, got {type(hx).__name__}")
        h, c = (None, None) if hx is None else hx
        h, c = self._state("h", h, x, batched, 0), self._state("c", c, x, batched, 1)
        x = x if batched else x.unsqueeze(0)
        h_t, c_t = self.step(F.linear(x, self.weight_ih, self.bias_ih), h, c)
        return (h_t, c_t) if batched else (h_t.squeeze(0), c_t.squeeze(0))


class GRUCell(_Cell):
    """One step of a GRU, equal to ``torch.nn.GRUCell`` (gate order r, z, n).

    Input ``x`` (B, I) or (I,); ``hx`` (B, H) or (H,), zeros when omitted.
    Returns ``h_t`` with ``hx``'s shape.
    """

    gates = 3

    def forward(self, x: torch.Tensor, hx: torch.Tensor | None = None) -> torch.Tensor:
        batched = self._check_input(x)
        h = self._state("hx", hx, x, batched)
        x = x if batched else x.unsqueeze(0)
        h_t = self.step(F.linear(x, self.weight_ih, self.bias_ih), h)
        return h_t if batched else h_t.squeeze(0)

    def step(self, xw_t, h_prev):
        return gru_step(xw_t, h_prev, self.weight_hh, self.bias_hh)


class PeepholeLSTMCell(LSTMCell):
    """One step of an LSTM with peepholes (:func:`peephole_lstm_step`).

    ``LSTMCell``'s parameters plus three vectors ``weight_ci``, ``weight_cf``,
    ``weight_co`` of shape (H,), initialised to zero, so a fresh cell starts as a
    plain LSTM and ``load_state_dict(lstm_cell.state_dict(), strict=False)``
    copies an ``LSTMCell``'s weights in. Same inputs and returns as ``LSTMCell``.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, device, dtype)
        factory = {"device": device, "dtype": dtype}
        self.weight_ci = nn.Parameter(torch.zeros(hidden_size, **factory))
        self.weight_cf = nn.Parameter(torch.zeros(hidden_size, **factory))
        self.weight_co = nn.Parameter(torch.zeros(hidden_size, **factory))

    def step(self, xw_t, h_prev, c_prev):
        return peephole_lstm_step(xw_t, h_prev, c_prev, self.weight_hh, self.bias_hh,
                                  self.weight_ci, self.weight_cf, self.weight_co)


class ChoGRUCell(GRUCell):
    """One step of a GRU in Cho et al.'s (2014) formulation (:func:`cho_gru_step`).

    The parameters of ``GRUCell`` / ``torch.nn.GRUCell`` (same names, shapes and
    gate order r, z, n), so the same ``state_dict`` loads into both — and the two
    cells then give *different* outputs, because they apply the reset gate at
    different places. Input ``x`` (B, I) or (I,); ``hx`` (B, H) or (H,).
    """

    def step(self, xw_t, h_prev):
        return cho_gru_step(xw_t, h_prev, self.weight_hh, self.bias_hh)
