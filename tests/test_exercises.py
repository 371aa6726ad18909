"""companion.exercises: a checker accepts a right answer and explains a wrong one."""

import numpy as np
import pytest
import torch

from companion.exercises import ExerciseError, check_function


def reference_softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def random_vector(rng):
    return {"z": rng.normal(size=int(rng.integers(2, 9)))}


def test_check_function_accepts_a_correct_implementation(seeded, capsys):
    def mine(z):  # written differently from the reference, and returning a tensor
        t = torch.from_numpy(z)
        return torch.softmax(t, dim=0)

    check_function(mine, reference=reference_softmax, make_inputs=random_vector, name="softmax", seed=seeded)
    assert "softmax: correct on 5 random inputs." in capsys.readouterr().out


def test_check_function_names_the_wrong_value_and_where_it_is(seeded):
    def off_by_one(z):
        out = reference_softmax(z)
        out[1] += 0.25
        return out

    with pytest.raises(ExerciseError, match=r"softmax: wrong value; largest difference 0.25 at index \(1,\)"):
        check_function(off_by_one, reference=reference_softmax, make_inputs=random_vector, name="softmax", seed=seeded)


def test_check_function_reports_a_wrong_shape_before_values(seeded):
    with pytest.raises(ExerciseError, match=r"expected shape \(\d,\), got \(1, \d\)"):
        check_function(lambda z: reference_softmax(z)[None, :], reference=reference_softmax,
                       make_inputs=random_vector, name="softmax", seed=seeded)


def test_check_function_reports_an_exception_in_the_readers_code_with_the_inputs(seeded):
    def broken(z):
        return z @ np.ones(3)  # fails for most lengths

    with pytest.raises(ExerciseError, match=r"your function raised ValueError: .*inputs z: ndarray of shape"):
        check_function(broken, reference=reference_softmax,
                       make_inputs=lambda rng: {"z": rng.normal(size=5)}, name="softmax", seed=seeded)


def test_check_function_keeps_the_readers_in_place_changes_from_the_callers_inputs():
    """The reader's function gets a deep copy: changing an array inside a list in place must not
    reach the arrays make_inputs drew (fails without the copy, and with a shallow one)."""
    drawn = []

    def make_inputs(rng):
        zs = [rng.normal(size=4), rng.normal(size=3)]
        drawn.append([z.copy() for z in zs] + zs)  # the values drawn, then the arrays handed out
        return {"zs": zs}

    def sneaky(zs):
        out = [z * 2 for z in zs]
        zs[0] += 100.0  # in place, inside the list
        return out

    check_function(sneaky, reference=lambda zs: [2 * z for z in zs], make_inputs=make_inputs, name="double",
                   quiet=True, seed=0)
    assert len(drawn) == 5
    for before0, before1, z0, z1 in drawn:
        np.testing.assert_array_equal(z0, before0)
        np.testing.assert_array_equal(z1, before1)


def test_check_function_gives_the_reader_inputs_the_reference_cannot_have_changed():
    """A reference that changes its argument in place (returning the right answer) must not hand the
    changed array to the reader's function: a correct answer still passes (fails without the copy)."""
    def careless_reference(zs):
        out = [z + 1 for z in zs]
        zs[0] *= -3.0  # in place, inside the list
        return out

    check_function(lambda zs: [z + 1 for z in zs], reference=careless_reference,
                   make_inputs=lambda rng: {"zs": [rng.normal(size=3), rng.normal(size=2)]}, name="plus_one",
                   quiet=True, seed=0)


def test_check_function_rejects_nan(seeded):
    with pytest.raises(ExerciseError, match="NaN or infinite"):
        check_function(lambda z: z * np.nan, reference=reference_softmax, make_inputs=random_vector, name="softmax",
                       seed=seeded)


# -- the checkers of the BPTT chapter ------------------------------------------

from companion.exercises import check_clip_grad_norm, check_rnn_step_backward  # noqa: E402


def solution_rnn_step_backward(delta_t, h_t, h_prev, x_t, W_xh, W_hh):
    delta_a = delta_t * (1 - h_t**2)
    return {"W_xh": np.outer(delta_a, x_t), "W_hh": np.outer(delta_a, h_prev), "b_h": delta_a,
            "h_prev": W_hh.T @ delta_a, "x_t": W_xh.T @ delta_a}


def test_check_rnn_step_backward_accepts_the_solution(seeded, capsys):
    check_rnn_step_backward(solution_rnn_step_backward, seed=seeded)
    assert "rnn_step_backward: correct on 5 random inputs." in capsys.readouterr().out


def test_check_rnn_step_backward_catches_a_forgotten_tanh_derivative(seeded):
    def forgot_tanh(delta_t, h_t, h_prev, x_t, W_xh, W_hh):
        return solution_rnn_step_backward(delta_t, np.zeros_like(h_t), h_prev, x_t, W_xh, W_hh)

    with pytest.raises(ExerciseError, match=r"rnn_step_backward\['W_xh'\]: wrong value; largest difference"):
        check_rnn_step_backward(forgot_tanh, seed=seeded)


def test_check_rnn_step_backward_catches_an_untransposed_recurrent_matrix(seeded):
    def no_transpose(delta_t, h_t, h_prev, x_t, W_xh, W_hh):
        return {**solution_rnn_step_backward(delta_t, h_t, h_prev, x_t, W_xh, W_hh),
                "h_prev": W_hh @ (delta_t * (1 - h_t**2))}

    with pytest.raises(ExerciseError, match=r"rnn_step_backward\['h_prev'\]: wrong value"):
        check_rnn_step_backward(no_transpose, trials=20, seed=seeded)  # a 1x1 W_hh is its own transpose: try enough sizes


def test_check_rnn_step_backward_asks_for_the_missing_keys(seeded):
    with pytest.raises(ExerciseError, match=r"expected a dict with keys \['W_hh', 'W_xh', 'b_h', 'h_prev', 'x_t'\]"):
        check_rnn_step_backward(lambda **kw: {"W_hh": 0}, seed=seeded)


def solution_clip_grad_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * min(1.0, max_norm / norm) for g in grads]


def test_check_clip_grad_norm_accepts_the_solution(seeded, capsys):
    check_clip_grad_norm(solution_clip_grad_norm, seed=seeded)
    assert "clip_grad_norm: correct on 8 random inputs." in capsys.readouterr().out


def test_check_clip_grad_norm_rejects_clipping_by_value(seeded):
    def by_value(grads, max_norm):
        return [np.clip(g, -max_norm, max_norm) for g in grads]

    with pytest.raises(ExerciseError, match=r"clip_grad_norm\[\d\]: wrong value"):
        check_clip_grad_norm(by_value, trials=20, seed=seeded)


def test_check_clip_grad_norm_rejects_clipping_each_array_on_its_own_norm(seeded):
    def per_array(grads, max_norm):
        return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]

    with pytest.raises(ExerciseError, match=r"clip_grad_norm\[\d\]: wrong value"):
        check_clip_grad_norm(per_array, trials=20, seed=seeded)


# -- the attention checker ------------------------------------------------------

from scipy.special import logsumexp  # noqa: E402

from companion.exercises import (check_lengths_to_mask, check_masked_mse, check_reverse_padded,  # noqa: E402
                                 check_scaled_dot_product_attention)

SEEDS = range(40)


def attention_by_logsumexp(Q, K, V):
    """Written here, not the package's: log-weights through scipy's logsumexp, softmax over the keys."""
    scores = np.einsum("td,sd->ts", Q, K) / np.sqrt(Q.shape[-1])
    return np.exp(scores - logsumexp(scores, axis=-1, keepdims=True)) @ V


def attention_by_torch(Q, K, V):
    """torch's own fused attention, on tensors (returns a tensor)."""
    q, k, v = (torch.from_numpy(np.ascontiguousarray(a)) for a in (Q, K, V))
    return torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None])[0]


@pytest.mark.parametrize("answer", [attention_by_logsumexp, attention_by_torch])
def test_check_attention_accepts_independent_correct_answers_on_every_seed(answer, capsys):
    for seed in SEEDS:
        check_scaled_dot_product_attention(answer, seed=seed)
    assert capsys.readouterr().out.count("scaled_dot_product_attention: correct on 5 random inputs.") == len(SEEDS)


def _softmax_rows(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


WRONG_ATTENTION = {
    # name: (the wrong answer, what the message must say)
    "unscaled": (lambda Q, K, V: _softmax_rows(Q @ K.T) @ V, r"not divided by sqrt\(d\)"),
    "divided by d": (lambda Q, K, V: _softmax_rows(Q @ K.T / Q.shape[1]) @ V, r"divided by d instead of sqrt\(d\)"),
    "divided by sqrt(d_v)": (lambda Q, K, V: _softmax_rows(Q @ K.T / np.sqrt(V.shape[1])) @ V,
                             r"divided by sqrt\(d_v\), the width of V"),
    "softmax over the queries": (lambda Q, K, V: _softmax_rows((Q @ K.T / np.sqrt(Q.shape[1])).T).T @ V,
                                 r"softmax runs over the queries \(axis 0\)"),
    "softmax over everything": (
        lambda Q, K, V: (lambda s: np.exp(s - s.max()) / np.exp(s - s.max()).sum())(Q @ K.T / np.sqrt(Q.shape[1])) @ V,
        "softmax runs over the whole score matrix"),
    "no max subtracted": (
        lambda Q, K, V: (lambda e: e / e.sum(1, keepdims=True))(np.exp(Q @ K.T / np.sqrt(Q.shape[1]))) @ V,
        "np.exp overflowed on large scores.*subtract each row's maximum"),
    "weights, not the output": (lambda Q, K, V: _softmax_rows(Q @ K.T / np.sqrt(Q.shape[1])),
                                r"expected shape \(\d, \d\), got \(\d, \d\)|these are the weights"),
}


@pytest.mark.parametrize("mistake", WRONG_ATTENTION)
def test_check_attention_rejects_each_typical_mistake_on_every_seed_and_names_it(mistake):
    """One trial per call: every single random input must expose the mistake, not one in five."""
    wrong, message = WRONG_ATTENTION[mistake]
    with np.errstate(over="ignore", invalid="ignore"):
        for seed in SEEDS:
            with pytest.raises(ExerciseError, match=r"scaled_dot_product_attention: .*" + message):
                check_scaled_dot_product_attention(wrong, trials=1, seed=seed)


def test_check_attention_rejects_transposed_scores_on_every_seed():
    """K Q^T instead of Q K^T: the reader's code fails when T != S, and the message names the mistake when T == S."""
    def transposed(Q, K, V):
        return _softmax_rows(K @ Q.T / np.sqrt(Q.shape[1])) @ V

    named = 0
    for seed in range(100):
        with pytest.raises(ExerciseError, match=r"your function raised ValueError|K Q\^T, one row per key") as error:
            check_scaled_dot_product_attention(transposed, trials=1, seed=seed)
        named += "K Q^T" in str(error.value)
    assert named >= 5  # T == S in about one draw in five


def test_chapter_checkers_draw_the_same_inputs_for_the_same_seed_and_refuse_a_negative_one(capsys):
    seen = []

    def record(Q, K, V):
        seen.append(np.concatenate([Q.ravel(), K.ravel(), V.ravel()]))
        return attention_by_logsumexp(Q, K, V)

    for seed in (0, 1, 0):
        check_scaled_dot_product_attention(record, seed=seed)
    first, other, again = seen[:5], seen[5:10], seen[10:]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not any(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(first, other))
    with pytest.raises(ValueError, match="check_scaled_dot_product_attention: seed must be a non-negative integer or None, got -1"):
        check_scaled_dot_product_attention(attention_by_logsumexp, seed=-1)


# -- the masking checkers: independent answers pass, a mask that is ignored does not ----------------


def mask_by_loop(lengths):
    T = int(max(lengths))
    return torch.tensor([[t < int(n) for t in range(T)] for n in lengths], dtype=torch.bool)


def masked_mse_by_loop(prediction, target, lengths):
    total, count = 0.0, 0
    for b, n in enumerate(lengths.tolist()):
        total += float(((prediction[b, :n] - target[b, :n]) ** 2).sum())
        count += n * prediction.shape[2]
    return total / count


def reverse_by_loop(x, lengths):
    out = x.clone()
    for b, n in enumerate(lengths.tolist()):
        out[b, :n] = x[b, :n].flip(0)
    return out


def test_masking_checkers_accept_answers_written_with_loops(capsys):
    check_lengths_to_mask(mask_by_loop, seed=0)
    check_masked_mse(masked_mse_by_loop, seed=0)
    check_reverse_padded(reverse_by_loop, seed=0)
    out = capsys.readouterr().out
    assert all(f"{name}: correct on 5 random inputs." in out
               for name in ("lengths_to_mask", "masked_mse", "reverse_padded"))


@pytest.mark.parametrize("seed", range(10))
def test_masking_checkers_reject_a_mask_that_is_ignored_or_off_by_one(seed):
    with pytest.raises(ExerciseError, match="masked_mse: wrong value"):  # the padding's garbage counts
        check_masked_mse(lambda prediction, target, lengths: float(((prediction - target) ** 2).mean()), seed=seed)
    with pytest.raises(ExerciseError, match="masked_mse: wrong value"):  # right sum, divided by every step
        check_masked_mse(lambda prediction, target, lengths: masked_mse_by_loop(prediction, target, lengths)
                         * int(lengths.sum()) / lengths.numel() / prediction.shape[1], seed=seed)
    with pytest.raises(ExerciseError, match="reverse_padded: wrong value"):  # reverses the padding in
        check_reverse_padded(lambda x, lengths: x.flip(1), seed=seed)
    with pytest.raises(ExerciseError, match="lengths_to_mask: wrong value"):  # one step too many
        check_lengths_to_mask(lambda lengths: torch.arange(int(lengths.max()))[None, :] <= lengths[:, None],
                              seed=seed)
    with pytest.raises(ExerciseError, match="expected a torch.bool tensor, got torch.float32"):
        check_lengths_to_mask(lambda lengths: mask_by_loop(lengths).float(), seed=seed)


# -- parameter counts of torch's layers --------------------------------------------

from companion.exercises import check_gru_parameter_count, check_lstm_parameter_count  # noqa: E402


def gated_count(gates):
    def count(input_size, hidden_size, num_layers):
        first = gates * hidden_size * (input_size + hidden_size + 2)
        return first + (num_layers - 1) * gates * hidden_size * (2 * hidden_size + 2)
    return count


def test_parameter_count_checkers_accept_the_formula_and_reject_one_bias_or_the_wrong_gate_count(capsys):
    check_lstm_parameter_count(gated_count(4), seed=0)
    check_gru_parameter_count(gated_count(3), seed=0)
    assert "lstm_parameter_count: correct" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match="gru_parameter_count: wrong value"):
        check_gru_parameter_count(gated_count(4), seed=0)

    def one_bias(input_size, hidden_size, num_layers):
        return gated_count(4)(input_size, hidden_size, num_layers) - 4 * hidden_size * num_layers

    with pytest.raises(ExerciseError, match="lstm_parameter_count: wrong value"):
        check_lstm_parameter_count(one_bias, seed=0)

    def every_layer_reads_the_input(input_size, hidden_size, num_layers):
        return num_layers * 4 * hidden_size * (input_size + hidden_size + 2)

    with pytest.raises(ExerciseError, match="lstm_parameter_count: wrong value"):
        check_lstm_parameter_count(every_layer_reads_the_input, seed=0)  # 5 draws: some have two or three layers


def test_check_function_names_no_mistake_it_does_not_match_and_refuses_malformed_mistakes():
    mistakes = [(lambda z: reference_softmax(z) * 2, "it is doubled")]
    with pytest.raises(ExerciseError, match=r"softmax: wrong value; largest difference [^;]*\(trial 1"):
        check_function(lambda z: reference_softmax(z) + 1, reference=reference_softmax, make_inputs=random_vector,
                       name="softmax", seed=0, mistakes=mistakes)
    with pytest.raises(ExerciseError, match=r"; it looks like it is doubled \(trial 1"):
        check_function(lambda z: 2 * reference_softmax(z), reference=reference_softmax, make_inputs=random_vector,
                       name="softmax", seed=0, mistakes=mistakes)
    with pytest.raises(TypeError, match=r"check_function: expected each of mistakes to be a \(function, explanation\) pair"):
        check_function(reference_softmax, reference=reference_softmax, make_inputs=random_vector, name="softmax",
                       mistakes=["it is doubled"])
    with pytest.raises(TypeError, match="check_function: expected mistakes to be a sequence"):
        check_function(reference_softmax, reference=reference_softmax, make_inputs=random_vector, name="softmax",
                       mistakes="doubled")


def test_check_attention_draws_inputs_with_the_properties_it_promises():
    """What the reader's function receives, over 40 seeds: the properties that make every mistake visible."""
    drawn = []

    def record(Q, K, V):
        drawn.append((Q.copy(), K.copy(), V.copy()))
        return attention_by_logsumexp(Q, K, V)

    for seed in SEEDS:
        check_scaled_dot_product_attention(record, seed=seed)
    assert len(drawn) == 5 * len(SEEDS)
    for Q, K, V in drawn:
        (T, d), (S, d_k), (S_v, d_v) = Q.shape, K.shape, V.shape
        assert d == d_k and S == S_v and min(T, S, d) >= 2
        assert d_v >= 2 and d_v not in (d, d * d)  # sqrt(d_v) is neither 1, sqrt(d) nor d
        scores = Q @ K.T / np.sqrt(d)
        assert scores.min() > 710  # np.exp overflows on every score
        spread = np.ptp(scores, axis=1)  # the shared offset cancels: the spread of each query's scores
        assert spread.min() >= 0.5 - 1e-9 and spread.max() <= 8 + 1e-9
        gaps = np.abs(V[:, None, :] - V[None, :, :]).max(axis=2)[~np.eye(S, dtype=bool)]
        assert gaps.min() >= 0.5  # every two keys' values differ somewhere


def test_check_attention_names_the_overflow_without_warnings_of_its_own():
    """The checker computes the known mistakes on the reader's inputs; the overflowing one must not warn
    (here: fail, as warnings are errors) and so go unnamed."""
    import warnings

    def careful_about_warnings_but_not_overflow(Q, K, V):
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(Q @ K.T / np.sqrt(K.shape[1]))
            return e / e.sum(1, keepdims=True) @ V

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ExerciseError, match="np.exp overflowed on large scores"):
            check_scaled_dot_product_attention(careful_about_warnings_but_not_overflow, seed=0)


def test_check_function_gives_each_known_mistake_its_own_copy_of_the_inputs():
    def careless_mistake(zs):  # changes its input inside the list, and is not the reader's mistake
        zs[0] *= 0.0
        return [z + 100 for z in zs]

    mistakes = [(careless_mistake, "it is 100 more"), (lambda zs: [2 * z for z in zs], "it is doubled")]
    with pytest.raises(ExerciseError, match="; it looks like it is doubled"):
        check_function(lambda zs: [2 * z for z in zs], reference=lambda zs: [z + 1 for z in zs],
                       make_inputs=lambda rng: {"zs": [rng.normal(size=3) + 5]}, name="plus_one", seed=0,
                       mistakes=mistakes)
