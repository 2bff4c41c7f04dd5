"""Head rollouts: where the halt and value heads learn from the states inference reaches.

Every update the trainer rolls out a few fresh training puzzles from the PRIOR exactly as the
engine runs them (prior noise at every transition, max_steps supervision steps, no halting, no
gradient) and records, for each step t, the state (h, l) the step starts from, the seed of the
step's noise, whether the answer is right after the step and the trajectory's final outcome.
The records go into a FIFO replay buffer; each update replays a sample of them from (h_t, l_t)
with the recorded noise, the last transition under gradient, and trains the halt head on
"right after this step" and the value head (LPRM) on the final outcome (science.md s2:
"Train heads on prior rollouts"; GRAM regresses the final outcome at every transition).

Why a buffer: the final outcome is known only after max_steps steps, and keeping the graphs of
a whole trajectory alive to backpropagate once it is known costs max_steps times the memory.
The replayed step runs with the current weights, so its state drifts a little from the recorded
one; the buffer is small (a few dozen updates) to keep that lag short.

The noise of a row's step comes from its own seed, eps = randn((T, S, D)) of a generator seeded
with it, so one entry can be replayed alone.

Rollouts can come in groups of trajectories of the same puzzle (each record names its group).
`sample_groups` then replays whole groups at one step, for the step-wise ranking objective
(training.py, after LatentRM): within a group, right trajectories above wrong ones.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional

import torch

from .model import GramModel

SEED_LIMIT = 2**62


def step_noise(seeds: torch.Tensor, transitions: int, positions: int, hidden: int,
               device) -> torch.Tensor:
    """(T, B, S, D): the noise of one supervision step for each row's seed."""
    rows = []
    for seed in seeds.tolist():
        generator = torch.Generator(device=device).manual_seed(int(seed))
        rows.append(torch.randn((transitions, positions, hidden), generator=generator,
                                device=device))
    return torch.stack(rows, dim=1)


@torch.no_grad()
def prior_rollout(model: GramModel, tokens: torch.Tensor, target: torch.Tensor, steps: int,
                  generator: torch.Generator, valid: Callable) -> Dict[str, torch.Tensor]:
    """Runs `steps` prior supervision steps on each row. Returns per row and step the start
    state h, l (B, steps, S, D), the noise seed (B, steps), the correctness after the step
    (B, steps) and the final outcome (B,)."""
    c = model.config
    h, l, e = model.start(tokens)
    B, S, D = h.shape
    starts_h, starts_l, seeds, correct = [], [], [], []
    for _ in range(steps):
        starts_h.append(h)
        starts_l.append(l)
        seed = torch.randint(SEED_LIMIT, (B,), generator=generator)
        seeds.append(seed)
        eps = step_noise(seed, c.h_cycles, S, D, h.device) if c.noise.enabled else None
        for transition in range(c.h_cycles):
            h, l, _ = model.transition(h, l, e, None if eps is None else eps[transition])
        answer = model.heads(h)[0].argmax(-1)
        correct.append(valid(tokens, answer, target))
    correct = torch.stack(correct, dim=1)
    return {"h": torch.stack(starts_h, 1), "l": torch.stack(starts_l, 1),
            "seed": torch.stack(seeds, 1), "correct": correct, "final": correct[:, -1]}


class ReplayBuffer:
    """A FIFO of supervision-step records (tokens, target, h_t, l_t, seed_t, t, correct_t,
    final, group), each row one step of one prior trajectory; `group` numbers the rolled-out
    puzzle, shared by the trajectories of one puzzle."""

    FIELDS = ("tokens", "target", "h", "l", "seed", "step", "correct", "final", "group")

    def __init__(self, capacity: int, seq_len: int, positions: int, hidden: int, device="cpu"):
        self.capacity = capacity
        L, S, D = seq_len, positions, hidden
        self.data = {
            "tokens": torch.zeros(capacity, L, dtype=torch.long, device=device),
            "target": torch.zeros(capacity, L, dtype=torch.long, device=device),
            "h": torch.zeros(capacity, S, D, device=device),
            "l": torch.zeros(capacity, S, D, device=device),
            "seed": torch.zeros(capacity, dtype=torch.long, device=device),
            "step": torch.zeros(capacity, dtype=torch.long, device=device),
            "correct": torch.zeros(capacity, dtype=torch.bool, device=device),
            "final": torch.zeros(capacity, dtype=torch.bool, device=device),
            "group": torch.full((capacity,), -1, dtype=torch.long, device=device)}
        self.size = 0
        self.cursor = 0  # the next row to write (the oldest once full)

    def push_rollout(self, tokens, target, rollout: Dict[str, torch.Tensor],
                     group: Optional[torch.Tensor] = None) -> None:
        """Adds every step of every rolled-out row (row-major: row 0's steps first); `group`
        (B,) numbers each row's puzzle (default: -1, no group)."""
        B, steps = rollout["seed"].shape
        if group is None:
            group = torch.full((B,), -1, dtype=torch.long)
        records = {
            "tokens": tokens.repeat_interleave(steps, 0),
            "target": target.repeat_interleave(steps, 0),
            "h": rollout["h"].flatten(0, 1), "l": rollout["l"].flatten(0, 1),
            "seed": rollout["seed"].flatten(),
            "step": torch.arange(1, steps + 1).repeat(B),
            "correct": rollout["correct"].flatten(),
            "final": rollout["final"].repeat_interleave(steps),
            "group": group.repeat_interleave(steps)}
        count = B * steps
        slots = (self.cursor + torch.arange(count)) % self.capacity
        for key, value in records.items():
            self.data[key][slots.to(self.data[key].device)] = value.to(self.data[key].device)
        self.cursor = (self.cursor + count) % self.capacity
        self.size = min(self.capacity, self.size + count)

    def sample(self, count: int, generator: torch.Generator) -> Dict[str, torch.Tensor]:
        """`count` distinct records drawn uniformly (fewer if the buffer holds fewer)."""
        count = min(count, self.size)
        index = torch.randperm(self.size, generator=generator)[:count]
        return {key: value[index.to(value.device)] for key, value in self.data.items()}

    def sample_groups(self, count: int, generator: torch.Generator) -> Dict[str, torch.Tensor]:
        """Records of whole groups at one step: `count` records drawn as `sample` draws them,
        each joined by every other record of its group at the same step still in the buffer
        (a record without a group stands alone). The result's "member" field numbers the
        (group, step) each row belongs to, 0 .. groups - 1."""
        count = min(count, self.size)
        anchors = torch.randperm(self.size, generator=generator)[:count].tolist()
        group = self.data["group"][:self.size].cpu()
        step = self.data["step"][:self.size].cpu()
        seen, index, member = set(), [], []
        for anchor in anchors:
            key = (int(group[anchor]), int(step[anchor]))
            if key in seen:
                continue
            seen.add(key)
            found = (torch.nonzero((group == key[0]) & (step == key[1])).flatten()
                     if key[0] >= 0 else torch.tensor([anchor]))
            index.append(found)
            member.append(torch.full((len(found),), len(seen) - 1, dtype=torch.long))
        index = torch.cat(index)
        out = {key: value[index.to(value.device)] for key, value in self.data.items()}
        out["member"] = torch.cat(member).to(self.data["step"].device)
        return out

    def state_dict(self) -> Dict:
        return {"data": {k: v.cpu() for k, v in self.data.items()}, "size": self.size,
                "cursor": self.cursor, "capacity": self.capacity}

    def load_state_dict(self, state: Dict) -> None:
        if state["capacity"] != self.capacity:
            raise ValueError(f"replay buffer: the checkpoint's holds {state['capacity']} "
                             f"records, this run asks for {self.capacity}")
        for key, value in state["data"].items():
            self.data[key].copy_(value)
        self.size, self.cursor = state["size"], state["cursor"]
