"""The NumPy RNN's hand-written BPTT: finite differences agree, torch autograd agrees,
the forward pass equals torch.nn.RNN and companion.RNNCell, and the checker can fail."""

import re

import numpy as np
import pytest
import torch

import companion
from companion.numpy_rnn import PARAMETER_NAMES, NumpyRNN, gradient_check, numerical_gradient, relative_error
from helpers import assert_close

SEEDS = range(4)


def random_problem(seed: int):
    """A model of random sizes and a random sequence, targets and h0 for it."""
    rng = np.random.default_rng(seed)
    I, H, O, T = (int(v) for v in rng.integers(1, 6, size=4))
    model = NumpyRNN(I, H, O, seed=seed)
    xs, targets, h0 = rng.normal(size=(T, I)), rng.normal(size=(T, O)), rng.normal(size=H) * 0.5
    return model, xs, targets, h0


def torch_reference(model: NumpyRNN, xs, targets, h0):
    """The same model in torch: torch.nn.RNN (b_h as bias_ih, bias_hh zero) and a linear read-out.
    Returns the leaf tensors after backpropagating the loss, and the hidden states and outputs."""
    I, H, O = model.sizes
    p = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    rnn = torch.nn.RNN(I, H).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(p["W_xh"]), rnn.weight_hh_l0.copy_(p["W_hh"])
        rnn.bias_ih_l0.copy_(p["b_h"]), rnn.bias_hh_l0.zero_()
    h0_t = torch.tensor(h0, requires_grad=True)
    hs, _ = rnn(torch.tensor(xs), h0_t.unsqueeze(0))
    ys = hs @ p["W_hy"].T + p["b_y"]
    loss = 0.5 * ((ys - torch.tensor(targets)) ** 2).sum()
    loss.backward()
    grads = {
        "W_xh": rnn.weight_ih_l0.grad, "W_hh": rnn.weight_hh_l0.grad, "b_h": rnn.bias_ih_l0.grad,
        "W_hy": p["W_hy"].grad, "b_y": p["b_y"].grad, "h0": h0_t.grad,
    }
    assert_close(rnn.bias_hh_l0.grad, rnn.bias_ih_l0.grad, "torch's two biases (their sum is b_h) must get one gradient")
    return grads, hs.detach(), ys.detach(), loss.item()


@pytest.mark.parametrize("seed", SEEDS)
def test_bptt_gradients_pass_the_finite_difference_check(seed):
    model, xs, targets, h0 = random_problem(seed)
    before = {k: v.copy() for k, v in model.params.items()}
    errors = gradient_check(model, xs, targets, h0)
    assert set(errors) == {*PARAMETER_NAMES, "h0"}
    bad = {k: e for k, e in errors.items() if not e < 1e-6}
    assert not bad, f"relative error >= 1e-6 (sizes I, H, O = {model.sizes}, T = {len(xs)}): {bad}"
    for k, v in before.items():
        assert np.array_equal(model.params[k], v), f"gradient_check left {k} changed"


@pytest.mark.parametrize("seed", SEEDS)
def test_bptt_gradients_equal_torch_autograd(seed):
    model, xs, targets, h0 = random_problem(seed)
    ours = model.backward(xs, targets, h0)
    ref, _, _, ref_loss = torch_reference(model, xs, targets, h0)
    assert set(ours) == set(ref), f"gradients for {sorted(ours)}, expected {sorted(ref)}"
    for name, g in ref.items():
        assert_close(torch.from_numpy(np.asarray(ours[name])), g, f"NumpyRNN gradient of {name}")
    assert abs(model.loss(xs, targets, h0) - ref_loss) <= 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_forward_equals_torch_nn_rnn_and_companion_rnn_cell(seed):
    model, xs, targets, h0 = random_problem(seed)
    hs, ys = model.forward(xs, h0)
    _, hs_ref, ys_ref, _ = torch_reference(model, xs, targets, h0)
    assert_close(torch.from_numpy(hs[0]), torch.tensor(h0), "NumpyRNN hs[0] (must be h0)")
    assert_close(torch.from_numpy(hs[1:]), hs_ref, "NumpyRNN hidden states vs torch.nn.RNN")
    assert_close(torch.from_numpy(ys), ys_ref, "NumpyRNN outputs vs torch read-out")

    I, H, _ = model.sizes
    cell = companion.RNNCell(I, H).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(model.params["W_xh"]))
        cell.weight_hh.copy_(torch.from_numpy(model.params["W_hh"]))
        cell.bias_ih.copy_(torch.from_numpy(model.params["b_h"]))
        cell.bias_hh.zero_()
        h = torch.tensor(h0)
        for t, x_t in enumerate(torch.from_numpy(xs)):
            h = cell(x_t, h)
            assert_close(torch.from_numpy(hs[t + 1]), h, f"NumpyRNN h_{t + 1} vs companion.RNNCell")


def test_forward_without_h0_starts_from_zeros():
    model, xs, _, _ = random_problem(9)
    hs, ys = model.forward(xs)
    hs_zero, ys_zero = model.forward(xs, np.zeros(model.sizes[1]))
    assert np.array_equal(hs, hs_zero) and np.array_equal(ys, ys_zero)


@pytest.mark.parametrize("name", [*PARAMETER_NAMES, "h0"])
def test_gradient_check_detects_a_wrong_gradient(name, monkeypatch):
    """Perturb one entry of one gradient by 1% of its norm: the checker must flag exactly that one."""
    model, xs, targets, h0 = random_problem(5)
    right = model.backward

    def wrong(*args, **kwargs):
        grads = right(*args, **kwargs)
        grads[name].flat[0] += 0.01 * np.linalg.norm(grads[name]) + 1e-3
        return grads

    monkeypatch.setattr(model, "backward", wrong)
    errors = gradient_check(model, xs, targets, h0)
    assert errors[name] > 1e-4, f"a wrong gradient of {name} passed the check: relative error {errors[name]:.2e}"
    others = {k: e for k, e in errors.items() if k != name and not e < 1e-6}
    assert not others, f"perturbing {name} made other gradients fail: {others}"


def test_gradient_check_detects_truncated_backpropagation(monkeypatch):
    """A classic BPTT bug: stopping after one step (dropping the W_hh path into the past)."""
    model, xs, targets, h0 = random_problem(6)
    xs = np.vstack([xs, xs])  # at least two steps, so there is a past to drop
    targets = np.vstack([targets, targets])

    def one_step_backward(xs, targets, h0=None):
        grads = {k: np.zeros_like(v) for k, v in model.params.items()}
        grads["h0"] = np.zeros(model.sizes[1])
        for t in range(len(xs)):  # each step's loss through its own step only
            g = NumpyRNN.backward(model, xs[t : t + 1], targets[t : t + 1], model.forward(xs[: t], h0)[0][-1] if t else h0)
            for k in grads:
                if k != "h0":
                    grads[k] += g[k]
        return grads

    monkeypatch.setattr(model, "backward", one_step_backward)
    errors = gradient_check(model, xs, targets, h0)
    assert errors["W_hh"] > 1e-3, f"truncated BPTT passed the check for W_hh: {errors['W_hh']:.2e}"


def test_numerical_gradient_of_a_known_function_and_relative_error():
    a = np.random.default_rng(0).normal(size=(3, 2))
    numeric = numerical_gradient(lambda: float(np.sum(a**3)), a)
    assert np.allclose(numeric, 3 * a**2, rtol=1e-8, atol=1e-8), f"d/da sum(a^3): {numeric} vs {3 * a**2}"
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 0.0]), np.array([-1.0, 0.0])) == pytest.approx(1.0)


# -- bad shapes -------------------------------------------------------------------

I, H, O, T = 3, 4, 2, 5


@pytest.mark.parametrize(
    "call,expected,got",
    [
        pytest.param(lambda m: m.forward(np.zeros((T, I + 1))), "(T, 3)", "(5, 4)", id="xs-feature-size"),
        pytest.param(lambda m: m.forward(np.zeros(I)), "(T, 3)", "(3,)", id="xs-1d"),
        pytest.param(lambda m: m.forward(np.zeros((0, I))), "T >= 1", "(0, 3)", id="xs-empty"),
        pytest.param(lambda m: m.loss(np.zeros((T, I)), np.zeros((T, O + 1))), "(5, 2)", "(5, 3)", id="targets"),
        pytest.param(lambda m: m.backward(np.zeros((T, I)), np.zeros((T - 1, O))), "(5, 2)", "(4, 2)", id="targets-T"),
        pytest.param(lambda m: m.forward(np.zeros((T, I)), np.zeros(H + 1)), "(4,)", "(5,)", id="h0"),
        pytest.param(lambda m: gradient_check(m, np.zeros((T, I)), np.zeros((T, O)), np.zeros((1, H))), "(4,)", "(1, 4)",
                     id="gradient-check-h0"),
        pytest.param(lambda m: NumpyRNN.from_params(**{**m.params, "W_hh": np.zeros((H, H + 1))}), "(4, 4)", "(4, 5)",
                     id="from-params-W_hh"),
        pytest.param(lambda m: NumpyRNN.from_params(**{**m.params, "b_y": np.zeros(O + 1)}), "(2,)", "(3,)",
                     id="from-params-b_y"),
    ],
)
def test_numpy_rnn_bad_shapes_raise_value_error_naming_expected_and_actual(call, expected, got):
    with pytest.raises(ValueError) as info:
        call(NumpyRNN(I, H, O))
    message = str(info.value)
    assert expected in message, f"message does not name the expected {expected}: {message}"
    assert re.search(r"\bgot\b.*" + re.escape(got), message), f"message does not say it got {got}: {message}"


def test_from_params_builds_the_same_model():
    model = NumpyRNN(I, H, O, seed=3)
    copy = NumpyRNN.from_params(**model.params)
    xs = np.random.default_rng(1).normal(size=(T, I))
    assert copy.sizes == (I, H, O)
    assert np.array_equal(copy.forward(xs)[1], model.forward(xs)[1])
