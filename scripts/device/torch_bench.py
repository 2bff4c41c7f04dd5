#!/usr/bin/env python3
"""The models `gram bench` times, in PyTorch on the same GPU: eager and torch.compile, fp32,
tf32 and bf16, at the same widths. The model is tools/gram_reference (the engine's PyTorch
twin), so both sides compute the same supervision step: T transitions of K low-level updates
and one high-level update, the prior's noise, then the heads and the argmax. FLOP/s use the
engine's FLOP count (gram_reference.flops), so the two columns are comparable.

    torch_bench.py --models M1,M2 --widths 64,256 --maths bf16,tf32,fp32 --budget-s 60 \
        --output torch.jsonl [--device cuda]

Math modes map to PyTorch's float32 matmul precision, which is what the engine's modes do to
cuBLAS: highest = fp32, high = tf32, medium = bf16 inputs with fp32 accumulation (weights and
activations stay fp32 tensors, as in the engine). Cells run cheapest first (by FLOPs) and are
skipped, said so, once the time budget would be passed: a share of the table beats none.
Needs torch and numpy (both in the GPU machine's image) and the gram_reference package beside
this script or on PYTHONPATH.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gram_reference import load_model  # noqa: E402
from gram_reference.flops import count_flops  # noqa: E402

PRECISION = {"fp32": "highest", "tf32": "high", "bf16": "medium"}


def make_step(model):
    """One supervision step and the heads on (B, S, D) states, as the engine runs it."""
    def step(h, l, e):
        h, l = model.supervision_step(h, l, e, noise=lambda transition: torch.randn_like(h))
        logits, q, value = model.heads(h)
        return h, l, logits.argmax(dim=-1), q, value
    return step


def time_step(step, tokens, model, device, repetitions):
    """Median seconds of one step after one warm-up, timed with CUDA events on a GPU."""
    h, l, e = model.start(tokens)
    step(h, l, e)  # warm-up: compilation, cuBLAS handles, allocator
    seconds = []
    for _ in range(repetitions):
        if device == "cuda":
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            step(h, l, e)
            stop.record()
            stop.synchronize()
            seconds.append(start.elapsed_time(stop) / 1e3)
        else:
            begin = time.perf_counter()
            step(h, l, e)
            seconds.append(time.perf_counter() - begin)
    return statistics.median(seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", required=True)
    parser.add_argument("--widths", default="64,256,1024,4096")
    parser.add_argument("--maths", default="bf16,tf32,fp32")
    parser.add_argument("--modes", default="eager,compile")
    parser.add_argument("--repetitions", type=int, default=2)
    parser.add_argument("--budget-s", type=float, default=60.0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    deadline = time.monotonic() + args.budget_s

    cells = []
    models = {}
    for path in args.models.split(","):
        model = load_model(path).to(args.device).eval()
        flops = count_flops(model.config).per_step
        models[path] = model
        for width in map(int, args.widths.split(",")):
            for math in args.maths.split(","):
                for mode in args.modes.split(","):
                    cells.append((flops * width, path, width, math, mode))
    cells.sort(key=lambda cell: (cell[0], cell[4] != "eager"))
    compiled = {}
    with open(args.output, "w") as out, torch.inference_mode():
        for step_flops, path, width, math, mode in cells:
            record = {"model": os.path.basename(path), "width": width, "math": math, "mode": mode,
                      "flops_per_step": step_flops, "device": args.device}
            if time.monotonic() > deadline:
                record["skipped"] = f"time budget of {args.budget_s:g} s spent"
                out.write(json.dumps(record) + "\n")
                continue
            model = models[path]
            torch.set_float32_matmul_precision(PRECISION[math])
            step = make_step(model)
            if mode == "compile":
                # One compilation per model with the batch dimension dynamic, so the widths
                # share it (a recompilation per width would spend the budget on the compiler).
                if path not in compiled:
                    compiled[path] = torch.compile(step, dynamic=True)
                step = compiled[path]
            generator = torch.Generator().manual_seed(width)
            tokens = torch.randint(1, model.config.vocab_size, (width, model.config.seq_len),
                                   generator=generator).to(args.device)
            try:
                seconds = time_step(step, tokens, model, args.device, args.repetitions)
                record.update(seconds=seconds, gflops_per_s=step_flops / seconds / 1e9)
            except Exception as error:  # a cell that fails is reported, the others still run
                record["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
            out.write(json.dumps(record) + "\n")
            out.flush()
            print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
