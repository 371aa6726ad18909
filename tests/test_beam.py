"""companion.sampling.beam_search_core, the search shared by the language models and seq2seq,
against an exhaustive enumeration written here from the definition of the score."""

import itertools
import math

import pytest
import torch

from companion.sampling import beam_search_core


def markov_table(V, seed):
    """log p(next | before last, last) for a random second-order chain over V tokens:
    (V + 1, V + 1, V), index V standing for "before the start". The model's state is the token
    before the last, so a search that reorders states wrongly scores the wrong sequences."""
    g = torch.Generator().manual_seed(seed)
    return torch.log_softmax(torch.randn(V + 1, V + 1, V, generator=g, dtype=torch.float64) * 2, dim=-1)


def search(table, max_len, width, eos_id, alpha):
    V = table.shape[-1]

    def step(tokens, state):
        assert state.shape == (1, tokens.shape[0], 1), "one state per beam, batch on axis 1"
        before_last = state[0, :, 0].long()
        return table[before_last, tokens], tokens.double().view(1, -1, 1)

    start = torch.full((1, 1, 1), float(V), dtype=torch.float64)
    return beam_search_core(step, start, table[V, V][None], max_len, width, eos_id=eos_id, alpha=alpha)


def exhaustive(table, max_len, eos_id, alpha):
    """The best sequence by log p / length**alpha: those ending in <eos> (length counts it), and
    those cut at max_len without one."""
    V = table.shape[-1]
    best = (-math.inf, None)
    for n in range(1, max_len + 1):
        for seq in itertools.product(range(V), repeat=n):
            if eos_id is not None and eos_id in seq[:-1]:
                continue
            ends = eos_id is not None and seq[-1] == eos_id
            if not ends and n < max_len:
                continue
            before, last, log_p = V, V, 0.0
            for token in seq:
                log_p += float(table[before, last, token])
                before, last = last, token
            score = log_p / n**alpha
            if score > best[0]:
                best = (score, list(seq[:-1]) if ends else list(seq))
    return best


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_a_wide_beam_finds_the_exhaustive_optimum_with_eos(seed, alpha):
    table, max_len = markov_table(4, seed), 4
    tokens, score = search(table, max_len, 4**max_len, eos_id=0, alpha=alpha)
    best_score, best_tokens = exhaustive(table, max_len, eos_id=0, alpha=alpha)
    assert tokens == best_tokens
    assert score == pytest.approx(best_score, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_without_eos_every_hypothesis_has_max_len_tokens(seed):
    table, max_len = markov_table(3, seed), 5
    tokens, score = search(table, max_len, 3**max_len, eos_id=None, alpha=0.0)
    best_score, best_tokens = exhaustive(table, max_len, eos_id=None, alpha=0.0)
    assert tokens == best_tokens and len(tokens) == max_len
    assert score == pytest.approx(best_score, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_width_one_is_greedy(seed):
    table, max_len = markov_table(5, seed), 6
    tokens, _ = search(table, max_len, 1, eos_id=None, alpha=0.0)
    before, last, greedy = 5, 5, []
    for _ in range(max_len):
        before, last = last, int(table[before, last].argmax())
        greedy.append(last)
    assert tokens == greedy


def test_length_normalisation_changes_the_answer():
    """<eos> at once has probability 0.5; the only other finished sequence, 1 2 <eos>, has
    0.5 · 0.9 · 0.9 = 0.405. By raw log-probability the empty output wins; divided by the length
    (alpha = 1: -0.69 against log(0.405) / 3 = -0.30) the longer one does."""
    first_order = torch.tensor([[1.0, 0.0, 0.0], [0.1, 0.0, 0.9], [0.9, 0.0, 0.1], [0.5, 0.5, 0.0]],
                               dtype=torch.float64)
    table = first_order.log().expand(4, 4, 3)  # the same whatever came before the last token
    assert search(table, 4, 9, eos_id=0, alpha=0.0) == ([], pytest.approx(math.log(0.5)))
    assert search(table, 4, 9, eos_id=0, alpha=1.0) == ([1, 2], pytest.approx(math.log(0.405) / 3))
