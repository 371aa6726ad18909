"""Synthetic tasks that need a long memory, for comparing RNN, LSTM and GRU.

* :func:`adding_problem` — Hochreiter & Schmidhuber (1997), experiment 4: a
  sequence of random numbers, two of them marked; the target is their sum. The
  first mark falls in the first half of the sequence, so the network has to keep
  a number for at least ``T/2`` steps. Predicting the mean of the targets, 1,
  gives a mean squared error of 1/6 ≈ 0.167 (:data:`ADDING_BASELINE_MSE`), the
  variance of the sum of two independent U(0, 1) numbers.
"""

from __future__ import annotations

import torch

from .checks import check_instance, check_int, describe

ADDING_BASELINE_MSE = 1.0 / 6.0  # Var(u1 + u2) for u1, u2 ~ U(0, 1): the MSE of always predicting 1


def adding_problem(n: int, T: int, *, generator: torch.Generator | None = None, dtype=torch.float32):
    """Return ``(X, y)``: ``X`` (n, T, 2) inputs and ``y`` (n,) targets.

    Channel 0 of ``X`` holds numbers drawn from U(0, 1); channel 1 is 1 at two
    positions and 0 elsewhere. One mark is drawn from the first half,
    ``0 <= p1 < T // 2``, the other from the second half, ``T // 2 <= p2 < T``;
    ``y`` is the sum of the two marked numbers. Pass a seeded ``generator`` for
    repeatable data.
    """
    n = check_int("adding_problem", "n", n)
    T = check_int("adding_problem", "T", T, minimum=2)
    if generator is not None:
        check_instance("adding_problem", "generator", generator, torch.Generator, "a torch.Generator or None")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"adding_problem: expected dtype to be a floating-point torch.dtype, got {describe(dtype)}")
    values = torch.rand(n, T, generator=generator, dtype=dtype)
    half = T // 2
    first = torch.randint(0, half, (n,), generator=generator)
    second = torch.randint(half, T, (n,), generator=generator)
    marks = torch.zeros(n, T, dtype=dtype)
    rows = torch.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    X = torch.stack([values, marks], dim=-1)
    y = values[rows, first] + values[rows, second]
    return X, y
