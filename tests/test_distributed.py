"""Training across processes: two CPU processes under DistributedDataParallel (gloo) take the
same steps as one process on the same global batches (companion.train.distributed)."""

import pytest
import torch
from torch import nn

import companion
from companion.train import fit_distributed, launch_local

N, T, I, H = 21, 5, 3, 4  # 21 examples: the sampler drops one so that two processes share equally
BATCH, EPOCHS, LR, SEED, CLIP = 8, 2, 0.05, 3, 1.0  # global batches of 8, 8, 4 per epoch


class Regressor(nn.Module):
    """companion's GRU, then a linear read-out of the last state: (B, T, I) -> (B,)."""

    def __init__(self):
        super().__init__()
        self.gru = companion.GRU(I, H, batch_first=True, dtype=torch.float64)
        self.out = nn.Linear(H, 1, dtype=torch.float64)

    def forward(self, x):
        return self.out(self.gru(x)[0][:, -1]).squeeze(-1)


def make_problem():
    torch.manual_seed(0)
    model = Regressor()
    X = torch.randn(N, T, I, dtype=torch.float64)
    y = torch.randn(N, dtype=torch.float64)
    return model, X, y


def train_in_process(rank, world, state, X, y):
    """Run in each of the launched processes: train a copy, and try a batch the processes cannot share."""
    model = Regressor()
    model.load_state_dict(state)
    history = fit_distributed(model, (X, y), epochs=EPOCHS, batch_size=BATCH, lr=LR, clip_norm=CLIP, seed=SEED)
    try:
        fit_distributed(Regressor(), (X, y), epochs=1, batch_size=BATCH + 1)
        refused = ""
    except ValueError as error:
        refused = str(error)
    return {"rank": rank, "world": world, "state": model.state_dict(), "train_loss": history.train_loss,
            "refused": refused}


def train_single_process(model, X, y, world):
    """The reference, written from the definition: Adam on the global batches, one process.
    DistributedSampler's permutation is torch.randperm seeded with seed + epoch, cut to a
    multiple of the number of processes."""
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    losses = []
    for epoch in range(EPOCHS):
        order = torch.randperm(N, generator=torch.Generator().manual_seed(SEED + epoch))[: N - N % world]
        total = 0.0
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(X[idx]), y[idx])
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / len(order))
    return losses


def test_two_gloo_processes_equal_one_process_on_the_global_batch():
    model, X, y = make_problem()
    start = {k: v.clone() for k, v in model.state_dict().items()}
    # fork: the two processes start at once (spawn imports torch in each, seconds of CPU); but not
    # once CUDA has been used here (a GPU test before this one): autograd cannot run in a forked child then
    method = "spawn" if torch.cuda.is_available() and torch.cuda.is_initialized() else "fork"
    results = launch_local(train_in_process, 2, (start, X, y), timeout_s=300, start_method=method)
    reference_losses = train_single_process(model, X, y, world=2)
    assert len(results) == 2 and [(r["rank"], r["world"]) for r in results] == [(0, 2), (1, 2)]
    for rank, result in enumerate(results):
        assert result["state"].keys() == model.state_dict().keys()
        for name, value in model.state_dict().items():
            assert not torch.equal(value, start[name]), f"{name} did not move: nothing was trained"
            assert torch.allclose(result["state"][name], value, rtol=0, atol=1e-6), (rank, name)
        assert result["train_loss"] == pytest.approx(reference_losses, abs=1e-9)
        assert "batch_size must be a multiple of the number of processes (2)" in result["refused"]
        assert "got batch_size=9" in result["refused"]


def test_fit_distributed_needs_a_process_group():
    model, X, y = make_problem()
    with pytest.raises(RuntimeError, match="fit_distributed: no process group; call init_from_env"):
        fit_distributed(model, (X, y), epochs=1, batch_size=4)


def test_launch_local_refuses_bad_arguments():
    with pytest.raises(ValueError, match="launch_local: nprocs must be"):
        launch_local(train_in_process, 0)
    with pytest.raises(ValueError, match="launch_local: backend must be 'gloo' or 'nccl', got 'mpi'"):
        launch_local(train_in_process, 2, backend="mpi")
    with pytest.raises(TypeError, match="launch_local: expected fn to be"):
        launch_local("train", 2)
    with pytest.raises(ValueError, match="launch_local: start_method must be 'spawn', 'fork' or 'forkserver'"):
        launch_local(train_in_process, 2, start_method="thread")
    with pytest.raises(TypeError, match="launch_local: expected args to be a tuple, got"):
        launch_local(train_in_process, 2, args=[1])
