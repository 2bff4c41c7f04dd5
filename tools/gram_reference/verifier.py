"""A verifier for a frozen checkpoint (docs/model-format.md, "Verifier files";
src/model/verifier.h): a small network on the latent state of the model's trajectories, on its
confidence in its answer, or on the answer itself, whose score the engine reads in place of the
value head (`gram run --verifier FILE`).

    z     = sum over the inputs it reads of W_s x_s + b     x_s: h or l at position 0 (D) or the
                                                            whole state (S D, position-major),
                                                            "confidence": the 6 statistics of
                                                            confidence_features below, or
                                                            "answer": the answer one-hot (L V)
    score = W_out silu(z) + b_out     (hidden > 0), else z
    value = sigmoid(score)

Two objectives, on every recorded step of sampled trajectories, labelled by the trajectory's
final outcome (GRAM's LPRM target):
- "regression": binary cross-entropy of the score against the final outcome;
- "contrastive": step-wise ranking within a puzzle (LatentRM, You et al. 2026): over every
  (right, wrong) pair of the same puzzle at the same step, -log sigmoid(s_right - s_wrong).
A contrastive score has no scale of its own, so the exported network is calibrated afterwards
(Platt scaling on the validation split, folded into its last layer): its value is then a
probability, as the verifier stopping rule reads it, with the ranking unchanged.
"""
from __future__ import annotations

import json
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .safetensors import SafetensorsError, read_safetensors, write_safetensors

FORMAT_NAME = "gram-engine-verifier"
INPUTS = ("h", "l", "confidence", "answer")
CONFIDENCE_FEATURES = 6


def confidence_features(logits: torch.Tensor, answer: torch.Tensor,
                        previous: Optional[torch.Tensor]) -> torch.Tensor:
    """The engine's confidence statistics (src/backend/confidence_math.h) of logits (..., L, V),
    the answer (..., L) and the previous step's answer (None before the first step): mean and
    min over the cells of log max-probability, of the top-two logit margin, and of 'the cell
    did not change since the previous step' -> (..., 6)."""
    logits = logits.float()
    top = logits.topk(2, dim=-1).values
    logp = -torch.logsumexp(logits - top[..., :1], dim=-1)
    margin = top[..., 0] - top[..., 1]
    same = (torch.zeros_like(logp) if previous is None
            else (answer == previous).to(logits.dtype))
    return torch.stack([logp.mean(-1), logp.amin(-1), margin.mean(-1), margin.amin(-1),
                        same.mean(-1), same.amin(-1)], dim=-1)


class VerifierNet(nn.Module):
    def __init__(self, hidden_size: int, positions: int, states: Sequence[str] = ("h",),
                 all_positions: bool = True, hidden: int = 32, seq_len: int = 0,
                 vocab_size: int = 0):
        super().__init__()
        if not states or set(states) - set(INPUTS) or len(set(states)) != len(states):
            raise ValueError(f"states {list(states)} must name each of {INPUTS} at most once")
        if "answer" in states and not (seq_len > 0 and vocab_size > 0):
            raise ValueError("reading the answer needs the model's seq_len and vocab_size")
        self.hidden_size, self.positions = hidden_size, positions
        self.seq_len, self.vocab_size = seq_len, vocab_size
        self.states, self.all_positions, self.hidden = tuple(states), all_positions, hidden
        width = hidden if hidden > 0 else 1
        latent = hidden_size * (positions if all_positions else 1)
        sizes = {state: {"confidence": CONFIDENCE_FEATURES,
                         "answer": seq_len * vocab_size}.get(state, latent) for state in states}
        self.inputs = nn.ParameterDict({
            state: nn.Parameter(torch.randn(width, n) / np.sqrt(n)) for state, n in sizes.items()})
        self.in_bias = nn.Parameter(torch.zeros(width))
        # The confidence statistics differ in scale by orders of magnitude: training reads them
        # standardised (set_standardization), and tensors() folds the shift and scale into the
        # first layer, so the file holds a plain linear layer on the raw statistics.
        self.register_buffer("confidence_shift", torch.zeros(CONFIDENCE_FEATURES))
        self.register_buffer("confidence_scale", torch.ones(CONFIDENCE_FEATURES))
        if hidden > 0:
            self.out = nn.Parameter(torch.randn(1, hidden) / np.sqrt(hidden))
            self.out_bias = nn.Parameter(torch.zeros(1))

    def features(self, state: torch.Tensor) -> torch.Tensor:
        """(..., S, D) -> (..., inputs): position 0, or the whole state position-major."""
        if self.all_positions:
            return state.reshape(*state.shape[:-2], -1)
        return state[..., 0, :]

    def set_standardization(self, confidence: torch.Tensor) -> None:
        """Standardises the confidence input by the mean and deviation of `confidence` (..., 6)."""
        flat = confidence.reshape(-1, CONFIDENCE_FEATURES).double()
        self.confidence_shift.copy_(flat.mean(0).float())
        self.confidence_scale.copy_(flat.std(0).clamp(min=1e-6).float())

    def forward(self, h: Optional[torch.Tensor], l: Optional[torch.Tensor] = None,
                confidence: Optional[torch.Tensor] = None,
                answer: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Score logits (...,) of states h, l (..., S, D), confidence statistics (..., 6) and
        answer tokens (..., L), read one-hot (cell-major, L V inputs)."""
        z = self.in_bias
        for state, value in (("h", h), ("l", l)):
            if state in self.states:
                z = z + F.linear(self.features(value), self.inputs[state])
        if "confidence" in self.states:
            standard = (confidence - self.confidence_shift) / self.confidence_scale
            z = z + F.linear(standard, self.inputs["confidence"])
        if "answer" in self.states:
            one_hot = F.one_hot(answer.long(), self.vocab_size).to(z.dtype)
            z = z + F.linear(one_hot.reshape(*answer.shape[:-1], -1), self.inputs["answer"])
        if self.hidden == 0:
            return z[..., 0]
        return F.linear(F.silu(z), self.out, self.out_bias)[..., 0]

    def calibrate(self, a: float, b: float) -> None:
        """Folds sigmoid(a score + b) into the last layer."""
        with torch.no_grad():
            if self.hidden > 0:
                self.out.mul_(a)
                self.out_bias.mul_(a).add_(b)
            else:
                for parameter in self.inputs.values():
                    parameter.mul_(a)
                self.in_bias.mul_(a).add_(b)

    def tensors(self) -> Dict[str, np.ndarray]:
        tensors = {f"verifier.in_{state}": self.inputs[state].detach().float().numpy()
                   for state in self.states}
        bias = self.in_bias.detach().double()
        if "confidence" in self.states:  # W (x - shift) / scale = (W / scale) x - W shift / scale
            folded = self.inputs["confidence"].detach().double() / self.confidence_scale.double()
            bias = bias - folded @ self.confidence_shift.double()
            tensors["verifier.in_confidence"] = folded.float().numpy()
        tensors["verifier.in_bias"] = bias.float().numpy()
        if self.hidden > 0:
            tensors["verifier.out"] = self.out.detach().float().numpy()
            tensors["verifier.out_bias"] = self.out_bias.detach().float().numpy()
        return tensors


def config_json(net: VerifierNet, model: Dict, objective: str, training: Dict) -> Dict:
    return {"format_version": 1, "states": list(net.states),
            "positions": "all" if net.all_positions else "first", "hidden": net.hidden,
            "model": model, "objective": objective, "training": training}


def save_verifier(path: str, net: VerifierNet, config: Dict) -> None:
    write_safetensors(path, net.tensors(),
                      {"format": FORMAT_NAME, "gram_verifier": json.dumps(config)})


def load_verifier(path: str) -> Tuple[VerifierNet, Dict]:
    tensors, metadata = read_safetensors(path)
    if "gram_verifier" not in metadata:
        raise SafetensorsError(f"{path}: metadata has no 'gram_verifier' (not a gram-engine "
                               f"verifier)")
    config = json.loads(metadata["gram_verifier"])
    model = config["model"]
    net = VerifierNet(model["hidden_size"], model["positions"], config["states"],
                      config["positions"] == "all", config["hidden"], model.get("seq_len", 0),
                      model.get("vocab_size", 0))
    expected = net.tensors()
    if set(tensors) != set(expected):
        raise SafetensorsError(f"{path}: tensors {sorted(tensors)}, expected {sorted(expected)}")
    with torch.no_grad():
        for state in net.states:
            net.inputs[state].copy_(torch.from_numpy(tensors[f"verifier.in_{state}"]))
        net.in_bias.copy_(torch.from_numpy(tensors["verifier.in_bias"]))
        if net.hidden > 0:
            net.out.copy_(torch.from_numpy(tensors["verifier.out"]))
            net.out_bias.copy_(torch.from_numpy(tensors["verifier.out_bias"]))
    return net, config


# --- objectives ----------------------------------------------------------------------------------
def regression_loss(scores: torch.Tensor, outcome: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(scores, outcome.float())


def contrastive_loss(scores: torch.Tensor, outcome: torch.Tensor) -> torch.Tensor:
    """scores, outcome (groups, W): each group one puzzle at one step. The mean over groups
    holding a right and a wrong trajectory of the mean over their pairs of
    -log sigmoid(s_right - s_wrong); 0 (with a gradient) when no group has both."""
    right = outcome.bool()
    difference = scores[:, :, None] - scores[:, None, :]          # (G, W, W): s_i - s_j
    pairs = (right[:, :, None] & ~right[:, None, :]).float()      # i right, j wrong
    per_group = pairs.sum((1, 2))
    loss = (F.softplus(-difference) * pairs).sum((1, 2))
    mixed = per_group > 0
    if not bool(mixed.any()):
        return scores.sum() * 0.0
    return (loss[mixed] / per_group[mixed]).mean()


RIDGE = 1e-3


def _platt_loss(a: float, b: float, s: np.ndarray, y: np.ndarray) -> float:
    z = a * s + b
    # y log(1 + e^-z) + (1 - y) log(1 + e^z), without overflow.
    return float(np.sum(y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z))
                 + 0.5 * RIDGE * a * a)


def platt(scores: np.ndarray, outcome: np.ndarray, iterations: int = 200) -> Tuple[float, float]:
    """(a, b) minimising the cross-entropy of sigmoid(a s + b) against the outcomes plus a small
    ridge on a, by Newton's method with backtracking: each step is halved until the loss does
    not rise, so scores that separate the outcomes (where the optimum runs off towards a steep
    step and plain Newton steps overshoot by orders of magnitude) give a steep but finite,
    order-keeping calibration. (1, 0), no calibration, when the outcomes are all one class."""
    s = np.asarray(scores, float).reshape(-1)
    y = np.asarray(outcome, float).reshape(-1)
    a, b = 1.0, 0.0
    if y.min() == y.max():
        return a, b
    loss = _platt_loss(a, b, s, y)
    for _ in range(iterations):
        p = 0.5 * (1.0 + np.tanh(0.5 * (a * s + b)))  # sigmoid without overflow
        gradient = np.array([np.sum((p - y) * s) + RIDGE * a, np.sum(p - y)])
        w = p * (1.0 - p)
        hessian = np.array([[np.sum(w * s * s) + RIDGE, np.sum(w * s)],
                            [np.sum(w * s), np.sum(w) + 1e-9]])
        step = np.linalg.solve(hessian, gradient)
        t = 1.0
        while t > 1e-12 and _platt_loss(a - t * step[0], b - t * step[1], s, y) > loss:
            t *= 0.5
        if t <= 1e-12:
            break
        a, b = a - t * step[0], b - t * step[1]
        loss = _platt_loss(a, b, s, y)
        if np.abs(t * step).max() < 1e-10:
            break
    return float(a), float(b)
