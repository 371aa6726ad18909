"""Tests written against the mutants of companion/masking.py that survived the rest of the suite
(make mutants; benchmarks/mutation_report.md lists the equivalent ones that remain).

References: hand-written padded arrays and means, NumPy, and the messages word for word.
"""

import re

import numpy as np
import pytest
import torch

from companion.masking import lengths_to_mask, masked_cross_entropy, masked_mean, pad_sequences, reverse_padded


def message(exc_type, call):
    with pytest.raises(exc_type) as info:
        call()
    return str(info.value)


# -- pad_sequences -----------------------------------------------------------------


def test_pad_sequences_of_a_single_sequence_is_that_sequence_with_length_T():
    padded, lengths = pad_sequences([[[1.0, 2.0], [3.0, 4.0]]])
    assert padded.tolist() == [[[1.0, 2.0], [3.0, 4.0]]] and lengths.tolist() == [2]


def test_pad_sequences_converts_to_float32_by_default(rng):
    padded, lengths = pad_sequences([rng.normal(size=(2, 3)), rng.normal(size=(1, 3))])  # float64 arrays
    assert padded.dtype == torch.float32 and lengths.dtype == torch.int64
    padded, _ = pad_sequences([np.ones((1, 2), dtype=np.int64)], dtype=torch.float64)
    assert padded.dtype == torch.float64


def test_pad_sequences_keeps_the_graph_of_tensors_that_require_grad():
    a = torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    b = torch.tensor([[4.0]], requires_grad=True)
    padded, _ = pad_sequences([a, b], value=-1.0)
    assert padded.squeeze(-1).tolist() == [[1.0, 2.0, 3.0], [4.0, -1.0, -1.0]]
    (padded * torch.tensor([[[1.0], [2.0], [3.0]], [[4.0], [5.0], [6.0]]])).sum().backward()
    assert a.grad.squeeze(-1).tolist() == [1.0, 2.0, 3.0] and b.grad.squeeze(-1).tolist() == [4.0]


def test_pad_sequences_refuses_no_sequence_an_empty_one_and_a_vector_in_words():
    assert message(ValueError, lambda: pad_sequences([])) == (
        "pad_sequences: expected at least one sequence, got an empty list")
    assert message(ValueError, lambda: pad_sequences([torch.zeros(2, 2), torch.zeros(0, 2)])) == (
        "pad_sequences: expected every sequence of shape (T_b, 2) with T_b >= 1, got (0, 2) for sequence 1")
    assert message(ValueError, lambda: pad_sequences([torch.zeros(3)])) == (
        "pad_sequences: expected every sequence of shape (T_b, F) with T_b >= 1, got (3,) for sequence 0")


def test_pad_sequences_accepts_a_feature_size_of_zero():
    padded, lengths = pad_sequences([torch.zeros(2, 0), torch.zeros(1, 0)])
    assert padded.shape == (2, 2, 0) and lengths.tolist() == [2, 1]


# -- reverse_padded ----------------------------------------------------------------


def test_reverse_padded_of_a_two_dimensional_batch():
    x = torch.tensor([[1, 2, 3, 4], [5, 6, 7, 8]])
    assert reverse_padded(x, [3, 4]).tolist() == [[3, 2, 1, 4], [8, 7, 6, 5]]


def test_reverse_padded_refuses_bad_x_and_lengths_in_words():
    assert message(TypeError, lambda: reverse_padded([[1, 2]], [2])) == (
        "reverse_padded: expected x to be a batch-first (B, T, ...) tensor, got a list")
    assert message(ValueError, lambda: reverse_padded(torch.zeros(3), [1])) == (
        "reverse_padded: expected x of shape (B, T, ...), got (3,)")
    assert message(ValueError, lambda: reverse_padded(torch.zeros(2, 3), [1.0, 2.0])) == (
        "reverse_padded: expected lengths as a 1-D integer tensor (B,), got torch.float32 of shape (2,)")


# -- the masked losses ---------------------------------------------------------------


def test_masked_mean_with_lengths_shorter_than_T_reads_only_the_real_steps():
    values = torch.tensor([[1.0, 2.0, 3.0, 100.0], [4.0, 100.0, 100.0, 100.0]])
    assert masked_mean(values, [3, 1]).item() == pytest.approx((1 + 2 + 3 + 4) / 4)
    assert masked_mean(values[..., None], torch.tensor([2, 1])).item() == pytest.approx((1 + 2 + 4) / 3)


def test_masked_mean_refuses_values_of_one_dimension_naming_the_shape():
    assert message(ValueError, lambda: masked_mean(torch.zeros(3), [1])) == (
        "masked_mean: expected values of shape (B, T, ...), got (3,)")


def test_masked_cross_entropy_refuses_bad_shapes_and_mask_pad_id_in_words():
    logits, target = torch.zeros(2, 3, 4), torch.zeros(2, 3, dtype=torch.long)
    assert message(ValueError, lambda: masked_cross_entropy(torch.zeros(2, 3), target)) == (
        "masked_cross_entropy: expected logits (B, T, C) and target (B, T), got (2, 3) and (2, 3)")
    assert message(ValueError, lambda: masked_cross_entropy(logits, target[:, :2], pad_id=0)) == (
        "masked_cross_entropy: expected logits (B, T, C) and target (B, T), got (2, 3, 4) and (2, 2)")
    head = ("masked_cross_entropy: give exactly one of mask (a (B, T) bool mask or (B,) lengths) "
            "or pad_id (the padding id of target), got ")
    assert message(ValueError, lambda: masked_cross_entropy(logits, target)) == head + "mask=None and pad_id=None"
    assert message(ValueError, lambda: masked_cross_entropy(logits, target, [1, 2], pad_id=0)) == (
        head + "mask=a mask and pad_id=0")


@pytest.mark.parametrize("pad_id", [True, 0.0, "0"])
def test_masked_cross_entropy_refuses_a_pad_id_that_is_not_an_integer(pad_id):
    logits, target = torch.zeros(2, 3, 4), torch.zeros(2, 3, dtype=torch.long)
    assert message(ValueError, lambda: masked_cross_entropy(logits, target, pad_id=pad_id)) == (
        f"masked_cross_entropy: pad_id must be an integer token id, got {pad_id!r}")


def test_lengths_to_mask_refuses_a_max_len_that_is_not_an_integer_or_too_short_in_words():
    from companion.masking import lengths_to_mask

    assert message(ValueError, lambda: lengths_to_mask([1, 2], "3")) == (
        "lengths_to_mask: max_len must be a positive integer, got '3' (a str)")
    assert message(ValueError, lambda: lengths_to_mask([1, 2], 1)) == (
        "lengths_to_mask: max_len=1 is shorter than the longest sequence (2)")
    assert lengths_to_mask([1, 2], 3).tolist() == [[True, False, False], [True, True, False]]


def test_pad_sequences_reads_any_array_like_sequence_as_numpy_would():
    class Rows:  # an array-like (NumPy's __array__ protocol) that torch.as_tensor cannot read by itself
        def __array__(self, dtype=None, copy=None):
            return np.array([[1.0, 2.0], [3.0, 4.0]], dtype=dtype)

    padded, lengths = pad_sequences([Rows(), np.array([[5.0, 6.0]])])
    assert padded.tolist() == [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [0.0, 0.0]]] and lengths.tolist() == [2, 1]


@pytest.mark.parametrize("lengths, message", [
    ([[2, 3]], "lengths_to_mask: expected lengths as a 1-D integer tensor (B,), got torch.int64 of shape (1, 2)"),
    ([2.0, 3.0], "lengths_to_mask: expected lengths as a 1-D integer tensor (B,), got torch.float32 of shape (2,)"),
    ([2, 0], "lengths_to_mask: every length must be at least 1, got [2, 0]"),
])
def test_lengths_to_mask_refuses_bad_lengths_in_its_own_name(lengths, message):
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        lengths_to_mask(lengths)
