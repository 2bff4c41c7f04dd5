"""FLOP counts (tools/gram_reference/flops.py): by hand, against `gram info`, and the trainer's
count of one update against the network applications it actually runs."""
import json
import os
import re
import subprocess
import tempfile
import unittest

from tests import helpers
from gram_reference import ModelConfig
from gram_reference.flops import (count_flops, posterior_row_flops, replay_row_flops,
                                  rollout_row_flops, update_flops)

BASE = {"task": "sudoku:4", "vocab_size": 6, "seq_len": 16, "prefix_len": 1, "hidden_size": 16,
        "num_layers": 2, "mixer": "mlp_t", "mlp_t_hidden": 24, "ffn_hidden": 32, "l_cycles": 2,
        "h_cycles": 3, "max_steps": 4, "noise": {"enabled": True, "hidden": 8},
        "has_value_head": True}
VARIANTS = {
    "mlp_t, noise, value head": {},
    "attention, rope, separate networks": {"mixer": "attention", "num_heads": 2,
                                           "position_encoding": "rope", "shared_networks": False},
    "attention, no prefix, no noise, no value head": {
        "mixer": "attention", "num_heads": 4, "prefix_len": 0, "noise": {"enabled": False},
        "has_value_head": False},
    "sudoku6-gram-small": json.load(open(os.path.join(helpers.TOOLS, "configs",
                                                      "sudoku6-gram-small.json"))),
}


def config_of(overrides):
    return ModelConfig.from_json(dict(BASE, **overrides))


class HandCountTest(unittest.TestCase):
    def test_mlp_t_by_hand(self):
        c = count_flops(config_of({}))
        S, D, F, Ft, H, L, V = 17, 16, 32, 24, 8, 16, 6
        self.assertEqual(c.per_application, 2 * (6 * S * D * F + 6 * D * S * Ft))
        self.assertEqual(c.prior, 6 * S * D * H)
        self.assertEqual(c.posterior, 2 * S * 2 * D * H + 2 * 2 * S * H * D)
        self.assertEqual(c.heads, 2 * L * D * V + 4 * D + 2 * D)
        self.assertEqual(c.per_transition, 3 * c.per_application + c.prior)
        self.assertEqual(c.per_step, 3 * c.per_transition + c.heads)

    def test_attention_by_hand(self):
        c = count_flops(config_of(VARIANTS["attention, rope, separate networks"]))
        S, D, F = 17, 16, 32
        self.assertEqual(c.per_application, 2 * (8 * S * D * D + 4 * S * S * D + 6 * S * D * F))

    def test_update_by_hand(self):
        c = count_flops(config_of({}))
        T, K, app = 3, 2, c.per_application
        transition = (K + 1) * app + c.prior
        # Posterior row: T - 1 prior transitions; the last (core + posterior + prior) and the LM
        # head, forward and backward (3x).
        self.assertEqual(posterior_row_flops(c), (T - 1) * transition
                         + 3 * ((K + 1) * app + c.posterior + c.prior + c.lm_head))
        self.assertEqual(rollout_row_flops(c, 4), 4 * (T * transition + c.heads))
        self.assertEqual(replay_row_flops(c), (T - 1) * transition
                         + 3 * (transition + c.q_head + c.value_head) + c.lm_head)
        self.assertEqual(update_flops(c, 5, 2, 4, 3), 5 * posterior_row_flops(c)
                         + 2 * rollout_row_flops(c, 4) + 3 * replay_row_flops(c))


class GramInfoTest(unittest.TestCase):
    def test_matches_gram_info(self):
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary (build/src/gram or GRAM_BINARY); skipping the "
                          "comparison with `gram info`")
        with tempfile.TemporaryDirectory() as folder:
            for name, overrides in VARIANTS.items():
                with self.subTest(variant=name):
                    config = config_of(overrides) if overrides.get("task") is None \
                        else ModelConfig.from_json(overrides)
                    path = os.path.join(folder, "config.json")
                    with open(path, "w") as handle:
                        json.dump(config.to_json(), handle)
                    model = os.path.join(folder, "model.safetensors")
                    subprocess.run([gram, "generate", "--random-model", path, "--output", model],
                                   check=True, capture_output=True)
                    info = subprocess.run([gram, "info", model], check=True,
                                          capture_output=True, text=True).stdout
                    printed = dict(re.findall(r"^(FLOPs[^:]*|applications[^:]*): (\S+)$", info,
                                              re.MULTILINE))
                    c = count_flops(config)
                    ours = {"FLOPs per application (one pass of F over P+L positions)":
                            c.per_application,
                            "FLOPs of the prior per transition": c.prior,
                            "FLOPs per transition ((K+1) applications + prior)": c.per_transition,
                            "FLOPs of the heads per supervision step": c.heads,
                            "FLOPs per supervision step": c.per_step,
                            "applications per supervision step":
                            c.h_cycles * c.applications_per_transition}
                    self.assertEqual(set(printed), set(ours), info)
                    for key, value in ours.items():
                        # gram info prints %g: six significant digits.
                        self.assertEqual(f"{value:g}", printed[key], key)
                    if c.per_application < 1e6:  # printed in full: exactly equal
                        self.assertEqual(int(printed[next(iter(ours))]), c.per_application)


if __name__ == "__main__":
    unittest.main()
