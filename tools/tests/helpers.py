"""Shared paths for the tools tests: run from the repository root with
    .venv-tools/bin/python -m unittest discover -s tools/tests -t tools
(scripts/setup-python-tools.sh makes .venv-tools).
"""
import os
import shutil
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
