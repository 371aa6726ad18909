"""The checking machinery behind every exercise checker.

A reader writes a function in a notebook and hands it to a checker::

    from companion.exercises import check_function
    check_function(my_mae, reference=companion.metrics.mae, make_inputs=..., name="mae")

The checker calls the reader's function and the reference on fresh random
inputs and either prints what passed or raises :class:`ExerciseError` with a
message that says which input failed and how: a wrong shape, a wrong value (with
the largest difference and where it is), or an exception from the reader's code.
Each chapter's ``check_*`` functions are built on :func:`check_function` in a module of
this package named for the chapter (``sequences``, ``bptt``, ``gated``, ``variable_length``,
``deep``, ``gated_bptt``, ``seq2seq``, ``attention``); ``companion.exercises`` re-exports all of them.

Every chapter checker also takes a keyword ``seed``: ``None`` (the default) draws fresh
inputs on every call; an integer draws the same inputs every time (a test, or a reader who
wants to reproduce a failure). Where a checker knows a typical mistake, a wrong answer that
equals what that mistake gives is named as such in the message.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import inspect

import numpy as np
import torch

from ..checks import check_bool, check_callable, check_int, check_real, describe


class ExerciseError(AssertionError):
    """The reader's function disagrees with the reference; the message says how."""


def _as_array(value, what: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, (str, bytes)):  # np.asarray("1", dtype=float) would read it as the number 1
        raise ExerciseError(f"{what}: expected a number, an array or a tensor, got {describe(value)}")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ExerciseError(f"{what}: expected a number, an array or a tensor, got {describe(value)}") from error


def _describe(inputs) -> str:
    parts = []
    for name, value in inputs.items():
        if isinstance(value, (np.ndarray, torch.Tensor)):
            parts.append(f"{name}: {type(value).__name__} of shape {tuple(value.shape)}")
        else:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


def _expected(expected) -> str:
    """What the reference returned, in words, for a message: ``a dict with keys [...]``, ``an array of shape (3,)``."""
    if isinstance(expected, dict):
        return f"a dict with keys {sorted(expected)}"
    if isinstance(expected, (tuple, list)):
        return f"a {type(expected).__name__} of {len(expected)} values"
    if isinstance(expected, (np.ndarray, torch.Tensor)) and expected.ndim > 0:
        return f"an array of shape {tuple(expected.shape)}"
    return "a number"


def compare(got, expected, *, what: str, atol: float, rtol: float) -> None:
    """Raise :class:`ExerciseError` unless ``got`` equals ``expected`` in shape and, within tolerance, in value.

    ``got`` and ``expected`` may be numbers, arrays, tensors, or tuples/lists/dicts of them.
    ``None`` in ``got`` is reported as such (never read as NaN).
    """
    if not isinstance(what, str):
        raise TypeError(f"compare: expected what to be a str (names the value in messages), got {describe(what)}")
    atol = check_real("compare", "atol", atol, minimum=0)
    rtol = check_real("compare", "rtol", rtol, minimum=0)
    if got is None:
        raise ExerciseError(f"{what}: expected {_expected(expected)}, got None")
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
                   atol: float = 1e-8, rtol: float = 1e-6, quiet: bool = False, mistakes=()) -> None:
    """Check ``function(**inputs)`` against ``reference(**inputs)`` on ``trials`` random inputs.

    ``make_inputs(rng)`` draws one set of keyword arguments from a NumPy
    ``Generator``. Each call gets its own copy of the inputs, so a function that
    changes its arguments in place cannot hide it. ``seed=None`` draws fresh inputs
    on every call. A function that returns ``None`` (no ``return`` statement) is reported as such.

    ``mistakes`` is a sequence of ``(wrong, explanation)`` pairs: when the reader's answer
    is wrong and equals ``wrong(**inputs)`` (NaN where it has NaN), the message adds the
    explanation, e.g. ``"the scores are not divided by sqrt(d)"``.
    """
    who = "check_function"
    _check_readers_function(who, function)
    check_callable(who, "reference", reference)
    check_callable(who, "make_inputs", make_inputs, " (make_inputs(rng) -> dict of keyword arguments)")
    if not isinstance(name, str) or not name:
        raise TypeError(f"{who}: expected name to be a non-empty str, got {describe(name)}")
    check_int(who, "trials", trials)
    check_int(who, "seed", seed, minimum=0, optional=True)
    check_real(who, "atol", atol, minimum=0)
    check_real(who, "rtol", rtol, minimum=0)
    check_bool(who, "quiet", quiet)
    mistakes = _check_mistakes(who, mistakes)
    if seed is None:
        seed = _CHECKER_SEED.get()  # a chapter checker's seed=..., when one was given
    rng = np.random.default_rng(seed)
    for trial in range(1, trials + 1):
        inputs = make_inputs(rng)
        if not isinstance(inputs, dict) or not all(isinstance(key, str) for key in inputs):
            raise TypeError(f"{who}: expected make_inputs(rng) to return a dict of keyword arguments, "
                            f"got {describe(inputs)}")
        expected = reference(**copy.deepcopy(inputs))  # deep: lists of arrays are copied too
        try:
            got = function(**copy.deepcopy(inputs))
        except Exception as error:  # the reader's code failed: say where, keep the traceback
            raise ExerciseError(
                f"{name}: your function raised {type(error).__name__}: {error} (trial {trial}, inputs {_describe(inputs)})"
            ) from error
        if got is None:
            raise ExerciseError(f"{name}: your function returned None; expected {_expected(expected)}. Does it end "
                                f"with a return statement? (trial {trial}, inputs {_describe(inputs)})")
        try:
            compare(got, expected, what=f"{name}", atol=atol, rtol=rtol)
        except ExerciseError as error:
            hint = _diagnose(got, mistakes, inputs, atol=atol, rtol=rtol)
            raise ExerciseError(f"{error}{hint} (trial {trial}, inputs {_describe(inputs)})") from None
    if not quiet:
        print(f"{name}: correct on {trials} random inputs.")


def _check_mistakes(who: str, mistakes) -> list:
    if isinstance(mistakes, (str, bytes)) or not hasattr(mistakes, "__iter__"):
        raise TypeError(f"{who}: expected mistakes to be a sequence of (function, explanation) pairs, "
                        f"got {describe(mistakes)}")
    mistakes = list(mistakes)
    for pair in mistakes:
        if not (isinstance(pair, tuple) and len(pair) == 2 and callable(pair[0]) and isinstance(pair[1], str)):
            raise TypeError(f"{who}: expected each of mistakes to be a (function, explanation) pair, "
                            f"got {describe(pair)}")
    return mistakes


def _same(got, expected, atol: float, rtol: float) -> bool:
    """Whether ``got`` equals ``expected`` (nested like :func:`compare`'s), NaN equal to NaN."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and set(got) == set(expected) and all(
            _same(got[k], expected[k], atol, rtol) for k in expected)
    if isinstance(expected, (tuple, list)):
        return isinstance(got, (tuple, list)) and len(got) == len(expected) and all(
            _same(g, e, atol, rtol) for g, e in zip(got, expected))
    try:
        g, e = _as_array(got, "got"), _as_array(expected, "expected")
    except ExerciseError:
        return False
    return g.shape == e.shape and bool(np.allclose(g, e, atol=atol, rtol=rtol, equal_nan=True))


def _diagnose(got, mistakes, inputs, *, atol: float, rtol: float) -> str:
    """``"; it looks like <explanation>"`` for the first known mistake that gives ``got``, else ``""``."""
    for wrong, explanation in mistakes:
        try:
            with np.errstate(all="ignore"):
                expected = wrong(**copy.deepcopy(inputs))
        except Exception:  # the mistake does not apply to these inputs
            continue
        if _same(got, expected, atol, rtol):
            return f"; it looks like {explanation}"
    return ""


# The seed a chapter checker was given (check_mase(f, seed=3)): check_function uses it when given none.
_CHECKER_SEED: contextvars.ContextVar[int | None] = contextvars.ContextVar("checker_seed", default=None)


def _check_readers_function(who: str, function) -> None:
    if not callable(function):
        raise TypeError(f"{who}: expected your function itself, got {describe(function)}; pass the function, "
                        "not the result of calling it: check(my_function), not check(my_function(...))")


def _checker(check):
    """A ``check_*(function, trials=..., seed=None)`` of a chapter: refuse a ``function`` that is not
    callable and a ``trials`` that is not a positive integer before drawing any input; ``seed`` (an
    integer, or ``None`` for fresh inputs) is handed to :func:`check_function`."""
    signature = inspect.signature(check)

    @functools.wraps(check)
    def checked(*args, seed: int | None = None, **kwargs):
        arguments = signature.bind(*args, **kwargs).arguments
        _check_readers_function(check.__name__, arguments.get("function"))
        if "trials" in arguments:
            check_int(check.__name__, "trials", arguments["trials"])
        check_int(check.__name__, "seed", seed, minimum=0, optional=True)
        token = _CHECKER_SEED.set(seed)
        try:
            return check(*args, **kwargs)
        finally:
            _CHECKER_SEED.reset(token)

    return checked
