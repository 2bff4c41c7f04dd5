#!/usr/bin/env python3
"""Times two builds of `gram bench` side by side on one machine, in alternating rounds.

    bench/compare_builds.py --base-rev 4f3c2a1 --model models/sudoku6-gram-small.safetensors \\
        --widths 1,16,64,256 --depths 4 --threads 2 --rounds 3

`--base-rev` builds that commit's `gram` (a detached git worktree under --work-dir, configured
without tests and CUDA); `--base-bin` takes a binary already built instead. The head is
build/src/gram unless --head-bin says otherwise. Each round runs both binaries once (the order
alternates, so drift in the machine's speed falls on both), every `gram bench` verifies its
answers before timing, and the table gives per width the median over rounds of each build's
median trajectories/s and their ratio, plus each build's measured peak line. Plain python3, no
third-party modules.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build_revision(revision, work_dir):
    """Builds `gram` at `revision` in a worktree of this repository; returns the binary."""
    source = os.path.join(work_dir, "source-" + revision)
    build = os.path.join(work_dir, "build-" + revision)
    if not os.path.isdir(source):
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", source, revision],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                    "-DGRAM_TESTS=OFF", "-DGRAM_CUDA=OFF"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build, "--target", "gram", "-j", str(os.cpu_count())],
                   check=True, stdout=subprocess.DEVNULL)
    return os.path.join(build, "src", "gram")


def bench_once(binary, args, output):
    """One `gram bench` run; returns its record (context, peak, rows)."""
    command = [binary, "bench", "--model", args.model, "--widths", args.widths, "--depths",
               args.depths, "--threads", str(args.threads), "--repetitions",
               str(args.repetitions), "--warmup", "1", "--output", output, "--overwrite", "true"]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.exit(f"compare_builds: {binary} bench failed:\n{result.stdout}")
    with open(output) as handle:
        return json.loads(handle.readline())


def median_rows(records):
    """(width, depth) -> (median trajectories/s, median GFLOP/s) over the rounds' records."""
    table = {}
    for record in records:
        for row in record["rows"]:
            key = (row["width"], row["depth"])
            table.setdefault(key, []).append(
                (row["trajectories_per_s"]["median"], row["gflops_per_s"]["median"]))
    return {key: (statistics.median(v[0] for v in values), statistics.median(v[1] for v in values))
            for key, values in table.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    base = parser.add_mutually_exclusive_group(required=True)
    base.add_argument("--base-rev", help="commit to build and time as the base")
    base.add_argument("--base-bin", help="a built gram binary to time as the base")
    parser.add_argument("--head-bin", default=os.path.join(ROOT, "build", "src", "gram"))
    parser.add_argument("--model", default=os.path.join(ROOT, "models",
                                                        "sudoku6-gram-small.safetensors"))
    parser.add_argument("--widths", default="1,16,64,256")
    parser.add_argument("--depths", default="4")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work-dir", default=os.path.join(tempfile.gettempdir(),
                                                           "gram-compare-builds"))
    args = parser.parse_args(argv)

    os.makedirs(args.work_dir, exist_ok=True)
    base_bin = args.base_bin or build_revision(args.base_rev, args.work_dir)
    builds = {"base": base_bin, "head": args.head_bin}
    records = {"base": [], "head": []}
    for round_index in range(args.rounds):
        order = ["base", "head"] if round_index % 2 == 0 else ["head", "base"]
        for label in order:
            output = os.path.join(args.work_dir, f"{label}-{round_index}.jsonl")
            records[label].append(bench_once(builds[label], args, output))
            print(f"round {round_index + 1}/{args.rounds}: {label} done", file=sys.stderr)

    medians = {label: median_rows(records[label]) for label in records}
    print(f"base: {base_bin}\nhead: {args.head_bin}")
    for label in ("base", "head"):
        record = records[label][0]
        print(f"{label} backend: {record['backend']}; peak: {record['peak']['source']}")
    print(f"\n{args.rounds} alternating rounds, medians over rounds of each run's median "
          f"({args.repetitions} timed repetitions after 1 warm-up), {args.threads} threads\n")
    print("| width | depth | base trajectories/s | head trajectories/s | head / base "
          "| base GFLOP/s | head GFLOP/s |")
    print("|---|---|---|---|---|---|---|")
    for key in sorted(medians["head"]):
        base_rate, base_gflops = medians["base"][key]
        head_rate, head_gflops = medians["head"][key]
        print(f"| {key[0]} | {key[1]} | {base_rate:.1f} | {head_rate:.1f} | "
              f"{head_rate / base_rate:.2f}x | {base_gflops:.1f} | {head_gflops:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
