"""Checker of the chapter on backpropagation through the LSTM and the GRU: one GRU step's backward pass."""

from __future__ import annotations

import numpy as np
import torch

from ..gated_bptt import gru_step_backward, gru_step_forward
from .core import _checker, check_function

_GRADIENTS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "x_t", "h_prev")


def _reference_gru_step_backward(dh_t, x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """:func:`companion.gated_bptt.gru_step_backward` on a batch of one, in NumPy."""
    t = {name: torch.from_numpy(np.asarray(v, dtype=np.float64)) for name, v in
         (("dh_t", dh_t), ("x_t", x_t), ("h_prev", h_prev), ("weight_ih", weight_ih), ("weight_hh", weight_hh),
          ("bias_ih", bias_ih), ("bias_hh", bias_hh))}
    _, cache = gru_step_forward(t["x_t"][None], t["h_prev"][None], t["weight_ih"], t["weight_hh"], t["bias_ih"],
                                t["bias_hh"])
    grads = gru_step_backward(t["dh_t"][None], t["x_t"][None], t["h_prev"][None], t["weight_ih"], t["weight_hh"], cache)
    return {name: (grads[name][0] if name in ("x_t", "h_prev") else grads[name]).numpy() for name in _GRADIENTS}


def _gru_backward_inputs(rng):
    """One GRU step of random sizes (I, H from 1 to 5) and a random δ_t = d𝓛/dh_t (NumPy, unbatched)."""
    I, H = (int(v) for v in rng.integers(1, 6, size=2))
    return {"dh_t": rng.normal(size=H), "x_t": rng.normal(size=I), "h_prev": np.tanh(rng.normal(size=H)),
            "weight_ih": rng.normal(size=(3 * H, I)) * 0.7, "weight_hh": rng.normal(size=(3 * H, H)) * 0.7,
            "bias_ih": rng.normal(size=3 * H) * 0.5, "bias_hh": rng.normal(size=3 * H) * 0.5}


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _wrong_gru_step_backward(dh_t, x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, *, mistake: str) -> dict:
    """The backward pass of one GRU step with one typical ``mistake`` (NumPy, unbatched)."""
    H = h_prev.shape[0]
    gi, gh = weight_ih @ x_t + bias_ih, weight_hh @ h_prev + bias_hh
    r, z = _sigmoid(gi[:H] + gh[:H]), _sigmoid(gi[H:2 * H] + gh[H:2 * H])
    hn = gh[2 * H:]
    n = np.tanh(gi[2 * H:] + r * hn)
    keep = 1 - z if mistake == "swapped z" else z  # the share of h_{t-1} that h_t keeps
    dn = dh_t * (z if mistake in ("swapped z", "z for 1 - z") else 1 - z)
    dz = dh_t * ((n - h_prev) if mistake == "swapped z" else (h_prev - n))
    da_n = dn * (1 - n**2)
    da_r = np.zeros(H) if mistake == "no reset path" else da_n * hn * r * (1 - r)
    da_z = dz * z * (1 - z)
    d_gi = np.concatenate([da_r, da_z, da_n])
    d_gh = np.concatenate([da_r, da_z, da_n if mistake == "no r on hn" else da_n * r])
    direct = np.zeros(H) if mistake == "no direct path" else dh_t * keep
    return {"weight_ih": np.outer(d_gi, x_t), "weight_hh": np.outer(d_gh, h_prev), "bias_ih": d_gi, "bias_hh": d_gh,
            "x_t": weight_ih.T @ d_gi, "h_prev": direct + weight_hh.T @ d_gh}


def _mistake(name: str):
    return lambda **inputs: _wrong_gru_step_backward(**inputs, mistake=name)


_GRU_BACKWARD_MISTAKES = (
    (_mistake("no reset path"),
     "the reset gate gets no gradient: n_t = tanh(W_xn x_t + b_xn + r_t ⊙ (W_hn h_{t-1} + b_hn)) depends on r_t, "
     "so d𝓛/dr_t = d𝓛/da_n ⊙ (W_hn h_{t-1} + b_hn) (the r_t ⊙ (W_hn h + b_hn) path is missing)"),
    (_mistake("no r on hn"),
     "the gradient of W_hn h_{t-1} + b_hn is not multiplied by r_t: the reset gate scales the recurrent part of "
     "the candidate, so the n block of bias_hh and weight_hh (and what reaches h_prev through it) carries r_t"),
    (_mistake("z for 1 - z"),
     "z_t is used instead of 1 - z_t: in PyTorch's GRU h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}, so "
     "d𝓛/dn_t = (1 - z_t) ⊙ δ_t"),
    (_mistake("swapped z"),
     "this is the backward pass of h_t = z_t ⊙ n_t + (1 - z_t) ⊙ h_{t-1}, the source articles' convention; "
     "PyTorch's GRU keeps z_t ⊙ h_{t-1} and writes (1 - z_t) ⊙ n_t"),
    (_mistake("no direct path"),
     "h_prev misses the direct path z_t ⊙ δ_t: h_t = ... + z_t ⊙ h_{t-1} copies part of h_{t-1}, besides the "
     "paths through the gates and the candidate"),
)


@_checker
def check_gru_step_backward(function, trials: int = 5) -> None:
    """Check ``function(dh_t, x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh) -> dict``: the backward
    pass of one step of PyTorch's GRU (eqs. gru-gates, gru-torch), given δ_t = d𝓛/dh_t.

    NumPy arrays, unbatched: ``dh_t`` and ``h_prev`` (H,), ``x_t`` (I,), weights in PyTorch's
    layout (``weight_ih`` (3H, I), ``weight_hh`` (3H, H), biases (3H,), gate order r, z, n). The
    function recomputes the step's gates itself and returns a dict with the gradients
    ``"weight_ih"``, ``"weight_hh"``, ``"bias_ih"``, ``"bias_hh"``, ``"x_t"`` and ``"h_prev"``, as
    :func:`companion.gated_bptt.gru_step_backward` does. A message names the gradient that is
    wrong, where, and the typical mistake it matches, if any.
    """
    check_function(function, reference=_reference_gru_step_backward, make_inputs=_gru_backward_inputs,
                   name="gru_step_backward", trials=trials, mistakes=_GRU_BACKWARD_MISTAKES)
