"""Bad input raises torch.nn's exception type for the same mistake, with a message that names
the module, what was expected and what came, followed by torch.nn's own words where torch.nn
has a check of its own (so code and tests written against torch.nn keep working):

* ``ValueError``: an input of the wrong rank; a layer's input of another dtype than its
  parameters; a size or dropout of the wrong value in a constructor;
* ``RuntimeError``: a wrong feature size, a state of the wrong shape, dtype or device, an input
  on another device than the parameters, a cell's input of another dtype, an empty sequence;
* ``TypeError``: an argument of the wrong type (a list for a tensor, a float for a size, an int
  for a bool flag).
"""

import types
import warnings

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from companion import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

from helpers import assert_refused, bad_input_case

I, H = 3, 4  # every module below: input_size 3, hidden_size 4, float32 parameters


def x(*shape, dtype=torch.float32, device="cpu"):
    return torch.randn(*shape, dtype=dtype) if device == "cpu" else torch.empty(*shape, dtype=dtype, device=device)


def meta(*shape):
    """A tensor on the 'meta' device: stands for 'another device' on a machine without a GPU."""
    return torch.empty(*shape, device="meta")


case = bad_input_case


rnn2 = lambda: RNN(I, H, num_layers=2)  # noqa: E731  -- hx (2, B, 4)
lstm = lambda: LSTM(I, H)  # noqa: E731
gru_bf = lambda: GRU(I, H, batch_first=True)  # noqa: E731

CASES = [
    # -- rank and feature size ------------------------------------------------
    case("layer-4d-input", "RNN", lambda: rnn2()(x(1, 2, 5, I)), ValueError, ["(T, B, 3)", "unbatched (T, 3)"], "(1, 2, 5, 3)"),
    case("layer-1d-input", "LSTM", lambda: lstm()(x(I)), ValueError, ["(T, B, 3)", "unbatched (T, 3)"], "(3,)"),
    case("layer-feature-size", "RNN", lambda: rnn2()(x(5, 2, 7)), RuntimeError, ["(T, B, 3)"], "(5, 2, 7)"),
    case("layer-batch-first-feature-size", "GRU", lambda: gru_bf()(x(2, 5, 1)), RuntimeError, ["(B, T, 3)"], "(2, 5, 1)"),
    case("cell-3d-input", "GRUCell", lambda: GRUCell(I, H)(x(2, 2, I)), ValueError, ["(B, 3)", "(3,)"], "(2, 2, 3)"),
    case("cell-feature-size", "RNNCell", lambda: RNNCell(I, H)(x(2, 5)), RuntimeError, ["(B, 3)", "(3,)"], "(2, 5)"),
    case("packed-feature-size", "GRU",
         lambda: GRU(I, H)(pack_padded_sequence(x(4, 2, 5), torch.tensor([4, 2]))), RuntimeError, ["(N, 3)"], "(6, 5)"),
    # -- hidden state shape ---------------------------------------------------
    case("layer-hx-num-layers", "RNN", lambda: rnn2()(x(5, 2, I), x(1, 2, H)), RuntimeError,
         ["hx", "(2, 2, 4)", "num_layers * num_directions"], "(1, 2, 4)"),
    case("layer-hx-batch", "GRU", lambda: gru_bf()(x(2, 5, I), x(1, 3, H)), RuntimeError, ["hx", "(1, 2, 4)"], "(1, 3, 4)"),
    case("layer-hx-hidden", "RNN", lambda: rnn2()(x(5, 2, I), x(2, 2, 5)), RuntimeError, ["hx", "(2, 2, 4)"], "(2, 2, 5)"),
    case("layer-hx-3d-for-unbatched", "RNN", lambda: rnn2()(x(5, I), x(2, 1, H)), RuntimeError,
         ["hx", "(2, 4)", "unbatched"], "(2, 1, 4)"),
    case("lstm-h0-shape", "LSTM", lambda: lstm()(x(5, 2, I), (x(2, 2, H), x(1, 2, H))), RuntimeError,
         ["h_0", "(1, 2, 4)"], "(2, 2, 4)"),
    case("lstm-c0-shape", "LSTM", lambda: lstm()(x(5, 2, I), (x(1, 2, H), x(1, 2, 3))), RuntimeError,
         ["c_0", "(1, 2, 4)"], "(1, 2, 3)"),
    case("packed-hx-batch", "LSTM",
         lambda: lstm()(pack_padded_sequence(x(4, 2, I), torch.tensor([4, 2])), (x(1, 3, H), x(1, 3, H))),
         RuntimeError, ["h_0", "(1, 2, 4)"], "(1, 3, 4)"),
    case("cell-hx-batch", "RNNCell", lambda: RNNCell(I, H)(x(2, I), x(3, H)), RuntimeError, ["hx", "(2, 4)"], "(3, 4)"),
    case("cell-hx-1d-for-batch", "GRUCell", lambda: GRUCell(I, H)(x(2, I), x(H)), RuntimeError, ["hx", "(2, 4)"], "(4,)"),
    case("cell-hx-2d-for-unbatched", "GRUCell", lambda: GRUCell(I, H)(x(I), x(1, H)), RuntimeError,
         ["hx", "(4,)", "unbatched"], "(1, 4)"),
    case("cell-hx-hidden-unbatched", "RNNCell", lambda: RNNCell(I, H)(x(I), x(5)), RuntimeError, ["hx", "(4,)"], "(5,)"),
    case("lstmcell-h-shape", "LSTMCell", lambda: LSTMCell(I, H)(x(2, I), (x(2, 5), x(2, H))), RuntimeError,
         ["h", "(2, 4)"], "(2, 5)"),
    case("lstmcell-c-shape", "LSTMCell", lambda: LSTMCell(I, H)(x(2, I), (x(2, H), x(1, H))), RuntimeError,
         ["c", "(2, 4)"], "(1, 4)"),
    # -- device ---------------------------------------------------------------
    case("layer-hx-device", "RNN", lambda: rnn2()(x(5, 2, I), meta(2, 2, H)), RuntimeError, ["hx", "device cpu"], "meta"),
    case("lstm-c0-device", "LSTM", lambda: lstm()(x(5, 2, I), (x(1, 2, H), meta(1, 2, H))), RuntimeError,
         ["c_0", "device cpu"], "meta"),
    case("layer-unbatched-hx-device", "GRU", lambda: GRU(I, H)(x(5, I), meta(1, H)), RuntimeError, ["hx", "device cpu"], "meta"),
    case("cell-hx-device", "GRUCell", lambda: GRUCell(I, H)(x(2, I), meta(2, H)), RuntimeError, ["hx", "device cpu"], "meta"),
    case("lstmcell-c-device", "LSTMCell", lambda: LSTMCell(I, H)(x(I), (x(H), meta(H))), RuntimeError,
         ["c", "device cpu"], "meta"),
    case("layer-input-device", "LSTM", lambda: lstm()(meta(5, 2, I)), RuntimeError, ["input", "device cpu", "parameters"], "meta"),
    case("cell-input-device", "RNNCell", lambda: RNNCell(I, H)(meta(2, I)), RuntimeError, ["input", "device cpu"], "meta"),
    # -- dtype ----------------------------------------------------------------
    case("layer-integer-input", "RNN", lambda: rnn2()(torch.ones(5, 2, I, dtype=torch.int64)), ValueError,
         ["input", "floating-point"], "torch.int64"),
    case("cell-integer-input", "LSTMCell", lambda: LSTMCell(I, H)(torch.ones(2, I, dtype=torch.int32)), RuntimeError,
         ["input", "floating-point"], "torch.int32"),
    case("packed-integer-input", "GRU",
         lambda: GRU(I, H)(pack_padded_sequence(torch.ones(4, 2, I, dtype=torch.int64), torch.tensor([4, 2]))),
         ValueError, ["floating-point"], "torch.int64"),
    case("layer-hx-dtype", "GRU", lambda: gru_bf()(x(2, 5, I), x(1, 2, H, dtype=torch.float64)), RuntimeError,
         ["hx", "torch.float32"], "torch.float64"),
    case("lstm-c0-dtype", "LSTM", lambda: lstm()(x(5, 2, I), (x(1, 2, H), x(1, 2, H, dtype=torch.float16))), RuntimeError,
         ["c_0", "torch.float32"], "torch.float16"),
    case("cell-hx-dtype", "RNNCell", lambda: RNNCell(I, H)(x(2, I), x(2, H, dtype=torch.float64)), RuntimeError,
         ["hx", "torch.float32"], "torch.float64"),
    case("layer-input-dtype-vs-parameters", "LSTM", lambda: lstm()(x(5, 2, I, dtype=torch.float64)), ValueError,
         ["input", "torch.float32", "parameters"], "torch.float64"),
    case("cell-input-dtype-vs-parameters", "GRUCell", lambda: GRUCell(I, H)(x(2, I, dtype=torch.float64)), RuntimeError,
         ["input", "torch.float32", "parameters"], "torch.float64"),
    # -- empty ----------------------------------------------------------------
    case("layer-empty-sequence", "RNN", lambda: rnn2()(x(0, 2, I)), RuntimeError, ["at least one time step"], "T=0"),
    case("layer-batch-first-empty-sequence", "GRU", lambda: gru_bf()(x(2, 0, I)), RuntimeError,
         ["at least one time step"], "T=0"),
    case("layer-unbatched-empty-sequence", "LSTM", lambda: lstm()(x(0, I)), RuntimeError, ["at least one time step"], "T=0"),
    # -- type -----------------------------------------------------------------
    case("layer-list-input", "RNN", lambda: rnn2()([[0.0] * I] * 5), TypeError, ["input", "torch.Tensor"], "list"),
    case("layer-numpy-input", "GRU", lambda: GRU(I, H)(np.zeros((5, 2, I))), TypeError, ["input", "torch.Tensor"], "ndarray"),
    case("cell-list-input", "RNNCell", lambda: RNNCell(I, H)([0.0] * I), TypeError, ["input", "torch.Tensor"], "list"),
    case("layer-hx-not-tensor", "RNN", lambda: rnn2()(x(5, 2, I), [[0.0] * H] * 2), TypeError, ["hx", "torch.Tensor"], "list"),
    case("rnn-hx-tuple", "GRU", lambda: GRU(I, H)(x(5, 2, I), (x(1, 2, H),)), TypeError, ["hx", "torch.Tensor"], "tuple"),
    case("lstm-hx-tensor", "LSTM", lambda: lstm()(x(5, 2, I), x(1, 2, H)), TypeError, ["pair (h_0, c_0)"], "Tensor"),
    case("lstm-hx-triple", "LSTM", lambda: lstm()(x(5, 2, I), (x(1, 2, H),) * 3), RuntimeError,
         ["pair (h_0, c_0)", "lstm expects two hidden states"], "tuple of 3"),
    case("lstm-c0-not-tensor", "LSTM", lambda: lstm()(x(5, 2, I), (x(1, 2, H), 0.0)), TypeError, ["c_0", "torch.Tensor"], "float"),
    case("lstmcell-hx-tensor", "LSTMCell", lambda: LSTMCell(I, H)(x(2, I), x(2, H)), TypeError, ["pair (h, c)"], "Tensor"),
    # -- constructor ----------------------------------------------------------
    case("layer-hidden-size-0", "RNN", lambda: RNN(I, 0), ValueError, ["hidden_size must be greater than zero"], "0"),
    case("layer-hidden-size-float", "LSTM", lambda: LSTM(I, 2.5), TypeError, ["hidden_size should be of type int"],
         "float (2.5)"),
    case("layer-hidden-size-bool", "GRU", lambda: GRU(I, True), TypeError, ["hidden_size should be of type int"],
         "bool (True)"),
    case("layer-input-size-0", "GRU", lambda: GRU(0, H), ValueError, ["input_size must be greater than zero"], "0"),
    case("layer-input-size-str", "RNN", lambda: RNN("3", H), TypeError, ["input_size should be of type int"], "str ('3')"),
    case("layer-num-layers-0", "LSTM", lambda: LSTM(I, H, num_layers=0), ValueError,
         ["num_layers must be greater than zero"], "0"),
    case("layer-bias-int", "LSTM", lambda: LSTM(I, H, bias=1), TypeError, ["bias should be of type bool"], "int (1)"),
    case("layer-batch-first-str", "GRU", lambda: GRU(I, H, batch_first="True"), TypeError,
         ["batch_first should be of type bool"], "str ('True')"),
    case("lstm-proj-size-positive", "LSTM", lambda: LSTM(I, H, proj_size=2), NotImplementedError,
         ["proj_size=2", "out of companion's scope", "torch.nn.LSTM"], None),
    case("lstm-proj-size-negative", "LSTM", lambda: LSTM(I, H, proj_size=-1), ValueError,
         ["proj_size should be a positive integer or zero"], "-1"),
    case("lstm-proj-size-not-below-hidden", "LSTM", lambda: LSTM(I, H, proj_size=H), ValueError,
         ["proj_size has to be smaller than hidden_size"], "proj_size=4"),
    case("rnn-proj-size", "RNN", lambda: RNN(I, H, proj_size=0), ValueError, ["only supported for LSTM"], "proj_size=0"),
    case("gru-proj-size", "GRU", lambda: GRU(I, H, proj_size=2), ValueError, ["only supported for LSTM"], "proj_size=2"),
    case("layer-dropout-1.5", "GRU", lambda: GRU(I, H, num_layers=2, dropout=1.5), ValueError, ["dropout", "[0, 1]"], "1.5"),
    case("layer-dropout-negative", "RNN", lambda: RNN(I, H, num_layers=2, dropout=-0.1), ValueError,
         ["dropout", "[0, 1]"], "-0.1"),
    case("layer-nonlinearity", "RNN", lambda: RNN(I, H, nonlinearity="sigmoid"), ValueError,
         ["nonlinearity", "'tanh' or 'relu'"], "'sigmoid'"),
    case("cell-hidden-size-float", "LSTMCell", lambda: LSTMCell(I, 2.5), TypeError, ["hidden_size should be of type int"],
         "float (2.5)"),
    case("cell-input-size-negative", "RNNCell", lambda: RNNCell(-1, H), ValueError, ["input_size must be at least 0"], "-1"),
    case("cell-nonlinearity", "RNNCell", lambda: RNNCell(I, H, nonlinearity="sigmoid"), ValueError,
         ["nonlinearity", "'tanh' or 'relu'"], "'sigmoid'"),
]


@pytest.mark.parametrize("who,make,exc,expected,got", CASES)
def test_bad_input_raises_with_a_message_naming_expected_and_actual(who, make, exc, expected, got):
    assert_refused(who, make, exc, expected, got)



# -- the same bad input on torch.nn -------------------------------------------------------

TORCH_NAMES = ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")


def on_torch_nn(make):
    """``make`` with torch.nn's modules in place of companion's (the helpers rnn2, lstm, gru_bf too)."""
    namespace = dict(make.__globals__)
    namespace.update({name: getattr(torch.nn, name) for name in TORCH_NAMES})
    for helper in ("rnn2", "lstm", "gru_bf"):
        namespace[helper] = types.FunctionType(namespace[helper].__code__, namespace)
    return types.FunctionType(make.__code__, namespace, make.__name__, make.__defaults__, make.__closure__)


# Where companion's exception type differs from torch.nn's, and why (torch.nn's error is incidental:
# an attribute or index error inside forward, or a kernel's error, or torch.nn accepts the input).
DIFFERS_FROM_TORCH = {
    "layer-list-input": "torch.nn: AttributeError ('list' object has no attribute 'dim')",
    "layer-numpy-input": "torch.nn: AttributeError (ndarray has no attribute 'dim')",
    "cell-list-input": "torch.nn: AttributeError",
    "layer-hx-not-tensor": "torch.nn: AttributeError",
    "rnn-hx-tuple": "torch.nn: AttributeError ('tuple' object has no attribute 'dim')",
    "lstm-hx-tensor": "torch.nn: IndexError (indexes the tensor as if it were a pair)",
    "lstm-c0-not-tensor": "torch.nn: AttributeError",
    "cell-input-size-negative": "torch.nn: RuntimeError from torch.empty (negative dimension)",
    "cell-nonlinearity": "torch.nn accepts any string and fails at the first step",
    "lstm-proj-size-positive": "torch.nn implements projections; companion does not",
    "layer-hidden-size-bool": "torch.nn's GRU takes True as hidden_size 1 (a bool is an int); companion refuses it",
}


@pytest.mark.parametrize("who,make,exc,expected,got", CASES)
def test_bad_input_raises_the_exception_type_torch_nn_raises(who, make, exc, expected, got, request):
    case_id = request.node.callspec.id
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            on_torch_nn(make)()
    except Exception as e:  # noqa: BLE001 -- recording what torch.nn raises
        torch_type = type(e)
    else:
        torch_type = None
    if case_id in DIFFERS_FROM_TORCH:
        assert torch_type is not exc, f"torch.nn now raises {exc.__name__} too; drop {case_id!r} from DIFFERS_FROM_TORCH"
        return
    assert torch_type is exc, f"companion raises {exc.__name__}, torch.nn {getattr(torch_type, '__name__', 'nothing')}"
