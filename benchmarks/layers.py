"""Speed of companion's layers against torch.nn's, forward and backward.

    python benchmarks/layers.py                      # every size, one CPU thread, best device present
    python benchmarks/layers.py --only headline      # the headline size only: (B 64, T 100, I = H = 128)
    python benchmarks/layers.py --device cpu --threads 2 --repeats 20
    python benchmarks/layers.py --scan               # training-step time against T: minGRU, minLSTM

Prints one row per layer and size: milliseconds per forward+backward pass of a batch for
``companion.<Layer>`` and ``torch.nn.<Layer>`` with the same weights, and their ratio.
companion's layers loop over time steps in Python (the code is the equation); torch.nn runs
a fused C++/cuDNN loop. With ``--scan`` it prints instead the time of one training step
(forward, backward) against the sequence length T for ``torch.nn.LSTM``, companion's readable
``GRU`` and the minimal recurrences ``minGRU`` and ``minLSTM`` (parallel log-space scan).
This is a measurement to read, not a test: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

import companion
from companion import config

HEADLINE = (64, 100, 128, 128, 1, False)  # issue 15's target size: readable LSTM <= 3x torch.nn.LSTM
SIZES = [  # (B, T, I, H, layers, bidirectional)
    (32, 50, 16, 64, 1, False),
    (32, 50, 16, 64, 2, True),
    HEADLINE,
    (64, 200, 32, 128, 1, False),
]
SCAN_LENGTHS = (64, 256, 1024, 4096)  # T for --scan
SCAN_SIZE = (16, 64, 64)  # (B, I, H) for --scan


def time_call(once, device: torch.device, repeats: int) -> float:
    """Median milliseconds of ``once()`` after two warm-up calls."""

    def sync():
        if device.type == "cuda":
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


def time_pass(layer: nn.Module, x: torch.Tensor, repeats: int) -> float:
    """Median milliseconds of one forward and backward pass."""

    def once():
        layer.zero_grad(set_to_none=True)
        output = layer(x)
        output = output[0] if isinstance(output, tuple) else output
        output.sum().backward()

    return time_call(once, x.device, repeats)


def compare_layers(device: torch.device, sizes, repeats: int) -> None:
    print(f"{'layer':<6}{'B':>4}{'T':>5}{'I':>5}{'H':>5}{'L':>3}{'bi':>4}{'companion ms':>14}{'torch.nn ms':>13}"
          f"{'ratio':>8}")
    for name in ("RNN", "LSTM", "GRU"):
        for B, T, I, H, L, bi in sizes:
            reference = getattr(nn, name)(I, H, num_layers=L, bidirectional=bi, batch_first=True).to(device)
            ours = getattr(companion, name)(I, H, num_layers=L, bidirectional=bi, batch_first=True).to(device)
            ours.load_state_dict(reference.state_dict())
            x = torch.randn(B, T, I, device=device, requires_grad=True)
            ms_ours, ms_ref = time_pass(ours, x, repeats), time_pass(reference, x, repeats)
            print(f"{name:<6}{B:>4}{T:>5}{I:>5}{H:>5}{L:>3}{'yes' if bi else 'no':>4}"
                  f"{ms_ours:>14.2f}{ms_ref:>13.2f}{ms_ours / ms_ref:>8.1f}", flush=True)


def compare_scan(device: torch.device, lengths, repeats: int, slow_limit: int) -> None:
    """Training-step time against T: the serial layers beside the parallel minimal recurrences."""
    B, I, H = SCAN_SIZE
    layers = {
        "nn.LSTM": nn.LSTM(I, H, batch_first=True),
        "GRU": companion.GRU(I, H, batch_first=True),
        "minGRU": companion.MinGRU(I, H),
        "minLSTM": companion.MinLSTM(I, H),
    }
    print(f"training step (forward + backward), B {B}, I {I}, H {H}; ms")
    print(f"{'T':>6}" + "".join(f"{name:>12}" for name in layers))
    for T in lengths:
        x = torch.randn(B, T, I, device=device, requires_grad=True)
        row = f"{T:>6}"
        for name, layer in layers.items():
            if name == "GRU" and T > slow_limit:
                row += f"{'(skipped)':>12}"
                continue
            row += f"{time_pass(layer.to(device), x, repeats):>12.2f}"
        print(row, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=str(config.device()), help="cpu, cuda or mps (default: the best present)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--only", choices=("all", "headline"), default="all", help="which sizes to run")
    parser.add_argument("--scan", action="store_true", help="training-step time against T for minGRU and minLSTM")
    parser.add_argument("--slow-limit", type=int, default=1024,
                        help="with --scan, the longest T at which to time the readable GRU (default 1024)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    print(f"device: {device}  torch {torch.__version__}  threads: {torch.get_num_threads()}  "
          f"repeats: {args.repeats} (median)")
    if args.scan:
        compare_scan(device, SCAN_LENGTHS, args.repeats, args.slow_limit)
    else:
        compare_layers(device, [HEADLINE] if args.only == "headline" else SIZES, args.repeats)


if __name__ == "__main__":
    main()
