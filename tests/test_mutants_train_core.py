"""Tests written against mutants of companion/train/{loop,fit,stateful,checkpoint}.py that survived
the central mutation run (issue 10). Error messages are part of the API: each is checked word for
word against the text written here. Behaviour is checked against references written in the test:
a training loop by hand with torch.optim.Adam and nn.utils.clip_grad_norm_, Adam's first step
worked by hand, losses written out with torch ops."""

import functools
import pickle
import re

import pytest
import torch
from torch import nn
from torch.nn import functional as F

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


# --- defaults: Adam's first step moves each weight by lr against the sign of its gradient ----------------------

def _first_step(trainer, **kw):
    """w after one epoch of one full-batch Adam step from w = 0.5 on y = 2x (the gradient is negative)."""
    if trainer == "loop":
        model = Scale()
        X, y = pair()

        def run_epoch(optimizer, generator, epoch):
            optimizer.zero_grad()
            loss = F.mse_loss(model(X), y)
            loss.backward()
            optimizer.step()
            return loss.item()

        loop(model, run_epoch, epochs=1, progress=False, **kw)
    elif trainer == "fit":
        model = Scale()
        fit(model, pair(), epochs=1, progress=False, **kw)
    else:
        model = StatefulScale()
        fit_stateful(model, series(), chunk_length=None, epochs=1, progress=False, **kw)
    return model.w.item()


@pytest.mark.parametrize("trainer", ["loop", "fit", "fit_stateful"])
def test_the_default_learning_rate_is_0_01(trainer):
    # Adam's first step is lr * g / (|g| + eps): lr against the gradient's sign, for |g| >> eps.
    assert _first_step(trainer) == pytest.approx(0.5 + 0.01, abs=1e-6)
    assert _first_step(trainer, lr=0.05) == pytest.approx(0.5 + 0.05, abs=1e-6)


@pytest.mark.parametrize("trainer", ["loop", "fit", "fit_stateful"])
def test_the_progress_bar_is_shown_by_default_and_hidden_with_progress_false(trainer, capsys):
    def run(**kw):
        if trainer == "loop":
            losses = iter([0.5, 0.25])
            loop(Scale(), lambda o, g, e: next(losses), epochs=2, validate=lambda m: 0.125, **kw)
        elif trainer == "fit":
            fit(Scale(), pair(), epochs=2, valid=pair(), **kw)
        else:
            fit_stateful(StatefulScale(), series(), chunk_length=2, epochs=2, valid=series(), **kw)
        return capsys.readouterr().err

    assert run(progress=False) == ""
    shown = run()
    assert re.search(r"training: 100%\|.*\| 2/2 \[.*(?:[\d?]epoch/s|s/epoch), train=\d\.\d{4}, valid=\d\.\d{4}\]", shown), shown
    if trainer == "loop":
        assert "train=0.2500, valid=0.1250]" in shown


def test_a_resumed_bar_counts_from_the_epochs_already_trained_to_the_total(tmp_path, capsys):
    path = tmp_path / "c.pt"
    loop(Scale(), constant_epoch(), epochs=2, checkpoint=path, progress=False, seed=1)
    loop(Scale(), constant_epoch(), epochs=3, checkpoint=path, resume=True, seed=1)
    shown = capsys.readouterr().err
    assert re.search(r"training:  67%\|.*\| 2/3 \[", shown), shown
    assert re.search(r"training: 100%\|.*\| 3/3 \[", shown), shown


# --- the loop's bookkeeping --------------------------------------------------------------------------------

def test_losses_returned_as_one_element_tensors_are_recorded_as_floats():
    history = _loop(run_epoch=lambda o, g, e: torch.tensor(0.5), validate=lambda m: torch.tensor([0.25]), epochs=2)
    assert history.train_loss == [0.5, 0.5] and history.valid_loss == [0.25, 0.25]
    assert all(type(v) is float for v in history.train_loss + history.valid_loss)


def test_stop_below_is_strict_a_loss_equal_to_it_trains_on():
    losses = iter([1.0, 0.5, 0.25, 0.125])
    history = _loop(validate=lambda m: next(losses), stop_below=0.5, epochs=4)
    assert history.valid_loss == [1.0, 0.5, 0.25]


def test_the_checkpoint_records_the_default_hyperparameters_or_the_given_ones(tmp_path):
    path = tmp_path / "c.pt"
    _loop(epochs=2, seed=4, checkpoint=path)
    state = load_checkpoint(path, Scale())
    assert state["hyperparameters"] == {"function": "loop", "epochs": 2, "lr": 0.01, "clip_norm": None,
                                        "patience": None, "seed": 4, "stop_below": None}
    assert state["stopped_early"] is False
    if not torch.cuda.is_initialized():  # a CPU-only run records no CUDA generator states
        assert state["cuda_rng"] is None
    _loop(epochs=1, checkpoint=tmp_path / "d.pt", hyperparameters={"mine": 1})
    assert load_checkpoint(tmp_path / "d.pt", Scale())["hyperparameters"] == {"mine": 1}


def test_resuming_a_finished_run_with_the_same_epochs_returns_its_history(tmp_path):
    path = tmp_path / "c.pt"
    first = _loop(run_epoch=lambda o, g, e: float(e), epochs=2, seed=1, checkpoint=path)
    again = _loop(run_epoch=lambda o, g, e: 99.0, epochs=2, seed=1, checkpoint=path, resume=True)
    assert first.train_loss == again.train_loss == [0.0, 1.0]


def test_resume_messages(tmp_path):
    path = tmp_path / "c.pt"
    X, y = series()
    fit_stateful(StatefulScale(), (X, y), chunk_length=2, epochs=2, seed=3, progress=False, checkpoint=path)
    with raises(ValueError, f"fit_stateful: the checkpoint {path} has already trained 2 epochs, more than epochs=1; "
                            "ask for epochs >= 2, or start afresh with another checkpoint file"):
        fit_stateful(StatefulScale(), (X, y), chunk_length=2, epochs=1, seed=3, progress=False, checkpoint=path,
                     resume=True)
    with raises(ValueError, f"fit_stateful: the checkpoint {path} was started with lr=0.01, seed=3, but this call "
                            "asks for lr=0.02, seed=9; pass the same values to resume it, resume='override' to "
                            "continue it with this call's values, or another checkpoint file to start afresh"):
        fit_stateful(StatefulScale(), (X, y), chunk_length=2, epochs=2, seed=9, lr=0.02, progress=False,
                     checkpoint=path, resume=True)
    old = tmp_path / "old.pt"
    model = Scale()
    save_checkpoint(old, model=model, optimizer=torch.optim.Adam(model.parameters()), epoch=0, history=History())
    with raises(ValueError, f"loop: the checkpoint {old} records no hyperparameters (an older companion wrote it), "
                            "so resuming cannot check them; pass resume='override' to continue with this call's"):
        _loop(epochs=2, checkpoint=old, resume=True)


def test_fit_stateful_records_its_hyperparameters(tmp_path):
    path = tmp_path / "c.pt"
    X, y = series(B=2, T=5)
    Xv, yv = torch.randn(3, 4, 1), torch.randn(3, 4)
    fit_stateful(StatefulScale(), (X, y), chunk_length=2, epochs=1, seed=3, progress=False, checkpoint=path,
                 valid=(Xv, yv), loss_fn=lambda out, target: ((out[..., 0] - target) ** 2).mean()
                 if out.dim() == 3 else ((out - target) ** 2).mean())
    recorded = load_checkpoint(path, StatefulScale())["hyperparameters"]
    assert recorded == {"function": "fit_stateful", "epochs": 1, "lr": 0.01, "clip_norm": None, "patience": None,
                        "seed": 3, "chunk_length": 2, "randomise": False,
                        "loss_fn": "test_fit_stateful_records_its_hyperparameters.<locals>.<lambda>",
                        "train_shapes": [[2, 5, 1], [2, 5, 1]], "valid_shapes": [[3, 4, 1], [3, 4]]}


def my_loss(out, target):
    return F.mse_loss(out, target)


class NamedOnly:
    __name__ = "named_only"

    def __call__(self, out, target):
        return F.mse_loss(out, target)


def test_the_recorded_loss_name(tmp_path):
    def nested(out, target):
        return F.mse_loss(out, target)

    cases = [(nn.MSELoss(), "MSELoss"), (F.mse_loss, "mse_loss"), (my_loss, "my_loss"),
             (nested, "test_the_recorded_loss_name.<locals>.nested"), (functools.partial(my_loss), "partial"),
             (NamedOnly(), "named_only")]
    for k, (loss_fn, name) in enumerate(cases):
        path = tmp_path / f"{k}.pt"
        _fit(loss_fn=loss_fn, checkpoint=path)
        assert load_checkpoint(path, Scale())["hyperparameters"]["loss_fn"] == name, loss_fn


# --- fit, evaluate, fit_stateful: behaviour ---------------------------------------------------------------

class RunningSum(Scale):
    """``out[i] = w * (x[0] + ... + x[i])``: the output depends on the order of the examples."""

    def forward(self, x):
        return self.w * torch.cumsum(x, dim=0)


@pytest.mark.parametrize("extra", [0, 3])
def test_a_batch_of_the_whole_set_or_more_is_the_whole_set_in_order(extra):
    X, y = pair(n=6)
    reference = RunningSum()
    expected = fit(reference, (X, y), epochs=2, progress=False, seed=1)
    model = RunningSum()
    history = fit(model, (X, y), epochs=2, progress=False, seed=1, batch_size=6 + extra)
    assert history.train_loss == expected.train_loss
    assert model.w.item() == reference.w.item()


def test_one_dimensional_examples_are_accepted():
    X = torch.randn(5)
    y = 3 * X
    Xv = torch.randn(4)
    history = fit(Scale(), (X, y), epochs=1, valid=(Xv, 3 * Xv), progress=False)
    assert len(history.valid_loss) == 1
    assert evaluate(Scale(2.0), X, y) == pytest.approx(float(((2 * X - y) ** 2).mean()))
    history = fit_stateful(StatefulScale(), series(B=1), chunk_length=2, epochs=1, valid=(Xv, 3 * Xv), progress=False)
    assert len(history.valid_loss) == 1


def _cross_entropy_by_hand(logits, target, ignore=-100):
    """Mean over the kept targets of logsumexp(logits) - logits[target]; logits (N, C, d...) or (N, C)."""
    logits = logits.movedim(1, -1).reshape(-1, logits.shape[1])
    target = target.reshape(-1)
    keep = target != ignore
    logits, target = logits[keep], target[keep]
    return float((torch.logsumexp(logits, dim=1) - logits[torch.arange(len(target)), target]).mean())


class Logits(nn.Module):
    """Fixed logits: ``model(x)`` returns ``self.out`` whatever x is (with one parameter, as fit needs)."""

    def __init__(self, out):
        super().__init__()
        self.out = out
        self.w = nn.Parameter(torch.ones(()))

    def forward(self, x):
        return self.out * self.w


def test_evaluate_with_class_targets_of_every_documented_kind():
    logits = torch.randn(6, 3)
    X = torch.zeros(6, 1)
    y = torch.tensor([0, 2, -100, 1, -100, 2])
    assert evaluate(Logits(logits), X, y, F.cross_entropy) == pytest.approx(_cross_entropy_by_hand(logits, y))
    y7 = torch.tensor([0, 2, 7, 1, 7, 2])
    assert evaluate(Logits(logits), X, y7, nn.CrossEntropyLoss(ignore_index=7)) == pytest.approx(
        _cross_entropy_by_hand(logits, y7, ignore=7))
    wide = torch.randn(6, 3, 2)  # (N, C, d) logits for (N, d) targets
    yd = torch.randint(0, 3, (6, 2))
    assert evaluate(Logits(wide), X, yd, F.cross_entropy) == pytest.approx(_cross_entropy_by_hand(wide, yd))
    p = torch.softmax(torch.randn(6, 3), dim=1)  # class probabilities of the output's shape
    assert evaluate(Logits(logits), X, p, F.cross_entropy) == pytest.approx(
        float(-(p * torch.log_softmax(logits, dim=1)).sum(1).mean()))


def test_a_loss_of_its_own_is_not_checked_as_a_classification_or_element_wise_loss():
    logits = torch.randn(4, 3)
    X = torch.zeros(4, 1)
    own = lambda out, target: (out.float().mean() - target.float().mean()) ** 2  # noqa: E731
    for y in (torch.tensor([5, 1, 0, 9]), torch.rand(4, 2)):
        assert evaluate(Logits(logits), X, y, own) == pytest.approx(float((logits.mean() - y.float().mean()) ** 2))


def test_fit_checks_every_class_index_of_the_training_set_before_training():
    X = torch.randn(50, 1)
    y = torch.arange(3, 53)
    with raises(ValueError, "fit: the model gives 3 classes, so class indices must be in [0, 2], got 52 in the "
                            "targets of train"):
        fit(nn.Linear(1, 3), (X, y), epochs=1, batch_size=1, loss_fn=F.cross_entropy, seed=0, progress=False)


class SequenceLogits(nn.Module):
    """model(x, h) -> ((B, C, t) logits, h) for cross_entropy on (B, t) class indices."""

    def __init__(self, C=3):
        super().__init__()
        self.lin = nn.Linear(1, C)

    def forward(self, x, h=None):
        return self.lin(x).transpose(1, 2), h


def test_fit_stateful_checks_every_class_index_of_the_sequence_at_the_first_chunk():
    X = torch.randn(2, 6, 1)
    y = torch.zeros(2, 6, dtype=torch.long)
    y[1, 4] = 5  # in the third chunk
    with raises(ValueError, "fit_stateful: the model gives 3 classes, so class indices must be in [0, 2], got 5 in "
                            "the targets of train (steps 0..1)"):
        fit_stateful(SequenceLogits(), (X, y), chunk_length=2, epochs=1, loss_fn=F.cross_entropy, progress=False)


def _by_hand(model, X, y, *, epochs, lr, clip_norm, stateful):
    """Full-batch training written out: Adam, and the global gradient norm clipped before each step."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        optimizer.zero_grad()
        out = model(X, None)[0] if stateful else model(X)
        F.mse_loss(out, y).backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
    return model.w.item()


@pytest.mark.parametrize("stateful", [False, True])
def test_clip_norm_clips_every_step_as_written_by_hand(stateful):
    X, y = series() if stateful else pair()
    w0 = 0.5
    expected = _by_hand((StatefulScale if stateful else Scale)(w0), X, y, epochs=3, lr=0.2, clip_norm=0.01,
                        stateful=stateful)
    unclipped = _by_hand((StatefulScale if stateful else Scale)(w0), X, y, epochs=3, lr=0.2, clip_norm=1e9,
                         stateful=stateful)
    assert abs(expected - unclipped) > 1e-3  # clipping matters here
    if stateful:
        model = StatefulScale(w0)
        fit_stateful(model, (X, y), chunk_length=None, epochs=3, lr=0.2, clip_norm=0.01, progress=False)
    else:
        model = Scale(w0)
        fit(model, (X, y), epochs=3, lr=0.2, clip_norm=0.01, progress=False)
    assert model.w.item() == pytest.approx(expected, abs=1e-6)


def test_fit_stateful_stops_after_patience_epochs_without_improvement():
    # Training pulls w from 0 towards 1 (y = x); the validation targets are -x, so its loss (w + 1)^2 E[x^2]
    # grows with every step: the best epoch is the first, and patience=1 stops after the second.
    X = torch.randn(2, 5, 1)
    Xv = torch.randn(2, 5, 1)
    history = fit_stateful(StatefulScale(0.0), (X, X), chunk_length=None, epochs=5, valid=(Xv, -Xv), patience=1,
                           progress=False)
    assert len(history.train_loss) == 2 and history.best_epoch == 0


class RecordsLengths(StatefulScale):
    def __init__(self):
        super().__init__()
        self.lengths = []

    def forward(self, x, h=None):
        self.lengths.append(x.shape[1])
        return self.w * x, h


def _lengths(**kw):
    model = RecordsLengths()
    fit_stateful(model, series(B=1, T=40), chunk_length=4, epochs=2, progress=False, **kw)
    return model.lengths


def test_randomised_chunk_lengths_follow_the_seed():
    fixed = _lengths(seed=1)
    assert fixed == [4] * 20
    drawn = _lengths(randomise=True, seed=1)
    assert sum(drawn) == 80 and set(drawn) != {4}
    assert _lengths(randomise=True, seed=1) == drawn
    assert _lengths(randomise=True, seed=2) != drawn


class RequiresState(Scale):
    """model(x, h) -> (w * x, h) with h a required argument."""

    def forward(self, x, h):
        return self.w * x, h


def test_fit_stateful_calls_the_model_with_its_state_from_the_first_chunk_on():
    X, y = series()
    history = fit_stateful(RequiresState(), (X, y), chunk_length=2, epochs=1, progress=False)
    assert len(history.train_loss) == 1
