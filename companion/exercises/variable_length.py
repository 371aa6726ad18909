"""Checkers of the variable-length sequences chapter: masks, masked losses, reversing padded batches."""

from __future__ import annotations

import torch

from .core import _checker, check_function


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
        from ..masking import lengths_to_mask

        pad = ~lengths_to_mask(lengths, T)
        x[pad] = torch.as_tensor(rng.uniform(50, 100, size=(int(pad.sum()), F)))
    return x, lengths


@_checker
def check_lengths_to_mask(function) -> None:
    """Check ``function(lengths) -> mask``: lengths (B,) int64 -> bool (B, max(lengths)), True on real steps.
    The first draw holds at least two sequences, one shorter than the longest."""
    from ..masking import lengths_to_mask

    def as_checked(lengths):
        mask = function(lengths)
        if mask is None:
            return None  # check_function says that the function returned None
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            what = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
            raise TypeError(f"expected a torch.bool tensor, got {what}; a comparison such as a < b gives one")
        return mask.double()

    drawn = []  # the draws so far in this call

    def make_inputs(rng):
        # the first draw has B, T >= 2, so one length is below T, where a mask one step too long (<=) shows
        smallest = 2 if not drawn else 1
        drawn.append(True)
        return {"lengths": _random_lengths(rng, int(rng.integers(smallest, 6)), int(rng.integers(smallest, 9)))}

    check_function(as_checked, reference=lambda lengths: lengths_to_mask(lengths).double(),
                   make_inputs=make_inputs, name="lengths_to_mask")


@_checker
def check_masked_mse(function) -> None:
    """Check ``function(prediction, target, lengths)``: the MSE over real steps only (padding holds garbage)."""
    from ..masking import masked_mse

    def make_inputs(rng):
        prediction, lengths = _padded_inputs(rng, garbage=True)
        target = torch.as_tensor(rng.normal(size=tuple(prediction.shape)))
        return {"prediction": prediction, "target": target, "lengths": lengths}

    check_function(function, reference=lambda prediction, target, lengths: masked_mse(prediction, target, lengths),
                   make_inputs=make_inputs, name="masked_mse")


@_checker
def check_reverse_padded(function) -> None:
    """Check ``function(x, lengths)``: each sequence of (B, T, F) reversed within its length, padding in place."""
    from ..masking import reverse_padded

    def make_inputs(rng):
        x, lengths = _padded_inputs(rng, garbage=True)
        return {"x": x, "lengths": lengths}

    check_function(function, reference=reverse_padded, make_inputs=make_inputs, name="reverse_padded")
