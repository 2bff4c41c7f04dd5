"""The training objective's pieces, and a few updates of tools/train.py end to end."""
import io
import json
import os
import tempfile
import unittest
from contextlib import redirect_stdout

import torch

from tests import helpers
from gram_reference import load_model
from gram_reference.training import balanced_kl, gaussian_kl

import train  # tools/train.py


class ObjectiveTest(unittest.TestCase):
    def test_gaussian_kl_matches_torch(self):
        g = torch.Generator().manual_seed(0)
        mq, mp = torch.randn(5, generator=g), torch.randn(5, generator=g)
        sq, sp = torch.rand(5, generator=g) + 0.1, torch.rand(5, generator=g) + 0.1
        expected = torch.distributions.kl_divergence(torch.distributions.Normal(mq, sq),
                                                     torch.distributions.Normal(mp, sp))
        torch.testing.assert_close(gaussian_kl(mq, sq, mp, sp), expected)

    def test_balanced_kl_splits_gradients(self):
        # Value: the KL itself. Gradients: alpha of it reaches the prior, 1 - alpha the posterior.
        g = torch.Generator().manual_seed(1)
        mq, mp = torch.randn(1, 3, 4, generator=g), torch.randn(1, 3, 4, generator=g)
        sq, sp = torch.rand(1, 3, 4, generator=g) + 0.2, torch.rand(1, 3, 4, generator=g) + 0.2
        leaves = [t.clone().requires_grad_(True) for t in (mq, sq, mp, sp)]
        value = balanced_kl(*leaves, alpha=0.8)
        value.backward()
        plain = [t.clone().requires_grad_(True) for t in (mq, sq, mp, sp)]
        full = gaussian_kl(*plain).sum(-1).mean()
        full.backward()
        torch.testing.assert_close(value, full)
        for index, share in ((0, 0.2), (1, 0.2), (2, 0.8), (3, 0.8)):
            torch.testing.assert_close(leaves[index].grad, share * plain[index].grad)


class EarlyTransitionsTest(unittest.TestCase):
    def posterior_calls(self, early_prior):
        from gram_reference import GramModel, ModelConfig
        from gram_reference.training import Trainer
        config = ModelConfig.from_json(dict(TINY, h_cycles=3))
        model = GramModel(config)
        model.reset_parameters(torch.Generator().manual_seed(0))
        trainer = Trainer(model, 1e-3, 0.1, 1.0, 0.5, 0.5, 0.998, 1,
                          torch.Generator().manual_seed(1), early_prior=early_prior)
        calls = []
        trainer.posterior.register_forward_hook(lambda *_: calls.append(1))
        tokens = torch.ones(2, 16, dtype=torch.long)
        target = torch.full((2, 16), 2, dtype=torch.long)
        h = model.init.h.detach().expand(2, 17, 16)
        l = model.init.l.detach().expand(2, 17, 16)
        _, _, metrics = trainer.train_step(tokens, target, h, l)
        self.assertIn("kl", metrics)
        return len(calls)

    def test_only_the_penalised_transition_sees_the_target_with_early_prior(self):
        # 3 transitions per supervision step: the posterior runs in all three by default, in
        # the last (the one with the KL term) alone with early_prior.
        self.assertEqual(self.posterior_calls(early_prior=False), 3)
        self.assertEqual(self.posterior_calls(early_prior=True), 1)


TINY = {"task": "sudoku:4", "vocab_size": 6, "seq_len": 16, "prefix_len": 1, "hidden_size": 16,
        "num_layers": 1, "mixer": "mlp_t", "mlp_t_hidden": 16, "ffn_hidden": 32, "l_cycles": 2,
        "h_cycles": 2, "max_steps": 3, "noise": {"enabled": True, "hidden": 16},
        "has_value_head": True}


class TrainScriptTest(unittest.TestCase):
    def run_train(self, *args):
        out = io.StringIO()
        with redirect_stdout(out):
            code = train.main(list(args))
        self.assertEqual(code, 0)
        return out.getvalue()

    def test_train_resume_export(self):
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary to generate training data; skipping")
        with tempfile.TemporaryDirectory() as folder:
            config = os.path.join(folder, "tiny.json")
            with open(config, "w") as handle:
                json.dump(TINY, handle)
            for mode in ([], ["--deterministic"]):
                with self.subTest(mode=mode):
                    work = os.path.join(folder, "run" + "".join(mode))
                    output = os.path.join(work, "model.safetensors")
                    common = ["--model-config", config, "--workdir", work, "--gram", gram,
                              "--train-count", "50", "--test-count", "10", "--batch", "4",
                              "--eval-every", "3", "--eval-count", "5", "--log-every", "2",
                              "--output", output, *mode]
                    log = self.run_train(*common, "--max-updates", "4")
                    self.assertIn("update 4", log)
                    self.assertIn("eval 3", log)
                    self.assertIn("ETA", log)
                    log = self.run_train(*common, "--max-updates", "6", "--resume")
                    self.assertIn("resumed from", log)
                    self.assertIn("update 6", log)
                    with open(os.path.join(work, "summary.json")) as handle:
                        summary = json.load(handle)["summary"]
                    self.assertEqual(summary["updates"], 6)
                    model = load_model(output)
                    self.assertEqual(model.config.noise.enabled, not mode)
                    if gram:
                        import subprocess
                        info = subprocess.run([gram, "info", output], capture_output=True)
                        self.assertEqual(info.returncode, 0, info.stderr)

    def test_trains_a_multi_solution_task(self):
        # N-Queens: the engine's generator file is read, boards shared with the held-out set
        # leave the training set, and the evaluation counts any valid completion.
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary to generate training data; skipping")
        queens = dict(TINY, task="nqueens:5", vocab_size=3, seq_len=25)
        with tempfile.TemporaryDirectory() as folder:
            config = os.path.join(folder, "queens.json")
            with open(config, "w") as handle:
                json.dump(queens, handle)
            output = os.path.join(folder, "model.safetensors")
            log = self.run_train("--model-config", config, "--workdir", folder, "--gram", gram,
                                 "--train-count", "60", "--test-count", "20",
                                 "--generate-args", "--removed 3", "--batch", "4",
                                 "--eval-every", "2", "--eval-count", "20", "--log-every", "2",
                                 "--max-updates", "2", "--output", output)
            self.assertRegex(log, r"\d+ training puzzles dropped, being one of the \d+ held-out")
            self.assertIn("eval 2: 20 held-out puzzles", log)
            # 5x5 boards with 3 of 5 queens removed: few boards, so the sets share some.
            dropped = int(log.split(" training puzzles dropped")[0].rsplit(" ", 1)[1])
            self.assertGreater(dropped, 0)
            with open(os.path.join(folder, "summary.json")) as handle:
                summary = json.load(handle)["summary"]
            self.assertEqual(summary["updates"], 2)
            self.assertTrue(0.0 <= summary["final_eval"]["exact"] <= 1.0)
            self.assertEqual(load_model(output).config.task, "nqueens:5")

    def test_refuses_a_puzzle_file_without_targets(self):
        with tempfile.TemporaryDirectory() as folder:
            config = os.path.join(folder, "queens.json")
            with open(config, "w") as handle:
                json.dump(dict(TINY, task="nqueens:5", vocab_size=3, seq_len=25), handle)
            board = "Q" + "." * 24
            for name in ("train-8-s1.txt", "test-2-s2.txt"):
                with open(os.path.join(folder, name), "w") as handle:
                    handle.write(f"{board}\n")
            with self.assertRaises(SystemExit) as caught:
                train.main(["--model-config", config, "--workdir", folder, "--gram", "/bin/true",
                            "--train-count", "8", "--test-count", "2"])
            self.assertIn("train-8-s1.txt:1: no solution", str(caught.exception))

    def test_train_and_test_sets_are_disjoint_by_seed(self):
        with self.assertRaises(SystemExit):
            train.main(["--model-config", "x.json", "--workdir", tempfile.gettempdir(),
                        "--train-seed", "3", "--test-seed", "3"])


if __name__ == "__main__":
    unittest.main()
