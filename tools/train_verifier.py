#!/usr/bin/env python3
"""Trains a verifier for a frozen checkpoint on the latents of its sampled trajectories.

    .venv-tools/bin/python tools/train_verifier.py --model models/sudoku6-trm-small.safetensors \\
        --sampler noise:0.5 --generate-args "--givens 14" --held-out models/data/sudoku6-test-hard.txt \\
        --workdir runs/verifier --output models/sudoku6-trm-small.verifier.safetensors

The frozen model runs W trajectories of every training and validation puzzle with the sampler
(tools/gram_reference/samplers.py, the engine's samplers with torch's draws); a small network
(gram_reference/verifier.py) learns to score their latent states or the model's confidence in
its answer, each recorded step labelled by the trajectory's final outcome or by its answer at
that step (--label), under each objective of --objectives. The objective whose network
picks the best answer on the validation split (best-of-n accuracy after the last step, then the
within-puzzle AUROC) is calibrated on the validation split and exported, with a record of how
it was made, for `gram run --verifier FILE` (docs/training.md, "Training a verifier").
Puzzles come from `gram generate` with seeds of their own; every training or validation puzzle
whose symmetry orbit holds a --held-out puzzle is dropped, and so is every training puzzle in a
validation puzzle's orbit. The held-out files are read for that and nothing else.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from gram_reference import data  # noqa: E402
from gram_reference.augment import Symmetry, orbit_hashes  # noqa: E402
from gram_reference.evaluation import auroc_within, majority_index, selection_accuracy  # noqa: E402
from gram_reference.model import load_model  # noqa: E402
from gram_reference.puzzles import PuzzleFileError, answer_check, read_puzzles  # noqa: E402
from gram_reference.safetensors import SafetensorsError  # noqa: E402
from gram_reference.sampled_runs import sampled_trajectories  # noqa: E402
from gram_reference import samplers, verifier  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fail(message):
    sys.exit(f"train_verifier: error: {message}")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="train_verifier.py", description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--model", required=True, help="the frozen checkpoint (.safetensors)")
    add("--workdir", required=True, help="folder for the generated puzzles and summary.json")
    add("--output", required=True, help="the verifier file to write (.safetensors)")
    add("--gram", help="the engine binary that generates the puzzles (default: build/src/gram)")
    add("--sampler", default="none", help="none, noise:SCALE or dropout:RATE: the width the "
        "verifier will rank (a GRAM model's own noise runs in any case)")
    add("--noise-mode", choices=("absolute", "relative"), default="absolute")
    add("--noise-at", default="h", help="h, l or h,l")
    add("--dropout-at", default="h,l")
    add("--dropout-sites", default="mixer,ffn")
    add("--dropout-layers", default="", help="layer indices (default: every layer)")
    add("--generate-args", action="append", default=[],
        help="`gram generate` options, e.g. '--givens 14'; repeat for an even mixture")
    add("--train-count", type=int, default=600)
    add("--train-seed", type=int, default=11)
    add("--val-count", type=int, default=200)
    add("--val-seed", type=int, default=12)
    add("--held-out", action="append", default=[],
        help="puzzle files to keep out (their symmetric images too): the test sets")
    add("--width", type=int, default=8, help="trajectories per puzzle")
    add("--depth", type=int, default=0, help="supervision steps (default: the model's max_steps)")
    add("--record-steps", default="all", help="steps whose states are learned from: all, or "
        "a list such as 4,8 (the last step is always kept)")
    add("--label", choices=("final", "step"), default="final",
        help="what a recorded step is labelled by: the trajectory's final outcome (GRAM's "
        "LPRM target), or whether its answer is right at that step (a scorer for any depth)")
    add("--states", default="h", help="what the verifier reads, any of h, l, confidence (the "
        "model's confidence in its answer: gram_reference/verifier.confidence_features) and "
        "answer (the answer tokens one-hot)")
    add("--positions", choices=("first", "all"), default="all",
        help="position 0 only (the value head's input) or the whole state")
    add("--hidden", type=int, default=32, help="hidden width (0: a linear score)")
    add("--objectives", default="contrastive,regression",
        help="trained each; the better on validation is exported")
    add("--epochs", type=int, default=30)
    add("--lr", type=float, default=1e-3)
    add("--weight-decay", type=float, default=1e-2)
    add("--group-batch", type=int, default=64, help="(puzzle, step) groups per update")
    add("--seed", type=int, default=0)
    add("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    unknown = set(args.states.split(",")) - set(verifier.INPUTS)
    if unknown:
        fail(f"--states: unknown input {sorted(unknown)} ({', '.join(verifier.INPUTS)})")
    if args.train_seed == args.val_seed:
        fail(f"--train-seed and --val-seed are both {args.train_seed}")
    for objective in args.objectives.split(","):
        if objective not in ("contrastive", "regression"):
            fail(f"--objectives: unknown objective '{objective}' (contrastive, regression)")
    return args


def sampler_settings(args, model):
    layers = tuple(int(x) for x in args.dropout_layers.split(",") if x.strip())
    sites = dict(noise_relative=args.noise_mode == "relative",
                 noise_at=tuple(args.noise_at.split(",")),
                 dropout_at=tuple(args.dropout_at.split(",")),
                 dropout_sites=tuple(args.dropout_sites.split(",")), dropout_layers=layers)
    try:
        settings = samplers.parse_spec(args.sampler, **sites)
        samplers.check(settings, model)
    except ValueError as error:
        fail(f"--sampler: {error}")
    return settings


def find_gram(explicit):
    for path in [explicit] + [os.path.join(ROOT, d, "src", "gram") for d in ("build", "build-py")]:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    fail("no gram binary (build the engine, or pass --gram PATH)")


def prepare_data(args, task):
    """Training and validation puzzles, neither in a held-out orbit, training not in a
    validation orbit."""
    sets = data.option_sets(args.generate_args)
    splits = {name: data.split_files(args.workdir, name, count, seed, sets)
              for name, count, seed in (("train", args.train_count, args.train_seed),
                                        ("validation", args.val_count, args.val_seed))}
    if not all(os.path.exists(f["path"]) for files in splits.values() for f in files):
        gram = find_gram(args.gram)
        for files in splits.values():
            data.generate(gram, task, files)
    symmetry = Symmetry(task)
    try:
        read = {name: data.read_files(files, task) for name, files in splits.items()}
        held = [read_puzzles(path, task)[1] for path in args.held_out]
    except (PuzzleFileError, OSError) as error:
        fail(error)
    held_orbits = (np.unique(np.concatenate([orbit_hashes(symmetry, x) for x in held]))
                   if held else np.zeros(0, np.uint64))
    val_x, val_y, val_dropped = data.drop_orbits(symmetry, read["validation"][1],
                                                 read["validation"][2], held_orbits)
    train_x, train_y, dropped = data.drop_orbits(
        symmetry, read["train"][1], read["train"][2],
        np.union1d(held_orbits, orbit_hashes(symmetry, val_x)))
    print(f"data: {len(train_x)} training puzzles ({dropped} dropped), {len(val_x)} validation "
          f"({val_dropped} dropped) after the held-out orbits of {len(args.held_out)} files",
          flush=True)
    if len(train_x) == 0 or len(val_x) == 0:
        fail("nothing left to train or validate on after the orbit drop")
    return {"train": (train_x, train_y), "validation": (val_x, val_y),
            "description": data.describe(task, splits), "dropped": dropped,
            "validation_dropped": val_dropped}


def run_split(model, split, args, settings, steps, record_steps, states, seed, name):
    x, y = split
    started = time.time()

    def progress(done, total):
        if done == total or done % (args.width * 64) == 0:
            print(f"{name}: {done}/{total} trajectories, {time.time() - started:.0f} s", flush=True)

    generator = torch.Generator().manual_seed(seed)
    return sampled_trajectories(model, x, y, answer_check(model.config.task), settings,
                                args.width, steps, generator, record_steps, states,
                                progress=progress)


def scores_of(net, run):
    """(P, R, W) score logits of every recorded state."""
    states = run["states"]
    with torch.no_grad():
        return net(*(states.get(name) for name in verifier.INPUTS))


def figures(net, run):
    """The validation figures of a verifier (or of the value head when `net` is None)."""
    correct = run["correct"][:, -1, :].numpy()            # (P, W) after the last step
    if net is None:
        values = run["value"].numpy().astype(np.float64)
        per_step = []
    else:
        scores = scores_of(net, run)                      # (P, R, W)
        values = torch.sigmoid(scores[:, -1]).numpy().astype(np.float64)
        per_step = [auroc_within(scores[:, r].numpy(), correct)[0] for r in range(scores.shape[1])]
    auroc, puzzles = auroc_within(values, correct)
    finite = [x for x in per_step if np.isfinite(x)]
    answers = run["answers"].numpy()
    majority, best = selection_accuracy(answers, values, correct)
    chosen = correct[np.arange(len(values)), values.argmax(axis=1)]
    voted = np.array([correct[p, majority_index(answers[p], values[p])] for p in range(len(values))])
    return {"auroc_within_last_step": auroc, "auroc_puzzles": puzzles,
            "auroc_within_mean_over_steps": float(np.mean(finite)) if finite else None,
            "best_of_n": best, "majority": majority, "pass_at_1": float(correct.mean()),
            "oracle": float(correct.any(axis=1).mean()),
            "only_best_of_n": int((chosen & ~voted).sum()),
            "only_majority": int((voted & ~chosen).sum()), "puzzles": int(len(values))}


LABELS = {"final": "the trajectory's final outcome, at every recorded step",
          "step": "whether the trajectory's answer is right at that step"}


def labels(run, label):
    """(P, R, W) booleans: each recorded step's label."""
    correct = run["correct"]                                  # (P, steps, W)
    P, R, W = correct.shape[0], len(run["record_steps"]), correct.shape[2]
    if label == "final":
        return correct[:, -1:, :].expand(P, R, W)
    return correct[:, [step - 1 for step in run["record_steps"]], :]


def train_objective(objective, run, args, model_config):
    torch.manual_seed(args.seed)
    net = verifier.VerifierNet(model_config.hidden_size, model_config.positions,
                               args.states.split(","), args.positions == "all", args.hidden,
                               model_config.seq_len, model_config.vocab_size)
    optimiser = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    states = {k: v.reshape(-1, *v.shape[2:]) for k, v in run["states"].items()}  # (G, W, ...)
    if "confidence" in states:
        net.set_standardization(states["confidence"])
    P, R, W = run["correct"].shape[0], len(run["record_steps"]), run["correct"].shape[2]
    outcome = labels(run, args.label).reshape(-1, W)                             # (G, W)
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        order = torch.randperm(outcome.shape[0], generator=generator)
        total = 0.0
        for chunk in order.split(args.group_batch):
            scores = net(*(states[name][chunk] if name in states else None
                           for name in verifier.INPUTS))
            loss = (verifier.contrastive_loss(scores, outcome[chunk]) if objective == "contrastive"
                    else verifier.regression_loss(scores, outcome[chunk]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(chunk)
        if epoch == 0 or (epoch + 1) % 10 == 0:
            print(f"{objective}: epoch {epoch + 1} loss {total / outcome.shape[0]:.4f}", flush=True)
    return net


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.workdir, exist_ok=True)
    started = time.time()
    try:
        model = load_model(args.model)
    except (SafetensorsError, OSError, ValueError) as error:
        fail(error)
    config = model.config
    settings = sampler_settings(args, model)
    steps = args.depth or config.max_steps
    record_steps = list(range(1, steps + 1)) if args.record_steps == "all" else sorted(
        {int(x) for x in args.record_steps.split(",")} | {steps})
    if record_steps[0] < 1 or record_steps[-1] > steps:
        fail(f"--record-steps must lie in 1..{steps}")
    states = tuple(args.states.split(","))
    prepared = prepare_data(args, config.task)
    runs = {name: run_split(model, prepared[name], args, settings, steps, record_steps, states,
                            args.seed * 1000 + index, name)
            for index, name in enumerate(("train", "validation"))}
    train_outcome = runs["train"]["correct"][:, -1, :]
    print(f"train: pass@1 {float(train_outcome.float().mean()):.3f}, puzzles with a right and "
          f"a wrong trajectory {int((train_outcome.any(1) & ~train_outcome.all(1)).sum())}",
          flush=True)
    results, nets = {"value_head": figures(None, runs["validation"])}, {}
    for objective in args.objectives.split(","):
        nets[objective] = train_objective(objective, runs["train"], args, config)
        results[objective] = figures(nets[objective], runs["validation"])
        print(f"validation {objective}: {json.dumps(results[objective])}", flush=True)
    print(f"validation value head: {json.dumps(results['value_head'])}", flush=True)
    selected = max(nets, key=lambda name: (results[name]["best_of_n"],
                                           np.nan_to_num(results[name]["auroc_within_last_step"])))
    net = nets[selected]
    val = runs["validation"]
    scores = scores_of(net, val).numpy()                   # (P, R, W)
    outcome = labels(val, args.label).numpy()
    a, b = verifier.platt(scores, outcome)
    net.calibrate(a, b)
    with open(args.model, "rb") as handle:
        model_hash = f"{fnv1a64_bytes(handle.read()):016x}"
    training = {
        "trainer": "tools/train_verifier.py", "model_file": args.model,
        "sampler": settings.to_json(), "width": args.width, "steps": steps,
        "record_steps": record_steps, "data": prepared["description"],
        "held_out": args.held_out, "training_puzzles": int(len(prepared["train"][0])),
        "validation_puzzles": int(len(prepared["validation"][0])),
        "dropped": prepared["dropped"], "validation_dropped": prepared["validation_dropped"],
        "label": LABELS[args.label],
        "objectives": results, "selected": selected, "selected_on": "validation",
        "selection": "best-of-n accuracy after the last step, then the within-puzzle AUROC",
        "calibration": {"a": a, "b": b, "on": "validation, every recorded step"},
        "epochs": args.epochs, "lr": args.lr, "weight_decay": args.weight_decay,
        "group_batch": args.group_batch, "seed": args.seed, "torch": torch.__version__,
        "wall_s": round(time.time() - started, 1)}
    model_record = {"hidden_size": config.hidden_size, "positions": config.positions,
                    "seq_len": config.seq_len, "vocab_size": config.vocab_size,
                    "task": config.task, "file": os.path.basename(args.model),
                    "fnv1a64": model_hash}
    config_json = verifier.config_json(net, model_record, selected, strict_json(training))
    verifier.save_verifier(args.output, net, config_json)
    with open(os.path.join(args.workdir, "summary.json"), "w") as handle:
        json.dump(config_json, handle, indent=1)
    print(f"exported {args.output}: objective {selected}, calibrated (a {a:.3g}, b {b:.3g}), "
          f"{time.time() - started:.0f} s", flush=True)
    return 0


def fnv1a64_bytes(blob: bytes) -> int:
    """FNV-1a 64 of a file's bytes (util/hash.h): the engine compares it with the model it
    attaches the verifier to."""
    value = 0xcbf29ce484222325
    for byte in blob:
        value = ((value ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return value


def strict_json(value):
    """NaN as null: the engine reads the record with a strict JSON parser."""
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return strict_json(value.item())
    return value


if __name__ == "__main__":
    sys.exit(main())
