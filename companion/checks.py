"""Input checks shared by the cells and layers.

Each check raises with a message that names what was expected and what came,
in the style of ``torch.nn``: ``RNN: expected input of shape (T, B, 3), got (4, 8)``.
The cells' and layers' checks raise the exception type torch.nn raises for the same
mistake and, where torch.nn has a message of its own, end with torch.nn's words, so
code that catches torch.nn's errors (or matches their text) works unchanged.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def shape_str(shape) -> str:
    """``(4, 8)`` for a shape, ``(8,)`` for one dimension, as Python prints tuples."""
    return str(tuple(shape))


def check_positive_int(who: str, name: str, value) -> None:
    """A size argument of a constructor: an ``int`` (not a ``bool``) of at least 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")


def check_size(who: str, name: str, value, minimum: int = 1) -> None:
    """A size argument of a constructor, checked as ``torch.nn`` checks it, in its words.

    Not an ``int`` (a ``float``, a ``str``, a ``bool``): ``TypeError`` "``name`` should be of type
    int, got: float". Below ``minimum``: ``ValueError`` "``name`` must be greater than zero" (for
    ``minimum=1``, the layers' sizes) or "must be non-negative" (``minimum=0``: a cell's sizes,
    where torch.nn allows 0).
    """
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{who}: {name} should be of type int, got: {type(value).__name__} ({value!r})")
    if value < minimum:
        rule = "must be greater than zero" if minimum == 1 else f"must be at least {minimum}"
        raise ValueError(f"{who}: {name} {rule}, got {value!r}")


def check_bool(who: str, name: str, value) -> bool:
    """A flag: exactly ``True`` or ``False``, not 0, 1 or a string (``TypeError`` in torch.nn's words)."""
    if not isinstance(value, bool):
        raise TypeError(f"{who}: {name} should be of type bool, got: {type(value).__name__} ({value!r}); "
                        f"expected True or False")
    return value


def check_tensor(who: str, name: str, value) -> None:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{who}: expected {name} to be a torch.Tensor, got {type(value).__name__}")


def check_floating(who: str, name: str, value: torch.Tensor) -> None:
    if not value.is_floating_point():
        raise TypeError(
            f"{who}: expected {name} to be a floating-point tensor (float32 or float64), "
            f"got {value.dtype}; convert it with .float()"
        )


def check_matches_parameters(who: str, name: str, value: torch.Tensor, weight: torch.Tensor,
                             dtype_error: type = RuntimeError) -> None:
    """The tensor must share the module's dtype and device.

    Exception types are torch.nn's: a dtype that differs raises ``dtype_error`` (``ValueError`` in a
    layer, ``RuntimeError`` in a cell), a device that differs ``RuntimeError``. The message names
    what was expected and what came, then says it in torch.nn's words.
    """
    if value.dtype != weight.dtype:
        if not value.is_floating_point():
            raise dtype_error(
                f"{who}: expected {name} to be a floating-point tensor of dtype {weight.dtype} (the parameters' "
                f"dtype), got {value.dtype}; convert it with {name}.to({weight.dtype}). RNN input dtype "
                f"({value.dtype}) does not match weight dtype ({weight.dtype})"
            )
        raise dtype_error(
            f"{who}: expected {name} of dtype {weight.dtype} (the parameters' dtype), got {value.dtype}. "
            f"RNN input dtype ({value.dtype}) does not match weight dtype ({weight.dtype}). "
            f"Convert input: input.to({weight.dtype}), or convert model: model.to({value.dtype})"
        )
    if value.device != weight.device:
        raise RuntimeError(
            f"{who}: expected {name} on device {weight.device} (where the parameters are), got {value.device}; "
            f"move it with .to({str(weight.device)!r}). Input and parameter tensors are not at the same device, "
            f"found input tensor at {value.device} and parameter tensor at {weight.device}"
        )


def check_state(who: str, name: str, value, expected_shape: tuple, meaning: str, like: torch.Tensor,
                torch_words: str = "") -> None:
    """A hidden or cell state: a tensor of exactly ``expected_shape``, with ``like``'s dtype and device.

    ``RuntimeError`` for a shape, dtype or device that differs, as in torch.nn; ``torch_words``,
    torch.nn's own message for a wrong shape, is appended to companion's.
    """
    check_tensor(who, name, value)
    if tuple(value.shape) != tuple(expected_shape):
        raise RuntimeError(
            f"{who}: expected {name} of shape {shape_str(expected_shape)} {meaning}, "
            f"got {shape_str(value.shape)}" + (f". {torch_words}" if torch_words else "")
        )
    if value.dtype != like.dtype:
        raise RuntimeError(f"{who}: expected {name} of dtype {like.dtype} (the input's dtype), got {value.dtype}")
    if value.device != like.device:
        raise RuntimeError(
            f"{who}: expected {name} on device {like.device} (the input's device), got {value.device}. "
            f"Input and hidden tensors are not at the same device, found input tensor at {like.device} "
            f"and hidden tensor at {value.device}"
        )


# ----------------------------------------------------------------------------
# Argument checks for the public functions (train, translation, metrics, baselines,
# exercises, tasks, plots, progress)
#
# Each takes the caller's name ``who`` and the argument's ``name``, raises with a message
# that names both, what was expected and what came, and returns the value as a plain
# Python number where that applies. An integer argument that is not an integer in range
# raises ValueError, as ``check_positive_int`` does; an argument of the wrong kind of
# object (a string for a list, a list for a tensor, a number for a function) raises TypeError.


def describe(value) -> str:
    """How a message shows what came: ``2.5``, ``'one two' (a str)``, ``a list``, ``a Tensor of shape (3, 1)``."""
    if value is None or isinstance(value, (bool, int, float, complex)) and not isinstance(value, torch.Tensor):
        return repr(value)
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return f"{value.item()!r} (a numpy {type(value).__name__})"
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"{shown!r} (a str)"
    shape = getattr(value, "shape", None)
    if isinstance(value, (torch.Tensor, np.ndarray)) or (shape is not None and hasattr(value, "dtype")):
        if getattr(value, "ndim", None) == 0:
            return f"{value.item()!r} (a 0-d {type(value).__name__} of dtype {value.dtype})"
        return f"a {type(value).__name__} of shape {shape_str(shape)} and dtype {value.dtype}"
    name = type(value).__name__
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


def is_integer(value) -> bool:
    """An ``int`` or a NumPy integer, not a ``bool``."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _bound(minimum) -> str:
    return {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")


def check_int(who: str, name: str, value, *, minimum: int | None = 1, optional: bool = False) -> int | None:
    """An integer (``int`` or NumPy integer, not ``bool``) of at least ``minimum``; ``None`` too when ``optional``.

    Raises ValueError, like :func:`check_positive_int`, for anything else.
    """
    if value is None and optional:
        return None
    expected = "an integer" if minimum is None else _bound(minimum)
    if not is_integer(value) or (minimum is not None and value < minimum):
        raise ValueError(f"{who}: {name} must be {expected}{' or None' if optional else ''}, got {describe(value)}")
    return int(value)


def check_real(who: str, name: str, value, *, minimum: float | None = None, above: float | None = None,
               optional: bool = False) -> float | None:
    """A finite real number (``int``, ``float`` or NumPy scalar, not ``bool``), at least ``minimum`` or
    greater than ``above`` when given; ``None`` too when ``optional``.

    Not a number: TypeError. NaN, infinite or out of range: ValueError.
    """
    if value is None and optional:
        return None
    alternatives = " or None" if optional else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: expected {name} to be a number{alternatives}, got {describe(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{who}: {name} must be a finite number{alternatives}, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{who}: {name} must be >= {minimum}{alternatives}, got {value:g}")
    if above is not None and value <= above:
        what = "positive" if above == 0 else f"> {above}"
        raise ValueError(f"{who}: {name} must be {what}{alternatives}, got {value:g}")
    return value


def check_callable(who: str, name: str, value, hint: str = "") -> None:
    """A function (anything callable); ``hint`` is added to the message."""
    if not callable(value):
        raise TypeError(f"{who}: expected {name} to be a function, got {describe(value)}{hint}")


def check_instance(who: str, name: str, value, types, expected: str) -> None:
    """``isinstance(value, types)``; ``expected`` says what in words (``"a torch.nn.Module"``)."""
    if not isinstance(value, types):
        raise TypeError(f"{who}: expected {name} to be {expected}, got {describe(value)}")


def check_sequence(who: str, name: str, value, *, expected: str, allow_empty: bool = True) -> list:
    """A list, tuple or other iterable of items — not a ``str`` or ``bytes`` (whose items would be
    characters) and not a dict; returned as a list. ``expected`` says what in words (``"a list of strings"``)."""
    if isinstance(value, (str, bytes, dict)) or not _iterable(value) or isinstance(value, torch.Tensor) and value.dim() == 0:
        raise TypeError(f"{who}: expected {name} to be {expected}, got {describe(value)}")
    items = list(value)
    if not allow_empty and not items:
        raise ValueError(f"{who}: expected {name} to be {expected}, got an empty {type(value).__name__}")
    return items


def check_strings(who: str, name: str, value, *, what: str = "string", allow_empty: bool = True) -> list[str]:
    """A list (tuple, array, iterable) of ``str``, not one ``str``; returned as a list.
    ``what`` names one item in messages (``"hypothesis"``)."""
    items = check_sequence(who, name, value, expected=f"a list of strings (one {what} per item)",
                           allow_empty=allow_empty)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"{who}: expected {name} to be a list of strings, got {describe(item)} at index {i}")
    return items


def _iterable(value) -> bool:
    try:
        iter(value)
    except TypeError:
        return False
    return True


def as_float_array(who: str, name: str, value, *, finite: bool = True) -> np.ndarray:
    """``value`` (a number, a list, a NumPy array or a tensor on any device) as a float64 array.

    Not numbers: TypeError. With ``finite``, a NaN or infinite value is a ValueError that says where.
    """
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, (str, bytes, dict)) or value is None:
        raise TypeError(f"{who}: expected {name} to be numbers (an array, a list or a tensor), got {describe(value)}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{who}: expected {name} to be numbers (an array, a list or a tensor), got {describe(value)} ({error})"
        ) from None
    if finite:
        check_finite_array(who, name, array)
    return array


def check_finite_array(who: str, name: str, array) -> None:
    """No NaN or infinite value in ``array`` (NumPy or torch); the message gives the first one and its index."""
    if isinstance(array, torch.Tensor):
        if not array.is_floating_point() and not array.is_complex():
            return
        bad = ~torch.isfinite(array)
        if not bool(bad.any()):
            return
        index = tuple(int(i) for i in bad.nonzero()[0]) if array.dim() else ()
        value = array[index].item()
    else:
        array = np.asarray(array)
        if array.dtype.kind not in "fc":
            return
        bad = ~np.isfinite(array)
        if not bad.any():
            return
        index = tuple(int(i[0]) for i in np.nonzero(bad)) if array.ndim else ()
        value = array[index].item()
    where = f" at index {index}" if index else ""
    raise ValueError(f"{who}: expected {name} to hold finite numbers, got {value}{where} "
                     f"({int(bad.sum())} of {bad.numel() if isinstance(bad, torch.Tensor) else bad.size} values "
                     "are NaN or infinite)")
