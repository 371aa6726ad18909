"""companion.train beyond the basics of fit (tests/test_data_metrics_train.py): checkpoints that
restore bit for bit and resume identically, device placement, and fit_stateful, the truncated-BPTT
training loop for long sequences."""

import copy
import os
import pickle

import pytest
import torch

import companion
from companion import train
from companion.models import Forecaster, SequenceRegressor


def windows(n=48):
    X = torch.randn(n, 5, 1)
    return X, X.sum(dim=(1, 2)) + 0.1 * torch.randn(n)


def delayed_echo(B, T, lag):
    """y_t = x_{t-lag}: the model must remember each input for exactly ``lag`` steps."""
    x = torch.randn(B, T, 1)
    y = torch.zeros(B, T)
    y[:, lag:] = x[:, :-lag, 0]
    return x, y


def parameters_equal(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_restored_checkpoint_gives_bit_identical_outputs(tmp_path):
    X, y = windows()
    model = Forecaster(input_size=1, hidden_size=6)
    path = tmp_path / "model.pt"
    history = train.fit(model, (X[:32], y[:32]), valid=(X[32:], y[32:]), epochs=4, checkpoint=path, progress=False)
    restored = Forecaster(input_size=1, hidden_size=6)
    assert not parameters_equal(model, restored)  # fresh random weights, so loading must do the work
    state = train.load_checkpoint(path, restored)
    # fit restores the best epoch's weights into `model`; the checkpoint holds the last epoch's and the best ones.
    restored.load_state_dict(state["best_state"])
    assert torch.equal(restored(X), model(X))
    assert state["epoch"] == 3 and state["history"] == history


def test_resumed_fit_equals_uninterrupted_fit(tmp_path):
    X, y = windows()
    kwargs = dict(valid=(X[32:], y[32:]), batch_size=8, lr=2e-2, progress=False)  # shuffled batches: the generator must resume too
    torch.manual_seed(1)
    straight = Forecaster(input_size=1, hidden_size=6)
    torch.manual_seed(1)
    interrupted = Forecaster(input_size=1, hidden_size=6)
    h_straight = train.fit(straight, (X[:32], y[:32]), epochs=6, **kwargs)
    path = tmp_path / "ckpt.pt"
    train.fit(interrupted, (X[:32], y[:32]), epochs=3, checkpoint=path, **kwargs)
    torch.manual_seed(2)
    resumed = Forecaster(input_size=1, hidden_size=6)  # a new process would start from other weights
    h_resumed = train.fit(resumed, (X[:32], y[:32]), epochs=6, checkpoint=path, resume=True, **kwargs)
    assert h_resumed == h_straight
    assert parameters_equal(resumed, straight)


def test_resumed_fit_stateful_with_random_chunks_equals_uninterrupted(tmp_path):
    X, y = delayed_echo(3, 40, lag=2)
    kwargs = dict(chunk_length=5, randomise=True, lr=2e-2, progress=False)
    torch.manual_seed(3)
    straight = SequenceRegressor(1, 6)
    state = copy.deepcopy(straight.state_dict())
    h_straight = train.fit_stateful(straight, (X, y), epochs=4, **kwargs)
    interrupted = SequenceRegressor(1, 6)
    interrupted.load_state_dict(state)
    path = tmp_path / "ckpt.pt"
    train.fit_stateful(interrupted, (X, y), epochs=2, checkpoint=path, **kwargs)
    resumed = SequenceRegressor(1, 6)
    h_resumed = train.fit_stateful(resumed, (X, y), epochs=4, checkpoint=path, resume=True, **kwargs)
    assert h_resumed.train_loss == h_straight.train_loss
    assert parameters_equal(resumed, straight)


def test_load_checkpoint_refuses_a_file_that_would_run_code(tmp_path):
    model = Forecaster(input_size=1, hidden_size=3)
    path = tmp_path / "evil.pt"
    torch.save({"model": model.state_dict(), "payload": pickle.loads(pickle.dumps(Forecaster))}, path)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        train.load_checkpoint(path, model)


def test_resume_after_early_stopping_trains_no_further(tmp_path):
    X, y = torch.randn(64, 4, 1), torch.randn(64)
    path = tmp_path / "ckpt.pt"
    model = Forecaster(input_size=1, hidden_size=4)
    first = train.fit(model, (X[:32], y[:32]), valid=(X[32:], y[32:]), epochs=300, lr=5e-2, patience=3,
                      checkpoint=path, progress=False)
    assert len(first.valid_loss) < 300
    again = train.fit(model, (X[:32], y[:32]), valid=(X[32:], y[32:]), epochs=300, lr=5e-2, patience=3,
                      checkpoint=path, resume=True, progress=False)
    assert again == first


def test_fit_stateful_takes_one_optimizer_step_per_chunk(tmp_path):
    X, y = delayed_echo(2, 23, lag=1)
    path = tmp_path / "ckpt.pt"
    for chunk_length, updates in ((5, 3 * 5), (None, 3)):  # 23 steps: 5 chunks of at most 5; full BPTT: 1
        model = SequenceRegressor(1, 4)
        train.fit_stateful(model, (X, y), chunk_length=chunk_length, epochs=3, checkpoint=path, progress=False)
        adam = torch.load(path, weights_only=True)["optimizer"]["state"]
        assert {int(s["step"]) for s in adam.values()} == {updates}, f"chunk_length={chunk_length}"


def test_fit_stateful_learns_a_delay_longer_than_fixed_chunks_only_with_longer_chunks():
    companion.config.seed_everything(0)
    X, y = delayed_echo(8, 60, lag=3)
    losses = {}
    for chunk_length in (2, 8):
        torch.manual_seed(0)
        model = SequenceRegressor(1, 12)
        history = train.fit_stateful(model, (X, y), chunk_length=chunk_length, epochs=25, lr=2e-2, progress=False)
        losses[chunk_length] = history.train_loss[-1]
    # Chunks of 2 never hold both x_{t-3} and y_t, so the gradient never asks the RNN to remember 3 steps.
    assert losses[8] < 0.3 * losses[2], losses


def test_fit_stateful_stops_with_a_clear_error_when_the_loss_is_not_finite():
    X, y = delayed_echo(2, 12, lag=1)
    y[:, 9] = float("nan")
    with pytest.raises(FloatingPointError, match=r"fit_stateful: the training loss became nan at epoch 0 "
                                                 r"in the chunk of steps 8\.\.11"):
        train.fit_stateful(SequenceRegressor(1, 3), (X, y), chunk_length=4, epochs=2, progress=False)


def test_fit_stateful_rejects_targets_of_another_length():
    with pytest.raises(ValueError, match=r"expected X of shape \(B, T, I\) .* got \(2, 10, 1\) and \(2, 9\)"):
        train.fit_stateful(SequenceRegressor(1, 3), (torch.randn(2, 10, 1), torch.randn(2, 9)), chunk_length=4,
                           epochs=1, progress=False)


@pytest.mark.gpu
def test_fit_moves_cpu_batches_to_a_cuda_model():
    X, y = windows()
    model = Forecaster(input_size=1, hidden_size=4).cuda()
    history = train.fit(model, (X[:32], y[:32]), valid=(X[32:], y[32:]), epochs=2, batch_size=8, progress=False)
    assert len(history.valid_loss) == 2
    seq = SequenceRegressor(1, 4).cuda()
    train.fit_stateful(seq, delayed_echo(2, 12, lag=1), chunk_length=4, epochs=2, progress=False)


# -- hyperparameters in checkpoints, random states, durable writes ------------------------------


class DropoutRegressor(torch.nn.Module):
    """(N, 5, 1) -> (N,) through dropout: a resumed run equals an uninterrupted one only if the
    generator that dropout draws from (torch's CPU one, or CUDA's on a GPU) is restored too."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(5, 16), torch.nn.Tanh(),
                                       torch.nn.Dropout(0.5), torch.nn.Linear(16, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def interrupted_and_straight(tmp_path, make_model, device="cpu", **kwargs):
    """Train 6 epochs straight, and 3 epochs then 3 more resumed in a fresh model; return both models and histories."""
    torch.manual_seed(11)
    X, y = windows()
    X, y = X.to(device), y.to(device)
    torch.manual_seed(12)
    straight = make_model().to(device)
    start = copy.deepcopy(straight.state_dict())
    h_straight = train.fit(straight, (X[:32], y[:32]), epochs=6, progress=False, **kwargs)
    torch.manual_seed(12)
    interrupted = make_model().to(device)
    interrupted.load_state_dict(start)
    path = tmp_path / "ckpt.pt"
    train.fit(interrupted, (X[:32], y[:32]), epochs=3, checkpoint=path, progress=False, **kwargs)
    torch.manual_seed(99)  # a new process: other weights, other global generator states
    if device == "cuda":
        torch.cuda.manual_seed_all(99)
    resumed = make_model().to(device)
    h_resumed = train.fit(resumed, (X[:32], y[:32]), epochs=6, checkpoint=path, resume=True, progress=False, **kwargs)
    return straight, h_straight, resumed, h_resumed


def test_resumed_fit_with_dropout_equals_uninterrupted_fit(tmp_path):
    straight, h_straight, resumed, h_resumed = interrupted_and_straight(tmp_path, DropoutRegressor, batch_size=8)
    assert h_resumed == h_straight
    assert parameters_equal(resumed, straight)


def test_checkpoint_records_the_hyperparameters_the_run_was_started_with(tmp_path):
    torch.manual_seed(13)
    X, y = windows()
    path = tmp_path / "ckpt.pt"
    train.fit(Forecaster(1, 4), (X[:32], y[:32]), valid=(X[32:], y[32:]), epochs=2, lr=3e-2, batch_size=8,
              clip_norm=0.5, patience=4, seed=7, checkpoint=path, progress=False)
    recorded = torch.load(path, weights_only=True)["hyperparameters"]
    assert recorded == {"function": "fit", "epochs": 2, "lr": 3e-2, "batch_size": 8, "clip_norm": 0.5, "patience": 4,
                        "stop_below": None, "seed": 7, "loss_fn": "mse_loss", "train_shapes": [[32, 5, 1], [32]],
                        "valid_shapes": [[16, 5, 1], [16]]}


@pytest.mark.parametrize("changed, was, now", [
    ({"lr": 5e-3}, "lr=0.02", "lr=0.005"),
    ({"batch_size": 16}, "batch_size=8", "batch_size=16"),
    ({"clip_norm": 1.0}, "clip_norm=None", "clip_norm=1.0"),
    ({"seed": 1}, "seed=0", "seed=1"),
    ({"loss_fn": torch.nn.functional.l1_loss}, "loss_fn='mse_loss'", "loss_fn='l1_loss'"),
])
def test_resume_refuses_other_hyperparameters_than_the_checkpoints(tmp_path, changed, was, now):
    torch.manual_seed(14)
    X, y = windows()
    path = tmp_path / "ckpt.pt"
    kwargs = dict(lr=2e-2, batch_size=8, progress=False, checkpoint=path)
    model = Forecaster(1, 4)
    train.fit(model, (X, y), epochs=2, **kwargs)
    before = torch.load(path, weights_only=True)
    with pytest.raises(ValueError) as info:
        train.fit(model, (X, y), epochs=4, **{**kwargs, **changed}, resume=True)
    message = str(info.value)
    assert message.startswith("fit: the checkpoint") and f"was started with {was}" in message, message
    assert f"asks for {now}" in message and "resume='override'" in message, message
    after = torch.load(path, weights_only=True)
    assert after["epoch"] == before["epoch"] == 1  # nothing trained, nothing written


def test_resume_override_continues_the_run_with_the_new_learning_rate(tmp_path):
    torch.manual_seed(15)
    X, y = windows()
    path = tmp_path / "ckpt.pt"
    torch.manual_seed(16)
    model = Forecaster(1, 4)
    train.fit(model, (X, y), epochs=3, lr=2e-2, checkpoint=path, progress=False)
    # The reference: the checkpoint's model and Adam state, the learning rate set to 5e-3 by hand,
    # then three more full-batch steps (what fit does per epoch with batch_size=None).
    reference = Forecaster(1, 4)
    optimizer = torch.optim.Adam(reference.parameters(), lr=2e-2)
    train.load_checkpoint(path, reference, optimizer)
    for group in optimizer.param_groups:
        group["lr"] = 5e-3
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(reference(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    kept_lr = Forecaster(1, 4)  # what resuming did before: Adam's state dict brings back the old lr
    train.load_checkpoint(path, kept_lr)
    train.fit(kept_lr, (X, y), epochs=3, lr=2e-2, progress=False)

    resumed = Forecaster(1, 4)
    history = train.fit(resumed, (X, y), epochs=6, lr=5e-3, checkpoint=path, resume="override", progress=False)
    assert history.train_loss[3:] == losses
    assert parameters_equal(resumed, reference)
    assert not parameters_equal(resumed, kept_lr)
    saved = torch.load(path, weights_only=True)
    assert saved["hyperparameters"]["lr"] == 5e-3 and saved["optimizer"]["param_groups"][0]["lr"] == 5e-3
    # The checkpoint now records the new learning rate: resuming with it needs no override.
    train.fit(Forecaster(1, 4), (X, y), epochs=7, lr=5e-3, checkpoint=path, resume=True, progress=False)


def test_resume_refuses_a_checkpoint_that_trained_more_epochs_than_asked(tmp_path):
    torch.manual_seed(17)
    X, y = windows()
    path = tmp_path / "ckpt.pt"
    train.fit(Forecaster(1, 4), (X, y), epochs=4, checkpoint=path, progress=False)
    for resume in (True, "override"):
        with pytest.raises(ValueError, match=r"fit: the checkpoint .* has already trained 4 epochs, more than epochs=2"):
            train.fit(Forecaster(1, 4), (X, y), epochs=2, checkpoint=path, resume=resume, progress=False)


def test_resume_of_a_checkpoint_without_hyperparameters_needs_override(tmp_path):
    torch.manual_seed(18)
    X, y = windows()
    path = tmp_path / "ckpt.pt"
    train.fit(Forecaster(1, 4), (X, y), epochs=2, checkpoint=path, progress=False)
    old = torch.load(path, weights_only=True)
    del old["hyperparameters"]  # as an older companion wrote it
    torch.save(old, path)
    with pytest.raises(ValueError, match="records no hyperparameters"):
        train.fit(Forecaster(1, 4), (X, y), epochs=3, checkpoint=path, resume=True, progress=False)
    history = train.fit(Forecaster(1, 4), (X, y), epochs=3, checkpoint=path, resume="override", progress=False)
    assert len(history.train_loss) == 3


def test_save_checkpoint_syncs_the_temporary_file_before_renaming_it(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        target = os.readlink(f"/proc/self/fd/{fd}")
        events.append(("fsync", target, os.path.getsize(target) if os.path.isfile(target) else None))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", os.fspath(src), os.fspath(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    model = Forecaster(1, 3)
    path = tmp_path / "ckpt.pt"
    train.save_checkpoint(path, model=model, optimizer=torch.optim.Adam(model.parameters()), epoch=0,
                          history=train.History())
    tmp = f"{path}.tmp"
    kinds = [e[0] for e in events]
    assert ("replace", tmp, str(path)) in events, events
    synced = [e for e in events if e[0] == "fsync" and e[1] == tmp]
    assert synced and synced[0][2] > 0, events  # the whole file was written when it was synced
    assert events.index(synced[0]) < events.index(("replace", tmp, str(path))), events
    assert kinds[-1] == "fsync" and events[-1][1] == str(tmp_path), events  # and the directory after the rename
    assert not os.path.exists(tmp)


def test_cuda_random_states_are_saved_and_restored_where_cuda_is_present(tmp_path, monkeypatch):
    """On a machine without CUDA, stand-ins for torch.cuda's generator functions record what fit
    saves and restores; the gpu test below does it for real."""
    torch.manual_seed(19)
    fake_state = torch.randint(0, 256, (16,), dtype=torch.uint8)
    restored = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: [fake_state.clone()])
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda states: restored.append(states))
    X, y = windows()
    path = tmp_path / "ckpt.pt"
    train.fit(Forecaster(1, 3), (X, y), epochs=1, checkpoint=path, progress=False)
    saved = torch.load(path, weights_only=True)["cuda_rng"]
    assert len(saved) == 1 and torch.equal(saved[0], fake_state)
    train.fit(Forecaster(1, 3), (X, y), epochs=2, checkpoint=path, resume=True, progress=False)
    assert len(restored) == 1 and len(restored[0]) == 1
    assert torch.equal(restored[0][0], fake_state) and restored[0][0].device.type == "cpu"


@pytest.mark.gpu
def test_resumed_fit_on_cuda_equals_uninterrupted_fit(tmp_path):
    # On CUDA, load_checkpoint maps tensors to the GPU; the generators' states must still be restored
    # from CPU ByteTensors, and dropout's CUDA generator must resume too.
    straight, h_straight, resumed, h_resumed = interrupted_and_straight(tmp_path, DropoutRegressor, device="cuda",
                                                                        batch_size=8)
    assert h_resumed == h_straight
    assert parameters_equal(resumed, straight)
    state = train.load_checkpoint(tmp_path / "ckpt.pt", resumed)
    assert state["torch_rng"].device.type == "cpu" and state["generator"].device.type == "cpu"
    assert state["cuda_rng"] and all(s.device.type == "cpu" for s in state["cuda_rng"])


def test_fit_orders_batches_by_the_run_seed_unless_given(monkeypatch):
    """seed=None follows RECURRENT_SEED: the same run seed gives the same model, another seed another."""
    X, y = torch.randn(40, 3), torch.randn(40, 1)

    def trained(run_seed, seed=None):
        monkeypatch.setenv("RECURRENT_SEED", str(run_seed))
        torch.manual_seed(123)  # the same initial weights every time
        model = torch.nn.Linear(3, 1)
        history = train.fit(model, (X, y), epochs=2, batch_size=8, seed=seed, progress=False)
        return model.weight.detach().clone(), history.train_loss

    w3, _ = trained(3)
    w3_again, _ = trained(3)
    w4, _ = trained(4)
    w_explicit, _ = trained(4, seed=3)
    assert torch.equal(w3, w3_again)
    assert not torch.equal(w3, w4), "RECURRENT_SEED did not change the batch order"
    assert torch.equal(w3, w_explicit), "an explicit seed did not override the run's seed"
