"""What a sequence model costs, measured: time per training step, the bytes autograd keeps for the
backward pass, the longest chain of operations in a computation, and the memory of generation.

* :func:`step_time_ms` — milliseconds of one forward and backward pass (best of a few runs);
* :func:`saved_tensor_bytes` — the bytes of the tensors autograd saves for the backward pass while
  a function runs (counted with ``torch.autograd.graph.saved_tensors_hooks``, each storage once):
  the activations a training step must hold at the end of its forward pass. Deterministic, so a
  test can pin it, unlike a time;
* :func:`graph_depth` — the number of operations on the longest path of the autograd graph behind
  a tensor: the steps that must run one after the other, whatever the hardware;
* :func:`scaling` — all three against the sequence length T, for several models, as a table;
* :func:`kv_cache_numbers`, :func:`recurrent_state_numbers` — what a transformer and a recurrent
  network keep in memory to generate the next token.

Times depend on the machine and on its load: print them, never assert them (speed goals live in
``benchmarks/``). Counts of bytes and of operations are properties of the computation: tests and
chapters assert those.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from .checks import check_callable, check_int, check_sequence, describe


def _storage_key_and_bytes(t: torch.Tensor):
    """(a key that is the same for two views of one memory block, that block's bytes)."""
    try:
        storage = t.untyped_storage()
        return (t.device, storage.data_ptr()), storage.nbytes()
    except (RuntimeError, NotImplementedError):  # an opaque tensor (e.g. oneDNN's) has no storage to share
        return ("opaque", id(t)), t.numel() * t.element_size()


def saved_tensor_bytes(fn, exclude=()):
    """Run ``fn()`` and return ``(result, bytes)``: the bytes of the tensors autograd saved for the backward
    pass during the call, each memory block counted once however many views of it were saved.

    ``exclude``: tensors (e.g. ``model.parameters()``) whose memory is not counted, so that what is
    left are the activations. Tensors saved in no-grad mode or for inputs that need no gradient
    are not saved at all, so they are not counted.
    """
    check_callable("saved_tensor_bytes", "fn", fn)
    excluded = set()
    for i, t in enumerate(exclude):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"saved_tensor_bytes: expected exclude to hold tensors, got {describe(t)} at position {i}")
        excluded.add(_storage_key_and_bytes(t)[0])
    blocks = {}

    def pack(t):
        key, nbytes = _storage_key_and_bytes(t)
        if key not in excluded:
            blocks[key] = nbytes
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        result = fn()
    return result, sum(blocks.values())


def graph_depth(output: torch.Tensor) -> int:
    """The number of backward nodes on the longest path from ``output`` to the leaves of its autograd graph
    (gradient accumulation into leaves not counted): ``x.exp().sin()`` has depth 2 for a leaf ``x``.

    Each node is an operation of the forward pass that needs the result of the one before it on the
    path, so the depth is a lower bound on the number of operations that run one after the other.
    """
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"graph_depth: expected output to be a tensor, got {describe(output)}")
    if output.grad_fn is None:
        raise ValueError("graph_depth: expected output to be computed from tensors that require grad (it has no "
                         f"grad_fn); got a {'leaf' if output.requires_grad else 'constant'} tensor")
    depth = {}  # node -> longest path from it down to a leaf, counting it
    stack = [(output.grad_fn, False)]
    while stack:  # iterative post-order: a loop over T steps makes paths longer than Python's recursion limit
        node, children_done = stack.pop()
        if node in depth:
            continue
        children = [child for child, _ in node.next_functions if child is not None]
        if children_done:
            counts = 0 if type(node).__name__ == "AccumulateGrad" else 1
            depth[node] = counts + max((depth[child] for child in children), default=0)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in children if child not in depth)
    return depth[output.grad_fn]


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _training_output(who: str, output):
    """``output`` of a timed ``forward()``, checked to be a tensor that backward can start from."""
    if not isinstance(output, torch.Tensor) or not output.requires_grad:
        raise TypeError(f"{who}: expected forward() to return a tensor that requires grad, got "
                        f"{describe(output) if not isinstance(output, torch.Tensor) else 'one that does not'}")
    return output


def step_time_ms(forward, repeats: int = 3, warmup: int = 1) -> float:
    """Milliseconds of one training step, ``forward().sum().backward()``: the fastest of ``repeats`` runs after
    ``warmup`` runs. The fastest run is the one least disturbed by other work on the machine.

    ``forward()`` returns the output tensor (any shape, floating point, requiring grad).
    """
    check_callable("step_time_ms", "forward", forward)
    repeats = check_int("step_time_ms", "repeats", repeats)
    warmup = check_int("step_time_ms", "warmup", warmup, minimum=0)
    times = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        output = _training_output("step_time_ms", forward())
        output.sum().backward()
        _synchronize(output.device)
        if i >= warmup:
            times.append(1000 * (time.perf_counter() - start))
    return min(times)


@dataclass
class Scaling:
    """What :func:`scaling` measured: for each model name, one number per sequence length."""

    lengths: list
    ms: dict = field(default_factory=dict)  # name -> milliseconds per training step
    saved: dict = field(default_factory=dict)  # name -> bytes saved for the backward pass
    depth: dict = field(default_factory=dict)  # name -> graph depth

    def __str__(self) -> str:
        names = list(self.ms)
        head = f"{'T':>6}" + "".join(f"{name + ' ms':>16}" for name in names) + \
            "".join(f"{name + ' MiB':>16}" for name in names)
        lines = [head]
        for i, T in enumerate(self.lengths):
            lines.append(f"{T:>6}" + "".join(f"{self.ms[n][i]:>16.2f}" for n in names) +
                         "".join(f"{self.saved[n][i] / 2**20:>16.2f}" for n in names))
        return "\n".join(lines)


def scaling(makers: dict, lengths, repeats: int = 3, warmup: int = 1, exclude=()) -> Scaling:
    """Measure models against the sequence length: ``makers`` maps a name to ``make(T)``, which returns
    ``forward``, a function of no argument that runs the model on a batch of length T and returns its
    output. For each name and T: :func:`step_time_ms`, :func:`saved_tensor_bytes` (not counting
    ``exclude``, e.g. the parameters) and :func:`graph_depth` of one forward pass.
    """
    if not isinstance(makers, dict) or not makers:
        raise TypeError(f"scaling: expected makers to be a non-empty dict of name -> make(T), got {describe(makers)}")
    for name, make in makers.items():
        check_callable("scaling", f"makers[{name!r}]", make)
    lengths = check_sequence("scaling", "lengths", lengths, expected="a sequence of positive integers",
                             allow_empty=False)
    lengths = [check_int("scaling", "lengths", T) for T in lengths]
    exclude = list(exclude)
    result = Scaling(lengths)
    for name, make in makers.items():
        result.ms[name], result.saved[name], result.depth[name] = [], [], []
        for T in lengths:
            forward = make(T)
            output, nbytes = saved_tensor_bytes(forward, exclude=exclude)
            result.saved[name].append(nbytes)
            result.depth[name].append(graph_depth(output))
            del output
            result.ms[name].append(step_time_ms(forward, repeats=repeats, warmup=warmup))
    return result


def kv_cache_numbers(num_layers: int, d_model: int, steps: int, batch: int = 1) -> int:
    """How many numbers a decoder-only transformer keeps to generate token ``steps + 1``: a key and a value
    of ``d_model`` numbers for every past token, in every layer: ``2 · num_layers · steps · d_model · batch``."""
    num_layers = check_int("kv_cache_numbers", "num_layers", num_layers)
    d_model = check_int("kv_cache_numbers", "d_model", d_model)
    steps = check_int("kv_cache_numbers", "steps", steps, minimum=0)
    batch = check_int("kv_cache_numbers", "batch", batch)
    return 2 * num_layers * steps * d_model * batch


def recurrent_state_numbers(num_layers: int, hidden_size: int, batch: int = 1, lstm: bool = True) -> int:
    """How many numbers a stacked recurrent network keeps between steps, whatever the number of steps:
    ``h`` (and ``c`` for an LSTM) of ``hidden_size`` numbers per layer and sequence."""
    num_layers = check_int("recurrent_state_numbers", "num_layers", num_layers)
    hidden_size = check_int("recurrent_state_numbers", "hidden_size", hidden_size)
    batch = check_int("recurrent_state_numbers", "batch", batch)
    if not isinstance(lstm, bool):
        raise TypeError(f"recurrent_state_numbers: expected lstm to be True or False, got {describe(lstm)}")
    return (2 if lstm else 1) * num_layers * hidden_size * batch
