"""The reference model run as the engine runs a batch of trajectories without halting, for the
side-by-side speed comparison (tools/compare_pytorch.py): S supervision steps of T transitions
with prior noise, and after every step the heads with greedy decoding (the engine reads them
each step to decide halting). Eager or torch.compile'd; the noise is an input of the compiled
step, so that the same function can be checked against the engine's answers with the engine's
own noise before it is timed.
"""
from __future__ import annotations

import statistics
import time
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

from .evaluation import fnv1a64
from .model import GramModel
from .philox import transition_noise


def step_function(model: GramModel) -> Callable:
    """(h, l, e, eps) -> (h, l, answer tokens, q): one supervision step and the heads. `eps` is
    a list of T noise tensors (B, S, D), empty for a model without noise."""
    def step(h, l, e, eps: List[torch.Tensor]):
        for transition in range(model.config.h_cycles):
            h, l, _ = model.transition(h, l, e, eps[transition] if eps else None)
        logits, q, _value = model.heads(h)
        return h, l, logits.argmax(-1), q
    return step


class Rollout:
    """A batch of trajectories of `depth` steps through eager PyTorch or torch.compile.

    `compile_mode` None runs eagerly; otherwise it is torch.compile's mode (for inference on a
    CPU "max-autotune-no-cudagraphs" or "default"). The compiled step is specialised to the
    batch's shapes (dynamic=False); `compile_seconds` is what its first call took."""

    def __init__(self, model: GramModel, compile_mode: Optional[str] = None):
        self.model = model
        self.compile_mode = compile_mode
        step = step_function(model)
        if compile_mode is not None:
            step = torch.compile(step, mode=compile_mode, dynamic=False, fullgraph=True)
        self.step = step
        self.compile_seconds = 0.0

    def run(self, tokens: torch.Tensor, depth: int,
            noise: Optional[Callable[[int, int], torch.Tensor]] = None) -> torch.Tensor:
        """Answers (B, L) after `depth` steps; `noise(step, transition)` gives eps, drawn with
        torch.randn when None."""
        model = self.model
        with torch.no_grad():
            h, l, e = model.start(tokens)
            answers = None
            for step in range(depth):
                eps = []
                if model.config.noise.enabled:
                    eps = [noise(step, t) if noise is not None else torch.randn(h.shape)
                           for t in range(model.config.h_cycles)]
                h, l, answers, q = self.step(h, l, e, eps)
                model.wants_halt(q)
        return answers

    def warm_up(self, tokens: torch.Tensor, depth: int) -> None:
        """The first call (which compiles), timed apart from the measurements."""
        start = time.perf_counter()
        self.run(tokens, depth)
        self.compile_seconds = time.perf_counter() - start

    def trajectories_per_s(self, tokens: torch.Tensor, depth: int, warmup: int,
                           repetitions: int, warmup_seconds: float = 1.0) -> Dict[str, float]:
        """Median and spread of `repetitions` timed runs after at least `warmup` untimed ones
        and `warmup_seconds` of them (the first runs after a compile are slower: the compiled
        code is still being loaded, the compile workers still exit)."""
        start = time.perf_counter()
        runs = 0
        while runs < warmup or time.perf_counter() - start < warmup_seconds:
            self.run(tokens, depth)
            runs += 1
        seconds = []
        for _ in range(repetitions):
            start = time.perf_counter()
            self.run(tokens, depth)
            seconds.append(time.perf_counter() - start)
        rates = [tokens.shape[0] / s for s in seconds]
        return {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}


def engine_noise(model: GramModel, seed: int, puzzles: List[int], width: int):
    """noise(step, transition) -> eps (B, S, D) as the engine draws it for rows puzzle-major
    (puzzle p, trajectory t) = row p * width + t (float64 Box-Muller rounded to float32: within
    an ulp of the engine's)."""
    c = model.config

    def noise(step: int, transition: int) -> torch.Tensor:
        rows = [transition_noise(seed, puzzle, trajectory, step, transition, c.positions,
                                 c.hidden_size, use_libm=False)
                for puzzle in puzzles for trajectory in range(width)]
        return torch.from_numpy(np.stack(rows))
    return noise


def answer_hashes(answers: torch.Tensor) -> List[int]:
    """The engine's answer hash of each row."""
    return [fnv1a64(row) for row in answers.tolist()]
