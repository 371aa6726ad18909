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
