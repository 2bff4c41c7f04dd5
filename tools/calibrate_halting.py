#!/usr/bin/env python3
"""Calibrates a model's halting on its validation split, with the engine, so that halting saves
compute without costing accuracy.

    .venv-tools/bin/python tools/calibrate_halting.py --model models/sudoku9-gram-small.safetensors \\
        --puzzles runs/zoo/s9-gram-small/validation-*.txt --limit 300 --width 4

The halt head is trained to say whether the current answer is right (docs/training.md); the
engine stops a trajectory when sigmoid(q_halt) > 0.5 (or q_halt > q_continue). A head that is
right 90% of the time then stops 10% of its trajectories on wrong answers. This tool lowers the
halt logit's bias by an offset d, so that a trajectory stops only when the head's probability
exceeds sigmoid(d), and picks the smallest offset (the most saving) whose pass@1 with halting on
is within --tolerance points of pass@1 with halting off, measured by `gram run` on the given
validation puzzles (never the test split). The chosen offset, the figures it was chosen on and
the candidates tried are recorded in the model's training record (metadata "gram_training",
key "halt_calibration"); the model is rewritten in place unless --output says otherwise.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gram_reference.safetensors import read_safetensors, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def gram_binary(explicit):
    for path in [explicit, os.path.join(ROOT, "build", "src", "gram")]:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    sys.exit("calibrate_halting: error: no gram binary (build the engine, or pass --gram)")


def summary(binary, model, args, halting):
    """pass@1 and mean steps of `gram run` on the validation puzzles."""
    with tempfile.TemporaryDirectory() as scratch:
        output = os.path.join(scratch, "run.jsonl")
        command = [binary, "run", "--model", model, "--puzzles", args.puzzles, "--width",
                   str(args.width), "--depth", str(args.depth),
                   "--halting", "true" if halting else "false", "--seed",
                   str(args.seed), "--threads", str(args.threads), "--aggregators", "majority",
                   "--output", output] + (["--limit", str(args.limit)] if args.limit else [])
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        if result.returncode != 0:
            sys.exit(f"calibrate_halting: error: gram run failed:\n{result.stdout}")
        with open(output) as handle:
            record = [json.loads(line) for line in handle][-1]
    return {"pass_at_1": record["trajectory_accuracy"], "steps_mean": record["steps_mean"]}


def with_offset(tensors, metadata, offset, path):
    """The model with q_halt's bias lowered by `offset`, written to `path`."""
    shifted = dict(tensors)
    bias = tensors["head.q_bias"].copy()
    bias[0] -= offset
    shifted["head.q_bias"] = bias
    write_safetensors(path, shifted, metadata)


def without_earlier_calibration(tensors, metadata):
    """The weights as trained: a model calibrated before has its recorded offset added back, so
    that calibrating twice gives the same file as calibrating once."""
    earlier = json.loads(metadata.get("gram_training", "{}")).get("halt_calibration")
    if not earlier:
        return tensors
    return {**tensors, "head.q_bias": with_bias_shift(tensors["head.q_bias"], earlier["offset"])}


def with_bias_shift(bias, raise_by):
    shifted = bias.copy()
    shifted[0] += raise_by
    return shifted


def choose_offset(baseline, measure, offsets, tolerance):
    """The smallest offset whose pass@1 with halting is within `tolerance` points of
    `baseline`'s, trying them in increasing order (each costs a run), else the largest:
    (chosen {"offset", "pass_at_1", "steps_mean"}, every candidate measured)."""
    candidates = []
    for offset in offsets:
        candidates.append({"offset": offset, **measure(offset)})
        if candidates[-1]["pass_at_1"] >= baseline["pass_at_1"] - tolerance / 100:
            return candidates[-1], candidates
    return candidates[-1], candidates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--puzzles", required=True, help="validation puzzles (never the test split)")
    parser.add_argument("--output", help="where to write the calibrated model (default: --model)")
    parser.add_argument("--width", type=int, default=4)
    parser.add_argument("--depth", type=int, default=0,
                        help="supervision steps without halting (default: the model's max_steps)")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=0.5,
                        help="pass@1 points halting may cost on validation")
    parser.add_argument("--offsets", default="0,0.5,1,1.5,2,3,4,5,6,8")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--gram")
    args = parser.parse_args(argv)

    binary = gram_binary(args.gram)
    tensors, metadata = read_safetensors(args.model)
    tensors = without_earlier_calibration(tensors, metadata)
    args.depth = args.depth or int(json.loads(metadata["gram_config"])["max_steps"])
    baseline = summary(binary, args.model, args, halting=False)

    def measure(offset):
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "candidate.safetensors")
            with_offset(tensors, metadata, offset, path)
            figures = summary(binary, path, args, halting=True)
        print(f"offset {offset:g}: pass@1 {100 * figures['pass_at_1']:.1f}% (no halting "
              f"{100 * baseline['pass_at_1']:.1f}%), {figures['steps_mean']:.2f} steps "
              f"(of {baseline['steps_mean']:.2f})", flush=True)
        return figures

    offsets = sorted(float(x) for x in args.offsets.split(","))
    chosen, candidates = choose_offset(baseline, measure, offsets, args.tolerance)
    if chosen["pass_at_1"] < baseline["pass_at_1"] - args.tolerance / 100:
        print("calibrate_halting: no offset keeps pass@1 within the tolerance; using the "
              "largest tried", flush=True)
    record = json.loads(metadata.get("gram_training", "{}"))
    record["halt_calibration"] = {
        "offset": chosen["offset"], "tolerance_points": args.tolerance,
        "puzzles": os.path.basename(args.puzzles), "limit": args.limit, "width": args.width,
        "without_halting": baseline, "with_halting": {k: chosen[k] for k in ("pass_at_1", "steps_mean")},
        "candidates": candidates, "selected_on": "validation"}
    metadata = dict(metadata, gram_training=json.dumps(record))
    output = args.output or args.model
    with_offset(tensors, metadata, chosen["offset"], output)
    print(f"wrote {output}: q_halt bias lowered by {chosen['offset']:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
