"""A vanilla RNN in NumPy with backpropagation through time written by hand.

For the chapters that derive BPTT: every line of :meth:`NumpyRNN.backward` is
one line of the derivation, and :func:`gradient_check` compares it with
central finite differences.

Model, for one sequence ``x_1 .. x_T`` (column vectors, the book's notation)::

    a_t = W_xh x_t + W_hh h_{t-1} + b_h        (pre-activation, H)
    h_t = tanh(a_t)                             (hidden state, H)
    y_t = W_hy h_t + b_y                        (output, O)
    L   = 1/2 Σ_t ||y_t - y*_t||²               (squared error against targets y*_t)

Shapes: ``xs`` (T, I), ``targets`` (T, O), ``h0`` (H,).
"""

from __future__ import annotations

import math

import numpy as np

from .checks import as_float_array, check_callable, check_instance, check_int, check_real, describe, shape_str

PARAMETER_NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


class NumpyRNN:
    """An Elman RNN with a linear read-out, parameters held as float64 arrays.

    ``NumpyRNN(input_size, hidden_size, output_size, seed=0)`` draws weights
    uniformly from ``(-1/√H, 1/√H)`` as ``torch.nn.RNN`` does;
    :meth:`from_params` takes given arrays instead (the worked examples).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, seed: int = 0):
        input_size = check_int("NumpyRNN", "input_size", input_size)
        hidden_size = check_int("NumpyRNN", "hidden_size", hidden_size)
        output_size = check_int("NumpyRNN", "output_size", output_size)
        seed = check_int("NumpyRNN", "seed", seed, minimum=0)
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(hidden_size)
        I, H, O = input_size, hidden_size, output_size
        shapes = {"W_xh": (H, I), "W_hh": (H, H), "b_h": (H,), "W_hy": (O, H), "b_y": (O,)}
        self.params = {name: rng.uniform(-bound, bound, size=shape) for name, shape in shapes.items()}

    @classmethod
    def from_params(cls, W_xh, W_hh, b_h, W_hy, b_y) -> "NumpyRNN":
        who = "NumpyRNN.from_params"
        given = {name: np.array(as_float_array(who, name, a), dtype=np.float64)  # a copy: the model owns its arrays
                 for name, a in (("W_xh", W_xh), ("W_hh", W_hh), ("b_h", b_h), ("W_hy", W_hy), ("b_y", b_y))}
        W_xh, W_hy = given["W_xh"], given["W_hy"]
        if W_xh.ndim != 2 or 0 in W_xh.shape:
            raise ValueError(f"{who}: expected W_xh of shape (H, I) with H, I >= 1, got {shape_str(W_xh.shape)}")
        H, I = W_xh.shape
        if W_hy.ndim != 2 or W_hy.shape[0] == 0:
            raise ValueError(f"{who}: expected W_hy of shape (O, {H}) with O >= 1, got {shape_str(W_hy.shape)}")
        O = W_hy.shape[0]
        expected = {"W_xh": (H, I), "W_hh": (H, H), "b_h": (H,), "W_hy": (O, H), "b_y": (O,)}
        for name, array in given.items():
            if array.shape != expected[name]:
                raise ValueError(
                    f"NumpyRNN.from_params: expected {name} of shape {expected[name]} "
                    f"(from W_xh (H, I) and W_hy (O, H)), got {array.shape}"
                )
        model = cls.__new__(cls)
        model.params = given
        return model

    @property
    def sizes(self) -> tuple[int, int, int]:
        """``(I, H, O)``."""
        H, I = self.params["W_xh"].shape
        return I, H, self.params["W_hy"].shape[0]

    def _check(self, xs, targets=None, h0=None):
        I, H, O = self.sizes
        xs = as_float_array("NumpyRNN", "xs", xs)
        if xs.ndim != 2 or xs.shape[1] != I or xs.shape[0] == 0:
            raise ValueError(f"NumpyRNN: expected xs of shape (T, {I}) with T >= 1, got {xs.shape}")
        if targets is not None:
            targets = as_float_array("NumpyRNN", "targets", targets)
            if targets.shape != (xs.shape[0], O):
                raise ValueError(f"NumpyRNN: expected targets of shape ({xs.shape[0]}, {O}) (T, O), got {targets.shape}")
        h0 = np.zeros(H) if h0 is None else as_float_array("NumpyRNN", "h0", h0)
        if h0.shape != (H,):
            raise ValueError(f"NumpyRNN: expected h0 of shape ({H},), got {h0.shape}")
        return xs, targets, h0

    def forward(self, xs, h0=None):
        """Return ``(hs, ys)``: hs (T+1, H) with ``hs[0] = h0``, ys (T, O)."""
        xs, _, h0 = self._check(xs, None, h0)
        p = self.params
        hs = [h0]
        for x_t in xs:
            hs.append(np.tanh(p["W_xh"] @ x_t + p["W_hh"] @ hs[-1] + p["b_h"]))
        hs = np.stack(hs)
        ys = hs[1:] @ p["W_hy"].T + p["b_y"]
        return hs, ys

    def loss(self, xs, targets, h0=None) -> float:
        """``L = 1/2 Σ_t ||y_t - y*_t||²``."""
        if targets is None:
            raise TypeError("NumpyRNN: expected targets of shape (T, O), got None; loss needs the targets")
        xs, targets, h0 = self._check(xs, targets, h0)
        _, ys = self.forward(xs, h0)
        return 0.5 * float(np.sum((ys - targets) ** 2))

    def backward(self, xs, targets, h0=None) -> dict[str, np.ndarray]:
        """Gradients of :meth:`loss` by BPTT: one array per parameter, and ``"h0"``.

        Walking back from ``t = T``: ``δ_t = ∂L/∂h_t`` collects the error from
        the output at ``t`` and from the future through ``W_hh``:
        ``δ_t = W_hyᵀ (y_t - y*_t) + W_hhᵀ ((1 - h_{t+1}²) ⊙ δ_{t+1})``.
        """
        if targets is None:
            raise TypeError("NumpyRNN: expected targets of shape (T, O), got None; backward needs the targets")
        xs, targets, h0 = self._check(xs, targets, h0)
        p = self.params
        hs, ys = self.forward(xs, h0)
        grads = {name: np.zeros_like(value) for name, value in p.items()}
        delta_from_future = np.zeros_like(h0)  # W_hhᵀ ∂L/∂a_{t+1}; zero after the last step
        for t in range(xs.shape[0] - 1, -1, -1):
            h_t, h_prev = hs[t + 1], hs[t]
            dy = ys[t] - targets[t]  # ∂L/∂y_t
            grads["W_hy"] += np.outer(dy, h_t)
            grads["b_y"] += dy
            dh = p["W_hy"].T @ dy + delta_from_future  # δ_t = ∂L/∂h_t (total derivative)
            da = dh * (1.0 - h_t**2)  # ∂L/∂a_t, since tanh' = 1 - tanh²
            grads["W_xh"] += np.outer(da, xs[t])
            grads["W_hh"] += np.outer(da, h_prev)
            grads["b_h"] += da
            delta_from_future = p["W_hh"].T @ da
        grads["h0"] = delta_from_future
        return grads


def numerical_gradient(f, array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(θ+ε) - f(θ-ε)) / 2ε`` of the scalar ``f()`` in every entry of ``array``.

    ``array`` is changed in place and restored, so ``f`` sees the perturbed value.
    """
    who = "numerical_gradient"
    check_callable(who, "f", f, " (called as f() -> a number)")
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        raise TypeError(f"{who}: expected array to be a NumPy array of floats (changed in place, so f sees it), "
                        f"got {describe(array)}")
    eps = check_real(who, "eps", eps, above=0)
    grad = np.zeros_like(array)
    it = np.nditer(array, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = array[i]
        try:
            array[i] = old + eps
            plus = _value_of(who, f)
            array[i] = old - eps
            minus = _value_of(who, f)
        finally:
            array[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def _value_of(who: str, f) -> float:
    """``f()`` as a finite float; a clear error when it is not one number."""
    value = f()
    size = value.numel() if hasattr(value, "numel") else np.size(value) if isinstance(value, np.ndarray) else 1
    if isinstance(value, (bool, np.bool_, str, bytes)) or size != 1:
        raise TypeError(f"{who}: expected f() to return one number, got {describe(value)}")
    try:
        value = float(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: expected f() to return one number, got {describe(value)}") from None
    if not math.isfinite(value):
        raise ValueError(f"{who}: expected f() to return a finite number, got {value}")
    return value


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / (||a|| + ||b||)`` (Frobenius norms); 0 when both are zero."""
    a, b = as_float_array("relative_error", "a", a), as_float_array("relative_error", "b", b)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: expected a and b of the same shape, got {shape_str(a.shape)} and "
                         f"{shape_str(b.shape)}")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale > 0 else 0.0


def gradient_check(model: NumpyRNN, xs, targets, h0=None, eps: float = 1e-6) -> dict[str, float]:
    """Relative error between :meth:`NumpyRNN.backward` and finite differences, per parameter and ``h0``."""
    check_instance("gradient_check", "model", model, NumpyRNN, "a NumpyRNN")
    eps = check_real("gradient_check", "eps", eps, above=0)
    if targets is None:
        raise TypeError("gradient_check: expected targets of shape (T, O), got None")
    xs, targets, h0 = model._check(xs, targets, h0)
    h0 = h0.copy()
    analytic = model.backward(xs, targets, h0)
    errors = {}
    for name in PARAMETER_NAMES:
        numeric = numerical_gradient(lambda: model.loss(xs, targets, h0), model.params[name], eps)
        errors[name] = relative_error(analytic[name], numeric)
    numeric_h0 = numerical_gradient(lambda: model.loss(xs, targets, h0), h0, eps)
    errors["h0"] = relative_error(analytic["h0"], numeric_h0)
    return errors
