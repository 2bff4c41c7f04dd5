#!/usr/bin/env python3
"""One Markdown table from the device run's benchmark files: `gram bench` JSON (one per model
and math mode) beside PyTorch eager and torch.compile (torch_bench.py's JSON lines), per model
size, width and math mode, in GFLOP/s of the same FLOP count and as a fraction of the GEMM peak
that gram measured in that math mode.

    bench_table.py BENCH_DIR > bench.md      (gram-*.json and torch.jsonl inside)

Python's standard library only.
"""
import glob
import json
import os
import re
import sys


def main(directory):
    gram, peaks, backend = {}, {}, ""
    for path in sorted(glob.glob(os.path.join(directory, "gram-*.json"))):
        match = re.match(r"gram-d(\d+)-(\w+)\.json$", os.path.basename(path))
        if not match:
            continue
        size, math = int(match.group(1)), match.group(2)
        with open(path) as file:
            record = json.loads(file.readline())
        backend = record.get("backend", backend)
        if record["peak"]["source"] != "configured":
            peaks[math] = (record["peak"]["flops_per_s"], record["peak"]["source"])
        for row in record["rows"]:
            gram[(size, row["width"], math)] = row
    torch_rows = {}
    torch_path = os.path.join(directory, "torch.jsonl")
    if os.path.exists(torch_path):
        for line in open(torch_path):
            record = json.loads(line)
            size = int(re.search(r"d(\d+)", record["model"]).group(1))
            torch_rows[(size, record["width"], record["math"], record["mode"])] = record

    def torch_cell(key):
        record = torch_rows.get(key)
        if record is None:
            return "-"
        if "gflops_per_s" in record:
            return f"{record['gflops_per_s']:.0f}"
        return "skipped" if "skipped" in record else "error"

    print("GFLOP/s of one supervision step with its heads (the engine's FLOP count), median of "
          "the timed repetitions; % of peak against gram's cuBLAS peak in the same math mode.\n")
    print("| D | width | math | gram GFLOP/s | % of peak | #wrong (of verified) | PyTorch eager | "
          "torch.compile |")
    print("|---|---|---|---|---|---|---|---|")
    keys = sorted(set(gram) | {k[:3] for k in torch_rows})
    for size, width, math in keys:
        row = gram.get((size, width, math))
        peak = peaks.get(math, (0.0, ""))[0]
        if row is None:
            gram_text, fraction, wrong = "-", "-", "-"
        else:
            rate = row["gflops_per_s"]["median"]
            gram_text = f"{rate:.0f}"
            fraction = f"{100 * rate * 1e9 / peak:.1f}%" if peak else "-"
            wrong = f"{row['wrong']} ({row.get('verified', row['trajectories'])})"
        print(f"| {size} | {width} | {math} | {gram_text} | {fraction} | {wrong} | "
              f"{torch_cell((size, width, math, 'eager'))} | "
              f"{torch_cell((size, width, math, 'compile'))} |")
    print()
    for math, (rate, source) in sorted(peaks.items()):
        print(f"- peak {math}: {rate / 1e12:.1f} TFLOP/s ({source})")
    skipped = [k for k, r in torch_rows.items() if "skipped" in r or "error" in r]
    if skipped:
        print(f"- PyTorch cells not measured: {len(skipped)} (skipped past the time budget or "
              "failed; torch.jsonl says which and why)")
    if backend:
        print(f"- backend: {backend}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
