"""On CUDA, companion's layers equal torch.nn on the CPU and on CUDA, in float64.
Every test here is marked ``gpu``; conftest.py skips them where CUDA is absent."""

import random
import re
import zlib

import pytest
import torch

import companion
from helpers import (
    LAYERS,
    config_id,
    generator,
    layer_config,
    layer_kwargs,
    layer_leaves,
    make_pair,
    module_call,
    packed_call,
    packed_leaves,
    run_and_compare,
)

pytestmark = pytest.mark.gpu

REFERENCES = ["cpu", "cuda"]  # where torch.nn runs; companion runs on CUDA


def gpu_configs():
    rng = random.Random(7)
    configs = []
    for kind in LAYERS:
        configs.append(layer_config(rng, kind, num_layers=2, bidirectional=True, batched=True, with_hx=True,
                                    bias=True, input_size=3, hidden_size=5, T=6, B=3))
        configs.append(layer_config(rng, kind))  # one random configuration more
    return configs


@pytest.mark.parametrize("ref_device", REFERENCES, ids=lambda d: f"torch_nn_on_{d}")
@pytest.mark.parametrize("cfg", gpu_configs(), ids=config_id)
def test_layer_on_cuda_matches_torch_nn(cfg, ref_device):
    seed = zlib.crc32(config_id(cfg).encode())
    gen = generator(seed)
    torch.manual_seed(seed)
    ref, ours = make_pair(cfg["kind"], device="cuda", ref_device=ref_device, **layer_kwargs(cfg))
    run_and_compare(ref, ours, layer_leaves(cfg, gen), module_call(cfg["kind"]), gen)


@pytest.mark.parametrize("ref_device", REFERENCES, ids=lambda d: f"torch_nn_on_{d}")
@pytest.mark.parametrize("enforce_sorted,lengths", [(False, [2, 6, 1, 4]), (True, [6, 3, 3, 1])], ids=["unsorted", "sorted"])
@pytest.mark.parametrize("kind", LAYERS)
def test_layer_on_cuda_matches_torch_nn_on_packed_sequences(kind, enforce_sorted, lengths, ref_device):
    seed = zlib.crc32(f"{kind}{enforce_sorted}{ref_device}".encode())
    gen = generator(seed)
    torch.manual_seed(seed)
    ref, ours = make_pair(kind, 3, 4, num_layers=2, bidirectional=True, device="cuda", ref_device=ref_device)
    run_and_compare(ref, ours, packed_leaves(gen, lengths, 3), packed_call(kind, lengths, enforce_sorted), gen)


@pytest.mark.parametrize("kind", LAYERS)
def test_hidden_state_on_cpu_with_input_on_cuda_raises_a_clear_device_error(kind):
    layer = getattr(companion, kind)(3, 4).cuda()
    x, h = torch.randn(5, 2, 3, device="cuda"), torch.zeros(1, 2, 4)
    hx = (h, h) if kind == "LSTM" else h
    with pytest.raises(RuntimeError) as info:
        layer(x, hx)
    message = str(info.value)
    assert re.search(r"expected (hx|h_0) on device cuda(:0)? .*got cpu", message), message


def test_input_on_cuda_with_module_on_cpu_raises_a_clear_device_error():
    with pytest.raises(RuntimeError, match=r"expected input on device cpu .*got cuda"):
        companion.GRUCell(3, 4)(torch.randn(2, 3, device="cuda"))


@pytest.mark.parametrize("lengths_on", ["cpu", "cuda"])
def test_masking_on_cuda_equals_the_cpu_whichever_device_the_lengths_are_on(lengths_on):
    from companion.masking import lengths_to_mask, masked_mean, reverse_padded

    x = torch.randn(3, 5, 2, generator=generator(0), dtype=torch.float64)
    lengths = torch.tensor([5, 2, 3])
    got = reverse_padded(x.cuda(), lengths.to(lengths_on))
    assert got.device.type == "cuda"
    torch.testing.assert_close(got.cpu(), reverse_padded(x, lengths), rtol=0, atol=0)
    mask = lengths_to_mask(lengths.to(lengths_on))
    assert mask.device.type == lengths_on and torch.equal(mask.cpu(), lengths_to_mask(lengths))
    mean = masked_mean(x.cuda(), lengths.to(lengths_on))
    assert mean.device.type == "cuda"
    torch.testing.assert_close(mean.cpu(), masked_mean(x, lengths))
