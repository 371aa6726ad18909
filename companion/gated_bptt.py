"""Backpropagation through the LSTM and the GRU, written by hand in torch.

The reference implementation of the chapter *Backpropagation through the LSTM and the GRU*:
every line of a backward function is one line of the chapter's derivation, and the tests
check each against autograd, ``torch.autograd.gradcheck`` and ``torch.nn``'s gradients. It
is also the reference a faster implementation (a fused kernel, ``companion.fast``) is
tested against: same arguments, same returns, equal in float64.

One step, batched (rows are examples):

* :func:`lstm_step_forward` / :func:`gru_step_forward`: one step, and the ``cache`` of gate
  activations the backward pass needs (equal to :func:`companion.lstm_step` / :func:`companion.gru_step`);
* :func:`lstm_step_backward` / :func:`gru_step_backward`: the gradients of one step, given
  what reaches its outputs (eqs. gbptt-lstm-* and gbptt-gru-*);
* :func:`lstm_step_jacobian` / :func:`gru_step_jacobian`: the Jacobian of the new state with
  respect to the previous one; for the LSTM, its block ``∂c_t/∂c_{t-1}`` is exactly ``diag(f_t)``.

A whole sequence ``x`` (T, B, I), ``torch.nn``'s layout (time first):

* :func:`lstm_forward` / :func:`gru_forward` return ``(output, state, cache)``;
  :func:`lstm_backward` / :func:`gru_backward` take the cache and the gradients of the outputs
  and walk back from ``t = T`` to 1, one step backward per step;
* :class:`LSTMByHand` / :class:`GRUByHand` (and :func:`lstm_by_hand`, :func:`gru_by_hand`):
  the same as ``torch.autograd.Function``s whose ``backward`` is that walk, not autograd;
* :func:`lstm_jacobian_norms` / :func:`gru_jacobian_norms`: ``||∂h_T/∂h_{T-k}||_2`` (and, for the
  LSTM, ``||∂c_T/∂c_{T-k}||_2``) for every lag ``k``, the gated counterparts of
  :func:`companion.bptt.jacobian_norms`.

Notation (the book's table; PyTorch's parameter names and gate order). LSTM, gates ``i, f, g, o``
stacked in ``weight_ih`` (4H, I), ``weight_hh`` (4H, H), ``bias_ih``, ``bias_hh`` (4H,)::

    a_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh = [a^i_t, a^f_t, a^g_t, a^o_t]
    i_t = σ(a^i_t), f_t = σ(a^f_t), g_t = tanh(a^g_t), o_t = σ(a^o_t)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t,    h_t = o_t ⊙ tanh(c_t)

GRU, gates ``r, z, n`` stacked in ``weight_ih`` (3H, I), ``weight_hh`` (3H, H), biases (3H,)::

    r_t = σ(W_xr x_t + b_xr + W_hr h_{t-1} + b_hr),   z_t = σ(W_xz x_t + b_xz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_xn x_t + b_xn + r_t ⊙ (W_hn h_{t-1} + b_hn)),   h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from .cells import lstm_gates
from .checks import check_finite_array, check_instance, describe, shape_str

LSTM_GATES = ("i", "f", "g", "o")  # PyTorch's order of the blocks of H rows
GRU_GATES = ("r", "z", "n")


# ----------------------------------------------------------------------------
# Argument checks


def _check_tensors(who: str, given: dict, optional: tuple = ()) -> None:
    """Each value a floating-point torch.Tensor (``None`` allowed for the names in ``optional``),
    all of one dtype and on one device, with no NaN or infinite value."""
    present = {}
    for name, value in given.items():
        if value is None and name in optional:
            continue
        check_instance(who, name, value, torch.Tensor, "a torch.Tensor" + (" or None" if name in optional else ""))
        if not value.is_floating_point():
            raise TypeError(f"{who}: expected {name} to be a floating-point tensor (float32 or float64), "
                            f"got {value.dtype}")
        present[name] = value
    if len({value.dtype for value in present.values()}) > 1:
        raise TypeError(f"{who}: expected {', '.join(present)} of one dtype, got "
                        + ", ".join(f"{name} {value.dtype}" for name, value in present.items()))
    if len({value.device for value in present.values()}) > 1:
        raise RuntimeError(f"{who}: expected {', '.join(present)} on one device, got "
                           + ", ".join(f"{name} on {value.device}" for name, value in present.items()))
    for name, value in present.items():
        check_finite_array(who, name, value)


def _check_weights(who: str, gates: int, weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> tuple[int, int]:
    """``weight_hh`` (G·H, H), ``weight_ih`` (G·H, I), biases (G·H,) or None; return ``(H, I)``."""
    kind = {4: "an LSTM's 4H = (i, f, g, o)", 3: "a GRU's 3H = (r, z, n)"}[gates]
    if weight_hh.dim() != 2 or weight_hh.shape[0] != gates * weight_hh.shape[1] or weight_hh.shape[1] == 0:
        raise ValueError(f"{who}: expected weight_hh of shape ({gates}H, H) with H >= 1 ({kind} blocks of H rows), "
                         f"got {shape_str(weight_hh.shape)}")
    H = weight_hh.shape[1]
    if weight_ih.dim() != 2 or weight_ih.shape[0] != gates * H:
        raise ValueError(f"{who}: expected weight_ih of shape ({gates * H}, I) ({gates}H rows, H = {H} from weight_hh), "
                         f"got {shape_str(weight_ih.shape)}")
    for name, bias in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if bias is not None and tuple(bias.shape) != (gates * H,):
            raise ValueError(f"{who}: expected {name} of shape ({gates * H},) ({gates}H, H = {H} from weight_hh) or "
                             f"None, got {shape_str(bias.shape)}")
    return H, weight_ih.shape[1]


def _check_shape(who: str, name: str, value, expected: tuple, meaning: str) -> None:
    if tuple(value.shape) != tuple(expected):
        raise ValueError(f"{who}: expected {name} of shape {shape_str(expected)} {meaning}, got {shape_str(value.shape)}")


def _check_step(who: str, gates: int, tensors: dict, weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> int:
    """One step's tensors: ``x_t`` (B, I), every other one (B, H); return B."""
    _check_tensors(who, {**tensors, "weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih,
                         "bias_hh": bias_hh}, optional=("bias_ih", "bias_hh"))
    H, I = _check_weights(who, gates, weight_ih, weight_hh, bias_ih, bias_hh)
    x_t = tensors["x_t"]
    if x_t.dim() != 2 or x_t.shape[1] != I:
        raise ValueError(f"{who}: expected x_t of shape (B, {I}) (I = {I} from weight_ih), got {shape_str(x_t.shape)}")
    B = x_t.shape[0]
    for name, value in tensors.items():
        if name != "x_t":
            _check_shape(who, name, value, (B, H), f"(B, H), with B = {B} from x_t and H = {H} from weight_hh")
    return B


def _check_cache(who: str, cache, names: tuple, like: torch.Tensor, shape: tuple, meaning: str) -> dict:
    """A step's ``cache``: a dict with exactly ``names``, each a tensor of ``shape`` and ``like``'s dtype."""
    if not isinstance(cache, dict) or set(cache) != set(names):
        got = f"a dict with keys {sorted(cache)}" if isinstance(cache, dict) else describe(cache)
        raise TypeError(f"{who}: expected cache to be the dict with keys {list(names)} that the forward step "
                        f"returns, got {got}")
    for name in names:
        value = cache[name]
        check_instance(who, f"cache[{name!r}]", value, torch.Tensor, "a torch.Tensor")
        if value.dtype != like.dtype or value.device != like.device:
            raise TypeError(f"{who}: expected cache[{name!r}] of dtype {like.dtype} on {like.device} (like x_t), "
                            f"got {value.dtype} on {value.device}")
        _check_shape(who, f"cache[{name!r}]", value, shape, meaning)
        check_finite_array(who, f"cache[{name!r}]", value)
    return cache


def _check_sequence(who: str, gates: int, x, hx, weight_ih, weight_hh, bias_ih, bias_hh):
    """``x`` (T, B, I) with T >= 1 and the initial state(s), zeros when ``hx`` is None; return the state(s)."""
    check_instance(who, "x", x, torch.Tensor, "a torch.Tensor of shape (T, B, I)")
    check_instance(who, "weight_ih", weight_ih, torch.Tensor, "a torch.Tensor")
    check_instance(who, "weight_hh", weight_hh, torch.Tensor, "a torch.Tensor")
    states = ("h0", "c0") if gates == 4 else ("h0",)
    if hx is not None and gates == 4:
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{who}: expected hx to be a pair (h0, c0) of (B, H) tensors or None, got {describe(hx)}")
    given = {"x": x, "weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih, "bias_hh": bias_hh}
    if hx is not None:
        given.update(zip(states, hx if gates == 4 else (hx,)))
    _check_tensors(who, given, optional=("bias_ih", "bias_hh"))
    H, I = _check_weights(who, gates, weight_ih, weight_hh, bias_ih, bias_hh)
    if x.dim() != 3 or x.shape[2] != I or x.shape[0] == 0:
        raise ValueError(f"{who}: expected x of shape (T, B, {I}) with T >= 1 (time first, I = {I} from weight_ih), "
                         f"got {shape_str(x.shape)}")
    B = x.shape[1]
    if hx is None:
        return tuple(x.new_zeros(B, H) for _ in states)
    for name in states:
        _check_shape(who, name, given[name], (B, H), f"(B, H), with B = {B} from x and H = {H} from weight_hh")
    return tuple(given[name] for name in states)


# ----------------------------------------------------------------------------
# LSTM: one step


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


# ----------------------------------------------------------------------------
# GRU: one step


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


# ----------------------------------------------------------------------------
# Through time


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


_LSTM_CACHE = ("x", "h0", "c0", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "h", "i", "f", "g", "o", "c")
_GRU_CACHE = ("x", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh", "h", "r", "z", "n", "hn")


def _check_sequence_grads(who: str, cache, names: tuple, grads: dict) -> dict:
    """The layer's cache (from the forward function) and the gradients of its outputs, zeros where None."""
    if not isinstance(cache, dict) or set(cache) != set(names):
        got = f"a dict with keys {sorted(cache)}" if isinstance(cache, dict) else describe(cache)
        raise TypeError(f"{who}: expected cache to be the dict that the forward function returns "
                        f"(keys {list(names)}), got {got}")
    output = cache["h"]
    T, B, H = output.shape
    filled = {}
    for name, value in grads.items():
        if value is None and name != "grad_output":
            filled[name] = torch.zeros_like(output[0])
            continue
        check_instance(who, name, value, torch.Tensor, "a torch.Tensor" + ("" if name == "grad_output" else " or None"))
        shape, meaning = ((T, B, H), "(T, B, H), like the output") if name == "grad_output" else ((B, H), "(B, H)")
        _check_shape(who, name, value, shape, meaning)
        if value.dtype != output.dtype or value.device != output.device:
            raise TypeError(f"{who}: expected {name} of dtype {output.dtype} on {output.device} (like the output), "
                            f"got {value.dtype} on {value.device}")
        check_finite_array(who, name, value)
        filled[name] = value
    return filled


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


# ----------------------------------------------------------------------------
# autograd.Functions


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


def lstm_by_hand(x, h0, c0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``(output, h_n, c_n)`` of one LSTM layer on ``x`` (T, B, I), with a hand-written backward."""
    if not isinstance(h0, torch.Tensor) or not isinstance(c0, torch.Tensor):
        raise TypeError(f"lstm_by_hand: expected h0 and c0 to be (B, H) tensors, got {describe(h0)} and {describe(c0)}")
    return LSTMByHand.apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh)


def gru_by_hand(x, h0, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """``(output, h_n)`` of one GRU layer on ``x`` (T, B, I), with a hand-written backward."""
    if not isinstance(h0, torch.Tensor):
        raise TypeError(f"gru_by_hand: expected h0 to be a (B, H) tensor, got {describe(h0)}")
    return GRUByHand.apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh)


# ----------------------------------------------------------------------------
# Products of Jacobians


def _products(jacobians: torch.Tensor) -> torch.Tensor:
    """``jacobians`` (T, B, S, S), entry ``j`` the Jacobian of step j+1; return (T, B, S, S): entry ``k``
    is ``J_T J_{T-1} ... J_{T-k+1}`` (k = 0: the identity), multiplied on the right from ``j = T`` down."""
    T, B, S, _ = jacobians.shape
    products = [torch.eye(S, dtype=jacobians.dtype, device=jacobians.device).expand(B, S, S)]
    for j in range(T - 1, 0, -1):
        products.append(products[-1] @ jacobians[j])
    return torch.stack(products)


def _norm(matrices: torch.Tensor) -> torch.Tensor:
    return torch.linalg.matrix_norm(matrices, ord=2)  # one batched SVD


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
