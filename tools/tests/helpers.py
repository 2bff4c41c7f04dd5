"""Shared paths for the tools tests: run from the repository root with
    .venv-tools/bin/python -m unittest discover -s tools/tests -t tools
(scripts/setup-python-tools.sh makes .venv-tools).
"""
import os
import shutil
import subprocess
import sys

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TOOLS)
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)


def gram_binary():
    """The engine's `gram` binary, if one is built (GRAM_BINARY overrides); else None."""
    candidates = [os.environ.get("GRAM_BINARY", "")]
    candidates += [os.path.join(ROOT, folder, "src", "gram")
                   for folder in ("build", "build-py", "build-cpu", "build-release")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which("gram")


def tiny_sudoku4_files(gram, folder, puzzles):
    """A random sudoku4-tiny model (seed 3) and `puzzles` 4x4 puzzles (seed 4) written by `gram`
    into `folder`: (model path, puzzle file path)."""
    model = os.path.join(folder, "m.safetensors")
    puzzle_file = os.path.join(folder, "p.txt")
    config = os.path.join(ROOT, "configs", "models", "sudoku4-tiny.json")
    subprocess.run([gram, "generate", "--random-model", config, "--seed", "3", "--output", model],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([gram, "generate", "--task", "sudoku:4", "--count", str(puzzles), "--seed", "4",
                    "--output", puzzle_file], check=True, stdout=subprocess.DEVNULL)
    return model, puzzle_file
