"""companion.fast's LSTM and GRU equal the readable layers (companion.LSTM, companion.GRU) and
torch.nn's in float64 — outputs, final states, gradients of the input, the initial states and
every parameter — and their hand-written backward equals companion.gated_bptt's and passes
torch.autograd.gradcheck. Nothing here measures speed (benchmarks/layers.py does)."""

import itertools
import zlib

import pytest
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

import companion
from companion import fast
from companion.gated_bptt import gru_backward, gru_by_hand, gru_forward, lstm_backward, lstm_by_hand, lstm_forward

TOL = 1e-10
KINDS = ("LSTM", "GRU")
f64 = torch.float64


def gen(seed):
    return torch.Generator().manual_seed(seed)


def three(kind, seed=0, **kwargs):
    """torch.nn's, the readable and the fast layer, float64, with torch.nn's weights copied into both."""
    torch.manual_seed(seed)
    ref = getattr(torch.nn, kind)(dtype=f64, **kwargs)
    readable = getattr(companion, kind)(dtype=f64, **kwargs)
    quick = getattr(fast, kind)(dtype=f64, **kwargs)
    readable.load_state_dict(ref.state_dict())
    quick.load_state_dict(ref.state_dict())
    return {"torch.nn": ref, "readable": readable, "fast": quick}


def run(module, x, hx, lengths, batch_first, weights_seed=7):
    """Forward, then backward of a fixed random functional of the output and the final states.
    Returns every result and gradient, by name (output, states, d/dx, d/dh0, d/dc0, d/d each parameter)."""
    x = x.detach().clone().requires_grad_()
    hx = None if hx is None else tuple(h.detach().clone().requires_grad_() for h in hx)
    inp = x
    if lengths is not None:
        inp = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
    state_in = None if hx is None else (hx if len(hx) == 2 else hx[0])
    out, state = module(inp, state_in)
    out = out.data if isinstance(out, PackedSequence) else out
    states = state if isinstance(state, tuple) else (state,)
    g = gen(weights_seed)
    loss = (out * torch.randn(out.shape, generator=g, dtype=f64)).sum()
    for s in states:
        loss = loss + (s * torch.randn(s.shape, generator=g, dtype=f64)).sum()
    module.zero_grad(set_to_none=True)
    loss.backward()
    results = {"output": out, **{f"final state {k}": s for k, s in enumerate(states)}, "d input": x.grad}
    for k, h in enumerate(hx or ()):
        results[f"d initial state {k}"] = h.grad
    for name, p in module.named_parameters():
        results[f"d {name}"] = p.grad
    return results


def assert_all_equal(results: dict, tol=TOL):
    names = list(results)
    base = results[names[0]]
    for other in names[1:]:
        assert list(results[other]) == list(base), f"{other} and {names[0]} return different things"
        for key, value in base.items():
            theirs = results[other][key]
            assert theirs is not None and value is not None, f"{key}: None from {other} or {names[0]}"
            assert theirs.shape == value.shape, f"{key}: shape {tuple(theirs.shape)} ({other}), {tuple(value.shape)}"
            diff = (theirs - value).abs().max().item() if value.numel() else 0.0
            assert diff <= tol, f"{key}: {other} differs from {names[0]} by {diff:.2e} (> {tol:g})"


CASES = list(itertools.product(KINDS, (False, True), (1, 2), (False, True), ("tensor", "packed")))


@pytest.mark.parametrize("kind,bidirectional,num_layers,batch_first,form", CASES,
                         ids=[f"{k}-bi{int(b)}-L{n}-bf{int(f)}-{form}" for k, b, n, f, form in CASES])
def test_fast_equals_readable_and_torch_nn(kind, bidirectional, num_layers, batch_first, form):
    I, H, B, T = 3, 5, 4, 6
    layers = three(kind, seed=num_layers, input_size=I, hidden_size=H, num_layers=num_layers,
                   bidirectional=bidirectional, batch_first=batch_first)
    g = gen(zlib.crc32(f"{kind}{bidirectional}{num_layers}{batch_first}{form}".encode()))
    x = torch.randn((B, T, I) if batch_first else (T, B, I), generator=g, dtype=f64)
    LD = num_layers * (2 if bidirectional else 1)
    hx = tuple(torch.randn(LD, B, H, generator=g, dtype=f64) for _ in range(2 if kind == "LSTM" else 1))
    lengths = torch.tensor([6, 2, 4, 1]) if form == "packed" else None
    results = {name: run(m, x, hx, lengths, batch_first) for name, m in layers.items()}
    assert_all_equal(results)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("variant", ["unbatched", "no bias, zero state", "dropout in eval mode", "batch of zero"])
def test_fast_equals_readable_and_torch_nn_in_the_other_corners(kind, variant):
    kwargs = {"input_size": 2, "hidden_size": 3, "num_layers": 2, "bidirectional": True}
    if variant == "no bias, zero state":
        kwargs["bias"] = False
    if variant == "dropout in eval mode":
        kwargs["dropout"] = 0.5
    layers = three(kind, seed=3, **kwargs)
    for m in layers.values():
        m.eval() if variant == "dropout in eval mode" else None
    g = gen(11)
    shape = {"unbatched": (5, 2), "batch of zero": (5, 0, 2)}.get(variant, (5, 3, 2))
    x = torch.randn(shape, generator=g, dtype=f64)
    hx = None
    if variant == "unbatched":
        hx = tuple(torch.randn(4, 3, generator=g, dtype=f64) for _ in range(2 if kind == "LSTM" else 1))
    if variant == "batch of zero":
        outs = {name: m(x) for name, m in layers.items()}
        for name, (out, _) in outs.items():
            assert out.shape == (5, 0, 6), f"{name}: {tuple(out.shape)}"
        return
    assert_all_equal({name: run(m, x, hx, None, False) for name, m in layers.items()})


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_between_layers_in_train_mode_draws_the_readable_layers_masks(kind):
    """Same seed, same masks: the fast layer's scan draws no random numbers of its own."""
    layers = three(kind, seed=5, input_size=3, hidden_size=4, num_layers=3, dropout=0.4)
    del layers["torch.nn"]  # its masks come from another generator order
    x = torch.randn(6, 2, 3, generator=gen(2), dtype=f64)
    results = {}
    for name, m in layers.items():
        torch.manual_seed(123)
        results[name] = run(m.train(), x, None, None, False)
    assert_all_equal(results)
    torch.manual_seed(124)
    other = run(layers["fast"], x, None, None, False)
    assert (other["output"] - results["fast"]["output"]).abs().max() > 1e-3, "dropout changed nothing"


# -- the Functions against the book's hand-written backward (companion.gated_bptt) -----------------


def sequence(kind, T=7, B=3, I=4, H=5, seed=0):
    g = gen(seed)
    G = 4 if kind == "LSTM" else 3
    r = lambda *s: torch.randn(*s, generator=g, dtype=f64)  # noqa: E731
    return {"x": r(T, B, I), "state": tuple(r(B, H) for _ in range(2 if kind == "LSTM" else 1)),
            "weights": (r(G * H, I) * 0.5, r(G * H, H) * 0.5, r(G * H), r(G * H)), "grad_output": r(T, B, H),
            "grad_state": tuple(r(B, H) for _ in range(2 if kind == "LSTM" else 1))}


@pytest.mark.parametrize("kind", KINDS)
def test_fast_function_equals_the_books_backward_through_time(kind):
    s = sequence(kind)
    leaves = [t.clone().requires_grad_() for t in (s["x"], *s["state"], *s["weights"])]
    n_state = len(s["state"])
    by_hand = fast.fast_lstm if kind == "LSTM" else fast.fast_gru
    outs = by_hand(*leaves)
    loss = (outs[0] * s["grad_output"]).sum() + sum((o * g).sum() for o, g in zip(outs[1:], s["grad_state"]))
    loss.backward()
    x, state, (W_ih, W_hh, b_ih, b_hh) = s["x"], s["state"], s["weights"]
    if kind == "LSTM":
        output, finals, cache = lstm_forward(x, W_ih, W_hh, b_ih, b_hh, hx=state)
        book = lstm_backward(cache, s["grad_output"], *s["grad_state"])
        names = ("x", "h0", "c0", "weight_ih", "weight_hh", "bias_ih", "bias_hh")
    else:
        output, h_n, cache = gru_forward(x, W_ih, W_hh, b_ih, b_hh, hx=state[0])
        finals = (h_n,)
        book = gru_backward(cache, s["grad_output"], *s["grad_state"])
        names = ("x", "h0", "weight_ih", "weight_hh", "bias_ih", "bias_hh")
    assert (outs[0] - output).abs().max() <= TOL
    for ours, theirs in zip(outs[1:], finals):
        assert (ours - theirs).abs().max() <= TOL
    assert len(names) == len(leaves) == n_state + 5
    for name, leaf in zip(names, leaves):
        diff = (leaf.grad - book[name]).abs().max().item()
        assert diff <= TOL, f"d{name}: fast and the book's backward differ by {diff:.2e}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lengths,reverse", [(None, False), (None, True), ((4, 1, 3), False), ((4, 1, 3), True)])
@pytest.mark.parametrize("bias", [True, False])
def test_fast_function_passes_gradcheck(kind, lengths, reverse, bias):
    s = sequence(kind, T=4, B=3, I=2, H=3, seed=1)
    W = s["weights"] if bias else s["weights"][:2] + (None, None)
    inputs = tuple(t if t is None else t.clone().requires_grad_() for t in (s["x"], *s["state"], *W))
    lengths = None if lengths is None else torch.tensor(lengths)
    Function = fast.LSTMFunction if kind == "LSTM" else fast.GRUFunction
    assert torch.autograd.gradcheck(lambda *a: Function.apply(*a, lengths, reverse), inputs)


@pytest.mark.parametrize("kind", KINDS)
def test_by_hand_functions_refuse_what_the_books_refuse(kind):
    s = sequence(kind)
    ours, book = (fast.fast_lstm, lstm_by_hand) if kind == "LSTM" else (fast.fast_gru, gru_by_hand)
    W_ih, W_hh, b_ih, b_hh = s["weights"]
    state = s["state"]
    bad = {
        "x rank": ((s["x"][0], *state, W_ih, W_hh, b_ih, b_hh), ValueError),
        "x features": ((s["x"][..., :2], *state, W_ih, W_hh, b_ih, b_hh), ValueError),
        "state shape": ((s["x"], *(h[:1] for h in state), W_ih, W_hh, b_ih, b_hh), ValueError),
        "weight shape": ((s["x"], *state, W_ih, W_hh[:5], b_ih, b_hh), ValueError),
        "dtype": ((s["x"].float(), *state, W_ih, W_hh, b_ih, b_hh), TypeError),
        "NaN": ((s["x"] * float("nan"), *state, W_ih, W_hh, b_ih, b_hh), ValueError),
        "state not a tensor": ((s["x"], *([1.0] * len(state)), W_ih, W_hh, b_ih, b_hh), TypeError),
    }
    for what, (args, exc) in bad.items():
        messages = []
        for fn in (ours, book):
            with pytest.raises(exc) as info:
                fn(*args)
            messages.append(str(info.value).split(":", 1)[1])
        assert messages[0] == messages[1], f"{what}: {messages}"


# -- state_dicts and bad input: the readable layer's, unchanged --------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_moves_between_fast_readable_and_torch_nn(kind):
    kwargs = {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True}
    x = torch.randn(5, 2, 3, generator=gen(4), dtype=f64)
    layers = {name: m for name, m in three(kind, seed=9, **kwargs).items()}
    layout = {name: [(k, tuple(v.shape)) for k, v in m.state_dict().items()] for name, m in layers.items()}
    assert layout["fast"] == layout["readable"] == layout["torch.nn"]
    for source, target in itertools.permutations(layers, 2):
        layers[source].reset_parameters()  # a fresh draw, so that loading has something to change
        assert not torch.equal(layers[source].weight_hh_l1_reverse, layers[target].weight_hh_l1_reverse)
        layers[target].load_state_dict(layers[source].state_dict())
        with torch.no_grad():
            a, b = layers[source](x), layers[target](x)
        assert (a[0] - b[0]).abs().max() <= TOL, f"{source} -> {target}"


def bad_inputs(kind):
    """(what, call) pairs: each call must raise, the same exception and message from both layers."""
    H, I = 4, 3
    ok = torch.zeros(5, 2, I, dtype=f64)
    h = torch.zeros(1, 2, H, dtype=f64)
    state = (h, h) if kind == "LSTM" else h
    return {
        "rank 4": lambda m: m(ok[None]),
        "features": lambda m: m(ok[..., :2]),
        "dtype": lambda m: m(ok.float()),
        "T = 0": lambda m: m(ok[:0]),
        "not a tensor": lambda m: m(ok.tolist()),
        "state shape": lambda m: m(ok, (h[:, :1], h) if kind == "LSTM" else h[:, :1]),
        "state rank": lambda m: m(ok, (h[0], h[0]) if kind == "LSTM" else h[0]),
        "state not a pair": lambda m: m(ok, h if kind == "LSTM" else (h, h)),
        "packed features": lambda m: m(pack_padded_sequence(ok[..., :2], [5, 3])),
        "good (control)": lambda m: m(ok, state),
    }


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_gets_the_readable_layers_errors(kind):
    readable = getattr(companion, kind)(3, 4, dtype=f64)
    quick = getattr(fast, kind)(3, 4, dtype=f64)
    for what, call in bad_inputs(kind).items():
        outcomes = []
        for m in (readable, quick):
            try:
                call(m)
                outcomes.append(None)
            except Exception as error:  # noqa: BLE001 - the test compares whatever each raises
                outcomes.append((type(error), str(error)))
        assert outcomes[0] == outcomes[1], f"{what}: readable {outcomes[0]}, fast {outcomes[1]}"
        assert (outcomes[0] is None) == (what == "good (control)"), f"{what}: {outcomes[0]}"


def test_constructor_refuses_what_the_readable_layer_refuses():
    for make in (companion.LSTM, fast.LSTM):
        with pytest.raises(NotImplementedError, match="proj_size=2"):
            make(3, 4, proj_size=2)
    for make in (companion.GRU, fast.GRU):
        with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
            make(3, 4, proj_size=2)
        with pytest.raises(ValueError, match="dropout should be a number"):
            make(3, 4, dropout=1.5)


def test_float32_agrees_with_torch_nn():
    """In float32 the fast layer is as close to torch.nn as rounding allows (not a float64 identity)."""
    torch.manual_seed(0)
    for kind in KINDS:
        ref = getattr(torch.nn, kind)(8, 16, num_layers=2, bidirectional=True)
        quick = getattr(fast, kind)(8, 16, num_layers=2, bidirectional=True)
        quick.load_state_dict(ref.state_dict())
        x = torch.randn(20, 4, 8)
        assert (quick(x)[0] - ref(x)[0]).abs().max() < 1e-5, kind
