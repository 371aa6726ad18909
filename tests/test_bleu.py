"""companion.metrics.bleu: corpus BLEU equal to sacrebleu's, and its two parts."""

import math

import numpy as np
import pytest
import sacrebleu

from companion.exercises import ExerciseError, check_brevity_penalty, check_modified_precision
from companion.metrics import bleu, brevity_penalty, modified_precision

WORDS = ["one", "two", "three", "four", "twenty", "hundred", "thousand", "and"]


def random_sentence(rng, max_len=12):
    return " ".join(rng.choice(WORDS, size=int(rng.integers(0, max_len + 1))))


def noisy_copy(rng, sentence):
    """A hypothesis near the reference: words dropped, replaced or added at random."""
    out = []
    for word in sentence.split():
        r = rng.random()
        if r < 0.15:
            continue
        out.append(str(rng.choice(WORDS)) if r < 0.3 else word)
        if rng.random() < 0.1:
            out.append(str(rng.choice(WORDS)))
    return " ".join(out)


@pytest.mark.parametrize("trial", range(30))
def test_bleu_matches_sacrebleu_corpus_bleu_on_random_corpora(trial, rng):
    references = [random_sentence(rng) for _ in range(int(rng.integers(1, 30)))]
    hypotheses = [noisy_copy(rng, r) if rng.random() < 0.8 else random_sentence(rng) for r in references]
    expected = sacrebleu.corpus_bleu(hypotheses, [references], tokenize="none").score
    assert bleu(hypotheses, references) == pytest.approx(expected, abs=1e-6), (hypotheses, references)


def test_bleu_matches_sacrebleu_when_no_hypothesis_has_four_words_or_nothing_matches():
    cases = [(["one two"], ["one two three"]), (["four"], ["one two"]), ([""], ["one"]),
             (["one two three", "two"], ["one two three four", "two"])]
    for hypotheses, references in cases:
        expected = sacrebleu.corpus_bleu(hypotheses, [references], tokenize="none").score
        assert bleu(hypotheses, references) == pytest.approx(expected, abs=1e-6), (hypotheses, references)


def test_bleu_is_100_for_a_perfect_corpus_and_rejects_unequal_lengths():
    references = ["three hundred eighty seven", "one thousand two hundred four"]
    assert bleu(references, references) == pytest.approx(100.0)
    with pytest.raises(ValueError, match="2 hypotheses but 1 references"):
        bleu(references, references[:1])


def test_brevity_penalty_is_one_for_long_outputs_and_exp_one_minus_ratio_for_short():
    assert brevity_penalty(12, 10) == 1.0 and brevity_penalty(10, 10) == 1.0
    assert brevity_penalty(5, 10) == pytest.approx(math.exp(1 - 2))
    assert brevity_penalty(0, 10) == 0.0
    assert brevity_penalty(1, 3) == pytest.approx(math.exp(1 - 3))  # one word is not an empty output
    assert brevity_penalty(0, 0) == 1.0  # nothing to say, nothing said: no penalty (as sacrebleu)


def test_modified_precision_clips_matches_by_the_reference_counts():
    assert modified_precision("the the the".split(), "the cat".split(), 1) == (1, 3)
    assert modified_precision("a b a b".split(), "a b a".split(), 2) == (2, 3)


def precision_by_loops(hypothesis, reference, n):
    """Written here, not the package's: each distinct n-gram's matches capped by its count in the reference."""
    hyp = [tuple(hypothesis[i:i + n]) for i in range(len(hypothesis) - n + 1)]
    ref = [tuple(reference[i:i + n]) for i in range(len(reference) - n + 1)]
    return sum(min(hyp.count(g), ref.count(g)) for g in set(hyp)), len(hyp)


def test_check_modified_precision_accepts_an_independent_answer(capsys):
    check_modified_precision(precision_by_loops, seed=0)
    assert "modified_precision: correct on 20 random inputs." in capsys.readouterr().out


def unclipped(hypothesis, reference, n):
    grams = [tuple(hypothesis[i:i + n]) for i in range(len(hypothesis) - n + 1)]
    ref = {tuple(reference[i:i + n]) for i in range(len(reference) - n + 1)}
    return sum(g in ref for g in grams), len(grams)


WRONG_PRECISIONS = {
    "unclipped": (unclipped, r"modified_precision\[0\]: wrong value"),
    "the reference's n-grams as the total": (
        lambda hypothesis, reference, n: (precision_by_loops(hypothesis, reference, n)[0],
                                          max(len(reference) - n + 1, 0)), r"modified_precision\[1\]: wrong value"),
    "the last n-gram left out": (
        lambda hypothesis, reference, n: precision_by_loops(hypothesis[:-1], reference, n),
        r"modified_precision\[[01]\]: wrong value"),
    "a precision, not (matches, total)": (
        lambda hypothesis, reference, n: (lambda m, t: m / t if t else 0.0)(*precision_by_loops(hypothesis, reference, n)),
        r"modified_precision: expected a tuple of 2 values, got"),
}


@pytest.mark.parametrize("mistake", WRONG_PRECISIONS)
@pytest.mark.parametrize("seed", range(5))
def test_check_modified_precision_rejects_each_typical_mistake(mistake, seed):
    wrong, message = WRONG_PRECISIONS[mistake]
    with pytest.raises(ExerciseError, match=message):
        check_modified_precision(wrong, seed=seed)


def penalty_by_min(hyp_len, ref_len):
    """Written here: min(1, e^(1 - r/c)), and 0 for an empty output."""
    return min(1.0, math.exp(1 - ref_len / hyp_len)) if hyp_len else 0.0


def test_check_brevity_penalty_accepts_an_independent_answer(capsys):
    check_brevity_penalty(penalty_by_min, seed=0)
    assert "brevity_penalty: correct on 20 random inputs." in capsys.readouterr().out


WRONG_PENALTIES = {
    "a penalty on long outputs too": (lambda hyp_len, ref_len: math.exp(1 - ref_len / hyp_len) if hyp_len else 0.0,
                                      "brevity_penalty: wrong value"),
    "the ratio upside down": (lambda hyp_len, ref_len: min(1.0, math.exp(1 - hyp_len / ref_len)),
                              "brevity_penalty: wrong value"),
    "division by an empty output": (lambda hyp_len, ref_len: min(1.0, math.exp(1 - ref_len / hyp_len)),
                                    "brevity_penalty: your function raised ZeroDivisionError"),
    "a penalty of 1 for an empty output": (lambda hyp_len, ref_len: penalty_by_min(hyp_len, ref_len) if hyp_len else 1.0,
                                           "brevity_penalty: wrong value"),
}


@pytest.mark.parametrize("mistake", WRONG_PENALTIES)
@pytest.mark.parametrize("seed", range(5))
def test_check_brevity_penalty_rejects_each_typical_mistake(mistake, seed):
    wrong, message = WRONG_PENALTIES[mistake]
    with pytest.raises(ExerciseError, match=message):
        check_brevity_penalty(wrong, seed=seed)


def test_exact_match_counts_identical_pairs_and_refuses_unequal_lengths():
    from companion.metrics import exact_match, exact_matches

    hyps, refs = ["a b", "c", "d e f", ""], ["a b", "c d", "d e f", "x"]
    assert exact_matches(hyps, refs).tolist() == [True, False, True, False]
    assert exact_match(hyps, refs) == 0.5
    with pytest.raises(ValueError, match="as many hypotheses as references, got 2 and 3"):
        exact_match(["a", "b"], ["a", "b", "c"])
