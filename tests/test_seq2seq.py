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
SEED = 20240608  # every test draws from a fixed seed: a failure can be rerun


@pytest.fixture(autouse=True)
def seeded_torch():
    torch.manual_seed(SEED)  # the weights and random tensors of every test


def random_model(kind, src_vocab=9, tgt_vocab=7, H=8, rnn=companion.GRU):
    encoder = s2s.Encoder(src_vocab, 5, H, rnn=rnn)
    decoder = s2s.Decoder(tgt_vocab, 5, H, rnn=rnn) if kind == "none" else s2s.AttentionDecoder(tgt_vocab, 5, H, kind, rnn=rnn)
    model = s2s.Seq2Seq(encoder, decoder).double().eval()
    for p in model.parameters():  # larger weights than the default: sharper, more varied distributions
        torch.nn.init.normal_(p, std=0.8)
    return model


def random_sources(rng, B=5, vocab=9):
    return pad([list(rng.integers(4, vocab, size=int(n))) for n in rng.integers(1, 8, size=B)])


def test_seq2seq_trains_with_the_one_masked_cross_entropy_of_companion_masking():
    # The loss itself is tested in tests/test_masking.py (garbage and NaN in the padding,
    # torch's ignore_index as the reference); seq2seq must not carry a second one.
    assert s2s.masked_cross_entropy is companion.masking.masked_cross_entropy


@pytest.mark.parametrize("rnn", [companion.GRU, companion.LSTM])
def test_encoder_final_state_ignores_padding(rnn):
    rng = np.random.default_rng(SEED)
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
    rng = np.random.default_rng(SEED)
    src, lengths, mask = random_sources(rng)
    model = random_model(kind)
    tgt_in = torch.tensor(rng.integers(3, 7, size=(5, 4)))
    _, weights = model(src, lengths, tgt_in)
    assert weights.shape == (5, 4, src.shape[1])
    torch.testing.assert_close(weights.sum(-1), torch.ones(5, 4, dtype=torch.float64))
    assert (weights.masked_select(~mask[:, None, :].expand_as(weights)) == 0).all()


@pytest.mark.parametrize("kind", ["additive", "multiplicative"])
def test_attention_weights_and_context_follow_the_score_equations(kind, rng):
    """score_j = v . tanh(W_q q + W_k k_j) (additive) or q . W k_j (multiplicative), one key at a time
    in NumPy; the weights are the softmax of the scores over the real positions, the context is the
    weighted sum of the keys. An attention that ignores the query fails here."""
    B, S, Q, K, A = 4, 6, 3, 5, 7
    lengths = [6, 2, 1, 4]
    attention = s2s.AdditiveAttention(Q, K, A) if kind == "additive" else s2s.MultiplicativeAttention(Q, K)
    attention = attention.double()
    for p in attention.parameters():
        torch.nn.init.normal_(p, std=0.8)
    W = {name: p.detach().numpy() for name, p in attention.named_parameters()}
    query, keys = rng.normal(size=(B, Q)), rng.normal(size=(B, S, K))
    mask = np.arange(S)[None, :] < np.array(lengths)[:, None]
    context, weights = attention(torch.tensor(query), torch.tensor(keys), torch.tensor(mask))
    for b, n in enumerate(lengths):
        if kind == "additive":  # W_q (A, Q), W_k (A, K), v (1, A)
            scores = [W["v.weight"][0] @ np.tanh(W["W_q.weight"] @ query[b] + W["W_k.weight"] @ keys[b, j])
                      for j in range(n)]
        else:  # W (Q, K): q^T W k_j
            scores = [query[b] @ W["W.weight"] @ keys[b, j] for j in range(n)]
        e = np.exp(np.array(scores) - max(scores))
        expected = np.concatenate([e / e.sum(), np.zeros(S - n)])
        np.testing.assert_allclose(weights[b].detach().numpy(), expected, rtol=1e-10, atol=1e-15,
                                   err_msg=f"weights of row {b}")
        np.testing.assert_allclose(context[b].detach().numpy(), expected @ keys[b], rtol=1e-10, atol=1e-15,
                                   err_msg=f"context of row {b}")


def seeded_model(kind, seed, **kwargs):
    torch.manual_seed(seed)
    return random_model(kind, **kwargs)


@pytest.mark.parametrize("kind", ["none", "bahdanau", "luong"])
def test_beam_search_of_width_one_and_alpha_zero_equals_greedy_decoding(kind):
    rng = np.random.default_rng(SEED)
    for trial in range(3):
        src, lengths, _ = random_sources(rng, B=8)
        model = seeded_model(kind, SEED + trial)
        greedy, _ = s2s.greedy_decode(model, src, lengths, max_len=6)
        assert s2s.beam_search(model, src, lengths, max_len=6, beam_width=1, alpha=0.0) == greedy


def all_outputs(V, max_len):
    """Every output the search can return: a body of non-<eos> tokens, ended by <eos> or cut at max_len tokens.

    Yields ``(tokens without <eos>, generated tokens)``. Every id of the vocabulary counts as a
    token, the special ones included: the model may emit any of them.
    """
    words = [t for t in range(V) if t != EOS]
    for n in range(max_len + 1):
        for body in itertools.product(words, repeat=n):
            yield list(body), (list(body) + [EOS] if n < max_len else list(body))


def score_by_steps(model, src, lengths, generated, alpha):
    """The length-normalised log-probability of one generated sequence, from the model's own
    ``encode`` and ``step``, one token at a time (no batching, no search)."""
    memory, state = model.encode(src, lengths)
    y, log_p = torch.tensor([1]), 0.0
    for token in generated:
        logits, state, _ = model.step(y, state, memory)
        log_p += torch.log_softmax(logits[0].double(), -1)[token].item()
        y = torch.tensor([token])
    return s2s.length_normalized_score(log_p, len(generated), alpha)


def exhaustive_best(model, src, lengths, V, max_len, alpha):
    """Score every output up to max_len tokens and return the best (tokens, score)."""
    best, best_score = None, -np.inf
    for tokens, generated in all_outputs(V, max_len):
        score = score_by_steps(model, src, lengths, generated, alpha)
        if score > best_score:
            best, best_score = tokens, score
    return best, best_score


@pytest.mark.parametrize("kind,alpha", [("bahdanau", 0.0), ("luong", 1.0), ("none", 0.6), ("none", 0.0)])
def test_wide_beam_search_finds_the_exhaustive_search_optimum(kind, alpha):
    rng = np.random.default_rng(SEED)
    V, max_len = 4, 3
    model = seeded_model(kind, SEED, tgt_vocab=V)
    src, lengths, _ = random_sources(rng, B=4)
    # At the last step 3**2 live hypotheses have 4 extensions each: a width of 36 keeps them all.
    found = s2s.beam_search(model, src, lengths, max_len=max_len, beam_width=V**max_len, alpha=alpha)
    for b in range(4):
        n = int(lengths[b])
        best, _ = exhaustive_best(model, src[b : b + 1, :n], lengths[b : b + 1], V, max_len, alpha)
        assert found[b] == best, f"sentence {b}: beam {found[b]}, exhaustive search {best}"


def next_log_probs(model, src, lengths, prefix):
    """``log p(prefix)`` and the log-probabilities (V,) of the next token, step by step from ``encode``."""
    memory, state = model.encode(src, lengths)
    y, log_p = torch.tensor([1]), 0.0
    for token in [None] + list(prefix):
        if token is not None:
            log_p += distribution[token].item()
            y = torch.tensor([token])
        logits, state, _ = model.step(y, state, memory)
        distribution = torch.log_softmax(logits[0].double(), -1)
    return log_p, distribution


def beam_without_early_stop(model, src, lengths, max_len, k, alpha):
    """A reference beam search for one sentence, written plainly: at every step it extends every live
    hypothesis by every token (each hypothesis rescored from scratch); the k best extensions of all
    are looked at, those ending in <eos> are finished; the k best without <eos> stay live; it never
    stops before max_len."""
    live, finished = [[]], []
    for step in range(max_len):
        extensions = []
        for h in live:
            log_p, distribution = next_log_probs(model, src, lengths, h)
            extensions += [(log_p + q, h, t) for t, q in enumerate(distribution.tolist())]
        extensions.sort(key=lambda e: -e[0])
        finished += [(s2s.length_normalized_score(s, step + 1, alpha), h) for s, h, t in extensions[:k] if t == EOS]
        kept = [(s, h + [t]) for s, h, t in extensions if t != EOS][:k]
        live = [h for _, h in kept]
        if step == max_len - 1:
            finished += [(s2s.length_normalized_score(s, max_len, alpha), h) for s, h in kept]
    return max(finished, key=lambda f: f[0])[1]


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_the_early_stop_never_changes_the_answer(alpha):
    rng = np.random.default_rng(SEED)
    max_len = 5
    for trial in range(4):
        model = seeded_model(["none", "bahdanau"][trial % 2], SEED + trial, tgt_vocab=5)
        src, lengths, _ = random_sources(rng, B=3)
        for k in (2, 3):
            found = s2s.beam_search(model, src, lengths, max_len=max_len, beam_width=k, alpha=alpha)
            for b in range(3):
                n = int(lengths[b])
                expected = beam_without_early_stop(model, src[b : b + 1, :n], lengths[b : b + 1], max_len, k, alpha)
                assert found[b] == expected, f"trial {trial}, k={k}, sentence {b}: {found[b]} != {expected}"


class Table(torch.nn.Module):
    """A hand-made "model": the next-token probabilities are a table keyed by the tokens so far.

    ``probabilities[prefix]`` maps tokens to probabilities for the prefix (a tuple of token ids,
    without <bos>); a prefix not in the table puts almost all its mass on <eos>, and every token
    gets at least a tiny probability. The state (1, B, t + 1) carries each row's inputs so far.
    """

    def __init__(self, probabilities, V=4):
        super().__init__()
        self.probabilities, self.V = probabilities, V

    def encode(self, src, lengths):
        memory = (torch.zeros(src.shape[0], 1, 1), torch.ones(src.shape[0], 1, dtype=torch.bool))
        return memory, torch.zeros(1, src.shape[0], 0, dtype=torch.long)

    def step(self, y_prev, state, memory):
        state = torch.cat([state, y_prev[None, :, None]], dim=-1)
        logits = torch.empty(y_prev.shape[0], self.V, dtype=torch.float64)
        for b in range(y_prev.shape[0]):
            prefix = tuple(state[0, b, 1:].tolist())
            p = torch.full((self.V,), 1e-6, dtype=torch.float64)
            for token, q in self.probabilities.get(prefix, {EOS: 1.0}).items():
                p[token] = q
            logits[b] = (p / p.sum()).log()
        return logits, state, None


A, B_ = 3, 0  # two "words" (any id but <eos> can be emitted); a vocabulary of V = 4


def test_finished_hypotheses_never_crowd_out_a_better_live_one():
    # Like 908 in the chapter: a poor hypothesis finishes early while the best one is still live.
    # "b <eos>" has log p = log 0.4 + log 0.99 = -0.93 and finishes at step 2; "a a" (-0.51) is live;
    # its <eos> extension is poor (-2.8), but "a a a <eos>" has -0.62. A beam of width 2 that
    # stopped after two finished hypotheses (the old rule) returned "b".
    table = Table({(): {A: 0.6, B_: 0.4}, (A,): {A: 0.999}, (B_,): {EOS: 0.99},
                   (A, A): {A: 0.9, EOS: 0.1}, (A, A, A): {EOS: 0.999}})
    src, lengths = torch.zeros(1, 2, dtype=torch.long), torch.tensor([2])
    for alpha in (0.0, 1.0):
        best, _ = exhaustive_best(table, src, lengths, V=4, max_len=4, alpha=alpha)
        assert best == [A, A, A]
        assert s2s.beam_search(table, src, lengths, max_len=4, beam_width=2, alpha=alpha) == [[A, A, A]]


def test_length_normalisation_changes_the_answer_and_each_alpha_gets_its_optimum():
    # "<eos>" at once: log 0.5 = -0.69 over 1 token; "a a a <eos>": log 0.49 + 3 log 0.98 = -0.77 over 4.
    # Raw log-probability (alpha = 0) prefers the empty output, the mean per token (alpha = 1) the long one.
    table = Table({(): {EOS: 0.5, A: 0.49}, (A,): {A: 0.98}, (A, A): {A: 0.98}, (A, A, A): {EOS: 0.98}})
    src, lengths = torch.zeros(1, 2, dtype=torch.long), torch.tensor([2])
    found = {alpha: s2s.beam_search(table, src, lengths, max_len=4, beam_width=3, alpha=alpha)[0]
             for alpha in (0.0, 1.0)}
    assert found[0.0] != found[1.0]
    for alpha, tokens in found.items():
        best, _ = exhaustive_best(table, src, lengths, V=4, max_len=4, alpha=alpha)
        assert tokens == best, f"alpha={alpha}: beam {tokens}, exhaustive search {best}"
    assert found == {0.0: [], 1.0: [A, A, A]}


@pytest.mark.parametrize("kind", ["none", "luong"])
def test_sequence_scores_equal_the_log_probabilities_under_teacher_forcing(kind):
    rng = np.random.default_rng(SEED)
    model = seeded_model(kind, SEED)
    src, lengths, _ = random_sources(rng, B=4)
    max_len = 4
    sequences = [[4], [], [5, 6, 3, 4], [6, 6]]  # the third is cut at max_len: scored without <eos>
    got = s2s.sequence_scores(model, src, lengths, sequences, max_len)
    for b, tokens in enumerate(sequences):  # reference: the model's forward pass (teacher forcing), alone
        generated = tokens + [EOS] if len(tokens) < max_len else tokens
        n = int(lengths[b])
        logits, _ = model(src[b : b + 1, :n], lengths[b : b + 1], torch.tensor([[1] + generated[:-1]]))
        expected = torch.log_softmax(logits[0], -1)[torch.arange(len(generated)), torch.tensor(generated)].sum()
        torch.testing.assert_close(got[b], expected)
        torch.testing.assert_close(s2s.sequence_scores(model, src, lengths, sequences, max_len, alpha=1.0)[b],
                                   expected / len(generated))


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
    assert s2s.beam_search(single, src[:1], lengths[:1], max_len=4, beam_width=3) == [[4, 5]]
    assert s2s.beam_search(single, src[:1], lengths[:1], max_len=2, beam_width=3) == [[4, 5]]  # cut at max_len


def test_decoding_rejects_a_max_len_or_beam_width_below_one():
    model = random_model("bahdanau")
    src, lengths = torch.tensor([[4, 5]]), torch.tensor([2])
    with pytest.raises(ValueError, match="greedy_decode: max_len must be a positive integer"):
        s2s.greedy_decode(model, src, lengths, max_len=0)
    with pytest.raises(ValueError, match="beam_search: beam_width must be a positive integer, got 0"):
        s2s.beam_search(model, src, lengths, max_len=3, beam_width=0)
    with pytest.raises(ValueError, match="beam_search: alpha must be a non-negative number .*, got -0.5"):
        s2s.beam_search(model, src, lengths, max_len=3, alpha=-0.5)
    with pytest.raises(ValueError, match=r"sequence_scores: sequence 0 must have at most max_len=2 tokens"):
        s2s.sequence_scores(model, src, lengths, [[4, 5, 6]], max_len=2)


def test_length_normalisation_divides_by_length_to_the_power_alpha():
    assert s2s.length_normalized_score(-6.0, 3, 0.0) == -6.0
    assert s2s.length_normalized_score(-6.0, 3, 1.0) == -2.0


def test_multi_head_attention_equals_torch_nn_multihead_attention_with_copied_weights():
    rng = np.random.default_rng(SEED)
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


def test_attention_checkers_reject_wrong_answers_and_accept_right_ones(seeded, capsys):
    def scores_without_tanh(query, keys, W_q, W_k, v):
        return (keys @ W_k.T + W_q @ query) @ v

    with pytest.raises(ExerciseError, match="additive_scores: wrong value"):
        check_additive_scores(scores_without_tanh, seed=seeded)
    check_additive_scores(lambda query, keys, W_q, W_k, v: np.tanh(keys @ W_k.T + query @ W_q.T) @ v,
                          seed=seeded)

    def unscaled(Q, K, V):
        s = Q @ K.T
        w = np.exp(s - s.max(1, keepdims=True))
        return w / w.sum(1, keepdims=True) @ V

    with pytest.raises(ExerciseError, match="scaled_dot_product_attention: wrong value"):
        check_scaled_dot_product_attention(unscaled, seed=seeded)
    check_scaled_dot_product_attention(
        lambda Q, K, V: torch.softmax(torch.tensor(Q @ K.T) / K.shape[1] ** 0.5, 1).numpy() @ V, seed=seeded)

    with pytest.raises(ExerciseError, match="length_normalized_score: wrong value"):
        check_length_normalized_score(lambda log_prob, length, alpha: log_prob / length * alpha, seed=seeded)
    check_length_normalized_score(lambda log_prob, length, alpha: log_prob * length ** -alpha, seed=seeded)
    out = capsys.readouterr().out
    assert "additive_scores: correct" in out and "length_normalized_score: correct" in out
