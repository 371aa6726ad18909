"""companion.gated_bptt: the hand-written backward passes of the LSTM and the GRU equal autograd in
float64 (one step and through time), pass gradcheck and give torch.nn's gradients with the same
weights; the step Jacobians equal autograd's (the LSTM's ∂c_t/∂c_{t-1} is exactly diag(f_t)) and so
do the norms of their products; bad input is refused with messages that say what was expected;
and the exercise checker check_gru_step_backward accepts an independent answer, names the wrong
gradient and recognises the typical mistakes."""

import numpy as np
import pytest
import torch
from torch import nn

import companion
from companion import gated_bptt as gb
from companion.exercises import ExerciseError, check_gru_step_backward
from companion.exercises.gated_bptt import _GRU_BACKWARD_MISTAKES, _wrong_gru_step_backward
from helpers import assert_close, assert_refused, bad_input_case

TOL = 1e-10
F64 = torch.float64
GATES = {"lstm": 4, "gru": 3}


def sizes(rng):
    """Random ``T, B, I, H``, each from 1 to 5."""
    return (int(v) for v in rng.integers(1, 6, size=4))


def tensor(rng, *shape, scale=0.7):
    return torch.tensor(rng.normal(size=shape) * scale, dtype=F64)


def weights(rng, kind, I, H, bias=True):
    G = GATES[kind] * H
    W = {"weight_ih": tensor(rng, G, I), "weight_hh": tensor(rng, G, H)}
    W["bias_ih"], W["bias_hh"] = (tensor(rng, G, scale=0.5), tensor(rng, G, scale=0.5)) if bias else (None, None)
    return W


def leaves(d):
    """Copies of the tensors of ``d`` that require grad (None stays None)."""
    return {k: None if v is None else v.detach().clone().requires_grad_() for k, v in d.items()}


# -- one step -------------------------------------------------------------------------------------


@pytest.mark.parametrize("trial", range(4))
def test_step_forward_equals_the_cells_step_functions(rng, trial):
    _, B, I, H = sizes(rng)
    W = weights(rng, "lstm", I, H)
    x_t, h, c = tensor(rng, B, I), tensor(rng, B, H), tensor(rng, B, H)
    h_t, c_t, cache = gb.lstm_step_forward(x_t, h, c, **W)
    h_ref, c_ref = companion.lstm_step(x_t @ W["weight_ih"].T + W["bias_ih"], h, c, W["weight_hh"], W["bias_hh"])
    assert_close(h_t, h_ref, "LSTM h_t", tol=1e-14)
    assert_close(c_t, c_ref, "LSTM c_t", tol=1e-14)
    assert_close(cache["c"], c_ref, "cache['c']", tol=1e-14)
    W = weights(rng, "gru", I, H)
    h_t, cache = gb.gru_step_forward(x_t, h, **W)
    h_ref = companion.gru_step(x_t @ W["weight_ih"].T + W["bias_ih"], h, W["weight_hh"], W["bias_hh"])
    assert_close(h_t, h_ref, "GRU h_t", tol=1e-14)
    assert_close(cache["hn"], h @ W["weight_hh"][2 * H:].T + W["bias_hh"][2 * H:], "cache['hn']", tol=1e-14)


@pytest.mark.parametrize("trial", range(6))
def test_lstm_step_backward_equals_autograd(rng, trial):
    _, B, I, H = sizes(rng)
    W = weights(rng, "lstm", I, H)
    inputs = {"x_t": tensor(rng, B, I), "h_prev": tensor(rng, B, H), "c_prev": tensor(rng, B, H)}
    dh_t, dc_t = tensor(rng, B, H), tensor(rng, B, H)
    _, _, cache = gb.lstm_step_forward(**inputs, **W)
    ours = gb.lstm_step_backward(dh_t, dc_t, inputs["x_t"], inputs["h_prev"], inputs["c_prev"], W["weight_ih"],
                                 W["weight_hh"], cache)
    # autograd through companion's own step function: d(<dh_t, h_t> + <dc_t, c_t>)
    a = leaves({**inputs, **W})
    h_t, c_t = companion.lstm_step(a["x_t"] @ a["weight_ih"].T + a["bias_ih"], a["h_prev"], a["c_prev"],
                                   a["weight_hh"], a["bias_hh"])
    ((h_t * dh_t).sum() + (c_t * dc_t).sum()).backward()
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "x_t", "h_prev", "c_prev"):
        assert_close(ours[name], a[name].grad, f"LSTM step: gradient of {name}", tol=TOL)


@pytest.mark.parametrize("trial", range(6))
def test_gru_step_backward_equals_autograd(rng, trial):
    _, B, I, H = sizes(rng)
    W = weights(rng, "gru", I, H)
    inputs = {"x_t": tensor(rng, B, I), "h_prev": tensor(rng, B, H)}
    dh_t = tensor(rng, B, H)
    _, cache = gb.gru_step_forward(**inputs, **W)
    ours = gb.gru_step_backward(dh_t, inputs["x_t"], inputs["h_prev"], W["weight_ih"], W["weight_hh"], cache)
    a = leaves({**inputs, **W})
    h_t = companion.gru_step(a["x_t"] @ a["weight_ih"].T + a["bias_ih"], a["h_prev"], a["weight_hh"], a["bias_hh"])
    (h_t * dh_t).sum().backward()
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "x_t", "h_prev"):
        assert_close(ours[name], a[name].grad, f"GRU step: gradient of {name}", tol=TOL)
    # the two biases differ in the n block only, by the factor r_t
    H3 = slice(2 * H, 3 * H)
    assert torch.allclose(ours["bias_ih"][:2 * H], ours["bias_hh"][:2 * H], atol=0, rtol=0)
    assert not torch.allclose(ours["bias_ih"][H3], ours["bias_hh"][H3])


# -- through time -----------------------------------------------------------------------------------


def autograd_lstm(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh):
    """companion.lstm_step in a loop: autograd does the backward (the independent reference)."""
    h, c, hs = h0, c0, []
    for x_t in x:
        xw = x_t @ weight_ih.T + (0 if bias_ih is None else bias_ih)
        h, c = companion.lstm_step(xw, h, c, weight_hh, bias_hh)
        hs.append(h)
    return torch.stack(hs), h, c


def autograd_gru(x, h0, weight_ih, weight_hh, bias_ih, bias_hh):
    h, hs = h0, []
    for x_t in x:
        h = companion.gru_step(x_t @ weight_ih.T + (0 if bias_ih is None else bias_ih), h, weight_hh, bias_hh)
        hs.append(h)
    return torch.stack(hs), h


@pytest.mark.parametrize("trial", range(6))
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_backward_through_time_equals_autograd_in_float64(rng, kind, trial):
    T, B, I, H = sizes(rng)
    bias = trial % 3 != 2  # every third configuration without biases
    W = weights(rng, kind, I, H, bias=bias)
    states = {"h0": tensor(rng, B, H)} | ({"c0": tensor(rng, B, H)} if kind == "lstm" else {})
    x = tensor(rng, T, B, I)
    grad_output, grad_h_n, grad_c_n = tensor(rng, T, B, H), tensor(rng, B, H), tensor(rng, B, H)
    a = leaves({"x": x, **states, **W})
    if kind == "lstm":
        output, (h_n, c_n), cache = gb.lstm_forward(x, **W, hx=(states["h0"], states["c0"]))
        grads = gb.lstm_backward(cache, grad_output, grad_h_n, grad_c_n)
        out_ref, h_ref, c_ref = autograd_lstm(**a)
        assert_close(c_n, c_ref, "c_n", tol=1e-14)
        loss = (out_ref * grad_output).sum() + (h_ref * grad_h_n).sum() + (c_ref * grad_c_n).sum()
    else:
        output, h_n, cache = gb.gru_forward(x, **W, hx=states["h0"])
        grads = gb.gru_backward(cache, grad_output, grad_h_n)
        out_ref, h_ref = autograd_gru(**a)
        loss = (out_ref * grad_output).sum() + (h_ref * grad_h_n).sum()
    assert_close(output, out_ref, "output", tol=1e-14)
    assert_close(h_n, h_ref, "h_n", tol=1e-14)
    loss.backward()
    assert set(grads) == set(a)
    for name, leaf in a.items():
        if leaf is None:
            assert grads[name] is None, f"{name}: no bias, so no gradient, got {grads[name]}"
        else:
            assert_close(grads[name], leaf.grad, f"{kind}: gradient of {name}", tol=TOL)


def test_missing_output_gradients_count_as_zero(rng):
    T, B, I, H = 4, 2, 3, 5
    W = weights(rng, "lstm", I, H)
    x, g = tensor(rng, T, B, I), tensor(rng, T, B, H)
    _, _, cache = gb.lstm_forward(x, **W)
    zeros = torch.zeros(B, H, dtype=F64)
    assert_close(gb.lstm_backward(cache, g)["weight_hh"], gb.lstm_backward(cache, g, zeros, zeros)["weight_hh"],
                 "grad_h_n=None is zero", tol=0)
    # and the initial states default to zeros, as torch.nn's
    out_default, _, _ = gb.lstm_forward(x, **W)
    out_zeros, _, _ = gb.lstm_forward(x, **W, hx=(zeros, zeros))
    assert torch.equal(out_default, out_zeros)


@pytest.mark.parametrize("trial", range(3))
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_by_hand_functions_give_torch_nn_gradients_with_the_same_weights(rng, kind, trial):
    T, B, I, H = sizes(rng)
    ref = (nn.LSTM if kind == "lstm" else nn.GRU)(I, H).double()
    x = tensor(rng, T, B, I)
    h0, c0 = tensor(rng, B, H), tensor(rng, B, H)
    probe = tensor(rng, T, B, H)  # a random linear functional of the outputs
    x_ref, h_ref, c_ref = (v.clone().requires_grad_() for v in (x, h0, c0))
    if kind == "lstm":
        out_ref, (hn_ref, cn_ref) = ref(x_ref, (h_ref[None], c_ref[None]))
        loss_ref = (out_ref * probe).sum() + cn_ref.sum()
    else:
        out_ref, hn_ref = ref(x_ref, h_ref[None])
        loss_ref = (out_ref * probe).sum() + hn_ref.sum()
    loss_ref.backward()

    params = {name.removesuffix("_l0"): p.detach().clone().requires_grad_() for name, p in ref.named_parameters()}
    x_ours, h_ours, c_ours = (v.clone().requires_grad_() for v in (x, h0, c0))
    if kind == "lstm":
        out, h_n, c_n = gb.lstm_by_hand(x_ours, h_ours, c_ours, **params)
        loss = (out * probe).sum() + c_n.sum()
    else:
        out, h_n = gb.gru_by_hand(x_ours, h_ours, **params)
        loss = (out * probe).sum() + h_n.sum()
    assert out.grad_fn is not None and type(out.grad_fn).__name__.startswith(("LSTMByHand", "GRUByHand"))
    loss.backward()
    assert_close(out, out_ref.detach(), "output", tol=1e-12)
    for name, p in ref.named_parameters():
        assert_close(params[name.removesuffix("_l0")].grad, p.grad, f"{kind}: gradient of {name}", tol=1e-12)
    assert_close(x_ours.grad, x_ref.grad, "gradient of x", tol=1e-12)
    assert_close(h_ours.grad, h_ref.grad, "gradient of h0", tol=1e-12)
    if kind == "lstm":
        assert_close(c_ours.grad, c_ref.grad, "gradient of c0", tol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_by_hand_functions_pass_gradcheck(rng, kind, bias):
    T, B, I, H = 3, 2, 3, 2
    W = weights(rng, kind, I, H, bias=bias)
    x, h0, c0 = tensor(rng, T, B, I), tensor(rng, B, H), tensor(rng, B, H)
    inputs = [v.requires_grad_() if v is not None else None for v in
              ((x, h0, c0) if kind == "lstm" else (x, h0)) + tuple(W.values())]
    function = gb.lstm_by_hand if kind == "lstm" else gb.gru_by_hand
    assert torch.autograd.gradcheck(function, tuple(inputs), eps=1e-6, atol=1e-7)


# -- Jacobians ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("trial", range(4))
def test_lstm_step_jacobian_equals_autograd_and_its_cell_block_is_exactly_diag_f(rng, trial):
    _, B, I, H = sizes(rng)
    W = weights(rng, "lstm", I, H, bias=trial % 2 == 0)
    x_t, h, c = tensor(rng, B, I), tensor(rng, B, H), tensor(rng, B, H, scale=2.0)
    _, _, cache = gb.lstm_step_forward(x_t, h, c, **W)
    J = gb.lstm_step_jacobian(h, c, W["weight_hh"], cache)
    assert J.shape == (B, 2 * H, 2 * H)
    for b in range(B):
        def step(state, b=b):  # (h, c) of example b -> (h_t, c_t), through companion's own step function
            xw = x_t[b:b + 1] @ W["weight_ih"].T + (0 if W["bias_ih"] is None else W["bias_ih"])
            h_t, c_t = companion.lstm_step(xw, state[None, :H], state[None, H:], W["weight_hh"], W["bias_hh"])
            return torch.cat([h_t[0], c_t[0]])
        J_auto = torch.autograd.functional.jacobian(step, torch.cat([h[b], c[b]]))
        assert_close(J[b], J_auto, f"Jacobian of example {b}", tol=1e-12)
        # ∂c_t/∂c_{t-1}: the gates read h_{t-1}, not c_{t-1}, so it is diag(f_t) and nothing else
        # (f_t of example b computed alone, as autograd's step did: equal to the last bit)
        f_b = gb.lstm_step_forward(x_t[b:b + 1], h[b:b + 1], c[b:b + 1], **W)[2]["f"][0]
        assert torch.equal(J_auto[H:, H:], torch.diag(f_b)), "autograd's ∂c_t/∂c_{t-1} is not exactly diag(f_t)"
        assert_close(J[b, H:, H:], torch.diag(cache["f"][b]), "the block ∂c_t/∂c_{t-1}", tol=0)


@pytest.mark.parametrize("trial", range(4))
def test_gru_step_jacobian_equals_autograd(rng, trial):
    _, B, I, H = sizes(rng)
    W = weights(rng, "gru", I, H)
    x_t, h = tensor(rng, B, I), tensor(rng, B, H)
    _, cache = gb.gru_step_forward(x_t, h, **W)
    J = gb.gru_step_jacobian(h, W["weight_hh"], cache)
    for b in range(B):
        step = lambda s, b=b: companion.gru_step(x_t[b:b + 1] @ W["weight_ih"].T + W["bias_ih"], s[None],  # noqa: E731
                                                 W["weight_hh"], W["bias_hh"])[0]
        assert_close(J[b], torch.autograd.functional.jacobian(step, h[b]), f"Jacobian of example {b}", tol=1e-12)


def autograd_products(kind, x, W, k):
    """autograd's ∂(state at T)/∂(state at T-k) for example 0 of ``x`` (k < T): run the forward to step
    T-k, make that state a leaf, run the plain autograd loop on to T, and differentiate. Returns the
    Jacobian of the whole state ((h, c) for the LSTM), (S, S)."""
    T, H = x.shape[0], W["weight_hh"].shape[1]
    with torch.no_grad():
        if kind == "lstm":
            _, (h, c), _ = gb.lstm_forward(x[:T - k, :1], **W)
            start = torch.cat([h[0], c[0]])
        else:
            start = gb.gru_forward(x[:T - k, :1], **W)[1][0]
    if k == 0:
        return torch.eye(start.numel(), dtype=F64)

    def run(state):
        if kind == "lstm":
            _, h_n, c_n = autograd_lstm(x[T - k:, :1], state[None, :H], state[None, H:], **W)
            return torch.cat([h_n[0], c_n[0]])
        return autograd_gru(x[T - k:, :1], state[None], **W)[1][0]

    return torch.autograd.functional.jacobian(run, start)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_jacobian_norms_equal_the_norms_of_autograd_jacobians(rng, kind):
    T, B, I, H = 6, 2, 3, 4
    W = weights(rng, kind, I, H)
    x = tensor(rng, T, B, I)
    norms = (gb.lstm_jacobian_norms if kind == "lstm" else gb.gru_jacobian_norms)(x, **W)
    for value in norms.values():
        assert value.shape == (T, B)
    for k in range(T):
        J = autograd_products(kind, x, W, k)
        spectral = lambda M: torch.linalg.matrix_norm(M, ord=2)  # noqa: E731
        assert_close(norms["h"][k, 0], spectral(J[:H, :H]), f"||dh_T/dh_(T-{k})||", tol=1e-10)
        if kind == "lstm":
            assert_close(norms["c"][k, 0], spectral(J[H:, H:]), f"||dc_T/dc_(T-{k})||", tol=1e-10)
            assert_close(norms["state"][k, 0], spectral(J), f"||ds_T/ds_(T-{k})||", tol=1e-10)


def test_without_recurrent_weights_the_products_are_the_products_of_the_gates(rng):
    """With weight_hh = 0 the gates do not read h_{t-1}: ∂c_T/∂c_{T-k} is diag(f_T ⊙ ... ⊙ f_{T-k+1}) and
    the GRU's ∂h_T/∂h_{T-k} is diag(z_T ⊙ ... ⊙ z_{T-k+1}): the "c" and "forget" (and "h" and
    "update") norms must agree, and equal the largest product of the gates computed here."""
    T, B, I, H = 8, 3, 2, 4
    x = tensor(rng, T, B, I)
    W = weights(rng, "lstm", I, H)
    W["weight_hh"] = torch.zeros_like(W["weight_hh"])
    norms = gb.lstm_jacobian_norms(x, **W)
    f = torch.sigmoid(x @ W["weight_ih"][H:2 * H].T + W["bias_ih"][H:2 * H] + W["bias_hh"][H:2 * H])  # (T, B, H)
    for k in range(1, T):
        assert_close(norms["forget"][k], f[T - k:].prod(0).amax(-1), f"largest product of {k} forget gates", tol=1e-14)
    assert_close(norms["c"], norms["forget"], "||dc_T/dc_t|| with W_hh = 0", tol=1e-12)
    W = weights(rng, "gru", I, H)
    W["weight_hh"] = torch.zeros_like(W["weight_hh"])
    norms = gb.gru_jacobian_norms(x, **W)
    assert_close(norms["h"], norms["update"], "||dh_T/dh_t|| with W_hh = 0", tol=1e-12)
    assert (norms["update"][1:] < 1).all() and torch.equal(norms["update"][0], torch.ones(B, dtype=F64))


# -- bad input -----------------------------------------------------------------------------------------


def _lstm_parts(B=2, I=3, H=4, T=5):
    g = torch.Generator().manual_seed(0)
    r = lambda *s: torch.randn(*s, generator=g, dtype=F64)  # noqa: E731
    return {"x": r(T, B, I), "h": r(B, H), "c": r(B, H), "weight_ih": r(4 * H, I), "weight_hh": r(4 * H, H),
            "bias_ih": r(4 * H), "bias_hh": r(4 * H), "x_t": r(B, I)}


P = _lstm_parts()
G = {**P, "weight_ih": P["weight_ih"][:12], "weight_hh": P["weight_hh"][:12], "bias_ih": P["bias_ih"][:12],
     "bias_hh": P["bias_hh"][:12]}
_, _, LSTM_CACHE = gb.lstm_forward(P["x"], P["weight_ih"], P["weight_hh"], P["bias_ih"], P["bias_hh"])
_, _, STEP_CACHE = gb.lstm_step_forward(P["x_t"], P["h"], P["c"], P["weight_ih"], P["weight_hh"])
NAN_X = P["x"].clone()
NAN_X[1, 0, 2] = float("nan")

BAD_INPUT = [
    bad_input_case("x not time first (2-D)", "lstm_forward", lambda: gb.lstm_forward(P["x"][0], P["weight_ih"], P["weight_hh"]),
                   ValueError, ["expected x of shape (T, B, 3)"], "(2, 3)"),
    bad_input_case("x of the wrong width", "gru_forward", lambda: gb.gru_forward(P["x"][..., :2], G["weight_ih"], G["weight_hh"]),
                   ValueError, ["expected x of shape (T, B, 3)", "I = 3 from weight_ih"], "(5, 2, 2)"),
    bad_input_case("x with no step", "lstm_forward", lambda: gb.lstm_forward(P["x"][:0], P["weight_ih"], P["weight_hh"]),
                   ValueError, ["T >= 1"], "(0, 2, 3)"),
    bad_input_case("x a list", "lstm_forward", lambda: gb.lstm_forward([[1.0]], P["weight_ih"], P["weight_hh"]),
                   TypeError, ["expected x to be a torch.Tensor"], "a list"),
    bad_input_case("GRU weights for an LSTM", "lstm_forward", lambda: gb.lstm_forward(P["x"], G["weight_ih"], G["weight_hh"]),
                   ValueError, ["expected weight_hh of shape (4H, H)", "(i, f, g, o)"], "(12, 4)"),
    bad_input_case("weight_ih of other H", "gru_forward", lambda: gb.gru_forward(P["x"], G["weight_ih"][:9], G["weight_hh"]),
                   ValueError, ["expected weight_ih of shape (12, I)"], "(9, 3)"),
    bad_input_case("bias of the wrong size", "lstm_forward",
                   lambda: gb.lstm_forward(P["x"], P["weight_ih"], P["weight_hh"], P["bias_ih"][:4]),
                   ValueError, ["expected bias_ih of shape (16,)"], "(4,)"),
    bad_input_case("float32 x, float64 weights", "lstm_forward",
                   lambda: gb.lstm_forward(P["x"].float(), P["weight_ih"], P["weight_hh"]),
                   TypeError, ["of one dtype", "x torch.float32"], None),
    bad_input_case("integer x", "gru_by_hand",
                   lambda: gb.gru_by_hand(P["x"].long(), P["h"], G["weight_ih"], G["weight_hh"]),
                   TypeError, ["expected x to be a floating-point tensor"], "torch.int64"),
    bad_input_case("NaN in x", "lstm_forward", lambda: gb.lstm_forward(NAN_X, P["weight_ih"], P["weight_hh"]),
                   ValueError, ["expected x to hold finite numbers", "at index (1, 0, 2)"], "nan"),
    bad_input_case("hx not a pair", "lstm_forward", lambda: gb.lstm_forward(P["x"], P["weight_ih"], P["weight_hh"], hx=P["h"]),
                   TypeError, ["expected hx to be a pair (h0, c0)"], "a Tensor of shape (2, 4)"),
    bad_input_case("h0 of another batch", "lstm_by_hand",
                   lambda: gb.lstm_by_hand(P["x"], P["h"][:1], P["c"], P["weight_ih"], P["weight_hh"]),
                   ValueError, ["expected h0 of shape (2, 4)", "B = 2 from x"], "(1, 4)"),
    bad_input_case("h0 None in the Function", "gru_by_hand",
                   lambda: gb.gru_by_hand(P["x"], None, G["weight_ih"], G["weight_hh"]),
                   TypeError, ["expected h0 to be a (B, H) tensor"], "None"),
    bad_input_case("grad_output of the wrong shape", "lstm_backward",
                   lambda: gb.lstm_backward(LSTM_CACHE, torch.zeros(5, 2, 3, dtype=F64)),
                   ValueError, ["expected grad_output of shape (5, 2, 4)"], "(5, 2, 3)"),
    bad_input_case("an LSTM's cache to gru_backward", "gru_backward",
                   lambda: gb.gru_backward(LSTM_CACHE, torch.zeros(5, 2, 4, dtype=F64)),
                   TypeError, ["expected cache to be the dict that the forward function returns", "'hn'"],
                   "a dict with keys"),
    bad_input_case("grad_output None", "lstm_backward", lambda: gb.lstm_backward(LSTM_CACHE, None),
                   TypeError, ["expected grad_output to be a torch.Tensor"], "None"),
    bad_input_case("cache of another layer", "lstm_backward", lambda: gb.lstm_backward({"h": 1}, P["x"]),
                   TypeError, ["expected cache to be the dict that the forward function returns"], "a dict with keys ['h']"),
    bad_input_case("grad_c_n float32", "lstm_backward",
                   lambda: gb.lstm_backward(LSTM_CACHE, torch.zeros(5, 2, 4, dtype=F64), None, P["h"].float()),
                   TypeError, ["expected grad_c_n of dtype torch.float64"], "torch.float32"),
    bad_input_case("step: dc_t of the wrong shape", "lstm_step_backward",
                   lambda: gb.lstm_step_backward(P["h"], P["h"][:, :3], P["x_t"], P["h"], P["c"], P["weight_ih"],
                                                 P["weight_hh"], STEP_CACHE),
                   ValueError, ["expected dc_t of shape (2, 4)"], "(2, 3)"),
    bad_input_case("step: a GRU cache for an LSTM", "lstm_step_backward",
                   lambda: gb.lstm_step_backward(P["h"], P["h"], P["x_t"], P["h"], P["c"], P["weight_ih"], P["weight_hh"],
                                                 {"r": P["h"], "z": P["h"], "n": P["h"], "hn": P["h"]}),
                   TypeError, ["expected cache to be the dict with keys ['i', 'f', 'g', 'o', 'c']"], "a dict with keys"),
    bad_input_case("step: unbatched x_t", "gru_step_forward",
                   lambda: gb.gru_step_forward(P["x_t"][0], P["h"][0], G["weight_ih"], G["weight_hh"]),
                   ValueError, ["expected x_t of shape (B, 3)"], "(3,)"),
    bad_input_case("step jacobian: h_prev of other H", "gru_step_jacobian",
                   lambda: gb.gru_step_jacobian(P["h"][:, :3], G["weight_hh"], {}),
                   ValueError, ["expected h_prev of shape (B, 4)"], "(2, 3)"),
    bad_input_case("norms: weights as lists", "gru_jacobian_norms",
                   lambda: gb.gru_jacobian_norms(P["x"], G["weight_ih"].tolist(), G["weight_hh"]),
                   TypeError, ["expected weight_ih to be a torch.Tensor"], "a list"),
]


@pytest.mark.parametrize("who, make, exc, expected, got", BAD_INPUT)
def test_bad_input_is_refused_with_a_message_that_says_what_was_expected(who, make, exc, expected, got):
    assert_refused(who, make, exc, expected, got)


# -- the exercise checker ---------------------------------------------------------------------------------

SEEDS = range(6)


def gru_step_backward_by_autograd(dh_t, x_t, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """An independent correct answer: torch.nn.GRUCell with these weights, and autograd."""
    cell = nn.GRUCell(x_t.shape[0], h_prev.shape[0]).double()
    with torch.no_grad():
        for name, value in (("weight_ih", weight_ih), ("weight_hh", weight_hh), ("bias_ih", bias_ih),
                            ("bias_hh", bias_hh)):
            getattr(cell, name).copy_(torch.from_numpy(value))
    x, h = torch.tensor(x_t, requires_grad=True), torch.tensor(h_prev, requires_grad=True)
    (cell(x, h) * torch.from_numpy(dh_t)).sum().backward()
    return {name: getattr(cell, name).grad.numpy() for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")} | \
        {"x_t": x.grad.numpy(), "h_prev": h.grad.numpy()}


def test_check_gru_step_backward_accepts_an_independent_correct_answer_on_every_seed(capsys):
    for seed in SEEDS:
        check_gru_step_backward(gru_step_backward_by_autograd, seed=seed)
    assert capsys.readouterr().out.count("gru_step_backward: correct on 5 random inputs.") == len(SEEDS)


MISTAKES = {
    "no reset path": "the reset gate gets no gradient",
    "no r on hn": "is not multiplied by r_t",
    "z for 1 - z": "z_t is used instead of 1 - z_t",
    "swapped z": "the source articles' convention",
    "no direct path": "misses the direct path",
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_check_gru_step_backward_rejects_each_typical_mistake_on_every_seed_and_names_it(mistake):
    """One trial per call: every single random input must expose the mistake and name it."""
    wrong = lambda **inputs: _wrong_gru_step_backward(**inputs, mistake=mistake)  # noqa: E731
    for seed in SEEDS:
        with pytest.raises(ExerciseError, match=r"gru_step_backward\['\w+'\]: wrong value.*" + MISTAKES[mistake]):
            check_gru_step_backward(wrong, trials=1, seed=seed)
    assert len(_GRU_BACKWARD_MISTAKES) == len(MISTAKES)


def test_wrong_mistake_functions_are_wrong_and_the_right_one_is_right(rng):
    """The mistakes the checker knows differ from the right answer (else naming them would be vacuous)."""
    from companion.exercises.gated_bptt import _gru_backward_inputs, _reference_gru_step_backward

    inputs = _gru_backward_inputs(rng)
    right = _reference_gru_step_backward(**inputs)
    for name, part in ((k, v) for k, v in gru_step_backward_by_autograd(**inputs).items()):
        np.testing.assert_allclose(right[name], part, atol=1e-12)
    for mistake in MISTAKES:
        wrong = _wrong_gru_step_backward(**inputs, mistake=mistake)
        assert any(not np.allclose(wrong[k], right[k]) for k in right), mistake


def test_check_gru_step_backward_says_which_gradient_is_wrong_and_where():
    def only_bias_hh_wrong(**inputs):
        grads = gru_step_backward_by_autograd(**inputs)
        grads["bias_hh"] = grads["bias_hh"].copy()
        grads["bias_hh"][-1] += 1.0  # the last entry: the n block of the last unit
        return grads

    for seed in SEEDS:
        with pytest.raises(ExerciseError) as info:
            check_gru_step_backward(only_bias_hh_wrong, trials=1, seed=seed)
        message = str(info.value)
        assert message.startswith("gru_step_backward['bias_hh']: wrong value")
        assert "it looks like" not in message  # no known mistake gives this
        H3 = int(message.split("at index (")[1].split(",")[0]) + 1  # the index names the last entry, 3H - 1
        assert H3 % 3 == 0


def test_check_gru_step_backward_reports_a_missing_gradient_and_refuses_a_non_function():
    def no_x(**inputs):
        grads = gru_step_backward_by_autograd(**inputs)
        del grads["x_t"]
        return grads

    with pytest.raises(ExerciseError, match=r"gru_step_backward: expected a dict with keys \['bias_hh', 'bias_ih', "
                                            r"'h_prev', 'weight_hh', 'weight_ih', 'x_t'\]"):
        check_gru_step_backward(no_x, seed=0)
    with pytest.raises(TypeError, match="check_gru_step_backward: expected your function itself"):
        check_gru_step_backward(gru_step_backward_by_autograd(**{"dh_t": np.ones(1), "x_t": np.ones(1),
                                                                 "h_prev": np.ones(1), "weight_ih": np.ones((3, 1)),
                                                                 "weight_hh": np.ones((3, 1)), "bias_ih": np.ones(3),
                                                                 "bias_hh": np.ones(3)}))
