"""Language models: Vocab's cut-off, the corpus and its stream batches, n-gram models, the metrics,
sampling, the recurrent language model and its training, the chapter's checkers.

References are independent of the code under test: counts worked by hand, formulas written here."""

import itertools
import math

import numpy as np
import pytest
import torch

from companion import exercises, sampling
from companion.data import (Vocab, batchify, characters, encode_characters, shakespeare, split_text, stream_batches,
                            words)
from companion.exercises import ExerciseError
from companion.metrics import bits_per_character, cross_entropy, perplexity
from companion.models import LanguageModel, NGramLM
from companion.train import evaluate_language_model, fit_language_model


# ----------------------------------------------------------------------------
# Vocab: cut-off, counts, no specials


def test_vocab_min_count_cuts_rare_tokens_to_unk_and_keeps_all_counts():
    vocab = Vocab.from_texts(["a a a b b c", "a b d"], words, min_count=2)
    assert vocab.itos == ["<pad>", "<bos>", "<eos>", "<unk>", "a", "b"]
    assert vocab.encode(["a", "c", "d", "b"]) == [4, 3, 3, 5]
    assert dict(vocab.counts) == {"a": 4, "b": 3, "c": 1, "d": 1}


def test_vocab_default_is_unchanged_every_token_and_ids_0_to_3_special():
    vocab = Vocab.from_texts(["b a", "c"], words)
    assert vocab.itos == ["<pad>", "<bos>", "<eos>", "<unk>", "a", "b", "c"]
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)


def test_vocab_without_specials_refuses_an_unknown_token():
    vocab = Vocab.from_texts(["abc"], characters, specials=False)
    assert vocab.itos == ["a", "b", "c"] and vocab.unk_id is None
    assert vocab.encode(list("cab")) == [2, 0, 1]
    with pytest.raises(ValueError, match=r"'z' at position 1 .*no <unk>"):
        vocab.encode(["a", "z"])
    with pytest.raises(ValueError, match="no <unk>"):
        encode_characters("abz", vocab)


def test_vocab_min_count_too_high_and_without_unk_is_refused():
    with pytest.raises(ValueError, match="min_count=9"):
        Vocab.from_texts(["a a b"], words, min_count=9)
    with pytest.raises(ValueError, match="specials=False"):
        Vocab.from_texts(["a a b"], words, min_count=2, specials=False)
    with pytest.raises(ValueError, match="min_count"):
        Vocab.from_texts(["a"], words, min_count=0)


def test_encode_characters_equals_vocab_encode():
    vocab = Vocab.from_texts(["hello world"], characters)
    text = "low herd, old!"  # ',' and '!' are unknown
    assert encode_characters(text, vocab).tolist() == vocab.encode(characters(text))


# ----------------------------------------------------------------------------
# Corpus and stream batches


def test_shakespeare_is_long_in_speaker_layout_without_markdown():
    text = shakespeare()
    assert len(text) > 4_000_000
    assert text.startswith("THESEUS:\nNow, fair Hippolyta, our nuptial hour\n")
    for mark in ("**", "#", "_Enter", "\\"):
        assert mark not in text


def test_split_text_is_in_text_order_and_covers_the_text():
    text = "".join(chr(97 + i % 26) for i in range(1000))
    train, valid, test = split_text(text, (0.8, 0.1, 0.1))
    assert (len(train), len(valid), len(test)) == (800, 100, 100)
    assert train + valid + test == text


@pytest.mark.parametrize("bad, match", [("", "empty corpus"), ("ab", "at least 3")])
def test_split_text_refuses_an_empty_or_tiny_corpus(bad, match):
    with pytest.raises(ValueError, match=match):
        split_text(bad)


def test_stream_batches_continue_each_stream():
    ids = torch.arange(103)  # 4 streams of 25 ids (3 ids left over), batches of 7 steps
    batches = stream_batches(ids, batch_size=4, seq_len=7)
    streams = ids[:100].view(4, 25)
    assert [x.shape[1] for x, _ in batches] == [7, 7, 7, 3]  # 24 inputs per stream
    for x, y in batches:
        assert torch.equal(y, x + 1)  # the target is the next id of the same stream
    for (x0, _), (x1, _) in zip(batches, batches[1:]):
        assert torch.equal(x1[:, 0], x0[:, -1] + 1)  # batch k+1 starts where batch k stopped, in every row
    assert torch.equal(torch.cat([x for x, _ in batches], dim=1), streams[:, :-1])
    assert torch.equal(batches[0][0][:, 0], torch.tensor([0, 25, 50, 75]))


def test_batchify_rows_are_consecutive_pieces():
    assert batchify(list(range(10)), 3).tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_stream_batches_refuses_a_sequence_longer_than_the_text():
    with pytest.raises(ValueError, match=r"seq_len=50 is longer"):
        stream_batches(torch.arange(40), batch_size=2, seq_len=50)
    with pytest.raises(ValueError, match="too few"):
        stream_batches(torch.arange(3), batch_size=2, seq_len=1)
    with pytest.raises(TypeError, match="encode the text first"):
        stream_batches("some text", batch_size=1, seq_len=2)


# ----------------------------------------------------------------------------
# n-gram models


def _all_contexts(V, length):
    return [list(c) for c in np.ndindex(*(V,) * length)] if length else [[]]


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("smoothing", ["add_k", "kneser_ney"])
def test_ngram_probabilities_sum_to_one_for_every_context(n, smoothing):
    rng = np.random.default_rng(0)
    V = 5
    ids = rng.integers(0, 4, size=60)  # token 4 never occurs: unseen contexts and words
    model = NGramLM(n, V, smoothing=smoothing, k=0.3).fit(ids)
    for length in range(n):  # short contexts (start of a text) too
        for context in _all_contexts(V, length):
            p = model.probabilities(context)
            assert p.shape == (V,) and (p > 0).all()
            assert p.sum() == pytest.approx(1.0, abs=1e-12), (context, p.sum())


def test_add_k_bigram_matches_counts_worked_by_hand():
    # "a b a b a c" with V = 3 (a=0, b=1, c=2): after a: b twice, c once (C(a) = 3); after b: a twice.
    ids = [0, 1, 0, 1, 0, 2]
    model = NGramLM(2, 3, smoothing="add_k", k=1.0).fit(ids)
    assert model.count([0, 1]) == 2 and model.count([0]) == 3
    np.testing.assert_allclose(model.probabilities([0]), [(0 + 1) / 6, (2 + 1) / 6, (1 + 1) / 6])
    np.testing.assert_allclose(model.probabilities([1]), [(2 + 1) / 5, 1 / 5, 1 / 5])
    np.testing.assert_allclose(model.probabilities([2]), [1 / 3, 1 / 3, 1 / 3])  # never a context: uniform
    # log p of the text "a b c" = ln p(b|a) + ln p(c|b)
    np.testing.assert_allclose(model.log_probs([0, 1, 2]), [math.log(3 / 6), math.log(1 / 5)])
    assert model.cross_entropy([0, 1, 2]) == pytest.approx(-(math.log(3 / 6) + math.log(1 / 5)) / 2)


def test_kneser_ney_bigram_matches_the_formula_by_hand():
    # "a b a b a c", V = 3, D = 0.5. Continuation counts N1+(. w): a after {b} -> 1, b after {a} -> 1,
    # c after {a} -> 1; total 3 types. Unigram: (max(1 - D, 0) + D * 3 / V) / 3 = (0.5 + 0.5) / 3 = 1/3 each.
    ids = [0, 1, 0, 1, 0, 2]
    D = 0.5
    model = NGramLM(2, 3, smoothing="kneser_ney", discount=D).fit(ids)
    uni = np.array([1 / 3, 1 / 3, 1 / 3])
    # after a: C(a .) = 3, counts b:2, c:1, N1+(a .) = 2
    expected = (np.maximum(np.array([0, 2, 1]) - D, 0) + D * 2 * uni) / 3
    np.testing.assert_allclose(model.probabilities([0]), expected)
    np.testing.assert_allclose(model.probabilities([2]), uni)  # unseen context: the lower order alone


def test_ngram_short_context_uses_the_lower_order():
    ids = [0, 1, 0, 1, 0, 2]
    tri = NGramLM(3, 3, k=1.0).fit(ids)
    bi = NGramLM(2, 3, k=1.0).fit(ids)
    # position 1 of a text has one token before it: the trigram model uses its bigram order there
    assert tri.log_probs([0, 1])[0] == pytest.approx(bi.log_probs([0, 1])[0])


def test_ngram_refuses_bad_input():
    with pytest.raises(ValueError, match="empty corpus"):
        NGramLM(2, 3).fit([])
    with pytest.raises(ValueError, match=r"ids must be in 0..2"):
        NGramLM(2, 3).fit([0, 1, 3])
    with pytest.raises(RuntimeError, match="fit"):
        NGramLM(2, 3).probabilities([0])
    with pytest.raises(ValueError, match="smoothing"):
        NGramLM(2, 3, smoothing="laplace")
    with pytest.raises(ValueError, match="k must be positive"):
        NGramLM(2, 3, k=0)
    with pytest.raises(TypeError, match="encode the text first"):
        NGramLM(2, 3).fit("abc")


# ----------------------------------------------------------------------------
# Metrics


def test_bits_per_character_of_a_uniform_model_is_log2_of_the_vocabulary():
    V, N = 83, 50
    logits = torch.zeros(N, V)  # softmax: 1/V for every token
    targets = torch.randint(0, V, (N,))
    ce = cross_entropy(logits, targets)
    assert ce == pytest.approx(math.log(V))
    assert bits_per_character(ce) == pytest.approx(math.log2(V))
    assert perplexity(ce) == pytest.approx(V)


def test_perplexity_is_exp_of_cross_entropy_and_cross_entropy_is_mean_nll():
    torch.manual_seed(0)
    logits, targets = torch.randn(4, 6, 7), torch.randint(0, 7, (4, 6))
    p = torch.softmax(logits.double(), -1)
    nll = -torch.log(p.gather(-1, targets.unsqueeze(-1))).mean().item()
    assert cross_entropy(logits, targets) == pytest.approx(nll, rel=1e-6)
    assert perplexity(nll) == pytest.approx(math.exp(nll))
    assert bits_per_character(2.0, characters_per_token=4.0) == pytest.approx(2.0 / (4 * math.log(2)))


def test_metrics_refuse_bad_input():
    with pytest.raises(ValueError, match=r"targets must be in \[0, 2\]"):
        cross_entropy(torch.zeros(2, 3), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="logits"):
        cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="cross_entropy must be >= 0"):
        perplexity(-1.0)
    with pytest.raises(ValueError, match="characters_per_token must be positive"):
        bits_per_character(1.0, 0)


# ----------------------------------------------------------------------------
# Sampling


def test_temperature_to_zero_equals_greedy():
    torch.manual_seed(1)
    logits = torch.randn(20, 30)
    generator = torch.Generator().manual_seed(0)
    drawn = sampling.sample(logits, temperature=1e-4, generator=generator)
    assert torch.equal(drawn, logits.argmax(-1))
    assert torch.equal(sampling.greedy(logits), logits.argmax(-1))


def test_top_k_never_emits_outside_the_top_k():
    torch.manual_seed(2)
    logits = torch.randn(8, 12)
    top3 = logits.topk(3, dim=-1).indices
    generator = torch.Generator().manual_seed(0)
    for _ in range(200):
        drawn = sampling.sample(logits, temperature=2.0, top_k=3, generator=generator)
        assert (top3 == drawn.unsqueeze(-1)).any(-1).all()


def test_top_p_keeps_the_smallest_nucleus():
    probs = torch.tensor([0.5, 0.3, 0.15, 0.05])
    logits = probs.log()
    kept = torch.isfinite(sampling.top_p_filter(logits, 0.7))
    assert kept.tolist() == [True, True, False, False]  # 0.5 < 0.7 <= 0.5 + 0.3
    assert torch.isfinite(sampling.top_p_filter(logits, 0.5)).tolist() == [True, False, False, False]
    assert torch.isfinite(sampling.top_p_filter(logits, 1.0)).all()


def test_sample_follows_softmax_over_temperature():
    logits = torch.tensor([0.0, math.log(3.0)])  # p = (1/4, 3/4) at T = 1; at T = 2: (1, sqrt 3)/(1 + sqrt 3)
    generator = torch.Generator().manual_seed(0)
    draws = sampling.sample(logits.expand(20000, 2), temperature=2.0, generator=generator).float().mean().item()
    assert draws == pytest.approx(math.sqrt(3) / (1 + math.sqrt(3)), abs=0.015)


@pytest.mark.parametrize("kwargs, match", [
    ({"temperature": 0.0}, "temperature must be > 0"),
    ({"temperature": -1.0}, "temperature must be > 0"),
    ({"top_k": 0}, "top_k must be a positive integer"),
    ({"top_p": 0.0}, r"top_p must be in \(0, 1\]"),
    ({"top_p": 1.5}, r"top_p must be in \(0, 1\]"),
])
def test_sample_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sampling.sample(torch.zeros(5), **kwargs)


def test_sample_refuses_bad_logits():
    with pytest.raises(ValueError, match="NaN"):
        sampling.sample(torch.tensor([0.0, float("nan")]))
    with pytest.raises(TypeError, match="floating-point"):
        sampling.greedy(torch.tensor([1, 2]))


# ----------------------------------------------------------------------------
# The recurrent language model, its training and generation


def _tiny_task():
    text = "abcd" * 200  # a deterministic cycle: a trained model predicts it almost perfectly
    vocab = Vocab.from_texts([text], characters)
    return text, vocab, encode_characters(text, vocab)


def test_language_model_shapes_and_state_continues_the_text():
    torch.manual_seed(0)
    model = LanguageModel(10, embedding_dim=4, hidden_size=8, cell="gru")
    x = torch.randint(0, 10, (3, 7))
    logits, state = model(x)
    assert logits.shape == (3, 7, 10)
    first, state1 = model(x[:, :4])
    second, _ = model(x[:, 4:], state1)
    torch.testing.assert_close(torch.cat([first, second], 1), logits)


def test_language_model_companion_and_torch_layers_agree():
    torch.manual_seed(0)
    ours = LanguageModel(9, 4, 6, cell="lstm")
    theirs = LanguageModel(9, 4, 6, cell="lstm", use_torch_nn=True)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randint(0, 9, (2, 5))
    torch.testing.assert_close(ours(x)[0], theirs(x)[0])


def test_fit_language_model_learns_a_cycle_and_evaluate_counts_every_target():
    torch.manual_seed(0)
    text, vocab, ids = _tiny_task()
    model = LanguageModel(len(vocab), 8, 16, use_torch_nn=True)
    before = evaluate_language_model(model, ids)
    history = fit_language_model(model, ids, batch_size=4, seq_len=10, epochs=3, lr=0.03, progress=False, seed=0,
                                 valid_ids=ids[:200])
    after = evaluate_language_model(model, ids)
    assert before > math.log(4)  # untrained: no better than uniform over the 4 letters
    assert after < 0.1 and len(history.train_loss) == 3
    # evaluate == the mean of -ln p over ids[1:], computed here on one stream from the zero state
    with torch.no_grad():
        logits, _ = model(ids[:-1].unsqueeze(0))
        reference = torch.nn.functional.cross_entropy(logits[0].double(), ids[1:]).item()
    assert evaluate_language_model(model, ids, streams=1) == pytest.approx(reference, rel=1e-6)


def test_generate_greedy_continues_the_cycle_and_sampling_is_reproducible():
    torch.manual_seed(0)
    text, vocab, ids = _tiny_task()
    model = LanguageModel(len(vocab), 8, 16, use_torch_nn=True)
    fit_language_model(model, ids, batch_size=4, seq_len=10, epochs=3, lr=0.03, progress=False, seed=0)
    assert sampling.generate(model, vocab, "ab", 6, strategy="greedy") == "cdabcd"
    a = sampling.generate(model, vocab, "a", 20, temperature=1.5, generator=torch.Generator().manual_seed(3))
    b = sampling.generate(model, vocab, "a", 20, temperature=1.5, generator=torch.Generator().manual_seed(3))
    assert a == b and len(a) == 20


def test_generate_and_fit_refuse_bad_input():
    text, vocab, ids = _tiny_task()
    model = LanguageModel(len(vocab), 4, 4)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        sampling.generate(model, vocab, "a", 3, temperature=0)
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        sampling.generate(model, vocab, "a", 3, top_k=0)
    with pytest.raises(ValueError, match="at least one token"):
        sampling.generate(model, vocab, "", 3)
    with pytest.raises(ValueError, match="seq_len=1000 is longer"):
        fit_language_model(model, ids, batch_size=2, seq_len=1000, progress=False)
    with pytest.raises(ValueError, match="must be in 0..7"):
        fit_language_model(LanguageModel(8, 4, 4), ids + 5, batch_size=2, seq_len=4, progress=False)
    with pytest.raises(ValueError, match=r"shape \(B, T\)"):
        model(torch.zeros(3, dtype=torch.long))


# ----------------------------------------------------------------------------
# The chapter's checkers


def test_checkers_accept_correct_answers():
    def add_k_bigram(ids, vocab_size, k):
        counts = np.zeros((vocab_size, vocab_size))
        for a, b in zip(ids[:-1], ids[1:]):
            counts[a, b] += 1
        return (counts + k) / (counts.sum(1, keepdims=True) + k * vocab_size)

    def top_k_filter(logits, k):
        kth = torch.sort(logits, dim=-1, descending=True).values[..., k - 1 : k]
        return torch.where(logits >= kth, logits, torch.full_like(logits, -math.inf))

    def softmax_t(logits, temperature):
        z = np.asarray(logits) / temperature
        e = np.exp(z - z.max())
        return e / e.sum()

    exercises.check_add_k_bigram(add_k_bigram, seed=0)
    exercises.check_top_k_filter(top_k_filter, seed=0)
    exercises.check_softmax_with_temperature(softmax_t, seed=0)


def test_checkers_reject_wrong_answers_and_name_the_mistake():
    def unnormalised(ids, vocab_size, k):
        counts = np.zeros((vocab_size, vocab_size))
        for a, b in zip(ids[:-1], ids[1:]):
            counts[a, b] += 1
        return counts + k

    def smallest(logits, k):
        kth = torch.sort(logits, dim=-1).values[..., k - 1 : k]
        return torch.where(logits <= kth, logits, torch.full_like(logits, -math.inf))

    def times_t(logits, temperature):
        z = np.asarray(logits) * temperature
        e = np.exp(z - z.max())
        return e / e.sum()

    def laplace(ids, vocab_size, k):  # adds 1 whatever k is
        counts = np.zeros((vocab_size, vocab_size))
        for a, b in zip(ids[:-1], ids[1:]):
            counts[a, b] += 1
        return (counts + 1) / (counts.sum(1, keepdims=True) + vocab_size)

    with pytest.raises(ExerciseError, match="not divided"):
        exercises.check_add_k_bigram(unnormalised, seed=0)
    with pytest.raises(ExerciseError, match=r"k is always 1 \(Laplace\) instead of the argument k"):  # laplace_always
        exercises.check_add_k_bigram(laplace, seed=0)
    with pytest.raises(ExerciseError, match="smallest"):
        exercises.check_top_k_filter(smallest, seed=0)
    with pytest.raises(ExerciseError, match="multiplied"):
        exercises.check_softmax_with_temperature(times_t, seed=0)


# ----------------------------------------------------------------------------
# Beam search


def _sequence_log_prob(model, prompt_ids, continuation):
    """ln p(continuation | prompt) by one forward pass over prompt + continuation (the reference)."""
    x = torch.tensor([prompt_ids + continuation[:-1]])
    with torch.no_grad():
        log_p = torch.log_softmax(model(x)[0][0].double(), -1)
    start = len(prompt_ids) - 1
    return sum(log_p[start + i, token].item() for i, token in enumerate(continuation))


def test_beam_search_wide_enough_finds_the_most_likely_continuation():
    torch.manual_seed(3)
    vocab = Vocab.from_texts(["abc"], characters)  # V = 7 (with the 4 specials)
    model = LanguageModel(len(vocab), 4, 6, cell="gru", use_torch_nn=True)
    with torch.no_grad():
        model.readout.weight.mul_(8)  # peaked distributions, so that greedy is not always best
    prompt = vocab.encode(list("ab"))
    V, n = len(vocab), 3
    best = max(itertools.product(range(V), repeat=n), key=lambda seq: _sequence_log_prob(model, prompt, list(seq)))
    text, score = sampling.beam_search(model, vocab, "ab", n, beam_width=V ** (n - 1), join="|")
    assert [vocab.stoi[token] for token in text.split("|")] == list(best)
    assert score == pytest.approx(_sequence_log_prob(model, prompt, list(best)), abs=1e-5)  # float32 model
    greedy_ids = [vocab.stoi[t] for t in sampling.generate(model, vocab, "ab", n, strategy="greedy", join="|").split("|")]
    assert _sequence_log_prob(model, prompt, greedy_ids) <= score + 1e-5


def test_beam_search_of_width_one_is_greedy():
    torch.manual_seed(4)
    text, vocab, ids = _tiny_task()
    model = LanguageModel(len(vocab), 4, 8, use_torch_nn=True)
    beam_text, _ = sampling.beam_search(model, vocab, "ab", 12, beam_width=1, join="|")
    assert beam_text == sampling.generate(model, vocab, "ab", 12, strategy="greedy", join="|")


def test_beam_search_refuses_bad_input():
    text, vocab, ids = _tiny_task()
    model = LanguageModel(len(vocab), 4, 4)
    with pytest.raises(ValueError, match="beam_width must be a positive integer"):
        sampling.beam_search(model, vocab, "a", 3, beam_width=0)
    with pytest.raises(ValueError, match="at least one token"):
        sampling.beam_search(model, vocab, "", 3)
