"""The trainer's checkpoint: everything a resumed run needs to continue bit for bit.

It holds the weights, the posterior, the EMA, the optimiser, the slots' carried states, the
replay buffer, the data stream's position and every random state (the trainer's generators and,
although the trainer draws nothing from them, torch's, numpy's and Python's global ones, so
code that does cannot break a resume silently). It is written to `<path>.tmp` and renamed, so a
run killed while writing leaves the previous checkpoint intact.
"""
from __future__ import annotations

import os
import random
from typing import Dict

import numpy as np
import torch


def global_random_state() -> Dict:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),
             "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_global_random_state(state: Dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save(path: str, state: Dict) -> None:
    state = dict(state, random=global_random_state())
    temporary = path + ".tmp"
    torch.save(state, temporary)
    os.replace(temporary, path)


def load(path: str) -> Dict:
    # weights_only=False: the checkpoint holds numpy and Python random states, not just
    # tensors; it is the trainer's own file.
    state = torch.load(path, map_location="cpu", weights_only=False)
    restore_global_random_state(state["random"])
    return state
