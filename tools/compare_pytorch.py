#!/usr/bin/env python3
"""The engine and PyTorch side by side, in one run, on the same machine, model, puzzles, batch of
trajectories and thread count; prints the throughput ratios.

    .venv-tools/bin/python tools/compare_pytorch.py --threads 2 \\
        --model models/sudoku6-gram-small.safetensors --widths 1,16,64,256 --depth 4

A model given as a JSON config (configs/models/*.json) is made with random weights by
`gram generate --random-model`. For each model:

1. the check: `gram run` and the reference model (tools/gram_reference), eager and compiled,
   run every puzzle's first trajectory with the engine's own noise; their answers must agree
   (answer hashes) before anything is timed;
2. `gram bench` times the engine (it also verifies its answers against a CPU reference run)
   and measures the SGEMM rate of the machine (OpenBLAS, 1024^3, the same threads);
3. PyTorch 2.x eager, PyTorch 2.x torch.compile (the first call, which compiles, timed apart),
   and Debian's PyTorch 1.13 eager where /usr/bin/python3 has it, each `repetitions` runs after
   `warmup`, medians: S supervision steps of T transitions with prior noise from torch.randn and
   the heads with greedy decoding after every step, as `gram bench` runs a batch.

`--worker` is the PyTorch 1.13 side: the same timing under another interpreter, as JSON.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from gram_reference import load_model  # noqa: E402
from gram_reference.puzzles import read_puzzles  # noqa: E402
from gram_reference.speed import Rollout, answer_hashes, engine_noise  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEBIAN_PYTHON = "/usr/bin/python3"
SEED = 0  # the run seed of `gram bench` and of the check


def gram(args, *command, quiet=True):
    """Runs `gram COMMAND...`; its output is shown only when it fails."""
    result = subprocess.run([args.gram, *command], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.exit(f"compare_pytorch: error: gram {command[0]} failed:\n{result.stdout}")
    if not quiet:
        print(result.stdout)
    return result.stdout


def model_file(args, path, scratch):
    """The model to compare: `path` itself, or a random model made from a JSON config."""
    if not path.endswith(".json"):
        return path
    output = os.path.join(scratch, os.path.basename(path)[:-5] + ".safetensors")
    gram(args, "generate", "--random-model", path, "--seed", "1", "--output", output)
    return output


def engine_answers(args, model, puzzles, depth, scratch):
    """{puzzle index: answer hash} of each puzzle's first trajectory in `gram run`."""
    output = os.path.join(scratch, "check.jsonl")
    gram(args, "run", "--model", model, "--puzzles", puzzles, "--width", "1", "--depth",
         str(depth), "--halting", "false", "--seed", str(SEED), "--threads", str(args.threads),
         "--output", output, "--overwrite", "true")
    answers = {}
    with open(output) as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("type") == "puzzle":
                answers[record["index"]] = int(record["trajectories"][0]["answer"], 16)
    return answers


def check_answers(args, model, path, puzzles, inputs, scratch):
    """Agreement of the engine and both PyTorch modes on each puzzle's first trajectory."""
    expected = engine_answers(args, path, puzzles, args.depth, scratch)
    indices = list(range(inputs.shape[0]))
    noise = engine_noise(model, SEED, indices, 1)
    agreement = {}
    for name, mode in (("eager", None), ("compile", args.compile_mode)):
        answers = answer_hashes(Rollout(model, mode).run(inputs, args.depth, noise))
        agreement[name] = sum(answers[i] == expected[i] for i in indices)
    return agreement


def engine_bench(args, model, puzzles, scratch):
    output = os.path.join(scratch, "bench.jsonl")
    gram(args, "bench", "--model", model, "--puzzles", puzzles, "--puzzle_count",
         str(args.puzzle_count), "--widths", args.widths, "--depths", str(args.depth),
         "--threads", str(args.threads), "--warmup", str(args.warmup), "--repetitions",
         str(args.repetitions), "--seed", str(SEED), "--output", output, "--overwrite", "true")
    with open(output) as handle:
        return json.loads(handle.readline())


def time_pytorch(model, inputs, widths, args, compile_mode=None):
    """{width: trajectories/s spread (+ compile seconds)} of one PyTorch mode."""
    rows = {}
    for width in widths:
        tokens = inputs.repeat_interleave(width, dim=0)  # puzzle-major, as the engine's rows
        rollout = Rollout(model, compile_mode)
        rollout.warm_up(tokens, args.depth)
        rate = rollout.trajectories_per_s(tokens, args.depth, args.warmup, args.repetitions)
        rows[width] = dict(rate, compile_seconds=rollout.compile_seconds)
    return rows


def debian_pytorch(args, path, puzzles):
    """PyTorch 1.13 eager under Debian's interpreter, or the reason there is none."""
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import torch; print(torch.__version__)"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if probe.returncode != 0:
        return None, f"not installed ({DEBIAN_PYTHON} cannot import torch: python3-torch)"
    version = probe.stdout.strip()
    if not version.startswith("1."):
        return None, f"{DEBIAN_PYTHON} has PyTorch {version}, not 1.x"
    result = subprocess.run(
        [DEBIAN_PYTHON, os.path.abspath(__file__), "--worker", "--model", path, "--puzzles",
         puzzles, "--widths", args.widths, "--depth", str(args.depth), "--threads",
         str(args.threads), "--warmup", str(args.warmup), "--repetitions",
         str(args.repetitions)], stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        return None, f"PyTorch {version} under {DEBIAN_PYTHON} failed"
    return {int(w): rate for w, rate in json.loads(result.stdout).items()}, version


def worker(args):
    model = load_model(args.model)
    model.eval()
    _, inputs, _ = read_puzzles(args.puzzles, model.config.task)
    torch.set_num_threads(args.threads)
    widths = [int(w) for w in args.widths.split(",")]
    print(json.dumps(time_pytorch(model, inputs, widths, args)))


def compare_model(args, given, scratch):
    path = model_file(args, given, scratch)
    model = load_model(path)
    model.eval()
    task = model.config.task
    puzzles = os.path.join(scratch, "puzzles.txt")
    gram(args, "generate", "--task", task, "--count", str(args.puzzle_count), "--seed", "1",
         "--output", puzzles)
    _, inputs, _ = read_puzzles(puzzles, task)
    widths = [int(w) for w in args.widths.split(",")]

    agreement = check_answers(args, model, path, puzzles, inputs, scratch)
    count = inputs.shape[0]
    if any(agreed != count for agreed in agreement.values()):
        sys.exit(f"compare_pytorch: error: {given}: answers differ from the engine's "
                 f"(agreeing: {agreement} of {count}); nothing timed")
    bench = engine_bench(args, path, puzzles, scratch)
    eager = time_pytorch(model, inputs, widths, args)
    compiled = time_pytorch(model, inputs, widths, args, args.compile_mode)
    debian, debian_note = (None, "skipped (--no-debian)") if args.no_debian else \
        debian_pytorch(args, path, puzzles)
    return {"model": given, "parameters": model.config.parameter_count(),
            "flops_per_step": bench["model"]["flops_per_step"], "agreement": agreement,
            "puzzles": count, "bench": bench, "eager": eager, "compile": compiled,
            "debian": debian, "debian_note": debian_note}


def print_comparison(result, args):
    bench = result["bench"]
    c = result
    print(f"## {c['model']} ({c['parameters']} parameters, {c['flops_per_step']:.3g} FLOPs per "
          f"supervision step)\n")
    print(f"answers of {c['puzzles']} trajectories with the engine's noise agree with gram run: "
          f"eager {c['agreement']['eager']}/{c['puzzles']}, compile "
          f"{c['agreement']['compile']}/{c['puzzles']}")
    print(f"engine: {bench['backend']}; `gram bench` #wrong = "
          f"{sum(row['wrong'] for row in bench['rows'])}")
    print(f"SGEMM rate: {bench['peak']['flops_per_s'] / 1e9:.1f} GFLOP/s "
          f"({bench['peak']['source']})")
    print(f"PyTorch 1.13 (Debian): {c['debian_note']}\n")
    debian = c["debian"] is not None
    header = ["width", "rows", "gram traj/s", "eager traj/s", "compile traj/s"]
    header += ["1.13 traj/s"] if debian else []
    header += ["gram / eager", "gram / compile"] + (["gram / 1.13"] if debian else [])
    header += ["gram GFLOP/s", "of SGEMM", "compile s"]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in bench["rows"]:
        width = row["width"]
        gram_rate = row["trajectories_per_s"]["median"]
        eager, compiled = c["eager"][width]["median"], c["compile"][width]["median"]
        cells = [str(width), str(row["trajectories"]), f"{gram_rate:.1f}", f"{eager:.1f}",
                 f"{compiled:.1f}"]
        if debian:
            cells.append(f"{c['debian'][width]['median']:.1f}")
        cells += [f"{gram_rate / eager:.2f}x", f"{gram_rate / compiled:.2f}x"]
        if debian:
            cells.append(f"{gram_rate / c['debian'][width]['median']:.2f}x")
        cells += [f"{row['gflops_per_s']['median']:.1f}",
                  f"{100 * row['fraction_of_peak']:.0f}%",
                  f"{c['compile'][width]['compile_seconds']:.1f}"]
        print("| " + " | ".join(cells) + " |")
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", required=True,
                        help="model file, or a JSON config for a random model; repeatable")
    parser.add_argument("--widths", default="1,16,64,256")
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--puzzle-count", type=int, default=4)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--compile-mode", default="max-autotune-no-cudagraphs",
                        help="torch.compile mode (e.g. default, max-autotune-no-cudagraphs)")
    parser.add_argument("--no-debian", action="store_true",
                        help="skip the PyTorch 1.13 column even where it is installed")
    parser.add_argument("--gram", default=os.environ.get(
        "GRAM_BINARY", os.path.join(ROOT, "build", "src", "gram")))
    parser.add_argument("--output", help="JSON file with every figure")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--puzzles", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.model = args.model[0]
        worker(args)
        return

    torch.set_num_threads(args.threads)
    print(f"{args.puzzle_count} puzzles x width trajectories per batch, depth {args.depth}, no "
          f"halting, {args.threads} threads on both sides; medians of {args.repetitions} runs "
          f"after {args.warmup} warm-up; PyTorch {torch.__version__} "
          f"(torch.compile mode {args.compile_mode}, compile time apart)\n")
    results = []
    for given in args.model:
        with tempfile.TemporaryDirectory() as scratch:
            results.append(compare_model(args, given, scratch))
        print_comparison(results[-1], args)
    if args.output:
        with open(args.output, "w") as handle:
            json.dump({"torch": torch.__version__, "compile_mode": args.compile_mode,
                       "threads": args.threads, "depth": args.depth, "models": results},
                      handle, indent=1)


if __name__ == "__main__":
    main()
