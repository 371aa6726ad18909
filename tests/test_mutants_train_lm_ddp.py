"""Mutation tests (issue 10) for companion.train.language (fit_language_model, evaluate_language_model) and
companion.train.distributed (init_from_env, fit_distributed, launch_local).

The references are written here from the definitions: stateful truncated BPTT as the docstring states it
(streams, chunks of seq_len, state carried detached, Adam, clipping), the evaluation as consecutive
pieces each read from the zero state, DDP in a one-process gloo group as Adam on the sampler's
permutation (torch.randperm seeded with seed + epoch). Error messages are checked word for word."""

import datetime
import math
import os
import re
import socket
import time
from fractions import Fraction

import pytest
import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F

from companion import config
from companion.models import LanguageModel
from companion.train import evaluate_language_model, fit_distributed, init_from_env, launch_local
from companion.train import fit_language_model

V = 5


def _ids(n, generator_seed=0):
    return torch.randint(0, V, (n,), generator=torch.Generator().manual_seed(generator_seed))


def _model(scale=1.0):
    model = LanguageModel(V, 4, 6, use_torch_nn=True)
    with torch.no_grad():
        model.readout.weight.mul_(scale)
    return model


def _copy(model):
    other = _model()
    other.load_state_dict(model.state_dict())
    return other


# ----------------------------------------------------------------------------
# References written from the definitions


def reference_evaluate(model, ids, streams):
    """Mean -ln p(ids[t] | ids[:t]) with ids[:-1] cut into ceil-length consecutive pieces, each from the zero state."""
    x, y = ids[:-1], ids[1:]
    P = min(streams, len(x))
    L = math.ceil(len(x) / P)
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(x), L):
            logits, _ = model(x[start:start + L].unsqueeze(0))
            total += F.cross_entropy(logits[0].double(), y[start:start + L], reduction="sum").item()
    return total / (len(ids) - 1)


def reference_fit(model, ids, *, B, T, epochs, lr, clip, per_epoch=None):
    """Stateful truncated BPTT: B streams, chunks of T steps, state carried (detached) and reset at the start
    of the streams; Adam; clipped global norm; the epoch's loss is the mean over its tokens.
    Returns (train losses, largest gradient norm seen before clipping)."""
    S = len(ids) // B
    streams = ids[: B * S].view(B, S)
    x_all, y_all = streams[:, :-1], streams[:, 1:]
    chunks = [(x_all[:, s:s + T], y_all[:, s:s + T]) for s in range(0, S - 1, T)]
    per_epoch = per_epoch or len(chunks)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses, largest = [], 0.0
    model.train()
    for epoch in range(epochs):
        state, total, count = None, 0.0, 0
        for k in range(epoch * per_epoch, (epoch + 1) * per_epoch):
            i = k % len(chunks)
            if i == 0:
                state = None
            x, y = chunks[i]
            optimizer.zero_grad()
            logits, state = model(x, state)
            loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
            loss.backward()
            norm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters())).item()
            largest = max(largest, norm)
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            state = tuple(s.detach() for s in state)
            total, count = total + loss.item() * y.numel(), count + y.numel()
        losses.append(total / count)
    return losses, largest


def assert_same_weights(a, b, atol=1e-5):
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(p, q, rtol=0, atol=atol, msg=name)


# ----------------------------------------------------------------------------
# fit_language_model against the reference


def test_fit_language_model_defaults_equal_the_reference_and_documented_values(capsys):
    ids = _ids(32 * 41)  # 32 streams of 41 ids: batches of 32 and 8 steps
    model = _model(scale=60.0)  # peaked logits: gradients above the default clip_norm = 1 (and above 2)
    reference = _copy(model)
    history = fit_language_model(model, ids)  # batch_size=32, seq_len=32, epochs=1, lr=1e-2, clip_norm=1.0
    assert "training" in capsys.readouterr().err  # progress=True by default: the bar is shown
    losses, largest = reference_fit(reference, ids, B=32, T=32, epochs=1, lr=1e-2, clip=1.0)
    assert largest > 2.5  # the clipping is active, so clip_norm's value matters
    assert history.train_loss == pytest.approx(losses, rel=1e-5)
    assert_same_weights(model, reference)


def test_fit_language_model_walks_on_with_batches_per_epoch_and_clips():
    ids = _ids(4 * 16)  # 4 streams of 16: 15 inputs, batches of 5 steps: 3 batches; epochs take 0,1 | 2,0 | 1,2
    model = _model(scale=3.0)
    reference = _copy(model)
    history = fit_language_model(model, ids, batch_size=4, seq_len=5, epochs=3, batches_per_epoch=2, lr=0.05,
                                 clip_norm=0.1, progress=False)
    losses, largest = reference_fit(reference, ids, B=4, T=5, epochs=3, lr=0.05, clip=0.1, per_epoch=2)
    assert largest > 0.2  # clipping active
    assert history.train_loss == pytest.approx(losses, rel=1e-5) and history.valid_loss == []
    assert_same_weights(model, reference)


def test_fit_language_model_clips_the_gradient_norm_at_1_by_default():
    ids = _ids(4 * 16)
    model = _model(scale=30.0)  # gradient norms around and above 1 and 2
    one, two = _copy(model), _copy(model)
    history = fit_language_model(model, ids, batch_size=4, seq_len=5, epochs=3, lr=0.05, progress=False)
    losses, _ = reference_fit(one, ids, B=4, T=5, epochs=3, lr=0.05, clip=1.0)
    reference_fit(two, ids, B=4, T=5, epochs=3, lr=0.05, clip=2.0)
    assert history.train_loss == pytest.approx(losses, rel=1e-5)
    assert_same_weights(model, one)
    # clipping at 2 would end elsewhere: the default's value matters here
    assert max((p - q).abs().max().item() for p, q in zip(one.parameters(), two.parameters())) > 1e-3


def test_fit_language_model_progress_false_prints_nothing(capsys):
    fit_language_model(_model(), _ids(40), batch_size=2, seq_len=5, progress=False)
    assert capsys.readouterr().err == ""


def _one_epoch(model, optimizer, ids, B, T):
    S = len(ids) // B
    streams = ids[: B * S].view(B, S)
    state = None
    model.train()
    for s in range(0, S - 1, T):
        x, y = streams[:, :-1][:, s:s + T], streams[:, 1:][:, s:s + T]
        optimizer.zero_grad()
        logits, state = model(x, state)
        F.cross_entropy(logits.reshape(-1, V), y.reshape(-1)).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        state = tuple(t.detach() for t in state)


def test_fit_language_model_scores_valid_ids_every_epoch_and_patience_stops():
    cycle = torch.tensor([0, 1, 2, 3] * 30)  # after 0 always comes 1
    valid = torch.zeros(30, dtype=torch.long)  # 0 after 0: what training on the cycle makes less likely
    model = _model()
    start = _copy(model)
    history = fit_language_model(model, cycle, batch_size=4, seq_len=6, epochs=5, lr=0.05, valid_ids=valid,
                                 patience=1, progress=False)
    # patience=1 stops after the first epoch that does not improve on the best so far
    worse = [e for e in range(1, len(history.valid_loss)) if history.valid_loss[e] >= min(history.valid_loss[:e])]
    assert worse and len(history.valid_loss) == len(history.train_loss) == worse[0] + 1 < 5
    # each recorded valid loss is evaluate's (64 streams: 29 pieces of one token) of the weights after that epoch
    reference = _copy(start)
    optimizer = torch.optim.Adam(reference.parameters(), lr=0.05)
    for e in range(len(history.valid_loss)):
        _one_epoch(reference, optimizer, cycle, 4, 6)
        assert history.valid_loss[e] == pytest.approx(reference_evaluate(reference, valid, 64), rel=1e-5)
    # without patience every epoch runs
    again = fit_language_model(_copy(start), cycle, batch_size=4, seq_len=6, epochs=5, lr=0.05, valid_ids=valid,
                               progress=False)
    assert len(again.valid_loss) == 5


# ----------------------------------------------------------------------------
# evaluate_language_model


def test_evaluate_default_streams_is_64_pieces_each_from_the_zero_state():
    model = _model(scale=3.0).double()  # float64: the pieces' sums and the batched sum agree to rounding
    ids = _ids(130)  # 129 targets: 64 pieces of 3 (2 of them empty), while 65 pieces would be of 2
    value = evaluate_language_model(model, ids)
    assert value == pytest.approx(reference_evaluate(model, ids, 64), rel=1e-9)
    assert value == evaluate_language_model(model, ids, streams=64)
    assert value != pytest.approx(reference_evaluate(model, ids, 65), rel=1e-6)
    assert evaluate_language_model(model, ids, streams=5) == pytest.approx(reference_evaluate(model, ids, 5), rel=1e-9)
    assert model.training  # the mode is restored


def test_evaluate_takes_two_ids_and_a_model_without_vocab_size():
    model = _model()
    with torch.no_grad():
        logits, _ = model(torch.tensor([[3]]))
    expected = -torch.log_softmax(logits[0, 0].double(), -1)[1].item()
    assert evaluate_language_model(model, [3, 1]) == pytest.approx(expected, rel=1e-9)

    class Plain(nn.Module):  # no vocab_size attribute: the check of the ids is skipped
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, x, state=None):
            return self.inner(x, state)

    assert evaluate_language_model(Plain(), [3, 1]) == pytest.approx(expected, rel=1e-9)


class Scripted(nn.Module):
    """A language model whose forward misbehaves on one call: returns a list, wrong-shaped or NaN logits."""

    def __init__(self, how=None, on_call=0):
        super().__init__()
        self.vocab_size = V
        self.embedding = nn.Embedding(V, V)
        self.how, self.on_call, self.calls = how, on_call, 0

    def forward(self, x, state=None):
        logits = self.embedding(x)
        bad = self.calls == self.on_call
        self.calls += 1
        if bad and self.how == "list":
            return [logits, None]
        if bad and self.how == "three":
            return logits, None, None
        if bad and self.how == "longer":
            return torch.cat([logits, logits[:, :1]], 1), None
        if bad and self.how == "nan":
            return logits * float("nan"), None
        return logits, None


def _nan_model():
    model = _model()
    with torch.no_grad():
        model.readout.bias.fill_(float("nan"))
    return model


EV = "evaluate_language_model"
FL = "fit_language_model"
TEXT = _ids(40)  # batch_size=4, seq_len=3: 4 streams of 10, 9 inputs, 3 batches


@pytest.mark.parametrize("call, error, message", [
    (lambda: evaluate_language_model(3, [1, 2]), TypeError,
     f"{EV}: expected model to be a torch.nn.Module (model(x, state) -> (logits, state)), got 3"),
    (lambda: evaluate_language_model(_model(), "abc"), TypeError,
     f"{EV}: expected ids to be a 1-D sequence of integer ids, got 'abc' (a str); encode the text first, "
     "e.g. vocab.encode(characters(text))"),
    (lambda: evaluate_language_model(_model(), [1, 2], streams=0), ValueError,
     f"{EV}: streams must be a positive integer, got 0"),
    (lambda: evaluate_language_model(_model(), [1]), ValueError,
     f"{EV}: expected at least 2 ids (one input and its next token), got 1"),
    (lambda: evaluate_language_model(_model(), [1, 2, 5]), ValueError,
     f"{EV}: the model predicts 5 tokens, so ids must be in 0..4, got 5"),
    (lambda: evaluate_language_model(_nan_model(), [1, 2, 3]), FloatingPointError,
     f"{EV}: the cross-entropy is nan: the model's logits hold NaN or infinite values"),
    (lambda: fit_language_model(_model(), TEXT, epochs=0), ValueError,
     f"{FL}: epochs must be a positive integer, got 0"),
    (lambda: fit_language_model(_model(), "abc"), TypeError,
     f"{FL}: expected ids to be a 1-D sequence of integer ids, got 'abc' (a str); encode the text first, "
     "e.g. vocab.encode(characters(text))"),
    (lambda: fit_language_model(_model(), TEXT, batch_size=4, seq_len=3, batches_per_epoch=0), ValueError,
     f"{FL}: batches_per_epoch must be a positive integer or None, got 0"),
    (lambda: fit_language_model(_model(), torch.cat([TEXT, torch.tensor([5])]), batch_size=4, seq_len=3),
     ValueError, f"{FL}: the model predicts 5 tokens, so train_ids must be in 0..4, got 5"),
    (lambda: fit_language_model(_model(), TEXT, batch_size=4, seq_len=3, valid_ids="ab"), TypeError,
     f"{FL}: expected ids to be a 1-D sequence of integer ids, got 'ab' (a str); encode the text first, "
     "e.g. vocab.encode(characters(text))"),
    (lambda: fit_language_model(_model(), TEXT, batch_size=4, seq_len=3, valid_ids=[1]), ValueError,
     f"{FL}: expected valid_ids to hold at least 2 ids, got 1"),
    (lambda: fit_language_model(_model(), TEXT, batch_size=4, seq_len=3, valid_ids=[1, 6]), ValueError,
     f"{FL}: the model predicts 5 tokens, so valid_ids must be in 0..4, got 6"),
    (lambda: fit_language_model(_model(), TEXT, batch_size=4, seq_len=3, patience=1), ValueError,
     f"{FL}: patience=1 needs a validation set to watch; pass valid_ids="),
    (lambda: fit_language_model(Scripted("list"), TEXT, batch_size=4, seq_len=3, progress=False), TypeError,
     f"{FL}: expected model(x, state) to return (logits, state), got a list"),
    (lambda: fit_language_model(Scripted("three"), TEXT, batch_size=4, seq_len=3, progress=False), TypeError,
     f"{FL}: expected model(x, state) to return (logits, state), got a tuple"),
    (lambda: fit_language_model(Scripted("longer"), TEXT, batch_size=4, seq_len=3, progress=False), ValueError,
     f"{FL}: expected logits of shape (B, T, V) = (4, 3, V), got (4, 4, 5)"),
    # batch 1 of epoch 1: the fifth call
    (lambda: fit_language_model(Scripted("nan", on_call=4), TEXT, batch_size=4, seq_len=3, epochs=2, progress=False),
     FloatingPointError,
     f"{FL}: the training loss became nan at epoch 1 in batch 1 of 3; lower the learning rate or set clip_norm"),
])
def test_language_errors_name_the_function_the_argument_and_what_came(call, error, message):
    with pytest.raises(error, match=re.escape(message) + "$"):
        call()


# ----------------------------------------------------------------------------
# Checkpoints: the recorded hyperparameters, resuming


def test_fit_language_model_checkpoint_records_the_call_and_resumes(tmp_path):
    path = tmp_path / "lm.pt"
    valid = _ids(12, 1)
    kwargs = dict(batch_size=4, seq_len=3, batches_per_epoch=2, lr=0.02, clip_norm=0.5, valid_ids=valid, patience=3,
                  seed=5, progress=False)
    start = _model()
    whole = _copy(start)
    full = fit_language_model(whole, TEXT, epochs=2, **kwargs)
    first = _copy(start)
    fit_language_model(first, TEXT, epochs=1, checkpoint=path, **kwargs)
    saved = torch.load(path, weights_only=True)
    assert saved["hyperparameters"] == {
        "function": "fit_language_model", "epochs": 1, "lr": 0.02, "clip_norm": 0.5, "patience": 3, "seed": 5,
        "stop_below": None, "batch_size": 4, "seq_len": 3, "batches_per_epoch": 2, "train_ids": 40, "valid_ids": 12}
    # the generator for the batch order (unused here) is seeded with seed
    assert torch.equal(saved["generator"], torch.Generator().manual_seed(5).get_state())
    # resuming with other weights in the model: the checkpoint's are taken, and the run ends as the whole one
    other = _model(scale=2.0)
    resumed = fit_language_model(other, TEXT, epochs=2, checkpoint=path, resume=True, **kwargs)
    assert resumed.train_loss == pytest.approx(full.train_loss, rel=1e-6)
    assert resumed.valid_loss == pytest.approx(full.valid_loss, rel=1e-6)
    assert_same_weights(other, whole, atol=1e-6)
    changed = {**kwargs, "batch_size": 2}
    message = (f"fit_language_model: the checkpoint {path} was started with batch_size=4, but this call asks "
               "for batch_size=2; pass the same values")
    with pytest.raises(ValueError, match=re.escape(message)):
        fit_language_model(_model(), TEXT, epochs=3, checkpoint=path, resume=True, **changed)


def test_fit_language_model_records_no_valid_ids_as_none(tmp_path):
    path = tmp_path / "lm.pt"
    fit_language_model(_model(), TEXT, batch_size=4, seq_len=3, progress=False, checkpoint=path)
    hyper = torch.load(path, weights_only=True)["hyperparameters"]
    assert hyper["valid_ids"] is None and hyper["batches_per_epoch"] is None and hyper["seed"] == config.seed()


# ----------------------------------------------------------------------------
# fit_distributed in this process, in a one-process gloo group


@pytest.fixture
def group(tmp_path, monkeypatch):
    """A one-process gloo group (rank 0 of 1) for the test, destroyed after it."""
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


class Scale(nn.Module):
    """y = w * x + b on examples that are plain numbers, X of shape (N,): a model for 1-D inputs."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros((), dtype=torch.float64))
        self.b = nn.Parameter(torch.zeros((), dtype=torch.float64))

    def forward(self, x):
        return self.w * x + self.b


class Recurrent(nn.Module):
    """A GRU read out at its last step, returning (output, state) as companion's layers do: (B, T, 2) -> (B,)."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(2, 3, batch_first=True, dtype=torch.float64)
        self.out = nn.Linear(3, 1, dtype=torch.float64)

    def forward(self, x):
        h, state = self.gru(x)
        return self.out(h[:, -1]).squeeze(-1), state


def reference_ddp(model, X, y, *, epochs, batch_size, lr, clip, seed, loss_fn=F.mse_loss, world=1):
    """One process: Adam on the global batches of DistributedSampler's permutation, randperm(seed + epoch),
    cut to a multiple of the number of processes."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    N, losses = len(X) - len(X) % world, []
    for epoch in range(epochs):
        order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed + epoch))[:N]
        total = 0.0
        for start in range(0, N, batch_size):
            idx = order[start:start + batch_size]
            optimizer.zero_grad()
            out = model(X[idx])
            out = out[0] if isinstance(out, tuple) else out
            loss = loss_fn(out, y[idx])
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / N)
    return losses


def test_fit_distributed_in_one_process_equals_adam_on_the_sampler_batches(group, capsys):
    X = torch.randn(21, 4, 2, dtype=torch.float64)
    y = torch.randn(21, dtype=torch.float64)
    model = Recurrent()
    reference = Recurrent()
    reference.load_state_dict(model.state_dict())
    start = {k: v.clone() for k, v in model.state_dict().items()}
    history = fit_distributed(model, (X, y), epochs=2, batch_size=8, lr=0.05, clip_norm=0.05, seed=3,
                              loss_fn=F.l1_loss)
    assert "training" in capsys.readouterr().err  # rank 0 shows the bar by default
    losses = reference_ddp(reference, X, y, epochs=2, batch_size=8, lr=0.05, clip=0.05, seed=3, loss_fn=F.l1_loss)
    assert history.train_loss == pytest.approx(losses, rel=1e-12)
    for name, value in reference.state_dict().items():
        assert not torch.equal(value, start[name])
        torch.testing.assert_close(model.state_dict()[name], value, rtol=0, atol=1e-12)
    # without clipping the steps differ (the clip above is active)
    unclipped = Recurrent()
    unclipped.load_state_dict(start)
    assert reference_ddp(unclipped, X, y, epochs=2, batch_size=8, lr=0.05, clip=None, seed=3,
                         loss_fn=F.l1_loss) != pytest.approx(losses, rel=1e-6)


def test_fit_distributed_defaults_mse_and_the_runs_seed_and_one_example(group, capsys):
    X = torch.linspace(-1, 1, 9, dtype=torch.float64)  # 1-D examples are allowed
    y = 3 * X + 1
    model, reference = Scale(), Scale()
    history = fit_distributed(model, (X, y), epochs=2, batch_size=4, progress=False)  # lr=1e-2, mse, seed: the run's
    assert capsys.readouterr().err == ""
    losses = reference_ddp(reference, X, y, epochs=2, batch_size=4, lr=1e-2, clip=None, seed=config.seed())
    assert history.train_loss == pytest.approx(losses, rel=1e-12)
    torch.testing.assert_close(model.w.detach(), reference.w.detach(), rtol=0, atol=1e-12)
    other = reference_ddp(Scale(), X, y, epochs=2, batch_size=4, lr=1e-2, clip=None, seed=config.seed() + 7)
    assert other != pytest.approx(losses, rel=1e-9)  # the seed matters: another gives another order
    # seed=0 is a seed; one example is enough for one process
    one = fit_distributed(Scale(), (X[:1], y[:1]), epochs=1, batch_size=1, seed=0, progress=False)
    assert one.train_loss == pytest.approx([float((y[0]) ** 2)])  # w = b = 0: the first prediction is 0


def test_fit_distributed_validates_every_epoch_and_patience_stops(group):
    X = torch.linspace(-1, 1, 16, dtype=torch.float64)
    y = 2 * X
    valid = (X, -2 * X)  # moving towards y moves away from the valid targets: every epoch is worse
    model = Scale()
    history = fit_distributed(model, (X, y), epochs=5, batch_size=4, lr=0.05, valid=valid, patience=1, seed=1,
                              progress=False)
    assert len(history.train_loss) == len(history.valid_loss) == 2 and history.best_epoch == 0
    reference = Scale()
    optimizer = torch.optim.Adam(reference.parameters(), lr=0.05)
    order = torch.randperm(16, generator=torch.Generator().manual_seed(1))
    for start in range(0, 16, 4):
        idx = order[start:start + 4]
        optimizer.zero_grad()
        F.mse_loss(reference(X[idx]), y[idx]).backward()
        optimizer.step()
    with torch.no_grad():
        assert history.valid_loss[0] == pytest.approx(F.mse_loss(reference(X), -2 * X).item(), rel=1e-12)
    assert history.valid_loss[1] > history.valid_loss[0]
    whole = fit_distributed(Scale(), (X, y), epochs=3, batch_size=4, lr=0.05, valid=valid, seed=1, progress=False)
    assert len(whole.valid_loss) == 3


def two_processes(rank, world, X, y):
    model = Scale()
    history = fit_distributed(model, (X, y), epochs=2, batch_size=4, lr=0.05, seed=2, progress=False)
    try:
        fit_distributed(Scale(), (X, y), epochs=1, batch_size=5)
        refused = ""
    except ValueError as error:
        refused = str(error)
    try:  # one example for two processes
        fit_distributed(Scale(), (X[:1], y[:1]), epochs=1, batch_size=2)
        too_few = ""
    except ValueError as error:
        too_few = str(error)
    return {"rank": rank, "world": world, "w": model.w.detach(), "b": model.b.detach(), "loss": history.train_loss,
            "refused": refused, "too_few": too_few}


def test_fit_distributed_in_two_processes_equals_one_on_the_global_batches():
    X = torch.linspace(-1, 1, 11, dtype=torch.float64)  # 11 examples: the sampler drops one for two processes
    y = 3 * X + 1
    results = launch_local(two_processes, 2, (X, y), timeout_s=60, start_method="fork")
    reference = Scale()
    losses = reference_ddp(reference, X, y, epochs=2, batch_size=4, lr=0.05, clip=None, seed=2, world=2)
    assert len(results) == 2 and [(r["rank"], r["world"]) for r in results] == [(0, 2), (1, 2)]
    for result in results:
        assert result["loss"] == pytest.approx(losses, rel=1e-12)
        torch.testing.assert_close(result["w"], reference.w.detach(), rtol=0, atol=1e-12)
        torch.testing.assert_close(result["b"], reference.b.detach(), rtol=0, atol=1e-12)
        assert result["refused"] == ("fit_distributed: batch_size must be a multiple of the number of processes (2), "
                                     "so that each process takes an equal share of every batch; got batch_size=5")
        assert result["too_few"] == "fit_distributed: train_set holds 1 examples, fewer than the 2 processes"


W = "fit_distributed"
PAIR = (torch.zeros(4, 1), torch.zeros(4))


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(model=3), TypeError, f"{W}: expected model to be a torch.nn.Module, got 3"),
    (dict(train_set=3), TypeError, f"{W}: expected train_set to be a pair (X, y) of tensors, got 3"),
    (dict(train_set=(torch.zeros(()), torch.zeros(1))), ValueError,
     f"{W}: expected X with at least 1 dimensions and y with at least 1, got shapes () and (1,)"),
    (dict(loss_fn=3), TypeError, f"{W}: expected loss_fn to be a function, got 3"),
    (dict(valid=3), TypeError, f"{W}: expected valid (X, y) to be a pair (X, y) of tensors, got 3"),
    (dict(valid=(torch.zeros(3), torch.zeros(2))), ValueError,
     f"{W}: valid's X and valid's y must have the same number of examples, got 3 and 2"),
    (dict(valid=(torch.zeros(()), torch.zeros(1))), ValueError,
     f"{W}: expected valid's X with at least 1 dimensions and valid's y with at least 1, got shapes () and (1,)"),
    (dict(batch_size=0), ValueError, f"{W}: batch_size must be a positive integer, got 0"),
    (dict(clip_norm=0), ValueError, f"{W}: clip_norm must be positive or None, got 0"),
    (dict(clip_norm="a"), TypeError, f"{W}: expected clip_norm to be a number or None, got 'a' (a str)"),
    (dict(seed=-1), ValueError, f"{W}: seed must be a non-negative integer, got -1"),
    (dict(seed=1.5), ValueError, f"{W}: seed must be a non-negative integer, got 1.5"),
    (dict(epochs=0), ValueError, f"{W}: epochs must be a positive integer, got 0"),
    (dict(lr=0), ValueError, f"{W}: lr must be positive, got 0"),
    (dict(model=Scale(), train_set=(torch.zeros(4, dtype=torch.float64), torch.full((4,), float("nan"), dtype=torch.float64))),
     FloatingPointError,
     f"{W}: the training loss became nan at epoch 0; lower the learning rate or set clip_norm"),
    (dict(model=Scale(), train_set=(torch.zeros(4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)),
          valid=(torch.zeros(3, dtype=torch.float64), torch.zeros(3, 1, dtype=torch.float64))), ValueError,
     f"{W}: expected the targets of valid to have the model's output shape (3,) (mse_loss compares them element "
     "by element and would broadcast other shapes), got (3, 1); reshape y, e.g. with y.squeeze(-1) or "
     "y.unsqueeze(-1)"),
    (dict(model=Scale(), train_set=(torch.zeros(4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)),
          valid=(torch.zeros(3, dtype=torch.float64), torch.full((3,), float("nan"), dtype=torch.float64))),
     FloatingPointError,
     f"{W}: the loss on valid is nan: the model's output holds NaN or infinite values (have its weights diverged?)"),
    (dict(patience=1), ValueError, f"{W}: patience=1 needs a validation set to watch; pass valid=(X, y)"),
    (dict(patience=-1), ValueError, f"{W}: patience must be a non-negative integer or None, got -1"),
    (dict(model=Scale(), train_set=(torch.zeros(4, dtype=torch.float64), torch.zeros(4, 1, dtype=torch.float64))),
     ValueError,
     f"{W}: expected the targets of train to have the model's output shape (2,) (mse_loss compares them element "
     "by element and would broadcast other shapes), got (2, 1); reshape y, e.g. with y.squeeze(-1) or "
     "y.unsqueeze(-1)"),
])
def test_fit_distributed_refuses_bad_arguments_in_words(group, kwargs, error, message):
    args = {"model": nn.Linear(1, 1), "train_set": PAIR, "epochs": 1, "batch_size": 2, "progress": False, **kwargs}
    model = args.pop("model")
    train_set = args.pop("train_set")
    with pytest.raises(error, match=re.escape(message) + "$"):
        fit_distributed(model, train_set, **args)


def test_fit_distributed_without_a_group_says_how_to_get_one():
    assert not dist.is_initialized()
    message = (f"{W}: no process group; call init_from_env() in a script launched with torchrun, "
               "or run the training function through launch_local")
    with pytest.raises(RuntimeError, match=re.escape(message) + "$"):
        fit_distributed(nn.Linear(1, 1), PAIR, epochs=1, batch_size=2)


# ----------------------------------------------------------------------------
# init_from_env


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("present, lacking", [
    ({}, "RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT"),
    ({"RANK": "0", "WORLD_SIZE": "1"}, "MASTER_ADDR, MASTER_PORT"),
    ({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "1"}, "RANK, WORLD_SIZE"),
])
def test_init_from_env_names_the_missing_variables(monkeypatch, present, lacking):
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in present.items():
        monkeypatch.setenv(name, value)
    message = (f"init_from_env: the environment lacks {lacking}; launch the script with torchrun "
               "(torchrun --standalone --nproc_per_node 2 script.py), or use launch_local")
    with pytest.raises(RuntimeError, match=re.escape(message) + "$"):
        init_from_env()


def _group_timeout():
    group = dist.distributed_c10d._get_default_group()
    return group._get_backend(torch.device("cpu")).options._timeout


@pytest.mark.skipif(torch.cuda.is_available(), reason="the default backend is gloo only without CUDA")
def test_init_from_env_joins_a_gloo_group_on_the_cpu_and_keeps_a_joined_one(monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(_free_port()))
    monkeypatch.setenv("LOCAL_RANK", "0")
    try:
        assert init_from_env(timeout_s=77.0) == (0, 1, torch.device("cpu"))
        assert dist.get_backend() == "gloo" and _group_timeout() == datetime.timedelta(seconds=77)
        assert init_from_env("gloo") == (0, 1, torch.device("cpu"))  # already joined: the same group
        assert _group_timeout() == datetime.timedelta(seconds=77)
    finally:
        dist.destroy_process_group()
    monkeypatch.setenv("MASTER_PORT", str(_free_port()))
    try:
        assert init_from_env("gloo") == (0, 1, torch.device("cpu"))
        assert _group_timeout() == datetime.timedelta(seconds=120)  # the default timeout_s
    finally:
        dist.destroy_process_group()


# ----------------------------------------------------------------------------
# launch_local


def report(rank, world, *args):
    # a collective first: a process that returned before the others had joined the group would close its
    # connections while they still connect (gloo's connectFullMesh then fails in them)
    dist.barrier()
    return {"rank": rank, "world": world, "args": args, "group": (dist.get_rank(), dist.get_world_size()),
            "backend": dist.get_backend(), "threads": torch.get_num_threads(), "timeout": _group_timeout(),
            "fraction": Fraction(rank + 1, 3)}  # not a tensor: loaded without weights_only


def sleeper(rank, world):
    time.sleep(4.0)
    return rank


def test_launch_local_runs_fn_in_each_rank_of_one_group(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    results = launch_local(report, args=("a", 7), start_method="fork")  # nprocs=2, timeout_s=120 by default
    assert results == [
        {"rank": r, "world": 2, "args": ("a", 7), "group": (r, 2), "backend": "gloo", "threads": 1,
         "timeout": datetime.timedelta(seconds=120), "fraction": Fraction(r + 1, 3)} for r in range(2)]
    three = launch_local(report, 3, timeout_s=60, start_method="fork")
    assert [(r["rank"], r["world"], r["args"], r["timeout"]) for r in three] == [
        (r, 3, (), datetime.timedelta(seconds=60)) for r in range(3)]


def test_launch_local_stops_a_run_longer_than_timeout_s():
    begun = time.monotonic()
    with pytest.raises(TimeoutError, match=re.escape("launch_local: the 1 processes ran longer than timeout_s=1.0 s")):
        launch_local(sleeper, 1, timeout_s=1.0, start_method="fork")
    assert time.monotonic() - begun < 3.5  # stopped, not waited for


def test_launch_local_starts_the_processes_by_the_start_method_given_and_polls_them_every_second(monkeypatch):
    # a spy around torch.multiprocessing.start_processes: what launch_local asks of it, and how long each of
    # its waits for the processes is (at most 1 s, so that a timeout is noticed within a second)
    calls, waits = [], []
    real = torch.multiprocessing.start_processes

    def spy(*args, **kwargs):
        calls.append(kwargs)
        context = real(*args, **kwargs)
        join = context.join

        def timed_join(timeout=None, **rest):
            waits.append(timeout)
            return join(timeout=timeout, **rest)

        context.join = timed_join
        return context

    monkeypatch.setattr(torch.multiprocessing, "start_processes", spy)
    assert launch_local(report, 2, timeout_s=60, start_method="fork")[1]["rank"] == 1
    assert [(c["start_method"], c["nprocs"]) for c in calls] == [("fork", 2)]
    assert waits and all(w is not None and 0 < w <= 1.0 for w in waits), waits


def test_launch_local_starts_fresh_interpreters_by_default(monkeypatch):
    class Started(Exception):
        pass

    def spy(*args, **kwargs):  # stops before any process is started
        raise Started(kwargs["start_method"])

    monkeypatch.setattr(torch.multiprocessing, "start_processes", spy)
    with pytest.raises(Started, match="^spawn$"):
        launch_local(report)


LL = "launch_local"


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(fn="train"), TypeError, f"{LL}: expected fn to be a function, got 'train' (a str) (fn(rank, world_size, *args))"),
    (dict(nprocs=0), ValueError, f"{LL}: nprocs must be a positive integer, got 0"),
    (dict(timeout_s=0), ValueError, f"{LL}: timeout_s must be positive, got 0"),
    (dict(timeout_s="1"), TypeError, f"{LL}: expected timeout_s to be a number, got '1' (a str)"),
    (dict(backend="NCCL"), ValueError, f"{LL}: backend must be 'gloo' or 'nccl', got 'NCCL' (a str)"),
    (dict(start_method="FORK"), ValueError,
     f"{LL}: start_method must be 'spawn', 'fork' or 'forkserver', got 'FORK' (a str)"),
    (dict(args=[1]), TypeError, f"{LL}: expected args to be a tuple, got a list"),
])
def test_launch_local_refuses_bad_arguments_in_words(kwargs, error, message):
    args = {"fn": report, "nprocs": 1, **kwargs}
    with pytest.raises(error, match=re.escape(message) + "$"):
        launch_local(args.pop("fn"), args.pop("nprocs"), **args)


@pytest.mark.parametrize("backend, start_method", [("nccl", "fork"), ("gloo", "forkserver")])
def test_launch_local_accepts_each_documented_backend_and_start_method(backend, start_method):
    # both pass their checks: what is refused is args, checked after them
    with pytest.raises(TypeError, match=re.escape(f"{LL}: expected args to be a tuple, got a list") + "$"):
        launch_local(report, 1, [1], backend=backend, start_method=start_method)



@pytest.mark.parametrize("bad", [0, 1])
def test_fit_distributed_checks_the_class_indices_of_all_of_y_before_training(group, bad):
    # batches of one: wherever the bad label is, fit_distributed refuses it in its own words before training,
    # not with cross_entropy's error at the batch that holds it
    y = torch.tensor([0, 1])
    y[bad] = 3
    model = nn.Linear(1, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match=re.escape(
            f"{W}: the model gives 3 classes, so class indices must be in [0, 2], got 3 in the targets of train") + "$"):
        fit_distributed(model, (torch.zeros(2, 1, dtype=torch.float64), y), epochs=1, batch_size=1,
                        loss_fn=F.cross_entropy, progress=False)
