"""The LSTM's backward pass by hand: one step, through time, as a ``torch.autograd.Function``, and
the products of its step Jacobians (eqs. gbptt-lstm-* of the chapter; notation in the package's docstring)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from ..cells import lstm_gates
from ..checks import describe, shape_str
from .common import (_check_cache, _check_sequence, _check_sequence_grads, _check_shape, _check_step, _check_tensors,
                     _norm, _products)

LSTM_GATES = ("i", "f", "g", "o")  # PyTorch's order of the blocks of H rows
_LSTM_CACHE = ("x", "h0", "c0", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "h", "i", "f", "g", "o", "c")


def lstm_step_forward(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One LSTM step (eqs. lstm-gates, lstm-cell, lstm-hidden); return ``(h_t, c_t, cache)``.

    ``x_t`` (B, I), ``h_prev`` and ``c_prev`` (B, H); weights in ``torch.nn.LSTMCell``'s layout.
    ``cache`` holds what the backward step needs: the gates ``"i"``, ``"f"``, ``"g"``, ``"o"`` and
    the new cell state ``"c"``, each (B, H). ``h_t`` and ``c_t`` equal :func:`companion.lstm_step`'s.
    """
    _check_step("lstm_step_forward", 4, {"x_t": x_t, "h_prev": h_prev, "c_prev": c_prev}, weight_ih, weight_hh,
                bias_ih, bias_hh)
    return _lstm_step_forward(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh)


def _lstm_step_forward(x_t, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    i, f, g, o = lstm_gates(F.linear(x_t, weight_ih, bias_ih), h_prev, weight_hh, bias_hh)  # eq. lstm-gates
    c_t = f * c_prev + i * g  # eq. lstm-cell
    h_t = o * torch.tanh(c_t)  # eq. lstm-hidden
    return h_t, c_t, {"i": i, "f": f, "g": g, "o": o, "c": c_t}


def lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, weight_ih, weight_hh, cache) -> dict:
    """The gradients of one LSTM step, by hand (eqs. gbptt-lstm-dc to gbptt-lstm-grads).

    ``dh_t`` (B, H) is δ_t = d𝓛/dh_t, the *total* derivative (from the step's own output and
    from step t+1); ``dc_t`` (B, H) is what reaches c_t *other than through h_t*: from c_{t+1}
    (zero after the last step, unless the loss reads c_T). ``cache`` is
    :func:`lstm_step_forward`'s. Returns a dict:

    * ``"weight_ih"`` (4H, I), ``"weight_hh"`` (4H, H), ``"bias_ih"``, ``"bias_hh"`` (4H,): this
      step's terms of the sums over time (summed over the batch; the two biases get the same);
    * ``"x_t"`` (B, I): d𝓛/dx_t;
    * ``"h_prev"`` (B, H): what step t sends back to h_{t-1} (``W_hhᵀ d𝓛/da_t``);
    * ``"c_prev"`` (B, H): what it sends back to c_{t-1} along the cell state, ``f_t ⊙ d𝓛/dc_t``.
    """
    who = "lstm_step_backward"
    B = _check_step(who, 4, {"x_t": x_t, "dh_t": dh_t, "dc_t": dc_t, "h_prev": h_prev, "c_prev": c_prev},
                    weight_ih, weight_hh)
    H = weight_hh.shape[1]
    _check_cache(who, cache, ("i", "f", "g", "o", "c"), x_t, (B, H), "(B, H), like h_prev")
    return _lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, weight_ih, weight_hh, cache)


def _lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, weight_ih, weight_hh, cache) -> dict:
    """:func:`lstm_step_backward` without the checks (the loop of :func:`lstm_backward` calls it T times)."""
    i, f, g, o = (cache[name] for name in LSTM_GATES)
    tanh_c = torch.tanh(cache["c"])
    do = dh_t * tanh_c  # h_t = o_t ⊙ tanh(c_t)
    dc = dc_t + dh_t * o * (1 - tanh_c**2)  # d𝓛/dc_t: along the cell state and through h_t   (gbptt-lstm-dc)
    di, df, dg = dc * g, dc * c_prev, dc * i  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t                  (gbptt-lstm-gates)
    da = torch.cat([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], dim=-1)  # d𝓛/da_t (gbptt-lstm-pre)
    return {
        "weight_ih": da.T @ x_t,  # Σ_batch d𝓛/da_t x_tᵀ                                               (gbptt-lstm-grads)
        "weight_hh": da.T @ h_prev,  # Σ_batch d𝓛/da_t h_{t-1}ᵀ
        "bias_ih": da.sum(0),
        "bias_hh": da.sum(0),
        "x_t": da @ weight_ih,  # rows: (W_ihᵀ d𝓛/da_t)ᵀ
        "h_prev": da @ weight_hh,
        "c_prev": dc * f,  # the additive path: ∂c_t/∂c_{t-1} = diag(f_t)                           (gbptt-lstm-cprev)
    }


def lstm_step_jacobian(h_prev, c_prev, weight_hh, cache) -> torch.Tensor:
    """``∂(h_t, c_t)/∂(h_{t-1}, c_{t-1})``, (B, 2H, 2H), of one LSTM step (eq. gbptt-lstm-jacobian).

    Rows and columns list ``h`` first, then ``c``: the block ``[:, H:, H:]`` is ``∂c_t/∂c_{t-1}``,
    which is exactly ``diag(f_t)`` (the gates read h_{t-1}, not c_{t-1}); ``[:, :H, :H]`` is
    ``∂h_t/∂h_{t-1}`` with c_{t-1} held fixed. ``cache`` is :func:`lstm_step_forward`'s.
    """
    who = "lstm_step_jacobian"
    _check_tensors(who, {"h_prev": h_prev, "c_prev": c_prev, "weight_hh": weight_hh})
    if weight_hh.dim() != 2 or weight_hh.shape[0] != 4 * weight_hh.shape[1] or weight_hh.shape[1] == 0:
        raise ValueError(f"{who}: expected weight_hh of shape (4H, H) with H >= 1, got {shape_str(weight_hh.shape)}")
    H = weight_hh.shape[1]
    if h_prev.dim() != 2 or h_prev.shape[1] != H:
        raise ValueError(f"{who}: expected h_prev of shape (B, {H}) (H = {H} from weight_hh), got {shape_str(h_prev.shape)}")
    _check_shape(who, "c_prev", c_prev, tuple(h_prev.shape), "(B, H), like h_prev")
    _check_cache(who, cache, ("i", "f", "g", "o", "c"), h_prev, tuple(h_prev.shape), "(B, H), like h_prev")
    return _lstm_step_jacobian(h_prev, c_prev, weight_hh, cache)


def _lstm_step_jacobian(h_prev, c_prev, weight_hh, cache) -> torch.Tensor:
    i, f, g, o = (cache[name] for name in LSTM_GATES)
    tanh_c = torch.tanh(cache["c"])
    W_hi, W_hf, W_hg, W_ho = weight_hh.chunk(4, dim=0)  # each (H, H)
    rows = lambda v, W: v.unsqueeze(-1) * W  # diag(v) W, batched: (B, H, H)  # noqa: E731
    c_h = rows(c_prev * f * (1 - f), W_hf) + rows(g * i * (1 - i), W_hi) + rows(i * (1 - g**2), W_hg)
    c_c = torch.diag_embed(f)  # ∂c_t/∂c_{t-1} = diag(f_t)
    through_c = o * (1 - tanh_c**2)  # ∂h_t/∂c_t, diagonal
    h_h = rows(tanh_c * o * (1 - o), W_ho) + through_c.unsqueeze(-1) * c_h
    h_c = torch.diag_embed(through_c * f)
    return torch.cat([torch.cat([h_h, h_c], dim=-1), torch.cat([c_h, c_c], dim=-1)], dim=-2)



def lstm_forward(x, weight_ih, weight_hh, bias_ih=None, bias_hh=None, hx=None):
    """Run one LSTM layer over ``x`` (T, B, I); return ``(output, (h_n, c_n), cache)``.

    ``output`` (T, B, H) holds h_1 .. h_T, as ``torch.nn.LSTM``'s; ``hx = (h0, c0)``, each
    (B, H), zeros when None. ``cache`` (for :func:`lstm_backward`) holds the inputs and, with a
    leading T axis, every step's gates ``"i"``, ``"f"``, ``"g"``, ``"o"`` and ``"c"``.
    """
    h0, c0 = _check_sequence("lstm_forward", 4, x, hx, weight_ih, weight_hh, bias_ih, bias_hh)
    return _lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)


def _lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):
    h, c, hs, steps = h0, c0, [], []
    for x_t in x:
        h, c, step = _lstm_step_forward(x_t, h, c, weight_ih, weight_hh, bias_ih, bias_hh)
        hs.append(h)
        steps.append(step)
    output = torch.stack(hs)
    cache = {"x": x, "h0": h0, "c0": c0, "weight_ih": weight_ih, "weight_hh": weight_hh,
             "bias_ih": bias_ih, "bias_hh": bias_hh, "h": output}
    cache.update({name: torch.stack([s[name] for s in steps]) for name in ("i", "f", "g", "o", "c")})
    return output, (h, c), cache



def lstm_backward(cache, grad_output, grad_h_n=None, grad_c_n=None) -> dict:
    """Backpropagation through time for :func:`lstm_forward`, one :func:`lstm_step_backward` per step.

    ``grad_output`` (T, B, H) is d𝓛/dh_t from outside the recurrence (a read-out), step by step;
    ``grad_h_n``, ``grad_c_n`` (B, H) what reaches the final states (None: zero). Walking from
    ``t = T`` down to 1, δ_t = ``grad_output[t]`` + what step t+1 sent back (eq. gbptt-lstm-delta).
    Returns a dict: ``"x"`` (T, B, I), ``"h0"``, ``"c0"`` (B, H), ``"weight_ih"``, ``"weight_hh"``,
    ``"bias_ih"``, ``"bias_hh"`` (None where the layer has no bias).
    """
    g = _check_sequence_grads("lstm_backward", cache, _LSTM_CACHE,
                              {"grad_output": grad_output, "grad_h_n": grad_h_n, "grad_c_n": grad_c_n})
    return _lstm_backward(cache, g["grad_output"], g["grad_h_n"], g["grad_c_n"])


def _lstm_backward(cache, grad_output, grad_h_n, grad_c_n) -> dict:
    x, W_ih, W_hh = cache["x"], cache["weight_ih"], cache["weight_hh"]
    total = {name: torch.zeros_like(W) for name, W in (("weight_ih", W_ih), ("weight_hh", W_hh))}
    total["bias_ih"] = total["bias_hh"] = torch.zeros_like(W_hh[:, 0])
    grad_x = torch.empty_like(x)
    dh_next, dc_next = grad_h_n, grad_c_n  # what reaches h_T and c_T from after the last step
    for t in range(x.shape[0] - 1, -1, -1):
        h_prev = cache["h"][t - 1] if t > 0 else cache["h0"]
        c_prev = cache["c"][t - 1] if t > 0 else cache["c0"]
        step_cache = {name: cache[name][t] for name in ("i", "f", "g", "o", "c")}
        step = _lstm_step_backward(grad_output[t] + dh_next, dc_next, x[t], h_prev, c_prev, W_ih, W_hh, step_cache)
        for name in total:
            total[name] = total[name] + step[name]
        grad_x[t] = step["x_t"]
        dh_next, dc_next = step["h_prev"], step["c_prev"]
    return {"x": grad_x, "h0": dh_next, "c0": dc_next, "weight_ih": total["weight_ih"],
            "weight_hh": total["weight_hh"],
            "bias_ih": None if cache["bias_ih"] is None else total["bias_ih"],
            "bias_hh": None if cache["bias_hh"] is None else total["bias_hh"]}



class LSTMByHand(torch.autograd.Function):
    """One LSTM layer whose backward pass is :func:`lstm_backward`, written by hand, not autograd.

    ``apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)``: ``x`` (T, B, I), ``h0``, ``c0``
    (B, H), biases tensors or None; returns ``(output, h_n, c_n)`` as ``torch.nn.LSTM`` does
    (``output`` (T, B, H)).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):
        _check_sequence("lstm_by_hand", 4, x, (h0, c0), weight_ih, weight_hh, bias_ih, bias_hh)
        output, (h_n, c_n), cache = _lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)
        ctx.save_for_backward(*(cache[name] for name in _LSTM_CACHE))
        return output, h_n.clone(), c_n.clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output, grad_h_n, grad_c_n):
        cache = dict(zip(_LSTM_CACHE, ctx.saved_tensors))
        grads = _lstm_backward(cache, grad_output, grad_h_n, grad_c_n)
        return tuple(grads[name] for name in ("x", "h0", "c0", "weight_ih", "weight_hh", "bias_ih", "bias_hh"))



def lstm_by_hand(x, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``(output, h_n, c_n)`` of one LSTM layer on ``x`` (T, B, I), with a hand-written backward."""
    if not isinstance(h0, torch.Tensor) or not isinstance(c0, torch.Tensor):
        raise TypeError(f"lstm_by_hand: expected h0 and c0 to be (B, H) tensors, got {describe(h0)} and {describe(c0)}")
    return LSTMByHand.apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)



def lstm_jacobian_norms(x, weight_ih, weight_hh, bias_ih=None, bias_hh=None, hx=None) -> dict:
    """Norms of products of LSTM step Jacobians over ``x`` (T, B, I), for every lag ``k = 0 .. T-1``.

    Returns a dict of (T, B) tensors (entry ``[k, b]`` for lag k, example b), the gated
    counterparts of :func:`companion.bptt.jacobian_norms`:

    * ``"h"``: ``||∂h_T/∂h_{T-k}||_2`` with c_{T-k} held fixed;
    * ``"c"``: ``||∂c_T/∂c_{T-k}||_2`` with h_{T-k} held fixed (every path, not only the cell state's);
    * ``"state"``: the norm of the whole ``∂(h_T, c_T)/∂(h_{T-k}, c_{T-k})``, (2H, 2H);
    * ``"forget"``: ``||diag(f_T ⊙ ... ⊙ f_{T-k+1})||_2``, the additive path alone, the largest over the units.
    """
    h0, c0 = _check_sequence("lstm_jacobian_norms", 4, x, hx, weight_ih, weight_hh, bias_ih, bias_hh)
    with torch.no_grad():
        _, _, cache = _lstm_forward(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)
        h_prev = torch.cat([h0[None], cache["h"][:-1]])
        c_prev = torch.cat([c0[None], cache["c"][:-1]])
        T, B, H = cache["h"].shape
        step = {name: cache[name].reshape(T * B, H) for name in ("i", "f", "g", "o", "c")}
        J = _lstm_step_jacobian(h_prev.reshape(T * B, H), c_prev.reshape(T * B, H), weight_hh, step)
        P = _products(J.reshape(T, B, 2 * H, 2 * H))
        f = cache["f"]
        forget = torch.cat([torch.ones_like(f[:1]), torch.cumprod(f.flip(0)[:-1], dim=0)])  # f_T ⊙ ... ⊙ f_{T-k+1}
        return {"h": _norm(P[..., :H, :H]), "c": _norm(P[..., H:, H:]), "state": _norm(P), "forget": forget.amax(-1)}
