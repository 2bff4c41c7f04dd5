"""Head rollouts and their replay (tools/gram_reference/rollouts.py, Trainer.head_rows)."""
import unittest

import torch
import torch.nn.functional as F

from tests import helpers  # noqa: F401
from gram_reference import GramModel, ModelConfig
from gram_reference.puzzles import answer_check
from gram_reference.rollouts import ReplayBuffer, prior_rollout, step_noise
from gram_reference.training import Trainer, ranking_loss

TINY = {"task": "sudoku:4", "vocab_size": 6, "seq_len": 16, "prefix_len": 1, "hidden_size": 16,
        "num_layers": 1, "mixer": "mlp_t", "mlp_t_hidden": 16, "ffn_hidden": 32, "l_cycles": 2,
        "h_cycles": 2, "max_steps": 3, "noise": {"enabled": True, "hidden": 16},
        "has_value_head": True}
VALID = answer_check("sudoku:4")


def tiny_trainer(**overrides):
    model = GramModel(ModelConfig.from_json(dict(TINY, **overrides)))
    init = torch.Generator().manual_seed(0)
    model.reset_parameters(init)
    return Trainer(model, torch.Generator().manual_seed(1), VALID, init_generator=init, lr=1e-3,
                   weight_decay=0.1, beta=1.0, halt_weight=0.5, value_weight=0.5,
                   ema_decay=0.998, warmup=1)


def puzzles(count, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(2, 6, (count, 16), generator=g)
    x = torch.where(torch.rand(count, 16, generator=g) < 0.5, torch.ones_like(y), y)
    return x, y


class RolloutTest(unittest.TestCase):
    def test_rollout_is_inference_and_replays_exactly(self):
        trainer = tiny_trainer()
        model = trainer.model
        x, y = puzzles(3)
        rollout = prior_rollout(model, x, y, 3, torch.Generator().manual_seed(5), VALID)
        self.assertEqual(rollout["h"].shape, (3, 3, 17, 16))
        self.assertEqual(rollout["seed"].shape, (3, 3))
        # The same trajectory through the model's own inference path with the recorded noise.
        h, l, e = model.start(x)
        for step in range(3):
            torch.testing.assert_close(rollout["h"][:, step], h, rtol=0, atol=0)
            eps = step_noise(rollout["seed"][:, step], 2, 17, 16, "cpu")
            with torch.no_grad():
                h, l = model.supervision_step(h, l, e, lambda t: eps[t])
        # Replaying one step of one row alone reaches the next recorded state.
        with torch.no_grad():
            row, step = 1, 1
            eps = step_noise(rollout["seed"][row:row + 1, step], 2, 17, 16, "cpu")
            h1, _ = model.supervision_step(rollout["h"][row:row + 1, step],
                                           rollout["l"][row:row + 1, step], e[row:row + 1],
                                           lambda t: eps[t])
        torch.testing.assert_close(h1, rollout["h"][row:row + 1, step + 1], rtol=0, atol=1e-6)
        self.assertTrue(torch.equal(rollout["final"], rollout["correct"][:, -1]))

    def test_buffer_fifo_and_state(self):
        buffer = ReplayBuffer(5, 16, 17, 16)
        trainer = tiny_trainer()
        for seed in range(3):  # 3 pushes of 1 row x 3 steps into 5 places
            x, y = puzzles(1, seed)
            rollout = prior_rollout(trainer.model, x, y, 3, torch.Generator().manual_seed(seed),
                                    VALID)
            buffer.push_rollout(x, y, rollout)
        self.assertEqual(buffer.size, 5)
        self.assertEqual(buffer.cursor, 9 % 5)
        # Push 0 filled places 0-2, push 1 places 3, 4, 0, push 2 places 1-3: the oldest go.
        self.assertEqual(buffer.data["step"].tolist(), [3, 1, 2, 3, 2])
        for place, push in ((0, 1), (1, 2), (3, 2), (4, 1)):
            self.assertTrue(torch.equal(buffer.data["tokens"][place], puzzles(1, push)[0][0]))
        sample = buffer.sample(4, torch.Generator().manual_seed(0))
        self.assertEqual(sample["h"].shape, (4, 17, 16))
        copy = ReplayBuffer(5, 16, 17, 16)
        copy.load_state_dict(buffer.state_dict())
        for key in ReplayBuffer.FIELDS:
            self.assertTrue(torch.equal(copy.data[key], buffer.data[key]), key)
        with self.assertRaisesRegex(ValueError, "holds 5 records"):
            ReplayBuffer(6, 16, 17, 16).load_state_dict(buffer.state_dict())


class RankingTest(unittest.TestCase):
    def test_ranking_loss_by_hand(self):
        import math
        softplus = lambda z: math.log1p(math.exp(z))  # noqa: E731  -log sigmoid(-z)
        value = torch.tensor([2.0, 0.0, 1.0, 5.0, 0.3, 0.1])
        final = torch.tensor([True, False, True, False, True, True])
        member = torch.tensor([0, 0, 1, 1, 2, 2])  # group 2: all right, no pair
        loss, groups = ranking_loss(value, final, member)
        self.assertEqual(groups, 2)
        self.assertAlmostEqual(loss.item(), (softplus(0 - 2) + softplus(5 - 1)) / 2, places=6)
        # Two right, one wrong: the mean of the two pairs.
        loss, groups = ranking_loss(torch.tensor([1.0, 3.0, 0.0]),
                                    torch.tensor([True, True, False]), torch.tensor([0, 0, 0]))
        self.assertAlmostEqual(loss.item(), (softplus(-1) + softplus(-3)) / 2, places=6)
        loss, groups = ranking_loss(torch.zeros(2), torch.tensor([True, True]), torch.zeros(2,
                                    dtype=torch.long))
        self.assertEqual((loss.item(), groups), (0.0, 0))

    def test_sample_groups_returns_whole_groups_at_one_step(self):
        trainer = tiny_trainer()
        x, y = puzzles(2)
        x, y = x.repeat_interleave(3, 0), y.repeat_interleave(3, 0)  # 2 puzzles x 3
        rollout = prior_rollout(trainer.model, x, y, 3, torch.Generator().manual_seed(1), VALID)
        buffer = ReplayBuffer(18, 16, 17, 16)
        buffer.push_rollout(x, y, rollout, torch.tensor([7, 7, 7, 8, 8, 8]))
        sample = buffer.sample_groups(2, torch.Generator().manual_seed(0))
        for number in sample["member"].unique().tolist():
            rows = sample["member"] == number
            self.assertEqual(int(rows.sum()), 3)
            self.assertEqual(len(sample["group"][rows].unique()), 1)
            self.assertEqual(len(sample["step"][rows].unique()), 1)
            self.assertEqual(len(sample["seed"][rows].unique()), 3)  # distinct trajectories
            self.assertTrue((sample["tokens"][rows] == sample["tokens"][rows][0]).all())


class HeadRowsTest(unittest.TestCase):
    def test_targets_are_this_steps_answer_and_the_final_outcome(self):
        trainer = tiny_trainer()
        model = trainer.model
        x, y = puzzles(4)
        rollout = prior_rollout(model, x, y, 3, torch.Generator().manual_seed(2), VALID)
        buffer = ReplayBuffer(12, 16, 17, 16)
        buffer.push_rollout(x, y, rollout)
        replay = buffer.sample(6, torch.Generator().manual_seed(0))
        # Targets chosen so both cases show: final outcome 1 on some rows, and the answer's
        # correctness made true on some by setting the target to the model's own answer.
        replay["final"] = torch.tensor([1, 0, 1, 0, 1, 1], dtype=torch.bool)
        with torch.no_grad():
            eps = step_noise(replay["seed"], 2, 17, 16, "cpu")
            h, _ = model.supervision_step(replay["h"], replay["l"],
                                          model.embed_input(replay["tokens"]), lambda t: eps[t])
            logits, q, value = model.heads(h)
        replay["target"][:3] = logits[:3].argmax(-1)
        loss, metrics, halt_target = trainer.head_rows(replay)
        expected_halt = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
        self.assertTrue(torch.equal(halt_target, expected_halt))
        halt = F.binary_cross_entropy_with_logits(q[:, 0], expected_halt)
        value_loss = F.binary_cross_entropy_with_logits(value, replay["final"].float())
        torch.testing.assert_close(loss, 0.5 * halt + 0.5 * value_loss)
        self.assertAlmostEqual(metrics["value"], value_loss.item(), places=6)

    def test_head_losses_reach_the_core_but_not_the_prior_weights(self):
        trainer = tiny_trainer()
        model = trainer.model
        x, y = puzzles(2)
        rollout = prior_rollout(model, x, y, 3, torch.Generator().manual_seed(2), VALID)
        buffer = ReplayBuffer(6, 16, 17, 16)
        buffer.push_rollout(x, y, rollout)
        loss, _, _ = trainer.head_rows(buffer.sample(6, torch.Generator().manual_seed(0)))
        loss.backward()
        self.assertIsNotNone(model.head.value.grad)
        self.assertGreater(model.net.layers[0].ffn.down.grad.abs().sum().item(), 0)
        self.assertIsNone(model.prior.mu.grad)
        self.assertIsNone(model.head.lm.grad)  # no CE on head rows


if __name__ == "__main__":
    unittest.main()
