#!/usr/bin/env python3
"""Writes a shipped model's card (models/<name>.md) from its training record and from held-out
figures measured with the engine itself (`gram run`), so that every number on a card can be
checked by rerunning the commands printed on it.

    python3 tools/model_card.py --model models/sudoku9-gram-small.safetensors \\
        --puzzles models/data/sudoku9-test.txt --width 16 --threads 2 \\
        --summary runs/zoo/s9-gram-small/summary.json --output models/sudoku9-gram-small.md

Measured on the held-out puzzles (never used for any choice; training chose on its validation
split): pass@1 (per-trajectory accuracy, interval clustered by puzzle), majority / best-of-n /
oracle at the given width (Wilson intervals), best-of-n against majority (McNemar on the same
puzzles), the value head's AUROC within puzzles and median spread, and halting: mean steps and
the same figures with `--halting true`, against halting off (McNemar, majority vote). Plain
python3 and the engine binary; no PyTorch.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
Z95 = 1.959963984540054


def wilson(successes, trials):
    """Wilson 95% interval of successes / trials (trials may be fractional)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + Z95 ** 2 / (2 * trials)) / (1 + Z95 ** 2 / trials)
    half = Z95 / (1 + Z95 ** 2 / trials) * math.sqrt(p * (1 - p) / trials +
                                                    Z95 ** 2 / (4 * trials ** 2))
    return (0.0 if p <= 0 else max(0.0, centre - half), 1.0 if p >= 1 else min(1.0, centre + half))


def clustered_rate(correct, trials):
    """The engine's analysis::clustered_rate: Wilson on the effective trial count."""
    total, puzzles = sum(trials), len(trials)
    rate = sum(correct) / total
    residuals = sum((c - rate * n) ** 2 for c, n in zip(correct, trials))
    variance = puzzles / (puzzles - 1) * residuals / total ** 2 if puzzles > 1 else 0.0
    binomial = rate * (1 - rate)
    effective = total
    if binomial > 0 and variance > 0:
        effective = binomial / variance
    if binomial == 0:
        effective = puzzles
    effective = min(max(effective, puzzles), total)
    return rate, wilson(rate * effective, effective)


def mcnemar(a, b):
    """Exact two-sided McNemar p of paired outcomes: (only a, only b, p)."""
    only_a = sum(1 for x, y in zip(a, b) if x and not y)
    only_b = sum(1 for x, y in zip(a, b) if y and not x)
    n = only_a + only_b
    if n == 0:
        return only_a, only_b, 1.0
    tail = sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1)) / 2 ** n
    return only_a, only_b, min(1.0, 2 * tail)


def gram_binary(explicit):
    for path in [explicit, os.path.join(ROOT, "build", "src", "gram")]:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    sys.exit("model_card: error: no gram binary (build the engine, or pass --gram)")


def gram(binary, *args):
    result = subprocess.run([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    if result.returncode != 0:
        sys.exit(f"model_card: error: gram {' '.join(args)} failed:\n{result.stdout}")
    return result.stdout


def run_records(binary, args, output):
    """`gram run ARGS --output OUTPUT`, read back: (puzzle records, summary record)."""
    gram(binary, "run", *args, "--output", output, "--overwrite", "true")
    with open(output) as handle:
        records = [json.loads(line) for line in handle]
    return ([r for r in records if r["type"] == "puzzle"],
            next(r for r in records if r["type"] == "summary"))


def model_config(info_text):
    """The config JSON that `gram info` prints after "config: "."""
    start = info_text.index("config: ") + len("config: ")
    return json.JSONDecoder().raw_decode(info_text[start:])[0]


def measure(binary, model, puzzles, width, depth, threads, seed, value_head, limit):
    """Both runs (halting off, on) and the figures the card prints."""
    aggregators = "majority,best_of_n,weighted_vote,oracle" if value_head else "majority,oracle"
    common = ["--model", model, "--puzzles", puzzles, "--width", str(width), "--depth",
              str(depth), "--aggregators", aggregators, "--seed", str(seed), "--threads",
              str(threads)] + (["--limit", str(limit)] if limit else [])
    figures = {"commands": []}
    with tempfile.TemporaryDirectory() as scratch:
        for halting in ("false", "true"):
            args = common + ["--halting", halting]
            figures["commands"].append("gram run " + " ".join(args) + " --output OUT.jsonl")
            figures[halting] = run_records(binary, args, os.path.join(scratch, halting + ".jsonl"))
    return figures


def outcome(records, aggregator):
    return [r["aggregate"][aggregator]["correct"] for r in records]


def percent_interval(rate, interval):
    return f"{100 * rate:.1f}% [{100 * interval[0]:.1f}, {100 * interval[1]:.1f}]"


def held_out_section(figures, width, value_head):
    records, summary = figures["false"]
    halted_records, halted = figures["true"]
    puzzles = len(records)
    correct = [sum(t["correct"] for t in r["trajectories"]) for r in records]
    trials = [len(r["trajectories"]) for r in records]
    rate, interval = clustered_rate(correct, trials)
    lines = ["| method | exact boards [95%] |", "|---|---|",
             f"| width 1 (pass@1 over the {sum(trials)} trajectories; interval clustered by "
             f"puzzle) | {percent_interval(rate, interval)} |"]
    aggregators = ["majority", "best_of_n", "weighted_vote", "oracle"] if value_head \
        else ["majority", "oracle"]
    for name in aggregators:
        solved = sum(outcome(records, name))
        lines.append(f"| width {width}, {name} | {solved}/{puzzles} "
                     f"{percent_interval(solved / puzzles, wilson(solved, puzzles))} |")
    text = "\n".join(lines) + "\n"
    if value_head:
        only_bon, only_majority, p = mcnemar(outcome(records, "best_of_n"),
                                             outcome(records, "majority"))
        auroc = summary["value_auroc_within"]
        text += (f"\nBest-of-n against majority at width {width}, same puzzles: solved only by "
                 f"best-of-n {only_bon}, only by majority {only_majority}, exact McNemar "
                 f"p = {p:.3g}. The value head as a verifier: AUROC within puzzles "
                 f"{'n/a' if auroc is None else f'{auroc:.3f}'} over the "
                 f"{summary['value_auroc_puzzles']} puzzles that have right and wrong "
                 f"trajectories; median spread of its scores within a puzzle "
                 f"{summary['value_spread_median']:.3g}.\n")
    only_off, only_on, p = mcnemar(outcome(records, "majority"),
                                   outcome(halted_records, "majority"))
    saving = 1 - halted["applications"] / summary["applications"]
    text += (f"\nHalting (`--halting true`, sigmoid(q_halt) > 0.5 stops a trajectory, with the calibrated bias): "
             f"{halted['steps_mean']:.2f} supervision steps per trajectory instead of "
             f"{summary['steps_mean']:.2f} ({100 * saving:.1f}% fewer applications); pass@1 "
             f"{100 * halted['trajectory_accuracy']:.1f}% against "
             f"{100 * summary['trajectory_accuracy']:.1f}%; majority at width {width} "
             f"{100 * halted['accuracy']['majority']:.1f}% against "
             f"{100 * summary['accuracy']['majority']:.1f}% (solved only without halting "
             f"{only_off}, only with it {only_on}, exact McNemar p = {p:.3g}).\n")
    return text


def halt_calibration(model):
    """The halting offset calibrate_halting.py recorded in the model file's metadata, or None."""
    with open(model, "rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
    record = json.loads(header.get("__metadata__", {}).get("gram_training", "{}"))
    return record.get("halt_calibration")


def calibration_row(calibration):
    if not calibration:
        return ("halting calibration", "none (the halt head as trained)")
    chosen = calibration["with_halting"]
    before = calibration["without_halting"]
    return ("halting calibration",
            f"q_halt's bias lowered by {calibration['offset']:g}, the smallest offset keeping "
            f"validation pass@1 within {calibration['tolerance_points']:g} points "
            f"({100 * chosen['pass_at_1']:.1f}% at {chosen['steps_mean']:.2f} steps against "
            f"{100 * before['pass_at_1']:.1f}% at {before['steps_mean']:.2f} without halting; "
            f"`tools/calibrate_halting.py`, {calibration['puzzles']})")


def training_section(record, calibration=None):
    if not record:
        return "No training record (summary.json) was given.\n"
    rows = [("trainer", f"`{record.get('trainer', '?')}`, objective {record.get('objective')}"),
            ("data", record.get("data", "?")),
            ("updates", f"{record.get('updates')} of batch {record.get('batch')} "
                        f"({record.get('supervision_steps')} supervision steps)"),
            ("training FLOPs", f"{record.get('training_flops'):.3g} (every network application "
                               f"run, the recursion included; x3 for those with gradient)"),
            ("wall time", f"{record.get('wall_s', 0) / 60:.0f} min"),
            ("selection", record.get("selection", record.get("selected_on", "?")))]
    validation = record.get("validation") or {}
    if validation:
        rows.append(("validation at selection",
                     ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                               for k, v in validation.items())))
    rows.append(calibration_row(calibration))
    return "| | |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--puzzles", required=True, help="held-out test puzzles")
    parser.add_argument("--summary", help="the training run's summary.json")
    parser.add_argument("--output", required=True, help="the card (.md) to write")
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--depth", type=int, default=0, help="default: the model's max_steps")
    parser.add_argument("--limit", type=int, default=0, help="first puzzles only (0: all)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--title", help="the card's first line (default: the file's stem)")
    parser.add_argument("--notes", default="", help="a paragraph placed after the summary")
    parser.add_argument("--gram", help="the engine binary (default: build/src/gram)")
    args = parser.parse_args(argv)

    binary = gram_binary(args.gram)
    info = gram(binary, "info", args.model)
    config = model_config(info)
    record = None
    if args.summary:
        with open(args.summary) as handle:
            record = json.load(handle).get("gram_training")
    value_head = bool(config.get("has_value_head"))
    depth = args.depth or int(config["max_steps"])
    figures = measure(binary, args.model, args.puzzles, args.width, depth, args.threads,
                      args.seed, value_head, args.limit)
    name = args.title or os.path.splitext(os.path.basename(args.model))[0]
    card = f"# {name}\n\n"
    if args.notes:
        card += args.notes.strip() + "\n\n"
    card += "## Model\n\n```\n" + info.strip() + "\n```\n\n"
    card += "## Training\n\n" + training_section(record, halt_calibration(args.model)) + "\n"
    card += (f"## Held-out figures, measured with the engine\n\n`{args.puzzles}`, "
             f"{len(figures['false'][0])} puzzles never used for any choice, width "
             f"{args.width}, depth {depth}, seed {args.seed}:\n\n```\n" +
             "\n".join(figures["commands"]) + "\n```\n\n" +
             held_out_section(figures, args.width, value_head))
    with open(args.output, "w") as handle:
        handle.write(card)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
