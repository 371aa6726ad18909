"""Checkers of the chapter *Making RNNs fast*: the padding a batch carries, the learning rate of a larger
global batch under the linear scaling rule."""

from __future__ import annotations

from .core import _checker, check_function


def _reference_padding_share(lengths):
    from ..speed import padding_share

    return padding_share(lengths)


@_checker
def check_padding_share(function, trials: int = 5) -> None:
    """Check ``function(lengths) -> float``: the fraction of a batch padded to its longest sequence that is
    padding, for a list of sequence lengths, against :func:`companion.speed.padding_share`."""
    def make_inputs(rng):
        return {"lengths": [int(v) for v in rng.integers(1, 60, size=int(rng.integers(2, 9)))]}

    def real_fraction(lengths):
        return 1.0 - _reference_padding_share(lengths)

    check_function(function, reference=_reference_padding_share, make_inputs=make_inputs,
                   name="padding_share", trials=trials,
                   mistakes=[(real_fraction, "this is the fraction of real steps; padding is the rest, 1 minus it")])


def _reference_scaled_lr(base_lr, base_batch, global_batch):
    return base_lr * global_batch / base_batch


@_checker
def check_scaled_lr(function, trials: int = 5) -> None:
    """Check ``function(base_lr, base_batch, per_process_batch, processes, accumulation) -> float``: the
    learning rate of the linear scaling rule (Goyal et al. 2017) for a global batch of
    ``per_process_batch · processes · accumulation`` examples, when ``base_lr`` suited ``base_batch``."""
    def reference(base_lr, base_batch, per_process_batch, processes, accumulation):
        return _reference_scaled_lr(base_lr, base_batch, per_process_batch * processes * accumulation)

    def make_inputs(rng):
        return {"base_lr": float(rng.choice([1e-3, 3e-3, 1e-2])), "base_batch": int(rng.choice([32, 64, 256])),
                "per_process_batch": int(rng.choice([16, 32, 64])), "processes": int(rng.integers(2, 9)),
                "accumulation": int(rng.integers(2, 5))}

    def no_accumulation(base_lr, base_batch, per_process_batch, processes, accumulation):
        return _reference_scaled_lr(base_lr, base_batch, per_process_batch * processes)

    def per_process(base_lr, base_batch, per_process_batch, processes, accumulation):
        return _reference_scaled_lr(base_lr, base_batch, per_process_batch)

    check_function(function, reference=reference, make_inputs=make_inputs, name="scaled_lr", trials=trials,
                   mistakes=[(no_accumulation, "the accumulated micro-batches are left out: every optimizer step "
                                               "sees processes x accumulation x per-process examples"),
                             (per_process, "the rate is scaled by the per-process batch: DDP averages the "
                                           "gradients, so what counts is the global batch")])
