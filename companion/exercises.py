"""Auto-checkers for the exercises.

A reader writes a function in a notebook and hands it to a checker::

    from companion.exercises import check_function
    check_function(my_mae, reference=companion.metrics.mae, make_inputs=..., name="mae")

The checker calls the reader's function and the reference on fresh random
inputs and either prints what passed or raises :class:`ExerciseError` with a
message that says which input failed and how: a wrong shape, a wrong value (with
the largest difference and where it is), or an exception from the reader's code.
Chapters define their own ``check_*`` functions on top of :func:`check_function`.
"""

from __future__ import annotations

import numpy as np
import torch


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
        copy = lambda: {k: (v.clone() if isinstance(v, torch.Tensor) else np.copy(v) if isinstance(v, np.ndarray) else v)
                        for k, v in inputs.items()}
        expected = reference(**copy())
        try:
            got = function(**copy())
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


# ----------------------------------------------------------------------------
# The LSTM and GRU chapters


def _article_lstm_reference(x_t, h_prev, c_prev, W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o):
    """The article's LSTM step, via :func:`companion.cells.lstm_step` after splitting [h, x] weights."""
    from .cells import lstm_step

    H = h_prev.shape[0]
    W = torch.from_numpy(np.concatenate([W_i, W_f, W_c, W_o]))  # PyTorch's gate order i, f, g, o
    b = torch.from_numpy(np.concatenate([b_i, b_f, b_c, b_o]))
    x, h, c = (torch.from_numpy(v)[None] for v in (x_t, h_prev, c_prev))
    h_t, c_t = lstm_step(x @ W[:, H:].T + b, h, c, W[:, :H], None)
    return h_t[0].numpy(), c_t[0].numpy()


def _article_lstm_inputs(rng):
    I, H = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    inputs = {"x_t": rng.normal(size=I), "h_prev": rng.normal(size=H), "c_prev": rng.normal(size=H)}
    for gate in "fico":
        inputs[f"W_{gate}"] = rng.normal(size=(H, H + I))
    for gate in "fico":
        inputs[f"b_{gate}"] = rng.normal(size=H)
    return inputs


def check_lstm_step(function, trials: int = 5) -> None:
    """Check ``function(x_t, h_prev, c_prev, W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o) -> (h_t, c_t)``.

    NumPy vectors ``x_t`` (I,), ``h_prev`` and ``c_prev`` (H,); each ``W_·`` is
    (H, H + I) and acts on the concatenation ``[h_{t-1}, x_t]`` (the source
    article's form, eq. lstm-gates); each ``b_·`` is (H,). A message about
    ``lstm_step[0]`` is about ``h_t``, one about ``lstm_step[1]`` about ``c_t``.
    """
    check_function(function, reference=_article_lstm_reference, make_inputs=_article_lstm_inputs,
                   name="lstm_step", trials=trials)


def _gru_reference(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    from .cells import gru_step

    x, h = torch.from_numpy(x_t)[None], torch.from_numpy(h_prev)[None]
    xw = x @ torch.from_numpy(weight_ih).T + torch.from_numpy(bias_ih)
    return gru_step(xw, h, torch.from_numpy(weight_hh), torch.from_numpy(bias_hh))[0].numpy()


def _gru_inputs(rng):
    I, H = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    return {"x_t": rng.normal(size=I), "h_prev": rng.normal(size=H),
            "weight_ih": rng.normal(size=(3 * H, I)), "weight_hh": rng.normal(size=(3 * H, H)),
            "bias_ih": rng.normal(size=3 * H), "bias_hh": rng.normal(size=3 * H)}


def check_gru_step(function, trials: int = 5) -> None:
    """Check ``function(x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh) -> h_t`` against ``torch.nn.GRUCell``'s step.

    NumPy arrays in PyTorch's layout: ``weight_ih`` (3H, I), ``weight_hh`` (3H, H),
    biases (3H,), gate order r, z, n (eq. gru-torch); ``x_t`` (I,), ``h_prev`` (H,).
    """
    check_function(function, reference=_gru_reference, make_inputs=_gru_inputs, name="gru_step", trials=trials)


def _parameter_count_reference(kind):
    def count(input_size, hidden_size, num_layers):
        layer = getattr(torch.nn, kind)(input_size, hidden_size, num_layers=num_layers)
        return sum(p.numel() for p in layer.parameters())
    return count


def _size_inputs(rng):
    return {"input_size": int(rng.integers(1, 50)), "hidden_size": int(rng.integers(1, 50)),
            "num_layers": int(rng.integers(1, 4))}


def check_lstm_parameter_count(function, trials: int = 5) -> None:
    """Check ``function(input_size, hidden_size, num_layers) -> int`` against ``torch.nn.LSTM``'s parameter count."""
    check_function(function, reference=_parameter_count_reference("LSTM"), make_inputs=_size_inputs,
                   name="lstm_parameter_count", trials=trials, atol=0, rtol=0)


def check_gru_parameter_count(function, trials: int = 5) -> None:
    """Check ``function(input_size, hidden_size, num_layers) -> int`` against ``torch.nn.GRU``'s parameter count."""
    check_function(function, reference=_parameter_count_reference("GRU"), make_inputs=_size_inputs,
                   name="gru_parameter_count", trials=trials, atol=0, rtol=0)
