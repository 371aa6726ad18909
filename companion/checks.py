"""Input checks shared by the cells and layers.

Each check raises with a message that names what was expected and what came,
in the style of ``torch.nn``: ``RNN: expected input of shape (T, B, 3), got (4, 8)``.
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


def check_tensor(who: str, name: str, value) -> None:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{who}: expected {name} to be a torch.Tensor, got {type(value).__name__}")


def check_floating(who: str, name: str, value: torch.Tensor) -> None:
    if not value.is_floating_point():
        raise TypeError(
            f"{who}: expected {name} to be a floating-point tensor (float32 or float64), "
            f"got {value.dtype}; convert it with .float()"
        )


def check_matches_parameters(who: str, name: str, value: torch.Tensor, weight: torch.Tensor) -> None:
    """The tensor must share the module's dtype and device."""
    if value.dtype != weight.dtype:
        raise TypeError(
            f"{who}: expected {name} of dtype {weight.dtype} (the parameters' dtype), got {value.dtype}; "
            f"convert the module with .to({value.dtype}) or the {name} with .to({weight.dtype})"
        )
    if value.device != weight.device:
        raise ValueError(
            f"{who}: expected {name} on device {weight.device} (where the parameters are), "
            f"got {value.device}; move it with .to({str(weight.device)!r})"
        )


def check_state(who: str, name: str, value, expected_shape: tuple, meaning: str, like: torch.Tensor) -> None:
    """A hidden or cell state: a tensor of exactly ``expected_shape``, with ``like``'s dtype and device."""
    check_tensor(who, name, value)
    if tuple(value.shape) != tuple(expected_shape):
        raise ValueError(
            f"{who}: expected {name} of shape {shape_str(expected_shape)} {meaning}, "
            f"got {shape_str(value.shape)}"
        )
    if value.dtype != like.dtype:
        raise TypeError(f"{who}: expected {name} of dtype {like.dtype} (the input's dtype), got {value.dtype}")
    if value.device != like.device:
        raise ValueError(f"{who}: expected {name} on device {like.device} (the input's device), got {value.device}")
