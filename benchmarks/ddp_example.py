"""Train a small companion model on the adding problem across processes with DistributedDataParallel.

    torchrun --standalone --nproc_per_node 2 benchmarks/ddp_example.py --epochs 3
    torchrun --standalone --nproc_per_node 1 benchmarks/ddp_example.py --epochs 3   # the same, one process

Every process builds the same model (same seed) and the same data; ``fit_distributed`` gives
each its share of every global batch and DDP averages the gradients, so the runs with 1 and 2
processes take the same steps (up to rounding) and print the same losses; the time per epoch
is what changes. gloo on CPUs, NCCL on CUDA GPUs (one per process). On several machines,
replace ``--standalone`` by ``--nnodes N --node_rank i --rdzv_backend c10d
--rdzv_endpoint HOST:PORT`` on each. A measurement to read, not a test.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.distributed as dist

from companion import config, models, tasks
from companion.train import fit_distributed, init_from_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--examples", type=int, default=2048)
    parser.add_argument("--length", type=int, default=50, help="T of the adding problem")
    parser.add_argument("--batch-size", type=int, default=64, help="the global batch")
    parser.add_argument("--hidden-size", type=int, default=32)
    parser.add_argument("--cell", default="gru", choices=("rnn", "lstm", "gru"))
    args = parser.parse_args()
    rank, world, device = init_from_env()
    torch.set_num_threads(1)
    seed = config.seed()
    X, y = tasks.adding_problem(args.examples, args.length, generator=torch.Generator().manual_seed(seed))
    valid = tasks.adding_problem(256, args.length, generator=torch.Generator().manual_seed(seed + 1))
    torch.manual_seed(seed)
    model = models.Forecaster(2, args.hidden_size, cell=args.cell).to(device)  # companion's readable layer
    start = time.perf_counter()
    history = fit_distributed(model, (X, y), epochs=args.epochs, batch_size=args.batch_size, valid=valid,
                              clip_norm=1.0, seed=seed)
    seconds = time.perf_counter() - start
    if rank == 0:
        print(f"{world} process(es), backend {dist.get_backend()}, device {device}, torch {torch.__version__}")
        print(f"{args.cell} H={args.hidden_size}, adding problem T={args.length}, {args.examples} examples, "
              f"global batch {args.batch_size}")
        for epoch, (train, valid_loss) in enumerate(zip(history.train_loss, history.valid_loss)):
            print(f"epoch {epoch}: train MSE {train:.6f}  valid MSE {valid_loss:.6f}")
        print(f"{seconds:.2f} s for {args.epochs} epochs, DDP's one-time setup (importing torch._dynamo) included")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
