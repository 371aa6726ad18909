"""Bad input to companion.seq2seq and companion.masking raises ValueError or TypeError with a message
that names the function, the argument, what was expected and what came — never a row silently
dropped, a NaN from an empty softmax or mean, or a ZeroDivisionError from inside. The table is in
the style of tests/test_bad_input_api.py."""


import pytest
import torch

from companion import masking
from companion import seq2seq as s2s
from companion.translation import Batch, Vocab

from helpers import assert_refused, bad_input_case

V, E, H = 9, 4, 5


case = bad_input_case


def model(kind="plain"):
    torch.manual_seed(0)
    decoder = s2s.Decoder(V, E, H) if kind == "plain" else s2s.AttentionDecoder(V, E, H, attention=kind)
    return s2s.Seq2Seq(s2s.Encoder(V, E, H), decoder)


SRC = torch.tensor([[4, 5, 6], [7, 8, 0]])
LENGTHS = torch.tensor([3, 2])


def batch():
    tgt = torch.tensor([[1, 4, 5], [1, 6, 0]])
    return Batch(SRC, LENGTHS, tgt, torch.tensor([[4, 5, 2], [6, 2, 0]]))


def attention(kind):
    torch.manual_seed(0)
    return s2s.AdditiveAttention(H, H, 3) if kind == "additive" else s2s.MultiplicativeAttention(H, H)


QUERY, KEYS = torch.randn(2, H), torch.randn(2, 3, H)
MASK = torch.tensor([[True, True, True], [True, True, False]])

CASES = [
    # the encoder and the models
    case("encoder-fewer-lengths", "Encoder", lambda: model().encoder(SRC, torch.tensor([3])), ValueError,
         ["src_lengths of shape (2,)", "one integer length per sentence"], "(1,)"),
    case("encoder-length-past-S", "Encoder", lambda: model().encoder(SRC, torch.tensor([4, 2])), ValueError,
         ["between 1 and S = 3"], "4"),
    case("encoder-length-zero", "Encoder", lambda: model().encoder(SRC, torch.tensor([3, 0])), ValueError,
         ["between 1 and S = 3"], "0"),
    case("encoder-float-src", "Encoder", lambda: model().encoder(SRC.float(), LENGTHS), ValueError,
         ["src of shape (B, S) holding integer token ids"], "float32"),
    case("encoder-list-src", "Encoder", lambda: model().encoder([[4, 5]], LENGTHS), TypeError,
         ["src to be a (B, S) tensor of token ids"], "a list"),
    case("encoder-zero-size", "Encoder", lambda: s2s.Encoder(V, 0, H), ValueError, ["embed_size"], "0"),
    case("decoder-float-size", "Decoder", lambda: s2s.Decoder(V, E, 2.5), ValueError, ["hidden_size"], "2.5"),
    case("attention-decoder-kind", "AttentionDecoder", lambda: s2s.AttentionDecoder(V, E, H, attention="dot"),
         ValueError, ["'bahdanau' or 'luong'"], "'dot'"),
    case("seq2seq-decoder-without-step", "Seq2Seq", lambda: s2s.Seq2Seq(s2s.Encoder(V, E, H), torch.nn.Linear(2, 2)),
         TypeError, ["a module with a step method"], "a Linear"),
    case("seq2seq-tgt-other-batch", "Seq2Seq", lambda: model()(SRC, LENGTHS, torch.tensor([[1, 4]])), ValueError,
         ["tgt_in of shape (B, T)", "(2,)"], "shape (1, 2)"),
    # attention
    case("additive-all-padding-row", "AdditiveAttention",
         lambda: attention("additive")(QUERY, KEYS, torch.tensor([[True, False, False], [False, False, False]])),
         ValueError, ["at least one real (True) position", "weights would be NaN"], "[1]"),
    case("multiplicative-mask-shape", "MultiplicativeAttention",
         lambda: attention("multiplicative")(QUERY, KEYS, MASK[:, :2]), ValueError,
         ["mask as a bool tensor of shape (2, 3)"], "shape (2, 2)"),
    case("multiplicative-mask-int", "MultiplicativeAttention",
         lambda: attention("multiplicative")(QUERY, KEYS, MASK.long()), ValueError,
         ["mask as a bool tensor"], "int64"),
    case("additive-query-size", "AdditiveAttention", lambda: attention("additive")(torch.randn(2, H + 1), KEYS, MASK),
         ValueError, [f"query of shape (B, {H})"], f"(2, {H + 1})"),
    case("additive-keys-batch", "AdditiveAttention", lambda: attention("additive")(QUERY, KEYS[:1], MASK), ValueError,
         [f"keys of shape (2, S, {H})"], f"(1, 3, {H})"),
    case("additive-zero-size", "AdditiveAttention", lambda: s2s.AdditiveAttention(H, H, 0), ValueError,
         ["attention_size"], "0"),
    case("mha-zero-heads", "MultiHeadAttention", lambda: s2s.MultiHeadAttention(8, 0), ValueError,
         ["num_heads", "positive integer"], "0"),
    case("mha-not-divisible", "MultiHeadAttention", lambda: s2s.MultiHeadAttention(8, 3), ValueError,
         ["not divisible"], ""),
    case("mha-embed-mismatch", "MultiHeadAttention",
         lambda: s2s.MultiHeadAttention(8, 2)(torch.randn(2, 3, 8), torch.randn(2, 4, 6), torch.randn(2, 4, 6)),
         ValueError, ["key of shape (B, L, 8)"], "(2, 4, 6)"),
    case("mha-key-value-lengths", "MultiHeadAttention",
         lambda: s2s.MultiHeadAttention(8, 2)(torch.randn(2, 3, 8), torch.randn(2, 4, 8), torch.randn(2, 5, 8)),
         ValueError, ["same length S"], "(2, 5, 8)"),
    case("mha-all-ignored", "MultiHeadAttention",
         lambda: s2s.MultiHeadAttention(8, 2)(torch.randn(2, 3, 8), torch.randn(2, 4, 8), torch.randn(2, 4, 8),
                                              key_padding_mask=torch.tensor([[False] * 4, [True] * 4])),
         ValueError, ["ignores every key of rows [1]", "NaN"], ""),
    case("mha-mask-shape", "MultiHeadAttention",
         lambda: s2s.MultiHeadAttention(8, 2)(torch.randn(2, 3, 8), torch.randn(2, 4, 8), torch.randn(2, 4, 8),
                                              key_padding_mask=torch.zeros(2, 3, dtype=torch.bool)),
         ValueError, ["key_padding_mask as a bool tensor of shape (2, 4)"], "shape (2, 3)"),
    # decoding and training
    case("greedy-max-len-zero", "greedy_decode", lambda: s2s.greedy_decode(model(), SRC, LENGTHS, max_len=0),
         ValueError, ["max_len", "positive integer"], "0"),
    case("greedy-fewer-lengths", "greedy_decode",
         lambda: s2s.greedy_decode(model(), SRC, torch.tensor([3]), max_len=3), ValueError,
         ["src_lengths of shape (2,)"], "(1,)"),
    case("beam-width-float", "beam_search", lambda: s2s.beam_search(model(), SRC, LENGTHS, 3, beam_width=2.0),
         ValueError, ["beam_width", "integer"], "2.0"),
    case("beam-list-lengths", "beam_search", lambda: s2s.beam_search(model(), SRC, [3, 2], 3), TypeError,
         ["src_lengths to be a (B,) tensor"], "a list"),
    case("translate-not-a-batch", "translate", lambda: s2s.translate(model(), (SRC, LENGTHS), Vocab(["a"]), 3),
         TypeError, ["companion.translation.Batch"], "a tuple"),
    case("batches-zero-size", "batches", lambda: list(s2s.batches(batch(), 0)), ValueError,
         ["batch_size", "positive integer"], "0"),
    case("train-zero-epochs", "train_seq2seq", lambda: s2s.train_seq2seq(model(), batch(), epochs=0, progress=False),
         ValueError, ["epochs", "positive integer"], "0"),
    case("train-zero-lr", "train_seq2seq",
         lambda: s2s.train_seq2seq(model(), batch(), epochs=1, lr=0.0, progress=False), ValueError,
         ["lr must be positive"], "0"),
    case("train-not-a-model", "train_seq2seq", lambda: s2s.train_seq2seq(torch.nn.Linear(2, 2), batch(), epochs=1),
         TypeError, ["a Seq2Seq model"], "a Linear"),
    # masking
    case("masked-mean-all-padding", "masked_mean",
         lambda: masking.masked_mean(torch.randn(2, 3), torch.zeros(2, 3, dtype=torch.bool)), ValueError,
         ["selects no real step", "NaN"], ""),
    case("masked-mse-all-padding", "masked_mse",
         lambda: masking.masked_mse(torch.randn(2, 3), torch.randn(2, 3), torch.zeros(2, 3, dtype=torch.bool)),
         ValueError, ["selects no real step"], ""),
    case("masked-mean-not-a-tensor", "masked_mean", lambda: masking.masked_mean([[1.0, 2.0]], torch.tensor([1])),
         TypeError, ["values to be a (B, T, ...) tensor"], "a list"),
    case("masked-mean-fewer-lengths", "masked_mean", lambda: masking.masked_mean(torch.randn(3, 4), [4, 2]),
         ValueError, ["to match the mask"], "(3, 4)"),
    case("reverse-padded-length-past-T", "reverse_padded",
         lambda: masking.reverse_padded(torch.randn(2, 3, 1), torch.tensor([4, 1])), ValueError,
         ["each at most T = 3"], "[4, 1]"),
    case("reverse-padded-fewer-lengths", "reverse_padded",
         lambda: masking.reverse_padded(torch.randn(2, 3, 1), torch.tensor([3])), ValueError,
         ["one length per sequence"], "[3]"),
    case("lengths-to-mask-float-max-len", "lengths_to_mask", lambda: masking.lengths_to_mask([2, 3], max_len=3.5),
         ValueError, ["max_len"], "3.5"),
    case("lengths-to-mask-empty", "lengths_to_mask", lambda: masking.lengths_to_mask(torch.tensor([], dtype=torch.long)),
         ValueError, ["at least one length"], "an empty"),
]


@pytest.mark.parametrize("who,make,exc,expected,got", CASES)
def test_bad_input_raises_with_a_message_naming_expected_and_actual(who, make, exc, expected, got):
    assert_refused(who, make, exc, expected, got)


@pytest.mark.parametrize("kind", ["plain", "bahdanau", "luong"])
def test_valid_input_still_decodes_and_trains(kind):
    """The checks refuse nothing valid: a batch with padding decodes and trains."""
    m = model(kind)
    sequences, _ = s2s.greedy_decode(m, SRC, LENGTHS, max_len=3)
    assert len(sequences) == 2 and len(s2s.beam_search(m, SRC, LENGTHS, 3, beam_width=2)) == 2
    losses = s2s.train_seq2seq(m, batch(), epochs=2, batch_size=1, progress=False)
    assert len(losses) == 2 and all(loss > 0 for loss in losses)
