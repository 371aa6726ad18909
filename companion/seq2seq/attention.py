"""Attention: a weighted average of the encoder states, weights from a score.

* :class:`AdditiveAttention` (Bahdanau et al., 2015) and :class:`MultiplicativeAttention`
  (Luong et al., 2015);
* :class:`AttentionDecoder` — a decoder that attends to the encoder states at every step,
  in Bahdanau's arrangement (query ``h_{t-1}``, context fed into the RNN) or Luong's
  (query ``h_t``, context combined with it after the RNN);
* :class:`MultiHeadAttention` — scaled dot-product attention in several heads, with the
  parameters of ``torch.nn.MultiheadAttention``: the bridge to Transformers.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_instance, describe, shape_str
from ..data.text import Vocab
from ..layers import GRU
from .encoder_decoder import _check_sizes, _hidden


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
        h = self.num_heads
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
