"""Tests written against the mutants of companion/layers.py and companion/layer_inputs.py that
survived the rest of the suite (make mutants; benchmarks/mutation_report.md lists the equivalent
ones that remain).

References: torch.nn's own layers (their exception types and messages, obtained live here, and
their outputs), and companion's own words written out by hand.
"""

import pytest
import torch

import companion


def raised(call):
    with pytest.raises(Exception) as info:
        call()
    return info.type, str(info.value)


def _state(spec):
    if spec is None:
        return None
    if isinstance(spec[0], tuple):
        return tuple(torch.zeros(s) for s in spec)
    return torch.zeros(spec)


# (layer, kwargs, input shape, hx shape(s), companion's own words, which torch.nn's follow after ". ")
BAD_STATES = [
    ("RNN", {}, (5, 2, 3), (1, 2, 5),
     "RNN: expected hx of shape (1, 2, 4) (num_layers * num_directions, B, H), got (1, 2, 5)"),
    ("RNN", {}, (5, 3), (1, 5),
     "RNN: expected hx of shape (1, 4) (num_layers * num_directions, H) for unbatched input, got (1, 5)"),
    ("RNN", {}, (5, 2, 3), (2, 4),
     "RNN: expected hx of shape (1, 2, 4) (num_layers * num_directions, B, H), got (2, 4)"),
    ("RNN", {}, (5, 3), (1, 2, 4),
     "RNN: expected hx of shape (1, 4) (num_layers * num_directions, H) for unbatched input, got (1, 2, 4)"),
    ("GRU", {"bidirectional": True}, (5, 2, 3), (1, 2, 4),
     "GRU: expected hx of shape (2, 2, 4) (num_layers * num_directions, B, H), got (1, 2, 4)"),
    ("GRU", {"num_layers": 2, "batch_first": True}, (2, 5, 3), (2, 3, 4),
     "GRU: expected hx of shape (2, 2, 4) (num_layers * num_directions, B, H), got (2, 3, 4)"),
    ("LSTM", {}, (5, 2, 3), ((1, 2, 5), (1, 2, 4)),
     "LSTM: expected h_0 of shape (1, 2, 4) (num_layers * num_directions, B, H), got (1, 2, 5)"),
    ("LSTM", {}, (5, 2, 3), ((1, 2, 4), (1, 3, 4)),
     "LSTM: expected c_0 of shape (1, 2, 4) (num_layers * num_directions, B, H), got (1, 3, 4)"),
    ("LSTM", {}, (5, 3), ((1, 4), (1, 5)),
     "LSTM: expected c_0 of shape (1, 4) (num_layers * num_directions, H) for unbatched input, got (1, 5)"),
]


@pytest.mark.parametrize("name,kwargs,x,hx,ours", BAD_STATES, ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in BAD_STATES])
def test_a_bad_state_is_refused_in_companions_words_then_torch_nns(name, kwargs, x, hx, ours):
    ref, mine = getattr(torch.nn, name)(3, 4, **kwargs), getattr(companion, name)(3, 4, **kwargs)
    ref_type, ref_msg = raised(lambda: ref(torch.zeros(x), _state(hx)))
    our_type, our_msg = raised(lambda: mine(torch.zeros(x), _state(hx)))
    assert our_type is ref_type is RuntimeError
    assert our_msg == f"{ours}. {ref_msg}"


def test_an_lstm_cell_state_of_the_wrong_rank_is_named():
    # torch.nn words this "For unbatched 2-D input, hx and cx should also be 2-D but got (2-D, 3-D) tensors";
    # companion names the one state at fault.
    assert raised(lambda: companion.LSTM(3, 4)(torch.zeros(5, 3), (torch.zeros(1, 4), torch.zeros(1, 1, 4)))) == (
        RuntimeError, "LSTM: expected c_0 of shape (1, 4) (num_layers * num_directions, H) for unbatched input, got "
                      "(1, 1, 4). For unbatched 2-D input, hx should also be 2-D but got 3-D tensor")


BAD_INPUTS = [
    ("RNN", {"batch_first": True}, (2, 0, 3), RuntimeError,
     "RNN: expected a sequence of at least one time step, got T=0 (input of shape (2, 0, 3), batch_first=True)"),
    ("GRU", {}, (0, 2, 3), RuntimeError,
     "GRU: expected a sequence of at least one time step, got T=0 (input of shape (0, 2, 3), batch_first=False)"),
    ("LSTM", {}, (0, 3), RuntimeError,
     "LSTM: expected a sequence of at least one time step, got T=0 (input of shape (0, 3), batch_first=False)"),
    ("RNN", {}, (5, 2, 4), RuntimeError,
     "RNN: expected input of shape (T, B, 3) or an unbatched (T, 3), got (5, 2, 4)"),
    ("RNN", {"batch_first": True}, (2, 5, 4), RuntimeError,
     "RNN: expected input of shape (B, T, 3) or an unbatched (T, 3), got (2, 5, 4)"),
]


@pytest.mark.parametrize("name,kwargs,x,exc,ours", BAD_INPUTS, ids=[f"{c[0]}-{c[2]}" for c in BAD_INPUTS])
def test_a_bad_input_is_refused_in_companions_words_then_torch_nns(name, kwargs, x, exc, ours):
    ref, mine = getattr(torch.nn, name)(3, 4, **kwargs), getattr(companion, name)(3, 4, **kwargs)
    ref_type, ref_msg = raised(lambda: ref(torch.zeros(x)))
    our_type, our_msg = raised(lambda: mine(torch.zeros(x)))
    assert our_type is ref_type is exc
    assert our_msg == f"{ours}. {ref_msg}"


def test_an_input_of_the_wrong_rank_or_type_is_named():
    ref_type, ref_msg = raised(lambda: torch.nn.RNN(3, 4)(torch.zeros(5, 2, 3, 1)))
    our_type, our_msg = raised(lambda: companion.RNN(3, 4)(torch.zeros(5, 2, 3, 1)))
    assert our_type is ref_type is ValueError
    assert our_msg == ("RNN: expected input of shape (T, B, 3) or an unbatched (T, 3), got (5, 2, 3, 1). "
                       "Expected input to be 2D or 3D, got 4D instead")
    assert raised(lambda: companion.GRU(3, 4)([[0.0] * 3])) == (
        TypeError, "GRU: expected input to be a torch.Tensor, got list")
    # torch.nn raises ValueError for an input of another dtype than the weights; so does companion.
    assert raised(lambda: companion.GRU(3, 4)(torch.zeros(5, 2, 3, dtype=torch.float64)))[0] is ValueError


@pytest.mark.parametrize("hx,exc,message", [
    (((1, 2, 4),), RuntimeError,
     "LSTM: expected hx to be a pair (h_0, c_0) of tensors, got a tuple of 1; lstm expects two hidden states"),
    ((1, 2, 4), TypeError, "LSTM: expected hx to be a pair (h_0, c_0) of tensors, got Tensor"),
    (("h", (1, 2, 4)), TypeError, "LSTM: expected h_0 to be a torch.Tensor, got str"),
])
def test_an_lstm_state_that_is_not_a_pair_of_tensors_is_named(hx, exc, message):
    hx = tuple(h if isinstance(h, str) else torch.zeros(h) for h in hx) if isinstance(hx[0], (tuple, str)) \
        else torch.zeros(hx)
    assert raised(lambda: companion.LSTM(3, 4)(torch.zeros(5, 2, 3), hx)) == (exc, message)


@pytest.mark.parametrize("proj_size,exc,ours", [
    (5, ValueError, "LSTM: proj_size has to be smaller than hidden_size, got proj_size=5 and hidden_size=4"),
    (4, ValueError, "LSTM: proj_size has to be smaller than hidden_size, got proj_size=4 and hidden_size=4"),
    (-1, ValueError, "LSTM: proj_size should be a positive integer or zero to disable projections, got -1"),
])
def test_lstm_proj_size_is_checked_with_torch_nns_type_and_words(proj_size, exc, ours):
    ref_type, ref_msg = raised(lambda: torch.nn.LSTM(3, 4, proj_size=proj_size))
    assert raised(lambda: companion.LSTM(3, 4, proj_size=proj_size)) == (exc, ours)
    assert ref_type is exc and ours.startswith(f"LSTM: {ref_msg}")


@pytest.mark.parametrize("proj_size,exc,message", [
    (1, NotImplementedError, "LSTM: proj_size=1 (an LSTM whose hidden state is projected to proj_size features, "
                             "Sak et al. 2014) is out of companion's scope; use torch.nn.LSTM for it, or proj_size=0"),
    (1.5, TypeError, "LSTM: proj_size should be of type int, got: float (1.5)"),
    (True, TypeError, "LSTM: proj_size should be of type int, got: bool (True)"),
])
def test_lstm_proj_size_out_of_scope_or_not_an_integer(proj_size, exc, message):
    assert raised(lambda: companion.LSTM(3, 4, proj_size=proj_size)) == (exc, message)


@pytest.mark.parametrize("name", ["RNN", "GRU"])
def test_rnn_and_gru_take_no_proj_size_as_torch_nn(name):
    ref_type, ref_msg = raised(lambda: getattr(torch.nn, name)(3, 4, proj_size=0))
    assert ref_type is ValueError
    assert raised(lambda: getattr(companion, name)(3, 4, proj_size=0)) == (
        ValueError, f"{name}: {ref_msg} (got proj_size=0)")


def test_lstm_proj_size_zero_builds_the_plain_lstm():
    lstm = companion.LSTM(3, 4, proj_size=0)
    assert lstm.proj_size == 0 and lstm.weight_hh_l0.shape == (16, 4)


@pytest.mark.parametrize("name,kwargs", [
    ("RNN", {}), ("RNN", {"num_layers": 2, "nonlinearity": "tanh"}), ("GRU", {"bias": False, "batch_first": True}),
    ("LSTM", {"num_layers": 3, "dropout": 0.25, "bidirectional": True}), ("GRU", {"num_layers": 2, "dropout": 1}),
])
def test_repr_is_torch_nns(name, kwargs):
    assert repr(getattr(companion, name)(3, 4, **kwargs)) == repr(getattr(torch.nn, name)(3, 4, **kwargs))


def test_repr_of_a_relu_rnn_names_the_nonlinearity():
    # torch.nn's repr omits it (RNN(3, 4, num_layers=2)); companion shows it, in RNNCell's form.
    assert repr(companion.RNN(3, 4, num_layers=2, nonlinearity="relu")) == "RNN(3, 4, num_layers=2, nonlinearity='relu')"


@pytest.mark.parametrize("name,kwargs", [("LSTM", {"num_layers": 2, "bidirectional": True}), ("GRU", {"bias": False})])
def test_all_weights_lists_torch_nns_shapes_in_its_order(name, kwargs):
    ours, ref = getattr(companion, name)(3, 4, **kwargs), getattr(torch.nn, name)(3, 4, **kwargs)
    assert [[tuple(p.shape) for p in group] for group in ours.all_weights] == \
           [[tuple(p.shape) for p in group] for group in ref.all_weights]
    names = {id(p): n for n, p in ours.named_parameters()}
    ref_names = {id(p): n for n, p in ref.named_parameters()}
    assert [[names[id(p)] for p in g] for g in ours.all_weights] == [[ref_names[id(p)] for p in g] for g in ref.all_weights]


def test_dropout_with_one_layer_warns_as_torch_nn_and_out_of_range_is_refused():
    with pytest.warns(UserWarning, match=r"^GRU: dropout=0\.5 has no effect with num_layers=1: dropout is applied "
                                         r"between layers, after every layer but the last$"):
        companion.GRU(3, 4, dropout=0.5)
    for bad in (-0.1, 1.5, "0.2", True):
        assert raised(lambda: companion.RNN(3, 4, num_layers=2, dropout=bad)) == (
            ValueError, f"RNN: dropout should be a number in range [0, 1] representing the probability of an "
                        f"element being zeroed, got {bad!r}")


def test_packed_data_of_the_wrong_size_or_rank_is_refused_in_companions_words_then_torch_nns():
    from torch.nn.utils.rnn import PackedSequence, pack_sequence

    packed = pack_sequence([torch.zeros(3, 4), torch.zeros(2, 4)])
    flat = PackedSequence(torch.zeros(5), packed.batch_sizes)
    for data, shape in ((packed, "(5, 4)"), (flat, "(5,)")):
        ref_type, ref_msg = raised(lambda: torch.nn.GRU(3, 5)(data))
        assert raised(lambda: companion.GRU(3, 5)(data)) == (
            ref_type, f"GRU: expected PackedSequence data of shape (N, 3), got {shape}. {ref_msg}")


def test_packed_data_of_another_dtype_is_refused_naming_the_input():
    from torch.nn.utils.rnn import pack_sequence

    packed = pack_sequence([torch.zeros(3, 3, dtype=torch.float64), torch.zeros(2, 3, dtype=torch.float64)])
    our_type, our_msg = raised(lambda: companion.LSTM(3, 4)(packed))
    assert our_type is ValueError  # as for a padded input of another dtype (torch.nn's type)
    assert our_msg.startswith("LSTM: expected input of dtype torch.float32 (the parameters' dtype), got torch.float64.")
