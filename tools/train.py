#!/usr/bin/env python3
"""Trains a GRAM model (or, with --deterministic, a TRM-style one) and exports its EMA weights.

    .venv-tools/bin/python tools/train.py --model-config tools/configs/sudoku6-gram-small.json \\
        --workdir runs/sudoku6 --output models/sudoku6-gram-small.safetensors --time-budget-min 35

Data comes from the engine's generator (`gram generate`): training, validation and test sets
with distinct seeds (tools/gram_reference/data.py). The objective is in
tools/gram_reference/training.py, the head rollouts in rollouts.py (docs/training.md). Training
stops at --max-updates, --time-budget-min or --flop-budget, whichever comes first; a checkpoint
every --checkpoint-every updates and at the end lets --resume continue bit for bit.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from gram_reference import ModelConfig, data  # noqa: E402
from gram_reference.augment import orbit_hashes  # noqa: E402
from gram_reference.puzzles import PuzzleFileError  # noqa: E402
from gram_reference.run import TrainingRun  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="train.py", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--model-config", required=True, help="model config JSON (docs/model-format.md s3)")
    add("--deterministic", action="store_true", help="TRM-style: no noise, no posterior, no KL")
    add("--workdir", required=True, help="folder for data, checkpoint, log and summary.json")
    add("--output", help="where to export the selected model (.safetensors) at the end")
    add("--gram", help="the engine binary that generates the data (default: build/src/gram)")
    add("--train-count", type=int, default=100000)
    add("--train-seed", type=int, default=1)
    add("--val-count", type=int, default=1000, help="validation puzzles: every evaluation and "
        "every choice the trainer makes")
    add("--val-seed", type=int, default=3)
    add("--test-count", type=int, default=1000, help="test puzzles: read only to keep them and "
        "their symmetric images out of training and validation")
    add("--test-seed", type=int, default=2)
    add("--generate-args", action="append", default=[],
        help="`gram generate` options, e.g. '--givens 14'; repeat for an even mixture of sets")
    add("--batch", type=int, default=64, help="posterior rows (slots) per update")
    add("--head-rollouts", type=int, default=4,
        help="fresh prior trajectories rolled out per update for the head rows")
    add("--rollout-group", type=int, default=1,
        help="trajectories per puzzle among the head rollouts (divides --head-rollouts)")
    add("--replay-rows", type=int, default=16, help="replayed prior steps per update")
    add("--replay-capacity", type=int, default=2048, help="supervision steps the buffer keeps")
    add("--lr", type=float, default=1e-3)
    add("--weight-decay", type=float, default=0.1)
    add("--warmup", type=int, default=200)
    add("--beta", type=float, default=1.0,
        help="KL weight, KL in nats per position (docs/training.md on GRAM's 0.1)")
    add("--halt-weight", type=float, default=0.5)
    add("--value-weight", type=float, default=0.5,
        help="weight of the value head's regression on the final outcome (GRAM's LPRM)")
    add("--ranking-weight", type=float, default=0.0,
        help="weight of the step-wise ranking of right above wrong trajectories of one puzzle "
             "(LatentRM); needs --rollout-group > 1, replays whole groups")
    add("--ema", type=float, default=0.998, help="EMA decay of the exported weights")
    add("--max-updates", type=int, default=1_000_000)
    add("--time-budget-min", type=float, default=0, help="stop after this much wall time")
    add("--flop-budget", type=float, default=0,
        help="stop once the training FLOPs counted so far reach this (twins at equal compute)")
    add("--eval-every", type=int, default=500)
    add("--eval-count", type=int, default=200, help="validation puzzles per evaluation")
    add("--eval-width", type=int, default=16, help="prior trajectories per validation puzzle")
    add("--eval-seed", type=int, default=7)
    add("--log-every", type=int, default=50)
    add("--checkpoint-every", type=int, default=500, help="updates between checkpoints")
    add("--resume", action="store_true", help="continue from workdir/checkpoint.pt")
    add("--export-only", action="store_true", help="export the checkpoint's selection and stop")
    add("--export-weights", choices=("ema", "live"), default="ema",
        help="the EMA weights (default) or the live ones; a short run's EMA still carries much "
             "of the initialisation (0.998^updates of it)")
    add("--select", choices=("best", "last"), default="best",
        help="export the weights of the evaluation with the best validation exact@1 (default) "
             "or those at the end")
    add("--augment", type=int, default=1, help="task symmetries as augmentation (1/0)")
    add("--seed", type=int, default=0)
    add("--threads", type=int, default=1)
    add("--device", default="auto", help="auto (CUDA when available), cpu, cuda or cuda:N")
    args = parser.parse_args(argv)
    if args.rollout_group < 1 or args.head_rollouts % args.rollout_group:
        sys.exit(f"train: error: --rollout-group {args.rollout_group} must divide "
                 f"--head-rollouts {args.head_rollouts}")
    if args.ranking_weight > 0 and args.rollout_group < 2:
        sys.exit("train: error: --ranking-weight ranks trajectories of one puzzle: it needs "
                 "--rollout-group 2 or more")
    seeds = {"--train-seed": args.train_seed, "--val-seed": args.val_seed,
             "--test-seed": args.test_seed}
    if len(set(seeds.values())) < 3:
        sys.exit(f"train: error: {', '.join(f'{k} {v}' for k, v in seeds.items())}: the three "
                 f"sets need distinct seeds (a held-out set must not be the training set)")
    return args


def find_gram(explicit):
    for path in [explicit] + [os.path.join(ROOT, d, "src", "gram") for d in ("build", "build-py")]:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    sys.exit("train: error: no gram binary (build the engine, or pass --gram PATH)")


def load_config(args) -> ModelConfig:
    try:
        with open(args.model_config) as handle:
            config_json = json.load(handle)
    except (OSError, json.JSONDecodeError) as error:
        sys.exit(f"train: error: {args.model_config}: {error}")
    if args.deterministic:
        config_json["noise"] = {"enabled": False, "hidden": 0}
    config = ModelConfig.from_json(config_json)
    if config.task.split(":")[0] not in ("sudoku", "nqueens", "coloring"):
        sys.exit(f"train: error: task '{config.task}': the trainer reads sudoku, nqueens and "
                 f"coloring files")
    return config


def prepare_data(args, config, symmetry):
    """Generates and reads the three splits; drops what the held-out sets' orbits cover."""
    sets = data.option_sets(args.generate_args)
    splits = {name: data.split_files(args.workdir, name, count, seed, sets)
              for name, count, seed in (("train", args.train_count, args.train_seed),
                                        ("validation", args.val_count, args.val_seed),
                                        ("test", args.test_count, args.test_seed))}
    if not all(os.path.exists(f["path"]) for files in splits.values() for f in files):
        gram = find_gram(args.gram)
        for files in splits.values():
            data.generate(gram, config.task, files)
    try:
        read = {name: data.read_files(files, config.task) for name, files in splits.items()}
    except PuzzleFileError as error:
        sys.exit(f"train: error: {error}")
    train_x, train_y = read["train"][1], read["train"][2]
    if train_x.shape[1] != config.seq_len:
        sys.exit(f"train: error: puzzles of {train_x.shape[1]} tokens, the model config says "
                 f"seq_len {config.seq_len}")
    test_x = read["test"][1]  # the test set is read for this and nothing else
    test_orbits = orbit_hashes(symmetry, test_x)
    val_x, val_y, val_dropped = data.drop_orbits(symmetry, read["validation"][1],
                                                 read["validation"][2], test_orbits)
    held_out = np.union1d(test_orbits, orbit_hashes(symmetry, val_x))
    train_x, train_y, dropped = data.drop_orbits(symmetry, train_x, train_y, held_out)
    print(f"data: {train_x.shape[0] + dropped} training, {val_x.shape[0] + val_dropped} "
          f"validation, {test_x.shape[0]} test puzzles; symmetries: {symmetry.description}; "
          f"dropped {dropped} training puzzles in the orbit of a validation or test puzzle "
          f"and {val_dropped} validation puzzles in the orbit of a test puzzle", flush=True)
    if train_x.shape[0] == 0 or val_x.shape[0] == 0:
        sys.exit("train: error: nothing left to train or validate on after the orbit drop")
    return {"train": (train_x, train_y), "validation": (val_x, val_y),
            "dropped": dropped, "validation_dropped": val_dropped,
            "description": data.describe(config.task, splits)}


def pick_device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("train: error: --device cuda, but torch sees no CUDA device")
    return device


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.workdir, exist_ok=True)
    config = load_config(args)
    run = TrainingRun(args, config, pick_device(args.device))
    if args.export_only:
        if not args.output:
            sys.exit("train: error: --export-only needs --output")
        run.resume(continuing=False)
        run.export()
        return 0
    run.attach_data(prepare_data(args, config, run.symmetry))
    if args.resume:
        run.resume()
    run.train()
    run.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
