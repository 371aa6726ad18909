"""minGRU and minLSTM (companion.minimal): the parallel log-space scan equals the sequential
mode and a plain loop written here from Feng et al.'s (2024) equations, in float64."""

import pytest
import torch

from companion import MinGRU, MinLSTM
from companion.minimal import log_scan

T, B, I, H = 7, 3, 4, 5


def g(v):
    """Feng et al.'s g, written out: v + 1/2 for v >= 0, the logistic sigmoid below."""
    return torch.where(v >= 0, v + 0.5, 1 / (1 + torch.exp(-v)))


def plain_loop(layer, x, h):
    """The equations, one step at a time, from the layer's weights: x (T, B, I), h (B, H)."""
    W, b = layer.linear.weight, layer.linear.bias
    states = []
    for t in range(x.shape[0]):
        pre = x[t] @ W.T + b
        if isinstance(layer, MinGRU):
            z = 1 / (1 + torch.exp(-pre[:, :H]))
            h = (1 - z) * h + z * g(pre[:, H:])
        else:
            f, i = 1 / (1 + torch.exp(-pre[:, :H])), 1 / (1 + torch.exp(-pre[:, H : 2 * H]))
            h = f / (f + i) * h + i / (f + i) * g(pre[:, 2 * H :])
        states.append(h)
    return torch.stack(states)


def make(cls, seed=0, **kwargs):
    torch.manual_seed(seed)
    layer = cls(I, H, dtype=torch.float64, **kwargs)
    with torch.no_grad():
        layer.linear.weight.mul_(3)  # gates near 0 and 1 and candidates of both signs, so g's two branches run
    return layer


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
@pytest.mark.parametrize("with_h0", [False, True])
def test_parallel_equals_sequential_equals_the_equations(cls, with_h0):
    layer = make(cls)
    x = torch.randn(T, B, I, dtype=torch.float64)
    h0 = torch.randn(1, B, H, dtype=torch.float64) if with_h0 else None
    expected = plain_loop(layer, x, h0[0] if with_h0 else torch.zeros(B, H, dtype=torch.float64))
    for mode in ("parallel", "sequential"):
        output, h_n = layer(x, h0, mode=mode)
        assert output.shape == (T, B, H) and h_n.shape == (1, B, H)
        torch.testing.assert_close(output, expected, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(h_n[0], expected[-1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
def test_layouts_batch_first_and_unbatched(cls):
    layer = make(cls, batch_first=True)
    x = torch.randn(B, T, I, dtype=torch.float64)
    output, h_n = layer(x)
    expected = plain_loop(layer, x.transpose(0, 1), torch.zeros(B, H, dtype=torch.float64))
    torch.testing.assert_close(output, expected.transpose(0, 1))
    single, h_single = layer(x[1])  # unbatched (T, I)
    assert single.shape == (T, H) and h_single.shape == (1, H)
    torch.testing.assert_close(single, expected[:, 1])


def test_a_long_sequence_does_not_underflow():
    """4,096 steps of gates near 1: the product of the a_t is far below float64's range, the states are not."""
    layer = make(MinGRU)
    x = torch.randn(4096, 2, I, dtype=torch.float64)
    parallel, _ = layer(x)
    sequential, _ = layer(x, mode="sequential")
    assert torch.isfinite(parallel).all()
    torch.testing.assert_close(parallel, sequential, rtol=1e-8, atol=1e-10)


def test_log_scan_solves_the_linear_recurrence():
    torch.manual_seed(1)
    a, b = torch.rand(T, B, H, dtype=torch.float64), torch.rand(T, B, H, dtype=torch.float64)
    h = torch.randn(B, H, dtype=torch.float64)
    states = log_scan(a.log(), b.log(), h)
    for t in range(T):
        h = a[t] * h + b[t]
        torch.testing.assert_close(states[t], h)


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
@pytest.mark.parametrize("mode", ["parallel", "sequential"])
def test_gradcheck(cls, mode):
    layer = make(cls)
    x = torch.randn(4, 2, I, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, 2, H, dtype=torch.float64, requires_grad=True)
    W, b = layer.linear.weight, layer.linear.bias
    assert torch.autograd.gradcheck(lambda x, h0, W, b: torch.func.functional_call(
        layer, {"linear.weight": W, "linear.bias": b}, (x, h0), {"mode": mode})[0], (x, h0, W, b))


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
def test_bad_input(cls):
    name = cls.__name__
    layer = cls(I, H)
    with pytest.raises(ValueError, match=rf"{name}: expected input of shape \(T, B, 4\) or an unbatched \(T, 4\), "
                                         r"got \(2, 3, 4, 4\)"):
        layer(torch.randn(2, 3, 4, 4))
    with pytest.raises(RuntimeError, match=rf"{name}: expected input of shape .*, got \(7, 3, 5\)"):
        layer(torch.randn(7, 3, 5))
    with pytest.raises(ValueError, match=rf"{name}: expected input of dtype torch.float32 .* got torch.float64"):
        layer(torch.randn(7, 3, 4, dtype=torch.float64))
    with pytest.raises(RuntimeError, match=rf"{name}: expected a sequence of at least one time step, got T=0"):
        layer(torch.randn(0, 3, 4))
    with pytest.raises(RuntimeError, match=rf"{name}: expected h0 of shape \(1, 3, 5\) \(1, B, H\), got \(3, 5\)"):
        layer(torch.randn(7, 3, 4), torch.zeros(3, 5))
    with pytest.raises(ValueError, match=rf"{name}: mode must be 'parallel' or 'sequential', got 'serial'"):
        layer(torch.randn(7, 3, 4), mode="serial")
    with pytest.raises(TypeError, match=rf"{name}: expected input to be a torch.Tensor, got list"):
        layer([[1.0] * 4])
    packed = torch.nn.utils.rnn.pack_sequence([torch.randn(3, 4)])
    with pytest.raises(TypeError, match=rf"{name}: PackedSequence input is not supported"):
        layer(packed)
    with pytest.raises(ValueError, match=rf"{name}: hidden_size must be greater than zero, got 0"):
        cls(I, 0)
    with pytest.raises(TypeError, match=rf"{name}: batch_first should be of type bool"):
        cls(I, H, batch_first=1)
