"""The encoder, the plain decoder and :class:`Seq2Seq`, which ties an encoder to a decoder.

* :class:`Encoder` — embedding and a recurrent layer; returns every state (B, S, H) and the last;
* :class:`Decoder` — starts from the encoder's last state (the *context vector*) and never
  looks at the source again;
* :class:`Seq2Seq` — ``forward`` under teacher forcing, ``encode`` and ``step`` for decoding.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..checks import check_instance, check_int, describe, shape_str
from ..data.text import Vocab
from ..layers import GRU
from ..masking import lengths_to_mask


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
        mask = lengths_to_mask(src_lengths.to(src.device), src.shape[1])
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
