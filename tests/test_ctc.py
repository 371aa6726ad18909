"""CTC: best-path decoding against hand-worked paths, the edit distance against a plain dynamic
programme, the loss against a brute-force sum over paths, and clear errors for bad input."""

import itertools

import numpy as np
import pytest
import torch

from companion import ctc


def levenshtein(a, b):
    """The textbook O(nm) table, one cell at a time."""
    D = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        D[i][0] = i
    for j in range(len(b) + 1):
        D[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            D[i][j] = min(D[i - 1][j] + 1, D[i][j - 1] + 1, D[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
    return D[-1][-1]


@pytest.mark.parametrize("path, expected", [
    ([0, 3, 3, 0, 3, 5, 5], [3, 3, 5]),   # a blank between two 3s keeps both
    ([3, 3, 3, 5], [3, 5]),               # a run of 3s is one 3
    ([0, 0, 0], []),                      # all blanks: the empty string
    ([2, 0, 0, 2, 2, 0], [2, 2]),
    ([1, 2, 1, 2], [1, 2, 1, 2]),
    ([], []),
])
def test_collapse_merges_repeats_then_drops_blanks(path, expected):
    assert ctc.collapse(path) == expected


def test_collapse_with_another_blank_index():
    assert ctc.collapse([4, 1, 1, 4, 1], blank=4) == [1, 1]


def test_greedy_decode_reads_the_argmax_within_each_length():
    paths = [[0, 3, 3, 0, 3, 2], [1, 1, 0, 2, 2, 2]]
    log_probs = torch.full((2, 6, 4), -10.0)
    for b, path in enumerate(paths):
        log_probs[b, torch.arange(6), torch.tensor(path)] = -0.01
    assert ctc.greedy_decode(log_probs, torch.tensor([6, 6])) == [[3, 3, 2], [1, 2]]
    assert ctc.greedy_decode(log_probs, torch.tensor([3, 4])) == [[3], [1, 2]]  # frames past a length are not read


def test_edit_distance_equals_the_plain_table(rng):
    assert ctc.edit_distance([1, 2, 3], [1, 3]) == 1
    assert ctc.edit_distance([], [4, 4]) == 2 and ctc.edit_distance([5, 5], []) == 2
    for _ in range(300):
        a = rng.integers(0, 4, size=rng.integers(0, 8)).tolist()
        b = rng.integers(0, 4, size=rng.integers(0, 8)).tolist()
        assert ctc.edit_distance(a, b) == levenshtein(a, b), (a, b)


def test_digit_error_rate_is_total_distance_over_total_reference_length(rng):
    refs = [rng.integers(1, 11, size=rng.integers(1, 6)).tolist() for _ in range(20)]
    hyps = [rng.integers(1, 11, size=rng.integers(0, 6)).tolist() for _ in range(20)]
    expected = sum(levenshtein(r, h) for r, h in zip(refs, hyps)) / sum(len(r) for r in refs)
    assert ctc.digit_error_rate(refs, hyps) == pytest.approx(expected)
    assert ctc.digit_error_rate([[1, 2], [3]], [[1, 2], [3]]) == 0.0
    assert ctc.digit_error_rate([[1, 2]], [[2, 1, 1]]) == pytest.approx(2 / 2)


def test_ctc_loss_is_minus_log_of_the_summed_paths():
    """Brute force: sum the probability of every path of T frames that collapses to the target."""
    torch.manual_seed(0)
    T, C, target = 5, 3, [1, 1]
    log_probs = torch.randn(1, T, C).log_softmax(-1)
    total = sum(float(torch.exp(sum(log_probs[0, t, c] for t, c in enumerate(path))))
                for path in itertools.product(range(C), repeat=T) if ctc.collapse(list(path)) == target)
    loss = ctc.ctc_loss(log_probs, torch.tensor([T]), [target])
    assert float(loss) == pytest.approx(-np.log(total) / len(target), rel=1e-5)


def test_min_input_length_counts_the_blanks_between_repeats():
    assert ctc.min_input_length([3, 3]) == 3 and ctc.min_input_length([1, 2, 3]) == 3
    assert ctc.min_input_length([4, 4, 4, 5]) == 6


def test_a_target_longer_than_its_input_is_refused():
    log_probs = torch.randn(2, 4, 5).log_softmax(-1)
    with pytest.raises(ValueError, match=r"target 1 of 5 symbols needs at least 5 frames.*got an input of 4"):
        ctc.ctc_loss(log_probs, torch.tensor([4, 4]), [[1], [1, 2, 3, 4, 1]])
    with pytest.raises(ValueError, match=r"target 0 of 3 symbols needs at least 4 frames.*input of 3"):
        ctc.ctc_loss(log_probs, torch.tensor([3, 4]), [[2, 2, 1], [1]])  # a repeat needs a blank between


@pytest.mark.parametrize("call, message", [
    (lambda: ctc.ctc_loss(torch.randn(2, 4, 5), torch.tensor([4, 4]), [[1]]), "list of 2 integer sequences"),
    (lambda: ctc.ctc_loss(torch.randn(1, 4, 5), torch.tensor([4]), [[0, 1]]), "other than the blank"),
    (lambda: ctc.ctc_loss(torch.randn(1, 4, 5), torch.tensor([4]), [[7]]), r"classes in 0..4"),
    (lambda: ctc.ctc_loss(torch.randn(4, 5), torch.tensor([4]), [[1]]), r"expected log_probs of shape \(B, T, C\)"),
    (lambda: ctc.ctc_loss(torch.randn(1, 4, 5), torch.tensor([5]), [[1]]), r"lengths must lie in 1..4"),
    (lambda: ctc.greedy_decode(torch.randn(2, 4, 5), torch.tensor([4])), r"expected lengths of shape \(2,\)"),
    (lambda: ctc.greedy_decode(torch.randn(2, 4, 5), torch.tensor([4, 4]), blank=5), "not one of the 5 classes"),
    (lambda: ctc.collapse("0120"), "sequence of integers"),
    (lambda: ctc.edit_distance([1.5], [1]), "sequence of integers"),
    (lambda: ctc.digit_error_rate([[1]], [[1], [2]]), "1 references and 2 hypotheses"),
    (lambda: ctc.digit_error_rate([[]], [[1]]), "undefined"),
    (lambda: ctc.CTCRecognizer(13, 0, 10), "hidden_size"),
    (lambda: ctc.CTCRecognizer(3, 4, 2)(torch.randn(2, 5, 4), torch.tensor([5, 5])), r"\(B, T, 3\)"),
    (lambda: ctc.CTCRecognizer(3, 4, 2, dropout=1.5), r"dropout must be a probability in \[0, 1\], got 1.5"),
    (lambda: ctc.fit_ctc(ctc.CTCRecognizer(3, 4, 2), torch.randn(2, 5, 3), torch.tensor([5, 5]), [[1]], epochs=1),
     "list of 2 class sequences"),
    (lambda: ctc.fit_ctc(ctc.CTCRecognizer(3, 4, 2), torch.randn(2, 5, 3), torch.tensor([5, 5]), [[1], [2]],
                         epochs=0), "epochs"),
    (lambda: ctc.greedy_decode(torch.randn(2, 4, 5), torch.tensor([4.0, 4.0])), "integer values"),
    (lambda: ctc.recognize("model", torch.randn(2, 4, 5), torch.tensor([4, 4])), "torch.nn.Module"),
    (lambda: ctc.min_input_length(3), "sequence of integers"),
])
def test_bad_input_is_refused_with_expected_and_got(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_fit_ctc_learns_a_toy_task():
    """Each frame's one-hot feature says its symbol (1 or 2) or silence: the model must learn to
    read runs, and the training loss must fall; the decoded strings must then be right."""
    g = np.random.default_rng(0)
    x, targets, lengths = torch.zeros(40, 12, 3), [], []
    for b in range(40):
        symbols = g.integers(1, 3, size=g.integers(1, 4)).tolist()
        t = 0
        for s in symbols:
            x[b, t:t + 2, s] = 1
            x[b, t + 2, 0] = 1
            t += 3
        targets.append(symbols)
        lengths.append(t)
    lengths = torch.tensor(lengths)
    torch.manual_seed(0)
    model = ctc.CTCRecognizer(3, 8, 2)
    losses = ctc.fit_ctc(model, x, lengths, targets, epochs=40, lr=0.05, batch_size=20, seed=0, progress=False)
    assert losses[-1] < 0.2 * losses[0]
    assert ctc.digit_error_rate(targets, ctc.recognize(model, x, lengths)) < 0.05


def my_collapse(path, blank):  # a reader's answer, not the package's: one symbol per run, then no blanks
    return [symbol for symbol, _ in itertools.groupby(path) if symbol != blank]


def test_the_exercise_checkers_accept_right_answers_and_explain_wrong_ones():
    from companion import exercises
    from test_speech import dtw_loop

    exercises.check_ctc_collapse(my_collapse, seed=0)
    exercises.check_edit_distance(lambda reference, hypothesis: levenshtein(reference, hypothesis), seed=0)
    exercises.check_dtw_distance(dtw_loop, seed=0)

    def blanks_first(path, blank):
        return my_collapse([c for c in path if c != blank], blank)

    with pytest.raises(exercises.ExerciseError, match="blanks are dropped before the repeats"):
        exercises.check_ctc_collapse(blanks_first, seed=0)
    with pytest.raises(exercises.ExerciseError, match="runs of the same class are not merged"):  # no_merging
        exercises.check_ctc_collapse(lambda path, blank: [c for c in path if c != blank], seed=0)
    with pytest.raises(exercises.ExerciseError, match="position by position"):
        exercises.check_edit_distance(lambda reference, hypothesis: sum(a != b for a, b in zip(reference, hypothesis))
                                      + abs(len(reference) - len(hypothesis)), seed=0)
    with pytest.raises(exercises.ExerciseError, match="dtw_distance: wrong value"):
        exercises.check_dtw_distance(lambda a, b: float(np.abs(a.sum() - b.sum())), seed=0)
