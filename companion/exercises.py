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


# -- variable-length sequences (the deep and bidirectional RNNs chapter) -------------------------


def _random_lengths(rng, B: int, T: int) -> torch.Tensor:
    """(B,) lengths in 1..T, at least one of them T and at least one shorter, when B > 1."""
    lengths = rng.integers(1, T + 1, size=B)
    lengths[rng.integers(B)] = T
    if B > 1 and T > 1 and (lengths == T).all():
        lengths[0] = rng.integers(1, T)
    return torch.as_tensor(lengths, dtype=torch.int64)


def _padded_inputs(rng, garbage: bool):
    """A padded batch-first batch (B, T, F) with its lengths; the padding holds large garbage."""
    B, T, F = int(rng.integers(2, 6)), int(rng.integers(3, 9)), int(rng.integers(1, 4))
    lengths = _random_lengths(rng, B, T)
    x = torch.as_tensor(rng.normal(size=(B, T, F)))
    if garbage:
        from .masking import lengths_to_mask

        pad = ~lengths_to_mask(lengths, T)
        x[pad] = torch.as_tensor(rng.uniform(50, 100, size=(int(pad.sum()), F)))
    return x, lengths


def check_lengths_to_mask(function) -> None:
    """Check ``function(lengths) -> mask``: lengths (B,) int64 -> bool (B, max(lengths)), True on real steps."""
    from .masking import lengths_to_mask

    def as_checked(lengths):
        mask = function(lengths)
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            what = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
            raise TypeError(f"expected a torch.bool tensor, got {what}; a comparison such as a < b gives one")
        return mask.double()

    def make_inputs(rng):
        return {"lengths": _random_lengths(rng, int(rng.integers(1, 6)), int(rng.integers(1, 9)))}

    check_function(as_checked, reference=lambda lengths: lengths_to_mask(lengths).double(),
                   make_inputs=make_inputs, name="lengths_to_mask")


def check_masked_mse(function) -> None:
    """Check ``function(prediction, target, lengths)``: the MSE over real steps only (padding holds garbage)."""
    from .masking import masked_mse

    def make_inputs(rng):
        prediction, lengths = _padded_inputs(rng, garbage=True)
        target = torch.as_tensor(rng.normal(size=tuple(prediction.shape)))
        return {"prediction": prediction, "target": target, "lengths": lengths}

    check_function(function, reference=lambda prediction, target, lengths: masked_mse(prediction, target, lengths),
                   make_inputs=make_inputs, name="masked_mse")


def check_reverse_padded(function) -> None:
    """Check ``function(x, lengths)``: each sequence of (B, T, F) reversed within its length, padding in place."""
    from .masking import reverse_padded

    def make_inputs(rng):
        x, lengths = _padded_inputs(rng, garbage=True)
        return {"x": x, "lengths": lengths}

    check_function(function, reference=reverse_padded, make_inputs=make_inputs, name="reverse_padded")
