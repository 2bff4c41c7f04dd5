"""Golden cases: tiny models of every architecture variant and what the reference computes.

Each case is a model file (`<name>.model.safetensors`, a normal engine model) and a golden file
(`<name>.golden.safetensors`) holding, for R trajectories of one puzzle over `steps` supervision
steps (shapes with S = P + L positions, D hidden, T transitions per step):

    input   (L)                     the puzzle tokens (small integers, stored as F32)
    eps     (R, steps, T, S, D)     the Philox noise of every transition (noise on only)
    h, l    (R, steps, S, D)        the state after each supervision step
    logits  (R, steps, L, V)        the LM head over the puzzle positions
    q       (R, steps, 2)           (q_halt, q_continue)
    value   (R, steps)              the value logit (value head only)
    halt    (R, steps)              1 where the halt rule says stop

The metadata names the seed, the puzzle index and the trajectory indices. Weights and eps are
float32; the forward pass runs in float64 from them and its results are rounded to float32 once,
so the files hold the exact answer to float32 precision and the engine's fp32 error is what the
C++ test measures (tests/golden/golden_test.cpp).
"""
from __future__ import annotations

import dataclasses
import json
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from .config import ModelConfig, NoiseConfig
from .model import GramModel
from .philox import transition_noise
from .samplers import PhiloxDraws, SamplerSettings, sampled_supervision_step

SEED = 0x0123456789ABCDEF  # both key words non-zero
PUZZLE = 11
TRAJECTORIES = (0, 5)
STEPS = 3


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    mixer: str
    shared: bool
    noise: bool
    positions: str
    halt_rule: str
    value_head: bool
    prefix_len: int
    sampler: Optional[SamplerSettings] = None  # the engine's samplers on top (its own stream)


VARIANTS: Tuple[Variant, ...] = (
    Variant("mlp_t_shared_noise", "mlp_t", True, True, "none", "sigmoid", True, 2),
    Variant("mlp_t_separate_noise_learned", "mlp_t", False, True, "learned", "compare", True, 1),
    Variant("mlp_t_shared_deterministic", "mlp_t", True, False, "learned", "sigmoid", False, 2),
    Variant("attention_shared_noise_rope", "attention", True, True, "rope", "sigmoid", True, 2),
    Variant("attention_separate_deterministic_rope", "attention", False, False, "rope",
            "compare", True, 0),
    Variant("attention_separate_noise_learned", "attention", False, True, "learned", "sigmoid",
            False, 1),
    # A deterministic model given width by both samplers: relative noise after every update
    # and dropout on every sublayer output (the mlp_t mixer's in its transposed layout).
    Variant("mlp_t_shared_deterministic_sampled", "mlp_t", True, False, "learned", "sigmoid",
            True, 2, SamplerSettings(noise_scale=0.2, noise_relative=True, noise_at=("h", "l"),
                                     dropout_rate=0.15)),
    # GRAM's prior noise with the samplers after it: absolute noise on h, dropout of layer 1's
    # FFN output only.
    Variant("attention_separate_noise_sampled", "attention", False, True, "rope", "sigmoid",
            True, 1, SamplerSettings(noise_scale=0.1, dropout_rate=0.1, dropout_sites=("ffn",),
                                     dropout_layers=(1,))),
)


def variant_config(variant: Variant) -> ModelConfig:
    attention = variant.mixer == "attention"
    return ModelConfig(
        task="sudoku:4", vocab_size=6, seq_len=16, prefix_len=variant.prefix_len, hidden_size=8,
        num_layers=2, mixer=variant.mixer, num_heads=2 if attention else 0,
        position_encoding=variant.positions, ffn_hidden=16,
        mlp_t_hidden=0 if attention else 12, l_cycles=2, h_cycles=2, max_steps=4,
        shared_networks=variant.shared,
        noise=NoiseConfig(enabled=variant.noise, hidden=8 if variant.noise else 0,
                          sigma_min=0.05, sigma_max=1.0),
        halt_rule=variant.halt_rule, has_value_head=variant.value_head)


WEIGHT_GAIN = 0.7


def variant_model(variant: Variant, index: int) -> GramModel:
    """The format's initial values with two changes. Biases are N(0, 0.5), so every bias path
    is exercised and the halt head sits near its threshold. 2-D weights other than embeddings
    are scaled by WEIGHT_GAIN so that the recursion contracts, as a trained model's does: with
    the plain initial values these tiny random models amplify float32 rounding about fivefold
    per supervision step, and the comparison would measure their conditioning, not the engine."""
    model = GramModel(variant_config(variant))
    generator = torch.Generator().manual_seed(1000 + index)
    model.reset_parameters(generator)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("_bias"):
                parameter.copy_(0.5 * torch.randn(parameter.shape, generator=generator))
            elif parameter.dim() == 2 and not name.startswith("embed."):
                parameter.mul_(WEIGHT_GAIN)
    return model


def variant_input(index: int) -> np.ndarray:
    rng = np.random.default_rng(2000 + index)
    return rng.integers(0, 6, size=16).astype(np.int64)


def run_case(model: GramModel, tokens: np.ndarray, seed: int, puzzle: int,
             trajectories: Tuple[int, ...], steps: int,
             sampler: Optional[SamplerSettings] = None) -> Dict[str, np.ndarray]:
    """The recorded forward pass in float64 of the float32 weights and float32 eps."""
    c = model.config
    S, D = c.positions, c.hidden_size
    reference = GramModel(c).double()
    reference.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    rows = len(trajectories)
    batch = torch.from_numpy(np.tile(tokens[None, :], (rows, 1)))
    record: Dict[str, List] = {k: [] for k in ("eps", "h", "l", "logits", "q", "value", "halt")}
    with torch.no_grad():
        h, l, e = reference.start(batch)
        for step in range(steps):
            step_eps = []

            def noise(transition: int) -> torch.Tensor:
                eps = np.stack([transition_noise(seed, puzzle, trajectory, step, transition, S, D)
                                for trajectory in trajectories])  # (R, S, D) float32
                step_eps.append(eps)
                return torch.from_numpy(eps).double()

            if sampler is None:
                h, l = reference.supervision_step(h, l, e, noise)
            else:
                draws = PhiloxDraws(seed, [puzzle] * rows, trajectories)
                prior = draws.prior

                def recorded_prior(step_, transition, shape, dtype):
                    eps = prior(step_, transition, shape, dtype)
                    step_eps.append(eps.float().numpy())
                    return eps

                draws.prior = recorded_prior
                h, l = sampled_supervision_step(reference, h, l, e, sampler, draws, step)
            logits, q, value = reference.heads(h)
            if c.noise.enabled:
                record["eps"].append(np.stack(step_eps, axis=1))  # (R, T, S, D)
            record["h"].append(h.numpy())
            record["l"].append(l.numpy())
            record["logits"].append(logits.numpy())
            record["q"].append(q.numpy())
            if value is not None:
                record["value"].append(value.numpy())
            record["halt"].append(reference.wants_halt(q).numpy().astype(np.float64))
    out = {}
    for key, items in record.items():
        if items:
            out[key] = np.stack(items, axis=1).astype(np.float32)  # (R, steps, ...)
    out["input"] = tokens.astype(np.float32)
    return out


def build(index: int) -> Tuple[GramModel, Dict[str, np.ndarray], Dict[str, str]]:
    variant = VARIANTS[index]
    model = variant_model(variant, index)
    tokens = variant_input(index)
    tensors = run_case(model, tokens, SEED, PUZZLE, TRAJECTORIES, STEPS, variant.sampler)
    metadata = {
        "format": "gram-engine-golden",
        "variant": variant.name,
        "model": f"{variant.name}.model.safetensors",
        "seed": str(SEED),
        "puzzle": str(PUZZLE),
        "trajectories": ",".join(str(t) for t in TRAJECTORIES),
        "steps": str(STEPS),
        "generator": "tools/make_golden.py (float64 forward of float32 weights and eps)",
    }
    if variant.sampler is not None:
        metadata["sampler"] = json.dumps(variant.sampler.to_json(), sort_keys=True)
    return model, tensors, metadata
