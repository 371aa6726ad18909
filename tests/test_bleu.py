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
def test_bleu_matches_sacrebleu_corpus_bleu_on_random_corpora(trial):
    rng = np.random.default_rng()
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


def test_modified_precision_clips_matches_by_the_reference_counts():
    assert modified_precision("the the the".split(), "the cat".split(), 1) == (1, 3)
    assert modified_precision("a b a b".split(), "a b a".split(), 2) == (2, 3)


def test_check_modified_precision_rejects_unclipped_counts_and_accepts_the_right_one(capsys):
    def unclipped(hypothesis, reference, n):
        grams = [tuple(hypothesis[i:i + n]) for i in range(len(hypothesis) - n + 1)]
        ref = {tuple(reference[i:i + n]) for i in range(len(reference) - n + 1)}
        return sum(g in ref for g in grams), len(grams)

    with pytest.raises(ExerciseError, match=r"modified_precision\[0\]: wrong value"):
        check_modified_precision(unclipped, trials=50)
    check_modified_precision(modified_precision)
    assert "modified_precision: correct" in capsys.readouterr().out


def test_check_brevity_penalty_rejects_a_penalty_on_long_outputs_and_accepts_the_right_one(capsys):
    def always(hyp_len, ref_len):
        return math.exp(1 - ref_len / hyp_len) if hyp_len else 0.0

    with pytest.raises(ExerciseError, match="brevity_penalty: wrong value"):
        check_brevity_penalty(always, trials=50)
    check_brevity_penalty(brevity_penalty)
    assert "brevity_penalty: correct" in capsys.readouterr().out


def test_exact_match_counts_identical_pairs_and_refuses_unequal_lengths():
    from companion.metrics import exact_match, exact_matches

    hyps, refs = ["a b", "c", "d e f", ""], ["a b", "c d", "d e f", "x"]
    assert exact_matches(hyps, refs).tolist() == [True, False, True, False]
    assert exact_match(hyps, refs) == 0.5
    with pytest.raises(ValueError, match="as many hypotheses as references, got 2 and 3"):
        exact_match(["a", "b"], ["a", "b", "c"])
