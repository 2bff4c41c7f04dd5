"""Regenerating the golden files reproduces the committed ones (tests/golden/)."""
import os
import unittest

import numpy as np
import torch

from tests import helpers
from gram_reference import golden, read_safetensors

GOLDEN = os.path.join(helpers.ROOT, "tests", "golden")


class GoldenRegenerationTest(unittest.TestCase):
    def test_regenerating_reproduces_committed_files(self):
        torch.set_num_threads(1)
        for index, variant in enumerate(golden.VARIANTS):
            with self.subTest(variant=variant.name):
                model, tensors, metadata = golden.build(index)
                stored_model, stored_meta = read_safetensors(
                    os.path.join(GOLDEN, f"{variant.name}.model.safetensors"))
                for name, value in model.tensors().items():
                    np.testing.assert_array_equal(stored_model[name], value, err_msg=name)
                stored, stored_metadata = read_safetensors(
                    os.path.join(GOLDEN, f"{variant.name}.golden.safetensors"))
                self.assertEqual(stored_metadata, metadata)
                self.assertEqual(sorted(stored), sorted(tensors))
                # Inputs, eps and halting decisions are exact; float64 results rounded to float32
                # may move by an ulp with another BLAS.
                for name in ("input", "eps", "halt"):
                    if name in tensors:
                        np.testing.assert_array_equal(stored[name], tensors[name], err_msg=name)
                for name in ("h", "l", "logits", "q", "value"):
                    if name in tensors:
                        np.testing.assert_allclose(stored[name], tensors[name], rtol=1e-6,
                                                   atol=1e-6, err_msg=name)


if __name__ == "__main__":
    unittest.main()
