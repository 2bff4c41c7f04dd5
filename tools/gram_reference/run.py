"""One training run of tools/train.py: the update loop, its limits, progress lines, validation,
checkpoints and the export with its "gram_training" record.

An update: refill the slots that finished their puzzle; roll out `head_rollouts` fresh puzzles
from the prior into the replay buffer; draw `replay_rows` records from it; one optimiser step on
the slots' posterior rows and the replayed head rows (training.py). Training FLOPs are counted
per update from the model's shapes (flops.py); evaluations are not training compute and are
counted apart.
"""
from __future__ import annotations

import copy
import json
import math
import os
import time
from typing import Dict, Optional

import torch

from . import checkpoint
from .augment import Symmetry
from .data import TrainingStream
from .evaluation import quality, quality_line
from .flops import count_flops, update_flops
from .model import GramModel, save_model
from .puzzles import answer_check
from .rollouts import ReplayBuffer, prior_rollout
from .training import Trainer

# Settings a resumed run must share with the run it continues (limits and cadences may change).
FIXED_ON_RESUME = ("batch", "head_rollouts", "rollout_group", "ranking_weight", "replay_rows",
                   "replay_capacity", "seed", "beta", "lr", "weight_decay", "warmup", "halt_weight", "value_weight", "ema",
                   "augment", "deterministic", "export_weights", "generate_args", "train_count",
                   "train_seed", "val_count", "val_seed", "test_count", "test_seed")


def strict_json(value):
    """NaN and infinities as null (an AUROC without a pair is NaN): the engine reads the
    record with a strict JSON parser."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


class Slots:
    """The posterior rows: each slot holds one puzzle and its carried state across supervision
    steps and takes a new puzzle after max_steps of them. The first puzzles get 1..max_steps
    steps by slot, so the slots' step counts are spread out rather than in lockstep."""

    def __init__(self, batch, L, S, D, max_steps, device):
        self.tokens = torch.ones(batch, L, dtype=torch.long, device=device)
        self.target = torch.ones(batch, L, dtype=torch.long, device=device)
        self.h = torch.zeros(batch, S, D, device=device)
        self.l = torch.zeros(batch, S, D, device=device)
        self.steps = torch.zeros(batch, dtype=torch.long, device=device)
        self.limit = (torch.arange(batch, device=device) % max_steps) + 1
        self.empty = torch.ones(batch, dtype=torch.bool, device=device)

    def refill(self, model: GramModel, stream: TrainingStream) -> None:
        count = int(self.empty.sum())
        if count == 0:
            return
        x, y = stream.next(count)
        mask = self.empty
        self.tokens[mask], self.target[mask] = x.to(mask.device), y.to(mask.device)
        with torch.no_grad():
            self.h[mask] = model.init.h.detach().expand(count, *self.h.shape[1:])
            self.l[mask] = model.init.l.detach().expand(count, *self.l.shape[1:])
        self.steps[mask] = 0
        self.empty = torch.zeros_like(self.empty)

    def advance(self, h, l, max_steps: int) -> None:
        self.h, self.l = h, l
        self.steps += 1
        self.empty = self.steps >= self.limit
        self.limit[self.empty] = max_steps

    def state_dict(self) -> Dict:
        return {k: v.cpu() for k, v in vars(self).items()}

    def load_state_dict(self, state: Dict) -> None:
        for key, value in state.items():
            setattr(self, key, value.to(getattr(self, key).device))


class TrainingRun:
    def __init__(self, args, config, device):
        self.args, self.config, self.device = args, config, device
        self.valid = answer_check(config.task)
        self.symmetry = Symmetry(config.task if args.augment else "none")
        init = torch.Generator().manual_seed(args.seed)
        model = GramModel(config)
        model.reset_parameters(init)
        model.to(device)
        self.trainer = Trainer(
            model, torch.Generator(device=device).manual_seed(args.seed + 1), self.valid,
            init_generator=init, lr=args.lr, weight_decay=args.weight_decay, beta=args.beta,
            halt_weight=args.halt_weight, value_weight=args.value_weight, ema_decay=args.ema,
            warmup=args.warmup, ranking_weight=args.ranking_weight)
        # Rollout noise seeds and replay draws; CPU, so a CPU run is reproducible bit for bit.
        self.rollout_generator = torch.Generator().manual_seed(args.seed + 2)
        S, D, L = config.positions, config.hidden_size, config.seq_len
        self.slots = Slots(args.batch, L, S, D, config.max_steps, device)
        self.buffer = ReplayBuffer(args.replay_capacity, L, S, D, device)
        self.flops = count_flops(config)
        self.progress = {"elapsed": 0.0, "training_flops": 0, "evaluation_flops": 0,
                         "replayed": 0, "rolled_out": 0, "evals": [], "best": None}
        self.best_weights: Optional[Dict] = None
        self.stream: Optional[TrainingStream] = None
        self.data_info: Dict = {}
        self.checkpoint_path = os.path.join(args.workdir, "checkpoint.pt")

    @property
    def model(self) -> GramModel:
        return self.trainer.model

    def attach_data(self, prepared: Dict) -> None:
        train_x, train_y = prepared["train"]
        self.stream = TrainingStream(train_x, train_y, self.symmetry, bool(self.args.augment),
                                     self.args.seed)
        self.validation = prepared["validation"]
        self.data_info = {"description": prepared["description"],
                          "training_puzzles": int(train_x.shape[0]),
                          "validation_puzzles": int(self.validation[0].shape[0]),
                          "dropped": prepared["dropped"],
                          "validation_dropped": prepared["validation_dropped"]}

    # --- checkpoints ------------------------------------------------------------------------
    def save_checkpoint(self) -> None:
        checkpoint.save(self.checkpoint_path, {
            "trainer": self.trainer.state_dict(), "slots": self.slots.state_dict(),
            "buffer": self.buffer.state_dict(), "stream": self.stream.state_dict(),
            "rollout_generator": self.rollout_generator.get_state(), "progress": self.progress,
            "best_weights": self.best_weights, "data_info": self.data_info,
            "args": vars(self.args), "config": self.config.to_json()})

    def resume(self, continuing: bool = True) -> None:
        """Loads the checkpoint; a run that continues training must keep its settings."""
        if not os.path.exists(self.checkpoint_path):
            raise SystemExit(f"train: error: {self.checkpoint_path}: no checkpoint to resume")
        state = checkpoint.load(self.checkpoint_path)
        for key in FIXED_ON_RESUME if continuing else ():
            before, now = state["args"].get(key), getattr(self.args, key)
            if before != now:
                raise SystemExit(f"train: error: --{key.replace('_', '-')} {now!r} differs from "
                                 f"the checkpoint's {before!r}")
        if state["config"] != self.config.to_json():
            raise SystemExit("train: error: the model config differs from the checkpoint's")
        self.trainer.load_state_dict(state["trainer"])
        self.slots.load_state_dict(state["slots"])
        self.buffer.load_state_dict(state["buffer"])
        if self.stream is not None:
            self.stream.load_state_dict(state["stream"])
        self.rollout_generator.set_state(state["rollout_generator"])
        self.progress, self.best_weights = state["progress"], state["best_weights"]
        self.data_info = state["data_info"]
        print(f"resumed from {self.checkpoint_path} at update {self.trainer.step}", flush=True)

    # --- one update --------------------------------------------------------------------------
    def update(self) -> Dict[str, float]:
        self.slots.refill(self.model, self.stream)
        metrics = self.roll_out()
        replay = self.draw_replay()
        replayed = 0 if replay is None else replay["tokens"].shape[0]
        h, l, trained = self.trainer.update(self.slots.tokens, self.slots.target, self.slots.h,
                                            self.slots.l, replay)
        self.slots.advance(h, l, self.config.max_steps)
        self.progress["replayed"] += replayed
        self.progress["training_flops"] += self.update_flops(replayed)
        metrics.update(trained)
        return metrics

    def roll_out(self) -> Dict[str, float]:
        """head_rollouts fresh prior trajectories into the buffer, rollout_group per puzzle."""
        args = self.args
        if args.head_rollouts == 0:
            return {}
        puzzles = args.head_rollouts // args.rollout_group
        x, y = (t.to(self.device).repeat_interleave(args.rollout_group, 0)
                for t in self.stream.next(puzzles))
        first = self.progress["rolled_out"] // args.rollout_group
        group = torch.arange(first, first + puzzles).repeat_interleave(args.rollout_group)
        rollout = prior_rollout(self.model, x, y, self.config.max_steps, self.rollout_generator,
                                self.valid)
        self.buffer.push_rollout(x, y, rollout, group)
        self.progress["rolled_out"] += args.head_rollouts
        return {"prior_final": rollout["final"].float().mean().item()}

    def draw_replay(self) -> Optional[Dict[str, torch.Tensor]]:
        """replay_rows records, as whole groups when the ranking objective needs them."""
        args = self.args
        if args.replay_rows == 0 or self.buffer.size == 0:
            return None
        if args.ranking_weight > 0:
            return self.buffer.sample_groups(max(1, args.replay_rows // args.rollout_group),
                                             self.rollout_generator)
        return self.buffer.sample(args.replay_rows, self.rollout_generator)

    def update_flops(self, replayed: Optional[int] = None) -> int:
        if replayed is None:
            replayed = self.args.replay_rows
        return update_flops(self.flops, self.args.batch, self.args.head_rollouts,
                            self.config.max_steps, replayed)

    # --- limits and progress ------------------------------------------------------------------
    def remaining(self, elapsed: float, rate: float):
        """(seconds left, the limit that ends first) at `rate` updates/s."""
        args, step = self.args, self.trainer.step
        rate = max(rate, 1e-9)
        limits = {"max updates": (args.max_updates - step) / rate}
        if args.time_budget_min > 0:
            limits["time budget"] = args.time_budget_min * 60 - elapsed
        if args.flop_budget > 0:
            left = args.flop_budget - self.progress["training_flops"]
            limits["FLOP budget"] = left / self.update_flops() / rate
        name = min(limits, key=limits.get)
        return max(0.0, limits[name]), name

    def finished(self, elapsed: float) -> bool:
        args = self.args
        return (self.trainer.step >= args.max_updates
                or (args.time_budget_min > 0 and elapsed >= args.time_budget_min * 60)
                or (args.flop_budget > 0 and self.progress["training_flops"] >= args.flop_budget))

    def log_line(self, sums: Dict[str, float], count: int, elapsed: float, rate: float) -> str:
        left, limit = self.remaining(elapsed, rate)
        means = {k: v / max(count, 1) for k, v in sums.items()}
        train = (f"train exact {means.pop('exact', 0):.3f} cells {means.pop('cells', 0):.3f} "
                 f"(posterior rows), prior rollouts right at the end "
                 f"{means.pop('prior_final', float('nan')):.3f}")
        losses = " ".join(f"{k} {v:.4f}" for k, v in sorted(means.items()))
        return (f"update {self.trainer.step} | {elapsed / 60:.1f} min | {rate:.2f} upd/s | ETA "
                f"{left / 60:.1f} min ({limit}) | {self.progress['training_flops']:.3e} FLOPs | "
                f"{losses} | {train}")

    def train(self) -> None:
        args = self.args
        kind = "deterministic" if args.deterministic else "GRAM"
        print(f"model: {self.config.parameter_count()} parameters, {kind}; "
              f"{self.flops.per_application:,} FLOPs per application, {self.update_flops():.3e} training FLOPs per update; batch "
              f"{args.batch} + {args.head_rollouts} rollouts x {self.config.max_steps} steps + "
              f"{args.replay_rows} replayed steps; device {self.device}", flush=True)
        started = time.time() - self.progress["elapsed"]
        run_started, first_step = time.time(), self.trainer.step
        sums, count = {}, 0
        while not self.finished(time.time() - started):
            for key, value in self.update().items():
                sums[key] = sums.get(key, 0.0) + value
            count += 1
            step = self.trainer.step
            self.progress["elapsed"] = time.time() - started
            if step % args.log_every == 0:
                rate = (step - first_step) / max(time.time() - run_started, 1e-9)
                print(self.log_line(sums, count, self.progress["elapsed"], rate), flush=True)
                sums, count = {}, 0
            if step % args.eval_every == 0:
                self.evaluate()
            if step % args.checkpoint_every == 0:
                self.save_checkpoint()
        self.progress["elapsed"] = time.time() - started

    # --- validation and selection ----------------------------------------------------------------
    def exported_weights(self) -> GramModel:
        return self.trainer.ema if self.args.export_weights == "ema" else self.model

    def evaluate(self) -> Dict:
        args, c = self.args, self.config
        x, y = (t[:args.eval_count] for t in self.validation)
        result = quality(self.exported_weights(), x, y, c.max_steps, args.eval_width,
                         args.eval_seed, self.valid)
        result.update(update=self.trainer.step, training_flops=self.progress["training_flops"],
                      wall_s=self.progress["elapsed"])
        self.progress["evals"].append(result)
        self.progress["evaluation_flops"] += x.shape[0] * args.eval_width * c.max_steps * \
            self.flops.per_step
        best = self.progress["best"]
        if best is None or result["exact"] >= best["exact"]:
            self.progress["best"] = result
            self.best_weights = copy.deepcopy(self.exported_weights().state_dict())
        print(f"eval {self.trainer.step}: validation, {x.shape[0]} puzzles x {args.eval_width} "
              f"prior trajectories, {c.max_steps} steps, {args.export_weights.upper()} weights: "
              f"{quality_line(result)}", flush=True)
        return result

    def finish(self) -> None:
        evals = self.progress["evals"]
        if not evals or evals[-1]["update"] != self.trainer.step:
            self.evaluate()
        self.save_checkpoint()
        record = self.training_record()
        summary = {"gram_training": record, "final_eval": self.progress["evals"][-1],
                   "selected_eval": self.selected_eval(), "evals": self.progress["evals"],
                   "args": vars(self.args), "parameters": self.config.parameter_count(),
                   "flops_per_application": self.flops.per_application}
        with open(os.path.join(self.args.workdir, "summary.json"), "w") as handle:
            json.dump(strict_json(summary), handle, indent=1, allow_nan=False)
        print("done: " + json.dumps(record), flush=True)
        if self.args.output:
            self.export()

    def selected_eval(self) -> Dict:
        if self.args.select == "best" and self.progress["best"] is not None:
            return self.progress["best"]
        return self.progress["evals"][-1]

    def training_record(self) -> Dict:
        """The "gram_training" metadata of the exported model."""
        args, selected = self.args, self.selected_eval()
        updates = selected["update"]
        return strict_json({"training_flops": selected["training_flops"], "updates": updates,
                "batch": args.batch, "supervision_steps": updates * args.batch,
                "head_rollouts_per_update": args.head_rollouts,
                "rollout_group": args.rollout_group,
                "value_objective": {"regression": args.value_weight,
                                    "ranking": args.ranking_weight},
                "replayed_steps_per_update": args.replay_rows,
                "training_puzzles": self.data_info["training_puzzles"],
                "data": self.data_info["description"], "wall_s": round(selected["wall_s"], 1),
                "trainer": "tools/train.py",
                "objective": "deterministic" if args.deterministic else "gram",
                "beta": None if args.deterministic else args.beta,
                "selected_on": "validation",
                "selection": f"{args.select} {args.export_weights} weights by validation "
                             f"exact@1 ({args.eval_count} puzzles x {args.eval_width})",
                "validation": {k: selected[k] for k in (
                    "exact", "majority", "best_of_n", "value_auroc_within", "halt_steps_mean",
                    "halt_exact")},
                "training_flops_run": self.progress["training_flops"],
                "updates_run": self.trainer.step, "wall_s_run": round(self.progress["elapsed"], 1),
                "seed": args.seed})

    def export(self) -> None:
        model = self.exported_weights()
        if self.args.select == "best" and self.best_weights is not None:
            model = copy.deepcopy(model)
            model.load_state_dict(self.best_weights)
        record = self.training_record()
        save_model(self.args.output, copy.deepcopy(model).cpu(),
                   extra_metadata={"gram_training": json.dumps(record, sort_keys=True,
                                                               allow_nan=False)})
        print(f"exported the {self.args.export_weights} weights of update {record['updates']} "
              f"({self.args.select} on validation) to {self.args.output}", flush=True)
