#!/usr/bin/env python3
"""Writes the golden files of tests/golden/ from the PyTorch reference (tools/gram_reference).

    .venv-tools/bin/python tools/make_golden.py [--output tests/golden]

For every architecture variant in gram_reference/golden.py: `<name>.model.safetensors` (an engine
model) and `<name>.golden.safetensors` (input, eps, per-step states, logits, q, value, halt).
tests/golden/golden_test.cpp runs the engine on them; tools/tests/test_golden.py checks that
regenerating reproduces the committed files.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from gram_reference import golden, save_model, write_safetensors  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--output", default=os.path.join(root, "tests", "golden"),
                        help="folder for the files (default: tests/golden)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.output, exist_ok=True)
    total = 0
    for index, variant in enumerate(golden.VARIANTS):
        model, tensors, metadata = golden.build(index)
        model_path = os.path.join(args.output, f"{variant.name}.model.safetensors")
        golden_path = os.path.join(args.output, f"{variant.name}.golden.safetensors")
        save_model(model_path, model)
        write_safetensors(golden_path, tensors, metadata)
        size = os.path.getsize(model_path) + os.path.getsize(golden_path)
        total += size
        print(f"{variant.name}: {size} bytes")
    print(f"total {total} bytes in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
