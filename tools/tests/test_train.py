"""The training objective's rules, and tools/train.py end to end on tiny models: resuming bit
for bit, the FLOP budget, the exported "gram_training" record, the data splits."""
import io
import json
import os
import subprocess
import tempfile
import unittest
from contextlib import redirect_stdout

import torch

from tests import helpers
from tests.test_augment import sudoku_instances
from gram_reference import GramModel, ModelConfig, load_model, read_safetensors
from gram_reference.data import option_sets, split_files
from gram_reference.flops import count_flops
from gram_reference.model import Network
from gram_reference.puzzles import answer_check
from gram_reference.training import Trainer, balanced_kl, gaussian_kl

import train  # tools/train.py

TINY = {"task": "sudoku:4", "vocab_size": 6, "seq_len": 16, "prefix_len": 1, "hidden_size": 16,
        "num_layers": 1, "mixer": "mlp_t", "mlp_t_hidden": 16, "ffn_hidden": 32, "l_cycles": 2,
        "h_cycles": 2, "max_steps": 3, "noise": {"enabled": True, "hidden": 16},
        "has_value_head": True}


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


def tiny_trainer(h_cycles=3, deterministic=False):
    config = dict(TINY, h_cycles=h_cycles)
    if deterministic:
        config["noise"] = {"enabled": False, "hidden": 0}
    model = GramModel(ModelConfig.from_json(config))
    init = torch.Generator().manual_seed(0)
    model.reset_parameters(init)
    return Trainer(model, torch.Generator().manual_seed(1), answer_check("sudoku:4"),
                   init_generator=init, lr=1e-3, weight_decay=0.1, beta=1.0, halt_weight=0.5,
                   value_weight=0.5, ema_decay=0.998, warmup=1)


class TransitionRuleTest(unittest.TestCase):
    """Every transition samples the prior or pays its KL (science.md s2, the first pitfall)."""

    def test_one_posterior_sample_per_supervision_step_and_it_pays_kl(self):
        trainer = tiny_trainer(h_cycles=3)
        model = trainer.model
        calls = []
        original = model.prior_parameters

        def prior(u, hold_weights=False):
            calls.append(("prior", torch.is_grad_enabled()))
            return original(u, hold_weights)

        model.prior_parameters = prior
        trainer.posterior.register_forward_hook(
            lambda *_: calls.append(("posterior", torch.is_grad_enabled())))
        x, y = sudoku_instances(4, 2, seed=0)
        h = model.init.h.detach().expand(2, 17, 16)
        l = model.init.l.detach().expand(2, 17, 16)
        loss, metrics, _, _ = trainer.posterior_rows(x, y, h, l)
        # T = 3: two prior transitions without gradient, then the posterior sample (with
        # gradient) and the prior's parameters for its KL, which is in the loss.
        self.assertEqual(calls, [("prior", False), ("prior", False), ("posterior", True),
                                 ("prior", True)])
        self.assertEqual(metrics["kl"], 0.0)  # the posterior starts as a copy of the prior
        loss.backward()
        self.assertIsNotNone(model.prior.mu.grad)  # the KL trains the prior

    def test_kl_prices_what_the_posterior_takes_from_the_target(self):
        trainer = tiny_trainer(h_cycles=2)
        x, y = sudoku_instances(4, 2, seed=0)
        h = trainer.model.init.h.detach().expand(2, 17, 16)
        with torch.no_grad():
            trainer.posterior.hidden.weight[:, 16:].normal_(generator=torch.Generator()
                                                            .manual_seed(0))
        loss, metrics, _, _ = trainer.posterior_rows(x, y, h, h)
        self.assertGreater(metrics["kl"], 0.01)
        self.assertAlmostEqual(loss.item(), metrics["ce"] + 1.0 * metrics["kl"], places=5)

    def test_no_halt_or_value_loss_on_posterior_rows(self):
        trainer = tiny_trainer(h_cycles=2)
        x, y = sudoku_instances(4, 2, seed=0)
        h = trainer.model.init.h.detach().expand(2, 17, 16)
        loss, metrics, _, _ = trainer.posterior_rows(x, y, h, h)
        loss.backward()
        self.assertIsNone(trainer.model.head.q.grad)
        self.assertIsNone(trainer.model.head.value.grad)

    def test_deterministic_rows_carry_the_new_state_and_train_the_transition(self):
        # TRM: the supervision step's last transition is h = F_H(h + l) with gradient; the CE
        # is taken on that new state and it is what the slot carries on, exactly as a
        # deterministic inference step computes it.
        trainer = tiny_trainer(h_cycles=2, deterministic=True)
        model = trainer.model
        x, y = sudoku_instances(4, 2, seed=0)
        h = model.init.h.detach().expand(2, 17, 16)
        l = model.init.l.detach().expand(2, 17, 16)
        loss, _, carried_h, carried_l = trainer.posterior_rows(x, y, h, l)
        with torch.no_grad():
            expected_h, expected_l = model.supervision_step(h, l, model.embed_input(x))
        torch.testing.assert_close(carried_h, expected_h)
        torch.testing.assert_close(carried_l, expected_l)
        loss.backward()
        # The gradient reaches the high-level network through the last transition.
        self.assertTrue(any(p.grad is not None and p.grad.abs().sum() > 0
                            for p in model.high_network.parameters()))

    def test_clipping_covers_the_posterior(self):
        trainer = tiny_trainer(h_cycles=2)
        ids = {id(p) for p in trainer.parameters}
        for p in list(trainer.model.parameters()) + list(trainer.posterior.parameters()):
            self.assertIn(id(p), ids)


def write_splits(workdir, counts=(120, 30, 30), seeds=(1, 3, 2), n=4):
    """Sudoku files where the trainer expects them, so no engine binary is needed."""
    os.makedirs(workdir, exist_ok=True)
    for name, count, seed in zip(("train", "validation", "test"), counts, seeds):
        path = split_files(workdir, name, count, seed, option_sets([]))[0]["path"]
        x, y = sudoku_instances(n, count, seed=100 + seed)
        with open(path, "w") as handle:
            for board, solution in zip(x.tolist(), y.tolist()):
                handle.write("".join("." if t == 1 else str(t - 1) for t in board) + ","
                             + "".join(str(t - 1) for t in solution) + "\n")


class TrainScriptTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)
        self.config = os.path.join(self.folder.name, "tiny.json")
        with open(self.config, "w") as handle:
            json.dump(TINY, handle)

    def run_train(self, *args):
        out = io.StringIO()
        with redirect_stdout(out):
            code = train.main(list(args))
        self.assertEqual(code, 0)
        return out.getvalue()

    def common(self, work, *extra):
        return ["--model-config", self.config, "--workdir", work, "--gram", "/bin/false",
                "--train-count", "120", "--val-count", "30", "--test-count", "30",
                "--batch", "4", "--head-rollouts", "2", "--replay-rows", "3",
                "--replay-capacity", "20", "--eval-every", "3", "--eval-count", "6",
                "--eval-width", "3", "--log-every", "2", "--checkpoint-every", "100", *extra]

    def test_resume_is_bit_for_bit(self):
        states = {}
        for name, stops in (("one go", [8]), ("halves", [4, 8])):
            work = os.path.join(self.folder.name, name)
            write_splits(work)
            for index, stop in enumerate(stops):
                resume = ["--resume"] if index else []
                log = self.run_train(*self.common(work, "--max-updates", str(stop), *resume))
                self.assertIn(f"update {stop}", log)
            states[name] = torch.load(os.path.join(work, "checkpoint.pt"), weights_only=False)
        one, two = states["one go"]["trainer"], states["halves"]["trainer"]
        self.assertEqual(one["step"], 8)
        self.assertEqual(two["step"], 8)
        for part in ("model", "ema", "posterior"):
            for key, value in one[part].items():
                self.assertTrue(torch.equal(value, two[part][key]), f"{part} {key}")
        self.assertEqual(states["one go"]["progress"]["training_flops"],
                         states["halves"]["progress"]["training_flops"])
        for key, value in states["one go"]["buffer"]["data"].items():
            self.assertTrue(torch.equal(value, states["halves"]["buffer"]["data"][key]), key)

    def test_flop_budget_metadata_and_export(self):
        work = os.path.join(self.folder.name, "budget")
        write_splits(work)
        output = os.path.join(work, "model.safetensors")
        args = self.common(work, "--select", "last", "--output", output)
        per_update = train.TrainingRun(train.parse_args(args), train.load_config(
            train.parse_args(args)), torch.device("cpu")).update_flops()
        log = self.run_train(*args, "--flop-budget", str(3.5 * per_update))
        self.assertIn("ETA", log)
        self.assertIn("(FLOP budget)", log)
        with open(os.path.join(work, "summary.json")) as handle:
            summary = json.load(handle)
        record = summary["gram_training"]
        self.assertEqual(record["updates"], 4)
        self.assertEqual(record["training_flops"], 4 * per_update)
        self.assertEqual(record["selected_on"], "validation")
        self.assertEqual(record["objective"], "gram")
        self.assertEqual(record["trainer"], "tools/train.py")
        for key in ("batch", "supervision_steps", "training_puzzles", "data", "wall_s"):
            self.assertIn(key, record)
        _, metadata = read_safetensors(output)
        strict = json.loads(metadata["gram_training"],
                            parse_constant=lambda name: self.fail(f"{name} is not JSON"))
        self.assertEqual(strict, record)
        self.assertIsNone(record["validation"]["value_auroc_within"])  # no pair: null
        self.assertEqual(load_model(output).config.task, "sudoku:4")
        gram = helpers.gram_binary()
        if gram:
            info = subprocess.run([gram, "info", output], capture_output=True, text=True)
            self.assertEqual(info.returncode, 0, info.stderr)  # the engine ignores the key

    def test_deterministic_resume_and_export_only(self):
        work = os.path.join(self.folder.name, "trm")
        write_splits(work)
        output = os.path.join(work, "model.safetensors")
        args = self.common(work, "--deterministic")
        log = self.run_train(*args, "--max-updates", "3")
        self.assertIn("eval 3: validation", log)
        log = self.run_train(*args, "--max-updates", "5", "--resume", "--output", output)
        self.assertIn("resumed from", log)
        self.assertFalse(load_model(output).config.noise.enabled)
        _, metadata = read_safetensors(output)
        self.assertEqual(json.loads(metadata["gram_training"])["objective"], "deterministic")
        again = os.path.join(work, "again.safetensors")
        self.run_train(*args, "--export-only", "--resume", "--output", again)
        with open(output, "rb") as a, open(again, "rb") as b:
            self.assertEqual(a.read(), b.read())
        with self.assertRaises(SystemExit) as caught:
            self.run_train(*self.common(work, "--deterministic", "--batch", "5"), "--resume")
        self.assertIn("--batch 5 differs", str(caught.exception))

    def test_update_counts_every_application_it_runs(self):
        work = os.path.join(self.folder.name, "count")
        write_splits(work)
        args = train.parse_args(self.common(work))
        config = train.load_config(args)
        run = train.TrainingRun(args, config, torch.device("cpu"))
        with redirect_stdout(io.StringIO()):
            run.attach_data(train.prepare_data(args, config, run.symmetry))
        rows = []  # rows (trajectories) of every network application
        original = Network.forward

        def counting(module, x, rope, *rest, **options):
            rows.append(x.shape[0])
            return original(module, x, rope, *rest, **options)

        Network.forward = counting
        try:
            with redirect_stdout(io.StringIO()):
                run.update()
        finally:
            Network.forward = original
        T, K, steps = config.h_cycles, config.l_cycles, config.max_steps
        applications = (4 + 2 * steps + 3) * T * (K + 1)  # slots, rollouts, replays
        self.assertEqual(sum(rows), applications)
        c = count_flops(config)
        forward = (4 * (T * c.per_transition + c.posterior + c.lm_head)
                   + 2 * steps * c.per_step + 3 * (T * c.per_transition + c.heads))
        backward = 2 * (4 * (c.core_per_transition + c.posterior + c.prior + c.lm_head)
                        + 3 * (c.per_transition + c.q_head + c.value_head))
        self.assertEqual(run.progress["training_flops"], forward + backward)

    def test_ranking_objective_runs_and_resumes(self):
        work = os.path.join(self.folder.name, "ranking")
        write_splits(work)
        args = self.common(work, "--head-rollouts", "4", "--rollout-group", "2",
                           "--ranking-weight", "0.5")
        log = self.run_train(*args, "--max-updates", "4")
        self.assertIn("ranked_groups", log)
        self.run_train(*args, "--max-updates", "6", "--resume")
        with self.assertRaises(SystemExit) as caught:
            train.parse_args(self.common(work, "--ranking-weight", "0.5"))
        self.assertIn("--rollout-group 2 or more", str(caught.exception))
        with self.assertRaises(SystemExit) as caught:
            train.parse_args(self.common(work, "--rollout-group", "3"))
        self.assertIn("must divide", str(caught.exception))

    def test_refuses_a_puzzle_file_without_targets(self):
        work = os.path.join(self.folder.name, "bad")
        write_splits(work)
        path = split_files(work, "train", 120, 1, option_sets([]))[0]["path"]
        with open(path, "a") as handle:
            handle.write("1.34............\n")
        with self.assertRaises(SystemExit) as caught:
            self.run_train(*self.common(work))
        self.assertIn(":121: no solution", str(caught.exception))

    def test_three_distinct_seeds(self):
        for seeds in (("3", "3", "2"), ("1", "2", "2"), ("4", "3", "4")):
            with self.subTest(seeds=seeds):
                with self.assertRaises(SystemExit) as caught:
                    train.parse_args(["--model-config", "x.json", "--workdir", "w",
                                      "--train-seed", seeds[0], "--val-seed", seeds[1],
                                      "--test-seed", seeds[2]])
                self.assertIn("distinct seeds", str(caught.exception))

    def test_mixture_of_generator_options(self):
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary to generate data; skipping")
        work = os.path.join(self.folder.name, "mix")
        log = self.run_train(
            "--model-config", self.config, "--workdir", work, "--gram", gram,
            "--train-count", "61", "--val-count", "10", "--test-count", "10",
            "--generate-args", "--givens 8", "--generate-args", "--givens 10",
            "--batch", "4", "--max-updates", "1", "--eval-count", "4", "--eval-width", "2")
        files = sorted(os.listdir(work))
        self.assertIn("train-31-s16-givens_8.txt", files)
        self.assertIn("train-30-s17-givens_10.txt", files)
        self.assertIn("validation-5-s48-givens_8.txt", files)
        self.assertIn("test-5-s33-givens_10.txt", files)
        self.assertIn("data: 61 training, 10 validation, 10 test puzzles", log)

    def test_trains_a_multi_solution_task(self):
        # N-Queens: the engine's file is read, boards whose orbit (8 rotations and
        # reflections) holds a validation or test board leave the training set, and the
        # evaluation counts any valid completion.
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary to generate training data; skipping")
        queens = dict(TINY, task="nqueens:5", vocab_size=3, seq_len=25)
        with open(self.config, "w") as handle:
            json.dump(queens, handle)
        work = os.path.join(self.folder.name, "queens")
        output = os.path.join(work, "model.safetensors")
        log = self.run_train("--model-config", self.config, "--workdir", work, "--gram", gram,
                             "--train-count", "60", "--val-count", "20", "--test-count", "5",
                             "--generate-args", "--removed 2", "--batch", "4",
                             "--eval-every", "2", "--eval-count", "20", "--eval-width", "2",
                             "--log-every", "2", "--max-updates", "2", "--output", output)
        self.assertIn("the 8 rotations and reflections", log)
        dropped = int(log.split(" training puzzles in the orbit")[0].rsplit(" ", 1)[1])
        self.assertGreater(dropped, 0)  # 5x5 boards with 3 queens: few orbits, shared
        self.assertIn("eval 2: validation", log)
        with open(os.path.join(work, "summary.json")) as handle:
            summary = json.load(handle)
        self.assertEqual(summary["gram_training"]["updates"], 2)
        self.assertTrue(0.0 <= summary["final_eval"]["exact"] <= 1.0)
        self.assertEqual(load_model(output).config.task, "nqueens:5")


if __name__ == "__main__":
    unittest.main()
