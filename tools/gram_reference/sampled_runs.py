"""Sampled trajectories of a frozen model, with the latent states a verifier learns from.

W trajectories of every puzzle run `steps` supervision steps with a sampler (samplers.py; for a
GRAM model its prior noise too), no halting, exactly as `gram run` runs them but with torch's
random draws. Recorded per trajectory: the chosen states after the chosen steps, whether the
answer is right after every step, the final answer, and the model's own value score after the
last step (the baseline a verifier has to beat).
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence

import torch

from .model import GramModel
from .samplers import SamplerSettings, TorchDraws, sampled_supervision_step
from .verifier import CONFIDENCE_FEATURES, confidence_features


@torch.no_grad()
def sampled_trajectories(model: GramModel, tokens: torch.Tensor, targets: torch.Tensor,
                         valid: Callable, settings: SamplerSettings, width: int, steps: int,
                         generator: torch.Generator, record_steps: Sequence[int],
                         states: Sequence[str] = ("h",), batch: int = 256,
                         progress: Optional[Callable[[int, int], None]] = None) -> Dict:
    """Arrays are (puzzles, ..., width, ...): states[name] (P, R, W, S, D) for the R steps of
    `record_steps` (1-based), for "confidence" (P, R, W, 6) (verifier.confidence_features),
    for "answer" (P, R, W, L) tokens,
    correct (P, steps, W), answers (P, W, L) after the last step,
    value (P, W) the model's value head after the last step (zeros without one)."""
    model.eval()
    P, L = tokens.shape
    S, D = model.config.positions, model.config.hidden_size
    record = {step: index for index, step in enumerate(record_steps)}
    rows = P * width
    x_all = tokens.repeat_interleave(width, dim=0)
    y_all = targets.repeat_interleave(width, dim=0)
    shapes = {"confidence": (CONFIDENCE_FEATURES,), "answer": (L,)}
    kept = {name: torch.empty((rows, len(record_steps)) + shapes.get(name, (S, D)),
                              dtype=torch.long if name == "answer" else torch.float32)
            for name in states}
    correct = torch.zeros((rows, steps), dtype=torch.bool)
    answers = torch.zeros((rows, L), dtype=torch.long)
    values = torch.zeros(rows)
    draws = TorchDraws(generator)
    for start in range(0, rows, batch):
        x, y = x_all[start:start + batch], y_all[start:start + batch]
        h, l, e = model.start(x)
        answer = None
        for step in range(steps):
            h, l = sampled_supervision_step(model, h, l, e, settings, draws, step)
            logits, _, value = model.heads(h)
            answer, previous = logits.argmax(-1), answer
            correct[start:start + len(x), step] = valid(x, answer, y)
            if step + 1 in record:
                inputs = {"h": h, "l": l, "answer": answer}
                if "confidence" in states:
                    inputs["confidence"] = confidence_features(logits, answer, previous)
                for name in states:
                    kept[name][start:start + len(x), record[step + 1]] = inputs[name]
        answers[start:start + len(x)] = answer
        if value is not None:
            values[start:start + len(x)] = torch.sigmoid(value)
        if progress:
            progress(min(start + batch, rows), rows)
    R = len(record_steps)
    return {"states": {name: value.reshape(P, width, R, *value.shape[2:]).transpose(1, 2)
                       for name, value in kept.items()},
            "correct": correct.reshape(P, width, steps).transpose(1, 2),
            "answers": answers.reshape(P, width, L),
            "value": values.reshape(P, width),
            "record_steps": list(record_steps)}
