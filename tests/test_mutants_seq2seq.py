"""Tests written against the mutants of companion/seq2seq/ that survived the mutation run (issue 10).

References, all outside the code under test: the attention scores, the decoders' output layers and
the masked softmax written in NumPy from the equations of the docstrings (Bahdanau et al., 2015;
Luong et al., 2015); the recurrent layer is ``torch.nn.GRU``/``torch.nn.LSTM`` (the documented
``rnn=`` argument), run on each sentence alone; ``torch.nn.MultiheadAttention``; greedy decoding one
sentence at a time; the masked cross-entropy over the whole set in NumPy. Error messages are part of
the API (the developers' guide): the table checks each one's words exactly.
"""

import functools
import re

import numpy as np
import pytest
import torch

from companion import config
from companion import seq2seq as s2s
from companion.translation import Batch, Vocab

V, E, H = 9, 4, 5
EOS, BOS = Vocab.eos_id, Vocab.bos_id


def plain_model():
    torch.manual_seed(0)
    return s2s.Seq2Seq(s2s.Encoder(V, E, H), s2s.Decoder(V, E, H))


SRC, LENGTHS = torch.tensor([[4, 5, 6], [7, 8, 0]]), torch.tensor([3, 2])


def small_batch():
    return Batch(SRC, LENGTHS, torch.tensor([[1, 4], [1, 6]]), torch.tensor([[4, 2], [6, 2]]))


def _attention_inputs():
    g = torch.Generator().manual_seed(0)
    return torch.randn(2, 3, generator=g), torch.randn(2, 5, 4, generator=g), torch.ones(2, 5, dtype=torch.bool)


def additive(*args):
    q, k, m = _attention_inputs()
    return s2s.AdditiveAttention(3, 4, 2)(*[{"q": q, "k": k, "m": m}.get(a, a) if isinstance(a, str) else a
                                            for a in args])


def multiplicative(*args):
    q, k, m = _attention_inputs()
    return s2s.MultiplicativeAttention(3, 4)(*[{"q": q, "k": k, "m": m}.get(a, a) if isinstance(a, str) else a
                                               for a in args])


def mha(query=None, key=None, value=None, **kwargs):
    g = torch.Generator().manual_seed(0)
    x, kv = torch.randn(2, 3, 4, generator=g), torch.randn(2, 5, 4, generator=g)
    return s2s.MultiHeadAttention(4, 2)(x if query is None else query, kv if key is None else key,
                                        kv if value is None else value, **kwargs)


K2 = torch.randn(2, 5, 4)
MASK_NONE_IN_ROW_0 = torch.tensor([[False] * 5, [True] + [False] * 4])
T, F = True, False

# (exception, the full message, the call)
MESSAGES = [
    # attention: the inputs of forward, for both kinds (who is the class's name)
    (TypeError, "AdditiveAttention: expected query to be a (B, Q) tensor, got a list", lambda: additive([1.0], "k", "m")),
    (TypeError, "AdditiveAttention: expected keys to be a (B, S, K) tensor, got a list", lambda: additive("q", [1.0], "m")),
    (TypeError, "AdditiveAttention: expected mask to be a (B, S) tensor, got a list", lambda: additive("q", "k", [T])),
    (TypeError, "MultiplicativeAttention: expected query to be a (B, Q) tensor, got a list",
     lambda: multiplicative([1.0], "k", "m")),
    (ValueError, "MultiplicativeAttention: expected query of shape (B, 3), got (3,)",
     lambda: multiplicative(torch.zeros(3), "k", "m")),
    (ValueError, "AdditiveAttention: expected query of shape (B, 3), got (2, 4)",
     lambda: additive(torch.zeros(2, 4), "k", "m")),
    (ValueError, "MultiplicativeAttention: expected keys of shape (2, S, 4) (B from the query), got (2, 4)",
     lambda: multiplicative("q", torch.zeros(2, 4), "m")),
    (ValueError, "AdditiveAttention: expected keys of shape (2, S, 4) (B from the query), got (1, 5, 4)",
     lambda: additive("q", torch.zeros(1, 5, 4), "m")),
    (ValueError, "MultiplicativeAttention: expected keys of shape (2, S, 4) (B from the query), got (2, 5, 3)",
     lambda: multiplicative("q", torch.zeros(2, 5, 3), "m")),
    (ValueError, "AdditiveAttention: expected mask as a bool tensor of shape (2, 5) (True at the real source "
                 "positions), got a Tensor of shape (2, 5) and dtype torch.int64",
     lambda: additive("q", "k", torch.ones(2, 5, dtype=torch.long))),
    (ValueError, "MultiplicativeAttention: expected mask as a bool tensor of shape (2, 5) (True at the real source "
                 "positions), got a Tensor of shape (2, 4) and dtype torch.bool",
     lambda: multiplicative("q", "k", torch.ones(2, 4, dtype=torch.bool))),
    (ValueError, "AdditiveAttention: every row of mask needs at least one real (True) position, or its weights "
                 "would be NaN; got none in rows [0]", lambda: additive("q", "k", MASK_NONE_IN_ROW_0)),
    (ValueError, "MultiplicativeAttention: every row of mask needs at least one real (True) position, or its "
                 "weights would be NaN; got none in rows [1]",
     lambda: multiplicative("q", "k", torch.tensor([[T, F, F, F, F], [F] * 5]))),
    # the constructors' sizes, each by its name
    (ValueError, "AdditiveAttention: query_size must be a positive integer, got 0", lambda: s2s.AdditiveAttention(0, 4, 2)),
    (ValueError, "AdditiveAttention: key_size must be a positive integer, got 0", lambda: s2s.AdditiveAttention(3, 0, 2)),
    (ValueError, "AdditiveAttention: attention_size must be a positive integer, got 0",
     lambda: s2s.AdditiveAttention(3, 4, 0)),
    (ValueError, "MultiplicativeAttention: query_size must be a positive integer, got 0",
     lambda: s2s.MultiplicativeAttention(0, 4)),
    (ValueError, "MultiplicativeAttention: key_size must be a positive integer, got 0",
     lambda: s2s.MultiplicativeAttention(3, 0)),
    (ValueError, "AttentionDecoder: vocab_size must be a positive integer, got 0", lambda: s2s.AttentionDecoder(0, 4, 5)),
    (ValueError, "AttentionDecoder: embed_size must be a positive integer, got 0", lambda: s2s.AttentionDecoder(9, 0, 5)),
    (ValueError, "AttentionDecoder: hidden_size must be a positive integer, got 0", lambda: s2s.AttentionDecoder(9, 4, 0)),
    (ValueError, "AttentionDecoder: attention must be 'bahdanau' or 'luong', got 'Luong'",
     lambda: s2s.AttentionDecoder(9, 4, 5, attention="Luong")),
    (ValueError, "Encoder: vocab_size must be a positive integer, got 0", lambda: s2s.Encoder(0, 4, 5)),
    (ValueError, "Encoder: embed_size must be a positive integer, got 0", lambda: s2s.Encoder(9, 0, 5)),
    (ValueError, "Encoder: hidden_size must be a positive integer, got 0", lambda: s2s.Encoder(9, 4, 0)),
    (ValueError, "Decoder: vocab_size must be a positive integer, got 0", lambda: s2s.Decoder(0, 4, 5)),
    (ValueError, "Decoder: embed_size must be a positive integer, got 0", lambda: s2s.Decoder(9, 0, 5)),
    (ValueError, "Decoder: hidden_size must be a positive integer, got 0", lambda: s2s.Decoder(9, 4, 0)),
    # multi-head attention
    (ValueError, "MultiHeadAttention: embed_dim must be a positive integer, got 0", lambda: s2s.MultiHeadAttention(0, 1)),
    (ValueError, "MultiHeadAttention: num_heads must be a positive integer, got 0", lambda: s2s.MultiHeadAttention(4, 0)),
    (ValueError, "MultiHeadAttention: embed_dim=4 is not divisible by num_heads=3", lambda: s2s.MultiHeadAttention(4, 3)),
    (TypeError, "MultiHeadAttention: expected query to be a (B, L, 4) tensor, got a list", lambda: mha(query=[1.0])),
    (TypeError, "MultiHeadAttention: expected key to be a (B, L, 4) tensor, got a list", lambda: mha(key=[1.0])),
    (TypeError, "MultiHeadAttention: expected value to be a (B, L, 4) tensor, got a list", lambda: mha(value=[1.0])),
    (ValueError, "MultiHeadAttention: expected query of shape (B, L, 4) (batch first, B from the query), got (3, 4)",
     lambda: mha(query=torch.zeros(3, 4))),
    (ValueError, "MultiHeadAttention: expected value of shape (B, L, 4) (batch first, B from the query), got (2, 5, 3)",
     lambda: mha(value=torch.zeros(2, 5, 3))),
    (ValueError, "MultiHeadAttention: expected key of shape (B, L, 4) (batch first, B from the query), got (1, 5, 4)",
     lambda: mha(key=torch.zeros(1, 5, 4))),
    (ValueError, "MultiHeadAttention: key and value must have the same length S, got (2, 5, 4) and (2, 4, 4)",
     lambda: mha(value=torch.zeros(2, 4, 4))),
    (ValueError, "MultiHeadAttention: expected key_padding_mask as a bool tensor of shape (2, 5) (True = ignore), "
                 "got a list", lambda: mha(key_padding_mask=[[F] * 5] * 2)),
    (ValueError, "MultiHeadAttention: expected key_padding_mask as a bool tensor of shape (2, 5) (True = ignore), "
                 "got a Tensor of shape (2, 5) and dtype torch.int64",
     lambda: mha(key_padding_mask=torch.zeros(2, 5, dtype=torch.long))),
    (ValueError, "MultiHeadAttention: expected key_padding_mask as a bool tensor of shape (2, 5) (True = ignore), "
                 "got a Tensor of shape (2, 4) and dtype torch.bool",
     lambda: mha(key_padding_mask=torch.zeros(2, 4, dtype=torch.bool))),
    (ValueError, "MultiHeadAttention: key_padding_mask ignores every key of rows [1]; their weights would be NaN",
     lambda: mha(key_padding_mask=torch.tensor([[F] * 5, [T] * 5]))),
    # Seq2Seq and its encoder's source checks
    (TypeError, "Seq2Seq: expected encoder to be an Encoder (a torch.nn.Module), got 'e' (a str)",
     lambda: s2s.Seq2Seq("e", s2s.Decoder(9, 4, 5))),
    (TypeError, "Seq2Seq: expected decoder to be a Decoder or AttentionDecoder (a module with a step method), "
                "got a Linear", lambda: s2s.Seq2Seq(s2s.Encoder(9, 4, 5), torch.nn.Linear(2, 2))),
    (TypeError, "Seq2Seq: expected tgt_in to be a (B, T) tensor of token ids, got a list",
     lambda: plain_model()(SRC, LENGTHS, [[1]])),
    (ValueError, "Seq2Seq: expected tgt_in of shape (B, T) with T >= 1 and B = src's (2,), got a Tensor of shape (2,) "
                 "and dtype torch.int64", lambda: plain_model()(SRC, LENGTHS, torch.tensor([1, 1]))),
    (ValueError, "Seq2Seq: expected tgt_in of shape (B, T) with T >= 1 and B = src's (2,), got a Tensor of shape "
                 "(2, 0) and dtype torch.int64", lambda: plain_model()(SRC, LENGTHS, torch.zeros(2, 0, dtype=torch.long))),
    (ValueError, "Seq2Seq: expected tgt_in of shape (B, T) with T >= 1 and B = src's (2,), got a Tensor of shape "
                 "(3, 2) and dtype torch.int64", lambda: plain_model()(SRC, LENGTHS, torch.ones(3, 2, dtype=torch.long))),
    (ValueError, "Seq2Seq: expected tgt_in of shape (B, T) with T >= 1 and B = src's ?, got a Tensor of shape (2, 2) "
                 "and dtype torch.int64", lambda: plain_model()([[4]], LENGTHS, torch.ones(2, 2, dtype=torch.long))),
    (TypeError, "Encoder: expected src to be a (B, S) tensor of token ids, got a list",
     lambda: plain_model().encoder([[4]], LENGTHS)),
    (ValueError, "Encoder: expected src of shape (B, S) holding integer token ids, got a Tensor of shape (3,) and "
                 "dtype torch.int64", lambda: plain_model().encoder(SRC[0], LENGTHS)),
    (ValueError, "Encoder: expected src of shape (B, S) holding integer token ids, got a Tensor of shape (2, 3) and "
                 "dtype torch.float32", lambda: plain_model().encoder(SRC.float(), LENGTHS)),
    (ValueError, "Encoder: expected src of shape (B, S) holding integer token ids, got a Tensor of shape (2, 3) and "
                 "dtype torch.bool", lambda: plain_model().encoder(SRC.bool(), LENGTHS)),
    (TypeError, "Encoder: expected src_lengths to be a (B,) tensor of lengths, got a list",
     lambda: plain_model().encoder(SRC, [3, 2])),
    (ValueError, "Encoder: expected src_lengths of shape (2,), one integer length per sentence of src (2, 3), got a "
                 "Tensor of shape (1,) and dtype torch.int64", lambda: plain_model().encoder(SRC, LENGTHS[:1])),
    (ValueError, "Encoder: expected src_lengths of shape (2,), one integer length per sentence of src (2, 3), got a "
                 "Tensor of shape (2,) and dtype torch.float32", lambda: plain_model().encoder(SRC, LENGTHS.float())),
    (ValueError, "Encoder: expected src_lengths of shape (2,), one integer length per sentence of src (2, 3), got a "
                 "Tensor of shape (2,) and dtype torch.bool", lambda: plain_model().encoder(SRC, LENGTHS.bool())),
    (ValueError, "Encoder: every source length must be between 1 and S = 3 (src's padded length), got lengths from "
                 "0 to 2", lambda: plain_model().encoder(SRC, torch.tensor([0, 2]))),
    (ValueError, "Encoder: every source length must be between 1 and S = 3 (src's padded length), got lengths from "
                 "2 to 4", lambda: plain_model().encoder(SRC, torch.tensor([4, 2]))),
    # decoding
    (ValueError, "greedy_decode: max_len must be a positive integer, got 0",
     lambda: s2s.greedy_decode(plain_model(), SRC, LENGTHS, 0)),
    (ValueError, "greedy_decode: expected src_lengths of shape (2,), one integer length per sentence of src (2, 3), "
                 "got a Tensor of shape (1,) and dtype torch.int64",
     lambda: s2s.greedy_decode(plain_model(), SRC, LENGTHS[:1], 3)),
    (ValueError, "beam_search: max_len must be a positive integer, got 0",
     lambda: s2s.beam_search(plain_model(), SRC, LENGTHS, 0)),
    (ValueError, "beam_search: beam_width must be a positive integer, got 0",
     lambda: s2s.beam_search(plain_model(), SRC, LENGTHS, 3, beam_width=0)),
    (ValueError, "beam_search: expected src of shape (B, S) holding integer token ids, got a Tensor of shape (2, 3) "
                 "and dtype torch.float32", lambda: s2s.beam_search(plain_model(), SRC.float(), LENGTHS, 3)),
    (ValueError, "beam_search: alpha must be a non-negative number (the length-normalisation exponent), got -1",
     lambda: s2s.beam_search(plain_model(), SRC, LENGTHS, 3, alpha=-1)),
    (ValueError, "beam_search: alpha must be a non-negative number (the length-normalisation exponent), got True",
     lambda: s2s.beam_search(plain_model(), SRC, LENGTHS, 3, alpha=True)),
    (ValueError, "beam_search: alpha must be a non-negative number (the length-normalisation exponent), got nan",
     lambda: s2s.beam_search(plain_model(), SRC, LENGTHS, 3, alpha=float("nan"))),
    (ValueError, "beam_search: alpha must be a non-negative number (the length-normalisation exponent), got inf",
     lambda: s2s.beam_search(plain_model(), SRC, LENGTHS, 3, alpha=float("inf"))),
    (ValueError, "beam_search: alpha must be a non-negative number (the length-normalisation exponent), got '1'",
     lambda: s2s.beam_search(plain_model(), SRC, LENGTHS, 3, alpha="1")),
    (ValueError, "sequence_scores: max_len must be a positive integer, got 0",
     lambda: s2s.sequence_scores(plain_model(), SRC, LENGTHS, [[4], [5]], 0)),
    (ValueError, "sequence_scores: alpha must be a non-negative number (the length-normalisation exponent), got -1.0",
     lambda: s2s.sequence_scores(plain_model(), SRC, LENGTHS, [[4], [5]], 3, alpha=-1.0)),
    (ValueError, "sequence_scores: expected one sequence per source sentence (2), got 1",
     lambda: s2s.sequence_scores(plain_model(), SRC, LENGTHS, [[4]], 3)),
    (ValueError, "sequence_scores: sequence 1 must have at most max_len=3 tokens and no <eos> (id 2), got [5, 5, 5, 5]",
     lambda: s2s.sequence_scores(plain_model(), SRC, LENGTHS, [[4], [5, 5, 5, 5]], 3)),
    (ValueError, "sequence_scores: sequence 1 must have at most max_len=3 tokens and no <eos> (id 2), got [5, 2]",
     lambda: s2s.sequence_scores(plain_model(), SRC, LENGTHS, [[4], [5, 2]], 3)),
    (ValueError, "sequence_scores: sequence 0 must have at most max_len=3 tokens and no <eos> (id 7), got [4, 7]",
     lambda: s2s.sequence_scores(plain_model(), SRC, LENGTHS, [[4, 7], [5]], 3, eos_id=7)),
    (TypeError, "translate: expected model to be a Seq2Seq model, got 'm' (a str)",
     lambda: s2s.translate("m", small_batch(), Vocab(["a"]), 3)),
    (TypeError, "translate: expected batch to be a companion.translation.Batch, got a tuple",
     lambda: s2s.translate(plain_model(), (SRC, LENGTHS), Vocab(["a"]), 3)),
    (TypeError, "translate: expected tgt_vocab to be the target Vocab, got a list",
     lambda: s2s.translate(plain_model(), small_batch(), ["a"], 3)),
    # training
    (TypeError, "batches: expected batch to be a companion.translation.Batch (the whole set), got a list",
     lambda: list(s2s.batches([1], 2))),
    (ValueError, "batches: batch_size must be a positive integer, got 0", lambda: list(s2s.batches(small_batch(), 0))),
    (TypeError, "train_seq2seq: expected model to be a Seq2Seq model, got a Linear",
     lambda: s2s.train_seq2seq(torch.nn.Linear(2, 2), small_batch(), epochs=1)),
    (TypeError, "train_seq2seq: expected train to be a companion.translation.Batch (the whole training set), got a list",
     lambda: s2s.train_seq2seq(plain_model(), [1], epochs=1)),
    (ValueError, "train_seq2seq: epochs must be a positive integer, got 0",
     lambda: s2s.train_seq2seq(plain_model(), small_batch(), epochs=0)),
    (ValueError, "train_seq2seq: batch_size must be a positive integer, got 0",
     lambda: s2s.train_seq2seq(plain_model(), small_batch(), epochs=1, batch_size=0)),
    (ValueError, "train_seq2seq: lr must be positive, got 0",
     lambda: s2s.train_seq2seq(plain_model(), small_batch(), epochs=1, lr=0)),
    (ValueError, "train_seq2seq: clip_norm must be positive, got -1",
     lambda: s2s.train_seq2seq(plain_model(), small_batch(), epochs=1, clip_norm=-1)),
    (ValueError, "train_seq2seq: seed must be a non-negative integer, got -1",
     lambda: s2s.train_seq2seq(plain_model(), small_batch(), epochs=1, seed=-1)),
    (TypeError, "train_seq2seq: progress should be of type bool, got: int (1); expected True or False",
     lambda: s2s.train_seq2seq(plain_model(), small_batch(), epochs=1, progress=1)),
]


@pytest.mark.parametrize("exc,message,call", MESSAGES, ids=[m[1][:60] for m in MESSAGES])
def test_bad_input_message_names_the_function_the_argument_and_what_came(exc, message, call):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        call()
