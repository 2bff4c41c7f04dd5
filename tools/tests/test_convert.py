"""tools/convert.py on state dicts with the official TRM/HRM key names and shapes.

The checkpoints are built here (random weights, official names, official shapes for tiny
all_config.yaml files). The check of the mapping is a forward pass written the way the official
code is organised (L_level/H_level modules over `z + injection`, the puzzle embedding padded to
puzzle_emb_len x hidden_size, rotary tables as cat(freqs, freqs)), run on the original state
dict, against the reference model loaded from the converted file.
"""
import math
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch
import torch.nn.functional as F
import yaml

from tests import helpers
from gram_reference import load_model
from gram_reference.checkpoints import swiglu_width

CONVERT = os.path.join(helpers.TOOLS, "convert.py")
PREFIX = "_orig_mod.model.inner."

TRM_MLP_T = dict(H_cycles=2, L_cycles=2, H_layers=0, L_layers=2, expansion=2, hidden_size=16,
                 num_heads=2, mlp_t=True, no_ACT_continue=True, pos_encodings="none",
                 puzzle_emb_len=2, puzzle_emb_ndim=24, halt_max_steps=16,
                 forward_dtype="bfloat16", name="recursive_reasoning.trm@TinyRecursive")
TRM_ATTENTION = dict(TRM_MLP_T, mlp_t=False, pos_encodings="rope", puzzle_emb_len=1,
                     puzzle_emb_ndim=16, no_ACT_continue=False)
TRM_LEARNED = dict(TRM_MLP_T, pos_encodings="learned")
HRM = dict(H_cycles=2, L_cycles=2, H_layers=2, L_layers=2, expansion=2, hidden_size=16,
           num_heads=4, pos_encodings="rope", puzzle_emb_ndim=16, halt_max_steps=16,
           forward_dtype="bfloat16", name="hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1")
SEQ_LEN, VOCAB = 16, 6  # sudoku:4


def official_state(kind, arch, seed=0, prefixed=True):
    """A state dict with the official names and shapes."""
    g = torch.Generator().manual_seed(seed)
    D = arch["hidden_size"]
    P = (arch.get("puzzle_emb_len") or -(arch["puzzle_emb_ndim"] // -D)) if kind == "trm" \
        else -(arch["puzzle_emb_ndim"] // -D)
    S = P + SEQ_LEN
    F_ = swiglu_width(D, arch["expansion"])
    state = {"embed_tokens.embedding_weight": torch.randn(VOCAB, D, generator=g) / 4,
             "puzzle_emb.weights": torch.randn(1, arch["puzzle_emb_ndim"], generator=g) / 4,
             "H_init": torch.randn(D, generator=g).to(torch.bfloat16),
             "L_init": torch.randn(D, generator=g).to(torch.bfloat16),
             "lm_head.weight": torch.randn(VOCAB, D, generator=g) / 4,
             "q_head.weight": torch.randn(2, D, generator=g) / 4,
             "q_head.bias": torch.randn(2, generator=g)}
    if arch["pos_encodings"] == "learned":
        state["embed_pos.embedding_weight"] = torch.randn(S, D, generator=g) / 4
    levels = ["L_level"] if kind == "trm" else ["H_level", "L_level"]
    for level in levels:
        for i in range(arch["L_layers"]):
            layer = f"{level}.layers.{i}."
            if kind == "trm" and arch["mlp_t"]:
                Ft = swiglu_width(S, arch["expansion"])
                state[layer + "mlp_t.gate_up_proj.weight"] = torch.randn(2 * Ft, S, generator=g) / math.sqrt(S)
                state[layer + "mlp_t.down_proj.weight"] = torch.randn(S, Ft, generator=g) / math.sqrt(Ft)
            else:
                state[layer + "self_attn.qkv_proj.weight"] = torch.randn(3 * D, D, generator=g) / math.sqrt(D)
                state[layer + "self_attn.o_proj.weight"] = torch.randn(D, D, generator=g) / math.sqrt(D)
            state[layer + "mlp.gate_up_proj.weight"] = torch.randn(2 * F_, D, generator=g) / math.sqrt(D)
            state[layer + "mlp.down_proj.weight"] = torch.randn(D, F_, generator=g) / math.sqrt(F_)
    if prefixed:
        state = {PREFIX + k: v for k, v in state.items()}
    return state


def official_forward(kind, arch, state, tokens, steps):
    """The official models' forward organisation, in float64, from the original state dict."""
    sd = {k[len(PREFIX):] if k.startswith(PREFIX) else k: v.double() for k, v in state.items()}
    D = arch["hidden_size"]
    P = (arch.get("puzzle_emb_len") or -(arch["puzzle_emb_ndim"] // -D)) if kind == "trm" \
        else -(arch["puzzle_emb_ndim"] // -D)
    embedding = sd["embed_tokens.embedding_weight"][tokens]                 # (B, L, D)
    puzzle = sd["puzzle_emb.weights"][torch.zeros(tokens.shape[0], dtype=torch.long)]
    puzzle = F.pad(puzzle, (0, P * D - puzzle.shape[-1]))
    embedding = torch.cat((puzzle.view(-1, P, D), embedding), dim=-2)
    if arch["pos_encodings"] == "learned":
        embedding = 0.707106781 * (embedding + sd["embed_pos.embedding_weight"])
    e = math.sqrt(D) * embedding
    S = e.shape[1]
    mlp_t = kind == "trm" and arch["mlp_t"]
    heads = arch["num_heads"]
    head_dim = D // heads
    inv_freq = 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    freqs = torch.outer(torch.arange(S, dtype=torch.float64), inv_freq)
    cos, sin = torch.cat((freqs, freqs), -1).cos(), torch.cat((freqs, freqs), -1).sin()

    def rms_norm(x):
        return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + 1e-5)

    def swiglu(x, name):
        gate, up = (x @ sd[name + ".gate_up_proj.weight"].T).chunk(2, dim=-1)
        return (F.silu(gate) * up) @ sd[name + ".down_proj.weight"].T

    def rotate_half(x):
        return torch.cat((-x[..., x.shape[-1] // 2:], x[..., :x.shape[-1] // 2]), dim=-1)

    def attention(x, name):
        B = x.shape[0]
        qkv = (x @ sd[name + ".qkv_proj.weight"].T).view(B, S, 3 * heads, head_dim)
        q, k, v = qkv[:, :, :heads], qkv[:, :, heads:2 * heads], qkv[:, :, 2 * heads:]
        if arch["pos_encodings"] == "rope":
            q = q * cos.unsqueeze(-2) + rotate_half(q) * sin.unsqueeze(-2)
            k = k * cos.unsqueeze(-2) + rotate_half(k) * sin.unsqueeze(-2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(head_dim), dim=-1)
        return (weights @ v).transpose(1, 2).reshape(B, S, D) @ sd[name + ".o_proj.weight"].T

    def level(name, z, injection):
        z = z + injection
        for i in range(arch["L_layers"]):
            layer = f"{name}.layers.{i}"
            if mlp_t:
                z = z.transpose(1, 2)
                z = rms_norm(z + swiglu(z, layer + ".mlp_t")).transpose(1, 2)
            else:
                z = rms_norm(z + attention(z, layer + ".self_attn"))
            z = rms_norm(z + swiglu(z, layer + ".mlp"))
        return z

    high = "L_level" if kind == "trm" else "H_level"
    z_H = sd["H_init"].expand_as(e).clone()
    z_L = sd["L_init"].expand_as(e).clone()
    outputs = []
    for _ in range(steps):
        for _h in range(arch["H_cycles"]):
            for _l in range(arch["L_cycles"]):
                z_L = level("L_level", z_L, z_H + e)
            z_H = level(high, z_H, z_L)
        logits = (z_H @ sd["lm_head.weight"].T)[:, P:]
        q = z_H[:, 0] @ sd["q_head.weight"].T + sd["q_head.bias"]
        outputs.append((logits, q))
    return outputs


def write_checkpoint(folder, arch, state):
    os.makedirs(folder, exist_ok=True)
    torch.save(state, os.path.join(folder, "step_1000"))
    with open(os.path.join(folder, "all_config.yaml"), "w") as handle:
        yaml.safe_dump({"arch": arch, "lr": 1e-4, "data_paths": ["data/sudoku"]}, handle)
    return os.path.join(folder, "step_1000")


def convert(kind, checkpoint, output, *extra, task="sudoku:4"):
    return subprocess.run([sys.executable, CONVERT, kind, checkpoint, "--task", task,
                           "--output", output, *extra], capture_output=True, text=True)


CASES = [("trm", "trm_mlp_t", TRM_MLP_T, True), ("trm", "trm_attention_rope", TRM_ATTENTION, False),
         ("trm", "trm_mlp_t_learned", TRM_LEARNED, True), ("hrm", "hrm_rope", HRM, True)]


class ConvertTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        cls.converted = {}
        for kind, name, arch, prefixed in CASES:
            state = official_state(kind, arch, seed=len(cls.converted), prefixed=prefixed)
            checkpoint = write_checkpoint(os.path.join(cls.folder.name, name), arch, state)
            output = os.path.join(cls.folder.name, name + ".safetensors")
            result = convert(kind, checkpoint, output)
            cls.converted[name] = (kind, arch, state, output, result)

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def test_reference_matches_official_forward(self):
        tokens = torch.from_numpy(np.random.default_rng(0).integers(0, VOCAB, (3, SEQ_LEN)))
        for name, (kind, arch, state, output, result) in self.converted.items():
            with self.subTest(case=name):
                self.assertEqual(result.returncode, 0, result.stderr)
                model = load_model(output).double()
                expected_rule = "compare" if kind == "hrm" or not arch.get("no_ACT_continue", True) \
                    else "sigmoid"
                self.assertEqual(model.config.halt_rule, expected_rule)
                self.assertEqual(model.config.shared_networks, kind == "trm")
                official = official_forward(kind, arch, state, tokens, steps=2)
                with torch.no_grad():
                    h, l, e = model.start(tokens)
                    for logits_expected, q_expected in official:
                        h, l = model.supervision_step(h, l, e)
                        logits, q, _ = model.heads(h)
                        torch.testing.assert_close(logits, logits_expected, rtol=1e-9, atol=1e-9)
                        torch.testing.assert_close(q, q_expected, rtol=1e-9, atol=1e-9)

    def test_engine_loads_converted_files(self):
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary (build/src/gram); skipping 'gram info' on the "
                          "converted files")
        for name, (_, _, _, output, result) in self.converted.items():
            with self.subTest(case=name):
                self.assertEqual(result.returncode, 0, result.stderr)
                info = subprocess.run([gram, "info", output], capture_output=True, text=True)
                self.assertEqual(info.returncode, 0, info.stderr)
                self.assertIn("parameters", info.stdout)

    def refused(self, kind, arch, state, needle, *extra, task="sudoku:4"):
        with tempfile.TemporaryDirectory() as folder:
            checkpoint = write_checkpoint(folder, arch, state)
            result = convert(kind, checkpoint, os.path.join(folder, "out.safetensors"), *extra,
                             task=task)
        self.assertEqual(result.returncode, 1)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn(needle, lines[0])
        self.assertTrue(lines[0].startswith("convert: error: "), lines[0])
        self.assertFalse(os.path.exists(os.path.join(folder, "out.safetensors")))

    def test_refuses_unknown_key(self):
        state = official_state("trm", TRM_MLP_T)
        state[PREFIX + "L_level.layers.0.mlp.extra.weight"] = torch.zeros(2)
        self.refused("trm", TRM_MLP_T, state, "unknown key 'L_level.layers.0.mlp.extra.weight'")

    def test_refuses_missing_key(self):
        state = official_state("hrm", HRM)
        del state[PREFIX + "H_level.layers.1.self_attn.o_proj.weight"]
        self.refused("hrm", HRM, state, "missing key 'H_level.layers.1.self_attn.o_proj.weight'")

    def test_refuses_shape_mismatch(self):
        state = official_state("trm", TRM_ATTENTION)
        state[PREFIX + "lm_head.weight"] = torch.zeros(VOCAB, 8)
        self.refused("trm", TRM_ATTENTION, state, "key 'lm_head.weight' has shape [6, 8]")
        state = official_state("trm", TRM_MLP_T)
        state[PREFIX + "L_level.layers.1.mlp.gate_up_proj.weight"] = torch.zeros(4, 16)
        self.refused("trm", TRM_MLP_T, state, "'L_level.layers.1.mlp.gate_up_proj.weight' has shape")

    def test_refuses_hrm_keys_in_trm_checkpoint(self):
        self.refused("trm", dict(HRM, mlp_t=False), official_state("hrm", HRM),
                     "unknown key 'H_level.layers.0")

    def test_refuses_a_task_the_engine_cannot_run(self):
        # TRM's ARC checkpoints: they would convert, and every command would refuse them.
        self.refused("trm", TRM_MLP_T, official_state("trm", TRM_MLP_T),
                     "--task 'arc:30': the engine runs sudoku:N, nqueens:N, coloring:N:K and "
                     "maze:N", "--seq-len", "16", task="arc:30")
        self.refused("trm", TRM_MLP_T, official_state("trm", TRM_MLP_T),
                     "--task 'nqueens:3': expected nqueens:<4..12>", task="nqueens:3")

    def test_a_maze_checkpoint_converts_and_runs(self):
        # TRM's Maze-Hard model at toy size: attention weights do not depend on the length, so
        # the Sudoku-shaped state dict serves a 5 x 5 maze (25 positions).
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary (build/src/gram); skipping 'gram run'")
        with tempfile.TemporaryDirectory() as folder:
            checkpoint = write_checkpoint(folder, TRM_ATTENTION,
                                          official_state("trm", TRM_ATTENTION))
            model = os.path.join(folder, "maze.safetensors")
            result = convert("trm", checkpoint, model, task="maze:5")
            self.assertEqual(result.returncode, 0, result.stderr)
            mazes = os.path.join(folder, "mazes.txt")
            subprocess.run([gram, "generate", "--task", "maze:5", "--count", "3", "--output",
                            mazes], check=True, capture_output=True)
            run = subprocess.run([gram, "run", "--model", model, "--puzzles", mazes, "--width",
                                  "1", "--depth", "2", "--aggregators", "majority", "--output",
                                  os.path.join(folder, "run.jsonl")],
                                 capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)

    def test_refuses_a_nested_dict_naming_it(self):
        nested = {"model": official_state("trm", TRM_MLP_T), "step": torch.tensor(5)}
        self.refused("trm", TRM_MLP_T, nested, "is a nested dict (its key 'model' holds a dict")


if __name__ == "__main__":
    unittest.main()
