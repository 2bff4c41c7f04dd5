"""tools/compare_pytorch.py end to end on a tiny random model: the answers of the engine, eager
PyTorch and torch.compile agree, and every side is timed and tabulated."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

from tests import helpers

TOOL = os.path.join(helpers.TOOLS, "compare_pytorch.py")
TINY = os.path.join(helpers.ROOT, "configs", "models", "sudoku4-tiny.json")


class ComparePytorchTest(unittest.TestCase):
    def test_tiny_model_side_by_side(self):
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary (build/src/gram); skipping the comparison")
        with tempfile.TemporaryDirectory() as scratch:
            output = os.path.join(scratch, "compare.json")
            result = subprocess.run(
                [sys.executable, TOOL, "--model", TINY, "--widths", "1,2", "--depth", "1",
                 "--puzzle-count", "2", "--threads", "1", "--warmup", "1", "--repetitions", "1",
                 "--compile-mode", "default", "--gram", gram, "--output", output],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertEqual(result.returncode, 0, result.stdout)
            with open(output) as handle:
                record = json.load(handle)
        self.assertIn("PyTorch 1.13 (Debian):", result.stdout)
        self.assertIn("| width | rows | gram traj/s | eager traj/s | compile traj/s", result.stdout)
        (model,) = record["models"]
        self.assertEqual(model["agreement"], {"eager": 2, "compile": 2})
        self.assertEqual([row["wrong"] for row in model["bench"]["rows"]], [0, 0])
        for mode in ("eager", "compile"):
            self.assertEqual(sorted(model[mode]), ["1", "2"])
            for rate in model[mode].values():
                self.assertGreater(rate["median"], 0)
        self.assertGreater(model["compile"]["1"]["compile_seconds"], 0)
        if model["debian"] is None:
            self.assertTrue(model["debian_note"])


if __name__ == "__main__":
    unittest.main()
