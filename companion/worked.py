"""Small helpers for the chapters' worked examples, where numbers are computed by hand in NumPy
and then compared with companion and torch.nn.

* :func:`show` — print a named vector on one line: ``a_1           = [ 0.1234, -0.5678]``;
* :func:`f64` — a NumPy array (or number, or list) as a float64 torch tensor, for comparisons;
* :func:`sigmoid` — the logistic function on NumPy arrays, ``1 / (1 + exp(-a))``.
"""

from __future__ import annotations

import numpy as np
import torch

from .checks import as_float_array, check_int, describe


def show(name: str, values, digits: int = 4) -> None:
    """Print ``name = [v_1, v_2, ...]`` with ``digits`` decimals and room for a sign (a scalar prints as one value)."""
    if not isinstance(name, str):
        raise TypeError(f"show: expected name to be a str, got {describe(name)}")
    digits = check_int("show", "digits", digits, minimum=0)
    values = np.atleast_1d(as_float_array("show", "values", values, finite=False))
    if values.ndim != 1:
        raise ValueError(f"show: expected a vector (or a number), got an array of shape {values.shape}")
    print(f"{name:<14}= [" + ", ".join(f"{v: .{digits}f}" for v in values) + "]")


def f64(values) -> torch.Tensor:
    """``values`` (a NumPy array, a number or a list of numbers) as a float64 tensor (a copy)."""
    return torch.tensor(as_float_array("f64", "values", values, finite=False), dtype=torch.float64)


def sigmoid(a):
    """``1 / (1 + exp(-a))``, element-wise, on NumPy arrays or numbers."""
    return 1.0 / (1.0 + np.exp(-as_float_array("sigmoid", "a", a, finite=False)))
