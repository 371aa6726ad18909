"""A fast GRU layer (PyTorch's formulation): the input's part of every step in one GEMM, the
three gates' recurrent parts of a step in one GEMM, and a hand-written backward whose weight
gradients are one GEMM over all T·B rows.

The backward is the walk of :func:`companion.gated_bptt.gru_backward` (eqs. gbptt-gru-dn, -dr,
-pre, -hprev) with its per-step weight products taken out of the walk: each step computes
``d𝓛/d(h_{t-1} W_hhᵀ + b_hh) = [da_r, da_z, da_n ⊙ r_t]`` and ``da_n`` from the saved gates on
(B, ·) slices that stay in cache, stores them, and sends ``z_t ⊙ δ_t`` plus one
(B, 3H) @ (3H, H) product back to h_{t-1}; after the walk ``dW_ih``, ``dW_hh``, the biases and
``dx`` are each one product over the (T·B) rows (the input's side shares the r and z blocks).
``tests/test_fast.py`` checks it against ``gru_backward``, ``companion.GRU`` and ``torch.nn.GRU``.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from .. import layers
from ..checks import describe
from ..gated_bptt.common import _check_sequence
from .lstm import _alive


class GRUFunction(torch.autograd.Function):
    """One GRU layer, one direction, with a hand-written backward (the fast path).

    ``apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, lengths, reverse)``: the arguments of
    :class:`companion.gated_bptt.GRUByHand` — ``x`` (T, B, I), ``h0`` (B, H), biases tensors or
    None — and ``lengths`` (B,) or None and ``reverse``, as :class:`~companion.fast.LSTMFunction`.
    Returns ``(output, h_n)``, output (T, B, H). No argument checks here.
    """

    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh, lengths=None, reverse=False):
        T, B, _ = x.shape
        H = weight_hh.shape[1]
        x2 = x.reshape(T * B, x.shape[2])
        xw = (torch.mm(x2, weight_ih.t()) if bias_ih is None else torch.addmm(bias_ih, x2, weight_ih.t()))
        xw = xw.view(T, B, 3 * H)  # the input's part of every step, one GEMM
        b_hh = bias_hh if bias_hh is not None else x.new_zeros(3 * H)
        acts = x.new_empty(T, B, 3 * H)  # r, z, n of every step, in time order
        hw = x.new_empty(T, B, 3 * H)  # h_{t-1} W_hhᵀ + b_hh; its n block is hn_t
        hs = x.new_empty(T + 1, B, H)  # h0 and the states in scan order, as in LSTMFunction
        alive = _alive(lengths, T, x.dtype)
        new_at, first = (0, T) if reverse else (1, 0)
        hs[first] = h0
        W_hhT = weight_hh.t()
        XW_rz, XW_n = xw[..., :2 * H].unbind(0), xw[..., 2 * H:].unbind(0)
        HW, HW_rz, HN = hw.unbind(0), hw[..., :2 * H].unbind(0), hw[..., 2 * H:].unbind(0)
        RZ, R, Z, N = acts[..., :2 * H].unbind(0), acts[..., :H].unbind(0), acts[..., H:2 * H].unbind(0), \
            acts[..., 2 * H:].unbind(0)
        Hs = hs.unbind(0)
        h = hs[first]
        diff, h_new = x.new_empty(B, H), x.new_empty(B, H)
        for t in range(T - 1, -1, -1) if reverse else range(T):
            torch.addmm(b_hh, h, W_hhT, out=HW[t])  # the three gates' recurrent parts, one GEMM
            torch.add(XW_rz[t], HW_rz[t], out=RZ[t]).sigmoid_()  # r, z
            torch.addcmul(XW_n[t], R[t], HN[t], out=N[t]).tanh_()  # n = tanh(xn + r ⊙ hn)
            torch.sub(h, N[t], out=diff)
            k = t + new_at
            h_out = Hs[k] if alive is None else h_new
            torch.addcmul(N[t], Z[t], diff, out=h_out)  # h_t = n + z ⊙ (h_{t-1} - n) = (1 - z) ⊙ n + z ⊙ h_{t-1}
            if alive is not None:  # a finished sequence keeps its state
                torch.where(alive[t] > 0, h_new, h, out=Hs[k])
            h = Hs[k]
        out_states = hs[new_at:new_at + T]
        output = out_states.clone() if alive is None else out_states * alive
        ctx.save_for_backward(x, weight_ih, weight_hh, acts, hw, hs, alive)
        ctx.reverse, ctx.has_bias = reverse, (bias_ih is not None, bias_hh is not None)
        return output, hs[0 if reverse else T].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output, grad_h_n):
        x, weight_ih, weight_hh, acts, hw, hs, alive = ctx.saved_tensors
        T, B, H3 = acts.shape
        H = H3 // 3
        reverse = ctx.reverse
        h_prev = hs[1:] if reverse else hs[:-1]  # the state before each step, in time order
        # d_hh[t] = d𝓛/d(h_{t-1} W_hhᵀ + b_hh) = [da_r, da_z, da_n ⊙ r_t]; the input's side,
        # d𝓛/d(x_t W_ihᵀ + b_ih) = [da_r, da_z, da_n], differs only in the n block, kept in d_n.
        d_hh, d_n = x.new_empty(T, B, 3 * H), x.new_empty(T, B, H)
        D, D_r, D_z, D_n_hh = d_hh.unbind(0), *(block.unbind(0) for block in d_hh.split(H, dim=-1))
        D_n = d_n.unbind(0)
        RZ, (R, Z, N) = acts[..., :2 * H].unbind(0), (block.unbind(0) for block in acts.split(H, dim=-1))
        HN, H_prev = hw[..., 2 * H:].unbind(0), h_prev.unbind(0)
        ones = x.new_ones(B, H)
        deriv_rz = x.new_empty(B, 2 * H)  # σ' = σ(1 - σ) of r and z at step t
        deriv_r, deriv_z = deriv_rz[:, :H], deriv_rz[:, H:]
        if alive is None:
            GO = grad_output.unbind(0)
        else:  # a finished sequence emits zeros: its output's gradient reaches nothing
            GO, M, DEAD = (grad_output * alive).unbind(0), alive.unbind(0), (1 - alive).unbind(0)
        dh_next = grad_h_n
        for t in range(T) if reverse else range(T - 1, -1, -1):
            dh = GO[t] + dh_next  # δ_t: from the output and from step t+1
            dh_step = dh if alive is None else dh * M[t]  # a finished sequence takes no step
            torch.addcmul(RZ[t], RZ[t], RZ[t], value=-1, out=deriv_rz)
            dn = torch.addcmul(dh_step, dh_step, Z[t], value=-1)  # δ_t ⊙ (1 - z_t)              (gbptt-gru-dn)
            torch.addcmul(ones, N[t], N[t], value=-1, out=D_n[t]).mul_(dn)  # da_n = dn ⊙ (1 - n_t²)
            torch.mul(D_n[t], HN[t], out=D_r[t]).mul_(deriv_r)  # da_r = da_n ⊙ hn_t ⊙ σ'       (gbptt-gru-dr)
            torch.sub(H_prev[t], N[t], out=D_z[t]).mul_(deriv_z).mul_(dh_step)  # da_z = δ_t ⊙ (h_{t-1} - n) ⊙ σ'
            torch.mul(D_n[t], R[t], out=D_n_hh[t])  # the reset gate scales hn_t                  (gbptt-gru-pre)
            copy = dh_step * Z[t] if alive is None else torch.addcmul(dh * DEAD[t], dh_step, Z[t])
            dh_next = torch.addmm(copy, D[t], weight_hh)  # the copy path and W_hhᵀ ⋯          (gbptt-gru-hprev)
        need = ctx.needs_input_grad
        dh2, dn2 = d_hh.view(T * B, 3 * H), d_n.view(T * B, H)
        d_rz = dh2[:, :2 * H]  # the input's r and z blocks are the recurrent side's
        x2 = x.reshape(T * B, x.shape[2])
        grad_x = None
        if need[0]:
            grad_x = torch.addmm(torch.mm(dn2, weight_ih[2 * H:]), d_rz, weight_ih[:2 * H]).view_as(x)
        # The weight gradients: one GEMM each over all T·B rows, after the walk.          (gbptt-gru-grads)
        grad_w_ih = torch.cat([torch.mm(d_rz.t(), x2), torch.mm(dn2.t(), x2)]) if need[2] else None
        grad_w_hh = torch.mm(dh2.t(), h_prev.reshape(T * B, H)) if need[3] else None
        has_ih, has_hh = ctx.has_bias
        grad_b_ih = torch.cat([d_rz.sum(0), dn2.sum(0)]) if has_ih and need[4] else None
        grad_b_hh = dh2.sum(0) if has_hh and need[5] else None
        return grad_x, dh_next, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh, None, None


def fast_gru(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``(output, h_n)`` of one GRU layer on ``x`` (T, B, I), as :func:`companion.gated_bptt.gru_by_hand`
    (same arguments, checks and returns), by :class:`GRUFunction`."""
    if not isinstance(h0, torch.Tensor):
        raise TypeError(f"fast_gru: expected h0 to be a (B, H) tensor, got {describe(h0)}")
    _check_sequence("fast_gru", 3, x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
    return GRUFunction.apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, None, False)


class GRU(layers.GRU):
    """``companion.GRU`` with the fast path: same constructor, parameters, ``state_dict``, checks,
    errors and results (equal in float64), each (layer, direction) run by :class:`GRUFunction`.
    Everything around the scan is the readable layer's code (see :class:`companion.fast.LSTM`).
    """

    def _scan(self, x, state, weights, reverse: bool, lengths):
        output, h_n = GRUFunction.apply(x, state[0], *weights, lengths, reverse)
        return output, (h_n,)
