"""Regenerating tests/golden/official/ from the official code reproduces the committed files.

Needs checkouts of the official repositories: GRAM_OFFICIAL_TRM and GRAM_OFFICIAL_HRM, or the
clones tools/make_official_golden.py keeps in ~/.cache/gram-engine/official/; skipped otherwise
(this test does not reach the network), and skipped without pydantic and einops, which the
official code imports.
"""
import contextlib
import importlib.util
import io
import os
import tempfile
import unittest

import numpy as np

from tests import helpers
from gram_reference import read_safetensors

import make_official_golden

OFFICIAL = os.path.join(helpers.ROOT, "tests", "golden", "official")
CACHE = os.path.expanduser("~/.cache/gram-engine/official")


def checkout(family: str) -> str:
    given = os.environ.get(f"GRAM_OFFICIAL_{family.upper()}", "")
    cached = os.path.join(CACHE, family)
    return given or (cached if os.path.isdir(cached) else "")


class OfficialGoldenRegenerationTest(unittest.TestCase):
    def setUp(self):
        missing = [m for m in ("pydantic", "einops") if importlib.util.find_spec(m) is None]
        if missing:
            self.skipTest(f"the official code imports {', '.join(missing)} (pip install them)")
        if not checkout("trm") or not checkout("hrm"):
            self.skipTest("no official checkouts: set GRAM_OFFICIAL_TRM and GRAM_OFFICIAL_HRM")

    def test_regenerating_reproduces_committed_files(self):
        with tempfile.TemporaryDirectory() as folder:
            with contextlib.redirect_stdout(io.StringIO()):
                make_official_golden.main(["--trm", checkout("trm"), "--hrm", checkout("hrm"),
                                           "--output", folder])
            for case in make_official_golden.CASES:
                with self.subTest(case=case.name):
                    for kind in ("model", "golden"):
                        name = f"{case.name}.{kind}.safetensors"
                        stored, stored_metadata = read_safetensors(os.path.join(OFFICIAL, name))
                        fresh, fresh_metadata = read_safetensors(os.path.join(folder, name))
                        self.assertEqual(stored_metadata, fresh_metadata)
                        self.assertEqual(sorted(stored), sorted(fresh))
                        for tensor in stored:
                            # The official forward in fp32 may move by an ulp with another BLAS.
                            np.testing.assert_allclose(stored[tensor], fresh[tensor], rtol=1e-5,
                                                       atol=1e-6, err_msg=f"{name} {tensor}")


if __name__ == "__main__":
    unittest.main()
