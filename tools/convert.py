#!/usr/bin/env python3
"""Converts an official TRM or HRM checkpoint to the engine's model format.

    .venv-tools/bin/python tools/convert.py trm CHECKPOINT --task sudoku:9 --output MODEL.safetensors
    .venv-tools/bin/python tools/convert.py hrm CHECKPOINT --task sudoku:9 --output MODEL.safetensors

CHECKPOINT is the torch.save'd state dict (`step_<N>`); its `all_config.yaml` is read from the
same folder unless --config names it. Every key is mapped (tools/gram_reference/checkpoints.py
has the table); an unknown key, a missing key or a shape that disagrees with all_config.yaml
stops the conversion with one line naming the key and exit status 1.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gram_reference import GramModel, save_model  # noqa: E402
from gram_reference.checkpoints import (ConversionError, check_task, convert_state,  # noqa: E402
                                        load_arch, load_checkpoint)
from gram_reference.config import ConfigError  # noqa: E402
from gram_reference.safetensors import SafetensorsError  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="convert.py", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("trm", "hrm"), help="checkpoint family")
    parser.add_argument("checkpoint", help="state dict file, e.g. checkpoints/.../step_50000")
    parser.add_argument("--config", help="all_config.yaml (default: beside the checkpoint)")
    parser.add_argument("--task", required=True, help="task spec the model solves, e.g. sudoku:9")
    parser.add_argument("--output", required=True, help="the .safetensors file to write")
    parser.add_argument("--seq-len", type=int, help="puzzle tokens L, if the task does not say")
    parser.add_argument("--puzzle-identifier", type=int,
                        help="row of puzzle_emb.weights to use as the prefix (needed when the "
                             "checkpoint has more than one)")
    parser.add_argument("--dtype", default="F32", choices=("F32", "BF16", "F16"))
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    args = parser.parse_args(argv)
    config_path = args.config or os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)),
                                              "all_config.yaml")
    try:
        if os.path.exists(args.output) and not args.overwrite:
            raise ConversionError(f"{args.output} exists (pass --overwrite to replace it)")
        check_task(args.task)  # before reading a checkpoint of gigabytes
        arch = load_arch(config_path)
        state = load_checkpoint(args.checkpoint)
        config, tensors = convert_state(args.kind, arch, state, args.task, args.seq_len,
                                        args.puzzle_identifier)
        model = GramModel(config)
        model.load_tensors(tensors, args.checkpoint)
        save_model(args.output, model, args.dtype)
    except (ConversionError, ConfigError, SafetensorsError) as error:
        where = "" if str(error).startswith(args.checkpoint) else f"{args.checkpoint}: "
        print(f"convert: error: {where}{error}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}: {args.kind.upper()} {config.mixer}, D={config.hidden_size}, "
          f"{config.num_layers} layers, P={config.prefix_len}, L={config.seq_len}, "
          f"{config.parameter_count()} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
