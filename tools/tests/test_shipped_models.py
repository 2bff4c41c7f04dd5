"""Every model in models/ loads, has its card, is listed in models/README.md, and (with a built
engine) passes `gram info`: a checkpoint that the engine or the reference cannot read, or that
ships without its card, fails here."""
import glob
import os
import subprocess
import unittest

from tests import helpers
from gram_reference import load_model

MODELS = os.path.join(helpers.ROOT, "models")


class ShippedModelsTest(unittest.TestCase):
    def models(self):
        paths = sorted(glob.glob(os.path.join(MODELS, "*.safetensors")))
        self.assertTrue(paths, f"no models in {MODELS}")
        return paths

    def test_each_model_loads_and_has_a_card(self):
        with open(os.path.join(MODELS, "README.md")) as handle:
            listing = handle.read()
        for path in self.models():
            name = os.path.basename(path)
            with self.subTest(model=name):
                model = load_model(path)
                self.assertGreater(model.config.parameter_count(), 0)
                stem = name[:-len(".safetensors")]
                card = os.path.join(MODELS, stem + ".md")
                self.assertTrue(os.path.isfile(card), f"{name} has no card {stem}.md")
                with open(card) as handle:
                    self.assertIn(model.config.task, handle.read(), f"{stem}.md names no task")
                self.assertIn(f"`{name}`", listing, f"models/README.md does not list {name}")

    def test_the_engine_loads_each_model(self):
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary to load the models with; skipping")
        for path in self.models():
            with self.subTest(model=os.path.basename(path)):
                info = subprocess.run([gram, "info", path], capture_output=True, text=True)
                self.assertEqual(info.returncode, 0, info.stderr)
                self.assertIn(load_model(path).config.task, info.stdout)


if __name__ == "__main__":
    unittest.main()
