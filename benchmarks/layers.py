"""Speed of companion's layers against torch.nn's, forward and backward.

    python benchmarks/layers.py            # on the best device present (CUDA, MPS, CPU)
    python benchmarks/layers.py --device cpu --repeats 20

Prints one row per layer and size: milliseconds per forward+backward pass of a batch for
``companion.<Layer>`` and ``torch.nn.<Layer>`` with the same weights, and their ratio.
companion's layers loop over time steps in Python (the code is the equation); torch.nn runs
a fused C++/cuDNN loop. This is a measurement to read, not a test: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

import companion
from companion import config

SIZES = [  # (B, T, I, H, layers, bidirectional)
    (32, 50, 16, 64, 1, False),
    (32, 50, 16, 64, 2, True),
    (64, 200, 32, 128, 1, False),
]


def time_pass(layer: nn.Module, x: torch.Tensor, repeats: int) -> float:
    """Median milliseconds of one forward and backward pass."""

    def once():
        layer.zero_grad(set_to_none=True)
        output, _ = layer(x)
        output.sum().backward()

    def sync():
        if x.device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(2):  # warm-up: allocations, cuDNN plans
        once()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        once()
        sync()
        times.append(1000 * (time.perf_counter() - start))
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=str(config.device()), help="cpu, cuda or mps (default: the best present)")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    print(f"device: {device}  torch {torch.__version__}  threads: {torch.get_num_threads()}")
    print(f"{'layer':<6}{'B':>4}{'T':>5}{'I':>4}{'H':>5}{'L':>3}{'bi':>4}{'companion ms':>14}{'torch.nn ms':>13}{'ratio':>8}")
    for name in ("RNN", "LSTM", "GRU"):
        for B, T, I, H, L, bi in SIZES:
            reference = getattr(nn, name)(I, H, num_layers=L, bidirectional=bi, batch_first=True).to(device)
            ours = getattr(companion, name)(I, H, num_layers=L, bidirectional=bi, batch_first=True).to(device)
            ours.load_state_dict(reference.state_dict())
            x = torch.randn(B, T, I, device=device, requires_grad=True)
            ms_ours, ms_ref = time_pass(ours, x, args.repeats), time_pass(reference, x, args.repeats)
            print(f"{name:<6}{B:>4}{T:>5}{I:>4}{H:>5}{L:>3}{'yes' if bi else 'no':>4}"
                  f"{ms_ours:>14.2f}{ms_ref:>13.2f}{ms_ours / ms_ref:>8.1f}")


if __name__ == "__main__":
    main()
