"""Every model in models/ loads, has its card, is listed in models/README.md, and (with a built
engine) passes `gram info`: a checkpoint that the engine or the reference cannot read, or that
ships without its card, fails here. Every verifier (`<model>.verifier.safetensors`) loads, has
its card, is listed, and belongs to the shipped model it is named after (same file hash)."""
import glob
import os
import subprocess
import unittest

from tests import helpers
from gram_reference import load_model
from gram_reference.verifier import load_verifier
from train_verifier import fnv1a64_bytes

MODELS = os.path.join(helpers.ROOT, "models")


class ShippedModelsTest(unittest.TestCase):
    def models(self):
        paths = sorted(p for p in glob.glob(os.path.join(MODELS, "*.safetensors"))
                       if not p.endswith(".verifier.safetensors"))
        self.assertTrue(paths, f"no models in {MODELS}")
        return paths

    def test_each_verifier_belongs_to_its_model_and_has_a_card(self):
        with open(os.path.join(MODELS, "README.md")) as handle:
            listing = handle.read()
        for path in sorted(glob.glob(os.path.join(MODELS, "*.verifier.safetensors"))):
            name = os.path.basename(path)
            with self.subTest(verifier=name):
                _, config = load_verifier(path)
                model_path = os.path.join(MODELS, name.replace(".verifier", ""))
                self.assertTrue(os.path.isfile(model_path), f"{name}: no model {model_path}")
                with open(model_path, "rb") as handle:
                    self.assertEqual(config["model"]["fnv1a64"],
                                     f"{fnv1a64_bytes(handle.read()):016x}",
                                     f"{name} was trained on another version of its model")
                self.assertTrue(os.path.isfile(path[:-len(".safetensors")] + ".md"),
                                f"{name} has no card")
                self.assertIn(f"`{name}`", listing, f"models/README.md does not list {name}")

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
