"""Decoding a trained :class:`~companion.seq2seq.Seq2Seq`: :func:`greedy_decode` (batched) and
:func:`beam_search` (with length normalisation, :func:`length_normalized_score`);
:func:`translate` turns either's output into text; :func:`sequence_scores` scores given
outputs under the model, as the search ranks them.
"""

from __future__ import annotations

import math

import torch

from ..checks import check_instance, check_int
from ..data.numbers import Batch
from ..data.text import Vocab
from ..sampling import beam_search_core, greedy, length_normalized_score
from .encoder_decoder import Seq2Seq, _check_source


def _check_max_len(who: str, max_len) -> None:
    """The number of tokens to generate at most: a positive integer."""
    check_int(who, "max_len", max_len)


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src, src_lengths, max_len: int,
                  bos_id: int = Vocab.bos_id, eos_id: int = Vocab.eos_id):
    """Decode a batch by taking the most probable token at every step.

    Stops a sequence at its first ``eos_id`` and the batch when every sequence has stopped or
    after ``max_len`` tokens. Returns ``(sequences, weights)``: a list of B token-id lists
    (without ``<eos>``; a list of ``max_len`` tokens means no ``<eos>`` came) and the attention
    weights (B, steps, S), or None for a decoder without attention.
    """
    _check_max_len("greedy_decode", max_len)
    _check_source("greedy_decode", src, src_lengths)
    memory, state = model.encode(src, src_lengths)
    B = src.shape[0]
    y = torch.full((B,), bos_id, dtype=torch.long, device=src.device)
    done = torch.zeros(B, dtype=torch.bool, device=src.device)
    tokens, weights = [], []
    for _ in range(max_len):
        logits, state, weights_t = model.step(y, state, memory)
        y = greedy(logits)  # companion.sampling.greedy, as the language models decode
        tokens.append(y)
        weights.append(weights_t)
        done = done | (y == eos_id)
        if done.all():
            break
    tokens = torch.stack(tokens, dim=1).tolist()
    sequences = [row[: row.index(eos_id)] if eos_id in row else row for row in tokens]
    return sequences, (None if weights[0] is None else torch.stack(weights, dim=1))


def _check_alpha(who: str, alpha) -> None:
    if (not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not math.isfinite(alpha) or alpha < 0):
        raise ValueError(f"{who}: alpha must be a non-negative number (the length-normalisation exponent), "
                         f"got {alpha!r}")


@torch.no_grad()
def beam_search(model: Seq2Seq, src, src_lengths, max_len: int, beam_width: int = 5, alpha: float = 1.0,
                bos_id: int = Vocab.bos_id, eos_id: int = Vocab.eos_id):
    """Decode each source sentence with a beam of ``beam_width`` live hypotheses
    (:func:`companion.sampling.beam_search_core`, the search the language models use too).

    At each step every live hypothesis is extended by every token, and the ``k = beam_width``
    best extensions by log-probability are looked at. Those among them that end in ``eos_id``
    are *finished* and move to a separate list; the beam itself is refilled with the ``k`` best
    extensions that do not end in ``eos_id``, so finished hypotheses never crowd out live ones.
    (All live hypotheses have the same length, so ranking them by log-probability is ranking
    them by :func:`length_normalized_score`.) Finished hypotheses are ranked by
    :func:`length_normalized_score` with exponent ``alpha``.

    The search stops when no live hypothesis can still beat the best finished one, or after
    ``max_len`` tokens (the live hypotheses then end there, without ``<eos>``). The bound: a
    live hypothesis of log-probability ``s <= 0`` can only lose probability as it grows, and
    ends with a length ``n <= max_len``, so its final score is at most ``s / max_len**alpha``
    (for ``alpha = 0``, ``s`` itself). With ``alpha > 0`` a longer hypothesis *can* score
    better than a shorter one, which is why the bound uses ``max_len`` and not the current
    length; with ``alpha > 0`` the search therefore often runs to ``max_len``.

    Returns a list of B token-id lists (without ``<eos>``): for each sentence the finished
    hypothesis with the best normalised score. With ``beam_width=1`` and ``alpha=0`` this is
    greedy decoding; with a width that keeps every extension it is an exhaustive search (both
    are tested). In between, nothing guarantees that the answer has a higher model score than
    greedy decoding's: greedy's path may be pruned from the beam.
    """
    _check_max_len("beam_search", max_len)
    check_int("beam_search", "beam_width", beam_width)
    _check_source("beam_search", src, src_lengths)
    _check_alpha("beam_search", alpha)
    results = []
    for b in range(src.shape[0]):
        length = int(src_lengths[b])
        results.append(_beam_search_one(model, src[b : b + 1, :length], src_lengths[b : b + 1], max_len,
                                        beam_width, alpha, bos_id, eos_id))
    return results


def _beam_search_one(model, src, src_lengths, max_len, beam_width, alpha, bos_id, eos_id):
    (outputs, mask), state = model.encode(src, src_lengths)

    def step(tokens, state):  # the k beams' last tokens (k,) -> log-probabilities (k, V)
        k = tokens.shape[0]
        logits, state, _ = model.step(tokens, state, (outputs.expand(k, -1, -1), mask.expand(k, -1)))
        return torch.log_softmax(logits.double(), dim=-1), state

    log_p, state = step(torch.tensor([bos_id], device=src.device), state)
    tokens, _ = beam_search_core(step, state, log_p, max_len, beam_width, eos_id=eos_id, alpha=alpha)
    return tokens


@torch.no_grad()
def sequence_scores(model: Seq2Seq, src, src_lengths, sequences, max_len: int, alpha: float = 0.0,
                    bos_id: int = Vocab.bos_id, eos_id: int = Vocab.eos_id) -> torch.Tensor:
    """The model's score of given outputs, as :func:`beam_search` ranks them: (B,) float64.

    ``sequences`` is a list of B token-id lists without ``<eos>``, as the search functions
    return them. A sequence shorter than ``max_len`` is scored with ``<eos>`` after it; one of
    ``max_len`` tokens was cut there and is scored as it is. The score is
    :func:`length_normalized_score` of the log-probability, with the length counting ``<eos>``;
    ``alpha=0`` (the default) gives the plain log-probability ``log p(y | x)``.
    """
    _check_max_len("sequence_scores", max_len)
    _check_alpha("sequence_scores", alpha)
    if len(sequences) != src.shape[0]:
        raise ValueError(f"sequence_scores: expected one sequence per source sentence ({src.shape[0]}), "
                         f"got {len(sequences)}")
    generated = []
    for b, tokens in enumerate(sequences):
        tokens = list(tokens)
        if len(tokens) > max_len or eos_id in tokens:
            raise ValueError(f"sequence_scores: sequence {b} must have at most max_len={max_len} tokens and no "
                             f"<eos> (id {eos_id}), got {tokens}")
        generated.append(tokens + [eos_id] if len(tokens) < max_len else tokens)
    lengths = torch.tensor([len(g) for g in generated])
    T = int(lengths.max())
    targets = torch.tensor([g + [eos_id] * (T - len(g)) for g in generated], device=src.device)  # (B, T)
    memory, state = model.encode(src, src_lengths)
    y = torch.full((src.shape[0],), bos_id, dtype=torch.long, device=src.device)
    total = torch.zeros(src.shape[0], dtype=torch.float64, device=src.device)
    for t in range(T):
        logits, state, _ = model.step(y, state, memory)
        log_p = torch.log_softmax(logits.double(), dim=-1).gather(1, targets[:, t : t + 1])[:, 0]
        total = total + torch.where(lengths.to(src.device) > t, log_p, torch.zeros_like(log_p))
        y = targets[:, t]
    return total / lengths.to(total)**alpha


def translate(model: Seq2Seq, batch, tgt_vocab: Vocab, max_len: int, beam_width: int | None = None,
              alpha: float = 1.0) -> list[str]:
    """The model's translations of ``batch.src`` as space-separated words: greedy decoding when
    ``beam_width`` is None, else :func:`beam_search`."""
    check_instance("translate", "model", model, Seq2Seq, "a Seq2Seq model")
    check_instance("translate", "batch", batch, Batch, "a companion.translation.Batch")
    check_instance("translate", "tgt_vocab", tgt_vocab, Vocab, "the target Vocab")
    model.eval()
    device = next(model.parameters()).device
    src, lengths = batch.src.to(device), batch.src_lengths.to(device)
    if beam_width is None:
        sequences, _ = greedy_decode(model, src, lengths, max_len)
    else:
        sequences = beam_search(model, src, lengths, max_len, beam_width=beam_width, alpha=alpha)
    return [" ".join(tgt_vocab.decode(s)) for s in sequences]
