#!/usr/bin/python3
"""Trains a GRAM model (or, with --deterministic, a TRM-style one) and exports the EMA weights.

    /usr/bin/python3 tools/train.py --model-config tools/configs/sudoku6-gram-small.json \\
        --workdir runs/sudoku6 --output models/sudoku6-gram-small.safetensors --time-budget-min 35

Data comes from the engine's generator (`gram generate`) for any task it generates (Sudoku,
N-Queens, colouring; tools/gram_reference/puzzles.py reads the files): a training set and a
held-out test set with different seeds, checked disjoint. The objective is in
tools/gram_reference/training.py (docs/training.md). A checkpoint is written every few minutes
and at the end; --resume continues from it with the same data order, slots and random state.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from gram_reference import GramModel, ModelConfig, save_model  # noqa: E402
from gram_reference.puzzles import PuzzleFileError, answer_check, read_puzzles  # noqa: E402
from gram_reference.training import Trainer, evaluate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --- data ------------------------------------------------------------------------------------
def find_gram(explicit):
    for path in [explicit] + [os.path.join(ROOT, d, "src", "gram") for d in ("build", "build-py")]:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    sys.exit("train: error: no gram binary (build the engine, or pass --gram PATH)")


def generate(gram, task, count, seed, path, extra):
    if os.path.exists(path):
        return
    command = [gram, "generate", "--task", task, "--count", str(count), "--seed", str(seed),
               "--output", path] + extra
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def read(path, task):
    try:
        return read_puzzles(path, task)
    except PuzzleFileError as error:
        sys.exit(f"train: error: {error}")


def permute_digits(tokens, target, n, generator):
    """Sudoku stays Sudoku under a relabelling of its digits: one permutation per row."""
    rows = tokens.shape[0]
    order = torch.argsort(torch.rand(rows, n, generator=generator), dim=-1) + 2  # (rows, n)
    table = torch.cat([torch.arange(2).expand(rows, 2), order], dim=-1)         # token -> token
    return torch.gather(table, 1, tokens), torch.gather(table, 1, target)


# --- training --------------------------------------------------------------------------------
class Slots:
    """The batch: each slot holds one puzzle and its carried state across supervision steps."""

    def __init__(self, batch, L, S, D):
        self.tokens = torch.ones(batch, L, dtype=torch.long)
        self.target = torch.ones(batch, L, dtype=torch.long)
        self.h = torch.zeros(batch, S, D)
        self.l = torch.zeros(batch, S, D)
        self.steps = torch.zeros(batch, dtype=torch.long)
        self.min_halt = torch.zeros(batch, dtype=torch.long)
        self.empty = torch.ones(batch, dtype=torch.bool)

    def state_dict(self):
        return dict(vars(self))

    def load_state_dict(self, state):
        for key, value in state.items():
            setattr(self, key, value)


def exported(trainer, args):
    return trainer.ema if args.export_weights == "ema" else trainer.model


def main(argv=None):
    parser = argparse.ArgumentParser(prog="train.py", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--model-config", required=True, help="model config JSON (docs/model-format.md s3)")
    add("--deterministic", action="store_true", help="TRM-style: no noise, no posterior, no KL")
    add("--workdir", required=True, help="folder for data, checkpoint and log")
    add("--output", help="where to export the EMA model (.safetensors) at the end")
    add("--gram", help="the engine binary used to generate data (default: build/src/gram)")
    add("--train-count", type=int, default=100000)
    add("--train-seed", type=int, default=1)
    add("--test-count", type=int, default=1000)
    add("--test-seed", type=int, default=2)
    add("--generate-args", default="", help="extra `gram generate` options, e.g. '--givens 14'")
    add("--batch", type=int, default=64)
    add("--lr", type=float, default=1e-3)
    add("--weight-decay", type=float, default=0.1)
    add("--warmup", type=int, default=200)
    add("--beta", type=float, default=0.1, help="KL weight (GRAM: Sudoku 0.1)")
    add("--early-transitions", choices=("posterior", "prior"), default="posterior",
        help="what the gradient-free transitions before a supervision step's last one sample: "
             "the posterior (no KL is charged for them, so it can pass the target through) or "
             "the prior, as inference does")
    add("--halt-weight", type=float, default=0.5)
    add("--value-weight", type=float, default=0.5)
    add("--ema", type=float, default=0.998, help="EMA decay of the exported weights")
    add("--halt-exploration", type=float, default=0.1,
        help="probability that a slot gets a random minimum step count before it may halt")
    add("--max-updates", type=int, default=1_000_000)
    add("--time-budget-min", type=float, default=0, help="stop after this much training time")
    add("--eval-every", type=int, default=500)
    add("--eval-count", type=int, default=200)
    add("--log-every", type=int, default=50)
    add("--checkpoint-every-s", type=float, default=300)
    add("--resume", action="store_true", help="continue from workdir/checkpoint.pt")
    add("--export-only", action="store_true", help="export the checkpoint's model and stop")
    add("--export-weights", choices=("ema", "live"), default="ema",
        help="which weights to export: the EMA (default) or the live ones; a short run's EMA "
             "still carries much of the initialisation (0.998^updates of it)")
    add("--augment", type=int, default=1,
        help="relabel Sudoku digits at random (1/0; other tasks are not augmented)")
    add("--seed", type=int, default=0)
    add("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    if args.train_seed == args.test_seed:
        sys.exit("train: error: --train-seed and --test-seed must differ (the held-out set "
                 "must not be the training set)")
    torch.set_num_threads(args.threads)
    os.makedirs(args.workdir, exist_ok=True)
    try:
        with open(args.model_config) as handle:
            config_json = json.load(handle)
    except (OSError, json.JSONDecodeError) as error:
        sys.exit(f"train: error: {args.model_config}: {error}")
    if args.deterministic:
        config_json["noise"] = {"enabled": False, "hidden": 0}
    config = ModelConfig.from_json(config_json)
    kind, _, size = config.task.partition(":")
    if kind not in ("sudoku", "nqueens", "coloring"):
        sys.exit(f"train: error: task '{config.task}': the trainer reads sudoku, nqueens and "
                 f"coloring files")
    # Relabelling digits is a Sudoku symmetry; other tasks train on the boards as generated
    # (an N-Queens board's rotations could be held-out boards).
    relabel = args.augment and kind == "sudoku"
    n = int(size.split(":")[0])
    valid = answer_check(config.task)
    checkpoint_path = os.path.join(args.workdir, "checkpoint.pt")

    model = GramModel(config)
    generator = torch.Generator().manual_seed(args.seed)
    model.reset_parameters(generator)
    trainer = Trainer(model, args.lr, args.weight_decay, args.beta, args.halt_weight,
                      args.value_weight, args.ema, args.warmup, generator,
                      early_prior=args.early_transitions == "prior")
    S, D, L = config.positions, config.hidden_size, config.seq_len
    slots = Slots(args.batch, L, S, D)
    progress = {"cursor": 0, "epoch": 0, "elapsed": 0.0, "puzzles": 0, "halted": 0,
                "halted_exact": 0, "halt_steps": 0, "evals": []}

    if args.resume or args.export_only:
        state = torch.load(checkpoint_path, map_location="cpu")
        trainer.load_state_dict(state["trainer"])
        slots.load_state_dict(state["slots"])
        progress = state["progress"]
        print(f"resumed from {checkpoint_path} at update {trainer.step}", flush=True)
    if args.export_only:
        if not args.output:
            sys.exit("train: error: --export-only needs --output")
        save_model(args.output, exported(trainer, args))
        print(f"exported the {args.export_weights} weights of update {trainer.step} to "
              f"{args.output}")
        return 0

    # Data: generated by the engine, test set disjoint from the training set.
    gram = find_gram(args.gram)
    extra = args.generate_args.split()
    train_path = os.path.join(args.workdir, f"train-{args.train_count}-s{args.train_seed}.txt")
    test_path = os.path.join(args.workdir, f"test-{args.test_count}-s{args.test_seed}.txt")
    generate(gram, config.task, args.train_count, args.train_seed, train_path, extra)
    generate(gram, config.task, args.test_count, args.test_seed, test_path, extra)
    train_puzzles, train_x, train_y = read(train_path, config.task)
    test_puzzles, test_x, test_y = read(test_path, config.task)
    if train_x.shape[1] != L:
        sys.exit(f"train: error: {train_path}: puzzles of {train_x.shape[1]} tokens, the model "
                 f"config says seq_len {L}")
    overlap = set(train_puzzles) & set(test_puzzles)
    keep = torch.tensor([p not in overlap for p in train_puzzles])
    train_x, train_y = train_x[keep], train_y[keep]
    print(f"data: {len(train_puzzles)} training puzzles ({train_path}), {len(test_puzzles)} "
          f"held-out ({test_path}); {int((~keep).sum())} training puzzles dropped, being one of "
          f"the {len(overlap)} held-out puzzles", flush=True)
    eval_x, eval_y = test_x[:args.eval_count], test_y[:args.eval_count]
    order = torch.randperm(train_x.shape[0], generator=torch.Generator().manual_seed(
        args.seed * 1000 + progress["epoch"]))

    def next_puzzles(count):
        nonlocal order
        indices = []
        while len(indices) < count:
            if progress["cursor"] >= len(order):
                progress["epoch"] += 1
                progress["cursor"] = 0
                order = torch.randperm(train_x.shape[0], generator=torch.Generator().manual_seed(
                    args.seed * 1000 + progress["epoch"]))
            take = min(count - len(indices), len(order) - progress["cursor"])
            indices += order[progress["cursor"]:progress["cursor"] + take].tolist()
            progress["cursor"] += take
        progress["puzzles"] += count
        x, y = train_x[indices], train_y[indices]
        if relabel:
            x, y = permute_digits(x, y, n, generator)
        return x, y

    def refill(mask):
        count = int(mask.sum())
        if count == 0:
            return
        x, y = next_puzzles(count)
        slots.tokens[mask], slots.target[mask] = x, y
        with torch.no_grad():
            slots.h[mask] = model.init.h.detach().expand(count, S, D)
            slots.l[mask] = model.init.l.detach().expand(count, S, D)
        slots.steps[mask] = 0
        explore = torch.rand(count, generator=generator) < args.halt_exploration
        low = torch.randint(2, config.max_steps + 1, (count,), generator=generator)
        slots.min_halt[mask] = torch.where(explore, low, torch.ones_like(low))
        slots.empty[mask] = False

    def save_checkpoint():
        state = {"trainer": trainer.state_dict(), "slots": slots.state_dict(),
                 "progress": progress, "args": vars(args), "config": config.to_json()}
        torch.save(state, checkpoint_path + ".tmp")
        os.replace(checkpoint_path + ".tmp", checkpoint_path)

    budget_s = args.time_budget_min * 60 if args.time_budget_min > 0 else float("inf")
    started = time.time() - progress["elapsed"]
    last_checkpoint = run_started = time.time()
    run_first_step = trainer.step
    sums, count = {}, 0
    print(f"model: {config.parameter_count()} parameters, {'deterministic' if args.deterministic else 'GRAM'}; "
          f"batch {args.batch}, S={S}, D={D}, max_steps {config.max_steps}", flush=True)
    while trainer.step < args.max_updates:
        elapsed = time.time() - started
        if elapsed >= budget_s:
            break
        refill(slots.empty)
        h, l, metrics = trainer.train_step(slots.tokens, slots.target, slots.h, slots.l)
        slots.h, slots.l = h, l
        slots.steps += 1
        halted = (slots.steps >= config.max_steps) | (
            (metrics.pop("q_halt") > 0) & (slots.steps >= slots.min_halt))
        correct = metrics.pop("correct")
        progress["halted"] += int(halted.sum())
        progress["halted_exact"] += int((correct.bool() & halted).sum())
        progress["halt_steps"] += int(slots.steps[halted].sum())
        slots.empty = halted
        for key, value in metrics.items():
            sums[key] = sums.get(key, 0.0) + value
        count += 1
        step = trainer.step
        if step % args.log_every == 0:
            elapsed = time.time() - started
            rate = (step - run_first_step) / max(time.time() - run_started, 1e-9)
            remaining = min(budget_s - elapsed, (args.max_updates - step) / max(rate, 1e-9))
            means = " ".join(f"{k} {v / count:.4f}" for k, v in sorted(sums.items()))
            halted_total = max(progress["halted"], 1)
            print(f"update {step} | {elapsed / 60:.1f} min | {rate:.2f} upd/s | ETA "
                  f"{remaining / 60:.1f} min | {means} | halted exact "
                  f"{progress['halted_exact'] / halted_total:.3f} mean halt step "
                  f"{progress['halt_steps'] / halted_total:.2f} | puzzles {progress['puzzles']}",
                  flush=True)
            sums, count = {}, 0
        if step % args.eval_every == 0:
            result = evaluate(trainer.ema, eval_x, eval_y, config.max_steps,
                              torch.Generator().manual_seed(7), valid=valid)
            live = evaluate(model, eval_x, eval_y, config.max_steps,
                            torch.Generator().manual_seed(7), valid=valid)
            progress["evals"].append({"update": step, **result, "live_exact": live["exact"],
                                      "live_cells": live["cells"]})
            print(f"eval {step}: {len(eval_x)} held-out puzzles, prior noise, 1 trajectory, "
                  f"{config.max_steps} steps: EMA exact {result['exact']:.3f} cells "
                  f"{result['cells']:.3f}; live exact {live['exact']:.3f} cells "
                  f"{live['cells']:.3f}", flush=True)
        if time.time() - last_checkpoint > args.checkpoint_every_s:
            progress["elapsed"] = time.time() - started
            save_checkpoint()
            last_checkpoint = time.time()

    progress["elapsed"] = time.time() - started
    save_checkpoint()
    result = evaluate(trainer.ema, eval_x, eval_y, config.max_steps,
                      torch.Generator().manual_seed(7), valid=valid)
    tokens = trainer.step * args.batch * S
    summary = {"updates": trainer.step, "wall_min": progress["elapsed"] / 60,
               "puzzles": progress["puzzles"], "epochs": progress["epoch"],
               "supervision_steps": trainer.step * args.batch, "training_tokens": tokens,
               "final_eval": result, "parameters": config.parameter_count()}
    with open(os.path.join(args.workdir, "summary.json"), "w") as handle:
        json.dump({"summary": summary, "args": vars(args), "evals": progress["evals"]}, handle,
                  indent=1)
    print("done: " + json.dumps(summary), flush=True)
    if args.output:
        save_model(args.output, exported(trainer, args))
        print(f"exported the {args.export_weights} weights to {args.output}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
