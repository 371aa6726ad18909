"""Tests written against the mutants of companion/cells.py that survived the rest of the suite
(make mutants; benchmarks/mutation_report.md lists the equivalent ones that remain).

Each compares with an independent reference: torch.nn's own cells (their repr, exception types
and messages), a NumPy formula written here from the equations, or a hand-written value.
"""

import numpy as np
import pytest
import torch

import companion
from companion.cells import ChoGRUCell, GRUCell, LSTMCell, PeepholeLSTMCell, RNNCell, cho_gru_step, rnn_step

DT = torch.float64


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def raised(call):
    """(exception type, message) of what ``call`` raises."""
    with pytest.raises(Exception) as info:
        call()
    return info.type, str(info.value)


# -- the step functions ----------------------------------------------------------


def test_rnn_step_default_nonlinearity_is_tanh(rng):
    xw, h = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    W, b = rng.normal(size=(3, 3)), rng.normal(size=3)
    expected = np.tanh(xw + h @ W.T + b)  # eq. rnn-state
    got = rnn_step(*(torch.tensor(a) for a in (xw, h, W, b)))
    np.testing.assert_allclose(got.numpy(), expected, rtol=0, atol=1e-12)


def cho_gru_numpy(x, h, W_ih, W_hh, b_ih=None, b_hh=None):
    """Cho et al. (2014), gate order r, z, n; reset applied to h before W_hn."""
    H = h.shape[-1]
    xw = x @ W_ih.T + (0 if b_ih is None else b_ih)
    b = np.zeros(3 * H) if b_hh is None else b_hh
    r = sigmoid(xw[:, :H] + h @ W_hh[:H].T + b[:H])
    z = sigmoid(xw[:, H:2 * H] + h @ W_hh[H:2 * H].T + b[H:2 * H])
    n = np.tanh(xw[:, 2 * H:] + (r * h) @ W_hh[2 * H:].T + b[2 * H:])
    return (1 - z) * n + z * h


def test_cho_gru_cell_without_bias_matches_numpy(rng):
    cell = ChoGRUCell(3, 4, bias=False, dtype=DT)
    x, h = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    expected = cho_gru_numpy(x, h, cell.weight_ih.detach().numpy(), cell.weight_hh.detach().numpy())
    got = cell(torch.tensor(x), torch.tensor(h))
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=0, atol=1e-12)


def test_cho_gru_cell_unbatched_returns_h_of_shape_H_and_equals_the_batch_of_one(rng):
    cell = ChoGRUCell(3, 4, dtype=DT)
    x, h = rng.normal(size=3), rng.normal(size=4)
    p = {k: v.detach().numpy() for k, v in cell.named_parameters()}
    expected = cho_gru_numpy(x[None], h[None], p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])[0]
    got = cell(torch.tensor(x), torch.tensor(h))
    assert got.shape == (4,)
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=0, atol=1e-12)
    assert cell(torch.tensor(x)).shape == (4,)


@pytest.mark.parametrize("cls", [GRUCell, ChoGRUCell, RNNCell])
def test_a_batch_of_one_keeps_its_batch_dimension(cls):
    """torch.nn.GRUCell returns (1, H) for a (1, I) input; only an unbatched (I,) input gives (H,)."""
    ref = torch.nn.GRUCell(3, 4)(torch.zeros(1, 3))
    assert cls(3, 4)(torch.zeros(1, 3)).shape == ref.shape == (1, 4)
    assert cls(3, 4)(torch.zeros(1, 3), torch.zeros(1, 4)).shape == (1, 4)


# -- set_forget_bias -------------------------------------------------------------


def test_set_forget_bias_default_value_is_one():
    lstm = torch.nn.LSTM(2, 3)
    companion.cells.set_forget_bias(lstm)
    assert torch.all(lstm.bias_ih_l0[3:6] == 1.0) and torch.all(lstm.bias_hh_l0[3:6] == 0.0)


@pytest.mark.parametrize("make", [lambda: companion.LSTM(2, 3, bias=False), lambda: torch.nn.LSTMCell(2, 3, bias=False)])
def test_set_forget_bias_refuses_an_lstm_without_biases_naming_its_class(make):
    lstm = make()
    with pytest.raises(ValueError) as info:
        companion.cells.set_forget_bias(lstm)
    assert str(info.value) == (f"set_forget_bias: {type(lstm).__name__} has no bias parameters "
                               f"(built with bias=False?)")


# -- construction ----------------------------------------------------------------


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell, ChoGRUCell])
def test_hidden_size_one_draws_weights_from_uniform_minus_one_to_one(cls):
    """torch.nn's bound 1/sqrt(H) is 1 for H = 1: the weights are not all zero."""
    cell = cls(200, 1)
    ref = getattr(torch.nn, cls.__name__.replace("Cho", ""))(200, 1)
    for module in (ref, cell):  # the reference draws so too
        w = torch.cat([p.detach().flatten() for p in module.parameters()])
        assert w.abs().max() <= 1.0
        # uniform(-1, 1): std 1/sqrt(3) = 0.577; with 200+ draws the sample std is within 0.1 of it
        assert abs(w.std().item() - 3 ** -0.5) < 0.1, f"{type(module).__name__}: std {w.std():.3f}"


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias", [True, False])
def test_repr_is_torch_nns(name, bias):
    assert repr(getattr(companion, name)(3, 4, bias=bias)) == repr(getattr(torch.nn, name)(3, 4, bias=bias))


def test_peephole_cell_takes_dtype_and_device_for_every_parameter():
    cell = PeepholeLSTMCell(3, 4, dtype=DT)
    assert {p.dtype for p in cell.parameters()} == {DT}
    meta = PeepholeLSTMCell(3, 4, device="meta")
    assert {p.device.type for p in meta.parameters()} == {"meta"}
    assert len(list(meta.parameters())) == 7  # W_ih, W_hh, b_ih, b_hh, w_ci, w_cf, w_co


# -- bad input: torch.nn's exception type, companion's words, then torch.nn's own ---------


def torch_and_ours(name, *args):
    ref, ours = getattr(torch.nn, name)(3, 4), getattr(companion, name)(3, 4)
    return raised(lambda: ref(*args)), raised(lambda: ours(*args))


STATE_CASES = [
    # (cell, input shape, hx shapes, companion's own words before torch.nn's)
    ("RNNCell", (3,), (5,), "RNNCell: expected hx of shape (4,) (H,) for unbatched input, got (5,)"),
    ("RNNCell", (2, 3), (2, 5), "RNNCell: expected hx of shape (2, 4) (B, H), got (2, 5)"),
    ("RNNCell", (2, 3), (3, 4), "RNNCell: expected hx of shape (2, 4) (B, H), got (3, 4)"),
    ("GRUCell", (3,), (5,), "GRUCell: expected hx of shape (4,) (H,) for unbatched input, got (5,)"),
    ("GRUCell", (2, 3), (3, 4), "GRUCell: expected hx of shape (2, 4) (B, H), got (3, 4)"),
    ("LSTMCell", (2, 3), ((2, 5), (2, 4)), "LSTMCell: expected h of shape (2, 4) (B, H), got (2, 5)"),
    ("LSTMCell", (2, 3), ((2, 4), (3, 4)), "LSTMCell: expected c of shape (2, 4) (B, H), got (3, 4)"),
    ("LSTMCell", (3,), ((4,), (5,)), "LSTMCell: expected c of shape (4,) (H,) for unbatched input, got (5,)"),
]


def _tensors(shapes):
    return tuple(torch.zeros(s) for s in shapes) if isinstance(shapes[0], tuple) else torch.zeros(shapes)


@pytest.mark.parametrize("name,x,hx,ours", STATE_CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in STATE_CASES])
def test_a_state_of_the_wrong_shape_is_refused_in_companions_words_then_torch_nns(name, x, hx, ours):
    (ref_type, ref_msg), (our_type, our_msg) = torch_and_ours(name, torch.zeros(x), _tensors(hx))
    assert our_type is ref_type is RuntimeError
    assert our_msg == f"{ours}. {ref_msg}"


def test_a_batched_input_with_a_one_dimensional_state_names_the_shapes():
    # torch.nn says "Input batch size 2 doesn't match hidden0 batch size 4" here; companion only its own words.
    with pytest.raises(RuntimeError) as info:
        RNNCell(3, 4)(torch.zeros(2, 3), torch.zeros(4))
    assert str(info.value) == "RNNCell: expected hx of shape (2, 4) (B, H), got (4,)"


RANK_CASES = [
    ("RNNCell", (3,), (1, 1, 4), "RNNCell: expected hx of shape (H,) = (4,), got (1, 1, 4)"),
    ("GRUCell", (2, 3), (1, 2, 4), "GRUCell: expected hx of shape (B, H) = (2, 4), got (1, 2, 4)"),
    ("LSTMCell", (2, 3), ((2, 4), (1, 2, 4)), "LSTMCell: expected c of shape (B, H) = (2, 4), got (1, 2, 4)"),
    ("LSTMCell", (3,), ((1, 1, 4), (4,)), "LSTMCell: expected h of shape (H,) = (4,), got (1, 1, 4)"),
]


@pytest.mark.parametrize("name,x,hx,ours", RANK_CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in RANK_CASES])
def test_a_state_of_the_wrong_rank_is_refused_in_companions_words_then_torch_nns(name, x, hx, ours):
    (ref_type, ref_msg), (our_type, our_msg) = torch_and_ours(name, torch.zeros(x), _tensors(hx))
    assert our_type is ref_type is ValueError
    # torch.nn's message starts with the class name; companion's has it once, at the start.
    assert our_msg == f"{ours}. {ref_msg.removeprefix(name + ': ')}"


@pytest.mark.parametrize("name", ["RNNCell", "GRUCell", "ChoGRUCell", "LSTMCell"])
def test_a_state_that_is_not_a_tensor_is_named(name):
    cell = getattr(companion, name)(3, 4)
    hx = [0.0] * 4
    state = (hx, torch.zeros(4)) if name == "LSTMCell" else hx
    with pytest.raises(TypeError) as info:
        cell(torch.zeros(3), state)
    which = "h" if name == "LSTMCell" else "hx"
    assert str(info.value) == f"{name}: expected {which} to be a torch.Tensor, got list"
    if name == "LSTMCell":
        with pytest.raises(TypeError, match=r"^LSTMCell: expected c to be a torch\.Tensor, got list$"):
            cell(torch.zeros(3), (torch.zeros(4), hx))


def test_an_unbatched_input_of_the_wrong_size_is_refused_like_torch_nn():
    (ref_type, ref_msg), (our_type, our_msg) = torch_and_ours("RNNCell", torch.zeros(5))
    assert our_type is ref_type is RuntimeError
    assert our_msg == f"RNNCell: expected input of shape (B, 3) or (3,), got (5,). {ref_msg}"


def test_an_input_that_is_not_a_tensor_or_of_another_dtype_is_named():
    with pytest.raises(TypeError, match=r"^GRUCell: expected input to be a torch\.Tensor, got list$"):
        GRUCell(3, 4)([0.0, 0.0, 0.0])
    ref_type, _ = raised(lambda: torch.nn.GRUCell(3, 4)(torch.zeros(2, 3, dtype=DT)))
    with pytest.raises(ref_type) as info:  # RuntimeError, as torch.nn's
        GRUCell(3, 4)(torch.zeros(2, 3, dtype=DT))
    assert str(info.value).startswith("GRUCell: expected input of dtype torch.float32 (the parameters' dtype), "
                                      "got torch.float64.")
