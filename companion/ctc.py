"""Connectionist temporal classification (Graves et al., 2006): recognising a string of symbols
from a longer sequence of frames without knowing which frames belong to which symbol.

The network emits, at every frame, a distribution over the symbols plus one extra class, the
*blank* (index :data:`BLANK` = 0 here; symbol ``s`` is class ``s + 1``). A frame-by-frame path is
read as a string by collapsing repeated classes and then dropping blanks, so ``1 1 _ 1 2 2``
reads ``1 1 2``: the blank separates two equal symbols and fills frames that say nothing.
The CTC loss (``torch.nn.functional.ctc_loss``) is minus the log of the total probability of
all paths that read as the target.

* :func:`collapse` and :func:`greedy_decode` — the best path, read as a string;
* :func:`edit_distance` and :func:`digit_error_rate` — (substitutions + deletions + insertions)
  over the reference length;
* :func:`ctc_loss` — torch's loss, after checking that every target fits its input;
* :class:`CTCRecognizer` — a packed (bi)LSTM with a per-frame read-out of log-probabilities;
* :func:`fit_ctc` and :func:`recognize` — training through :func:`companion.train.loop`, decoding.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from . import config, train
from .checks import check_bool, check_instance, check_int, check_real, check_size, describe, shape_str
from .models.common import _check_input, _check_lengths

BLANK = 0


def _sequence(who: str, name: str, value) -> list[int]:
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                                       for v in value):
        raise TypeError(f"{who}: expected {name} to be a sequence of integers, got {describe(value)}")
    return [int(v) for v in value]


def collapse(path, blank: int = BLANK) -> list[int]:
    """Read a frame-by-frame ``path`` of class indices as a string: merge runs of the same class,
    then drop ``blank``. ``collapse([0, 3, 3, 0, 3, 5, 5]) == [3, 3, 5]``."""
    path = _sequence("collapse", "path", path)
    blank = check_int("collapse", "blank", blank, minimum=0)
    out, previous = [], None
    for c in path:
        if c != previous and c != blank:
            out.append(c)
        previous = c
    return out


def greedy_decode(log_probs: torch.Tensor, lengths, blank: int = BLANK) -> list[list[int]]:
    """Best-path decoding of a batch: the most likely class at each real frame of ``log_probs``
    (B, T, C), read with :func:`collapse`. Returns B lists of class indices (blank excluded).

    The best path is not always the most likely *string* (that would add up many paths), but it
    is the usual fast approximation and is exact when one path dominates.
    """
    who = "greedy_decode"
    check_instance(who, "log_probs", log_probs, torch.Tensor, "a torch.Tensor of shape (B, T, C)")
    if log_probs.dim() != 3 or log_probs.shape[1] == 0:
        raise ValueError(f"{who}: expected log_probs of shape (B, T, C) with T >= 1, got {shape_str(log_probs.shape)}")
    lengths = _check_lengths(who, lengths, log_probs.shape[0], log_probs.shape[1], what="log_probs")
    blank = check_int(who, "blank", blank, minimum=0)
    if blank >= log_probs.shape[2]:
        raise ValueError(f"{who}: blank={blank} is not one of the {log_probs.shape[2]} classes of log_probs")
    best = log_probs.argmax(dim=-1).cpu()
    return [collapse(best[b, :int(lengths[b])], blank) for b in range(best.shape[0])]


def edit_distance(reference, hypothesis) -> int:
    """Levenshtein distance: the fewest substitutions, deletions and insertions turning
    ``reference`` into ``hypothesis``. One NumPy step per reference symbol: the insertions along a
    row are a running minimum, ``D[i, j] = j + min_{k <= j} (A[k] - k)``."""
    ref = _sequence("edit_distance", "reference", reference)
    hyp = np.asarray(_sequence("edit_distance", "hypothesis", hypothesis))
    row = np.arange(len(hyp) + 1)  # D[0, j] = j insertions
    j = np.arange(len(hyp) + 1)
    for i, r in enumerate(ref, start=1):
        A = np.empty_like(row)
        A[0] = i  # i deletions
        A[1:] = np.minimum(row[1:] + 1, row[:-1] + (hyp != r))  # deletion, or substitution / match
        row = j + np.minimum.accumulate(A - j)
    return int(row[-1])


def digit_error_rate(references, hypotheses) -> float:
    """Total edit distance over total reference length, over a list of strings (as a word
    error rate is computed, with digits for words). Can exceed 1 when the hypotheses insert a lot."""
    who = "digit_error_rate"
    for name, value in (("references", references), ("hypotheses", hypotheses)):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{who}: expected {name} to be a list of integer sequences, got {describe(value)}")
    if len(references) != len(hypotheses) or len(references) == 0:
        raise ValueError(f"{who}: expected as many hypotheses as references (at least one), got "
                         f"{len(references)} references and {len(hypotheses)} hypotheses")
    total = sum(len(_sequence(who, f"references[{k}]", r)) for k, r in enumerate(references))
    if total == 0:
        raise ValueError(f"{who}: the references are all empty: the error rate per reference symbol is undefined")
    return sum(edit_distance(r, h) for r, h in zip(references, hypotheses)) / total


def min_input_length(target) -> int:
    """The fewest frames a CTC path for ``target`` needs: one per symbol, plus a blank between
    each pair of equal neighbours (``[3, 3]`` needs ``3 _ 3``, three frames)."""
    target = _sequence("min_input_length", "target", target)
    return len(target) + sum(a == b for a, b in zip(target, target[1:]))


def _check_targets(who: str, targets, input_lengths: torch.Tensor, num_classes: int, blank: int) -> list[list[int]]:
    if not isinstance(targets, (list, tuple)) or len(targets) != len(input_lengths):
        raise ValueError(f"{who}: expected targets to be a list of {len(input_lengths)} integer sequences, one per "
                         f"input, got {describe(targets)}")
    targets = [_sequence(who, f"targets[{b}]", t) for b, t in enumerate(targets)]
    for b, t in enumerate(targets):
        if len(t) == 0:
            raise ValueError(f"{who}: targets[{b}] is empty; expected at least one symbol")
        bad = [c for c in t if c < 0 or c >= num_classes or c == blank]
        if bad:
            raise ValueError(f"{who}: targets[{b}] holds {bad[0]}; expected classes in 0..{num_classes - 1} other than "
                             f"the blank ({blank})")
        need, have = min_input_length(t), int(input_lengths[b])
        if need > have:
            raise ValueError(f"{who}: target {b} of {len(t)} symbols needs at least {need} frames (one per symbol and "
                             f"a blank between repeats), got an input of {have} frames: no CTC path fits")
    return targets


def ctc_loss(log_probs: torch.Tensor, lengths, targets, blank: int = BLANK) -> torch.Tensor:
    """The CTC loss of ``log_probs`` (B, T, C), batch first, with input ``lengths`` (B,) and
    ``targets`` a list of B class sequences: the mean over the batch of ``-log p(target | input)``
    divided by the target's length (``torch.nn.functional.ctc_loss``, ``reduction="mean"``).

    A target that cannot fit its input (:func:`min_input_length`) is an error here, where torch
    would return an infinite loss."""
    who = "ctc_loss"
    check_instance(who, "log_probs", log_probs, torch.Tensor, "a torch.Tensor of shape (B, T, C)")
    if log_probs.dim() != 3 or log_probs.shape[1] == 0:
        raise ValueError(f"{who}: expected log_probs of shape (B, T, C) with T >= 1, got {shape_str(log_probs.shape)}")
    B, T, C = log_probs.shape
    lengths = _check_lengths(who, lengths, B, T, what="log_probs")
    blank = check_int(who, "blank", blank, minimum=0)
    targets = _check_targets(who, targets, lengths, C, blank)
    flat = torch.tensor([c for t in targets for c in t], dtype=torch.long)
    target_lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
    return F.ctc_loss(log_probs.transpose(0, 1), flat, lengths.cpu().long(), target_lengths, blank=blank,
                      reduction="mean")


class CTCRecognizer(nn.Module):
    """A packed LSTM (bidirectional by default) and a linear read-out at every frame.

    ``CTCRecognizer(input_size, hidden_size, num_symbols, num_layers=1, bidirectional=True,
    dropout=0.0)``; ``forward(x, lengths)`` takes a padded batch-first ``x`` (B, T, I) with
    ``lengths`` (B,) and returns log-probabilities (B, T, num_symbols + 1) over the blank
    (class 0) and the symbols (classes 1..num_symbols). Padded frames hold zeros' read-out and are
    never read by :func:`ctc_loss` or :func:`greedy_decode`.
    """

    def __init__(self, input_size: int, hidden_size: int, num_symbols: int, num_layers: int = 1,
                 bidirectional: bool = True, dropout: float = 0.0):
        super().__init__()
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_symbols", num_symbols),
                            ("num_layers", num_layers)):
            check_size("CTCRecognizer", name, value)
        check_bool("CTCRecognizer", "bidirectional", bidirectional)
        dropout = check_real("CTCRecognizer", "dropout", dropout, minimum=0)
        if dropout > 1:
            raise ValueError(f"CTCRecognizer: dropout must be a probability in [0, 1], got {dropout:g}")
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                            bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.readout = nn.Linear(hidden_size * (2 if bidirectional else 1), num_symbols + 1)

    def forward(self, x: torch.Tensor, lengths) -> torch.Tensor:
        who = "CTCRecognizer"
        _check_input(who, x, self.lstm.input_size)
        lengths = _check_lengths(who, lengths, x.shape[0], x.shape[1])
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return F.log_softmax(self.readout(self.dropout(out)), dim=-1)


def fit_ctc(model: nn.Module, x: torch.Tensor, lengths, targets, *, epochs: int, lr: float = 1e-2,
            batch_size: int = 32, clip_norm: float | None = 1.0, seed: int | None = None,
            progress: bool = True) -> list[float]:
    """Train ``model(x, lengths) -> log_probs`` (B, T, C) with Adam on :func:`ctc_loss`, through
    :func:`companion.train.loop`. ``x`` (N, T, I) padded, ``lengths`` (N,), ``targets`` N class
    sequences (symbols 1.., blank 0). ``seed`` orders the batches (default: the run's seed).
    Returns each epoch's mean training loss."""
    who = "fit_ctc"
    check_instance(who, "model", model, nn.Module, "a torch.nn.Module called as model(x, lengths)")
    check_instance(who, "x", x, torch.Tensor, "a padded torch.Tensor (N, T, I)")
    if x.dim() != 3 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{who}: expected x of shape (N, T, I) with N, T >= 1, got {shape_str(x.shape)}")
    lengths = _check_lengths(who, lengths, x.shape[0], x.shape[1])
    if not isinstance(targets, (list, tuple)) or len(targets) != x.shape[0]:
        raise ValueError(f"{who}: expected targets to be a list of {x.shape[0]} class sequences, one per sequence of "
                         f"x, got {describe(targets)}")
    epochs = check_int(who, "epochs", epochs)
    batch_size = check_int(who, "batch_size", batch_size)
    seed = config.seed() if seed is None else check_int(who, "seed", seed, minimum=0)

    def batches(generator):
        yield from torch.randperm(x.shape[0], generator=generator).split(batch_size)

    def batch_loss(idx):
        T = int(lengths[idx].max())
        log_probs = model(x[idx, :T], lengths[idx])
        return ctc_loss(log_probs, lengths[idx], [targets[int(i)] for i in idx]), len(idx)

    run_epoch = train.minibatch_epoch(model, batches, batch_loss, clip_norm=clip_norm, who=who)
    return train.loop(model, run_epoch, epochs=epochs, lr=lr, seed=seed, progress=progress, who=who).train_loss


def recognize(model: nn.Module, x: torch.Tensor, lengths, blank: int = BLANK) -> list[list[int]]:
    """Greedy CTC decoding of ``model(x, lengths)`` in evaluation mode, without gradients."""
    check_instance("recognize", "model", model, nn.Module, "a torch.nn.Module called as model(x, lengths)")
    model.eval()
    with torch.no_grad():
        log_probs = model(x, lengths)
    return greedy_decode(log_probs, lengths, blank)
