"""More tests written against the mutants of companion/layers.py and companion/layer_inputs.py
(after tests/test_mutants_layers.py): constructor defaults, checks and messages, the factory
keywords, the initialisation's range, input checks that depend on ``batch_first``, dropout and the
random number generator, and re-packing a packed batch whose lengths tie.

The reference is torch.nn itself: its defaults, attributes, parameters, outputs and exception
types and messages, obtained live (companion's message is its own words followed by torch.nn's,
so the tests write companion's words out by hand and take torch.nn's from torch.nn).
"""

import os
import math
import re
import warnings

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import companion

KINDS = ("RNN", "LSTM", "GRU")


def raised(call):
    with pytest.raises(Exception) as info:
        call()
    return info.type, str(info.value)


def pair(kind, *args, **kwargs):
    """torch.nn's layer and companion's, built with the same arguments and companion's holding torch.nn's weights."""
    ref = getattr(torch.nn, kind)(*args, **kwargs)
    ours = getattr(companion, kind)(*args, **kwargs)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


# -- constructor: defaults, attributes, the factory keywords ---------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_defaults_and_attributes_are_torch_nns(kind):
    ref, ours = getattr(torch.nn, kind)(3, 4), getattr(companion, kind)(3, 4)
    names = ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size"]
    names += ["nonlinearity"] if kind == "RNN" else []
    for name in names:
        a, b = getattr(ours, name), getattr(ref, name)
        assert (a, type(a)) == (b, type(b)), f"{kind}.{name}: companion {a!r}, torch.nn {b!r}"
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [(k, v.shape) for k, v in ref.state_dict().items()]
    # The defaults are torch.nn's: the call without them equals the call with torch.nn's documented values ...
    documented = dict(num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False)
    documented.update({"nonlinearity": "tanh"} if kind == "RNN" else {})
    ref_explicit, explicit = pair(kind, 3, 4, **documented)
    x = torch.randn(5, 2, 3)
    ours.load_state_dict(ref_explicit.state_dict())
    with torch.no_grad():
        for a, b in zip(ours(x), explicit(x)):
            if isinstance(a, tuple):
                assert all(torch.equal(u, v) for u, v in zip(a, b))
            else:
                assert torch.equal(a, b)


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_is_stored_as_a_float_as_torch_nn_stores_it(kind):
    ref, ours = getattr(torch.nn, kind)(3, 4, num_layers=2, dropout=1), getattr(companion, kind)(3, 4, num_layers=2, dropout=1)
    assert (ours.dropout, type(ours.dropout)) == (ref.dropout, type(ref.dropout)) == (1.0, float)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("kwargs", [{}, {"bias": False, "num_layers": 2, "bidirectional": True}], ids=["plain", "deep-bi-nobias"])
def test_dtype_and_device_reach_every_parameter_as_in_torch_nn(kind, kwargs):
    for factory in ({"dtype": torch.float64}, {"device": "meta"}, {"device": "meta", "dtype": torch.float16}):
        ref = getattr(torch.nn, kind)(3, 4, **kwargs, **factory)
        ours = getattr(companion, kind)(3, 4, **kwargs, **factory)
        got = [(n, p.dtype, p.device.type) for n, p in ours.named_parameters()]
        assert got == [(n, p.dtype, p.device.type) for n, p in ref.named_parameters()], factory
        assert {d for _, d, _ in got} == {factory.get("dtype", torch.float32)}


@pytest.mark.parametrize("kind", KINDS)
def test_parameters_are_uniform_on_plus_minus_one_over_root_h_as_in_torch_nn(kind):
    # With H = 16 every parameter is drawn from U(-1/4, 1/4): thousands of draws fill the interval to
    # within 2 % of each end (the chance of missing one end is below 1e-20) and never leave it.
    H = 16
    bound = 1 / math.sqrt(H)
    kwargs = dict(num_layers=3, bidirectional=True)
    for module in (getattr(torch.nn, kind)(3, H, **kwargs), getattr(companion, kind)(3, H, **kwargs)):
        values = torch.cat([p.detach().flatten() for p in module.parameters()])
        assert values.numel() > 2000
        assert values.abs().max() <= bound
        assert values.min() < -0.98 * bound and values.max() > 0.98 * bound
        # the spread of U(-b, b): standard deviation b / sqrt(3)
        assert abs(values.std().item() - bound / math.sqrt(3)) < 0.05 * bound / math.sqrt(3)


# -- constructor: refused arguments, in companion's words then torch.nn's --------------------------

# (layer, args, kwargs, companion's words before torch.nn's message, companion's words after it)
BAD_CONSTRUCTIONS = [
    ("GRU", (0, 4), {}, "GRU: ", ", got 0"),
    ("LSTM", (3, 0), {}, "LSTM: ", ", got 0"),
    ("RNN", (3, 4), {"num_layers": 0}, "RNN: ", ", got 0"),
    ("GRU", (3.0, 4), {}, "GRU: ", " (3.0)"),
    ("RNN", (3, 4.0), {}, "RNN: ", " (4.0)"),
    ("LSTM", (3, 4), {"bias": "yes"}, "LSTM: ", " ('yes'); expected True or False"),
    ("GRU", (3, 4), {"batch_first": 1}, "GRU: ", " (1); expected True or False"),
    ("RNN", (3, 4), {"nonlinearity": "sigmoid"}, "RNN: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'. ", ""),
    ("LSTM", (3, 1), {"proj_size": 1}, "LSTM: ", ", got proj_size=1 and hidden_size=1"),
]


@pytest.mark.parametrize("kind,args,kwargs,before,after", BAD_CONSTRUCTIONS,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in BAD_CONSTRUCTIONS])
def test_a_bad_constructor_argument_is_refused_in_companions_words_and_torch_nns(kind, args, kwargs, before, after):
    ref_type, ref_msg = raised(lambda: getattr(torch.nn, kind)(*args, **kwargs))
    assert raised(lambda: getattr(companion, kind)(*args, **kwargs)) == (ref_type, f"{before}{ref_msg}{after}")


def test_a_float_num_layers_is_refused_naming_it():
    # torch.nn fails later, inside range() ("'float' object cannot be interpreted as an integer"); companion names it.
    assert raised(lambda: companion.LSTM(3, 4, num_layers=2.0)) == (
        TypeError, "LSTM: num_layers should be of type int, got: float (2.0)")


@pytest.mark.parametrize("kind", KINDS)
def test_sizes_of_one_are_accepted_and_match_torch_nn(kind):
    ref, ours = pair(kind, 1, 1, num_layers=1)
    x = torch.randn(4, 2, 1)
    with torch.no_grad():
        assert torch.allclose(ours(x)[0], ref(x)[0], atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_no_dropout_with_one_layer_gives_no_warning_as_in_torch_nn(kind):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(torch.nn, kind)(3, 4, num_layers=1, dropout=0.0)
        getattr(companion, kind)(3, 4, num_layers=1, dropout=0.0)
        getattr(companion, kind)(3, 4, num_layers=1)
    with pytest.warns(UserWarning, match=r"dropout=1 has no effect with num_layers=1"):
        getattr(companion, kind)(3, 4, num_layers=1, dropout=1)


@pytest.mark.parametrize("kind", KINDS)
def test_proj_size_attribute_is_zero_as_in_torch_nn(kind):
    kwargs = {"proj_size": 0} if kind == "LSTM" else {}
    assert getattr(companion, kind)(3, 4, **kwargs).proj_size == getattr(torch.nn, kind)(3, 4, **kwargs).proj_size == 0


# -- input checks --------------------------------------------------------------------------------

# (layer, kwargs, input, companion's words, which torch.nn's follow after ". ")
BAD_INPUTS = [
    ("RNN", {"batch_first": True}, torch.zeros(0, 3),
     "RNN: expected a sequence of at least one time step, got T=0 (input of shape (0, 3), batch_first=True)"),
    ("LSTM", {"batch_first": True}, torch.zeros(0, 3),
     "LSTM: expected a sequence of at least one time step, got T=0 (input of shape (0, 3), batch_first=True)"),
    ("GRU", {"batch_first": True}, torch.zeros(5, 2, 3, dtype=torch.float64),
     "GRU: expected input of dtype torch.float32 (the parameters' dtype), got torch.float64"),
    ("RNN", {}, torch.zeros(5, 3, dtype=torch.float64),
     "RNN: expected input of dtype torch.float32 (the parameters' dtype), got torch.float64"),
    ("LSTM", {}, torch.zeros(5, 2, 3, device="meta"),
     "LSTM: expected input on device cpu (where the parameters are), got meta; move it with .to('cpu')"),
    ("RNN", {}, torch.zeros(7, 4),
     "RNN: expected input of shape (T, B, 3) or an unbatched (T, 3), got (7, 4)"),
    ("RNN", {"batch_first": True}, torch.zeros(7, 4),
     "RNN: expected input of shape (B, T, 3) or an unbatched (T, 3), got (7, 4)"),
]


@pytest.mark.parametrize("kind,kwargs,x,ours", BAD_INPUTS, ids=[f"{c[0]}-{tuple(c[2].shape)}-{c[2].dtype}-{c[2].device.type}"
                                                                 for c in BAD_INPUTS])
def test_a_bad_input_is_refused_in_companions_words_then_torch_nns(kind, kwargs, x, ours):
    ref_type, ref_msg = raised(lambda: getattr(torch.nn, kind)(3, 4, **kwargs)(x))
    assert raised(lambda: getattr(companion, kind)(3, 4, **kwargs)(x)) == (ref_type, f"{ours}. {ref_msg}")


def test_an_input_of_the_wrong_rank_names_the_batch_first_layout():
    # torch.nn's GRU words this "GRU: Expected input to be 2D or 3D, got 4D instead"; companion's message
    # ends in the words of torch.nn's RNN and LSTM.
    assert raised(lambda: torch.nn.GRU(3, 4, batch_first=True)(torch.zeros(2, 5, 3, 1)))[0] is ValueError
    assert raised(lambda: companion.GRU(3, 4, batch_first=True)(torch.zeros(2, 5, 3, 1))) == (
        ValueError, "GRU: expected input of shape (B, T, 3) or an unbatched (T, 3), got (2, 5, 3, 1). "
                    "Expected input to be 2D or 3D, got 4D instead")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_a_batch_of_zero_sequences_gives_torch_nns_empty_results(kind, batch_first):
    ref, ours = pair(kind, 3, 4, num_layers=2, batch_first=batch_first)
    x = torch.zeros((0, 5, 3) if batch_first else (5, 0, 3))
    with torch.no_grad():
        (out, state), (ref_out, ref_state) = ours(x), ref(x)
    assert out.shape == ref_out.shape == ((0, 5, 4) if batch_first else (5, 0, 4))
    states, ref_states = (state, ref_state) if kind == "LSTM" else ((state,), (ref_state,))
    assert [s.shape for s in states] == [s.shape for s in ref_states] == [(2, 0, 4)] * len(ref_states)


@pytest.mark.parametrize("kind", KINDS)
def test_an_unbatched_input_ignores_batch_first_as_in_torch_nn(kind):
    ref, ours = pair(kind, 3, 4, num_layers=2, bidirectional=True, batch_first=True)
    ref.double(), ours.double()
    x = torch.randn(6, 3, dtype=torch.float64)
    h = torch.randn(4, 4, dtype=torch.float64)
    hx = (h, torch.randn(4, 4, dtype=torch.float64)) if kind == "LSTM" else h
    with torch.no_grad():
        (out, state), (ref_out, ref_state) = ours(x, hx), ref(x, hx)
    assert out.shape == ref_out.shape == (6, 8)
    assert torch.allclose(out, ref_out, atol=1e-12, rtol=0)
    states, ref_states = (state, ref_state) if kind == "LSTM" else ((state,), (ref_state,))
    for s, r in zip(states, ref_states):
        assert s.shape == r.shape == (4, 4) and torch.allclose(s, r, atol=1e-12, rtol=0)


# -- dropout and the random number generator -------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_training_without_dropout_draws_no_random_numbers_as_in_torch_nn(kind):
    # torch.nn applies dropout only for dropout > 0; a forward pass in train mode with dropout=0 leaves the
    # generator where it was, so the numbers drawn after it do not depend on the model.
    x = torch.randn(5, 2, 3)
    for module in (getattr(torch.nn, kind)(3, 4, num_layers=3), getattr(companion, kind)(3, 4, num_layers=3)):
        module.train()
        before = torch.get_rng_state()
        module(x)
        assert torch.equal(torch.get_rng_state(), before), type(module).__module__


# -- packed input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_packed_batch_with_many_tied_lengths_keeps_each_sequence_in_its_place(kind):
    # 24 sequences whose lengths tie in groups: sorting such lengths (as pack_padded_sequence does when not
    # told they are sorted) may reorder the ties, so the re-packed output must keep the input's own order.
    lengths = torch.tensor([3, 1, 2, 3] * 6)
    ref, ours = pair(kind, 2, 2, bidirectional=True)
    ref.double(), ours.double()
    x = torch.randn(3, len(lengths), 2, dtype=torch.float64)
    for enforce_sorted in (False, True):
        order = torch.argsort(lengths, descending=True, stable=True) if enforce_sorted else torch.arange(len(lengths))
        packed = pack_padded_sequence(x[:, order], lengths[order], enforce_sorted=enforce_sorted)
        with torch.no_grad():
            (out, state), (ref_out, ref_state) = ours(packed), ref(packed)
        assert torch.equal(out.batch_sizes, ref_out.batch_sizes)
        for a, b in ((out.sorted_indices, ref_out.sorted_indices), (out.unsorted_indices, ref_out.unsorted_indices)):
            assert (a is None and b is None) or torch.equal(a, b)
        assert torch.allclose(out.data, ref_out.data, atol=1e-12, rtol=0)
        padded, ref_padded = pad_packed_sequence(out)[0], pad_packed_sequence(ref_out)[0]
        assert torch.allclose(padded, ref_padded, atol=1e-12, rtol=0)


def test_packed_data_of_another_dtype_is_refused_in_companions_words_then_torch_nns():
    packed = pack_padded_sequence(torch.zeros(4, 2, 3, dtype=torch.float64), torch.tensor([4, 2]))
    ref_type, ref_msg = raised(lambda: torch.nn.GRU(3, 4)(packed))
    assert raised(lambda: companion.GRU(3, 4)(packed)) == (
        ref_type, f"GRU: expected input of dtype torch.float32 (the parameters' dtype), got torch.float64. {ref_msg}")


@pytest.mark.skipif("MUTANT_UNDER_TEST" in os.environ, reason="mutmut's trampolines add stack frames between the caller and the warning")
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU", "ChoGRU"])
def test_the_one_layer_dropout_warning_points_at_the_caller(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(companion, name)(3, 4, dropout=0.5)  # this line is the one the warning should name
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert caught[0].filename == __file__, f"{name}'s warning points at {caught[0].filename}:{caught[0].lineno}"
