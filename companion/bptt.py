"""Backpropagation through time written by hand, in torch, and the tools of its chapter.

* :func:`rnn_step_backward`: one step of BPTT (eqs. bptt-adelta, bptt-grads, bptt-delta);
* :class:`RNNByHand` / :func:`rnn_by_hand`: a tanh RNN layer as a ``torch.autograd.Function``
  whose ``backward`` is that step applied from ``t = T`` down to 1, not autograd;
* :func:`jacobian_norms`: ``||∂h_T/∂h_{T-k}||`` for every lag ``k`` (eq. bptt-product);
* :func:`detach_state`, :func:`chunk_lengths`, :func:`run_chunks`: truncated BPTT with the
  hidden state carried from chunk to chunk and detached at the boundaries.

Notation (the book's table), batched with rows as examples: ``x_t`` (B, I),
``h_t`` (B, H), ``W_xh`` (H, I), ``W_hh`` (H, H), ``b_h`` (H,)::

    a_t = x_t W_xhᵀ + h_{t-1} W_hhᵀ + b_h,    h_t = tanh(a_t)
"""

from __future__ import annotations

import numpy as np
import torch

from .checks import (check_bool, check_callable, check_finite_array, check_instance, check_int, check_sequence,
                     describe, shape_str)


def _check_arrays(who: str, arrays: dict) -> None:
    """Each value a NumPy array or a torch tensor of numbers, with no NaN or infinite value."""
    for name, value in arrays.items():
        if not isinstance(value, (np.ndarray, torch.Tensor)):
            raise TypeError(f"{who}: expected {name} to be a NumPy array or a torch.Tensor, got {describe(value)}")
        if isinstance(value, np.ndarray) and value.dtype.kind not in "iuf" or \
                isinstance(value, torch.Tensor) and (value.dtype.is_complex or value.dtype == torch.bool):
            raise TypeError(f"{who}: expected {name} to hold real numbers, got dtype {value.dtype}")
        check_finite_array(who, name, value)
    kinds = {isinstance(value, torch.Tensor) for value in arrays.values()}
    if len(kinds) > 1:
        raise TypeError(f"{who}: expected all of {', '.join(arrays)} to be NumPy arrays or all torch tensors, got "
                        + ", ".join(f"{name} {type(value).__name__}" for name, value in arrays.items()))


def _check_step_shapes(who: str, delta_t, h_t, h_prev, x_t, W_xh, W_hh) -> None:
    if W_hh.ndim != 2 or W_hh.shape[0] != W_hh.shape[1]:
        raise ValueError(f"{who}: expected W_hh of shape (H, H), got {shape_str(W_hh.shape)}")
    H = W_hh.shape[0]
    if W_xh.ndim != 2 or W_xh.shape[0] != H:
        raise ValueError(f"{who}: expected W_xh of shape ({H}, I) (H = {H} from W_hh), got {shape_str(W_xh.shape)}")
    I = W_xh.shape[1]
    if delta_t.ndim not in (1, 2) or delta_t.shape[-1] != H:
        raise ValueError(f"{who}: expected delta_t of shape ({H},) or (B, {H}), got {shape_str(delta_t.shape)}")
    lead = tuple(delta_t.shape[:-1])
    for name, value, size in (("h_t", h_t, H), ("h_prev", h_prev, H), ("x_t", x_t, I)):
        if tuple(value.shape) != lead + (size,):
            raise ValueError(f"{who}: expected {name} of shape {shape_str(lead + (size,))} (like delta_t "
                             f"{shape_str(delta_t.shape)}, with {'I' if name == 'x_t' else 'H'} = {size}), "
                             f"got {shape_str(value.shape)}")


def rnn_step_backward(delta_t, h_t, h_prev, x_t, W_xh, W_hh) -> dict:
    """Gradients through one step ``h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)``.

    ``delta_t`` is δ_t = dL/dh_t, the *total* derivative: what reaches ``h_t`` from its
    own output and from every later step. Works on NumPy arrays and torch tensors,
    unbatched (``delta_t`` (H,), ``x_t`` (I,)) or batched ((B, H), (B, I): the
    parameter gradients are summed over the batch). Returns a dict:

    * ``"W_xh"`` (H, I), ``"W_hh"`` (H, H), ``"b_h"`` (H,): this step's term of the sums (eq. bptt-grads);
    * ``"h_prev"``: ``W_hhᵀ dL/da_t``, what step ``t`` sends back to δ_{t-1} (eq. bptt-delta);
    * ``"x_t"``: ``W_xhᵀ dL/da_t``, the gradient of the input.
    """
    arrays = {"delta_t": delta_t, "h_t": h_t, "h_prev": h_prev, "x_t": x_t, "W_xh": W_xh, "W_hh": W_hh}
    _check_arrays("rnn_step_backward", arrays)
    _check_step_shapes("rnn_step_backward", **arrays)
    return _step_backward(delta_t, h_t, h_prev, x_t, W_xh, W_hh)


def _step_backward(delta_t, h_t, h_prev, x_t, W_xh, W_hh) -> dict:
    """:func:`rnn_step_backward` without the checks (the loop of :class:`RNNByHand` calls it T times)."""
    delta_a = delta_t * (1 - h_t**2)  # dL/da_t: tanh'(a_t) = 1 - h_t²  (eq. bptt-adelta)
    H = delta_a.shape[-1]
    return {
        "W_xh": (delta_a.reshape(-1, H).T @ x_t.reshape(-1, x_t.shape[-1])),  # Σ_batch δa x_tᵀ
        "W_hh": (delta_a.reshape(-1, H).T @ h_prev.reshape(-1, H)),  # Σ_batch δa h_{t-1}ᵀ
        "b_h": delta_a.reshape(-1, H).sum(0),
        "h_prev": delta_a @ W_hh,  # rows: (W_hhᵀ δa)ᵀ
        "x_t": delta_a @ W_xh,
    }


class RNNByHand(torch.autograd.Function):
    """A one-layer tanh RNN whose backward pass is BPTT written by hand.

    ``forward(x, h0, W_xh, W_hh, b_h)``: ``x`` (B, T, I), ``h0`` (B, H); returns the
    hidden states ``hs`` (B, T, H). In ``backward``, ``grad_hs[:, t]`` is the part of
    dL/dh_t that does not pass through ``h_{t+1}`` (from the read-out, for instance);
    the loop adds the part that does, giving δ_t (eq. bptt-delta).
    """

    @staticmethod
    def forward(ctx, x, h0, W_xh, W_hh, b_h):
        _check_rnn_arguments("rnn_by_hand", x, h0, W_xh, W_hh, b_h)
        h, hs = h0, []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ W_xh.T + h @ W_hh.T + b_h)
            hs.append(h)
        hs = torch.stack(hs, dim=1)
        ctx.save_for_backward(x, h0, W_xh, W_hh, hs)
        return hs

    @staticmethod
    def backward(ctx, grad_hs):
        x, h0, W_xh, W_hh, hs = ctx.saved_tensors
        grads = {"W_xh": torch.zeros_like(W_xh), "W_hh": torch.zeros_like(W_hh), "b_h": torch.zeros_like(W_hh[0])}
        grad_x = torch.zeros_like(x)
        from_future = torch.zeros_like(h0)  # W_hhᵀ dL/da_{t+1}; nothing comes after step T
        for t in range(x.shape[1] - 1, -1, -1):
            delta_t = grad_hs[:, t] + from_future  # δ_t, eq. bptt-delta
            h_prev = hs[:, t - 1] if t > 0 else h0
            step = _step_backward(delta_t, hs[:, t], h_prev, x[:, t], W_xh, W_hh)
            for name in grads:
                grads[name] += step[name]
            grad_x[:, t] = step["x_t"]
            from_future = step["h_prev"]
        return grad_x, from_future, grads["W_xh"], grads["W_hh"], grads["b_h"]


def _check_rnn_arguments(who: str, x, h0, W_xh, W_hh, b_h) -> None:
    """``x`` (B, T, I) with T >= 1, ``h0`` (B, H), ``W_xh`` (H, I), ``W_hh`` (H, H), ``b_h`` (H,): floating-point
    tensors of one dtype, finite."""
    given = {"x": x, "h0": h0, "W_xh": W_xh, "W_hh": W_hh, "b_h": b_h}
    for name, value in given.items():
        check_instance(who, name, value, torch.Tensor, "a torch.Tensor")
        if not value.is_floating_point():
            raise TypeError(f"{who}: expected {name} to be a floating-point tensor, got {value.dtype}")
    dtypes = {value.dtype for value in given.values()}
    if len(dtypes) > 1:
        raise TypeError(f"{who}: expected x, h0, W_xh, W_hh and b_h of one dtype, got "
                        + ", ".join(f"{name} {value.dtype}" for name, value in given.items()))
    if W_hh.dim() != 2 or W_hh.shape[0] != W_hh.shape[1]:
        raise ValueError(f"{who}: expected W_hh of shape (H, H), got {shape_str(W_hh.shape)}")
    H = W_hh.shape[0]
    if W_xh.dim() != 2 or W_xh.shape[0] != H:
        raise ValueError(f"{who}: expected W_xh of shape ({H}, I) (H = {H} from W_hh), got {shape_str(W_xh.shape)}")
    I = W_xh.shape[1]
    if tuple(b_h.shape) != (H,):
        raise ValueError(f"{who}: expected b_h of shape ({H},), got {shape_str(b_h.shape)}")
    if x.dim() != 3 or x.shape[2] != I or x.shape[1] == 0:
        raise ValueError(f"{who}: expected x of shape (B, T, {I}) with T >= 1 (I = {I} from W_xh), "
                         f"got {shape_str(x.shape)}")
    if tuple(h0.shape) != (x.shape[0], H):
        raise ValueError(f"{who}: expected h0 of shape ({x.shape[0]}, {H}) (B, H), got {shape_str(h0.shape)}")
    for name, value in given.items():
        check_finite_array(who, name, value)


def rnn_by_hand(x, h0, W_xh, W_hh, b_h):
    """``hs`` (B, T, H) of the tanh RNN on ``x`` (B, T, I) from ``h0`` (B, H), with a hand-written backward."""
    return RNNByHand.apply(x, h0, W_xh, W_hh, b_h)


def jacobian_norms(W_hh: torch.Tensor, hs: torch.Tensor) -> torch.Tensor:
    """Spectral norms ``||∂h_T/∂h_{T-k}||_2`` for ``k = 0 .. T-1`` (eq. bptt-product).

    ``hs`` (T, H) are the states ``h_1 .. h_T`` of one sequence (``hs[-1]`` is h_T).
    ``∂h_T/∂h_{T-k} = ∏_{j=T-k+1}^{T} diag(1 - h_j²) W_hh``, built by multiplying one
    Jacobian per step on the right, from ``j = T`` down. Entry ``k = 0`` is ``||I|| = 1``.
    """
    who = "jacobian_norms"
    check_instance(who, "W_hh", W_hh, torch.Tensor, "a torch.Tensor of shape (H, H)")
    check_instance(who, "hs", hs, torch.Tensor, "a torch.Tensor of shape (T, H)")
    if W_hh.dim() != 2 or W_hh.shape[0] != W_hh.shape[1] or W_hh.shape[0] == 0:
        raise ValueError(f"{who}: expected W_hh of shape (H, H) with H >= 1, got {shape_str(W_hh.shape)}")
    if hs.dim() != 2 or hs.shape[1] != W_hh.shape[0] or hs.shape[0] == 0:
        raise ValueError(f"{who}: expected hs of shape (T, {W_hh.shape[0]}) with T >= 1 (one state per step), "
                         f"got {shape_str(hs.shape)}")
    if not W_hh.is_floating_point() or hs.dtype != W_hh.dtype:
        raise TypeError(f"{who}: expected W_hh and hs of one floating-point dtype, got {W_hh.dtype} and {hs.dtype}")
    check_finite_array(who, "W_hh", W_hh)
    check_finite_array(who, "hs", hs)
    T, H = hs.shape
    products = [torch.eye(H, dtype=W_hh.dtype, device=W_hh.device)]
    for j in range(T - 1, 0, -1):  # hs[j] is h_{j+1}; the Jacobian ∂h_{j+1}/∂h_j
        products.append(products[-1] @ ((1 - hs[j] ** 2).unsqueeze(1) * W_hh))
    return torch.linalg.matrix_norm(torch.stack(products), ord=2)  # one batched SVD


# ----------------------------------------------------------------------------
# Truncated BPTT


def detach_state(state):
    """``state`` cut from the graph that made it: a tensor, or a tuple such as an LSTM's ``(h, c)``."""
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    if not isinstance(state, torch.Tensor):
        raise TypeError(f"detach_state: expected state to be a torch.Tensor, a tuple of them (an LSTM's (h, c)) or "
                        f"None, got {describe(state)}")
    return state.detach()


def chunk_lengths(T: int, chunk_length: int | None, *, randomise: bool = False,
                  generator: torch.Generator | None = None) -> list[int]:
    """Lengths of consecutive chunks that cover ``T`` steps.

    ``chunk_length=None``: one chunk, full BPTT. Fixed: ``[k, k, ..., rest]``.
    ``randomise=True``: each length drawn uniformly from ``1 .. 2k-1`` (mean ``k``, the
    same cost per step as fixed truncation), so some chunks are longer than ``k`` and
    dependencies longer than ``k`` steps sometimes get a gradient.
    """
    who = "chunk_lengths"
    T = check_int(who, "T", T)
    chunk_length = check_int(who, "chunk_length", chunk_length, optional=True)
    check_bool(who, "randomise", randomise)
    if generator is not None:
        check_instance(who, "generator", generator, torch.Generator, "a torch.Generator or None")
    if chunk_length is None:
        if randomise:
            raise ValueError(f"{who}: randomise=True needs a chunk_length (the mean length of a chunk), got None")
        return [T]
    lengths, done = [], 0
    while done < T:
        k = chunk_length
        if randomise:
            k = int(torch.randint(1, 2 * chunk_length, (1,), generator=generator))
        k = min(k, T - done)
        lengths.append(k)
        done += k
    return lengths


def run_chunks(model, x: torch.Tensor, lengths, h=None, *, detach: bool = True):
    """Run ``model`` over ``x`` (B, T, I) chunk by chunk; yield ``(start, stop, output)`` per chunk.

    ``model(x_chunk, h) -> (output, h_n)``. The final state of chunk k is the initial state of
    chunk k+1 (so the outputs equal one long forward pass), and it is detached in between,
    so a loss on chunk k+1 sends no gradient into chunk k. Compute the chunk's loss and call
    ``backward`` before asking for the next chunk. ``detach=False`` keeps the whole graph
    (for comparison only: memory grows with T).
    """
    who = "run_chunks"
    check_callable(who, "model", model, " (called as model(x_chunk, h) -> (output, h_n))")
    check_instance(who, "x", x, torch.Tensor, "a torch.Tensor of shape (B, T, I)")
    if x.dim() < 2 or x.shape[1] == 0:
        raise ValueError(f"{who}: expected x of shape (B, T, I) with T >= 1, got {shape_str(x.shape)}")
    lengths = [check_int(who, f"lengths[{k}]", n) for k, n in
               enumerate(check_sequence(who, "lengths", lengths, expected="a list of chunk lengths", allow_empty=False))]
    if sum(lengths) != x.shape[1]:
        raise ValueError(f"{who}: the chunk lengths must add up to the {x.shape[1]} steps of x, got {lengths} "
                         f"(sum {sum(lengths)})")
    check_bool(who, "detach", detach)
    start = 0
    for n in lengths:
        result = model(x[:, start : start + n], h)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError(f"{who}: expected model(x_chunk, h) to return a pair (output, h_n), got {describe(result)}")
        output, h = result
        yield start, start + n, output
        if detach:
            h = detach_state(h)
        start += n
