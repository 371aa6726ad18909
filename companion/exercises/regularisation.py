"""Checkers of the regularisation chapter: dropout with one mask for all steps, early stopping's rule."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .core import _checker, check_function


def _reference_same_mask_dropout(x, keep, p):
    """x (T, B, F), keep (B, F) of 0/1: the kept units scaled by 1/(1 - p), the same at every step."""
    return x * keep.unsqueeze(0) / (1.0 - p)


@_checker
def check_same_mask_dropout(function, trials: int = 5) -> None:
    """Check ``function(x, keep, p)``: ``x`` (T, B, F), ``keep`` (B, F) of zeros and ones, the mask of
    a dropout with probability ``p`` in [0, 1); returns ``x`` with the same mask applied at every
    step, scaled by ``1 / (1 - p)`` (inverted dropout)."""
    def make_inputs(rng):
        T, B, F = (int(n) for n in rng.integers(2, 7, size=3))
        p = float(rng.choice([0.5, rng.uniform(0.1, 0.8)]))
        keep = torch.as_tensor((rng.uniform(size=(B, F)) >= p).astype(np.float64))
        return {"x": torch.as_tensor(rng.normal(size=(T, B, F))), "keep": keep, "p": p}

    def unscaled(x, keep, p):
        return x * keep.unsqueeze(0)

    def scaled_by_p(x, keep, p):
        return x * keep.unsqueeze(0) / p

    check_function(function, reference=_reference_same_mask_dropout, make_inputs=make_inputs,
                   name="same_mask_dropout", trials=trials,
                   mistakes=[(unscaled, "the kept units are not divided by 1 - p, so the expected value shrinks"),
                             (scaled_by_p, "the kept units are divided by p instead of 1 - p, the chance to keep")])


def _reference_early_stopping(valid_losses, patience):
    """(kept epoch, epochs trained) of :func:`companion.train.loop` with these validation losses."""
    from ..train import loop

    losses = list(valid_losses)
    model = nn.Linear(1, 1)  # the loop needs a model; nothing is learned (run_epoch does nothing)
    seen = []

    def validate(m):
        seen.append(losses[len(seen)])
        return seen[-1]

    history = loop(model, lambda optimizer, generator, epoch: 0.0, epochs=len(losses), patience=patience,
                   validate=validate, progress=False)
    return np.array([history.best_epoch, len(history.valid_loss)])


@_checker
def check_early_stopping(function, trials: int = 8) -> None:
    """Check ``function(valid_losses, patience) -> (kept_epoch, epochs_trained)``: the validation
    loss of epochs 0, 1, ... in a list; keep the epoch with the lowest loss (the first of equal
    ones) and stop after ``patience`` epochs in a row without a new lowest loss, as
    :func:`companion.train.fit` does. The first draw holds a later loss equal to the kept one, and
    stops before its last epoch."""
    drawn = []  # the losses drawn so far in this call

    def make_inputs(rng):
        n = int(rng.integers(4, 16))
        curve = 1.0 / (1.0 + np.arange(n)) + 0.05 * np.arange(n) * rng.uniform(0, 1)  # falls, then rises
        losses = [round(float(v), 2) for v in curve + rng.normal(scale=0.03, size=n)]  # rounded: ties occur
        patience = int(rng.integers(1, 5))
        if not drawn:  # a loss equal to the kept one, seen before the stop: it must not move the kept epoch
            kept, trained = (int(v) for v in _reference_early_stopping(losses, patience))
            if kept + 1 < trained:  # epoch kept + 1 was not lower; now it is equal, and nothing else changes
                losses[kept + 1] = losses[kept]
            else:  # the kept epoch is the last one
                losses.append(losses[kept])
            # then patience + 1 higher losses: a stop before the last epoch, whichever equal loss is kept
            losses += [round(max(losses) + 0.01 * (j + 1), 2) for j in range(patience + 1)]
        drawn.append(losses)
        return {"valid_losses": losses, "patience": patience}

    def as_checked(valid_losses, patience):
        result = function(valid_losses, patience)
        return None if result is None else np.asarray(result, dtype=float)

    def never_stops(valid_losses, patience):
        return np.array([int(np.argmin(valid_losses)), len(valid_losses)])

    def last_of_ties(valid_losses, patience):  # <= instead of <: an equal loss moves the kept epoch
        best, kept = float("inf"), None
        for epoch, loss in enumerate(valid_losses):
            if loss <= best:
                best, kept = loss, epoch
            elif epoch - kept >= patience:
                return np.array([kept, epoch + 1])
        return np.array([kept, len(valid_losses)])

    check_function(as_checked, reference=_reference_early_stopping, make_inputs=make_inputs, name="early_stopping",
                   trials=trials, mistakes=[(never_stops, "training never stops: patience is not used"),
                                            (last_of_ties, "a loss equal to the lowest moves the kept epoch; keep "
                                                           "the first of equal losses (a strictly lower loss: <, "
                                                           "not <=)")])
