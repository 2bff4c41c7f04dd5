"""What the trainer measures on the validation set: W prior trajectories per puzzle, run as the
engine runs them (prior noise at every transition, max_steps supervision steps), and

- exact@1: the share of trajectories whose answer is right after the last step (pass@1);
- majority and best-of-n accuracy at width W (science.md s4: the plurality answer, ties broken
  by the summed value score, then by the smaller FNV-1a answer hash; the answer with the
  highest value score);
- the value head's ranking WITHIN puzzles: AUROC over pairs of one right and one wrong
  trajectory of the same puzzle (ties count half), averaged over the puzzles that have both, and
  the median within-puzzle spread (max - min) of the value score;
- halting: a trajectory stops after the first step where sigmoid(q_halt) > 0.5 (or never): its
  mean steps and the accuracy of the answers it stops with.

Pooling trajectories over puzzles would reward a value head that only knows which puzzles are
easy; ranking within a puzzle is what best-of-n needs.
"""
from __future__ import annotations

from typing import Callable, Dict, Tuple

import numpy as np
import torch

from .model import GramModel


def auroc_within(values: np.ndarray, correct: np.ndarray) -> Tuple[float, int]:
    """values, correct: (puzzles, W). Returns (mean within-puzzle AUROC, puzzles that have both
    a right and a wrong trajectory); NaN when none has both."""
    scores = []
    for value, right in zip(np.asarray(values, float), np.asarray(correct, bool)):
        good, bad = value[right], value[~right]
        if len(good) == 0 or len(bad) == 0:
            continue
        above = (good[:, None] > bad[None, :]).sum() + 0.5 * (good[:, None] == bad[None, :]).sum()
        scores.append(above / (len(good) * len(bad)))
    return (float(np.mean(scores)) if scores else float("nan")), len(scores)


def fnv1a64(tokens) -> int:
    """The engine's answer hash: FNV-1a 64 over the tokens, each as 4 little-endian bytes."""
    value = 0xcbf29ce484222325
    for token in tokens:
        for byte in int(token).to_bytes(4, "little", signed=True):
            value = ((value ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return value


def majority_index(answers: np.ndarray, values: np.ndarray) -> int:
    """answers (W, L), values (W,): the trajectory that carries the plurality answer."""
    groups: Dict[bytes, list] = {}
    for index, answer in enumerate(answers):
        groups.setdefault(answer.tobytes(), []).append(index)
    best = min(groups.values(), key=lambda members: (
        -len(members), -float(values[members].sum()), fnv1a64(answers[members[0]])))
    return best[0]


def selection_accuracy(answers: np.ndarray, values: np.ndarray,
                       correct: np.ndarray) -> Tuple[float, float]:
    """answers (P, W, L), values (P, W), correct (P, W) -> (majority, best-of-n) accuracy."""
    majority = np.mean([correct[p, majority_index(answers[p], values[p])]
                        for p in range(len(answers))])
    best = correct[np.arange(len(answers)), values.argmax(axis=1)].mean()
    return float(majority), float(best)


@torch.no_grad()
def run_trajectories(model: GramModel, tokens: torch.Tensor, steps: int, width: int,
                     generator: torch.Generator, valid: Callable, target: torch.Tensor,
                     batch: int = 512) -> Dict[str, np.ndarray]:
    """`width` prior trajectories of every puzzle, `steps` supervision steps each, no halting
    applied (the halting step is recorded). Arrays are (puzzles, width[, L])."""
    model.eval()
    device = next(model.parameters()).device
    x_all = tokens.repeat_interleave(width, dim=0).to(device)          # (P W, L)
    y_all = target.repeat_interleave(width, dim=0).to(device)
    out = {key: [] for key in ("answer", "value", "correct", "halt_step", "halt_correct")}
    for start in range(0, x_all.shape[0], batch):
        x, y = x_all[start:start + batch], y_all[start:start + batch]
        h, l, e = model.start(x)
        rows = x.shape[0]
        halt_step = torch.full((rows,), steps, dtype=torch.long, device=device)
        halt_correct = torch.zeros(rows, dtype=torch.bool, device=device)
        halted = torch.zeros(rows, dtype=torch.bool, device=device)

        def noise(_transition):
            return torch.randn(h.shape, generator=generator, device=device)

        for step in range(1, steps + 1):
            h, l = model.supervision_step(h, l, e, noise)
            logits, q, value = model.heads(h)
            answer = logits.argmax(-1)
            right = valid(x, answer, y)
            stop = ~halted & ((torch.sigmoid(q[:, 0]) > 0.5) | (step == steps))
            halt_step[stop] = step
            halt_correct[stop] = right[stop]
            halted |= stop
        if value is None:
            value = torch.zeros(rows, device=device)
        out["answer"].append(answer.cpu())
        out["value"].append(torch.sigmoid(value).cpu())
        out["correct"].append(right.cpu())
        out["halt_step"].append(halt_step.cpu())
        out["halt_correct"].append(halt_correct.cpu())
    P = tokens.shape[0]
    joined = {key: torch.cat(parts).numpy() for key, parts in out.items()}
    return {key: value.reshape(P, width, *value.shape[1:]) for key, value in joined.items()}


def quality(model: GramModel, tokens: torch.Tensor, target: torch.Tensor, steps: int,
            width: int, seed: int, valid: Callable) -> Dict[str, float]:
    """The validation figures of the module docstring (fixed noise seed: every evaluation of a
    run sees the same noise, so their differences are the model's)."""
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    run = run_trajectories(model, tokens, steps, width, generator, valid, target)
    correct, values = run["correct"].astype(bool), run["value"].astype(np.float64)
    auroc, pairs = auroc_within(values, correct)
    majority, best = selection_accuracy(run["answer"], values, correct)
    return {"puzzles": int(tokens.shape[0]), "width": width, "steps": steps,
            "exact": float(correct.mean()), "majority": majority, "best_of_n": best,
            "oracle": float(correct.any(axis=1).mean()),
            "value_auroc_within": auroc, "auroc_puzzles": pairs,
            "value_spread_median": float(np.median(values.max(1) - values.min(1))),
            "halt_steps_mean": float(run["halt_step"].mean()),
            "halt_exact": float(run["halt_correct"].astype(bool).mean())}


def quality_line(result: Dict[str, float]) -> str:
    return (f"exact@1 {result['exact']:.3f} majority {result['majority']:.3f} best-of-n "
            f"{result['best_of_n']:.3f} oracle {result['oracle']:.3f} | value AUROC within "
            f"{result['value_auroc_within']:.3f} ({result['auroc_puzzles']} puzzles) spread "
            f"{result['value_spread_median']:.3f} | halting: {result['halt_steps_mean']:.2f} "
            f"steps, exact {result['halt_exact']:.3f}")
