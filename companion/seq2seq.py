"""Sequence to sequence: an encoder, a decoder with or without attention, greedy and beam search.

Shapes: a batch of ``B`` source sequences of (padded) length ``S``, target length ``T``,
hidden size ``H``, target vocabulary ``V``; ``batch_first`` throughout.

* :class:`Encoder` — embedding and a recurrent layer; returns every state (B, S, H) and the last;
* :class:`Decoder` — starts from the encoder's last state (the *context vector*) and never
  looks at the source again;
* :class:`AdditiveAttention` (Bahdanau et al., 2015) and :class:`MultiplicativeAttention`
  (Luong et al., 2015) — a weighted average of the encoder states, weights from a score;
* :class:`AttentionDecoder` — a decoder that attends to the encoder states at every step,
  in Bahdanau's arrangement (query ``h_{t-1}``, context fed into the RNN) or Luong's
  (query ``h_t``, context combined with it after the RNN);
* :class:`Seq2Seq` — ties them together: ``forward`` under teacher forcing, ``encode`` and
  ``step`` for decoding;
* :func:`greedy_decode` (batched) and :func:`beam_search` (with length normalisation);
  :func:`translate` turns either's output into text; :func:`sequence_scores` scores given
  outputs under the model, as the search ranks them;
* :func:`train_seq2seq` — teacher forcing with :func:`companion.masking.masked_cross_entropy`,
  the loss in which padding never counts;
* :class:`MultiHeadAttention` — scaled dot-product attention in several heads, with the
  parameters of ``torch.nn.MultiheadAttention``: the bridge to Transformers.

The recurrent layer is an argument (``rnn=companion.GRU`` by default); ``torch.nn.GRU`` has
the same interface and, by ``tests/test_layers.py``, the same outputs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from . import config
from .checks import check_bool, check_instance, check_int, check_real, describe, shape_str
from .layers import GRU
from .masking import masked_cross_entropy  # the one masked loss; re-exported for the chapters
from .progress import progress as progress_bar
from .data.numbers import Batch
from .data.text import Vocab


def _hidden(state):
    """The hidden state h of a GRU/RNN state, or of an LSTM's ``(h, c)``: (layers, B, H)."""
    return state[0] if isinstance(state, tuple) else state


def _check_source(who: str, src, src_lengths) -> None:
    """``src`` a (B, S) tensor of token ids, ``src_lengths`` (B,) integers in 1..S: one length per sentence."""
    check_instance(who, "src", src, torch.Tensor, "a (B, S) tensor of token ids")
    if src.dim() != 2 or src.is_floating_point() or src.dtype == torch.bool:
        raise ValueError(f"{who}: expected src of shape (B, S) holding integer token ids, got {describe(src)}")
    check_instance(who, "src_lengths", src_lengths, torch.Tensor, "a (B,) tensor of lengths")
    B, S = src.shape
    if tuple(src_lengths.shape) != (B,) or src_lengths.is_floating_point() or src_lengths.dtype == torch.bool:
        raise ValueError(f"{who}: expected src_lengths of shape ({B},), one integer length per sentence of src "
                         f"{shape_str(src.shape)}, got {describe(src_lengths)}")
    if B and (int(src_lengths.min()) < 1 or int(src_lengths.max()) > S):
        raise ValueError(f"{who}: every source length must be between 1 and S = {S} (src's padded length), "
                         f"got lengths from {int(src_lengths.min())} to {int(src_lengths.max())}")


def _check_sizes(who: str, **sizes) -> None:
    for name, value in sizes.items():
        check_int(who, name, value)


def _select(state, index):
    """Rows ``index`` of a recurrent state along its batch axis (1)."""
    if isinstance(state, tuple):
        return tuple(s[:, index] for s in state)
    return state[:, index]


# ----------------------------------------------------------------------------
# Encoder and decoders


class Encoder(nn.Module):
    """Embed the source tokens and run a recurrent layer over them.

    ``forward(src (B, S), lengths (B,))`` returns ``(outputs (B, S, H), state)``: the state at
    every step (zeros after a sequence's end) and the state after each sequence's *last real*
    token (the input is packed, so padding never enters the state).
    """

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, rnn=GRU):
        super().__init__()
        _check_sizes("Encoder", vocab_size=vocab_size, embed_size=embed_size, hidden_size=hidden_size)
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=Vocab.pad_id)
        self.rnn = rnn(embed_size, hidden_size, batch_first=True)

    def forward(self, src, lengths):
        _check_source("Encoder", src, lengths)
        packed = pack_padded_sequence(self.embedding(src), lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, state = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
        return outputs, state


class Decoder(nn.Module):
    """A decoder without attention: its first state is the encoder's last, the context vector.

    ``step(y_prev (B,), state, memory)`` returns ``(logits (B, V), state, None)``; ``memory``
    (the encoder states) is not used: everything the decoder knows of the source must pass
    through the one vector it started from.
    """

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, rnn=GRU):
        super().__init__()
        _check_sizes("Decoder", vocab_size=vocab_size, embed_size=embed_size, hidden_size=hidden_size)
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=Vocab.pad_id)
        self.rnn = rnn(embed_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def step(self, y_prev, state, memory):
        output, state = self.rnn(self.embedding(y_prev)[:, None], state)
        return self.out(output[:, 0]), state, None


def _masked_softmax(scores, mask):
    """Softmax over the source axis of ``scores`` (B, S), with weight 0 where ``mask`` is False."""
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)


def _attend(attention, query, keys, mask):
    """What both attentions' ``forward`` does: check the inputs, weight the keys by the masked softmax
    of ``attention.scores``; returns ``(context (B, K), weights (B, S))``."""
    who = type(attention).__name__
    for name, value, what in (("query", query, "(B, Q)"), ("keys", keys, "(B, S, K)"), ("mask", mask, "(B, S)")):
        check_instance(who, name, value, torch.Tensor, f"a {what} tensor")
    Q, K = attention.query_size, attention.key_size
    if query.dim() != 2 or query.shape[1] != Q:
        raise ValueError(f"{who}: expected query of shape (B, {Q}), got {shape_str(query.shape)}")
    if keys.dim() != 3 or keys.shape[0] != query.shape[0] or keys.shape[2] != K:
        raise ValueError(f"{who}: expected keys of shape ({query.shape[0]}, S, {K}) (B from the query), "
                         f"got {shape_str(keys.shape)}")
    if mask.dtype != torch.bool or tuple(mask.shape) != tuple(keys.shape[:2]):
        raise ValueError(f"{who}: expected mask as a bool tensor of shape {shape_str(keys.shape[:2])} (True at the "
                         f"real source positions), got {describe(mask)}")
    if not bool(mask.any(dim=1).all()):
        raise ValueError(f"{who}: every row of mask needs at least one real (True) position, or its weights "
                         f"would be NaN; got none in rows {(~mask.any(dim=1)).nonzero().flatten().tolist()}")
    weights = _masked_softmax(attention.scores(query, keys), mask)
    return torch.bmm(weights[:, None, :], keys)[:, 0], weights


class AdditiveAttention(nn.Module):
    """Bahdanau's additive attention: ``score(q, k_j) = v^T tanh(W_q q + W_k k_j)``.

    ``forward(query (B, Q), keys (B, S, K), mask (B, S))`` returns ``(context (B, K),
    weights (B, S))``: the weights are the softmax of the scores over the real source
    positions, the context is the weighted average of the keys.
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int):
        super().__init__()
        _check_sizes("AdditiveAttention", query_size=query_size, key_size=key_size, attention_size=attention_size)
        self.query_size, self.key_size = query_size, key_size
        self.W_q = nn.Linear(query_size, attention_size, bias=False)
        self.W_k = nn.Linear(key_size, attention_size, bias=False)
        self.v = nn.Linear(attention_size, 1, bias=False)

    def scores(self, query, keys):
        return self.v(torch.tanh(self.W_q(query)[:, None, :] + self.W_k(keys)))[..., 0]

    def forward(self, query, keys, mask):
        return _attend(self, query, keys, mask)


class MultiplicativeAttention(nn.Module):
    """Luong's multiplicative ("general") attention: ``score(q, k_j) = q^T W k_j``.

    Same interface as :class:`AdditiveAttention`. One matrix product per step instead of a
    small network: cheaper, and the form that scaled dot-product attention simplifies.
    """

    def __init__(self, query_size: int, key_size: int):
        super().__init__()
        _check_sizes("MultiplicativeAttention", query_size=query_size, key_size=key_size)
        self.query_size, self.key_size = query_size, key_size
        self.W = nn.Linear(key_size, query_size, bias=False)

    def scores(self, query, keys):
        return torch.bmm(self.W(keys), query[:, :, None])[..., 0]

    def forward(self, query, keys, mask):
        return _attend(self, query, keys, mask)


class AttentionDecoder(nn.Module):
    """A decoder that attends to every encoder state at every step.

    ``attention="bahdanau"``: the query is the previous state ``h_{t-1}``, the context ``c_t``
    (additive attention) is fed into the RNN beside the embedded token, and the logits come
    from ``[h_t; c_t]``. ``attention="luong"``: the RNN runs first; the query is the new state
    ``h_t``, the context (multiplicative attention) is combined with it,
    ``h~_t = tanh(W_c [c_t; h_t])``, and the logits come from ``h~_t``.

    ``step(y_prev (B,), state, memory)`` returns ``(logits (B, V), state, weights (B, S))``
    with ``memory = (encoder outputs (B, S, H), source mask (B, S))``.
    """

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, attention: str = "bahdanau", rnn=GRU):
        super().__init__()
        _check_sizes("AttentionDecoder", vocab_size=vocab_size, embed_size=embed_size, hidden_size=hidden_size)
        if attention not in ("bahdanau", "luong"):
            raise ValueError(f"AttentionDecoder: attention must be 'bahdanau' or 'luong', got {attention!r}")
        self.kind = attention
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=Vocab.pad_id)
        if attention == "bahdanau":
            self.attention = AdditiveAttention(hidden_size, hidden_size, hidden_size)
            self.rnn = rnn(embed_size + hidden_size, hidden_size, batch_first=True)
            self.out = nn.Linear(2 * hidden_size, vocab_size)
        else:
            self.attention = MultiplicativeAttention(hidden_size, hidden_size)
            self.rnn = rnn(embed_size, hidden_size, batch_first=True)
            self.combine = nn.Linear(2 * hidden_size, hidden_size)
            self.out = nn.Linear(hidden_size, vocab_size)

    def step(self, y_prev, state, memory):
        keys, mask = memory
        embedded = self.embedding(y_prev)
        if self.kind == "bahdanau":
            context, weights = self.attention(_hidden(state)[-1], keys, mask)
            output, state = self.rnn(torch.cat([embedded, context], dim=-1)[:, None], state)
            return self.out(torch.cat([output[:, 0], context], dim=-1)), state, weights
        output, state = self.rnn(embedded[:, None], state)
        h_t = output[:, 0]
        context, weights = self.attention(h_t, keys, mask)
        return self.out(torch.tanh(self.combine(torch.cat([context, h_t], dim=-1)))), state, weights


class Seq2Seq(nn.Module):
    """An encoder and a decoder.

    ``forward(src (B, S), src_lengths (B,), tgt_in (B, T))`` runs the decoder under *teacher
    forcing* (it reads the true previous token, not its own guess) and returns ``(logits
    (B, T, V), weights (B, T, S) or None)``. ``encode`` and ``step`` are the two halves that
    the search functions call.
    """

    def __init__(self, encoder: Encoder, decoder: nn.Module):
        super().__init__()
        check_instance("Seq2Seq", "encoder", encoder, nn.Module, "an Encoder (a torch.nn.Module)")
        if not hasattr(decoder, "step"):
            raise TypeError(f"Seq2Seq: expected decoder to be a Decoder or AttentionDecoder (a module with a "
                            f"step method), got {describe(decoder)}")
        self.encoder, self.decoder = encoder, decoder

    def encode(self, src, src_lengths):
        """Return ``(memory, state)``: memory ``(outputs (B, S, H), mask (B, S))`` and the first decoder state."""
        outputs, state = self.encoder(src, src_lengths)
        mask = torch.arange(src.shape[1], device=src.device)[None, :] < src_lengths.to(src.device)[:, None]
        return (outputs, mask), state

    def step(self, y_prev, state, memory):
        return self.decoder.step(y_prev, state, memory)

    def forward(self, src, src_lengths, tgt_in):
        check_instance("Seq2Seq", "tgt_in", tgt_in, torch.Tensor, "a (B, T) tensor of token ids")
        if tgt_in.dim() != 2 or tgt_in.shape[1] < 1 or not isinstance(src, torch.Tensor) or tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"Seq2Seq: expected tgt_in of shape (B, T) with T >= 1 and B = src's "
                             f"{tuple(src.shape[:1]) if isinstance(src, torch.Tensor) else '?'}, got {describe(tgt_in)}")
        memory, state = self.encode(src, src_lengths)
        logits, weights = [], []
        for t in range(tgt_in.shape[1]):
            logits_t, state, weights_t = self.step(tgt_in[:, t], state, memory)
            logits.append(logits_t)
            weights.append(weights_t)
        return torch.stack(logits, dim=1), (None if weights[0] is None else torch.stack(weights, dim=1))


# ----------------------------------------------------------------------------
# Decoding


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
        y = logits.argmax(dim=-1)
        tokens.append(y)
        weights.append(weights_t)
        done = done | (y == eos_id)
        if done.all():
            break
    tokens = torch.stack(tokens, dim=1).tolist()
    sequences = [row[: row.index(eos_id)] if eos_id in row else row for row in tokens]
    return sequences, (None if weights[0] is None else torch.stack(weights, dim=1))


def length_normalized_score(log_prob: float, length: int, alpha: float) -> float:
    """``log p(y) / |y|^alpha``: a sequence's log-probability divided by its length to the power ``alpha``.

    ``alpha = 0`` is the raw log-probability, which favours short outputs (every token
    multiplies in a probability below one); ``alpha = 1`` is the mean log-probability per
    token. ``length`` counts the generated tokens, ``<eos>`` included.
    """
    return log_prob / length**alpha


def _check_alpha(who: str, alpha) -> None:
    if (not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not math.isfinite(alpha) or alpha < 0):
        raise ValueError(f"{who}: alpha must be a non-negative number (the length-normalisation exponent), "
                         f"got {alpha!r}")


@torch.no_grad()
def beam_search(model: Seq2Seq, src, src_lengths, max_len: int, beam_width: int = 5, alpha: float = 1.0,
                bos_id: int = Vocab.bos_id, eos_id: int = Vocab.eos_id):
    """Decode each source sentence with a beam of ``beam_width`` live hypotheses.

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
    live = [[]]  # the live hypotheses' tokens, all of the same length
    scores = torch.zeros(1, dtype=torch.float64, device=src.device)  # their log-probabilities
    finished = []  # (normalised score, tokens without <eos>)
    for step in range(max_len):
        k = len(live)
        memory = (outputs.expand(k, -1, -1), mask.expand(k, -1))
        last = torch.tensor([h[-1] if h else bos_id for h in live], device=src.device)
        logits, state, _ = model.step(last, state, memory)
        candidates = scores[:, None] + torch.log_softmax(logits.double(), dim=-1)  # (k, V)
        V = candidates.shape[-1]
        # The k best extensions of all: those that end in <eos> are finished (length step + 1).
        top = torch.topk(candidates.flatten(), min(beam_width, candidates.numel()))
        for score, index in zip(top.values.tolist(), top.indices.tolist()):
            parent, token = divmod(index, V)
            if token == eos_id and score > -math.inf:
                finished.append((length_normalized_score(score, step + 1, alpha), live[parent]))
        # The beam: the k best extensions that do not end in <eos>.
        candidates[:, eos_id] = -math.inf
        top = torch.topk(candidates.flatten(), min(beam_width, k * (V - 1)))
        keep = [(divmod(i, V), v) for v, i in zip(top.values.tolist(), top.indices.tolist()) if v > -math.inf]
        if not keep:
            break
        live = [live[parent] + [token] for (parent, token), _ in keep]
        scores = torch.tensor([v for _, v in keep], dtype=torch.float64, device=src.device)
        if step == max_len - 1:  # max_len tokens and no <eos>: the live hypotheses end here
            finished += [(length_normalized_score(v, max_len, alpha), h) for h, v in zip(live, scores.tolist())]
            break
        state = _select(state, torch.tensor([parent for (parent, _), _ in keep], device=src.device))
        # Stop when no live hypothesis can beat the best finished one (the bound of the docstring).
        if finished and max(f[0] for f in finished) >= float(scores.max()) / max_len**alpha:
            break
    if not finished:
        raise RuntimeError("beam_search: every extension had probability 0; the model's logits are all -inf")
    return max(finished, key=lambda pair: pair[0])[1]


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


# ----------------------------------------------------------------------------
# Training


def batches(batch, batch_size: int, generator: torch.Generator | None = None):
    """Cut a :class:`~companion.translation.Batch` into minibatches of similar source length.

    The examples are sorted by source length, cut into runs of ``batch_size``, and the runs
    are visited in a random order; each minibatch is trimmed to its own longest source and
    target, so little time goes into padding.
    """
    check_instance("batches", "batch", batch, Batch, "a companion.translation.Batch (the whole set)")
    check_int("batches", "batch_size", batch_size)
    order = torch.argsort(batch.src_lengths, stable=True)
    runs = list(torch.split(order, batch_size))
    for r in torch.randperm(len(runs), generator=generator).tolist():
        index = runs[r]
        S = int(batch.src_lengths[index].max())
        T = int((batch.tgt_out[index] != Vocab.pad_id).sum(dim=1).max())
        yield type(batch)(batch.src[index, :S], batch.src_lengths[index], batch.tgt_in[index, :T],
                          batch.tgt_out[index, :T])


def train_seq2seq(model: Seq2Seq, train, *, epochs: int, lr: float = 3e-3, batch_size: int = 64,
                  clip_norm: float = 1.0, seed: int | None = None, progress: bool = True) -> list[float]:
    """Train ``model`` with teacher forcing, Adam and gradient clipping; return the loss per epoch: the mean
    cross-entropy per real target token over the epoch's batches. ``seed`` orders the batches (default:
    the run's seed, :func:`companion.config.seed`).

    ``train`` is a :class:`~companion.translation.Batch` of the whole training set; the loss
    is :func:`companion.masking.masked_cross_entropy` with ``pad_id=Vocab.pad_id``.
    """
    who = "train_seq2seq"
    check_instance(who, "model", model, Seq2Seq, "a Seq2Seq model")
    check_instance(who, "train", train, Batch, "a companion.translation.Batch (the whole training set)")
    epochs, batch_size = check_int(who, "epochs", epochs), check_int(who, "batch_size", batch_size)
    lr, clip_norm = check_real(who, "lr", lr, above=0), check_real(who, "clip_norm", clip_norm, above=0)
    seed = config.seed() if seed is None else check_int(who, "seed", seed, minimum=0)
    check_bool(who, "progress", progress)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    losses = []
    bar = progress_bar(range(epochs), desc="training", unit="epoch", disable=not progress)
    for _ in bar:
        model.train()
        total, count = 0.0, 0
        for b in batches(train, batch_size, generator):
            b = b.to(device)
            logits, _ = model(b.src, b.src_lengths, b.tgt_in)
            loss = masked_cross_entropy(logits, b.tgt_out, pad_id=Vocab.pad_id)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            tokens = int((b.tgt_out != Vocab.pad_id).sum())  # the loss is a mean over these
            total, count = total + loss.item() * tokens, count + tokens
        losses.append(total / count)
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    bar.close()
    model.eval()
    return losses


# ----------------------------------------------------------------------------
# Multi-head attention


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention in ``num_heads`` heads, as ``torch.nn.MultiheadAttention(batch_first=True)``.

    Parameters have torch's names (``in_proj_weight`` (3E, E), ``in_proj_bias`` (3E,),
    ``out_proj``), so a ``state_dict`` moves between the two. ``forward(query (B, T, E), key
    (B, S, E), value (B, S, E), key_padding_mask (B, S), True = ignore)`` returns
    ``(output (B, T, E), weights (B, T, S))``, the weights averaged over the heads. Each head
    ``i`` computes ``softmax(Q_i K_i^T / sqrt(d)) V_i`` with ``d = E / num_heads``.
    """

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        _check_sizes("MultiHeadAttention", embed_dim=embed_dim, num_heads=num_heads)
        if embed_dim % num_heads:
            raise ValueError(f"MultiHeadAttention: embed_dim={embed_dim} is not divisible by num_heads={num_heads}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim))
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, query, key, value, key_padding_mask=None):
        who, E = "MultiHeadAttention", self.embed_dim
        for name, x in (("query", query), ("key", key), ("value", value)):
            check_instance(who, name, x, torch.Tensor, f"a (B, L, {E}) tensor")
            if x.dim() != 3 or x.shape[2] != E or x.shape[0] != query.shape[0]:
                raise ValueError(f"{who}: expected {name} of shape (B, L, {E}) (batch first, B from the query), "
                                 f"got {shape_str(x.shape)}")
        if key.shape[1] != value.shape[1]:
            raise ValueError(f"{who}: key and value must have the same length S, got {shape_str(key.shape)} and "
                             f"{shape_str(value.shape)}")
        if key_padding_mask is not None:
            if (not isinstance(key_padding_mask, torch.Tensor) or key_padding_mask.dtype != torch.bool
                    or tuple(key_padding_mask.shape) != tuple(key.shape[:2])):
                raise ValueError(f"{who}: expected key_padding_mask as a bool tensor of shape {shape_str(key.shape[:2])} "
                                 f"(True = ignore), got {describe(key_padding_mask)}")
            if bool(key_padding_mask.all(dim=1).any()):
                raise ValueError(f"{who}: key_padding_mask ignores every key of rows "
                                 f"{key_padding_mask.all(dim=1).nonzero().flatten().tolist()}; their weights would be NaN")
        B, T, E = query.shape
        S, h = key.shape[1], self.num_heads
        W_q, W_k, W_v = self.in_proj_weight.chunk(3)
        b_q, b_k, b_v = self.in_proj_bias.chunk(3)

        def heads(x, W, b):  # (B, L, E) -> (B, h, L, d)
            return F.linear(x, W, b).reshape(B, x.shape[1], h, E // h).transpose(1, 2)

        Q, K, Vh = heads(query, W_q, b_q), heads(key, W_k, b_k), heads(value, W_v, b_v)
        scores = Q @ K.transpose(-2, -1) / math.sqrt(E // h)  # (B, h, T, S)
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask[:, None, None, :], float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        output = (weights @ Vh).transpose(1, 2).reshape(B, T, E)
        return self.out_proj(output), weights.mean(dim=1)
