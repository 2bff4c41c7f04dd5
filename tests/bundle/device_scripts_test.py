#!/usr/bin/env python3
"""The device bundle's Python scripts on hand-made records (standard library only): parity.py
passes identical fp32 records, fails an fp32 answer that differs and lists it, accepts a tf32
near-tie within its tolerance; bench_table.py puts gram and PyTorch side by side with the
fraction of the peak measured in the same math mode."""
import io
import json
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts", "device"))
import bench_table  # noqa: E402
import parity  # noqa: E402


def write_run(path, trajectories, aggregate="a1"):
    """One puzzle (index 0) with (answer, steps, value) per trajectory."""
    with open(path, "w") as out:
        out.write(json.dumps({"type": "context"}) + "\n")
        out.write(json.dumps({
            "type": "puzzle", "index": 0,
            "aggregate": {"majority": {"answer": aggregate}},
            "trajectories": [{"trajectory": t, "answer": a, "steps": s, "value": v}
                             for t, (a, s, v) in enumerate(trajectories)]}) + "\n")


class Parity(unittest.TestCase):
    def run_parity(self, directory, cpu, *others):
        paths = [os.path.join(directory, "run-cpu.jsonl")]
        write_run(paths[0], cpu)
        for name, trajectories, aggregate in others:
            paths.append(os.path.join(directory, f"run-{name}.jsonl"))
            write_run(paths[-1], trajectories, aggregate)
        text = io.StringIO()
        with redirect_stdout(text):
            status = parity.main(["parity.py"] + paths)
        return status, text.getvalue()

    def test_identical_fp32_passes(self):
        cpu = [("a1", 8, 0.9), ("a2", 3, 0.2)]
        with tempfile.TemporaryDirectory() as directory:
            status, text = self.run_parity(directory, cpu, ("fp32", cpu, "a1"))
        self.assertEqual(status, 0, text)
        self.assertIn("| fp32 | 2/2 | 2/2 | 1/1 |", text)

    def test_differing_fp32_answer_fails_and_is_listed(self):
        cpu = [("a1", 8, 0.9), ("a2", 3, 0.2)]
        gpu = [("a1", 8, 0.9), ("a3", 3, 0.2)]
        with tempfile.TemporaryDirectory() as directory:
            status, text = self.run_parity(directory, cpu, ("fp32", gpu, "a1"))
        self.assertEqual(status, 1)
        self.assertIn("FAIL", text)
        self.assertIn("puzzle 0 trajectory 1: answer a2->a3", text)

    def test_tf32_near_tie_within_tolerance_is_reported_not_hidden(self):
        cpu = [(f"a{t}", 8, 0.5) for t in range(20)]
        gpu = list(cpu)
        gpu[4] = ("b4", 8, 0.52)
        with tempfile.TemporaryDirectory() as directory:
            status, text = self.run_parity(directory, cpu, ("tf32", gpu, "a1"))
        self.assertEqual(status, 0, text)
        self.assertIn("| tf32 | 19/20 |", text)
        self.assertIn("tf32: 1 trajectories differ from the CPU", text)


class BenchTable(unittest.TestCase):
    def test_gram_and_torch_side_by_side(self):
        with tempfile.TemporaryDirectory() as directory:
            row = {"width": 64, "trajectories": 64, "verified": 4, "wrong": 0,
                   "gflops_per_s": {"median": 500.0, "min": 490.0, "max": 510.0}}
            record = {"backend": "cuda Test GPU", "rows": [row],
                      "peak": {"flops_per_s": 1e12, "source": "measured: cuBLAS bf16 (...)"}}
            with open(os.path.join(directory, "gram-d128-bf16.json"), "w") as out:
                out.write(json.dumps(record) + "\n")
            with open(os.path.join(directory, "torch.jsonl"), "w") as out:
                for mode, rate in (("eager", 250.0), ("compile", 400.0)):
                    out.write(json.dumps({"model": "bench-d128.safetensors", "width": 64,
                                          "math": "bf16", "mode": mode,
                                          "gflops_per_s": rate}) + "\n")
                out.write(json.dumps({"model": "bench-d128.safetensors", "width": 4096,
                                      "math": "bf16", "mode": "eager",
                                      "skipped": "time budget"}) + "\n")
            text = io.StringIO()
            with redirect_stdout(text):
                bench_table.main(directory)
        output = text.getvalue()
        self.assertIn("| 128 | 64 | bf16 | 500 | 50.0% | 0 (4) | 250 | 400 |", output)
        self.assertIn("| 128 | 4096 | bf16 | - | - | - | skipped | - |", output)
        self.assertIn("peak bf16: 1.0 TFLOP/s", output)


if __name__ == "__main__":
    unittest.main()
