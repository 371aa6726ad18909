"""Tests written against mutants of companion/train/{loop,fit,stateful,checkpoint}.py that survived
the central mutation run (issue 10). Error messages are part of the API: each is checked word for
word against the text written here. Behaviour is checked against references written in the test:
a training loop by hand with torch.optim.Adam and nn.utils.clip_grad_norm_, Adam's first step
worked by hand, losses written out with torch ops."""

import functools
import os
import pickle
import re

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from companion import config
from companion.train import fit, fit_stateful, loop, minibatch_epoch, update
from companion.train.checkpoint import History, load_checkpoint, model_device, save_checkpoint
from companion.train.fit import evaluate


class Scale(nn.Module):
    """``out = w * x`` element by element, ``w`` one parameter (default 0.5): works for any shape."""

    def __init__(self, w=0.5):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(float(w)))

    def forward(self, x):
        return self.w * x


class StatefulScale(Scale):
    """``model(x, h) -> (w * x, h)``: a fit_stateful model that ignores its state; ``h`` optional for evaluate."""

    def forward(self, x, h=None):
        return self.w * x, h


def raises(kind, message):
    return pytest.raises(kind, match="^" + re.escape(message) + "$")


def pair(n=4, d=1):
    X = torch.randn(n, d)
    return X, 2 * X


def series(B=2, T=5):
    X = torch.randn(B, T, 1)
    return X, 2 * X


def constant_epoch(value=0.5):
    return lambda optimizer, generator, epoch: value


# --- messages of bad arguments, word for word -------------------------------------------------------------

def _loop(**kw):
    args = dict(model=Scale(), run_epoch=constant_epoch(), epochs=1, progress=False)
    args.update(kw)
    return loop(args.pop("model"), args.pop("run_epoch"), **args)


LOOP_MESSAGES = [
    (dict(model=3), TypeError, "loop: expected model to be a torch.nn.Module, got 3"),
    (dict(epochs="x"), ValueError, "loop: epochs must be a positive integer, got 'x' (a str)"),
    (dict(lr=0), ValueError, "loop: lr must be positive, got 0"),
    (dict(patience=-1, validate=lambda m: 1.0), ValueError,
     "loop: patience must be a non-negative integer or None, got -1"),
    (dict(seed=-1), ValueError, "loop: seed must be a non-negative integer, got -1"),
    (dict(stop_below="a", validate=lambda m: 1.0), TypeError,
     "loop: expected stop_below to be a number or None, got 'a' (a str)"),
    (dict(progress=1), TypeError, "loop: progress should be of type bool, got: int (1); expected True or False"),
    (dict(run_epoch=3), TypeError,
     "loop: expected run_epoch to be a function, got 3 (run_epoch(optimizer, generator, epoch) -> mean training loss)"),
    (dict(validate=3), TypeError, "loop: expected validate to be a function, got 3 (validate(model) -> validation loss)"),
    (dict(hyperparameters=[1]), TypeError, "loop: expected hyperparameters to be a dict or None, got a list"),
    (dict(run_epoch=constant_epoch("x")), TypeError,
     "loop: expected run_epoch to return the epoch's mean training loss (a float), got 'x' (a str) at epoch 0"),
    (dict(validate=lambda m: "v"), TypeError,
     "loop: expected validate(model) to return the validation loss (a float), got 'v' (a str) at epoch 0"),
    (dict(validate=lambda m: True), TypeError,
     "loop: expected validate(model) to return the validation loss (a float), got True at epoch 0"),
    (dict(validate=lambda m: float("nan")), FloatingPointError,
     "loop: the validation loss is nan at epoch 0: the model's output holds NaN or infinite values "
     "(have its weights diverged?)"),
]


@pytest.mark.parametrize("kw, kind, message", LOOP_MESSAGES)
def test_loop_messages(kw, kind, message):
    with raises(kind, message):
        _loop(**kw)


MINIBATCH_MESSAGES = [
    (dict(model=3), TypeError, "loop: expected model to be a torch.nn.Module, got 3"),
    (dict(batches=3), TypeError,
     "loop: expected batches to be a function, got 3 (batches(generator) -> an iterable of batches)"),
    (dict(batch_loss=3), TypeError,
     "loop: expected batch_loss to be a function, got 3 (batch_loss(batch) -> (mean loss, weight))"),
    (dict(clip_norm=0), ValueError, "loop: clip_norm must be positive or None, got 0"),
    (dict(who="mine", clip_norm=0), ValueError, "mine: clip_norm must be positive or None, got 0"),
]


@pytest.mark.parametrize("kw, kind, message", MINIBATCH_MESSAGES)
def test_minibatch_epoch_messages(kw, kind, message):
    args = dict(model=Scale(), batches=lambda g: [None], batch_loss=lambda b: (torch.tensor(1.0), 1))
    args.update(kw)
    with raises(kind, message):
        minibatch_epoch(args.pop("model"), args.pop("batches"), args.pop("batch_loss"), **args)


def test_minibatch_epoch_names_what_batch_loss_returned_and_the_epoch_of_a_bad_loss():
    model = Scale()
    run_epoch = minibatch_epoch(model, lambda g: [None], lambda b: 1.5)
    with raises(TypeError, "loop: expected batch_loss(batch) to return (mean loss, weight), got 1.5"):
        run_epoch(torch.optim.SGD(model.parameters(), lr=0.1), torch.Generator(), 0)
    run_epoch = minibatch_epoch(model, lambda g: [None], lambda b: (model.w * float("nan"), 1))
    with raises(FloatingPointError,
                "loop: the training loss became nan at epoch 3; lower the learning rate or set clip_norm"):
        run_epoch(torch.optim.SGD(model.parameters(), lr=0.1), torch.Generator(), 3)


def test_update_defaults_name_the_loop_at_epoch_0():
    model = Scale()
    with raises(FloatingPointError,
                "loop: the training loss became inf at epoch 0; lower the learning rate or set clip_norm"):
        update(model, torch.optim.SGD(model.parameters(), lr=0.1), model.w * float("inf"))


def _saved(tmp_path):
    model = Scale()
    path = tmp_path / "c.pt"
    save_checkpoint(path, model=model, optimizer=torch.optim.Adam(model.parameters()), epoch=0, history=History())
    return path


def test_checkpoint_messages(tmp_path):
    model, path = Scale(), _saved(tmp_path)
    opt = torch.optim.Adam(model.parameters())
    cases = [
        (lambda: save_checkpoint(3, model=model, optimizer=opt, epoch=0, history=History()), TypeError,
         "save_checkpoint: expected path to be a file path (str or os.PathLike), got 3"),
        (lambda: save_checkpoint(path, model=3, optimizer=opt, epoch=0, history=History()), TypeError,
         "save_checkpoint: expected model to be a torch.nn.Module, got 3"),
        (lambda: save_checkpoint(path, model=model, optimizer=3, epoch=0, history=History()), TypeError,
         "save_checkpoint: expected optimizer to be a torch.optim.Optimizer, got 3"),
        (lambda: save_checkpoint(path, model=model, optimizer=opt, epoch=-1, history=History()), ValueError,
         "save_checkpoint: epoch must be a non-negative integer, got -1"),
        (lambda: load_checkpoint(3, model), TypeError,
         "load_checkpoint: expected path to be a file path (str or os.PathLike), got 3"),
        (lambda: load_checkpoint(path, 3), TypeError, "load_checkpoint: expected model to be a torch.nn.Module, got 3"),
        (lambda: load_checkpoint(path, model, 3), TypeError,
         "load_checkpoint: expected optimizer to be a torch.optim.Optimizer or None, got 3"),
        (lambda: model_device(3), TypeError, "model_device: expected model to be a torch.nn.Module, got 3"),
    ]
    for call, kind, message in cases:
        with raises(kind, message):
            call()


def test_load_checkpoint_names_a_file_that_is_no_checkpoint_and_an_optimizer_that_does_not_fit(tmp_path):
    plain = tmp_path / "plain.pt"
    torch.save({"w": torch.zeros(1)}, plain)
    with raises(ValueError, f"load_checkpoint: {plain} is not a checkpoint written by save_checkpoint: it has no "
                            "'model', 'optimizer', 'epoch', 'history' entry (a plain state_dict loads with "
                            "model.load_state_dict(torch.load(path, weights_only=True)))"):
        load_checkpoint(plain, Scale())
    path = _saved(tmp_path)
    model = Scale()
    two_groups = torch.optim.Adam([{"params": [model.w]}, {"params": [nn.Parameter(torch.zeros(1))]}])
    with pytest.raises(ValueError, match="^" + re.escape(f"load_checkpoint: the checkpoint {path}'s optimizer state "
                                                         "does not fit this optimizer: ") + ".+"):
        load_checkpoint(path, model, two_groups)


def test_model_device_of_a_model_without_parameters_is_the_cpu():
    assert model_device(nn.ReLU()) == torch.device("cpu")


class Evil:
    def __reduce__(self):
        return (print, ("unpickled code ran",))


def test_load_checkpoint_loads_weights_only_even_where_the_environment_asks_for_pickle(tmp_path, monkeypatch):
    # TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD turns torch.load's *default* into weights_only=False; an explicit
    # weights_only=True still refuses to run code from the file.
    model = Scale()
    path = tmp_path / "c.pt"
    save_checkpoint(path, model=model, optimizer=torch.optim.Adam(model.parameters()), epoch=0, history=History(),
                    evil=Evil())
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(path, Scale())


def test_load_checkpoint_returns_the_saved_entries_and_no_others(tmp_path):
    model = Scale()
    path = tmp_path / "c.pt"
    states = [torch.arange(4, dtype=torch.uint8)]
    save_checkpoint(path, model=model, optimizer=torch.optim.Adam(model.parameters()), epoch=2,
                    history=History([1.0], [2.0], 0), cuda_rng=states, generator=torch.Generator().get_state())
    state = load_checkpoint(path, Scale())
    assert set(state) == {"model", "optimizer", "epoch", "history", "cuda_rng", "generator"}
    assert torch.equal(state["cuda_rng"][0], states[0])
    assert state["history"] == History([1.0], [2.0], 0)


# --- fit, evaluate and fit_stateful: messages ----------------------------------------------------------------

def _fit(**kw):
    args = dict(model=Scale(), train=pair(), epochs=1, progress=False)
    args.update(kw)
    return fit(args.pop("model"), args.pop("train"), **args)


def _nan_at_0(X):
    X = X.clone()
    X.view(-1)[0] = float("nan")
    return X


def fit_messages():
    X, y = pair()
    return [
        (dict(clip_norm=0), ValueError, "fit: clip_norm must be positive or None, got 0"),
        (dict(stop_below=0.1), ValueError, "fit: stop_below=0.1 needs a validation set to watch; pass valid=(X, y)"),
        (dict(loss_fn=3), TypeError, "fit: expected loss_fn to be a function, got 3"),
        (dict(batch_size=0), ValueError, "fit: batch_size must be a positive integer or None, got 0"),
        (dict(train=3), TypeError, "fit: expected train (X, y) to be a pair (X, y) of tensors, got 3"),
        (dict(train=(X,)), TypeError, "fit: expected train (X, y) to be a pair (X, y) of tensors, got a tuple of 1 items"),
        (dict(train=(X, "y")), TypeError, "fit: expected train's y to be a torch.Tensor, got str"),
        (dict(train=(X, torch.tensor(1.0))), ValueError,
         "fit: expected train's X with at least 1 dimensions and train's y with at least 1, got shapes (4, 1) and ()"),
        (dict(valid=(_nan_at_0(X), y)), ValueError,
         "fit: expected valid's X to hold finite numbers, got nan at index (0, 0) (1 of 4 values are NaN or infinite)"),
        (dict(valid=(X, _nan_at_0(y))), ValueError,
         "fit: expected valid's y to hold finite numbers, got nan at index (0, 0) (1 of 4 values are NaN or infinite)"),
        (dict(train=(X, y.long())), TypeError,
         "fit: mse_loss needs floating-point targets, got train of dtype torch.int64; convert them with .float() "
         "(or use a classification loss for class indices)"),
        (dict(model=StatefulScale()), TypeError,
         "fit: the model returned a tuple; fit trains a model(x) -> output tensor "
         "(fit_stateful trains a model(x, h) -> (output, h_n))"),
        (dict(train=(_nan_at_0(X), y)), FloatingPointError,
         "fit: the training loss became nan at epoch 0; the batch's X holds NaN or infinite values: clean the data"),
    ]


@pytest.mark.parametrize("case", range(13))
def test_fit_messages(case):
    kw, kind, message = fit_messages()[case]
    with raises(kind, message):
        _fit(**kw)


class ListModel(Scale):
    def forward(self, x):
        return [self.w * x]


class FirstRows(nn.Module):
    """Logits for the first two examples only (a model that drops rows)."""

    def __init__(self, C=3):
        super().__init__()
        self.lin = nn.Linear(1, C)

    def forward(self, x):
        return self.lin(x)[:2]


def evaluate_messages():
    X, y = pair()
    return [
        (lambda: evaluate(3, X, y), TypeError, "evaluate: expected model to be a torch.nn.Module, got 3"),
        (lambda: evaluate(Scale(), "X", y), TypeError, "evaluate: expected X to be a torch.Tensor, got str"),
        (lambda: evaluate(Scale(), X, "y"), TypeError, "evaluate: expected y to be a torch.Tensor, got str"),
        (lambda: evaluate(Scale(), X, y, 3), TypeError, "evaluate: expected loss_fn to be a function, got 3"),
        (lambda: evaluate(Scale(), _nan_at_0(X), y), ValueError,
         "evaluate: expected X to hold finite numbers, got nan at index (0, 0) (1 of 4 values are NaN or infinite)"),
        (lambda: evaluate(Scale(), X, _nan_at_0(y)), ValueError,
         "evaluate: expected y to hold finite numbers, got nan at index (0, 0) (1 of 4 values are NaN or infinite)"),
        (lambda: evaluate(Scale(float("nan")), X, y), FloatingPointError,
         "evaluate: the loss on X and y is nan: the model's output holds NaN or infinite values "
         "(have its weights diverged?)"),
        (lambda: evaluate(ListModel(), X, y), TypeError,
         "evaluate: expected the model to return a tensor (or (output, state)), got a list"),
        (lambda: evaluate(FirstRows(), X, torch.zeros(4, dtype=torch.long), F.cross_entropy), ValueError,
         "evaluate: cross_entropy with class indices expects an output of shape (N, C) for targets (N,) "
         "(or (N, C, d...) for (N, d...)), got output (2, 3) and targets (4,) from X and y"),
        (lambda: evaluate(nn.Linear(1, 3), X, torch.rand(4, 2), F.cross_entropy), ValueError,
         "evaluate: cross_entropy with floating-point targets (class probabilities) expects them of the "
         "output's shape (4, 3), got (4, 2) from X and y"),
    ]


@pytest.mark.parametrize("case", range(10))
def test_evaluate_messages(case):
    call, kind, message = evaluate_messages()[case]
    with raises(kind, message):
        call()


class NoState(Scale):
    """A model(x) -> output, without a state argument."""


class TensorOnly(Scale):
    def forward(self, x, h):
        return self.w * x


class Triple(Scale):
    def forward(self, x, h):
        return self.w * x, h, h


class NanAtSecondCall(StatefulScale):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x, h=None):
        self.calls += 1
        out = self.w * x
        return (out * float("nan") if self.calls == 2 else out), h


def _fit_stateful(**kw):
    args = dict(model=StatefulScale(), train=series(), chunk_length=2, epochs=1, progress=False)
    args.update(kw)
    return fit_stateful(args.pop("model"), args.pop("train"), **args)


def stateful_messages():
    X, y = series()
    Xv, yv = pair()
    return [
        (dict(clip_norm=0), ValueError, "fit_stateful: clip_norm must be positive or None, got 0"),
        (dict(seed=-1), ValueError, "fit_stateful: seed must be a non-negative integer, got -1"),
        (dict(loss_fn=3), TypeError, "fit_stateful: expected loss_fn to be a function, got 3"),
        (dict(chunk_length=0), ValueError, "fit_stateful: chunk_length must be a positive integer or None, got 0"),
        (dict(randomise=1), TypeError,
         "fit_stateful: randomise should be of type bool, got: int (1); expected True or False"),
        (dict(train=3), TypeError, "fit_stateful: expected train to be a pair (X, y) of tensors, got 3"),
        (dict(train=(X,)), TypeError, "fit_stateful: expected train to be a pair (X, y) of tensors, got a tuple"),
        (dict(train=("X", y)), TypeError, "fit_stateful: expected X to be a torch.Tensor, got str"),
        (dict(train=(X, "y")), TypeError, "fit_stateful: expected y to be a torch.Tensor, got str"),
        (dict(train=(X[..., 0], y[..., 0])), ValueError,
         "fit_stateful: expected X of shape (B, T, I) and y of shape (B, T, ...) with the same B and T, "
         "got (2, 5) and (2, 5)"),
        (dict(train=(X[:0], y[:0])), ValueError,
         "fit_stateful: expected at least one sequence of at least one step, got X of shape (0, 5, 1)"),
        (dict(valid=(Xv, "y")), TypeError, "fit_stateful: expected valid's y to be a torch.Tensor, got str"),
        (dict(valid=(_nan_at_0(Xv), yv)), ValueError, "fit_stateful: expected valid's X to hold finite numbers, "
         "got nan at index (0, 0) (1 of 4 values are NaN or infinite)"),
        (dict(valid=(Xv, _nan_at_0(yv))), ValueError, "fit_stateful: expected valid's y to hold finite numbers, "
         "got nan at index (0, 0) (1 of 4 values are NaN or infinite)"),
        (dict(model=TensorOnly()), TypeError,
         "fit_stateful: expected model(x, h) to return a pair (output, h_n), got a Tensor of shape (2, 2, 1) and "
         "dtype torch.float32; fit trains a model(x) -> output"),
        (dict(model=Triple()), TypeError,
         "fit_stateful: expected model(x, h) to return a pair (output, h_n), got a tuple; "
         "fit trains a model(x) -> output"),
        (dict(train=(_nan_at_0(X), y)), FloatingPointError,
         "fit_stateful: the training loss became nan at epoch 0 in the chunk of steps 0..1; the batch's X holds "
         "NaN or infinite values: clean the data"),
        (dict(train=(X, _nan_at_0(y))), FloatingPointError,
         "fit_stateful: the training loss became nan at epoch 0 in the chunk of steps 0..1; the batch's y holds "
         "NaN or infinite values: clean the data"),
        (dict(model=NanAtSecondCall(), chunk_length=None, epochs=2), FloatingPointError,
         "fit_stateful: the training loss became nan at epoch 1 in the chunk of steps 0..4; "
         "lower the learning rate or set clip_norm"),
    ]


@pytest.mark.parametrize("case", range(19))
def test_fit_stateful_messages(case):
    kw, kind, message = stateful_messages()[case]
    with raises(kind, message):
        _fit_stateful(**kw)


def test_fit_stateful_says_how_to_call_a_model_without_a_state():
    with pytest.raises(TypeError, match=r"^fit_stateful: calling model\(x, h\) failed: .+; fit_stateful trains a "
                                        r"model\(x, h\) -> \(output, h_n\), fit a model\(x\) -> output$"):
        _fit_stateful(model=NoState())


def test_fit_names_the_epoch_of_a_loss_that_becomes_nan():
    class NanAtSecond(Scale):
        calls = 0

        def forward(self, x):
            self.calls += 1
            return self.w * x * (float("nan") if self.calls == 2 else 1.0)

    with raises(FloatingPointError,
                "fit: the training loss became nan at epoch 1; lower the learning rate or set clip_norm"):
        _fit(model=NanAtSecond(), epochs=2)


class NanWhenEvaluating(StatefulScale):
    def forward(self, x, h=None):
        out = self.w * x
        return (out if self.training else out * float("nan")), h


@pytest.mark.parametrize("trainer", ["fit", "fit_stateful"])
def test_a_validation_loss_that_is_nan_is_named_with_the_trainer_and_the_valid_set(trainer):
    if trainer == "fit":
        class Model(Scale):
            def forward(self, x):
                return self.w * x * (1.0 if self.training else float("nan"))

        call = lambda: _fit(model=Model(), valid=pair())  # noqa: E731
    else:
        call = lambda: _fit_stateful(model=NanWhenEvaluating(), valid=series())  # noqa: E731
    with raises(FloatingPointError, f"{trainer}: the loss on valid is nan: the model's output holds NaN or infinite "
                                    "values (have its weights diverged?)"):
        call()
