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


# -- attention against the equations, in NumPy ------------------------------------------------


def np_masked_softmax(scores, mask):
    e = np.where(mask, np.exp(scores - scores.max(axis=-1, keepdims=True)), 0.0)
    return e / e.sum(axis=-1, keepdims=True)


def np_additive(attention, query, keys, mask):
    """score(q, k_j) = v^T tanh(W_q q + W_k k_j); weights = masked softmax; context = sum_j w_j k_j."""
    W_q, W_k, v = (attention.W_q.weight.detach().numpy(), attention.W_k.weight.detach().numpy(),
                   attention.v.weight.detach().numpy()[0])
    q, k, m = query.numpy(), keys.numpy(), mask.numpy()
    scores = np.array([[v @ np.tanh(W_q @ q[b] + W_k @ k[b, j]) for j in range(k.shape[1])] for b in range(len(q))])
    w = np_masked_softmax(scores, m)
    return scores, (w[:, :, None] * k).sum(axis=1), w


def np_multiplicative(attention, query, keys, mask):
    """score(q, k_j) = q^T W k_j (W of shape (Q, K))."""
    W = attention.W.weight.detach().numpy()
    q, k, m = query.numpy(), keys.numpy(), mask.numpy()
    scores = np.array([[q[b] @ W @ k[b, j] for j in range(k.shape[1])] for b in range(len(q))])
    w = np_masked_softmax(scores, m)
    return scores, (w[:, :, None] * k).sum(axis=1), w


@pytest.mark.parametrize("kind", ["additive", "multiplicative"])
def test_attention_scores_weights_and_context_follow_the_equations(kind):
    Q, K, B, S = 3, 4, 3, 5
    attention = s2s.AdditiveAttention(Q, K, 6).double() if kind == "additive" else s2s.MultiplicativeAttention(Q, K).double()
    for p in attention.parameters():
        torch.nn.init.normal_(p)
    query, keys = torch.randn(B, Q, dtype=torch.float64), torch.randn(B, S, K, dtype=torch.float64)
    mask = torch.arange(S)[None, :] < torch.tensor([5, 2, 4])[:, None]
    reference = np_additive if kind == "additive" else np_multiplicative
    scores, context, weights = reference(attention, query, keys, mask)
    np.testing.assert_allclose(attention.scores(query, keys).detach().numpy(), scores, rtol=1e-10)
    got_context, got_weights = attention(query, keys, mask)
    np.testing.assert_allclose(got_weights.detach().numpy(), weights, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got_context.detach().numpy(), context, rtol=1e-10, atol=1e-14)


# -- the decoders, step by step, against torch.nn's recurrent layers and NumPy ------------------


def embed(module, y):
    return module.embedding.weight.detach().numpy()[y.numpy()]


def linear(layer, x):
    return x @ layer.weight.detach().numpy().T + (0 if layer.bias is None else layer.bias.detach().numpy())


def ref_decoder_step(decoder, y, state, keys, mask):
    """One step of the documented equations: (logits (B, V), state, weights (B, S) or None)."""
    e = embed(decoder, y)
    h = state[0] if isinstance(state, tuple) else state  # (layers, B, H)
    with torch.no_grad():
        if isinstance(decoder, s2s.Decoder):
            output, state = decoder.rnn(torch.tensor(e)[:, None], state)
            return linear(decoder.out, output[:, 0].numpy()), state, None
        if decoder.kind == "bahdanau":  # query h_{t-1}, context into the RNN, logits from [h_t; c_t]
            _, c, w = np_additive(decoder.attention, h[-1], keys, mask)
            output, state = decoder.rnn(torch.tensor(np.concatenate([e, c], axis=1))[:, None], state)
            return linear(decoder.out, np.concatenate([output[:, 0].numpy(), c], axis=1)), state, w
        output, state = decoder.rnn(torch.tensor(e)[:, None], state)  # luong: query h_t
        h_t = output[:, 0]
        _, c, w = np_multiplicative(decoder.attention, h_t, keys, mask)
        h_tilde = np.tanh(linear(decoder.combine, np.concatenate([c, h_t.numpy()], axis=1)))
        return linear(decoder.out, h_tilde), state, w


def ref_encode(model, src, lengths):
    """Each sentence alone, unpadded, through the encoder's (torch.nn) layer; outputs zero after the end."""
    B, S = src.shape
    outputs, states = torch.zeros(B, S, model.encoder.rnn.hidden_size, dtype=torch.float64), []
    with torch.no_grad():
        for b in range(B):
            n = int(lengths[b])
            out, state = model.encoder.rnn(torch.tensor(embed(model.encoder, src[b, :n]))[None])
            outputs[b, :n] = out[0]
            states.append(state)
    if isinstance(states[0], tuple):
        state = tuple(torch.cat([s[i] for s in states], dim=1) for i in range(2))
    else:
        state = torch.cat(states, dim=1)
    return outputs, torch.arange(S)[None, :] < lengths[:, None], state


def make_model(kind, rnn=torch.nn.GRU, tgt_vocab=7, seed=0):
    torch.manual_seed(seed)
    encoder = s2s.Encoder(9, 4, H, rnn=rnn)
    decoder = s2s.Decoder(tgt_vocab, 3, H, rnn=rnn) if kind == "none" else s2s.AttentionDecoder(tgt_vocab, 3, H, kind, rnn=rnn)
    model = s2s.Seq2Seq(encoder, decoder).double().eval()
    for name, p in model.named_parameters():
        torch.nn.init.normal_(p, std=0.8)
    return model


def sources(B=4, S=6, vocab=9):
    lengths = torch.randint(1, S + 1, (B,))
    lengths[0] = S - 1  # the longest source shorter than S: the encoder must still return S steps
    src = torch.randint(4, vocab, (B, S)) * (torch.arange(S)[None, :] < lengths[:, None])
    return src, lengths


THREE_LAYER_GRU = functools.partial(torch.nn.GRU, num_layers=3)


@pytest.mark.parametrize("kind,rnn", [("none", torch.nn.GRU), ("bahdanau", torch.nn.GRU), ("luong", torch.nn.GRU),
                                      ("bahdanau", torch.nn.LSTM), ("bahdanau", THREE_LAYER_GRU)])
def test_teacher_forced_forward_follows_the_equations_step_by_step(kind, rnn):
    model = make_model(kind, rnn)
    src, lengths = sources()
    tgt_in = torch.randint(3, 7, (4, 3))
    tgt_in[:, 0] = BOS
    outputs, mask, state = ref_encode(model, src, lengths)
    got_outputs, got_state = model.encoder(src, lengths)
    torch.testing.assert_close(got_outputs, outputs)
    torch.testing.assert_close(got_state, state)
    logits, weights = [], []
    for t in range(tgt_in.shape[1]):
        logits_t, state, weights_t = ref_decoder_step(model.decoder, tgt_in[:, t], state, outputs, mask)
        logits.append(logits_t)
        weights.append(weights_t)
    with torch.no_grad():
        got_logits, got_weights = model(src, lengths, tgt_in)
    np.testing.assert_allclose(got_logits.numpy(), np.stack(logits, axis=1), rtol=1e-9, atol=1e-12)
    if kind == "none":
        assert got_weights is None
    else:
        np.testing.assert_allclose(got_weights.numpy(), np.stack(weights, axis=1), rtol=1e-9, atol=1e-12)
        assert got_weights.shape == (4, 3, src.shape[1])


def test_the_embeddings_of_pad_are_zero_at_creation():
    # torch.nn.Embedding(padding_idx=Vocab.pad_id) zeroes that row; every other row is drawn at random
    model = s2s.Seq2Seq(s2s.Encoder(9, 4, H), s2s.AttentionDecoder(7, 3, H, "luong"))
    for module in (model.encoder, model.decoder, s2s.Decoder(7, 3, H), s2s.AttentionDecoder(7, 3, H)):
        assert (module.embedding.weight[Vocab.pad_id] == 0).all()
        assert (module.embedding.weight[Vocab.pad_id + 1 :] != 0).all()


# -- batches and train_seq2seq -----------------------------------------------------------------


def translation_set(n, S=6, T=5, vocab=8):
    """``n`` random pairs; src padded to S, targets to T + 1 (so every minibatch has padding to trim)."""
    src_lengths = torch.randint(1, S - 1, (n,))
    tgt_lengths = torch.randint(1, T - 1, (n,))
    src = torch.randint(4, vocab, (n, S)) * (torch.arange(S)[None, :] < src_lengths[:, None])
    words = torch.randint(4, vocab, (n, T + 1))
    tgt_in = torch.zeros(n, T + 1, dtype=torch.long)
    tgt_out = torch.zeros(n, T + 1, dtype=torch.long)
    for i, m in enumerate(tgt_lengths.tolist()):
        tgt_in[i, : m + 1] = torch.cat([torch.tensor([BOS]), words[i, :m]])
        tgt_out[i, : m + 1] = torch.cat([words[i, :m], torch.tensor([EOS])])
    return Batch(src, src_lengths, tgt_in, tgt_out)


def test_batches_are_runs_of_the_length_sorted_set_in_the_generators_order_each_trimmed():
    data = translation_set(11)
    data.src_lengths[:] = torch.tensor([3, 1, 2, 3, 1, 4, 2, 3, 1, 4, 2])  # ties: their order is the set's
    data.src[:] = data.src * (torch.arange(6)[None, :] < data.src_lengths[:, None])
    ranked = sorted(range(11), key=lambda i: (int(data.src_lengths[i]), i))  # sorted by length, ties in order
    runs = [ranked[i : i + 2] for i in range(0, 11, 2)]
    for seed in (5, 6):
        order = torch.randperm(len(runs), generator=torch.Generator().manual_seed(seed)).tolist()
        got = list(s2s.batches(data, 2, torch.Generator().manual_seed(seed)))
        assert len(got) == len(runs) == 6
        for r, b in zip(order, got):
            index = torch.tensor(runs[r])
            S_r = int(data.src_lengths[index].max())
            T_r = int((data.tgt_out[index] != 0).sum(dim=1).max())
            assert b.src.shape == (len(index), S_r) and b.tgt_in.shape == b.tgt_out.shape == (len(index), T_r)
            assert torch.equal(b.src, data.src[index, :S_r]) and torch.equal(b.src_lengths, data.src_lengths[index])
            assert torch.equal(b.tgt_in, data.tgt_in[index, :T_r])
            assert torch.equal(b.tgt_out, data.tgt_out[index, :T_r])


def test_batches_keep_the_sets_order_among_sources_of_equal_length():
    # 120 sources of lengths 1 and 2: sorted stably, the runs of 40 hold the examples in the set's order
    data = translation_set(120, S=4, T=3)
    data.src_lengths[:] = torch.randint(1, 3, (120,))
    ranked = sorted(range(120), key=lambda i: int(data.src_lengths[i]))  # Python's sort is stable
    got = sorted((b for b in s2s.batches(data, 40, torch.Generator().manual_seed(0))),
                 key=lambda b: b.src_lengths.tolist())
    expected = sorted((ranked[i : i + 40] for i in range(0, 120, 40)), key=lambda r: data.src_lengths[r].tolist())
    for b, run in zip(got, expected):
        assert torch.equal(b.tgt_out, data.tgt_out[run, : b.tgt_out.shape[1]])


def reference_training(model, train, *, epochs, lr, batch_size, clip_norm, seed):
    """train_seq2seq's documented algorithm written plainly: Adam, teacher forcing, torch's cross-entropy with
    ignore_index=<pad>, the global gradient norm clipped, the batch order drawn from a generator seeded with
    ``seed``; the loss per epoch is the mean over the epoch's real target tokens."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for b in s2s.batches(train, batch_size, generator):
            optimizer.zero_grad()
            logits, _ = model(b.src, b.src_lengths, b.tgt_in)
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), b.tgt_out.flatten(), ignore_index=0)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            optimizer.step()
            tokens = int((b.tgt_out != 0).sum())
            total, count = total + loss.item() * tokens, count + tokens
        losses.append(total / count)
    return losses


def tiny_model(seed):
    torch.manual_seed(seed)
    model = s2s.Seq2Seq(s2s.Encoder(8, 3, 4), s2s.AttentionDecoder(8, 3, 4, "luong")).double()
    for p in model.parameters():
        torch.nn.init.normal_(p, std=1.5)  # large gradients: the clipping acts
    return model


def assert_same_training(got_model, got_losses, expected_model, expected_losses):
    np.testing.assert_allclose(got_losses, expected_losses, rtol=1e-9)
    for (name, p), q in zip(got_model.named_parameters(), expected_model.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-7, atol=1e-9, msg=name)


@pytest.mark.parametrize("kwargs", [dict(lr=0.05, batch_size=3, clip_norm=0.5, seed=0),
                                    dict(lr=0.02, batch_size=4, clip_norm=2.0, seed=6)])
def test_train_seq2seq_is_adam_with_clipping_on_the_seeded_batch_order(kwargs):
    train = translation_set(10)
    model, reference = tiny_model(1), tiny_model(1)
    losses = s2s.train_seq2seq(model, train, epochs=2, progress=False, **kwargs)
    expected = reference_training(reference, train, epochs=2, **kwargs)
    assert_same_training(model, losses, reference, expected)
    for name, other in (("lr", kwargs["lr"] * 2), ("clip_norm", kwargs["clip_norm"] / 4), ("seed", kwargs["seed"] + 1)):
        assert reference_training(tiny_model(1), train, epochs=2, **{**kwargs, name: other}) != expected, name


def test_train_seq2seq_defaults_are_lr_3e_3_batches_of_64_clip_norm_1_and_the_runs_seed():
    train = translation_set(70, S=4, T=3, vocab=6)  # 70 pairs: runs of 64 and 6
    model, reference = tiny_model(2), tiny_model(2)
    losses = s2s.train_seq2seq(model, train, epochs=2, progress=False)
    expected = reference_training(reference, train, epochs=2, lr=3e-3, batch_size=64, clip_norm=1.0,
                                  seed=config.seed())
    assert_same_training(model, losses, reference, expected)
    assert reference_training(tiny_model(2), train, epochs=2, lr=3e-3, batch_size=65, clip_norm=1.0,
                              seed=config.seed()) != expected


def test_train_seq2seq_reports_the_per_token_mean_loss_of_a_model_that_barely_moves():
    # lr=1e-12: Adam moves each weight by about 1e-12 per step, so every epoch's loss is the masked
    # cross-entropy of the initial model over all real target tokens, worked here in NumPy.
    train = translation_set(7)
    model = tiny_model(3)
    with torch.no_grad():
        logits, _ = model(train.src, train.src_lengths, train.tgt_in)
    log_p = torch.log_softmax(logits, -1).numpy()
    target, real = train.tgt_out.numpy(), train.tgt_out.numpy() != 0
    picked = np.take_along_axis(log_p, target[..., None], axis=-1)[..., 0]
    expected = -picked[real].sum() / real.sum()
    losses = s2s.train_seq2seq(model, train, epochs=2, lr=1e-12, batch_size=2, progress=False)
    np.testing.assert_allclose(losses, [expected, expected], rtol=1e-8)


def test_train_seq2seq_shows_a_progress_bar_by_default(capsys):
    train = translation_set(3)
    s2s.train_seq2seq(tiny_model(4), train, epochs=1, batch_size=4, progress=False)
    assert "training" not in capsys.readouterr().err
    s2s.train_seq2seq(tiny_model(4), train, epochs=1, batch_size=4)
    assert "training" in capsys.readouterr().err


# -- decoding: greedy, beam search, sequence scores, translate on hand-made distributions ---------

A, B_, C = 4, 5, 6  # three words of the target vocabulary (ids 4.. are words; EOS = 2, BOS = 1)
TABLES = {  # next-token probabilities keyed by the inputs so far (<bos> included); anything else: <eos>
    4: {(BOS,): {A: 0.9, B_: 0.05, EOS: 0.05}, (BOS, A): {EOS: 0.55, B_: 0.3, C: 0.15}},
    5: {(BOS,): {A: 0.55, B_: 0.45}, (BOS, A): {A: 0.34, B_: 0.33, C: 0.33}, (BOS, B_): {EOS: 1.0}},
}
# Source 4: "A <eos>" has log p = log .9 + log .55 = -0.703 over 2 tokens, "A B <eos>" log .9 + log .3 = -1.309
# over 3: alpha = 1 prefers "A" (-0.351 against -0.436), alpha = 2 "A B" (-0.176 against -0.145).
# Source 5: the greedy path "A A <eos>" (-1.677) loses to "B <eos>" (-0.799), which a beam of width 1 prunes at
# the first step; with alpha = 2, "A A" (-0.186) beats "B" (-0.200). (Every other token has p = 1e-9.)


class TableSeq2Seq(s2s.Seq2Seq):
    """A Seq2Seq whose decoder reads its next-token distribution from TABLES[first source token]; the state
    (1, B, 1 + t) holds the table's key and the inputs so far, so the beams can be reordered."""

    def __init__(self):
        super().__init__(s2s.Encoder(8, 2, 2), s2s.Decoder(7, 2, 2))

    def encode(self, src, src_lengths):
        memory = (torch.zeros(src.shape[0], 1, 1), torch.ones(src.shape[0], 1, dtype=torch.bool))
        return memory, src[:, :1][None]

    def step(self, y_prev, state, memory):
        state = torch.cat([state, y_prev[None, :, None]], dim=-1)
        logits = torch.empty(y_prev.shape[0], 7, dtype=torch.float64)
        for b in range(y_prev.shape[0]):
            table, prefix = int(state[0, b, 0]), tuple(state[0, b, 1:].tolist())
            p = torch.full((7,), 1e-9, dtype=torch.float64)
            for token, q in TABLES[table].get(prefix, {EOS: 1.0}).items():
                p[token] = q
            logits[b] = (p / p.sum()).log()
        return logits, state, None


TABLE_SRC, TABLE_LENGTHS = torch.tensor([[4, 7], [5, 7]]), torch.tensor([2, 2])
WORDS = Vocab(["a", "b", "c"])  # ids 4, 5, 6


@pytest.mark.parametrize("kwargs,expected", [
    (dict(beam_width=5), [[A], [B_]]),  # alpha = 1 by default
    (dict(beam_width=5, alpha=1.0), [[A], [B_]]),
    (dict(beam_width=5, alpha=2.0), [[A, B_], [A, A]]),
    (dict(beam_width=1), [[A], [A, A]]),
    (dict(alpha=1.0), [[A], [B_]]),  # a width of 5 by default
    (dict(beam_width=2, alpha=0.0), [[A], [B_]]),
])
def test_beam_search_and_translate_find_the_hand_worked_answers(kwargs, expected):
    model = TableSeq2Seq()
    assert s2s.beam_search(model, TABLE_SRC, TABLE_LENGTHS, 4, **kwargs) == expected
    batch = Batch(TABLE_SRC, TABLE_LENGTHS, torch.ones(2, 1, dtype=torch.long), torch.full((2, 1), EOS))
    if "beam_width" in kwargs:  # translate's beam mode passes beam_width and alpha (default 1) on
        words = [" ".join(WORDS.itos[t] for t in tokens) for tokens in expected]
        assert s2s.translate(model, batch, WORDS, 4, **kwargs) == words


def test_greedy_decoding_and_translate_without_beam_width_take_the_most_probable_token():
    model = TableSeq2Seq()
    sequences, weights = s2s.greedy_decode(model, TABLE_SRC, TABLE_LENGTHS, 4)
    assert sequences == [[A], [A, A]] and weights is None
    batch = Batch(TABLE_SRC, TABLE_LENGTHS, torch.ones(2, 1, dtype=torch.long), torch.full((2, 1), EOS))
    assert s2s.translate(model, batch, WORDS, 4) == ["a", "a a"]
    assert s2s.translate(model, batch, WORDS, 1) == ["a", "a"]  # cut at max_len


@pytest.mark.parametrize("decode", ["greedy", "beam"])
def test_bos_and_eos_ids_default_to_the_vocabularys(decode):
    model = TableSeq2Seq()

    def run(**ids):
        if decode == "greedy":
            return s2s.greedy_decode(model, TABLE_SRC, TABLE_LENGTHS, 4, **ids)[0]
        return s2s.beam_search(model, TABLE_SRC, TABLE_LENGTHS, 4, beam_width=3, **ids)

    assert run() == run(bos_id=BOS, eos_id=EOS) == ([[A], [A, A]] if decode == "greedy" else [[A], [B_]])
    assert run(bos_id=3) == [[], []]  # the tables know only prefixes that start with <bos>: <eos> at once
    assert run(eos_id=A) != run()


def test_sequence_scores_are_the_hand_worked_log_probabilities():
    model = TableSeq2Seq()
    sequences = [[A, B_], [B_]]
    log_p = np.array([np.log(0.9) + np.log(0.3), np.log(0.45)])  # then <eos> with p ~ 1
    lengths = np.array([3, 2])
    got = s2s.sequence_scores(model, TABLE_SRC, TABLE_LENGTHS, sequences, 4)
    np.testing.assert_allclose(got.numpy(), log_p, rtol=1e-6)
    assert got.dtype == torch.float64
    np.testing.assert_allclose(s2s.sequence_scores(model, TABLE_SRC, TABLE_LENGTHS, sequences, 4, alpha=2.0).numpy(),
                               log_p / lengths**2, rtol=1e-6)
    np.testing.assert_allclose(s2s.sequence_scores(model, TABLE_SRC, TABLE_LENGTHS, sequences, 4, bos_id=BOS,
                                                   eos_id=EOS).numpy(), log_p, rtol=1e-6)
    # a sequence of max_len tokens is scored without <eos>: "A B" cut at 2 is log .9 + log .3 over 2 tokens
    cut = s2s.sequence_scores(model, TABLE_SRC[:1], TABLE_LENGTHS[:1], [[A, B_]], 2, alpha=1.0)
    np.testing.assert_allclose(cut.numpy(), [(np.log(0.9) + np.log(0.3)) / 2], rtol=1e-6)
    # with another <bos> the tables know nothing: <eos> has p ~ 1, every word ~ 1e-9
    assert float(s2s.sequence_scores(model, TABLE_SRC[:1], TABLE_LENGTHS[:1], [[]], 4, bos_id=3)) == pytest.approx(0, abs=1e-6)


# -- the parameters are the equations' and no more; multi-head attention with several heads ------


def test_attention_parameters_are_exactly_the_equations_matrices():
    # additive: W_q (A, Q), W_k (A, K), v (A,); multiplicative: W (Q, K); no bias anywhere
    shapes = {name: tuple(p.shape) for name, p in s2s.AdditiveAttention(3, 4, 6).named_parameters()}
    assert shapes == {"W_q.weight": (6, 3), "W_k.weight": (6, 4), "v.weight": (1, 6)}
    shapes = {name: tuple(p.shape) for name, p in s2s.MultiplicativeAttention(3, 4).named_parameters()}
    assert shapes == {"W.weight": (3, 4)}


def test_attention_decoder_is_bahdanaus_by_default():
    torch.manual_seed(0)
    default = s2s.AttentionDecoder(7, 3, 4)
    torch.manual_seed(0)
    bahdanau = s2s.AttentionDecoder(7, 3, 4, attention="bahdanau")
    assert isinstance(default.attention, s2s.AdditiveAttention) and default.kind == "bahdanau"
    for p, q in zip(default.state_dict().values(), bahdanau.state_dict().values()):
        assert torch.equal(p, q)
    assert isinstance(s2s.AttentionDecoder(7, 3, 4, attention="luong").attention, s2s.MultiplicativeAttention)


@pytest.mark.parametrize("heads", [2, 4])
def test_multi_head_attention_with_several_heads_and_queries_equals_torch(heads):
    E = 8
    ours = s2s.MultiHeadAttention(E, heads).double()
    theirs = torch.nn.MultiheadAttention(E, heads, batch_first=True).double()
    for p in theirs.parameters():
        torch.nn.init.normal_(p)
    ours.load_state_dict(theirs.state_dict())
    q, kv = torch.randn(3, 4, E, dtype=torch.float64), torch.randn(3, 5, E, dtype=torch.float64)
    padding = torch.arange(5)[None, :] >= torch.tensor([5, 3, 1])[:, None]
    for mask in (None, padding):
        out, weights = ours(q, kv, kv, key_padding_mask=mask)
        expected, expected_weights = theirs(q, kv, kv, key_padding_mask=mask)
        torch.testing.assert_close(out, expected, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(weights, expected_weights, rtol=1e-10, atol=1e-12)


def test_train_seq2seq_names_itself_when_the_loss_is_not_finite():
    model = tiny_model(5)
    with torch.no_grad():
        model.decoder.out.bias.fill_(float("nan"))
    message = "train_seq2seq: the training loss became nan at epoch 0; lower the learning rate or set clip_norm"
    with pytest.raises(FloatingPointError, match="^" + re.escape(message) + "$"):
        s2s.train_seq2seq(model, translation_set(4), epochs=1, progress=False)
