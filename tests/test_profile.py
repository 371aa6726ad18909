"""companion.profile: saved-tensor bytes and graph depths against hand counts; the timing helper and the
scaling table by their form only (a time is never asserted); the limitations chapter's checkers."""

import numpy as np
import pytest
import torch
from torch import nn

from companion import exercises
from companion.exercises import ExerciseError
from companion.profile import (graph_depth, kv_cache_numbers, recurrent_state_numbers, saved_tensor_bytes, scaling,
                               step_time_ms)


def leaf(*shape, dtype=torch.float32):
    return torch.randn(*shape, dtype=dtype, requires_grad=True)


# --------------------------------------------------------------------------
# saved_tensor_bytes, counted by hand
# --------------------------------------------------------------------------


def test_a_product_saves_both_factors_and_a_sum_saves_nothing():
    x, w = leaf(3, 4), leaf(3, 4)  # 12 float32 numbers = 48 bytes each
    result, nbytes = saved_tensor_bytes(lambda: (x * w).sum())
    assert nbytes == 2 * 48
    assert result.shape == ()


def test_tanh_saves_its_output_in_float64():
    x = leaf(5, dtype=torch.float64)
    _, nbytes = saved_tensor_bytes(lambda: torch.tanh(x))
    assert nbytes == 5 * 8


def test_one_tensor_saved_twice_counts_once_and_views_count_their_whole_block():
    x = leaf(6)
    _, nbytes = saved_tensor_bytes(lambda: x * x)  # mul saves x for both factors
    assert nbytes == 24
    base = leaf(10)
    _, nbytes = saved_tensor_bytes(lambda: base[:2] * base[5:7])  # two views of one 40-byte block
    assert nbytes == 40


def test_excluded_tensors_are_not_counted():
    layer = nn.Linear(4, 3, bias=False)
    x = leaf(2, 4)  # linear saves the input (32 bytes) and the weight (48 bytes)
    _, everything = saved_tensor_bytes(lambda: layer(x))
    _, activations = saved_tensor_bytes(lambda: layer(x), exclude=layer.parameters())
    assert (everything, activations) == (32 + 48, 32)


def test_nothing_is_saved_without_gradients():
    x = torch.randn(8)
    assert saved_tensor_bytes(lambda: torch.tanh(x) * x)[1] == 0
    y = leaf(8)
    with torch.no_grad():
        assert saved_tensor_bytes(lambda: torch.tanh(y))[1] == 0


def test_a_loop_of_t_steps_saves_linearly_in_t():
    """h <- tanh(w * h + x_t): per step mul saves w and h (h is the previous tanh's output, saved again by
    tanh's backward as its own output): one new 4-number block per step, plus w and the first h."""
    def run(T):
        w, h0 = leaf(4), leaf(4)
        xs = torch.randn(T, 4)

        def loop():
            h = h0
            for t in range(T):
                h = torch.tanh(w * h + xs[t])
            return h

        return saved_tensor_bytes(loop)[1]

    assert [run(T) for T in (1, 2, 5)] == [16 * (T + 2) for T in (1, 2, 5)]


def test_saved_tensor_bytes_bad_input():
    with pytest.raises(TypeError, match=r"saved_tensor_bytes: expected fn to be a function, got"):
        saved_tensor_bytes(torch.randn(3))
    with pytest.raises(TypeError, match=r"expected exclude to hold tensors, got .*at position 1"):
        saved_tensor_bytes(lambda: None, exclude=[torch.zeros(1), 3])


# --------------------------------------------------------------------------
# graph_depth, counted by hand
# --------------------------------------------------------------------------


def test_graph_depth_of_small_expressions():
    x, a, b = leaf(3), leaf(3), leaf(3)
    assert graph_depth(x.exp()) == 1
    assert graph_depth(x.exp().sin()) == 2
    assert graph_depth(a * b + x.exp().sin()) == 3  # add(mul, sin(exp)): the longest branch
    assert graph_depth(x * 2 + torch.ones(3)) == 2  # constants add no node


def test_graph_depth_of_a_long_chain_beyond_pythons_recursion_limit():
    x = leaf(2)
    h = x
    for _ in range(3000):
        h = h * 0.999
    assert graph_depth(h) == 3000


def test_graph_depth_shares_subgraphs_without_counting_them_twice():
    x = leaf(2)
    y = x.exp()
    assert graph_depth(y * y + y) == 3  # exp, mul, add


def test_graph_depth_bad_input():
    with pytest.raises(TypeError, match=r"graph_depth: expected output to be a tensor, got"):
        graph_depth([1.0])
    with pytest.raises(ValueError, match=r"no grad_fn.*leaf tensor"):
        graph_depth(leaf(3))
    with pytest.raises(ValueError, match=r"no grad_fn.*constant tensor"):
        graph_depth(torch.ones(3))


# --------------------------------------------------------------------------
# step_time_ms and scaling: form, not speed
# --------------------------------------------------------------------------


def test_step_time_ms_runs_warmup_plus_repeats_backward_passes():
    w = leaf(3)
    calls = []

    def forward():
        calls.append(1)
        return w * 2

    ms = step_time_ms(forward, repeats=3, warmup=2)
    assert len(calls) == 5 and ms >= 0
    torch.testing.assert_close(w.grad, torch.full((3,), 10.0))  # five backward passes of d(2w)/dw


def test_step_time_ms_bad_input():
    with pytest.raises(TypeError, match=r"expected forward to be a function"):
        step_time_ms(3)
    with pytest.raises(ValueError, match=r"repeats must be a positive integer, got 0"):
        step_time_ms(lambda: leaf(1) * 2, repeats=0)
    with pytest.raises(TypeError, match=r"expected forward\(\) to return a tensor that requires grad, got one"):
        step_time_ms(lambda: torch.ones(2))


def test_scaling_table_counts_a_linear_model_exactly():
    w = leaf(5, 5)

    def make(T):
        x = torch.randn(T, 5)
        return lambda: torch.tanh(x @ w)  # saves x (T·5) and the tanh output (T·5) float32; w excluded

    table = scaling({"tanh": make}, [2, 4], repeats=1, warmup=0, exclude=[w])
    assert table.lengths == [2, 4]
    assert table.saved["tanh"] == [2 * T * 5 * 4 for T in (2, 4)]
    assert table.depth["tanh"] == [2, 2]
    assert len(table.ms["tanh"]) == 2
    text = str(table).splitlines()
    assert text[0].split() == ["T", "tanh", "ms", "tanh", "MiB"] and len(text) == 3


def test_scaling_bad_input():
    with pytest.raises(TypeError, match=r"scaling: expected makers to be a non-empty dict"):
        scaling({}, [4])
    with pytest.raises(TypeError, match=r"expected makers\['a'\] to be a function"):
        scaling({"a": 3}, [4])
    with pytest.raises(ValueError, match=r"expected lengths to be .*got an empty list"):
        scaling({"a": lambda T: None}, [])
    with pytest.raises(ValueError, match=r"lengths must be a positive integer, got"):
        scaling({"a": lambda T: None}, [4, 0])


# --------------------------------------------------------------------------
# Memory of generation
# --------------------------------------------------------------------------


def test_kv_cache_numbers_against_a_cache_built_by_hand():
    layers, d, batch = 3, 8, 2
    cache = [[] for _ in range(layers)]
    for step in range(5):
        for layer in cache:
            layer.append((torch.zeros(batch, d), torch.zeros(batch, d)))  # this token's key and value
        assert kv_cache_numbers(layers, d, step + 1, batch) == sum(k.numel() + v.numel() for c in cache for k, v in c)
    assert kv_cache_numbers(layers, d, 0) == 0


def test_recurrent_state_numbers_is_torch_nn_state_size():
    lstm, gru = nn.LSTM(3, 7, num_layers=2), nn.GRU(3, 7, num_layers=2)
    x = torch.randn(11, 4, 3)
    _, (h, c) = lstm(x)
    _, h_gru = gru(x)
    assert recurrent_state_numbers(2, 7, batch=4) == h.numel() + c.numel()
    assert recurrent_state_numbers(2, 7, batch=4, lstm=False) == h_gru.numel()


def test_memory_counts_bad_input():
    with pytest.raises(ValueError, match=r"kv_cache_numbers: steps must be a non-negative integer, got"):
        kv_cache_numbers(1, 8, -1)
    with pytest.raises(ValueError, match=r"kv_cache_numbers: d_model must be a positive integer, got"):
        kv_cache_numbers(1, 8.0, 3)
    with pytest.raises(TypeError, match=r"recurrent_state_numbers: expected lstm to be True or False"):
        recurrent_state_numbers(1, 8, lstm=1)


# --------------------------------------------------------------------------
# The chapter's exercise checkers
# --------------------------------------------------------------------------


def loop_recurrence(a, b, h0):
    h, states = h0, []
    for t in range(a.shape[0]):
        h = a[t] * h + b[t]
        states.append(h)
    return torch.stack(states)


def test_check_linear_recurrence_accepts_a_loop_and_names_the_mistakes(capsys):
    exercises.check_linear_recurrence(loop_recurrence, seed=0)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match=r"shifted by one step"):
        exercises.check_linear_recurrence(
            lambda a, b, h0: torch.cat([h0[None], loop_recurrence(a, b, h0)[:-1]]), seed=0)
    with pytest.raises(ExerciseError, match=r"initial state h0 is ignored"):
        exercises.check_linear_recurrence(lambda a, b, h0: loop_recurrence(a, b, torch.zeros_like(h0)), seed=0)
    with pytest.raises(ExerciseError, match=r"linear_recurrence: wrong value"):  # a and b swapped
        exercises.check_linear_recurrence(lambda a, b, h0: loop_recurrence(b, a, h0), seed=0)


def test_check_kv_cache_numbers_accepts_the_count_and_names_the_mistakes(capsys):
    exercises.check_kv_cache_numbers(lambda num_layers, d_model, steps, batch: 2 * num_layers * d_model * steps * batch,
                                     seed=0)
    assert "correct" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match=r"only the keys"):
        exercises.check_kv_cache_numbers(lambda num_layers, d_model, steps, batch: num_layers * d_model * steps * batch,
                                         seed=0)
    with pytest.raises(ExerciseError, match=r"one layer is counted"):
        exercises.check_kv_cache_numbers(lambda num_layers, d_model, steps, batch: 2 * d_model * steps * batch, seed=0)
    with pytest.raises(ExerciseError, match=r"kv_cache_numbers: wrong value"):  # the batch forgotten
        exercises.check_kv_cache_numbers(lambda num_layers, d_model, steps, batch: 2 * num_layers * d_model * steps,
                                         seed=0)
    with pytest.raises(TypeError, match=r"check_kv_cache_numbers"):
        exercises.check_kv_cache_numbers("2 L T d")
