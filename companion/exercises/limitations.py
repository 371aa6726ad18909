"""Checkers of the chapter on limitations: the linear recurrence a parallel scan solves, the size of a
transformer's key-value cache."""

from __future__ import annotations

import numpy as np
import torch

from .core import _checker, check_function


def _reference_linear_recurrence(a, b, h0):
    from ..minimal import log_scan

    return log_scan(torch.log(a), torch.log(b), h0).numpy()


@_checker
def check_linear_recurrence(function, trials: int = 5) -> None:
    """Check ``function(a, b, h0) -> h``: the states ``h_t = a_t ⊙ h_{t−1} + b_t`` for t = 1 … T, with
    ``a``, ``b`` (T, B, H) and ``h0`` (B, H); returns (T, B, H) (``h_1`` first, ``h_0`` not included),
    against the log-space scan :func:`companion.minimal.log_scan`."""
    def make_inputs(rng):
        T, B, H = int(rng.integers(2, 12)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
        return {"a": torch.as_tensor(rng.uniform(0.05, 0.95, size=(T, B, H))),
                "b": torch.as_tensor(rng.uniform(0.1, 2.0, size=(T, B, H))),
                "h0": torch.as_tensor(rng.normal(size=(B, H)))}

    def with_h0_first(a, b, h0):  # h_0 … h_{T−1}: the states before each step instead of after
        h = _reference_linear_recurrence(a, b, h0)
        return np.concatenate([h0.numpy()[None], h[:-1]])

    def h0_ignored(a, b, h0):
        return _reference_linear_recurrence(a, b, None)

    check_function(function, reference=_reference_linear_recurrence, make_inputs=make_inputs,
                   name="linear_recurrence", trials=trials,
                   mistakes=[(with_h0_first, "the states are shifted by one step: return h_1 … h_T, the state "
                                             "after each input, not h_0 … h_{T-1}"),
                             (h0_ignored, "the initial state h0 is ignored (the recurrence starts from zeros)")])


def _reference_kv_cache(num_layers, d_model, steps, batch):
    from ..profile import kv_cache_numbers

    return kv_cache_numbers(num_layers, d_model, steps, batch)


@_checker
def check_kv_cache_numbers(function, trials: int = 5) -> None:
    """Check ``function(num_layers, d_model, steps, batch)``: how many numbers a decoder-only transformer
    keeps in its key-value cache after ``steps`` tokens of ``batch`` sequences, against
    :func:`companion.profile.kv_cache_numbers`."""
    def make_inputs(rng):
        return {"num_layers": int(rng.integers(2, 13)), "d_model": int(rng.choice([64, 96, 128, 512])),
                "steps": int(rng.integers(1, 3000)), "batch": int(rng.integers(2, 9))}

    def keys_only(num_layers, d_model, steps, batch):
        return _reference_kv_cache(num_layers, d_model, steps, batch) // 2

    def one_layer(num_layers, d_model, steps, batch):
        return _reference_kv_cache(1, d_model, steps, batch)

    check_function(function, reference=_reference_kv_cache, make_inputs=make_inputs, name="kv_cache_numbers",
                   trials=trials, atol=0, rtol=0,
                   mistakes=[(keys_only, "only the keys are counted: every past token also keeps a value"),
                             (one_layer, "one layer is counted: every layer keeps its own keys and values")])
