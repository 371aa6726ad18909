"""companion.worked: the worked examples' helpers."""

import numpy as np
import pytest
import scipy.special
import torch

from companion.worked import f64, show, sigmoid


def test_show_prints_the_name_padded_and_each_value_with_room_for_a_sign(capsys):
    show("a_1", np.array([0.12344, -1.5]))
    show("h", 2.0, digits=2)
    assert capsys.readouterr().out == "a_1           = [ 0.1234, -1.5000]\nh             = [ 2.00]\n"


def test_show_refuses_a_matrix_and_a_name_that_is_not_text():
    with pytest.raises(ValueError, match=r"show: expected a vector \(or a number\), got an array of shape \(2, 2\)"):
        show("W", np.eye(2))
    with pytest.raises(TypeError, match="show: expected name to be a str"):
        show(3, [1.0])


def test_f64_is_a_float64_copy(rng):
    a = rng.normal(size=(3, 2)).astype(np.float32)
    t = f64(a)
    assert t.dtype == torch.float64 and np.array_equal(t.numpy(), a.astype(np.float64))
    a[0, 0] = 100.0
    assert t[0, 0].item() != 100.0


def test_sigmoid_equals_scipys_expit(rng):
    a = rng.normal(scale=5, size=50)
    np.testing.assert_allclose(sigmoid(a), scipy.special.expit(a), rtol=1e-14)


@pytest.mark.parametrize("function", [f64, sigmoid])
def test_numbers_only(function):
    with pytest.raises(TypeError, match="expected .* to be numbers"):
        function("0.5")
