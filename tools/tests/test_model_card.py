"""tools/model_card.py: its statistics against the engine's hand cases, and a card written end to
end for a tiny random model with the engine binary."""
import os
import tempfile
import unittest

from tests import helpers
import model_card  # tools/model_card.py


class StatisticsTest(unittest.TestCase):
    def test_clustered_rate_matches_the_engine_hand_case(self):
        # tests/analysis/inference_test.cpp: 4, 0, 2 right of 4 -> [0.125334, 0.874666].
        rate, (low, high) = model_card.clustered_rate([4, 0, 2], [4, 4, 4])
        self.assertEqual(rate, 0.5)
        self.assertAlmostEqual(low, 0.1253344719, places=9)
        self.assertAlmostEqual(high, 0.8746655281, places=9)

    def test_mcnemar_exact(self):
        # 6 only A, 1 only B: 2 x (1 + 7) / 128 = 0.125 (tests/report/findings_test.cpp).
        a = [True] * 6 + [False] + [True, False]
        b = [False] * 6 + [True] + [True, False]
        self.assertEqual(model_card.mcnemar(a, b), (6, 1, 0.125))
        self.assertEqual(model_card.mcnemar([True], [True]), (0, 0, 1.0))


class CardTest(unittest.TestCase):
    def test_calibration_row_names_the_offset_and_its_validation_figures(self):
        row = model_card.calibration_row({
            "offset": 1.5, "tolerance_points": 0.5, "puzzles": "validation.txt",
            "with_halting": {"pass_at_1": 0.97, "steps_mean": 1.25},
            "without_halting": {"pass_at_1": 0.974, "steps_mean": 8.0}})
        self.assertIn("lowered by 1.5", row[1])
        self.assertIn("97.0% at 1.25 steps against 97.4% at 8.00", row[1])
        self.assertIn("none", model_card.calibration_row(None)[1])

    def test_writes_a_card_from_engine_runs(self):
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary (build/src/gram or GRAM_BINARY)")
        with tempfile.TemporaryDirectory() as scratch:
            model, puzzles = helpers.tiny_sudoku4_files(gram, scratch, 6)
            card = os.path.join(scratch, "card.md")
            model_card.main(["--model", model, "--puzzles", puzzles, "--width", "4",
                             "--depth", "2", "--threads", "1", "--gram", gram, "--output", card,
                             "--notes", "A tiny random model."])
            with open(card) as handle:
                text = handle.read()
        self.assertIn("# m\n\nA tiny random model.", text)
        self.assertIn('"task": "sudoku:4"', text)
        self.assertIn("6 puzzles never used for any choice, width 4, depth 2", text)
        self.assertIn("| width 1 (pass@1 over the 24 trajectories; interval clustered by puzzle)",
                      text)
        self.assertIn("| width 4, best_of_n |", text)
        self.assertIn("Halting (`--halting true`", text)
        self.assertIn("No training record", text)


if __name__ == "__main__":
    unittest.main()
