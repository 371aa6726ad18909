"""Backpropagation through the LSTM and the GRU, written by hand in torch.

=========  ==========================================================================
module     what it holds
=========  ==========================================================================
``lstm``   the LSTM: one step forward, backward and its Jacobian; a whole sequence;
           ``LSTMByHand``; ``lstm_jacobian_norms``
``gru``    the same for the GRU (PyTorch's formulation)
``common`` the argument checks they share, and products of step Jacobians
=========  ==========================================================================

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

from .gru import (GRU_GATES, GRUByHand, gru_backward, gru_by_hand, gru_forward, gru_jacobian_norms, gru_step_backward,
                  gru_step_forward, gru_step_jacobian)
from .lstm import (LSTM_GATES, LSTMByHand, lstm_backward, lstm_by_hand, lstm_forward, lstm_jacobian_norms,
                   lstm_step_backward, lstm_step_forward, lstm_step_jacobian)

__all__ = [
    "lstm_step_forward", "lstm_step_backward", "lstm_step_jacobian", "lstm_forward", "lstm_backward", "LSTMByHand",
    "lstm_by_hand", "lstm_jacobian_norms", "LSTM_GATES",
    "gru_step_forward", "gru_step_backward", "gru_step_jacobian", "gru_forward", "gru_backward", "GRUByHand",
    "gru_by_hand", "gru_jacobian_norms", "GRU_GATES",
]
