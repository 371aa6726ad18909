"""Auto-checkers for the exercises.

A reader writes a function in a notebook and hands it to a checker::

    from companion.exercises import check_function
    check_function(my_mae, reference=companion.metrics.mae, make_inputs=..., name="mae")

The checker calls the reader's function and the reference on fresh random
inputs and either prints what passed or raises :class:`ExerciseError` with a
message that says which input failed and how: a wrong shape, a wrong value (with
the largest difference and where it is), or an exception from the reader's code.
Chapters define their own ``check_*`` functions on top of :func:`check_function`:

* sequences and time series: :func:`check_mase`, :func:`check_seasonal_naive`;
* sequence to sequence: :func:`check_modified_precision`, :func:`check_brevity_penalty`,
  :func:`check_length_normalized_score`;
* attention: :func:`check_additive_scores`, :func:`check_scaled_dot_product_attention`.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from .bptt import rnn_step_backward


class ExerciseError(AssertionError):
    """The reader's function disagrees with the reference; the message says how."""


def _as_array(value, what: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ExerciseError(f"{what} must be a number, an array or a tensor, got {type(value).__name__}") from error


def _describe(inputs) -> str:
    parts = []
    for name, value in inputs.items():
        if isinstance(value, (np.ndarray, torch.Tensor)):
            parts.append(f"{name}: {type(value).__name__} of shape {tuple(value.shape)}")
        else:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


def compare(got, expected, *, what: str, atol: float, rtol: float) -> None:
    """Raise :class:`ExerciseError` unless ``got`` equals ``expected`` in shape and, within tolerance, in value.

    ``got`` and ``expected`` may be numbers, arrays, tensors, or tuples/lists/dicts of them.
    """
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            raise ExerciseError(f"{what}: expected a dict with keys {sorted(expected)}, got {got!r:.200}")
        for key in expected:
            compare(got[key], expected[key], what=f"{what}[{key!r}]", atol=atol, rtol=rtol)
        return
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise ExerciseError(f"{what}: expected a {type(expected).__name__} of {len(expected)} values, got {got!r:.200}")
        for i, (g, e) in enumerate(zip(got, expected)):
            compare(g, e, what=f"{what}[{i}]", atol=atol, rtol=rtol)
        return
    g, e = _as_array(got, what), _as_array(expected, "the reference")
    if g.shape != e.shape:
        raise ExerciseError(f"{what}: expected shape {e.shape}, got {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ExerciseError(f"{what}: contains NaN or infinite values")
    if not np.allclose(g, e, atol=atol, rtol=rtol):
        diff = np.abs(g - e)
        if diff.ndim == 0:  # a single number: no index to report
            raise ExerciseError(f"{what}: wrong value; expected {e:.6g}, got {g:.6g} (difference {diff:.3g})")
        where = np.unravel_index(np.argmax(diff), diff.shape) if diff.ndim else ()
        raise ExerciseError(
            f"{what}: wrong value; largest difference {diff.max():.3g} at index {tuple(int(i) for i in where)} "
            f"(expected {e[where]:.6g}, got {g[where]:.6g})"
        )


def check_function(function, *, reference, make_inputs, name: str, trials: int = 5, seed: int | None = None,
                   atol: float = 1e-8, rtol: float = 1e-6, quiet: bool = False) -> None:
    """Check ``function(**inputs)`` against ``reference(**inputs)`` on ``trials`` random inputs.

    ``make_inputs(rng)`` draws one set of keyword arguments from a NumPy
    ``Generator``. Each call gets its own copy of the inputs, so a function that
    changes its arguments in place cannot hide it. ``seed=None`` draws fresh inputs
    on every call.
    """
    rng = np.random.default_rng(seed)
    for trial in range(1, trials + 1):
        inputs = make_inputs(rng)
        expected = reference(**copy.deepcopy(inputs))  # deep: lists of arrays are copied too
        try:
            got = function(**copy.deepcopy(inputs))
        except Exception as error:  # the reader's code failed: say where, keep the traceback
            raise ExerciseError(
                f"{name}: your function raised {type(error).__name__}: {error} (trial {trial}, inputs {_describe(inputs)})"
            ) from error
        try:
            compare(got, expected, what=f"{name}", atol=atol, rtol=rtol)
        except ExerciseError as error:
            raise ExerciseError(f"{error} (trial {trial}, inputs {_describe(inputs)})") from None
    if not quiet:
        print(f"{name}: correct on {trials} random inputs.")


# --- Sequences and time series ------------------------------------------------------------


def _forecast_inputs(rng):
    """A training series with trend and season, a horizon that is rarely a whole number of seasons."""
    m = int(rng.choice([1, 4, 7, 12]))
    n = int(rng.integers(m + 5, 60))
    t = np.arange(n)
    y_train = 0.1 * t + np.sin(2 * np.pi * t / m) + rng.normal(scale=0.5, size=n)
    horizon = int(rng.integers(1, 3 * m + 3))
    return y_train, horizon, m


def check_mase(function, trials: int = 5) -> None:
    """Check the reader's ``function(y_true, y_pred, y_train, m)`` against :func:`companion.metrics.mase`.

    The inputs mix season lengths ``m`` in {1, 4, 7, 12}, so a function that scales by the
    naive forecast (``m = 1``) whatever ``m`` is, or by out-of-sample errors, is caught.
    """
    from .metrics import mase

    def make_inputs(rng):
        y_train, horizon, m = _forecast_inputs(rng)
        y_true = y_train[-1] + rng.normal(size=horizon)
        return {"y_true": y_true, "y_pred": y_true + rng.normal(scale=0.7, size=horizon), "y_train": y_train, "m": m}

    check_function(function, reference=mase, make_inputs=make_inputs, name="mase", trials=trials)


def check_seasonal_naive(function, trials: int = 5) -> None:
    """Check the reader's ``function(y_train, horizon, m)`` against :func:`companion.baselines.seasonal_naive_forecast`.

    Horizons are often longer than one season and not a multiple of ``m``, so the forecast
    must repeat the last season as often as needed and stop part-way through it.
    """
    from .baselines import seasonal_naive_forecast

    def make_inputs(rng):
        y_train, horizon, m = _forecast_inputs(rng)
        return {"y_train": y_train, "horizon": horizon, "m": m}

    check_function(function, reference=seasonal_naive_forecast, make_inputs=make_inputs,
                   name="seasonal_naive", trials=trials)


# ----------------------------------------------------------------------------
# Backpropagation through time


def _rnn_step_inputs(rng):
    """One tanh RNN step of random sizes, and a random δ_t = dL/dh_t for it (NumPy, unbatched)."""
    I, H = (int(v) for v in rng.integers(1, 6, size=2))
    W_xh, W_hh = rng.normal(size=(H, I)) * 0.7, rng.normal(size=(H, H)) * 0.7
    x_t, h_prev, b_h = rng.normal(size=I), np.tanh(rng.normal(size=H)), rng.normal(size=H) * 0.3
    h_t = np.tanh(W_xh @ x_t + W_hh @ h_prev + b_h)
    return {"delta_t": rng.normal(size=H), "h_t": h_t, "h_prev": h_prev, "x_t": x_t, "W_xh": W_xh, "W_hh": W_hh}


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
    """A few arrays of random shapes; the norm limit is below their global norm in most draws."""
    grads = [rng.normal(size=tuple(rng.integers(1, 5, size=int(rng.integers(1, 3))))) * 10.0 ** rng.uniform(-1, 2)
             for _ in range(int(rng.integers(1, 4)))]
    total = np.sqrt(sum(float(np.sum(g**2)) for g in grads))
    return {"grads": grads, "max_norm": float(total * rng.choice([0.1, 0.5, 2.0]))}


def check_clip_grad_norm(function, trials: int = 8) -> None:
    """Check ``function(grads, max_norm)``: ``grads`` a list of NumPy arrays, returning the
    list rescaled so that their global norm is at most ``max_norm``, as
    ``torch.nn.utils.clip_grad_norm_`` does (within its 1e-6 guard against dividing by zero).
    """
    check_function(function, reference=_reference_clip_grad_norm, make_inputs=_gradient_list,
                   name="clip_grad_norm", trials=trials, rtol=1e-5)


# ----------------------------------------------------------------------------
# Sequence to sequence and attention


def _token_lists(rng):
    """A hypothesis and a reference over a 4-word vocabulary, so n-grams repeat and match often."""
    words = np.array(["one", "two", "three", "hundred"])
    hypothesis = list(words[rng.integers(0, 4, size=int(rng.integers(1, 9)))])
    reference = list(words[rng.integers(0, 4, size=int(rng.integers(1, 9)))])
    return {"hypothesis": hypothesis, "reference": reference, "n": int(rng.integers(1, 4))}


def check_modified_precision(function, trials: int = 20) -> None:
    """Check ``function(hypothesis, reference, n) -> (matches, total)`` for token lists, against
    :func:`companion.metrics.modified_precision`: matches are *clipped* by the reference's counts."""
    from .metrics import modified_precision

    check_function(function, reference=modified_precision, make_inputs=_token_lists,
                   name="modified_precision", trials=trials)


def check_brevity_penalty(function, trials: int = 20) -> None:
    """Check ``function(hyp_len, ref_len)`` against :func:`companion.metrics.brevity_penalty`,
    on lengths shorter than, equal to and longer than the reference, and on an empty output."""
    from .metrics import brevity_penalty

    def make_inputs(rng):
        ref_len = int(rng.integers(1, 50))
        return {"hyp_len": int(rng.choice([0, ref_len, rng.integers(1, 100)])), "ref_len": ref_len}

    check_function(function, reference=brevity_penalty, make_inputs=make_inputs, name="brevity_penalty",
                   trials=trials)


def check_length_normalized_score(function, trials: int = 10) -> None:
    """Check ``function(log_prob, length, alpha)`` against :func:`companion.seq2seq.length_normalized_score`."""
    from .seq2seq import length_normalized_score

    def make_inputs(rng):
        return {"log_prob": float(-rng.exponential(5.0)), "length": int(rng.integers(1, 20)),
                "alpha": float(rng.choice([0.0, 0.6, 1.0, rng.uniform(0, 2)]))}

    check_function(function, reference=length_normalized_score, make_inputs=make_inputs,
                   name="length_normalized_score", trials=trials)


def _reference_additive_scores(query, keys, W_q, W_k, v):
    return np.tanh(keys @ W_k.T + W_q @ query) @ v


def check_additive_scores(function, trials: int = 5) -> None:
    """Check ``function(query, keys, W_q, W_k, v)``: Bahdanau's scores ``v^T tanh(W_q q + W_k k_j)``
    for one query (Q,) and keys (S, K), with W_q (A, Q), W_k (A, K), v (A,); returns (S,)."""
    def make_inputs(rng):
        Q, K, A, S = (int(x) for x in rng.integers(2, 7, size=4))
        return {"query": rng.normal(size=Q), "keys": rng.normal(size=(S, K)), "W_q": rng.normal(size=(A, Q)),
                "W_k": rng.normal(size=(A, K)), "v": rng.normal(size=A)}

    check_function(function, reference=_reference_additive_scores, make_inputs=make_inputs,
                   name="additive_scores", trials=trials)


def _reference_attention(Q, K, V):
    scores = Q @ K.T / np.sqrt(K.shape[1])
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    return (weights / weights.sum(axis=1, keepdims=True)) @ V


def check_scaled_dot_product_attention(function, trials: int = 5) -> None:
    """Check ``function(Q, K, V)``: ``softmax(Q K^T / sqrt(d)) V`` for Q (T, d), K (S, d), V (S, d_v),
    the softmax over the S keys of each query; returns (T, d_v). Large scores test the stability."""
    def make_inputs(rng):
        T, S, d, d_v = (int(x) for x in rng.integers(1, 7, size=4))
        return {"Q": rng.normal(size=(T, d)) * 10, "K": rng.normal(size=(S, d)) * 10, "V": rng.normal(size=(S, d_v))}

    check_function(function, reference=_reference_attention, make_inputs=make_inputs,
                   name="scaled_dot_product_attention", trials=trials)
