"""Spoken digits: the loader and split, frame statistics, and DTW against a plain double loop."""

import numpy as np
import pytest

from companion.data import speech
from companion.dtw import dtw_distance, dtw_distances, dtw_nearest_neighbour


def dtw_loop(a, b):
    """The O(nm) table, one cell at a time, with the Euclidean distance between frames."""
    n, m = len(a), len(b)
    D = np.full((n + 1, m + 1), np.inf)
    D[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i, j] = np.linalg.norm(a[i - 1] - b[j - 1]) + min(D[i - 1, j], D[i, j - 1], D[i - 1, j - 1])
    return D[n, m]


def test_dtw_equals_the_double_loop(rng):
    for _ in range(20):
        F = int(rng.integers(1, 4))
        query = rng.normal(size=(rng.integers(1, 9), F))
        templates = [rng.normal(size=(rng.integers(1, 12), F)) for _ in range(int(rng.integers(1, 7)))]
        expected = [dtw_loop(query, t) for t in templates]
        np.testing.assert_allclose(dtw_distances(query, templates), expected, rtol=1e-10)
        np.testing.assert_allclose(dtw_distances(query, templates, normalize=True),
                                   [e / (len(query) + len(t)) for e, t in zip(expected, templates)], rtol=1e-10)


def test_dtw_hand_worked():
    # a = 0 1 2, b = 0 0 1 1 2: the path repeats a's frames, every matched pair is equal: distance 0
    a, b = np.array([[0.0], [1], [2]]), np.array([[0.0], [0], [1], [1], [2]])
    assert dtw_distance(a, b) == 0.0
    assert dtw_distance(a, np.array([[0.0], [3]])) == 2.0  # pairs 0-0, 1-0, 2-3: 0 + 1 + 1
    assert dtw_distance(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]])) == 5.0


def test_nearest_neighbour_of_many_queries_equals_one_at_a_time(rng):
    templates = [rng.normal(size=(rng.integers(2, 10), 2)) for _ in range(30)]
    labels = rng.integers(0, 3, size=30)
    queries = [rng.normal(size=(rng.integers(2, 10), 2)) for _ in range(25)]
    for k in (1, 3):
        predicted = dtw_nearest_neighbour(queries, templates, labels, k=k)
        for q, p in zip(queries, predicted):
            d = [dtw_loop(q, t) / (len(q) + len(t)) for t in templates]
            nearest = np.argsort(d, kind="stable")[:k]
            votes = np.bincount(labels[nearest])
            assert votes[p] == votes.max()


def test_a_template_is_its_own_nearest_neighbour(rng):
    templates = [rng.normal(size=(rng.integers(3, 10), 3)) for _ in range(12)]
    labels = np.arange(12)
    assert dtw_nearest_neighbour(templates, templates, labels).tolist() == list(range(12))


def test_spoken_digits_and_the_split():
    X, y = speech.spoken_digits()
    assert len(X) == 3000 and np.bincount(y).tolist() == [300] * 10
    assert all(x.shape[1] == 13 for x in X) and min(map(len, X)) == 6 and max(map(len, X)) == 92
    train, valid, test = speech.split_digits(y)
    assert (len(train), len(valid), len(test)) == (2100, 300, 600)
    assert np.bincount(y[test]).tolist() == [60] * 10 and np.bincount(y[valid]).tolist() == [30] * 10
    assert len(np.unique(np.concatenate([train, valid, test]))) == 3000
    again = speech.split_digits(y)
    assert all((a == b).all() for a, b in zip((train, valid, test), again))  # fixed


def test_standardize_frames_uses_the_training_statistics(rng):
    train = [rng.normal(3, 2, size=(rng.integers(1, 6), 4)) for _ in range(20)]
    other = [rng.normal(size=(5, 4))]
    scaled, scaled_other = speech.standardize_frames(train, other)
    frames = np.concatenate(scaled)
    np.testing.assert_allclose(frames.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(frames.std(0), 1, atol=1e-5)
    raw = np.concatenate(train)
    np.testing.assert_allclose(scaled_other[0], (other[0] - raw.mean(0)) / raw.std(0), rtol=1e-5)


def test_digit_strings_concatenate_their_utterances(rng):
    X = [np.full((k + 1, 2), float(k)) for k in range(10)]
    y = np.arange(10)
    sequences, labels, durations = speech.digit_strings(X, y, 50, min_digits=2, max_digits=4, seed=3)
    assert {len(l) for l in labels} == {2, 3, 4}
    for s, l, d in zip(sequences, labels, durations):
        assert d == [k + 1 for k in l]
        np.testing.assert_array_equal(s, np.concatenate([X[d] for d in l]))


def test_stack_frames():
    a = np.arange(10.0).reshape(5, 2)
    (s,) = speech.stack_frames([a], 2)
    np.testing.assert_array_equal(s, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 8, 9]])


@pytest.mark.parametrize("call, message", [
    (lambda: dtw_distances(np.zeros((3, 2)), [np.zeros((4, 3))]), r"templates\[0\] of shape \(T, 2\)"),
    (lambda: dtw_distances(np.zeros((0, 2)), [np.zeros((4, 2))]), r"query of shape \(T, F\) with T >= 1"),
    (lambda: dtw_distances(np.full((2, 2), np.nan), [np.zeros((4, 2))]), "NaN"),
    (lambda: dtw_distances(np.zeros((3, 2)), []), "non-empty list"),
    (lambda: dtw_nearest_neighbour([np.zeros((3, 2))], [np.zeros((3, 2))], [0, 1]), "one per template"),
    (lambda: dtw_nearest_neighbour([np.zeros((3, 2))], [np.zeros((3, 2))], [0], k=2), "k=2 is more than the 1"),
    (lambda: speech.split_digits(np.arange(10), fractions=(0.5, 0.5, 0.5)), "summing to 1"),
    (lambda: speech.split_digits(np.arange(10.0)), "integer labels"),
    (lambda: speech.standardize_frames([np.ones((3, 2))]), "constant"),
    (lambda: speech.standardize_frames([np.random.rand(3, 2)], [np.zeros((3, 3))]), r"\(T_i, 2\)|2 coefficients"),
    (lambda: speech.digit_strings([np.zeros((3, 2))], [0, 1], 5), "one integer label per utterance"),
    (lambda: speech.digit_strings([np.zeros((3, 2))], [0], 5, min_digits=3, max_digits=2), "min_digits <= max_digits"),
    (lambda: speech.stack_frames([np.zeros((3, 2))], 0), "k"),
    (lambda: speech.frame_statistics(np.zeros((3, 2))), "non-empty list of"),
    (lambda: dtw_nearest_neighbour([np.zeros((3, 3))], [np.zeros((3, 2))], [0]), r"templates\[0\] of shape \(T, 3\)"),
    (lambda: dtw_distance(np.zeros((3, 2)), np.zeros((3, 1))), r"b of shape \(T, 2\)"),
])
def test_bad_input_is_refused_with_expected_and_got(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_frame_statistics(rng):
    X = [rng.normal(size=(rng.integers(1, 7), 3)) for _ in range(5)]
    stats = speech.frame_statistics(X)
    assert stats.shape == (5, 6)
    for row, x in zip(stats, X):
        np.testing.assert_allclose(row, [*(sum(x) / len(x)), *np.sqrt(((x - x.mean(0)) ** 2).mean(0))])
