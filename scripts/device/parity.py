#!/usr/bin/env python3
"""CPU against CUDA on full `gram run` records of one model: per trajectory the answer, the
halting step and the value score; per puzzle the aggregated answers (votes and value scores).

    parity.py CPU.jsonl CUDA-fp32.jsonl [CUDA-tf32.jsonl ...]   -> Markdown on stdout

fp32 must give the CPU's answers, steps and aggregated answers exactly (values within 1e-4).
tf32 and bf16 round the matrix products' inputs, so a trajectory whose logits or halting score
sit near a tie may go the other way: they pass within a stated tolerance (at least 90% of the
trajectories and of the aggregated answers identical, values within 0.05), and every trajectory
that differs is listed with its values, so near-ties are shown, never hidden. Exit status 1
when a file fails its bar. Python's standard library only.
"""
import json
import os
import sys

TOLERANCE = {  # math: (share of identical trajectories, share of identical aggregates, |dvalue|)
    "fp32": (1.0, 1.0, 1e-4),
    "tf32": (0.9, 0.9, 0.05),
    "bf16": (0.9, 0.9, 0.05),
}


def read(path):
    trajectories, aggregates, context = {}, {}, {}
    with open(path) as lines:
        for line in lines:
            record = json.loads(line)
            if record.get("type") == "context":
                context = record
            if record.get("type") != "puzzle":
                continue
            for name, aggregate in record.get("aggregate", {}).items():
                aggregates[(record["index"], name)] = aggregate.get("answer")
            for t in record["trajectories"]:
                trajectories[(record["index"], t["trajectory"])] = (
                    t["answer"], t["steps"], t.get("value", 0.0))
    return trajectories, aggregates, context


def math_of(path, context):
    for math in TOLERANCE:
        if math in os.path.basename(path):
            return math
    return context.get("environment", {}).get("GRAM_CUDA_MATH", "fp32")


def compare(cpu, path):
    cpu_trajectories, cpu_aggregates, _ = cpu
    trajectories, aggregates, context = read(path)
    math = math_of(path, context)
    same, steps_same, worst, differing = 0, 0, 0.0, []
    for key, (answer, steps, value) in sorted(cpu_trajectories.items()):
        other = trajectories.get(key)
        if other is None:
            differing.append((key, "missing", value, None))
            continue
        worst = max(worst, abs(other[2] - value))
        if other[0] == answer and other[1] == steps:
            same += 1
        else:
            differing.append((key, f"answer {answer[:8]}->{other[0][:8]}, steps {steps}->{other[1]}",
                              value, other[2]))
        steps_same += other[1] == steps
    aggregates_same = sum(aggregates.get(k) == v for k, v in cpu_aggregates.items())
    count, groups = len(cpu_trajectories), max(len(cpu_aggregates), 1)
    bar = TOLERANCE[math]
    passed = (same >= bar[0] * count and aggregates_same >= bar[1] * groups and worst <= bar[2])
    return math, count, same, steps_same, aggregates_same, groups, worst, passed, differing


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: parity.py CPU.jsonl CUDA.jsonl...")
    cpu = read(argv[1])
    print(f"CPU reference: {argv[1]} ({len(cpu[0])} trajectories)\n")
    print("| math | trajectories identical (answer, steps) | steps identical | aggregated answers "
          "identical | max abs value difference | bar | verdict |")
    print("|---|---|---|---|---|---|---|")
    failed, listings = False, []
    for path in argv[2:]:
        if not os.path.exists(path):
            print(f"| {os.path.basename(path)} | run failed (no records) | | | | | FAIL |")
            failed = True
            continue
        math, count, same, steps_same, agg_same, groups, worst, passed, differing = compare(cpu, path)
        bar = TOLERANCE[math]
        print(f"| {math} | {same}/{count} | {steps_same}/{count} | {agg_same}/{groups} | "
              f"{worst:.3g} | >= {bar[0]:.0%}, {bar[1]:.0%}, <= {bar[2]:g} | "
              f"{'pass' if passed else 'FAIL'} |")
        failed |= not passed
        if differing:
            listings.append((math, differing))
    for math, differing in listings:
        print(f"\n{math}: {len(differing)} trajectories differ from the CPU (near-ties or drift):")
        for (puzzle, trajectory), what, cpu_value, value in differing[:40]:
            shown = "n/a" if value is None else f"{value:.6f}"
            print(f"- puzzle {puzzle} trajectory {trajectory}: {what}; value cpu "
                  f"{cpu_value:.6f}, cuda {shown}")
        if len(differing) > 40:
            print(f"- ... and {len(differing) - 40} more")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
