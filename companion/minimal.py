"""minGRU and minLSTM (Feng et al. 2024): recurrences whose gates see only the input, trained in
parallel over time with a log-space scan (Heinsen 2023), run step by step for generation.

A GRU's gates read ``h_{t-1}``, so step ``t`` cannot start before step ``t-1`` ends. Drop that
dependence and the update becomes *linear* in the state, ``h_t = a_t ⊙ h_{t-1} + b_t``, with
``a_t`` and ``b_t`` computed from the inputs alone, for all steps in one matrix product:

* **minGRU**: ``z_t = σ(W_z x_t + b_z)``, ``h̃_t = g(W_h x_t + b_h)``,
  ``h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t``;
* **minLSTM**: ``f_t = σ(W_f x_t + b_f)``, ``i_t = σ(W_i x_t + b_i)``, ``h̃_t = g(W_h x_t + b_h)``,
  normalised ``f'_t = f_t / (f_t + i_t)``, ``i'_t = i_t / (f_t + i_t)``, ``h_t = f'_t ⊙ h_{t−1} + i'_t ⊙ h̃_t``.

``g(v) = v + 1/2`` for ``v ≥ 0`` and ``σ(v)`` for ``v < 0`` (:func:`positive_g`; continuous,
increasing, positive): Feng et al.'s log-space version keeps the candidate ``h̃_t`` positive,
so that ``b_t > 0`` and the scan can run on logarithms. Both modes here use ``g``, so they agree.

The solution of the linear recurrence is ``h_t = A_t h_0 + A_t Σ_{s≤t} b_s / A_s`` with
``A_t = a_1 ⋯ a_t``; :func:`log_scan` computes it with a cumulative sum and a
``logcumsumexp`` (Heinsen 2023), O(T) work in a handful of parallel operations, in place of T
sequential steps. On logarithms the products of many gates in (0, 1) never underflow.

Layers: ``MinGRU(input_size, hidden_size)`` and ``MinLSTM(input_size, hidden_size)``, one
layer, one direction; input (T, B, I), or (B, T, I) with ``batch_first=True``, or an
unbatched (T, I); ``h0`` (1, B, H) (or (1, H) unbatched), zeros when omitted;
``forward(input, h0=None, mode="parallel")`` returns ``(output, h_n)`` as ``torch.nn.GRU``
does. ``mode="sequential"`` runs :meth:`step` in a loop (for generation, one token at a time).
Variable lengths (``PackedSequence``) are out of scope. Training-step time against T beside
``torch.nn.LSTM`` and the readable GRU: ``python benchmarks/layers.py --scan``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_bool, check_matches_parameters, check_size, check_state, check_tensor, shape_str


def positive_g(v: torch.Tensor) -> torch.Tensor:
    """Feng et al.'s positive activation: ``v + 1/2`` for ``v ≥ 0``, ``σ(v)`` below."""
    return torch.where(v >= 0, v + 0.5, torch.sigmoid(v))


def log_positive_g(v: torch.Tensor) -> torch.Tensor:
    """``log positive_g(v)``, computed without forming ``g``: ``log(v + 1/2)`` or ``−softplus(−v)``."""
    return torch.where(v >= 0, torch.log(F.relu(v) + 0.5), -F.softplus(-v))


def log_scan(log_a: torch.Tensor, log_b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """All states of ``h_t = a_t h_{t−1} + b_t`` (t = 1 … T), from the logarithms of ``a > 0`` and ``b > 0``.

    ``log_a`` and ``log_b`` (T, B, H), ``h0`` (B, H) (any sign) or None for zeros; returns ``h``
    (T, B, H), the states after every step. With ``A_t = a_1 ⋯ a_t``,
    ``h_t = A_t h_0 + A_t Σ_{s≤t} b_s / A_s``, and the sum is taken on logarithms:
    ``log(A_t Σ b_s / A_s) = log A_t + logcumsumexp(log b − log A)_t``.
    """
    log_A = torch.cumsum(log_a, dim=0)
    h = torch.exp(log_A + torch.logcumsumexp(log_b - log_A, dim=0))
    return h if h0 is None else h + torch.exp(log_A) * h0

class _MinimalRNN(nn.Module):
    gates = 2  # blocks of H rows in ``linear``: the gates, then the candidate

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, batch_first: bool = False,
                 device=None, dtype=None):
        super().__init__()
        who = type(self).__name__
        check_size(who, "input_size", input_size)
        check_size(who, "hidden_size", hidden_size)
        check_bool(who, "bias", bias)
        check_bool(who, "batch_first", batch_first)
        self.input_size, self.hidden_size, self.batch_first = input_size, hidden_size, batch_first
        self.linear = nn.Linear(input_size, self.gates * hidden_size, bias=bias, device=device, dtype=dtype)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + (", batch_first=True" if self.batch_first else "")

    # What differs between minGRU and minLSTM: the coefficients of h_t = a_t h_{t-1} + b_t.
    def coefficients(self, projected: torch.Tensor):
        """``(a, b)`` from the input's projection (..., G·H)."""
        raise NotImplementedError

    def log_coefficients(self, projected: torch.Tensor):
        """``(log a, log b)``, computed stably from the projection."""
        raise NotImplementedError

    def step(self, x_t: torch.Tensor, h_prev: torch.Tensor) -> torch.Tensor:
        """One step: ``x_t`` (B, I), ``h_prev`` (B, H) -> ``h_t`` (B, H)."""
        a, b = self.coefficients(self.linear(x_t))
        return a * h_prev + b

    def _check(self, x, h0, mode):
        who = type(self).__name__
        check_tensor(who, "input", x)
        I, H = self.input_size, self.hidden_size
        expected = f"{'(B, T, {I})' if self.batch_first else '(T, B, {I})'} or an unbatched (T, {I})".format(I=I)
        if x.dim() not in (2, 3) or x.shape[-1] != I:
            raise (ValueError if x.dim() not in (2, 3) else RuntimeError)(
                f"{who}: expected input of shape {expected}, got {shape_str(x.shape)}")
        check_matches_parameters(who, "input", x, self.linear.weight, dtype_error=ValueError)
        time_dim = 1 if x.dim() == 3 and self.batch_first else 0
        if x.shape[time_dim] == 0:
            raise RuntimeError(f"{who}: expected a sequence of at least one time step, got T=0 (input of shape "
                               f"{shape_str(x.shape)})")
        if mode not in ("parallel", "sequential"):
            raise ValueError(f"{who}: mode must be 'parallel' or 'sequential', got {mode!r}")
        if h0 is not None:
            batch = (x.shape[1 - time_dim],) if x.dim() == 3 else ()
            check_state(who, "h0", h0, (1, *batch, H), "(1, B, H)" if batch else "(1, H) for unbatched input", x)

    def forward(self, input: torch.Tensor, h0: torch.Tensor | None = None, mode: str = "parallel"):
        """``input`` (T, B, I) (or (B, T, I) with ``batch_first``, or (T, I)); returns
        ``(output, h_n)``: output (T, B, H) in the input's layout, ``h_n`` (1, B, H)."""
        if isinstance(input, nn.utils.rnn.PackedSequence):
            raise TypeError(f"{type(self).__name__}: PackedSequence input is not supported; pass a padded "
                            "tensor of sequences of equal length")
        self._check(input, h0, mode)
        batched = input.dim() == 3
        x = input if batched else input.unsqueeze(1)
        if self.batch_first and batched:
            x = x.transpose(0, 1)
        h = None if h0 is None else (h0[0] if batched else h0)  # (B, H)
        if mode == "parallel":
            log_a, log_b = self.log_coefficients(self.linear(x))
            output = log_scan(log_a, log_b, h)
        else:
            h = x.new_zeros(x.shape[1], self.hidden_size) if h is None else h
            states = []
            for x_t in x.unbind(0):
                h = self.step(x_t, h)
                states.append(h)
            output = torch.stack(states)
        h_n = output[-1:]  # (1, B, H)
        if self.batch_first and batched:
            output = output.transpose(0, 1)
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
        return output, h_n


class MinGRU(_MinimalRNN):
    """minGRU (Feng et al. 2024): ``h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ g(h̃_t)``, gates from ``x_t`` only.

    ``MinGRU(input_size, hidden_size, bias=True, batch_first=False, device=None, dtype=None)``;
    ``linear`` holds ``[W_z; W_h]`` (2H, I). See the module's docstring for the modes.
    """

    gates = 2

    def coefficients(self, projected):
        k, candidate = projected.chunk(2, dim=-1)
        z = torch.sigmoid(k)
        return 1 - z, z * positive_g(candidate)

    def log_coefficients(self, projected):
        k, candidate = projected.chunk(2, dim=-1)
        # log(1 − σ(k)) = −softplus(k), log σ(k) = −softplus(−k)
        return -F.softplus(k), -F.softplus(-k) + log_positive_g(candidate)


class MinLSTM(_MinimalRNN):
    """minLSTM (Feng et al. 2024): ``h_t = f'_t ⊙ h_{t−1} + i'_t ⊙ g(h̃_t)`` with the gates normalised
    to sum to one, ``f'_t = f_t / (f_t + i_t)``, ``i'_t = i_t / (f_t + i_t)``.

    ``MinLSTM(input_size, hidden_size, bias=True, batch_first=False, device=None, dtype=None)``;
    ``linear`` holds ``[W_f; W_i; W_h]`` (3H, I). See the module's docstring for the modes.
    """

    gates = 3

    def coefficients(self, projected):
        f_pre, i_pre, candidate = projected.chunk(3, dim=-1)
        f, i = torch.sigmoid(f_pre), torch.sigmoid(i_pre)
        return f / (f + i), i / (f + i) * positive_g(candidate)

    def log_coefficients(self, projected):
        f_pre, i_pre, candidate = projected.chunk(3, dim=-1)
        # d = log i − log f; log f' = −log(1 + i/f) = −softplus(d), log i' = −softplus(−d)
        d = F.softplus(-f_pre) - F.softplus(-i_pre)
        return -F.softplus(d), -F.softplus(-d) + log_positive_g(candidate)
