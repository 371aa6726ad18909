"""What the chapter *Making RNNs fast* measures: three ways to write one LSTM layer's loop over time,
a timer that splits a training step into its forward and backward pass, and the minimal recurrences
(minGRU, minLSTM) as forecasters for the adding problem.

:func:`lstm_scan` runs one LSTM layer, one direction, over a (T, B, I) input with torch.nn's weights
and gate order, written in one of three ways (:data:`VARIANTS`); all three compute the same numbers
(``tests/test_speed.py`` checks them against ``torch.nn.LSTM``, outputs and gradients):

* ``"per_step"`` — the input projection ``W_ih x_t + b_ih`` inside the loop: T small matrix products;
* ``"indexed"`` — the projection hoisted out of the loop, one (T·B, I) × (I, 4H) product, and its
  step ``t`` read as ``xw[t]`` inside the loop. Each ``xw[t]`` is a separate indexing operation
  whose backward allocates a zero (T, B, 4H) gradient and writes one step into it, and autograd
  adds the T of them: O(T²) time and memory traffic in the backward pass, *the quadratic trap*;
* ``"unbind"`` — the projection hoisted, then ``xw.unbind(0)``: one operation that returns the T
  step views, whose backward stacks the T step gradients once. ``companion.layers`` does this.

:func:`split_time_ms` times the forward and the backward pass of a step separately.
:class:`MinimalForecaster` and :func:`fit_adding_minimal` train ``MinGRU`` or ``MinLSTM`` on the
adding problem with the budget :func:`companion.tasks.fit_adding_problem` gives the GRU.
"""

from __future__ import annotations

import time
from collections import Counter

import torch
import torch.nn.functional as F
from torch import nn

from . import train
from .cells import lstm_step
from .checks import check_callable, check_int, check_size, check_tensor, shape_str
from .minimal import MinGRU, MinLSTM
from .profile import _synchronize, _training_output

VARIANTS = ("per_step", "indexed", "unbind")
MINIMAL_LAYERS = {"mingru": MinGRU, "minlstm": MinLSTM}


def lstm_scan(x: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor,
              state=None, *, variant: str = "unbind"):
    """One LSTM layer over time, written as ``variant`` (see the module docstring).

    ``x`` (T, B, I); ``W_ih`` (4H, I), ``W_hh`` (4H, H), ``b_ih`` and ``b_hh`` (4H,) in torch.nn's
    gate order ``i, f, g, o``; ``state`` ``(h0, c0)``, each (B, H), or None for zeros.
    Returns ``(output, (h_T, c_T))``: output (T, B, H), the state after every step.
    """
    who = "lstm_scan"
    if variant not in VARIANTS:
        raise ValueError(f"{who}: variant must be one of {VARIANTS}, got {variant!r}")
    for name, value in (("x", x), ("W_ih", W_ih), ("W_hh", W_hh), ("b_ih", b_ih), ("b_hh", b_hh)):
        check_tensor(who, name, value)
    if W_hh.dim() != 2 or W_hh.shape[0] != 4 * W_hh.shape[1] or W_hh.shape[1] == 0:
        raise ValueError(f"{who}: expected W_hh of shape (4H, H), got {shape_str(W_hh.shape)}")
    H = W_hh.shape[1]
    if W_ih.dim() != 2 or W_ih.shape[0] != 4 * H:
        raise ValueError(f"{who}: expected W_ih of shape ({4 * H}, I) for H = {H}, got {shape_str(W_ih.shape)}")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b.shape != (4 * H,):
            raise ValueError(f"{who}: expected {name} of shape ({4 * H},), got {shape_str(b.shape)}")
    I = W_ih.shape[1]
    if x.dim() != 3 or x.shape[2] != I or x.shape[0] == 0:
        raise ValueError(f"{who}: expected x of shape (T, B, {I}) with T >= 1, got {shape_str(x.shape)}")
    B = x.shape[1]
    if state is None:
        h = c = x.new_zeros(B, H)
    else:
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise TypeError(f"{who}: expected state to be a pair (h0, c0) or None, got {type(state).__name__}")
        h, c = state
        for name, s in (("h0", h), ("c0", c)):
            check_tensor(who, name, s)
            if s.shape != (B, H):
                raise ValueError(f"{who}: expected {name} of shape ({B}, {H}), got {shape_str(s.shape)}")
    outputs = []
    if variant == "per_step":
        for x_t in x.unbind(0):
            h, c = lstm_step(F.linear(x_t, W_ih, b_ih), h, c, W_hh, b_hh)
            outputs.append(h)
    elif variant == "indexed":
        xw = F.linear(x, W_ih, b_ih)  # (T, B, 4H) in one product
        for t in range(x.shape[0]):
            h, c = lstm_step(xw[t], h, c, W_hh, b_hh)  # the trap: T indexing operations
            outputs.append(h)
    else:
        for xw_t in F.linear(x, W_ih, b_ih).unbind(0):  # one operation, T views
            h, c = lstm_step(xw_t, h, c, W_hh, b_hh)
            outputs.append(h)
    return torch.stack(outputs), (h, c)


def split_time_ms(forward, repeats: int = 3, warmup: int = 1) -> tuple[float, float]:
    """``(forward_ms, backward_ms)`` of one training step ``forward().sum().backward()``: for each pass
    the fastest of ``repeats`` runs after ``warmup`` runs (the fastest run is the least disturbed).

    ``forward()`` returns a floating-point tensor that requires grad. Gradients accumulate in
    the leaves between runs; that costs the same in every run.
    """
    who = "split_time_ms"
    check_callable(who, "forward", forward)
    repeats = check_int(who, "repeats", repeats)
    warmup = check_int(who, "warmup", warmup, minimum=0)
    times = {"forward": [], "backward": []}
    for i in range(warmup + repeats):
        start = time.perf_counter()
        output = _training_output(who, forward())
        loss = output.sum()
        _synchronize(output.device)
        middle = time.perf_counter()
        loss.backward()
        _synchronize(output.device)
        end = time.perf_counter()
        if i >= warmup:
            times["forward"].append(1000 * (middle - start))
            times["backward"].append(1000 * (end - middle))
    return min(times["forward"]), min(times["backward"])


def compare_split_times(forwards: dict, repeats: int = 3, warmup: int = 1) -> dict[str, tuple[float, float]]:
    """:func:`split_time_ms` for several steps at once, interleaved: every round runs each step once, so a
    burst of other work on the machine slows all of them alike. ``forwards`` maps names to ``forward()``
    callables; returns ``{name: (forward_ms, backward_ms)}``, the fastest of ``repeats`` rounds for each."""
    who = "compare_split_times"
    if not isinstance(forwards, dict) or not forwards:
        raise TypeError(f"{who}: expected forwards to be a non-empty dict of names to callables, got "
                        f"{type(forwards).__name__}")
    repeats = check_int(who, "repeats", repeats)
    warmup = check_int(who, "warmup", warmup, minimum=0)
    for name, forward in forwards.items():
        check_callable(who, f"forwards[{name!r}]", forward)
        for _ in range(warmup):
            split_time_ms(forward, repeats=1, warmup=0)
    rounds = [{name: split_time_ms(forward, repeats=1, warmup=0) for name, forward in forwards.items()}
              for _ in range(repeats)]
    return {name: (min(r[name][0] for r in rounds), min(r[name][1] for r in rounds)) for name in forwards}


def top_ops(step, n: int = 6) -> list[tuple[str, int, float]]:
    """Profile one call of ``step()`` with ``torch.profiler`` (CPU activity) and return its ``n`` operators
    with the most self time: ``(name, calls, self_ms)``, largest first. Self time excludes the time
    of the operators an operator calls."""
    check_callable("top_ops", "step", step)
    n = check_int("top_ops", "n", n)
    step()  # warm-up: first-call allocations and kernel choices are not the steady state
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        step()
    rows = [(e.key, e.count, e.self_cpu_time_total / 1000) for e in prof.key_averages()]
    return sorted(rows, key=lambda r: -r[2])[:n]


def count_nodes(output: torch.Tensor) -> Counter:
    """How many nodes of each kind (``type(grad_fn).__name__``, e.g. ``SelectBackward0``) the autograd graph
    behind ``output`` holds: the operations the backward pass will run."""
    check_tensor("count_nodes", "output", output)
    if output.grad_fn is None:
        raise ValueError("count_nodes: expected an output computed from tensors that require grad (it has no "
                         "grad_fn)")
    seen, stack = {output.grad_fn}, [output.grad_fn]
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return Counter(type(node).__name__ for node in seen)


def padding_share(lengths) -> float:
    """The fraction of a padded batch that is padding: ``1 − Σ lengths / (B · max(lengths))``, for the
    (B,) sequence lengths (positive integers) of a batch padded to its longest sequence."""
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.numel() == 0 or lengths.is_floating_point() or bool((lengths < 1).any()):
        raise ValueError(f"padding_share: expected lengths to be a non-empty (B,) sequence of positive integers, "
                         f"got {lengths.tolist() if lengths.dim() <= 1 else shape_str(lengths.shape)}")
    return 1.0 - lengths.sum().item() / (lengths.numel() * lengths.max().item())


class MinimalForecaster(nn.Module):
    """Many-to-one with a minimal recurrence: ``x`` (B, T, I) -> ``MinGRU`` or ``MinLSTM`` (parallel
    scan) -> the last state h_T (B, H) -> ``Linear(H, 1)`` -> (B,). ``cell`` is ``"mingru"`` or
    ``"minlstm"``."""

    def __init__(self, input_size: int, hidden_size: int, cell: str = "mingru"):
        super().__init__()
        who = type(self).__name__
        check_size(who, "input_size", input_size)
        check_size(who, "hidden_size", hidden_size)
        if cell not in MINIMAL_LAYERS:
            raise ValueError(f"{who}: cell must be one of {sorted(MINIMAL_LAYERS)}, got {cell!r}")
        self.cell = cell
        self.recurrent = MINIMAL_LAYERS[cell](input_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor, mode: str = "parallel") -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 3:
            got = shape_str(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"{type(self).__name__}: expected input of shape (B, T, "
                             f"{self.recurrent.input_size}), got {got}")
        _, h_n = self.recurrent(x, mode=mode)  # h_n (1, B, H)
        return self.head(h_n[0]).squeeze(-1)


def fit_adding_minimal(cell: str, train_set, valid_set, *, epochs: int, seed: int, hidden_size: int = 128,
                       solved: float | None = 0.01, lr: float = 1e-2, batch_size: int = 64, clip_norm: float = 1.0):
    """Train a :class:`MinimalForecaster` on the adding problem with :func:`companion.tasks.fit_adding_problem`'s
    budget and rules (Adam, ``lr``, batches, clipping, stop once the validation MSE is below ``solved``,
    best validation epoch kept); ``seed`` draws the initial weights and the batch order.
    Returns ``(model, history)``."""
    epochs = check_int("fit_adding_minimal", "epochs", epochs)
    seed = check_int("fit_adding_minimal", "seed", seed, minimum=0)
    torch.manual_seed(seed)
    model = MinimalForecaster(train_set[0].shape[-1], hidden_size, cell)
    history = train.fit(model, train_set, valid=valid_set, epochs=epochs, lr=lr, batch_size=batch_size,
                        clip_norm=clip_norm, stop_below=solved, seed=seed, progress=False)
    return model, history
