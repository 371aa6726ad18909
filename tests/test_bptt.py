"""companion.bptt: the hand-written torch backward equals autograd and passes gradcheck, the
Jacobian norms equal autograd's Jacobians, and truncated BPTT carries the state across chunks
while stopping the gradient at their boundaries."""

import numpy as np
import pytest
import torch

import companion
from companion.bptt import chunk_lengths, jacobian_norms, rnn_by_hand, rnn_step_backward, run_chunks
from helpers import assert_close

TOL = 1e-8


def random_rnn(seed: int, requires_grad: bool = True):
    """A random tanh RNN problem of random sizes in float64: leaves x (B, T, I), h0, W_xh, W_hh, b_h."""
    gen = torch.Generator().manual_seed(seed)
    B, T, I, H = (int(v) for v in torch.randint(1, 6, (4,), generator=gen))
    shapes = {"x": (B, T, I), "h0": (B, H), "W_xh": (H, I), "W_hh": (H, H), "b_h": (H,)}
    return {k: (torch.randn(*s, generator=gen, dtype=torch.float64) * 0.8).requires_grad_(requires_grad)
            for k, s in shapes.items()}


def autograd_rnn(x, h0, W_xh, W_hh, b_h):
    """The same RNN as a plain loop of differentiable operations: autograd does the backward."""
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ W_xh.T + h @ W_hh.T + b_h)
        hs.append(h)
    return torch.stack(hs, dim=1)


@pytest.mark.parametrize("seed", range(6))
def test_hand_written_torch_backward_equals_autograd_in_float64(seed):
    leaves = random_rnn(seed)
    ours = {k: v.detach().clone().requires_grad_() for k, v in leaves.items()}
    hs_ref, hs_ours = autograd_rnn(**leaves), rnn_by_hand(**ours)
    assert_close(hs_ours, hs_ref, "hidden states", tol=TOL)
    weights = torch.randn(hs_ref.shape, dtype=torch.float64)  # a random functional of every h_t
    (hs_ref * weights).sum().backward()
    (hs_ours * weights).sum().backward()
    for name in leaves:
        assert_close(ours[name].grad, leaves[name].grad, f"gradient of {name}", tol=TOL)


@pytest.mark.parametrize("seed", range(3))
def test_hand_written_torch_backward_passes_gradcheck(seed):
    leaves = random_rnn(100 + seed)
    assert torch.autograd.gradcheck(rnn_by_hand, tuple(leaves.values()), eps=1e-6, atol=1e-7)


def test_hand_written_backward_gives_numpy_rnns_gradients_through_a_readout(rng):
    model = companion.NumpyRNN(3, 4, 2, seed=int(rng.integers(1000)))
    xs, targets, h0 = rng.normal(size=(5, 3)), rng.normal(size=(5, 2)), rng.normal(size=4) * 0.5
    expected = model.backward(xs, targets, h0)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    h0_t = torch.tensor(h0, requires_grad=True)
    hs = rnn_by_hand(torch.tensor(xs)[None], h0_t[None], p["W_xh"], p["W_hh"], p["b_h"])[0]
    loss = 0.5 * ((hs @ p["W_hy"].T + p["b_y"] - torch.tensor(targets)) ** 2).sum()
    loss.backward()
    for name in p:
        assert_close(p[name].grad, torch.tensor(expected[name]), f"gradient of {name}", tol=TOL)
    assert_close(h0_t.grad, torch.tensor(expected["h0"]), "gradient of h0", tol=TOL)


@pytest.mark.parametrize("batched", [False, True])
def test_rnn_step_backward_matches_autograd(batched):
    leaves = random_rnn(int(torch.randint(10**6, ())))
    x_t, h_prev = leaves["x"][:, 0], leaves["h0"]
    if not batched:
        x_t, h_prev = x_t[0], h_prev[0]
    h_t = torch.tanh(x_t @ leaves["W_xh"].T + h_prev @ leaves["W_hh"].T + leaves["b_h"])
    delta_t = torch.randn_like(h_t)
    grads = torch.autograd.grad((h_t * delta_t).sum(), [leaves["W_xh"], leaves["W_hh"], leaves["b_h"], h_prev, x_t])
    got = rnn_step_backward(delta_t, h_t.detach(), h_prev.detach(), x_t.detach(),
                            leaves["W_xh"].detach(), leaves["W_hh"].detach())
    for name, expected in zip(["W_xh", "W_hh", "b_h", "h_prev", "x_t"], grads):
        assert_close(got[name], expected, f"{name} (batched={batched})", tol=TOL)


def test_jacobian_norms_equal_the_norms_of_autograd_jacobians():
    gen = torch.Generator().manual_seed(int(torch.randint(10**6, ())))
    T, H, I = 7, 4, 2
    W_xh, W_hh = torch.randn(H, I, generator=gen, dtype=torch.float64), torch.randn(H, H, generator=gen, dtype=torch.float64)
    x = torch.randn(T, I, generator=gen, dtype=torch.float64)
    hs = autograd_rnn(x[None], torch.zeros(1, H, dtype=torch.float64), W_xh, W_hh, torch.zeros(H, dtype=torch.float64))[0]

    def h_T_from(k):  # h_T as a function of h_{T-k}; hs[T-1-k] is h_{T-k}
        def run(h):
            for t in range(T - k, T):
                h = torch.tanh(W_xh @ x[t] + W_hh @ h)
            return h
        return run

    norms = jacobian_norms(W_hh, hs)
    assert norms.shape == (T,)
    for k in range(T):
        J = torch.autograd.functional.jacobian(h_T_from(k), hs[T - 1 - k])
        assert abs(norms[k].item() - torch.linalg.matrix_norm(J, ord=2).item()) < 1e-10, f"lag {k}"


def test_chunk_lengths_cover_the_sequence_fixed_and_random():
    assert chunk_lengths(10, None) == [10]
    assert chunk_lengths(10, 4) == [4, 4, 2]
    gen = torch.Generator().manual_seed(int(torch.randint(10**6, ())))
    lengths = chunk_lengths(5000, 6, randomise=True, generator=gen)
    assert sum(lengths) == 5000 and min(lengths) >= 1 and max(lengths[:-1]) <= 11
    assert max(lengths) > 6, "random truncation must sometimes reach past the mean length"
    assert abs(np.mean(lengths[:-1]) - 6) < 0.5
    with pytest.raises(ValueError, match="chunk_lengths: chunk_length must be a positive integer or None, got 0"):
        chunk_lengths(10, 0)


def sequence_model(cell: str):
    torch.manual_seed(int(torch.randint(10**6, ())))
    return companion.models.SequenceRegressor(input_size=2, hidden_size=5, cell=cell).double()


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_truncated_bptt_carries_the_state_from_chunk_to_chunk(cell):
    model = sequence_model(cell)
    x = torch.randn(3, 17, 2, dtype=torch.float64)
    whole, _ = model(x)
    lengths = [5, 1, 7, 4]
    pieces = [out for _, _, out in run_chunks(model, x, lengths)]
    assert_close(torch.cat(pieces, dim=1), whole, "outputs of the chunks vs one long forward pass", tol=1e-12)
    # The control: starting chunk 2 from the zero state instead gives different outputs.
    restarted, _ = model(x[:, 5:6])
    assert not torch.allclose(restarted, pieces[1]), "chunk 2 must start from chunk 1's final state, not zeros"


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_truncated_bptt_stops_the_gradient_at_chunk_boundaries(cell):
    model = sequence_model(cell)
    x = torch.randn(2, 12, 2, dtype=torch.float64, requires_grad=True)
    for detach in (True, False):
        chunks = run_chunks(model, x, [4, 4, 4], detach=detach)
        next(chunks)  # chunk 1: steps 0..3
        start, stop, out = next(chunks)  # chunk 2: steps 4..7
        (grad,) = torch.autograd.grad(out.sum(), x)
        assert grad[:, start:stop].abs().sum() > 0, "the loss of a chunk must reach its own inputs"
        before = grad[:, :start].abs().max().item()
        if detach:
            assert before == 0, f"gradient of chunk 2's loss leaked into chunk 1's inputs: max {before:.3g}"
        else:
            assert before > 0, "control: without detaching, the gradient reaches chunk 1"


def test_jacobian_norms_at_zero_states_are_the_norms_of_matrix_powers_also_for_a_non_normal_matrix():
    # The bptt chapter's counter-example: spectral radius 0.78, yet the products grow a thousandfold
    # before they decay. Reference: torch.linalg.matrix_power, independent of jacobian_norms' loop.
    H, T = 8, 120
    W = 0.78 * torch.eye(H, dtype=torch.float64) + torch.diag(torch.ones(H - 1, dtype=torch.float64), 1)
    norms = jacobian_norms(W, torch.zeros(T, H, dtype=torch.float64))
    powers = torch.stack([torch.linalg.matrix_power(W, k) for k in range(T)])
    assert torch.allclose(norms, torch.linalg.matrix_norm(powers, ord=2), rtol=1e-10, atol=1e-12)
    assert torch.linalg.eigvals(W).abs().max() < 1 < norms.max() / 1000
