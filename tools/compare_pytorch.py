#!/usr/bin/env python3
"""The PyTorch reference and `gram bench` side by side, in one run, on the same machine, model
file, puzzles, batch of trajectories and thread count; prints the throughput ratio.

    .venv-tools/bin/python tools/compare_pytorch.py --model models/sudoku6-gram-small.safetensors \\
        --widths 1,16,64,256 --depth 4 --threads 2

PyTorch runs the reference model (tools/gram_reference, eager mode, no autograd) exactly as the
engine runs a trajectory without halting: S supervision steps of T transitions with prior noise,
and the heads with greedy decoding after every step (the engine reads them each step to decide
halting). Both sides time `repetitions` runs after `warmup` and report the median. The engine's
figure comes from `gram bench`, which also checks its answers against a CPU reference run first.
The machine's practical peak is the SGEMM rate `gram bench` measures (1024^3, same threads).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from gram_reference import load_model  # noqa: E402
from train import read_sudoku  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytorch_trajectories_per_s(model, inputs, width, depth, warmup, repetitions):
    tokens = inputs.repeat_interleave(width, dim=0)  # (P * width, L), puzzle-major like the engine
    generator = torch.Generator().manual_seed(0)

    def run_once():
        h, l, e = model.start(tokens)
        for _ in range(depth):
            h, l = model.supervision_step(
                h, l, e, lambda _t: torch.randn(h.shape, generator=generator))
            logits, q, _value = model.heads(h)
            logits.argmax(-1)
            model.wants_halt(q)

    with torch.no_grad():
        for _ in range(warmup):
            run_once()
        seconds = []
        for _ in range(repetitions):
            start = time.perf_counter()
            run_once()
            seconds.append(time.perf_counter() - start)
    return tokens.shape[0] / statistics.median(seconds), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--widths", default="1,16,64,256")
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--puzzle-count", type=int, default=4)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--gram", default=os.path.join(ROOT, "build", "src", "gram"))
    parser.add_argument("--output", help="JSON file for both sides' figures")
    args = parser.parse_args()

    model = load_model(args.model)
    model.eval()
    task = model.config.task
    if not task.startswith("sudoku:"):
        sys.exit("compare_pytorch: error: only Sudoku models are supported (got " + task + ")")
    n = int(task.split(":")[1])
    torch.set_num_threads(args.threads)
    widths = [int(w) for w in args.widths.split(",")]

    with tempfile.TemporaryDirectory() as scratch:
        puzzles = os.path.join(scratch, "puzzles.txt")
        subprocess.run([args.gram, "generate", "--task", task, "--count", str(args.puzzle_count),
                        "--seed", "1", "--output", puzzles], check=True, stdout=subprocess.DEVNULL)
        _, inputs, _ = read_sudoku(puzzles, n)
        bench_json = os.path.join(scratch, "bench.json")
        subprocess.run([args.gram, "bench", "--model", args.model, "--puzzles", puzzles,
                        "--puzzle_count", str(args.puzzle_count), "--widths", args.widths,
                        "--depths", str(args.depth), "--threads", str(args.threads),
                        "--warmup", str(args.warmup), "--repetitions", str(args.repetitions),
                        "--output", bench_json], check=True, stdout=subprocess.DEVNULL)
        with open(bench_json) as handle:
            bench = json.loads(handle.readline())

    rows = []
    print(f"model {args.model} ({model.config.parameter_count()} parameters), depth {args.depth}, "
          f"{args.puzzle_count} puzzles x width trajectories per batch, {args.threads} threads, "
          f"medians of {args.repetitions} runs")
    print(f"engine: {bench['backend']}; PyTorch {torch.__version__} eager, "
          f"{torch.get_num_threads()} threads")
    print(f"practical peak (gram's SGEMM): {bench['peak']['flops_per_s'] / 1e9:.1f} GFLOP/s\n")
    print("| width | rows | PyTorch trajectories/s | gram trajectories/s | gram / PyTorch | "
          "gram GFLOP/s | of SGEMM peak |")
    print("|---|---|---|---|---|---|---|")
    by_width = {row["width"]: row for row in bench["rows"]}
    for width in widths:
        torch_rate, _ = pytorch_trajectories_per_s(model, inputs, width, args.depth, args.warmup,
                                                   args.repetitions)
        row = by_width[width]
        gram_rate = row["trajectories_per_s"]["median"]
        rows.append({"width": width, "pytorch_trajectories_per_s": torch_rate,
                     "gram_trajectories_per_s": gram_rate, "ratio": gram_rate / torch_rate,
                     "gram_gflops_per_s": row["gflops_per_s"]["median"],
                     "fraction_of_peak": row["fraction_of_peak"], "wrong": row["wrong"]})
        print(f"| {width} | {row['trajectories']} | {torch_rate:.1f} | {gram_rate:.1f} | "
              f"{gram_rate / torch_rate:.2f}x | {row['gflops_per_s']['median']:.2f} | "
              f"{100 * row['fraction_of_peak']:.0f}% |")
    if args.output:
        with open(args.output, "w") as handle:
            json.dump({"bench": bench, "rows": rows, "torch": torch.__version__}, handle, indent=1)


if __name__ == "__main__":
    main()
