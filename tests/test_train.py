"""companion.train beyond the basics of fit (tests/test_data_metrics_train.py): checkpoints that
restore bit for bit and resume identically, device placement, and fit_stateful, the truncated-BPTT
training loop for long sequences."""

import copy
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
