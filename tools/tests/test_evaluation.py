"""The validation figures (tools/gram_reference/evaluation.py) on hand-computed cases."""
import math
import unittest

import numpy as np
import torch

from tests import helpers  # noqa: F401
from gram_reference import GramModel, ModelConfig
from gram_reference.evaluation import (auroc_within, fnv1a64, majority_index, quality,
                                       run_trajectories, selection_accuracy)
from gram_reference.puzzles import answer_check


class AurocWithinTest(unittest.TestCase):
    def test_hand_computed(self):
        values = np.array([[0.9, 0.8, 0.1],    # right 0.9 vs wrong 0.8, 0.1: 2/2 = 1
                           [0.5, 0.5, 0.2],    # right 0.5, 0.2 vs wrong 0.5: (0.5 + 0) / 2
                           [0.3, 0.2, 0.1],    # all right: no pair
                           [0.3, 0.2, 0.1]])   # all wrong: no pair
        correct = np.array([[1, 0, 0], [1, 0, 1], [1, 1, 1], [0, 0, 0]], bool)
        score, puzzles = auroc_within(values, correct)
        self.assertEqual(puzzles, 2)
        self.assertAlmostEqual(score, (1.0 + 0.25) / 2)

    def test_inverted_and_tied(self):
        values = np.array([[0.1, 0.9, 0.8, 0.2]])
        self.assertEqual(auroc_within(values, np.array([[1, 0, 0, 1]], bool)), (0.0, 1))
        self.assertEqual(auroc_within(np.full((1, 4), 0.7), np.array([[1, 0, 0, 1]], bool)),
                         (0.5, 1))

    def test_pooled_ranking_does_not_count(self):
        # Puzzle A is easy (all high values), puzzle B hard: pooled AUROC would be high, but
        # within each puzzle the value ranks the wrong trajectory first.
        values = np.array([[0.95, 0.99], [0.01, 0.05]])
        correct = np.array([[1, 0], [1, 0]], bool)
        self.assertEqual(auroc_within(values, correct), (0.0, 2))

    def test_no_pairs(self):
        score, puzzles = auroc_within(np.ones((2, 2)), np.ones((2, 2), bool))
        self.assertTrue(math.isnan(score))
        self.assertEqual(puzzles, 0)


class SelectionTest(unittest.TestCase):
    def test_fnv1a64(self):
        self.assertEqual(fnv1a64([]), 0xcbf29ce484222325)
        # One token 1 = bytes 01 00 00 00, by hand from the FNV-1a definition.
        value = 0xcbf29ce484222325
        for byte in (1, 0, 0, 0):
            value = ((value ^ byte) * 0x100000001b3) % 2**64
        self.assertEqual(fnv1a64([1]), value)

    def test_majority_ties(self):
        answers = np.array([[1, 2], [3, 4], [1, 2], [3, 4], [5, 6]])
        # Two answers with two votes each: the larger summed value wins.
        self.assertIn(majority_index(answers, np.array([0.1, 0.5, 0.1, 0.5, 0.9])), (1, 3))
        self.assertIn(majority_index(answers, np.array([0.6, 0.5, 0.6, 0.5, 0.9])), (0, 2))
        # Equal votes and values: the smaller answer hash.
        smaller = 0 if fnv1a64([1, 2]) < fnv1a64([3, 4]) else 1
        self.assertEqual(majority_index(answers, np.full(5, 0.5)), smaller)

    def test_majority_and_best_of_n(self):
        answers = np.array([[[1], [1], [2]], [[3], [4], [4]]])
        values = np.array([[0.1, 0.2, 0.9], [0.8, 0.1, 0.2]])
        correct = np.array([[0, 0, 1], [1, 0, 0]], bool)
        # Puzzle 0: majority picks [1] (wrong), best-of-n picks [2] (right); puzzle 1:
        # majority picks [4] (wrong), best-of-n picks [3] (right).
        self.assertEqual(selection_accuracy(answers, values, correct), (0.0, 1.0))


TINY = {"task": "sudoku:4", "vocab_size": 6, "seq_len": 16, "prefix_len": 1, "hidden_size": 16,
        "num_layers": 1, "mixer": "mlp_t", "mlp_t_hidden": 16, "ffn_hidden": 32, "l_cycles": 2,
        "h_cycles": 2, "max_steps": 3, "noise": {"enabled": True, "hidden": 16},
        "has_value_head": True}


class QualityTest(unittest.TestCase):
    def model(self):
        model = GramModel(ModelConfig.from_json(TINY))
        model.reset_parameters(torch.Generator().manual_seed(0))
        return model

    def test_halting_stops_at_the_first_confident_step(self):
        model = self.model()
        with torch.no_grad():
            model.head.q_bias.copy_(torch.tensor([5.0, 0.0]))  # always halts at once
        x = torch.ones(3, 16, dtype=torch.long)
        run = run_trajectories(model, x, 3, 2, torch.Generator().manual_seed(0),
                               answer_check("sudoku:4"), torch.full((3, 16), 2))
        self.assertTrue((run["halt_step"] == 1).all())
        with torch.no_grad():
            model.head.q_bias.copy_(torch.tensor([-50.0, 0.0]))  # never halts
        run = run_trajectories(model, x, 3, 2, torch.Generator().manual_seed(0),
                               answer_check("sudoku:4"), torch.full((3, 16), 2))
        self.assertTrue((run["halt_step"] == 3).all())

    def test_figures_and_fixed_seed(self):
        model = self.model()
        x = torch.randint(1, 6, (4, 16), generator=torch.Generator().manual_seed(1))
        y = torch.randint(2, 6, (4, 16), generator=torch.Generator().manual_seed(2))
        first = quality(model, x, y, 3, 5, seed=7, valid=answer_check("sudoku:4"))
        again = quality(model, x, y, 3, 5, seed=7, valid=answer_check("sudoku:4"))
        self.assertEqual(repr(first), repr(again))  # NaN AUROC when no pair: compare text
        self.assertEqual((first["puzzles"], first["width"]), (4, 5))
        for key in ("exact", "majority", "best_of_n", "halt_exact", "value_spread_median"):
            self.assertTrue(0.0 <= first[key] <= 1.0, key)
        self.assertTrue(1.0 <= first["halt_steps_mean"] <= 3.0)


if __name__ == "__main__":
    unittest.main()
