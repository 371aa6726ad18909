"""The GRU's backward pass by hand, in PyTorch's formulation: one step, through time, as a
``torch.autograd.Function``, and the products of its step Jacobians (eqs. gbptt-gru-* of the chapter)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from ..checks import describe, shape_str
from .common import (_check_cache, _check_sequence, _check_sequence_grads, _check_step, _check_tensors, _norm,
                     _products)

GRU_GATES = ("r", "z", "n")  # PyTorch's order of the blocks of H rows
_GRU_CACHE = ("x", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "h", "r", "z", "n", "hn")


def gru_step_forward(x_t, h_prev, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One GRU step in PyTorch's formulation (eqs. gru-gates, gru-torch); return ``(h_t, cache)``.

    ``x_t`` (B, I), ``h_prev`` (B, H); weights in ``torch.nn.GRUCell``'s layout (order r, z, n).
    ``cache`` holds the gates ``"r"``, ``"z"``, the candidate ``"n"`` and ``"hn"`` =
    ``W_hn h_{t-1} + b_hn``, the recurrent part of the candidate before the reset gate scales it,
    each (B, H). ``h_t`` equals :func:`companion.gru_step`'s.
    """
    _check_step("gru_step_forward", 3, {"x_t": x_t, "h_prev": h_prev}, weight_ih, weight_hh, bias_ih, bias_hh)
    return _gru_step_forward(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)


def _gru_step_forward(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    x_r, x_z, x_n = F.linear(x_t, weight_ih, bias_ih).chunk(3, dim=-1)
    h_r, h_z, hn = F.linear(h_prev, weight_hh, bias_hh).chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * hn)
    h_t = (1 - z) * n + z * h_prev
    return h_t, {"r": r, "z": z, "n": n, "hn": hn}


def gru_step_backward(dh_t, x_t, h_prev, weight_ih, weight_hh, cache) -> dict:
    """The gradients of one GRU step, by hand (eqs. gbptt-gru-dn to gbptt-gru-grads).

    ``dh_t`` (B, H) is δ_t = d𝓛/dh_t, the total derivative (from the step's output and from step
    t+1). ``cache`` is :func:`gru_step_forward`'s. Returns a dict: ``"weight_ih"`` (3H, I),
    ``"weight_hh"`` (3H, H), ``"bias_ih"``, ``"bias_hh"`` (3H,) — this step's terms, summed over the
    batch; they differ in the n block, where the reset gate scales the recurrent part —, ``"x_t"``
    (B, I) and ``"h_prev"`` (B, H), what step t sends back to h_{t-1}: the direct path
    ``z_t ⊙ δ_t`` plus the paths through the gates and the candidate.
    """
    who = "gru_step_backward"
    B = _check_step(who, 3, {"x_t": x_t, "dh_t": dh_t, "h_prev": h_prev}, weight_ih, weight_hh)
    _check_cache(who, cache, ("r", "z", "n", "hn"), x_t, (B, weight_hh.shape[1]), "(B, H), like h_prev")
    return _gru_step_backward(dh_t, x_t, h_prev, weight_ih, weight_hh, cache)


def _gru_step_backward(dh_t, x_t, h_prev, weight_ih, weight_hh, cache) -> dict:
    """:func:`gru_step_backward` without the checks (the loop of :func:`gru_backward` calls it T times)."""
    r, z, n, hn = cache["r"], cache["z"], cache["n"], cache["hn"]
    dn = dh_t * (1 - z)  # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}                              (gbptt-gru-dn)
    dz = dh_t * (h_prev - n)
    da_n = dn * (1 - n**2)  # d𝓛/d(pre-activation of n_t)
    da_r = da_n * hn * r * (1 - r)  # the reset gate scales hn = W_hn h_{t-1} + b_hn            (gbptt-gru-dr)
    da_z = dz * z * (1 - z)
    d_gi = torch.cat([da_r, da_z, da_n], dim=-1)  # d𝓛/d(x_t W_ihᵀ + b_ih)                     (gbptt-gru-pre)
    d_gh = torch.cat([da_r, da_z, da_n * r], dim=-1)  # d𝓛/d(h_{t-1} W_hhᵀ + b_hh)
    return {
        "weight_ih": d_gi.T @ x_t,  #                                                            (gbptt-gru-grads)
        "weight_hh": d_gh.T @ h_prev,
        "bias_ih": d_gi.sum(0),
        "bias_hh": d_gh.sum(0),
        "x_t": d_gi @ weight_ih,
        "h_prev": dh_t * z + d_gh @ weight_hh,  # the direct path z_t ⊙ δ_t, and through r, z, n  (gbptt-gru-hprev)
    }


def gru_step_jacobian(h_prev, weight_hh, cache) -> torch.Tensor:
    """``∂h_t/∂h_{t-1}``, (B, H, H), of one GRU step (eq. gbptt-gru-jacobian)::

        diag(z_t) + diag((1 - z_t) ⊙ (1 - n_t²)) [diag(r_t) W_hn + diag(hn ⊙ r_t ⊙ (1 - r_t)) W_hr]
                  + diag((h_{t-1} - n_t) ⊙ z_t ⊙ (1 - z_t)) W_hz

    The first term is the copy path; ``cache`` is :func:`gru_step_forward`'s.
    """
    who = "gru_step_jacobian"
    _check_tensors(who, {"h_prev": h_prev, "weight_hh": weight_hh})
    if weight_hh.dim() != 2 or weight_hh.shape[0] != 3 * weight_hh.shape[1] or weight_hh.shape[1] == 0:
        raise ValueError(f"{who}: expected weight_hh of shape (3H, H) with H >= 1, got {shape_str(weight_hh.shape)}")
    H = weight_hh.shape[1]
    if h_prev.dim() != 2 or h_prev.shape[1] != H:
        raise ValueError(f"{who}: expected h_prev of shape (B, {H}) (H = {H} from weight_hh), got {shape_str(h_prev.shape)}")
    _check_cache(who, cache, ("r", "z", "n", "hn"), h_prev, tuple(h_prev.shape), "(B, H), like h_prev")
    return _gru_step_jacobian(h_prev, weight_hh, cache)


def _gru_step_jacobian(h_prev, weight_hh, cache) -> torch.Tensor:
    r, z, n, hn = cache["r"], cache["z"], cache["n"], cache["hn"]
    W_hr, W_hz, W_hn = weight_hh.chunk(3, dim=0)
    rows = lambda v, W: v.unsqueeze(-1) * W  # diag(v) W, batched  # noqa: E731
    dn_dh = rows(1 - n**2, rows(r, W_hn) + rows(hn * r * (1 - r), W_hr))
    return torch.diag_embed(z) + (1 - z).unsqueeze(-1) * dn_dh + rows((h_prev - n) * z * (1 - z), W_hz)



def gru_forward(x, weight_ih, weight_hh, bias_ih=None, bias_hh=None, hx=None):
    """Run one GRU layer over ``x`` (T, B, I); return ``(output, h_n, cache)``.

    ``output`` (T, B, H) holds h_1 .. h_T, as ``torch.nn.GRU``'s; ``hx`` is h0 (B, H), zeros when
    None. ``cache`` (for :func:`gru_backward`) holds the inputs and, with a leading T axis,
    every step's ``"r"``, ``"z"``, ``"n"`` and ``"hn"``.
    """
    (h0,) = _check_sequence("gru_forward", 3, x, hx, weight_ih, weight_hh, bias_ih, bias_hh)
    return _gru_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)


def _gru_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    h, hs, steps = h0, [], []
    for x_t in x:
        h, step = _gru_step_forward(x_t, h, weight_ih, weight_hh, bias_ih, bias_hh)
        hs.append(h)
        steps.append(step)
    output = torch.stack(hs)
    cache = {"x": x, "h0": h0, "weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih,
             "bias_hh": bias_hh, "h": output}
    cache.update({name: torch.stack([s[name] for s in steps]) for name in ("r", "z", "n", "hn")})
    return output, h, cache


def gru_backward(cache, grad_output, grad_h_n=None) -> dict:
    """Backpropagation through time for :func:`gru_forward`, one :func:`gru_step_backward` per step.

    ``grad_output`` (T, B, H) is d𝓛/dh_t from outside the recurrence, ``grad_h_n`` (B, H) what
    reaches the final state (None: zero). Returns a dict: ``"x"`` (T, B, I), ``"h0"`` (B, H),
    ``"weight_ih"``, ``"weight_hh"``, ``"bias_ih"``, ``"bias_hh"`` (None where the layer has no bias).
    """
    g = _check_sequence_grads("gru_backward", cache, _GRU_CACHE, {"grad_output": grad_output, "grad_h_n": grad_h_n})
    return _gru_backward(cache, g["grad_output"], g["grad_h_n"])


def _gru_backward(cache, grad_output, grad_h_n) -> dict:
    x, W_ih, W_hh = cache["x"], cache["weight_ih"], cache["weight_hh"]
    total = {"weight_ih": torch.zeros_like(W_ih), "weight_hh": torch.zeros_like(W_hh),
             "bias_ih": torch.zeros_like(W_hh[:, 0]), "bias_hh": torch.zeros_like(W_hh[:, 0])}
    grad_x = torch.empty_like(x)
    dh_next = grad_h_n
    for t in range(x.shape[0] - 1, -1, -1):
        h_prev = cache["h"][t - 1] if t > 0 else cache["h0"]
        step_cache = {name: cache[name][t] for name in ("r", "z", "n", "hn")}
        step = _gru_step_backward(grad_output[t] + dh_next, x[t], h_prev, W_ih, W_hh, step_cache)
        for name in total:
            total[name] = total[name] + step[name]
        grad_x[t] = step["x_t"]
        dh_next = step["h_prev"]
    return {"x": grad_x, "h0": dh_next, "weight_ih": total["weight_ih"], "weight_hh": total["weight_hh"],
            "bias_ih": None if cache["bias_ih"] is None else total["bias_ih"],
            "bias_hh": None if cache["bias_hh"] is None else total["bias_hh"]}



class GRUByHand(torch.autograd.Function):
    """One GRU layer whose backward pass is :func:`gru_backward`, written by hand, not autograd.

    ``apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)``: ``x`` (T, B, I), ``h0`` (B, H);
    returns ``(output, h_n)`` as ``torch.nn.GRU`` does.
    """

    @staticmethod
    def forward(ctx, x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
        _check_sequence("gru_by_hand", 3, x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
        output, h_n, cache = _gru_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
        ctx.save_for_backward(*(cache[name] for name in _GRU_CACHE))
        return output, h_n.clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output, grad_h_n):
        cache = dict(zip(_GRU_CACHE, ctx.saved_tensors))
        grads = _gru_backward(cache, grad_output, grad_h_n)
        return tuple(grads[name] for name in ("x", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"))



def gru_by_hand(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``(output, h_n)`` of one GRU layer on ``x`` (T, B, I), with a hand-written backward."""
    if not isinstance(h0, torch.Tensor):
        raise TypeError(f"gru_by_hand: expected h0 to be a (B, H) tensor, got {describe(h0)}")
    return GRUByHand.apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)



def gru_jacobian_norms(x, weight_ih, weight_hh, bias_ih=None, bias_hh=None, hx=None) -> dict:
    """Norms of products of GRU step Jacobians over ``x`` (T, B, I), for every lag ``k = 0 .. T-1``.

    Returns a dict of (T, B) tensors: ``"h"``, ``||∂h_T/∂h_{T-k}||_2``; ``"update"``,
    ``||diag(z_T ⊙ ... ⊙ z_{T-k+1})||_2``, the copy path alone (the largest over the units).
    """
    (h0,) = _check_sequence("gru_jacobian_norms", 3, x, hx, weight_ih, weight_hh, bias_ih, bias_hh)
    with torch.no_grad():
        _, _, cache = _gru_forward(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)
        T, B, H = cache["h"].shape
        h_prev = torch.cat([h0[None], cache["h"][:-1]]).reshape(T * B, H)
        step = {name: cache[name].reshape(T * B, H) for name in ("r", "z", "n", "hn")}
        J = _gru_step_jacobian(h_prev, weight_hh, step).reshape(T, B, H, H)
        z = cache["z"]
        update = torch.cat([torch.ones_like(z[:1]), torch.cumprod(z.flip(0)[:-1], dim=0)])
        return {"h": _norm(_products(J)), "update": update.amax(dim=-1)}
