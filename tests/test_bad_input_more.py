"""Bad input to the public functions of classify, models, data, bptt, numpy_rnn, config and seeds
raises ValueError or TypeError with a message that names the function, the argument, what was
expected and what came — never an IndexError, KeyError or AttributeError from inside, a silent NaN,
a silent broadcast, truncation or no-op. The table is in the style of tests/test_bad_input_api.py."""


import numpy as np
import pytest
import torch
from torch import nn

from companion import bptt, classify, config, data, seeds
from companion.models import (Forecaster, ResidualRNN, SequenceClassifier, SequenceRegressor, StepRegressor,
                              final_states)
from companion.numpy_rnn import NumpyRNN, gradient_check, numerical_gradient, relative_error

from helpers import assert_refused, bad_input_case

NAN = float("nan")


case = bad_input_case


def batch(n=6, T=5):
    """A padded batch (n, T, 1), its lengths (n,) in 1..T and labels (n,) in 0..3, seeded."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, T, 1, generator=g)
    lengths = torch.randint(1, T + 1, (n,), generator=g)
    lengths[0] = T
    return x, lengths, torch.randint(0, 4, (n,), generator=g)


def classifier():
    torch.manual_seed(0)
    return SequenceClassifier("rnn", 1, 3, 4)  # 4 classes


def fit(**kwargs):
    x, lengths, y = batch()
    args = dict(model=None, x=x, lengths=lengths, y=y, epochs=1, progress=False)
    args.update(kwargs)
    model = args.pop("model") or classifier()
    return classify.fit_classifier(model, args.pop("x"), args.pop("lengths"), args.pop("y"), **args)


def labels(*values):
    """Labels for batch(): the given values first, then zeros."""
    return torch.tensor(values + (0,) * (6 - len(values)))


def accuracy(y=None, lengths=None, x=None):
    x0, lengths0, y0 = batch()
    return classify.accuracy(classifier(), x0 if x is None else x, lengths0 if lengths is None else lengths,
                             y0 if y is None else y)


def step_backward(**kwargs):
    """rnn_step_backward on a batch of 2, H = 3, I = 2 (NumPy); keyword arguments replace inputs."""
    args = dict(delta_t=np.ones((2, 3)), h_t=np.zeros((2, 3)), h_prev=np.zeros((2, 3)), x_t=np.ones((2, 2)),
                W_xh=np.ones((3, 2)), W_hh=np.eye(3))
    args.update(kwargs)
    return bptt.rnn_step_backward(**args)


def by_hand(**kwargs):
    """rnn_by_hand on x (1, 4, 2), H = 3; keyword arguments replace inputs."""
    args = dict(x=torch.zeros(1, 4, 2), h0=torch.zeros(1, 3), W_xh=torch.zeros(3, 2), W_hh=torch.eye(3),
                b_h=torch.zeros(3))
    args.update(kwargs)
    return bptt.rnn_by_hand(**args)


def chunks(lengths, model=lambda x, h: (x, h), T=6):
    return list(bptt.run_chunks(model, torch.zeros(1, T, 1), lengths))


def params(**kwargs):
    """NumpyRNN.from_params with I = 1, H = 2, O = 1; keyword arguments replace arrays."""
    args = dict(W_xh=np.zeros((2, 1)), W_hh=np.zeros((2, 2)), b_h=np.zeros(2), W_hy=np.zeros((1, 2)), b_y=np.zeros(1))
    args.update(kwargs)
    return NumpyRNN.from_params(**args)


RNN = NumpyRNN(1, 2, 1)
SERIES = np.arange(5.0)
ONE = lambda seed: 1.0  # noqa: E731


CASES = [
    # -- classify.fit_classifier ---------------------------------------------------------------
    case("fit-label-past-the-classes", "fit_classifier", lambda: fit(y=labels(0, 1, 2, 4)), ValueError,
         ["4 classes", "[0, 3]"], "4 at index 3"),
    case("fit-label-negative", "fit_classifier", lambda: fit(y=labels(0, -1)), ValueError,
         ["y", "class indices >= 0"], "-1 at index 1"),
    case("fit-float-labels", "fit_classifier", lambda: fit(y=labels().float()), TypeError,
         ["y", "integer class indices", ".long()"], "torch.float32"),
    case("fit-lengths-differ", "fit_classifier", lambda: fit(lengths=batch()[1][:3]), ValueError,
         ["same number of sequences"], "6, 3 and 6"),
    case("fit-labels-2d", "fit_classifier", lambda: fit(y=labels()[:, None]), ValueError,
         ["same number of sequences"], "6, 6 and shape (6, 1)"),
    case("fit-length-0", "fit_classifier", lambda: fit(lengths=torch.tensor([5, 4, 3, 2, 0, 5])), ValueError,
         ["lengths", "1..5"], "0..5"),
    case("fit-length-past-T", "fit_classifier", lambda: fit(lengths=torch.tensor([5, 4, 3, 2, 6, 5])), ValueError,
         ["lengths", "1..5"], "2..6"),
    case("fit-float-lengths", "fit_classifier", lambda: fit(lengths=batch()[1].float()), TypeError,
         ["lengths", "integer"], "torch.float32"),
    case("fit-nan-x", "fit_classifier", lambda: fit(x=batch()[0].index_fill(1, torch.tensor([2]), NAN)), ValueError,
         ["x", "finite"], "nan at index (0, 2, 0)"),
    case("fit-no-sequences", "fit_classifier", lambda: fit(x=batch()[0][:0], lengths=batch()[1][:0], y=labels()[:0]),
         ValueError, ["N >= 1"], "(0, 5, 1)"),
    case("fit-epochs-0", "fit_classifier", lambda: fit(epochs=0), ValueError, ["epochs", "positive integer"], "0"),
    case("fit-lr-str", "fit_classifier", lambda: fit(lr="0.1"), TypeError, ["lr", "number"], "'0.1'"),
    case("fit-lr-0", "fit_classifier", lambda: fit(lr=0.0), ValueError, ["lr", "positive"], "0"),
    case("fit-batch-size-0", "fit_classifier", lambda: fit(batch_size=0), ValueError, ["batch_size", "positive"], "0"),
    case("fit-clip-norm-nan", "fit_classifier", lambda: fit(clip_norm=NAN), ValueError, ["clip_norm", "finite"], "nan"),
    case("fit-seed-float", "fit_classifier", lambda: fit(seed=1.5), ValueError, ["seed", "non-negative integer"], "1.5"),
    case("fit-progress-int", "fit_classifier", lambda: fit(progress=0), TypeError, ["progress", "True or False"], "0"),
    case("fit-model-function", "fit_classifier", lambda: fit(model=lambda x, lengths: x), TypeError,
         ["model", "torch.nn.Module"], "function"),
    case("fit-model-without-parameters", "fit_classifier", lambda: fit(model=nn.Identity()), ValueError,
         ["no parameters"], ""),
    case("fit-numpy-x", "fit_classifier", lambda: fit(x=batch()[0].numpy()), TypeError, ["x", "torch.Tensor"], "ndarray"),
    # -- classify.accuracy, predict --------------------------------------------------------------
    case("accuracy-label-past-the-classes", "accuracy", lambda: accuracy(y=labels(0, 9)), ValueError,
         ["4 classes", "[0, 3]"], "9 at index 1"),
    case("accuracy-label-negative", "accuracy", lambda: accuracy(y=labels(-2)), ValueError, [">= 0"], "-2 at index 0"),
    case("accuracy-one-label-broadcast", "accuracy", lambda: accuracy(y=labels()[:1]), ValueError,
         ["y of shape (6,)"], "(1,)"),
    case("accuracy-labels-column", "accuracy", lambda: accuracy(y=labels()[:, None]), ValueError,
         ["y of shape (6,)"], "(6, 1)"),
    case("accuracy-float-labels", "accuracy", lambda: accuracy(y=[0.0] * 6), TypeError, ["integer class indices"],
         "torch.float64"),
    case("accuracy-string-labels", "accuracy", lambda: accuracy(y=["a"] * 6), TypeError, ["y", "integer"], "a list"),
    case("accuracy-lengths-short", "accuracy", lambda: accuracy(lengths=batch()[1][:2]), ValueError,
         ["lengths of shape (6,)"], "(2,)"),
    case("predict-x-list", "predict", lambda: classify.predict(classifier(), batch()[0].tolist(), batch()[1]), TypeError,
         ["x", "torch.Tensor"], "a list"),
    case("predict-lengths-str", "predict", lambda: classify.predict(classifier(), batch()[0], "555555"), TypeError,
         ["lengths", "integers"], "'555555' (a str)"),
    case("predict-nan-x", "predict", lambda: classify.predict(classifier(), batch()[0] * NAN, batch()[1]), ValueError,
         ["x", "finite"], "nan"),
    # -- models ---------------------------------------------------------------------------------
    case("residual-no-layers", "ResidualRNN", lambda: ResidualRNN("rnn", 1, 3, num_layers=0), ValueError,
         ["num_layers", "greater than zero"], "0"),
    case("residual-float-layers", "ResidualRNN", lambda: ResidualRNN("rnn", 1, 3, num_layers=2.0), TypeError,
         ["num_layers", "int"], "float"),
    case("residual-dropout-2", "ResidualRNN", lambda: ResidualRNN("rnn", 1, 3, 2, dropout=2), ValueError,
         ["dropout", "[0, 1]"], "2"),
    case("residual-cell-list", "ResidualRNN", lambda: ResidualRNN(["rnn"], 1, 3, 2), TypeError,
         ["cell", "'rnn'"], "a list"),
    case("residual-2d-x", "ResidualRNN", lambda: ResidualRNN("rnn", 1, 3, 2)(torch.zeros(4, 1)), ValueError,
         ["(B, T, 1)"], "(4, 1)"),
    case("forecaster-output-0", "Forecaster", lambda: Forecaster(1, 3, output_size=0), ValueError,
         ["output_size", "greater than zero"], "0"),
    case("forecaster-hidden-float", "Forecaster", lambda: Forecaster(1, 3.0), TypeError, ["hidden_size", "int"],
         "float (3.0)"),
    case("forecaster-bidirectional-int", "Forecaster", lambda: Forecaster(1, 3, bidirectional=1), TypeError,
         ["bidirectional", "True or False"], "int (1)"),
    case("forecaster-cell-unknown", "Forecaster", lambda: Forecaster(1, 3, cell="cnn"), ValueError,
         ["cell must be one of"], "'cnn'"),
    case("forecaster-unbatched-x", "Forecaster", lambda: Forecaster(1, 3)(torch.zeros(5, 1)), ValueError,
         ["(B, T, 1)"], "(5, 1)"),
    case("forecaster-no-steps", "Forecaster", lambda: Forecaster(1, 3)(torch.zeros(2, 0, 1)), ValueError,
         ["T >= 1"], "(2, 0, 1)"),
    case("forecaster-numpy-x", "Forecaster", lambda: Forecaster(1, 3)(np.zeros((2, 4, 1))), TypeError,
         ["x", "torch.Tensor"], "ndarray"),
    case("sequence-regressor-bidirectional", "SequenceRegressor", lambda: SequenceRegressor(1, 3, bidirectional=True),
         ValueError, ["bidirectional must be False", "StepRegressor"], ""),
    case("sequence-regressor-unbatched-x", "SequenceRegressor", lambda: SequenceRegressor(1, 3)(torch.zeros(5, 1)),
         ValueError, ["(B, T, 1)"], "(5, 1)"),
    case("classifier-no-classes", "SequenceClassifier", lambda: SequenceClassifier("rnn", 1, 3, 0), ValueError,
         ["num_classes", "greater than zero"], "0"),
    case("classifier-dropout-nan", "SequenceClassifier", lambda: SequenceClassifier("rnn", 1, 3, 2, dropout=NAN),
         ValueError, ["dropout", "finite"], "nan"),
    case("classifier-lengths-column", "SequenceClassifier", lambda: classifier()(batch()[0], batch()[1][:, None]),
         ValueError, ["lengths of shape (6,)"], "(6, 1)"),
    case("classifier-length-past-T", "SequenceClassifier", lambda: classifier()(batch()[0], batch()[1] + 1),
         ValueError, ["lengths must lie in 1..5"], "..6"),
    case("classifier-x-list", "SequenceClassifier", lambda: classifier()(batch()[0].tolist()), TypeError,
         ["x", "PackedSequence"], "a list"),
    case("step-regressor-float-lengths", "StepRegressor", lambda: StepRegressor("gru", 1, 3)(batch()[0], batch()[1] * 1.0),
         ValueError, ["lengths of shape (6,) with integer values"], "torch.float32"),
    case("step-regressor-numpy-x", "StepRegressor", lambda: StepRegressor("gru", 1, 3)(np.zeros((2, 3, 1))), TypeError,
         ["x", "torch.Tensor"], "ndarray"),
    case("final-states-wrong-layers", "final_states", lambda: final_states(torch.zeros(3, 2, 4), 2, True), ValueError,
         ["h_n of shape (4, B, H)", "2 directions"], "(3, 2, 4)"),
    case("final-states-2d", "final_states", lambda: final_states(torch.zeros(3, 4), 3, False), ValueError,
         ["(3, B, H)"], "(3, 4)"),
    case("final-states-bidirectional-int", "final_states", lambda: final_states(torch.zeros(2, 2, 4), 1, 1), TypeError,
         ["bidirectional", "True or False"], "int (1)"),
    case("final-states-num-layers-0", "final_states", lambda: final_states(torch.zeros(2, 2, 4), 0, False), ValueError,
         ["num_layers", "greater than zero"], "0"),
    # -- data -----------------------------------------------------------------------------------
    case("windows-window-0", "make_windows", lambda: data.make_windows(SERIES, 0), ValueError,
         ["window", "positive integer"], "0"),
    case("windows-window-float", "make_windows", lambda: data.make_windows(SERIES, 2.0), ValueError,
         ["window", "positive integer"], "2.0"),
    case("windows-longer-than-series", "make_windows", lambda: data.make_windows(SERIES, 6), ValueError,
         ["too short for window=6", "needs at least 7"], ""),
    case("windows-horizon-0", "make_windows", lambda: data.make_windows(SERIES, 2, 0), ValueError,
         ["horizon", "positive integer"], "0"),
    case("windows-horizon-past-the-end", "make_windows", lambda: data.make_windows(SERIES, 2, 4), ValueError,
         ["too short for window=2 and horizon=4"], ""),
    case("windows-nan", "make_windows", lambda: data.make_windows([1.0, NAN, 3.0, 4.0], 2), ValueError,
         ["series", "finite"], "nan at index (1,)"),
    case("windows-string", "make_windows", lambda: data.make_windows("12345", 2), TypeError, ["series", "numbers"],
         "'12345' (a str)"),
    case("windows-number-strings", "make_windows", lambda: data.make_windows(["1", "2", "3"], 1), TypeError,
         ["series", "numbers"], "<U1"),
    case("windows-empty", "make_windows", lambda: data.make_windows([], 1), ValueError, ["length 0 is too short"], ""),
    case("split-float", "time_split", lambda: data.time_split(10, 2.0, 2), ValueError, ["valid", "non-negative integer"],
         "2.0"),
    case("split-n-string", "time_split", lambda: data.time_split("10", 2, 2), ValueError, ["n", "integer"], "'10'"),
    case("split-nothing-left", "time_split", lambda: data.time_split(10, 6, 4), ValueError,
         ["no training points", "needs n > 10"], ""),
    case("standardize-constant", "Standardizer.fit", lambda: data.Standardizer().fit(np.full(5, 3.0)), ValueError,
         ["constant (std 0)"], "the constant 3"),
    case("standardize-constant-column", "Standardizer.fit",
         lambda: data.Standardizer().fit(np.c_[SERIES, np.ones(5)]), ValueError, ["constant (std 0)"], "(column 1)"),
    case("standardize-nan", "Standardizer.fit", lambda: data.Standardizer().fit([1.0, NAN, 2.0]), ValueError,
         ["x", "finite"], "nan at index (1,)"),
    case("standardize-string", "Standardizer.fit", lambda: data.Standardizer().fit("abc"), TypeError, ["x", "numbers"],
         "'abc'"),
    case("standardize-no-columns", "Standardizer.fit", lambda: data.Standardizer().fit(np.zeros((4, 0))), ValueError,
         ["F >= 1"], "(4, 0)"),
    case("standardize-transform-nan", "Standardizer.transform",
         lambda: data.Standardizer().fit(SERIES).transform([0.0, NAN]), ValueError, ["x", "finite"], "nan at index (1,)"),
    case("standardize-inverse-inf", "Standardizer.inverse_transform",
         lambda: data.Standardizer().fit(SERIES).inverse_transform([np.inf]), ValueError, ["z", "finite"], "inf"),
    case("vowels-split-list", "japanese_vowels", lambda: data.japanese_vowels(["train"]), ValueError,
         ["'train' or 'test'"], "['train']"),
    # -- bptt -----------------------------------------------------------------------------------
    case("chunk-length-0", "chunk_lengths", lambda: bptt.chunk_lengths(10, 0), ValueError,
         ["chunk_length", "positive integer or None"], "0"),
    case("chunk-length-float", "chunk_lengths", lambda: bptt.chunk_lengths(10, 2.5), ValueError,
         ["chunk_length"], "2.5"),
    case("chunk-no-steps", "chunk_lengths", lambda: bptt.chunk_lengths(0, 3), ValueError, ["T", "positive integer"], "0"),
    case("chunk-randomise-without-length", "chunk_lengths", lambda: bptt.chunk_lengths(10, None, randomise=True),
         ValueError, ["randomise=True needs a chunk_length"], "None"),
    case("chunk-randomise-int", "chunk_lengths", lambda: bptt.chunk_lengths(10, 3, randomise=1), TypeError,
         ["randomise", "True or False"], "1"),
    case("chunk-generator-int", "chunk_lengths", lambda: bptt.chunk_lengths(10, 3, randomise=True, generator=3),
         TypeError, ["generator", "torch.Generator"], "3"),
    case("run-chunks-too-few-steps", "run_chunks", lambda: chunks([2, 2]), ValueError, ["add up to the 6 steps"],
         "[2, 2] (sum 4)"),
    case("run-chunks-too-many-steps", "run_chunks", lambda: chunks([4, 4]), ValueError, ["add up to the 6 steps"],
         "[4, 4] (sum 8)"),
    case("run-chunks-empty-chunk", "run_chunks", lambda: chunks([0, 6]), ValueError, ["lengths[0]", "positive"], "0"),
    case("run-chunks-no-chunks", "run_chunks", lambda: chunks([]), ValueError, ["lengths"], "an empty list"),
    case("run-chunks-model-returns-tensor", "run_chunks", lambda: chunks([6], model=lambda x, h: x), TypeError,
         ["model(x_chunk, h)", "pair (output, h_n)"], "Tensor of shape (1, 6, 1)"),
    case("run-chunks-no-steps", "run_chunks", lambda: chunks([1], T=0), ValueError, ["T >= 1"], "(1, 0, 1)"),
    case("detach-number", "detach_state", lambda: bptt.detach_state(3), TypeError, ["state", "torch.Tensor"], "3"),
    case("step-broadcast-h", "rnn_step_backward", lambda: step_backward(h_t=np.zeros(3)), ValueError,
         ["h_t of shape (2, 3)"], "(3,)"),
    case("step-x-size", "rnn_step_backward", lambda: step_backward(x_t=np.ones((2, 5))), ValueError,
         ["x_t of shape (2, 2)"], "(2, 5)"),
    case("step-W-hh-not-square", "rnn_step_backward", lambda: step_backward(W_hh=np.ones((3, 2))), ValueError,
         ["W_hh of shape (H, H)"], "(3, 2)"),
    case("step-list", "rnn_step_backward", lambda: step_backward(delta_t=[[1.0, 1.0, 1.0]] * 2), TypeError,
         ["delta_t", "NumPy array or a torch.Tensor"], "a list"),
    case("step-nan", "rnn_step_backward", lambda: step_backward(delta_t=np.full((2, 3), NAN)), ValueError,
         ["delta_t", "finite"], "nan"),
    case("step-numpy-and-torch", "rnn_step_backward", lambda: step_backward(W_hh=torch.eye(3)), TypeError,
         ["all torch tensors"], "W_hh Tensor"),
    case("by-hand-no-steps", "rnn_by_hand", lambda: by_hand(x=torch.zeros(1, 0, 2)), ValueError,
         ["T >= 1"], "(1, 0, 2)"),
    case("by-hand-h0-batch", "rnn_by_hand", lambda: by_hand(h0=torch.zeros(2, 3)), ValueError,
         ["h0 of shape (1, 3)"], "(2, 3)"),
    case("by-hand-b-h", "rnn_by_hand", lambda: by_hand(b_h=torch.zeros(1, 3)), ValueError, ["b_h of shape (3,)"],
         "(1, 3)"),
    case("by-hand-dtypes", "rnn_by_hand", lambda: by_hand(x=torch.zeros(1, 4, 2, dtype=torch.float64)), TypeError,
         ["one dtype"], "x torch.float64"),
    case("by-hand-nan-weights", "rnn_by_hand", lambda: by_hand(W_hh=torch.full((3, 3), NAN)), ValueError,
         ["W_hh", "finite"], "nan"),
    case("jacobian-no-steps", "jacobian_norms", lambda: bptt.jacobian_norms(torch.eye(3), torch.zeros(0, 3)),
         ValueError, ["hs of shape (T, 3) with T >= 1"], "(0, 3)"),
    case("jacobian-1d", "jacobian_norms", lambda: bptt.jacobian_norms(torch.eye(3), torch.zeros(3)), ValueError,
         ["hs of shape (T, 3)"], "(3,)"),
    case("jacobian-nan", "jacobian_norms", lambda: bptt.jacobian_norms(torch.eye(3), torch.full((2, 3), NAN)),
         ValueError, ["hs", "finite"], "nan"),
    case("jacobian-dtypes", "jacobian_norms",
         lambda: bptt.jacobian_norms(torch.eye(3), torch.zeros(2, 3, dtype=torch.float64)), TypeError, ["one floating-point dtype"],
         "torch.float32 and torch.float64"),
    # -- numpy_rnn ------------------------------------------------------------------------------
    case("numpy-rnn-hidden-0", "NumpyRNN", lambda: NumpyRNN(1, 0, 1), ValueError, ["hidden_size", "positive integer"], "0"),
    case("numpy-rnn-float-size", "NumpyRNN", lambda: NumpyRNN(1.0, 2, 1), ValueError, ["input_size"], "1.0"),
    case("numpy-rnn-seed-none", "NumpyRNN", lambda: NumpyRNN(1, 2, 1, seed=None), ValueError, ["seed"], "None"),
    case("numpy-rnn-nan-xs", "NumpyRNN", lambda: RNN.forward([[1.0], [NAN]]), ValueError, ["xs", "finite"],
         "nan at index (1, 0)"),
    case("numpy-rnn-string-xs", "NumpyRNN", lambda: RNN.forward("ab"), TypeError, ["xs", "numbers"], "'ab'"),
    case("numpy-rnn-nan-targets", "NumpyRNN", lambda: RNN.loss(np.zeros((2, 1)), [[0.0], [NAN]]), ValueError,
         ["targets", "finite"], "nan"),
    case("numpy-rnn-loss-without-targets", "NumpyRNN", lambda: RNN.loss(np.zeros((2, 1)), None), TypeError,
         ["targets of shape (T, O)"], "None"),
    case("numpy-rnn-inf-h0", "NumpyRNN", lambda: RNN.backward(np.zeros((2, 1)), np.zeros((2, 1)), [np.inf, 0.0]),
         ValueError, ["h0", "finite"], "inf"),
    case("from-params-1d-W-xh", "NumpyRNN.from_params", lambda: params(W_xh=np.zeros(2)), ValueError,
         ["W_xh of shape (H, I)"], "(2,)"),
    case("from-params-1d-W-hy", "NumpyRNN.from_params", lambda: params(W_hy=np.zeros(2)), ValueError,
         ["W_hy of shape (O, 2)"], "(2,)"),
    case("from-params-nan", "NumpyRNN.from_params", lambda: params(b_h=[0.0, NAN]), ValueError, ["b_h", "finite"], "nan"),
    case("from-params-string", "NumpyRNN.from_params", lambda: params(b_y="0"), TypeError, ["b_y", "numbers"], "'0'"),
    case("numerical-gradient-int-array", "numerical_gradient", lambda: numerical_gradient(lambda: 1.0, np.zeros(3, int)),
         TypeError, ["array", "NumPy array of floats"], "int64"),
    case("numerical-gradient-list", "numerical_gradient", lambda: numerical_gradient(lambda: 1.0, [0.0]), TypeError,
         ["array"], "a list"),
    case("numerical-gradient-eps-0", "numerical_gradient", lambda: numerical_gradient(lambda: 1.0, np.zeros(3), eps=0),
         ValueError, ["eps", "positive"], "0"),
    case("numerical-gradient-f-nan", "numerical_gradient", lambda: numerical_gradient(lambda: NAN, np.zeros(3)),
         ValueError, ["f()", "finite"], "nan"),
    case("numerical-gradient-f-array", "numerical_gradient", lambda: numerical_gradient(lambda: np.ones(2), np.zeros(3)),
         TypeError, ["f()", "one number"], "shape (2,)"),
    case("numerical-gradient-f-none", "numerical_gradient", lambda: numerical_gradient(lambda: None, np.zeros(3)),
         TypeError, ["f()", "one number"], "None"),
    case("numerical-gradient-not-callable", "numerical_gradient", lambda: numerical_gradient(1.0, np.zeros(3)),
         TypeError, ["f", "function"], "1.0"),
    case("relative-error-broadcast", "relative_error", lambda: relative_error(np.zeros(3), np.zeros((3, 1))),
         ValueError, ["same shape"], "(3,) and (3, 1)"),
    case("relative-error-nan", "relative_error", lambda: relative_error([NAN], [1.0]), ValueError, ["a", "finite"], "nan"),
    case("gradient-check-model", "gradient_check", lambda: gradient_check("rnn", np.zeros((2, 1)), np.zeros((2, 1))),
         TypeError, ["model", "NumpyRNN"], "'rnn'"),
    case("gradient-check-eps", "gradient_check", lambda: gradient_check(RNN, np.zeros((2, 1)), np.zeros((2, 1)), eps=-1),
         ValueError, ["eps", "positive"], "-1"),
    # -- config, seeds --------------------------------------------------------------------------
    case("seeds-0", "seeds", lambda: config.seeds(0), ValueError, ["n", "positive integer"], "0"),
    case("seed-everything-too-large", "seed_everything", lambda: config.seed_everything(2**32), ValueError,
         ["seed", "2**32 - 1"], "4294967296"),
    case("seed-everything-string", "seed_everything", lambda: config.seed_everything("3"), ValueError,
         ["seed", "non-negative integer"], "'3' (a str)"),
    case("setup-threads-float", "setup", lambda: config.setup(1.0), ValueError, ["threads", "positive integer"], "1.0"),
    case("over-seeds-n-0", "over_seeds", lambda: seeds.over_seeds(ONE, n=0, progress=False), ValueError,
         ["n", "positive integer"], "0"),
    case("over-seeds-string-result", "over_seeds", lambda: seeds.over_seeds(lambda s: "1.0", n=1, progress=False),
         TypeError, ["result 'value' for seed", "number"], "'1.0' (a str)"),
    case("over-seeds-repeated", "over_seeds", lambda: seeds.over_seeds(ONE, seeds=[1, 1], progress=False), ValueError,
         ["without repeats"], "[1, 1]"),
    case("over-seeds-seeds-int", "over_seeds", lambda: seeds.over_seeds(ONE, seeds=3, progress=False), TypeError,
         ["seeds", "list"], "3"),
    case("over-seeds-no-results", "over_seeds", lambda: seeds.over_seeds(lambda s: {}, n=1, progress=False), ValueError,
         ["no results"], ""),
    case("over-seeds-progress-int", "over_seeds", lambda: seeds.over_seeds(ONE, n=1, progress=0), TypeError,
         ["progress", "True or False"], "0"),
    case("spread-lengths", "Spread", lambda: seeds.Spread(seeds=[0, 1], values={"a": [1.0]}), ValueError,
         ["one number per seed (2)"], "1"),
    case("spread-no-seeds", "Spread", lambda: seeds.Spread(seeds=[], values={}), ValueError, ["seeds"], "an empty list"),
    case("spread-nan", "Spread", lambda: seeds.Spread(seeds=[0], values={"a": [NAN]}), ValueError, ["finite"], ""),
    case("spread-table-format", "Spread.table", lambda: seeds.Spread(seeds=[0], values={"a": [1.0]}).table("q"),
         ValueError, ["fmt", "'.4g'"], "'q'"),
]


@pytest.mark.parametrize("who,make,exc,expected,got", CASES)
def test_bad_input_raises_with_a_message_naming_expected_and_actual(who, make, exc, expected, got):
    assert_refused(who, make, exc, expected, got)


def test_a_label_past_the_classes_is_refused_before_the_model_changes():
    model = classifier()
    before = {name: p.clone() for name, p in model.state_dict().items()}
    with pytest.raises(ValueError, match="4 classes"):
        fit(model=model, y=labels(0, 1, 2, 4))
    assert all(torch.equal(before[name], p) for name, p in model.state_dict().items())


def test_a_diverging_classifier_raises_instead_of_returning_nan():
    model = classifier()
    with torch.no_grad():
        model.readout.bias[0] = float("inf")  # what a diverged step leaves: the loss is inf - inf = nan
    with pytest.raises(FloatingPointError, match="fit_classifier: the training loss became nan at epoch 0"):
        fit(model=model)


def test_valid_inputs_of_the_new_kinds_still_work():
    """What the checks widened rather than refused: NumPy integers for sizes and seeds, lists for labels and
    lengths, a 0-d tensor from f() in numerical_gradient, tensors for over_seeds' results."""
    x, lengths, y = batch()
    model = classifier()
    score = classify.accuracy(model, x, lengths.tolist(), y.tolist())
    assert score == classify.accuracy(model, x, lengths, y)
    as_tensor, as_array = fit(), fit(lengths=batch()[1].numpy())  # each from the same seeded classifier
    assert as_tensor == as_array
    assert data.make_windows(np.arange(6), np.int64(2))[0].shape == (4, 2)
    assert data.time_split(np.int64(10), np.int64(2), 2)[1] == slice(6, 8)
    assert config.seeds(np.int64(2)) == [config.seed(), config.seed() + 1]
    assert NumpyRNN(np.int64(1), 2, 1, seed=np.int64(3)).sizes == (1, 2, 1)
    a = np.zeros(2)
    np.testing.assert_allclose(numerical_gradient(lambda: torch.tensor(3 * a).sum(), a), [3.0, 3.0], rtol=1e-6)
    spread = seeds.over_seeds(lambda seed: {"t": torch.tensor(0.5), "n": np.float32(2.0)}, seeds=[0, 1], progress=False)
    assert spread.values == {"t": [0.5, 0.5], "n": [2.0, 2.0]}
    scaler = data.Standardizer().fit(torch.arange(4.0))
    np.testing.assert_allclose(scaler.transform(np.arange(4.0)), (np.arange(4.0) - 1.5) / np.arange(4.0).std())
