"""The samplers and verifiers of the reference (gram_reference/samplers.py, verifier.py) and
tools/train_verifier.py: the engine's counter layout, the objectives and the calibration on hand
cases, and end to end a verifier trained here whose scores the engine reproduces on its own
sampled trajectories."""
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
import torch

from tests import helpers
from gram_reference import ModelConfig, GramModel, save_model
from gram_reference.puzzles import read_puzzles
from gram_reference.samplers import (PhiloxDraws, SamplerSettings, parse_spec,
                                     sampled_supervision_step, sampler_normals, sampler_words,
                                     site)
from gram_reference.verifier import (VerifierNet, confidence_features, contrastive_loss,
                                     load_verifier, platt, regression_loss)
import train_verifier  # tools/train_verifier.py


class SamplerStreamTest(unittest.TestCase):
    def test_counter_layout_matches_the_engine(self):
        # tests/backend/sampler_stream_test.cpp holds the same words and normals.
        seed = 0x0123456789ABCDEF
        words = sampler_words(seed, 11, 5, 2, 1, 7, 16)[12:16]
        self.assertEqual([int(w) for w in words], [0xe29a6ed5, 0x242d380c, 0x89e7ad14, 0x50b8ec82])
        normals = sampler_normals(seed, 11, 5, 2, 1, 7, 16)[12:16]
        self.assertEqual([int(x) for x in normals.view(np.uint32)],
                         [3215409426, 1069424255, 3199942765, 3216818447])

    def test_sites_and_labels(self):
        self.assertEqual([site(0, 0, 2), site(0, 1, 2), site(1, 0, 2)], [1, 2, 6])
        self.assertEqual(parse_spec("none").label(), "none")
        self.assertEqual(parse_spec("noise:0.1").label(), "noise0.1")
        self.assertEqual(parse_spec("noise:0.25", noise_relative=True).label(),
                         "noise0.25-relative")
        self.assertEqual(parse_spec("dropout:0.05").label(), "dropout0.05")
        with self.assertRaises(ValueError):
            parse_spec("dropout:1")


class ObjectiveTest(unittest.TestCase):
    def test_contrastive_loss_by_hand(self):
        # One group: right scores 2, wrong 0 and 1 -> mean of softplus(-(2 - 0)), softplus(-1).
        scores = torch.tensor([[2.0, 0.0, 1.0], [5.0, 5.0, 5.0]])
        outcome = torch.tensor([[True, False, False], [True, True, True]])
        expected = (np.log1p(np.exp(-2.0)) + np.log1p(np.exp(-1.0))) / 2
        self.assertAlmostEqual(float(contrastive_loss(scores, outcome)), expected, places=6)
        self.assertEqual(float(contrastive_loss(scores[1:], outcome[1:])), 0.0)
        self.assertAlmostEqual(float(regression_loss(torch.zeros(2), torch.tensor([1, 0]))),
                               np.log(2.0), places=6)

    def test_calibration_folds_into_the_last_layer_and_keeps_the_ranking(self):
        torch.manual_seed(0)
        for hidden in (0, 4):
            net = VerifierNet(6, 3, ("h", "l"), True, hidden)
            h, l = torch.randn(10, 3, 6), torch.randn(10, 3, 6)
            before = net(h, l).detach()
            net.calibrate(2.5, -1.0)
            after = net(h, l).detach()
            torch.testing.assert_close(after, 2.5 * before - 1.0, rtol=1e-5, atol=1e-5)
        scores = np.array([-2.0, -1.0, 0.5, 1.0, 2.0, 3.0])
        outcome = np.array([0, 0, 1, 0, 1, 1])
        a, b = platt(scores, outcome)
        self.assertGreater(a, 0)
        p = 1 / (1 + np.exp(-(a * scores + b)))
        # At the optimum the predicted and observed rates agree (the b equation).
        self.assertAlmostEqual(p.sum(), outcome.sum(), places=4)

    def test_platt_on_wide_scores_reaches_the_optimum(self):
        # Scores as a trained verifier gives on a model right 92% of the time (right around 15.6,
        # wrong around 2.4): from (1, 0) sigmoid saturates, and plain Newton steps overshot to
        # a = -6e5, b = 2e12, which reversed the order and ranked nothing.
        rng = np.random.default_rng(0)
        scores = np.concatenate([rng.normal(2.4, 4, 264), rng.normal(15.6, 4, 2936)])
        outcome = np.concatenate([np.zeros(264), np.ones(2936)])
        a, b = platt(scores, outcome)
        self.assertTrue(np.isfinite(a) and np.isfinite(b))
        self.assertGreater(a, 0)
        p = 1 / (1 + np.exp(-(a * scores + b)))
        # The optimum: both gradient components of the ridged cross-entropy vanish.
        self.assertAlmostEqual(float(np.sum(p - outcome)), 0.0, places=3)
        self.assertAlmostEqual(float(np.sum((p - outcome) * scores) + 1e-3 * a), 0.0, places=2)


def tiny_deterministic_model(path):
    config = ModelConfig(task="sudoku:4", vocab_size=6, seq_len=16, prefix_len=1, hidden_size=16,
                         num_layers=2, mixer="mlp_t", mlp_t_hidden=16, ffn_hidden=32,
                         l_cycles=2, h_cycles=2, max_steps=3, has_value_head=True)
    model = GramModel(config)
    model.reset_parameters(torch.Generator().manual_seed(3))
    save_model(path, model)
    return model


class TrainedVerifierTest(unittest.TestCase):
    """train_verifier.py on a tiny random model, then `gram run` with the verifier and a sampler:
    the engine's value of every trajectory is the reference's verifier on the reference's
    trajectory drawn from the engine's own Philox stream."""

    def test_engine_scores_its_trajectories_as_the_reference_does(self):
        self.check_engine_against_reference("h,l")

    def test_confidence_and_answer_verifiers_score_as_the_reference_does(self):
        self.check_engine_against_reference("h,confidence,answer")

    def check_engine_against_reference(self, states):
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary (build/src/gram or GRAM_BINARY)")
        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory() as scratch:
            model_path = os.path.join(scratch, "m.safetensors")
            model = tiny_deterministic_model(model_path)
            held_out = os.path.join(scratch, "test.txt")
            subprocess.run([gram, "generate", "--task", "sudoku:4", "--count", "4", "--seed",
                            "9", "--output", held_out], check=True, stdout=subprocess.DEVNULL)
            verifier_path = os.path.join(scratch, "v.safetensors")
            train_verifier.main([
                "--model", model_path, "--workdir", scratch, "--output", verifier_path,
                "--gram", gram, "--sampler", "noise:0.5", "--noise-at", "h,l",
                "--train-count", "12", "--val-count", "6", "--held-out", held_out,
                "--width", "3", "--epochs", "2", "--hidden", "5", "--states", states])
            net, config = load_verifier(verifier_path)
            self.assertEqual(config["model"]["positions"], 17)
            self.assertEqual(config["training"]["sampler"]["label"], "noise0.5")
            self.assertIn(config["training"]["selected"], ("contrastive", "regression"))

            output = os.path.join(scratch, "r.jsonl")
            subprocess.run([gram, "run", "--model", model_path, "--puzzles", held_out,
                            "--width", "2", "--depth", "2", "--seed", "7", "--threads", "1",
                            "--noise_scale", "0.5", "--noise_at", "h,l", "--verifier",
                            verifier_path, "--output", output], check=True,
                           stdout=subprocess.DEVNULL)
            with open(output) as handle:
                records = [json.loads(line) for line in handle]
            self.assertTrue(records[0]["verifier"]["matches_model"])
            _, tokens, _ = read_puzzles(held_out, "sudoku:4")
            settings = SamplerSettings(noise_scale=0.5, noise_at=("h", "l"))
            engine_values, reference_values = [], []
            with torch.no_grad():
                for puzzle in [r for r in records if r["type"] == "puzzle"]:
                    index = puzzle["index"]
                    rows = tokens[index:index + 1].repeat(2, 1)
                    h, l, e = model.start(rows)
                    draws = PhiloxDraws(7, [index, index], [0, 1])
                    answer = None
                    for step in range(2):
                        h, l = sampled_supervision_step(model, h, l, e, settings, draws, step)
                        logits = model.heads(h)[0]
                        answer, previous = logits.argmax(-1), answer
                    confidence = confidence_features(logits, answer, previous)
                    reference_values += torch.sigmoid(net(h, l, confidence, answer)).tolist()
                    engine_values += [t["value"] for t in puzzle["trajectories"]]
            self.assertGreater(np.std(reference_values), 0.01, "values that never vary test nothing")
            np.testing.assert_allclose(engine_values, reference_values, atol=2e-4)


if __name__ == "__main__":
    unittest.main()
