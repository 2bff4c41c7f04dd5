"""tools/calibrate_halting.py: the choice of the offset, and a calibrated file end to end."""
import json
import os
import tempfile
import unittest

from tests import helpers
import calibrate_halting  # tools/calibrate_halting.py
from gram_reference.safetensors import read_safetensors


class ChoiceTest(unittest.TestCase):
    def test_smallest_offset_within_the_tolerance(self):
        baseline = {"pass_at_1": 0.90, "steps_mean": 8.0}
        measured = {0.0: 0.80, 1.0: 0.893, 2.0: 0.899, 3.0: 0.90}
        calls = []

        def measure(offset):
            calls.append(offset)
            return {"pass_at_1": measured[offset], "steps_mean": 2.0 + offset}

        chosen, candidates = calibrate_halting.choose_offset(baseline, measure,
                                                             [0.0, 1.0, 2.0, 3.0], 0.5)
        self.assertEqual(chosen["offset"], 2.0)  # 89.9 >= 90.0 - 0.5; 89.3 is not
        self.assertEqual(calls, [0.0, 1.0, 2.0])  # stops at the first that holds
        self.assertEqual(len(candidates), 3)

    def test_largest_offset_when_none_holds(self):
        chosen, _ = calibrate_halting.choose_offset(
            {"pass_at_1": 1.0}, lambda offset: {"pass_at_1": 0.5, "steps_mean": 1.0},
            [0.0, 4.0], 0.5)
        self.assertEqual(chosen["offset"], 4.0)


class CalibrateTest(unittest.TestCase):
    def test_writes_the_shifted_bias_and_the_record(self):
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary (build/src/gram or GRAM_BINARY)")
        with tempfile.TemporaryDirectory() as scratch:
            model, puzzles = helpers.tiny_sudoku4_files(gram, scratch, 4)
            before, _ = read_safetensors(model)
            output = os.path.join(scratch, "calibrated.safetensors")
            calibrate_halting.main(["--model", model, "--puzzles", puzzles, "--output", output,
                                    "--width", "2", "--depth", "2", "--threads", "1",
                                    "--offsets", "0,1", "--gram", gram])
            after, metadata = read_safetensors(output)
        record = json.loads(metadata["gram_training"])["halt_calibration"]
        self.assertIn(record["offset"], (0.0, 1.0))
        self.assertEqual(record["selected_on"], "validation")
        self.assertAlmostEqual(float(after["head.q_bias"][0]),
                               float(before["head.q_bias"][0]) - record["offset"], places=6)
        self.assertEqual(float(after["head.q_bias"][1]), float(before["head.q_bias"][1]))

    def test_a_second_calibration_starts_from_the_trained_bias(self):
        bias = calibrate_halting.with_bias_shift(__import__("numpy").array([-1.0, 2.0]), 0.0)
        earlier = {"gram_training": json.dumps({"halt_calibration": {"offset": 3.0}})}
        restored = calibrate_halting.without_earlier_calibration({"head.q_bias": bias}, earlier)
        self.assertEqual(list(restored["head.q_bias"]), [2.0, 2.0])
        self.assertEqual(list(bias), [-1.0, 2.0])
        untouched = calibrate_halting.without_earlier_calibration({"head.q_bias": bias}, {})
        self.assertIs(untouched["head.q_bias"], bias)


if __name__ == "__main__":
    unittest.main()
