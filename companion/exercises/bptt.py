"""Checkers of the backpropagation-through-time chapter: one step's backward pass, gradient clipping."""

from __future__ import annotations

import numpy as np
import torch

from ..bptt import rnn_step_backward
from .core import _checker, check_function


def _rnn_step_inputs(rng):
    """One tanh RNN step of random sizes, and a random δ_t = dL/dh_t for it (NumPy, unbatched)."""
    I, H = (int(v) for v in rng.integers(1, 6, size=2))
    W_xh, W_hh = rng.normal(size=(H, I)) * 0.7, rng.normal(size=(H, H)) * 0.7
    x_t, h_prev, b_h = rng.normal(size=I), np.tanh(rng.normal(size=H)), rng.normal(size=H) * 0.3
    h_t = np.tanh(W_xh @ x_t + W_hh @ h_prev + b_h)
    return {"delta_t": rng.normal(size=H), "h_t": h_t, "h_prev": h_prev, "x_t": x_t, "W_xh": W_xh, "W_hh": W_hh}


@_checker
def check_rnn_step_backward(function, trials: int = 5) -> None:
    """Check ``function(delta_t, h_t, h_prev, x_t, W_xh, W_hh)``: one step of BPTT for
    ``h_t = tanh(W_xh x_t + W_hh h_prev + b_h)``, given δ_t = dL/dh_t (NumPy vectors).

    It must return a dict with the gradients ``"W_xh"``, ``"W_hh"``, ``"b_h"`` of this step
    and the vectors ``"h_prev"`` (sent back to step t-1) and ``"x_t"``, as
    :func:`companion.bptt.rnn_step_backward` does.
    """
    check_function(function, reference=rnn_step_backward, make_inputs=_rnn_step_inputs,
                   name="rnn_step_backward", trials=trials)


def _reference_clip_grad_norm(grads, max_norm):
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
    torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    return [t.grad.numpy() for t in tensors]


def _gradient_list(rng):
    """A few arrays of random shapes; the norm limit is below their global norm in most draws.

    The global norm is drawn from [1, 100]: at smaller norms torch's 1e-6 guard in
    ``max_norm / (norm + 1e-6)`` alone would exceed the checker's tolerance.
    """
    grads = [rng.normal(size=tuple(rng.integers(1, 5, size=int(rng.integers(1, 3)))))
             for _ in range(int(rng.integers(1, 4)))]
    norm = np.sqrt(sum(float(np.sum(g**2)) for g in grads))
    total = 10.0 ** rng.uniform(0, 2)
    grads = [g * (total / norm) for g in grads]
    return {"grads": grads, "max_norm": float(total * rng.choice([0.1, 0.5, 2.0]))}


@_checker
def check_clip_grad_norm(function, trials: int = 8) -> None:
    """Check ``function(grads, max_norm)``: ``grads`` a list of NumPy arrays, returning the
    list rescaled so that their global norm is at most ``max_norm``, as
    ``torch.nn.utils.clip_grad_norm_`` does (within its 1e-6 guard against dividing by zero).
    """
    check_function(function, reference=_reference_clip_grad_norm, make_inputs=_gradient_list,
                   name="clip_grad_norm", trials=trials, rtol=1e-5)
