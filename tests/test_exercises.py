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


def test_check_function_accepts_a_correct_implementation(capsys):
    def mine(z):  # written differently from the reference, and returning a tensor
        t = torch.from_numpy(z)
        return torch.softmax(t, dim=0)

    check_function(mine, reference=reference_softmax, make_inputs=random_vector, name="softmax")
    assert "softmax: correct on 5 random inputs." in capsys.readouterr().out


def test_check_function_names_the_wrong_value_and_where_it_is():
    def off_by_one(z):
        out = reference_softmax(z)
        out[1] += 0.25
        return out

    with pytest.raises(ExerciseError, match=r"softmax: wrong value; largest difference 0.25 at index \(1,\)"):
        check_function(off_by_one, reference=reference_softmax, make_inputs=random_vector, name="softmax")


def test_check_function_reports_a_wrong_shape_before_values():
    with pytest.raises(ExerciseError, match=r"expected shape \(\d,\), got \(1, \d\)"):
        check_function(lambda z: reference_softmax(z)[None, :], reference=reference_softmax,
                       make_inputs=random_vector, name="softmax")


def test_check_function_reports_an_exception_in_the_readers_code_with_the_inputs():
    def broken(z):
        return z @ np.ones(3)  # fails for most lengths

    with pytest.raises(ExerciseError, match=r"your function raised ValueError: .*inputs z: ndarray of shape"):
        check_function(broken, reference=reference_softmax,
                       make_inputs=lambda rng: {"z": rng.normal(size=5)}, name="softmax")


def test_check_function_gives_each_call_its_own_copy_of_the_inputs():
    def sneaky(z):
        z -= z.max()  # changes the caller's array
        return reference_softmax(z)

    # In-place changes must not leak into the reference's inputs, so the right answer still passes...
    check_function(sneaky, reference=reference_softmax, make_inputs=random_vector, name="softmax", quiet=True)


def test_check_function_rejects_nan():
    with pytest.raises(ExerciseError, match="NaN or infinite"):
        check_function(lambda z: z * np.nan, reference=reference_softmax, make_inputs=random_vector, name="softmax")


# -- the checkers of the BPTT chapter ------------------------------------------

from companion.exercises import check_clip_grad_norm, check_rnn_step_backward  # noqa: E402


def solution_rnn_step_backward(delta_t, h_t, h_prev, x_t, W_xh, W_hh):
    delta_a = delta_t * (1 - h_t**2)
    return {"W_xh": np.outer(delta_a, x_t), "W_hh": np.outer(delta_a, h_prev), "b_h": delta_a,
            "h_prev": W_hh.T @ delta_a, "x_t": W_xh.T @ delta_a}


def test_check_rnn_step_backward_accepts_the_solution(capsys):
    check_rnn_step_backward(solution_rnn_step_backward)
    assert "rnn_step_backward: correct on 5 random inputs." in capsys.readouterr().out


def test_check_rnn_step_backward_catches_a_forgotten_tanh_derivative():
    def forgot_tanh(delta_t, h_t, h_prev, x_t, W_xh, W_hh):
        return solution_rnn_step_backward(delta_t, np.zeros_like(h_t), h_prev, x_t, W_xh, W_hh)

    with pytest.raises(ExerciseError, match=r"rnn_step_backward\['W_xh'\]: wrong value; largest difference"):
        check_rnn_step_backward(forgot_tanh)


def test_check_rnn_step_backward_catches_an_untransposed_recurrent_matrix():
    def no_transpose(delta_t, h_t, h_prev, x_t, W_xh, W_hh):
        return {**solution_rnn_step_backward(delta_t, h_t, h_prev, x_t, W_xh, W_hh),
                "h_prev": W_hh @ (delta_t * (1 - h_t**2))}

    with pytest.raises(ExerciseError, match=r"rnn_step_backward\['h_prev'\]: wrong value"):
        check_rnn_step_backward(no_transpose, trials=20)  # a 1x1 W_hh is its own transpose: try enough sizes


def test_check_rnn_step_backward_asks_for_the_missing_keys():
    with pytest.raises(ExerciseError, match=r"expected a dict with keys \['W_hh', 'W_xh', 'b_h', 'h_prev', 'x_t'\]"):
        check_rnn_step_backward(lambda **kw: {"W_hh": 0})


def solution_clip_grad_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * min(1.0, max_norm / norm) for g in grads]


def test_check_clip_grad_norm_accepts_the_solution(capsys):
    check_clip_grad_norm(solution_clip_grad_norm)
    assert "clip_grad_norm: correct on 8 random inputs." in capsys.readouterr().out


def test_check_clip_grad_norm_rejects_clipping_by_value():
    def by_value(grads, max_norm):
        return [np.clip(g, -max_norm, max_norm) for g in grads]

    with pytest.raises(ExerciseError, match=r"clip_grad_norm\[\d\]: wrong value"):
        check_clip_grad_norm(by_value, trials=20)


def test_check_clip_grad_norm_rejects_clipping_each_array_on_its_own_norm():
    def per_array(grads, max_norm):
        return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]

    with pytest.raises(ExerciseError, match=r"clip_grad_norm\[\d\]: wrong value"):
        check_clip_grad_norm(per_array, trials=20)
