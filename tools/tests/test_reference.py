"""The reference's building blocks: Philox known answers, Box-Muller, the container, the config."""
import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
import torch

from tests import helpers
from gram_reference import (ConfigError, GramModel, ModelConfig, SafetensorsError, load_model,
                            philox4x32, read_safetensors, save_model, transition_noise,
                            write_safetensors, expected_tensors)
from gram_reference.philox import boxmuller_float


class PhiloxTest(unittest.TestCase):
    def test_known_answers(self):
        # Random123's kat_vectors for philox4x32 with 10 rounds.
        cases = [
            ([0, 0, 0, 0], (0, 0), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]),
            ([0xffffffff] * 4, (0xffffffff, 0xffffffff),
             [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]),
            ([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], (0xa4093822, 0x299f31d0),
             [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]),
        ]
        for counter, key, expected in cases:
            self.assertEqual(philox4x32(np.array(counter), key).tolist(), expected)

    def test_boxmuller_edges(self):
        # u1 = 0 maps to 2^-33, never log(0); u0 = 0 gives angle pi * 2^-32 (sin ~ 0).
        x, y = boxmuller_float(np.array([0], np.uint32), np.array([0], np.uint32))
        self.assertTrue(np.isfinite(x).all() and np.isfinite(y).all())
        self.assertAlmostEqual(float(y[0]), np.sqrt(-2 * np.log(2.0**-33)), places=4)
        # u1 = 2^32-1 gives u01 = 1.0 in float32, so the radius is 0.
        x, y = boxmuller_float(np.array([123], np.uint32), np.array([0xffffffff], np.uint32))
        self.assertEqual(float(x[0]), 0.0)

    def test_libm_and_float64_paths_agree_to_an_ulp(self):
        exact = transition_noise(5, 1, 2, 3, 1, 64, 16, use_libm=True)
        rounded = transition_noise(5, 1, 2, 3, 1, 64, 16, use_libm=False)
        np.testing.assert_allclose(exact, rounded, rtol=3e-7, atol=3e-7)

    def test_noise_layout(self):
        eps = transition_noise(2**40 + 7, 9, 4, 5, 2, 3, 6)
        self.assertEqual(eps.shape, (3, 6))
        # Element e lives in group e // 4 of the counter (e // 4, (5 << 8) | 2, 4, 9).
        words = philox4x32(np.array([[1, (5 << 8) | 2, 4, 9]]), (7, 2**8))
        first = boxmuller_float(words[:, 0], words[:, 1])
        self.assertEqual(float(eps.reshape(-1)[4]), float(first[0][0]))
        self.assertEqual(float(eps.reshape(-1)[5]), float(first[1][0]))
        # The last, partial group is cut at positions * hidden.
        self.assertEqual(transition_noise(1, 0, 0, 0, 0, 1, 5).shape, (1, 5))
        with self.assertRaises(ValueError):
            transition_noise(1, 0, 0, 2**24, 0, 1, 4)

    def test_statistics(self):
        eps = transition_noise(11, 0, 0, 0, 0, 256, 256).reshape(-1)
        self.assertLess(abs(eps.mean()), 0.01)
        self.assertLess(abs(eps.std() - 1), 0.01)


def tiny_config(**overrides):
    values = dict(task="sudoku:4", vocab_size=6, seq_len=16, prefix_len=1, hidden_size=8,
                  num_layers=1, mixer="mlp_t", mlp_t_hidden=8, ffn_hidden=16, l_cycles=2,
                  h_cycles=2, max_steps=4)
    values.update(overrides)
    return ModelConfig(**values)


class ContainerTest(unittest.TestCase):
    def test_round_trip_all_dtypes(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "t.safetensors")
            values = {"b": np.arange(6, dtype=np.float32).reshape(2, 3) / 7, "a": np.float32([1.5])}
            for dtype, tolerance in (("F32", 0), ("F16", 1e-3), ("BF16", 1e-2)):
                write_safetensors(path, values, {"k": "v"}, dtype)
                tensors, metadata = read_safetensors(path)
                self.assertEqual(metadata, {"k": "v"})
                for name in values:
                    np.testing.assert_allclose(tensors[name], values[name], atol=tolerance)
            with open(path, "rb") as handle:
                length = int.from_bytes(handle.read(8), "little")
            self.assertEqual(length % 8, 0)

    def test_bf16_rounds_to_nearest_even(self):
        from gram_reference.safetensors import float32_to_bf16
        bits = np.array([0x3f808000, 0x3f818000, 0x3f808001, 0x7fc00001], np.uint32)
        self.assertEqual(float32_to_bf16(bits.view(np.float32)).tolist(),
                         [0x3f80, 0x3f82, 0x3f81, 0x7fc0])

    def test_rejects_malformed(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "bad.safetensors")

            def write(header, data=b""):
                text = json.dumps(header).encode()
                with open(path, "wb") as handle:
                    handle.write(len(text).to_bytes(8, "little") + text + data)

            write({"w": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}, bytes(8))
            with self.assertRaisesRegex(SafetensorsError, "unsupported dtype 'I64'"):
                read_safetensors(path)
            write({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8))
            with self.assertRaisesRegex(SafetensorsError, "needs 12"):
                read_safetensors(path)
            write({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                   "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12))
            with self.assertRaisesRegex(SafetensorsError, "overlap"):
                read_safetensors(path)


class ConfigTest(unittest.TestCase):
    def test_json_round_trip_and_errors(self):
        config = tiny_config()
        again = ModelConfig.from_json(config.to_json_text())
        self.assertEqual(again, config)
        self.assertIn('"norm_eps":1e-05', config.to_json_text())
        bad = config.to_json()
        bad["foo"] = 1
        with self.assertRaisesRegex(ConfigError, "unknown key 'foo'"):
            ModelConfig.from_json(bad)
        bad = config.to_json()
        bad["noise"]["sigma"] = 1
        with self.assertRaisesRegex(ConfigError, "unknown key 'noise.sigma'"):
            ModelConfig.from_json(bad)
        bad = config.to_json()
        bad["mixer"], bad["num_heads"] = "attention", 3
        with self.assertRaisesRegex(ConfigError, "not divisible by num_heads 3"):
            ModelConfig.from_json(bad)

    def test_state_dict_names_are_the_tensor_table(self):
        for overrides in ({}, {"shared_networks": False, "position_encoding": "learned"},
                          {"mixer": "attention", "num_heads": 2, "position_encoding": "rope",
                           "has_value_head": True},
                          {"noise": {"enabled": True, "hidden": 4}}):
            config = tiny_config(**overrides)
            model = GramModel(config)
            expected = expected_tensors(config)
            self.assertEqual(sorted(model.state_dict()), sorted(name for name, _ in expected))
            for name, shape in expected:
                self.assertEqual(tuple(model.state_dict()[name].shape), shape, name)


class EngineFileTest(unittest.TestCase):
    def test_engine_random_model_reads_and_rewrites_byte_identical(self):
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary (build/src/gram); skipping the engine round trip")
        with tempfile.TemporaryDirectory() as folder:
            original = os.path.join(folder, "engine.safetensors")
            copy = os.path.join(folder, "copy.safetensors")
            subprocess.run([gram, "generate", "--random-model",
                            os.path.join(helpers.ROOT, "configs/models/sudoku4-tiny.json"),
                            "--output", original, "--seed", "3"], check=True,
                           capture_output=True)
            save_model(copy, load_model(original))
            with open(original, "rb") as a, open(copy, "rb") as b:
                self.assertEqual(a.read(), b.read())


if __name__ == "__main__":
    unittest.main()
