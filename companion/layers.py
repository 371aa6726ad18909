"""Recurrent layers: a cell applied along time, stacked, optionally in both directions.

``RNN``, ``LSTM`` and ``GRU`` take the constructor arguments (the factory
keywords ``device=`` and ``dtype=`` included), parameter names
(``weight_ih_l0``, ``bias_hh_l1_reverse``, ...), input and state shapes and
return values of their ``torch.nn`` namesakes, so a ``state_dict`` moves both
ways and the outputs agree; they also have ``all_weights`` and
``flatten_parameters()`` (a no-op). Bad input raises torch.nn's exception type
(``RuntimeError`` for a wrong feature size or state, ``ValueError`` for a wrong
rank or dtype, ``TypeError`` for an argument of the wrong type) with a message
that names what was expected and what came, then says it in torch.nn's words.
PyTorch's own tests of these modules, ported, run on both
(``tests/test_torch_port_*.py``). Out of scope: ``LSTM(proj_size > 0)``. Inputs:

* a tensor (T, B, I), or (B, T, I) with ``batch_first=True``, or an unbatched (T, I);
* a ``torch.nn.utils.rnn.PackedSequence`` of variable-length sequences.

B may be 0 (empty outputs, as in torch.nn); T may not (``RuntimeError``).

The initial state ``hx`` is (L·D, B, H) — L layers, D = 2 if bidirectional else
1, index ``layer * D + direction`` — or ``(h0, c0)`` for the LSTM; zeros when
omitted. The return value is ``(output, h_n)`` or ``(output, (h_n, c_n))``, with
``output`` (T, B, D·H) holding the last layer's states at every step.

How variable lengths work (one mechanism for packed input): the padded batch
is run with a ``lengths`` vector. At step ``t`` a sequence whose length is
``<= t`` keeps its state unchanged and emits zeros. The forward direction so
stops at each sequence's true end, and the reverse direction, which walks from
``t = T-1`` down to 0, starts each sequence at its own last real step.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from .cells import NONLINEARITIES, cho_gru_step, gru_step, lstm_step, rnn_step
from .checks import check_bool, check_matches_parameters, check_size, shape_str
from .layer_inputs import check_input, check_proj_size, initial_states


class _RecurrentLayer(nn.Module):
    gates = 1  # blocks of H rows stacked in each weight
    takes_proj_size = False  # torch.nn's RNN and GRU refuse proj_size; its LSTM takes it
    state_names = ("hx",)  # names of the state tensors, for messages

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int | None = None,
        device=None,
        dtype=None,
    ):
        super().__init__()
        who = type(self).__name__
        # torch.nn's checks, types and words (TypeError for a wrong type, ValueError for a wrong value).
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(
                f"{who}: dropout should be a number in range [0, 1] representing the probability of an "
                f"element being zeroed, got {dropout!r}"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{who}: dropout={dropout} has no effect with num_layers=1: dropout is applied "
                "between layers, after every layer but the last",
                # point at the caller: past this __init__ and every subclass __init__ that calls it (RNN's)
                stacklevel=2 + sum("__init__" in vars(c) for c in type(self).__mro__[: type(self).__mro__.index(_RecurrentLayer)]),
            )
        check_bool(who, "bias", bias)
        check_bool(who, "batch_first", batch_first)
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            check_size(who, name, value, minimum=1)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = check_proj_size(self, proj_size)  # torch.nn's attribute: 0, no projections (see LSTM)

        # Registered in torch.nn's order, so state_dict() lists the same keys in the same order.
        factory = {"device": device, "dtype": dtype}
        G = self.gates * hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.num_directions
            for suffix in self._suffixes():
                name = f"l{layer}{suffix}"
                setattr(self, f"weight_ih_{name}", nn.Parameter(torch.empty(G, layer_input, **factory)))
                setattr(self, f"weight_hh_{name}", nn.Parameter(torch.empty(G, hidden_size, **factory)))
                if bias:
                    setattr(self, f"bias_ih_{name}", nn.Parameter(torch.empty(G, **factory)))
                    setattr(self, f"bias_hh_{name}", nn.Parameter(torch.empty(G, **factory)))
                else:
                    self.register_parameter(f"bias_ih_{name}", None)
                    self.register_parameter(f"bias_hh_{name}", None)
        self.reset_parameters()

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """The parameters per layer and direction, as ``torch.nn``'s ``all_weights``:
        ``[[W_ih, W_hh, b_ih, b_hh], ...]`` in the order ``layer * D + direction``
        (``[W_ih, W_hh]`` when ``bias=False``)."""
        return [
            [p for p in self.weights(layer, direction) if p is not None]
            for layer in range(self.num_layers)
            for direction in range(self.num_directions)
        ]

    def flatten_parameters(self) -> None:
        """Does nothing, and says so: ``torch.nn`` copies its weights into one flat cuDNN
        buffer here; companion's layers have no such buffer (every step is written in tensor
        operations), so there is nothing to flatten. Kept so code written for ``torch.nn``
        (``rnn.flatten_parameters()`` after ``.cuda()`` or unpickling) runs unchanged."""

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_parameters(self) -> None:
        """Uniform on ``(-1/√H, 1/√H)``, as ``torch.nn`` does."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def weights(self, layer: int, direction: int):
        """``(W_ih, W_hh, b_ih, b_hh)`` of one layer and direction (biases may be None)."""
        name = f"l{layer}{'_reverse' if direction else ''}"
        return tuple(getattr(self, f"{kind}_{name}") for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    # -- one step, one direction: what differs between RNN, LSTM and GRU -------

    def step(self, xw_t, state, W_hh, b_hh):
        """Map ``state`` (a tuple of (B, H) tensors) to the next one."""
        raise NotImplementedError

    # -- the computation --------------------------------------------------------

    def _scan(self, x, state, weights, reverse: bool, lengths):
        """Run one direction of one layer over time.

        x (T, B, I_layer); state a tuple of (B, H); lengths (B,) or None.
        Returns the outputs (T, B, H) and the final state.
        """
        W_ih, W_hh, b_ih, b_hh = weights
        # The input's part of every step in one matrix product, (T, B, G*H); then one (B, G*H)
        # view per step. unbind, not xw[t] in the loop: the backward of T separate indexings
        # allocates and adds T full-size (T, B, G*H) gradients (O(T^2)); unbind's backward stacks
        # the T step gradients once.
        xw_steps = F.linear(x, W_ih, b_ih).unbind(0)
        T = len(xw_steps)
        alive = None  # (T, B, 1): has the sequence reached step t?
        if lengths is not None:
            alive = (torch.arange(T, device=lengths.device).unsqueeze(1) < lengths).unsqueeze(2)
        outputs = [None] * T
        for t in range(T - 1, -1, -1) if reverse else range(T):
            new = self.step(xw_steps[t], state, W_hh, b_hh)
            if alive is not None:
                # A sequence whose length is <= t keeps its state and emits zeros at step t.
                new = tuple(torch.where(alive[t], s_new, s_old) for s_new, s_old in zip(new, state))
                outputs[t] = torch.where(alive[t], new[0], torch.zeros_like(new[0]))
            else:
                outputs[t] = new[0]
            state = new
        return torch.stack(outputs), state

    def _run(self, x, states, lengths):
        """x (T, B, I); states: one tuple per (layer, direction). Returns output and final states."""
        finals = []
        layer_input = x
        D = self.num_directions
        for layer in range(self.num_layers):
            outs = []
            for direction in range(D):
                out, final = self._scan(
                    layer_input, states[layer * D + direction], self.weights(layer, direction), direction == 1, lengths
                )
                outs.append(out)
                finals.append(final)
            layer_input = outs[0] if D == 1 else torch.cat(outs, dim=-1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        n = len(self.state_names)
        return layer_input, tuple(torch.stack([f[k] for f in finals]) for k in range(n))

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        check_input(self, input)
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(1)  # unbatched (T, I) -> (T, 1, I)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        states = initial_states(self, hx, x, batched)
        output, finals = self._run(x, states, lengths=None)
        if batched and self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output = output.squeeze(1)
            finals = tuple(f.squeeze(1) for f in finals)
        return output, self._pack_state(finals)

    def _forward_packed(self, packed: PackedSequence, hx):
        who = type(self).__name__
        data = packed.data
        if data.dim() != 2 or data.shape[-1] != self.input_size:
            words = (f"input must have 2 dimensions, got {data.dim()}" if data.dim() != 2 else
                     f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {data.shape[-1]}")
            raise RuntimeError(
                f"{who}: expected PackedSequence data of shape (N, {self.input_size}), got {shape_str(data.shape)}. "
                + words
            )
        check_matches_parameters(who, "input", data, self.weight_ih_l0, dtype_error=ValueError)
        # Padded, time-major and in the caller's original batch order, as hx is.
        x, lengths = pad_packed_sequence(packed)
        states = initial_states(self, hx, x, batched=True)
        output, finals = self._run(x, states, lengths.to(x.device))
        # Re-pack in the input's own (sorted) order, so batch_sizes and indices are the input's.
        order = packed.sorted_indices
        if order is not None:
            output, lengths = output[:, order.to(output.device)], lengths[order.cpu()]
        out_data = pack_padded_sequence(output, lengths, enforce_sorted=True).data
        out = PackedSequence(out_data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        return out, self._pack_state(finals)

    def _pack_state(self, finals):
        return finals[0]


class RNN(_RecurrentLayer):
    """Elman RNN layer(s), equal to ``torch.nn.RNN``.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``.
    Returns ``(output, h_n)``: output (T, B, D·H), h_n (L·D, B, H).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device=None,
        dtype=None,
        *,
        proj_size=None,
    ):
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(
                f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}. "
                f"Unknown nonlinearity {nonlinearity!r}. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size,
                         device, dtype)

    def step(self, xw_t, state, W_hh, b_hh):
        return (rnn_step(xw_t, state[0], W_hh, b_hh, self.nonlinearity),)


class LSTM(_RecurrentLayer):
    """LSTM layer(s), equal to ``torch.nn.LSTM`` with ``proj_size=0`` (its default).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None)``. ``hx`` is ``(h_0, c_0)``,
    each (L·D, B, H). Returns ``(output, (h_n, c_n))``.

    ``proj_size > 0`` (an LSTM with a projection of the hidden state, Sak et al. 2014) is out of
    companion's scope and raises ``NotImplementedError``; ``proj_size=0`` is accepted.
    """

    gates = 4
    state_names = ("h_0", "c_0")
    takes_proj_size = True

    def step(self, xw_t, state, W_hh, b_hh):
        return lstm_step(xw_t, state[0], state[1], W_hh, b_hh)

    def _pack_state(self, finals):
        return finals[0], finals[1]


class GRU(_RecurrentLayer):
    """GRU layer(s), equal to ``torch.nn.GRU``. Returns ``(output, h_n)``.

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None)``.
    """

    gates = 3

    def step(self, xw_t, state, W_hh, b_hh):
        return (gru_step(xw_t, state[0], W_hh, b_hh),)


class ChoGRU(GRU):
    """GRU layer(s) in Cho et al.'s (2014) formulation (:func:`~companion.cells.cho_gru_step`).

    ``GRU``'s arguments, parameters and returns; only the candidate state
    differs: the reset gate acts on ``h_{t-1}`` before ``W_hn`` multiplies it.
    There is no ``torch.nn`` counterpart.
    """

    def step(self, xw_t, state, W_hh, b_hh):
        return (cho_gru_step(xw_t, state[0], W_hh, b_hh),)
