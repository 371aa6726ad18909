"""Input checks shared by the cells and layers.

Each check raises with a message that names what was expected and what came,
in the style of ``torch.nn``: ``RNN: expected input of shape (T, B, 3), got (4, 8)``.
The cells' and layers' checks raise the exception type torch.nn raises for the same
mistake and, where torch.nn has a message of its own, end with torch.nn's words, so
code that catches torch.nn's errors (or matches their text) works unchanged.
"""

from __future__ import annotations

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


def check_bool(who: str, name: str, value) -> None:
    """A flag of a constructor: exactly ``True`` or ``False`` (torch.nn's words and ``TypeError``)."""
    if not isinstance(value, bool):
        raise TypeError(f"{who}: {name} should be of type bool, got: {type(value).__name__} ({value!r})")


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
