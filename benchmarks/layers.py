"""Speed of companion's layers against torch.nn's, forward and backward.

    python benchmarks/layers.py                      # every size, one CPU thread, best device present
    python benchmarks/layers.py --only headline      # the headline size only: (B 64, T 100, I = H = 128)
    python benchmarks/layers.py --layers LSTM GRU --json results.json
    python benchmarks/layers.py --device cpu --threads 2 --repeats 20
    python benchmarks/layers.py --only fastrnns --threads all   # fastrnns' size, every CPU core
    python benchmarks/layers.py --scan               # training-step time against T: minGRU, minLSTM

Prints one row per layer and size: the median milliseconds of the forward pass and of the
backward pass of a batch (timed separately, in the same repetitions, the implementations
taking turns within each repetition) for the readable
``companion.<Layer>``, the fast path ``companion.fast.<Layer>`` (LSTM and GRU only) and
``torch.nn.<Layer>``, all with the same weights, and the ratios of forward+backward to
torch.nn's. The readable layers loop over time steps in Python with autograd's backward (the
code is the equation); the fast layers loop in Python too, with one input GEMM, one gate GEMM
per step and a hand-written backward whose weight gradients are one GEMM over all T·B rows;
torch.nn runs a fused C++/cuDNN loop. ``--json PATH`` also writes the rows, under a header with
the device, torch version, threads, repeats and load average. With ``--scan`` it prints instead
the time of one training step (forward, backward) against the sequence length T for
``torch.nn.LSTM``, companion's readable ``GRU`` and the minimal recurrences ``minGRU`` and
``minLSTM`` (parallel log-space scan).
This is a measurement to read, not a test: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import torch
from torch import nn

import companion
from companion import config

HEADLINE = (64, 100, 128, 128, 1, False)  # issue 15's target size: readable LSTM <= 3x, fast <= 1.6x torch.nn.LSTM
FASTRNNS = (64, 100, 512, 512, 1, False)  # PyTorch's fastrnns benchmark: seq 100, batch 64, input = hidden = 512
SIZES = [  # (B, T, I, H, layers, bidirectional)
    (32, 50, 16, 64, 1, False),
    (32, 50, 16, 64, 2, True),
    HEADLINE,
    FASTRNNS,
    (1, 100, 128, 128, 1, False),  # batch of one: per-step overhead, no batch to amortise it
    (64, 200, 32, 128, 1, False),
    (16, 1000, 64, 64, 1, False),  # a long sequence
]
IMPLS = ("readable", "fast", "torch.nn")
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


def time_forward_backward(layers: dict, x: torch.Tensor, repeats: int) -> dict:
    """``{name: (forward ms, backward ms)}``: medians over ``repeats`` passes, after two warm-up
    passes. The layers take turns within each repetition, so that a change in the machine's
    load during the run falls on all of them alike rather than on whichever ran then."""

    cuda = x.device.type == "cuda"
    times = {name: ([], []) for name in layers}
    for k in range(repeats + 2):
        for name, layer in layers.items():
            layer.zero_grad(set_to_none=True)
            x.grad = None
            if cuda:  # CUDA events time the GPU's work, not the Python thread that queues it
                start, middle, end = (torch.cuda.Event(enable_timing=True) for _ in range(3))
                torch.cuda.synchronize()
                start.record()
            else:
                start = time.perf_counter()
            output = layer(x)
            loss = (output[0] if isinstance(output, tuple) else output).sum()
            if cuda:
                middle.record()
            else:
                middle = time.perf_counter()
            loss.backward()
            if cuda:
                end.record()
                torch.cuda.synchronize()
                forward, backward = start.elapsed_time(middle), middle.elapsed_time(end)
            else:
                end = time.perf_counter()
                forward, backward = 1000 * (middle - start), 1000 * (end - middle)
            if k >= 2:
                times[name][0].append(forward)
                times[name][1].append(backward)
    median = lambda v: sorted(v)[len(v) // 2]  # noqa: E731
    return {name: (median(forward), median(backward)) for name, (forward, backward) in times.items()}


def make_layers(name: str, size, device: torch.device) -> dict:
    """``{"readable": ..., "fast": ..., "torch.nn": ...}`` with torch.nn's weights (no fast RNN)."""
    B, T, I, H, L, bi = size
    reference = getattr(nn, name)(I, H, num_layers=L, bidirectional=bi, batch_first=True).to(device)
    layers = {"torch.nn": reference,
              "readable": getattr(companion, name)(I, H, num_layers=L, bidirectional=bi, batch_first=True).to(device)}
    if hasattr(companion.fast, name):
        quick = getattr(companion.fast, name)(I, H, num_layers=L, bidirectional=bi, batch_first=True)
        layers["fast"] = quick.to(device)
    for layer in layers.values():
        layer.load_state_dict(reference.state_dict())
    return layers


def compare_layers(device: torch.device, sizes, repeats: int, kinds=("RNN", "LSTM", "GRU")) -> list[dict]:
    """Print the table; return its rows (milliseconds per implementation, forward and backward)."""
    head = f"{'layer':<6}{'B':>4}{'T':>6}{'I':>5}{'H':>5}{'L':>3}{'bi':>4}"
    for impl in IMPLS:
        head += f"{impl + ' fwd':>15}{'bwd':>9}"
    print(head + f"{'fast/nn':>9}{'readable/nn':>13}    (ms; ratios of forward+backward)")
    rows = []
    for name in kinds:
        for size in sizes:
            B, T, I, H, L, bi = size
            layers = make_layers(name, size, device)
            x = torch.randn(B, T, I, device=device, requires_grad=True)
            row = {"layer": name, "B": B, "T": T, "I": I, "H": H, "num_layers": L, "bidirectional": bi}
            line = f"{name:<6}{B:>4}{T:>6}{I:>5}{H:>5}{L:>3}{'yes' if bi else 'no':>4}"
            measured = time_forward_backward(layers, x, repeats)
            for impl in IMPLS:
                if impl not in layers:
                    line += f"{'-':>15}{'-':>9}"
                    continue
                fwd, bwd = measured[impl]
                row[impl] = {"forward_ms": fwd, "backward_ms": bwd}
                line += f"{fwd:>15.2f}{bwd:>9.2f}"
            total = {impl: sum(row[impl].values()) for impl in IMPLS if impl in row}
            for impl, width in (("fast", 9), ("readable", 13)):
                ratio = total[impl] / total["torch.nn"] if impl in total else None
                row[f"{impl}/torch.nn"] = ratio
                line += f"{ratio:>{width}.2f}" if ratio is not None else f"{'-':>{width}}"
            print(line, flush=True)
            rows.append(row)
    return rows


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


def header(args, device: torch.device) -> dict:
    """What the numbers depend on: device, versions, threads, settings, the machine's load."""
    return {"device": str(device), "device_name": torch.cuda.get_device_name(device) if device.type == "cuda"
            else platform.processor() or platform.machine(), "torch": torch.__version__,
            "python": platform.python_version(), "threads": torch.get_num_threads(), "repeats": args.repeats,
            "statistic": "median", "only": args.only, "layers": args.layers,
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32, "tf32_cudnn": torch.backends.cudnn.allow_tf32,
            "timer": "CUDA events" if device.type == "cuda" else "time.perf_counter",
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=str(config.device()), help="cpu, cuda or mps (default: the best present)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", default="1", help="torch CPU threads: a number, or 'all' for every core (default 1)")
    parser.add_argument("--only", choices=("all", "headline", "fastrnns"), default="all", help="which sizes to run")
    parser.add_argument("--layers", nargs="+", choices=("RNN", "LSTM", "GRU"), default=["RNN", "LSTM", "GRU"],
                        help="which layers to time (default all three)")
    parser.add_argument("--json", metavar="PATH", help="also write the header and the rows to PATH as JSON")
    parser.add_argument("--scan", action="store_true", help="training-step time against T for minGRU and minLSTM")
    parser.add_argument("--slow-limit", type=int, default=1024,
                        help="with --scan, the longest T at which to time the readable GRU (default 1024)")
    args = parser.parse_args()
    if args.threads == "all":
        torch.set_num_threads(os.cpu_count() or 1)
    elif args.threads.isdigit() and int(args.threads) > 0:
        torch.set_num_threads(int(args.threads))
    else:
        parser.error(f"--threads must be a positive integer or 'all', got {args.threads!r}")
    device = torch.device(args.device)
    torch.manual_seed(0)
    info = header(args, device)
    print(f"device: {device}  torch {torch.__version__}  threads: {torch.get_num_threads()}  "
          f"repeats: {args.repeats} (median)  load average: {info['load_average']}")
    if device.type == "cuda":
        print(f"TF32: matmul {info['tf32_matmul']}, cuDNN {info['tf32_cudnn']} (the same for every implementation)")
    if args.scan:
        compare_scan(device, SCAN_LENGTHS, args.repeats, args.slow_limit)
        return
    sizes = {"all": SIZES, "headline": [HEADLINE], "fastrnns": [FASTRNNS]}[args.only]
    rows = compare_layers(device, sizes, args.repeats, args.layers)
    if args.json:
        info["load_average_after"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        with open(args.json, "w") as f:
            json.dump({"header": info, "rows": rows}, f, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
