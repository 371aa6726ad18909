"""companion.seq2seq: loss, encoder, attention, greedy and beam search, multi-head attention."""

import itertools

import numpy as np
import pytest
import torch

import companion
from companion import seq2seq as s2s
from companion.exercises import (ExerciseError, check_additive_scores, check_length_normalized_score,
                                 check_scaled_dot_product_attention)
from companion.translation import pad

EOS = 2


def random_model(kind, src_vocab=9, tgt_vocab=7, H=8, rnn=companion.GRU):
    encoder = s2s.Encoder(src_vocab, 5, H, rnn=rnn)
    decoder = s2s.Decoder(tgt_vocab, 5, H, rnn=rnn) if kind == "none" else s2s.AttentionDecoder(tgt_vocab, 5, H, kind, rnn=rnn)
    model = s2s.Seq2Seq(encoder, decoder).double().eval()
    for p in model.parameters():  # larger weights than the default: sharper, more varied distributions
        torch.nn.init.normal_(p, std=0.8)
    return model


def random_sources(rng, B=5, vocab=9):
    return pad([list(rng.integers(4, vocab, size=int(n))) for n in rng.integers(1, 8, size=B)])


def test_masked_cross_entropy_ignores_padding_positions_and_gives_them_no_gradient():
    rng = np.random.default_rng()
    targets, lengths, mask = pad([list(rng.integers(3, 6, size=int(n))) for n in rng.integers(1, 6, size=4)])
    logits = torch.randn(*targets.shape, 6, dtype=torch.float64, requires_grad=True)
    loss = s2s.masked_cross_entropy(logits, targets)
    expected = torch.cat([torch.nn.functional.cross_entropy(logits[b, :n], targets[b, :n], reduction="none")
                          for b, n in enumerate(lengths.tolist())]).mean()
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert (logits.grad[~mask] == 0).all() and (logits.grad[mask] != 0).any()


@pytest.mark.parametrize("rnn", [companion.GRU, companion.LSTM])
def test_encoder_final_state_ignores_padding(rnn):
    rng = np.random.default_rng()
    src, lengths, _ = random_sources(rng)
    encoder = s2s.Encoder(9, 5, 8, rnn=rnn).double()
    outputs, state = encoder(src, lengths)
    h = state[0] if isinstance(state, tuple) else state
    for b, n in enumerate(lengths.tolist()):
        out_b, state_b = encoder(src[b : b + 1, :n], lengths[b : b + 1])
        h_b = state_b[0] if isinstance(state_b, tuple) else state_b
        torch.testing.assert_close(h[:, b], h_b[:, 0])
        torch.testing.assert_close(outputs[b, :n], out_b[0])
        assert (outputs[b, n:] == 0).all()


@pytest.mark.parametrize("kind", ["bahdanau", "luong"])
def test_attention_weights_sum_to_one_and_are_zero_on_padding(kind):
    rng = np.random.default_rng()
    src, lengths, mask = random_sources(rng)
    model = random_model(kind)
    tgt_in = torch.tensor(rng.integers(3, 7, size=(5, 4)))
    _, weights = model(src, lengths, tgt_in)
    assert weights.shape == (5, 4, src.shape[1])
    torch.testing.assert_close(weights.sum(-1), torch.ones(5, 4, dtype=torch.float64))
    assert (weights.masked_select(~mask[:, None, :].expand_as(weights)) == 0).all()


@pytest.mark.parametrize("kind", ["none", "bahdanau", "luong"])
def test_beam_search_of_width_one_equals_greedy_decoding(kind):
    rng = np.random.default_rng()
    src, lengths, _ = random_sources(rng, B=8)
    model = random_model(kind)
    greedy, _ = s2s.greedy_decode(model, src, lengths, max_len=6)
    assert s2s.beam_search(model, src, lengths, max_len=6, beam_width=1, alpha=0.7) == greedy


def exhaustive_best(model, src, lengths, V, max_len, alpha):
    """Score every output up to max_len tokens by teacher forcing: ending in <eos>, or max_len tokens without."""
    candidates = []
    for n in range(max_len + 1):
        for body in itertools.product([t for t in range(V) if t != EOS], repeat=n):
            if n < max_len:
                candidates.append((list(body), list(body) + [EOS]))
            else:
                candidates.append((list(body), list(body)))
    best, best_score = None, -np.inf
    for tokens, generated in candidates:
        tgt_in = torch.tensor([[1] + generated[:-1]]) if generated else None
        if not generated:
            continue
        logits, _ = model(src, lengths, tgt_in)
        log_p = torch.log_softmax(logits[0], -1)[torch.arange(len(generated)), torch.tensor(generated)].sum().item()
        score = s2s.length_normalized_score(log_p, len(generated), alpha)
        if score > best_score:
            best, best_score = tokens, score
    return best


@pytest.mark.parametrize("kind,alpha", [("bahdanau", 0.0), ("luong", 1.0), ("none", 0.6)])
def test_wide_beam_search_finds_the_exhaustive_search_optimum(kind, alpha):
    rng = np.random.default_rng()
    V, max_len = 4, 3
    model = random_model(kind, tgt_vocab=V)
    src, lengths, _ = random_sources(rng, B=3)
    found = s2s.beam_search(model, src, lengths, max_len=max_len, beam_width=V**max_len, alpha=alpha)
    for b in range(3):
        n = int(lengths[b])
        assert found[b] == exhaustive_best(model, src[b : b + 1, :n], lengths[b : b + 1], V, max_len, alpha)


class Scripted(torch.nn.Module):
    """A stand-in model that emits a fixed token sequence per batch row (one-hot logits)."""

    def __init__(self, scripts, V=6):
        super().__init__()
        self.scripts, self.V = scripts, V

    def encode(self, src, lengths):
        memory = (torch.zeros(src.shape[0], 1, 1), torch.ones(src.shape[0], 1, dtype=torch.bool))
        return memory, torch.zeros(1, src.shape[0], 1)  # state: steps taken so far

    def step(self, y_prev, state, memory):
        t = int(state[0, 0, 0])
        rows = [self.scripts[0]] * y_prev.shape[0] if len(self.scripts) == 1 else self.scripts
        logits = torch.full((y_prev.shape[0], self.V), -5.0)
        for b, script in enumerate(rows):
            logits[b, script[t] if t < len(script) else 3] = 5.0
        return logits, state + 1, None


def test_decoding_stops_at_eos_and_at_max_len_and_drops_the_eos():
    src, lengths = torch.zeros(2, 3, dtype=torch.long), torch.tensor([3, 3])
    model = Scripted([[4, 5, EOS, 4], [5, 5, 5, 5, 5, 5, 5]])
    greedy, _ = s2s.greedy_decode(model, src, lengths, max_len=5)
    assert greedy == [[4, 5], [5, 5, 5, 5, 5]]
    single = Scripted([[4, 5, EOS, 4]])
    assert s2s.beam_search(single, src[:1], lengths[:1], max_len=5, beam_width=3) == [[4, 5]]
    assert s2s.beam_search(single, src[:1], lengths[:1], max_len=2, beam_width=3) == [[4, 5]]  # cut at max_len


def test_decoding_rejects_a_max_len_or_beam_width_below_one():
    model = random_model("bahdanau")
    src, lengths = torch.tensor([[4, 5]]), torch.tensor([2])
    with pytest.raises(ValueError, match="greedy_decode: max_len must be a positive integer"):
        s2s.greedy_decode(model, src, lengths, max_len=0)
    with pytest.raises(ValueError, match="beam_search: beam_width must be a positive integer, got 0"):
        s2s.beam_search(model, src, lengths, max_len=3, beam_width=0)


def test_length_normalisation_divides_by_length_to_the_power_alpha():
    assert s2s.length_normalized_score(-6.0, 3, 0.0) == -6.0
    assert s2s.length_normalized_score(-6.0, 3, 1.0) == -2.0


def test_multi_head_attention_equals_torch_nn_multihead_attention_with_copied_weights():
    rng = np.random.default_rng()
    E, heads = 12, int(rng.choice([1, 2, 3, 4]))
    ours = s2s.MultiHeadAttention(E, heads).double()
    theirs = torch.nn.MultiheadAttention(E, heads, batch_first=True).double()
    for p in theirs.parameters():
        torch.nn.init.normal_(p)
    ours.load_state_dict(theirs.state_dict())
    q, kv = torch.randn(3, 5, E, dtype=torch.float64), torch.randn(3, 7, E, dtype=torch.float64)
    padding = torch.arange(7)[None, :] >= torch.tensor([7, 4, 2])[:, None]
    out, weights = ours(q, kv, kv, key_padding_mask=padding)
    expected, expected_weights = theirs(q, kv, kv, key_padding_mask=padding)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(weights, expected_weights, rtol=1e-12, atol=1e-12)


def test_attention_checkers_reject_wrong_answers_and_accept_right_ones(capsys):
    def scores_without_tanh(query, keys, W_q, W_k, v):
        return (keys @ W_k.T + W_q @ query) @ v

    with pytest.raises(ExerciseError, match="additive_scores: wrong value"):
        check_additive_scores(scores_without_tanh)
    check_additive_scores(lambda query, keys, W_q, W_k, v: np.tanh(keys @ W_k.T + query @ W_q.T) @ v)

    def unscaled(Q, K, V):
        s = Q @ K.T
        w = np.exp(s - s.max(1, keepdims=True))
        return w / w.sum(1, keepdims=True) @ V

    with pytest.raises(ExerciseError, match="scaled_dot_product_attention: wrong value"):
        check_scaled_dot_product_attention(unscaled)
    check_scaled_dot_product_attention(
        lambda Q, K, V: torch.softmax(torch.tensor(Q @ K.T) / K.shape[1] ** 0.5, 1).numpy() @ V)

    with pytest.raises(ExerciseError, match="length_normalized_score: wrong value"):
        check_length_normalized_score(lambda log_prob, length, alpha: log_prob / length * alpha)
    check_length_normalized_score(lambda log_prob, length, alpha: log_prob * length ** -alpha)
    out = capsys.readouterr().out
    assert "additive_scores: correct" in out and "length_normalized_score: correct" in out
