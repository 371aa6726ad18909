"""companion's RNNCell, LSTMCell and GRUCell equal their torch.nn namesakes in float64:
outputs, and gradients of every parameter, of the input and of the state."""

import zlib

import pytest
import torch

import companion

from helpers import CELLS, assert_state_dict_moves_both_ways, generator, make_pair, module_call, randn, run_and_compare

CELL_KINDS = [("RNNCell", "tanh"), ("RNNCell", "relu"), ("LSTMCell", None), ("GRUCell", None)]


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_hx", [True, False], ids=["hx", "no_hx"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("kind,nonlinearity", CELL_KINDS, ids=[f"{k}-{n}" if n else k for k, n in CELL_KINDS])
def test_cell_matches_torch_nn_outputs_and_gradients(kind, nonlinearity, bias, with_hx, batched):
    seed = zlib.crc32(f"{kind}{nonlinearity}{bias}{with_hx}{batched}".encode())
    gen = generator(seed)
    I, H, B = (int(v) for v in torch.randint(1, 7, (3,), generator=gen))
    kwargs = {"nonlinearity": nonlinearity} if nonlinearity else {}
    ref, ours = make_pair(kind, I, H, bias=bias, **kwargs)
    lead = (B,) if batched else ()
    leaves = {"x": randn(gen, *lead, I)}
    if with_hx:
        leaves["h"] = randn(gen, *lead, H)
        if kind == "LSTMCell":
            leaves["c"] = randn(gen, *lead, H)
    run_and_compare(ref, ours, leaves, module_call(kind), gen)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("kind", CELLS)
def test_cell_state_dict_loads_both_ways_with_same_keys_and_shapes(kind, bias):
    torch.manual_seed(zlib.crc32(f"{kind}{bias}".encode()))
    assert_state_dict_moves_both_ways(kind, (4, 3), {"bias": bias}, randn(generator(0), 2, 4))


@pytest.mark.parametrize("kind", CELLS)
def test_cell_default_init_is_uniform_within_one_over_sqrt_hidden(kind):
    torch.manual_seed(0)
    H = 16
    cell = getattr(companion, kind)(5, H)
    bound = 1 / H**0.5
    for name, p in cell.named_parameters():
        assert p.abs().max() <= bound, f"{name}: |max| {p.abs().max():.4f} exceeds 1/sqrt(H) = {bound:.4f}"
        assert p.std() > bound / 4, f"{name}: std {p.std():.4f} is too small for uniform(-{bound:.3f}, {bound:.3f})"
