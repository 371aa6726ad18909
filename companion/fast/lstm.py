"""A fast LSTM layer: the input's part of every step in one GEMM, the four gates of a step in one
GEMM, and a hand-written backward whose weight gradients are one GEMM over all T·B rows.

The backward is the walk of :func:`companion.gated_bptt.lstm_backward` (eqs. gbptt-lstm-dc,
-gates, -pre, -cprev) with its per-step weight products taken out of the walk: each step of the
walk computes ``d𝓛/da_t`` (B, 4H) from the saved gates in a dozen element-wise operations on
(B, ·) slices that stay in cache, stores it, and sends ``d𝓛/da_t W_hh`` back to h_{t-1} (one
(B, 4H) @ (4H, H) product); after the walk ``dW_ih``, ``dW_hh``, the biases and ``dx`` are each
one product over the (T·B) rows. (Computing the gates' derivatives for all steps at once before
the walk was slower on CPU: each pass over a (T, B, 4H) tensor is a trip through memory.)
``tests/test_fast.py`` checks it against ``lstm_backward``, ``companion.LSTM`` and
``torch.nn.LSTM`` in float64, and with ``torch.autograd.gradcheck``.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from .. import layers
from ..checks import describe
from ..gated_bptt.common import _check_sequence


def _alive(lengths, T: int, dtype):
    """(T, B, 1) floats: 1 where step t is inside the sequence (t < length), else 0; None without lengths."""
    if lengths is None:
        return None
    return (torch.arange(T, device=lengths.device).unsqueeze(1) < lengths).unsqueeze(2).to(dtype)


class LSTMFunction(torch.autograd.Function):
    """One LSTM layer, one direction, with a hand-written backward (the fast path).

    ``apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, lengths, reverse)``: the arguments
    of :class:`companion.gated_bptt.LSTMByHand` — ``x`` (T, B, I), ``h0``, ``c0`` (B, H), biases
    tensors or None — and two more: ``lengths`` (B,) integers or None (a sequence whose length is
    ``<= t`` keeps its state at step t and emits zeros, as in :mod:`companion.layers`) and
    ``reverse`` (walk from t = T-1 down to 0). Returns ``(output, h_n, c_n)``, output (T, B, H).
    No argument checks here (the layer and :func:`fast_lstm` make them).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, lengths=None, reverse=False):
        T, B, _ = x.shape
        H = weight_hh.shape[1]
        bias = bias_ih if bias_hh is None else (bias_hh if bias_ih is None else bias_ih + bias_hh)
        x2 = x.reshape(T * B, x.shape[2])
        # The input's part of every step (and both biases) in one GEMM: (T, B, 4H).
        xw = (torch.mm(x2, weight_ih.t()) if bias is None else torch.addmm(bias, x2, weight_ih.t())).view(T, B, 4 * H)
        acts = x.new_empty(T, B, 4 * H)  # i, f, g, o of every step, in time order
        hs, cs = x.new_empty(T + 1, B, H), x.new_empty(T + 1, B, H)  # states, in scan order (see below)
        tanh_c = x.new_empty(T, B, H)
        alive = _alive(lengths, T, x.dtype)
        # hs holds h0 and the state after each step in scan order: forward, hs[0] = h0 and hs[t+1] = h_t;
        # reverse, hs[T] = h0 and hs[t] = h_t (step t writes hs[t + new_at]); cs likewise.
        new_at, first = (0, T) if reverse else (1, 0)
        hs[first], cs[first] = h0, c0
        W_hhT = weight_hh.t()
        pre = x.new_empty(B, 4 * H)
        pre_g = pre[:, 2 * H:3 * H]
        A, G = acts.unbind(0), acts[..., 2 * H:3 * H].unbind(0)
        I_, F_, O_ = acts[..., :H].unbind(0), acts[..., H:2 * H].unbind(0), acts[..., 3 * H:].unbind(0)
        TC, Hs, Cs, XW = tanh_c.unbind(0), hs.unbind(0), cs.unbind(0), xw.unbind(0)
        h, c = hs[first], cs[first]
        h_new, c_new = x.new_empty(B, H), x.new_empty(B, H)
        for t in range(T - 1, -1, -1) if reverse else range(T):
            torch.addmm(XW[t], h, W_hhT, out=pre)  # all four gates' pre-activations, one GEMM
            torch.sigmoid(pre, out=A[t])
            torch.tanh(pre_g, out=G[t])
            k = t + new_at
            c_out = Cs[k] if alive is None else c_new
            torch.mul(F_[t], c, out=c_out)
            c_out.addcmul_(I_[t], G[t])  # c_t = f ⊙ c_{t-1} + i ⊙ g
            torch.tanh(c_out, out=TC[t])
            h_out = Hs[k] if alive is None else h_new
            torch.mul(O_[t], TC[t], out=h_out)  # h_t = o ⊙ tanh(c_t)
            if alive is not None:  # a finished sequence keeps its state
                torch.where(alive[t] > 0, c_new, c, out=Cs[k])
                torch.where(alive[t] > 0, h_new, h, out=Hs[k])
            h, c = Hs[k], Cs[k]
        out_states = hs[new_at:new_at + T]
        output = out_states.clone() if alive is None else out_states * alive
        ctx.save_for_backward(x, weight_ih, weight_hh, acts, hs, cs, tanh_c, alive)
        ctx.reverse, ctx.has_bias = reverse, (bias_ih is not None, bias_hh is not None)
        last = 0 if reverse else T
        return output, hs[last].clone(), cs[last].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output, grad_h_n, grad_c_n):
        x, weight_ih, weight_hh, acts, hs, cs, tanh_c, alive = ctx.saved_tensors
        T, B, H = tanh_c.shape
        reverse = ctx.reverse
        h_prev = hs[1:] if reverse else hs[:-1]  # the state before each step, in time order
        c_prev = cs[1:] if reverse else cs[:-1]
        # Each step works on its own (B, ·) slices, which stay in cache; passes over whole (T, B, ·)
        # tensors would each cost a trip through memory. d_pre[t] = d𝓛/da_t, written in place (gbptt-lstm-pre):
        #   [dc ⊙ σ'(a^i) ⊙ g, dc ⊙ σ'(a^f) ⊙ c_{t-1}, dc ⊙ (1 - g²) ⊙ i, dh ⊙ σ'(a^o) ⊙ tanh(c_t)]
        ones = x.new_ones(B, H)
        deriv = x.new_empty(B, 4 * H)  # the gates' derivatives at step t: σ' = σ(1 - σ), tanh' = 1 - g²
        deriv_g, deriv_o, deriv_cell = deriv[:, 2 * H:3 * H], deriv[:, 3 * H:], deriv.view(B, 4, H)[:, :3]
        d_pre = x.new_empty(T, B, 4 * H)
        D, D_cell = d_pre.unbind(0), d_pre.view(T, B, 4, H)[:, :, :3].unbind(0)
        D_i, D_f, D_g, D_o = (block.unbind(0) for block in d_pre.split(H, dim=-1))
        A, (I_, F_, G, O) = acts.unbind(0), (block.unbind(0) for block in acts.split(H, dim=-1))
        TC, C_prev = tanh_c.unbind(0), c_prev.unbind(0)
        if alive is None:
            GO = grad_output.unbind(0)
        else:  # a finished sequence emits zeros: its output's gradient reaches nothing
            GO, M, DEAD = (grad_output * alive).unbind(0), alive.unbind(0), (1 - alive).unbind(0)
        dh_next, dc_next = grad_h_n, grad_c_n
        for t in range(T) if reverse else range(T - 1, -1, -1):
            dh = GO[t] + dh_next  # δ_t: from the output and from step t+1                      (gbptt-lstm-delta)
            torch.addcmul(A[t], A[t], A[t], value=-1, out=deriv)
            torch.addcmul(ones, G[t], G[t], value=-1, out=deriv_g)
            o_dtanh = torch.addcmul(ones, TC[t], TC[t], value=-1).mul_(O[t])
            dc = torch.addcmul(dc_next, dh, o_dtanh)  # along the cell state and through h_t  (gbptt-lstm-dc)
            dh_step, dc_step = (dh, dc) if alive is None else (dh * M[t], dc * M[t])  # finished: no step
            torch.mul(deriv_cell, dc_step.unsqueeze(1), out=D_cell[t])
            torch.mul(deriv_o, dh_step, out=D_o[t])
            D_i[t].mul_(G[t])
            D_f[t].mul_(C_prev[t])
            D_g[t].mul_(I_[t])
            D_o[t].mul_(TC[t])
            if alive is None:
                dh_next = torch.mm(D[t], weight_hh)
                dc_next = dc * F_[t]  # the additive path: ∂c_t/∂c_{t-1} = diag(f_t)      (gbptt-lstm-cprev)
            else:  # a finished sequence passes its gradient straight through
                dh_next = torch.addmm(dh * DEAD[t], D[t], weight_hh)
                dc_next = torch.addcmul(dc_next * DEAD[t], dc_step, F_[t])
        d2 = d_pre.view(T * B, 4 * H)
        need = ctx.needs_input_grad
        grad_x = torch.mm(d2, weight_ih).view_as(x) if need[0] else None
        # The weight gradients: one GEMM each over all T·B rows, after the walk.        (gbptt-lstm-grads)
        grad_w_ih = torch.mm(d2.t(), x.reshape(T * B, x.shape[2])) if need[3] else None
        grad_w_hh = torch.mm(d2.t(), h_prev.reshape(T * B, H)) if need[4] else None
        grad_b = d2.sum(0) if any(need[5:7]) else None
        has_ih, has_hh = ctx.has_bias
        return (grad_x, dh_next, dc_next, grad_w_ih, grad_w_hh, grad_b if has_ih else None,
                grad_b if has_hh else None, None, None)


def fast_lstm(x, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``(output, h_n, c_n)`` of one LSTM layer on ``x`` (T, B, I), as
    :func:`companion.gated_bptt.lstm_by_hand` (same arguments, same checks and returns), by
    :class:`LSTMFunction`."""
    if not isinstance(h0, torch.Tensor) or not isinstance(c0, torch.Tensor):
        raise TypeError(f"fast_lstm: expected h0 and c0 to be (B, H) tensors, got {describe(h0)} and {describe(c0)}")
    _check_sequence("fast_lstm", 4, x, (h0, c0), weight_ih, weight_hh, bias_ih, bias_hh)
    return LSTMFunction.apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, None, False)


class LSTM(layers.LSTM):
    """``companion.LSTM`` with the fast path: same constructor, parameters, ``state_dict``,
    checks, errors and results (equal in float64), each (layer, direction) run by
    :class:`LSTMFunction`.

    Everything around the scan is the readable layer's own code: batch_first, unbatched input,
    ``PackedSequence`` (lengths), initial states, bidirectional and stacked layers, dropout
    between layers (``F.dropout`` under autograd, as in ``companion.LSTM``). ``proj_size > 0``
    is refused with ``NotImplementedError``, as ``companion.LSTM`` refuses it.
    """

    def _scan(self, x, state, weights, reverse: bool, lengths):
        output, h_n, c_n = LSTMFunction.apply(x, state[0], state[1], *weights, lengths, reverse)
        return output, (h_n, c_n)
