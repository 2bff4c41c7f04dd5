"""The engine's samplers in the PyTorch reference (docs/model-format.md, "Samplers";
src/engine/sampler.h): width for a model whose transitions are deterministic.

- injected noise: x += a * eps after the chosen updates (on l after each L update, on h after
  each H update, after GRAM's own prior noise), a = scale, or scale * the position's RMS
  sqrt(mean over the D channels of x^2) taken before the noise ("relative");
- MC dropout: inverted dropout (drop with probability `rate`, scale the rest by 1 / (1 - rate))
  on the chosen sublayer outputs (mixer, FFN) of the chosen layers, in F_L's and/or F_H's
  applications.

Two sources of the draws, with the same distributions:
- `PhiloxDraws`: the engine's own stream, element for element (numpy, slow): golden files and
  the engine-against-reference checks of the counter layout;
- `TorchDraws`: torch's generator: the many trajectories a verifier is trained on.

Counter layout of the engine's stream (src/rng/sampler_stream.h):
    key     = (seed & 0xFFFFFFFF, seed >> 32)
    counter = ((site << 20) | element // 4, (step << 8) | transition, trajectory, puzzle)
    site    = 1 + application * (1 + 2 num_layers) + slot
application 0..K-1 are the L updates, K the H update; slot 0 is the noise after it, slot
1 + 2 layer + s the dropout of `layer` at s (0 mixer, 1 FFN). Elements are numbered in the
buffer's own layout: (S, D) position-major for the state and the FFN output, (D, S) for the
mlp_t mixer's output.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .model import GramModel
from .philox import boxmuller_float, philox4x32, transition_noise

GROUP_BITS = 20
MAX_ROW_ELEMENTS = 4 << GROUP_BITS


@dataclasses.dataclass(frozen=True)
class SamplerSettings:
    noise_scale: float = 0.0
    noise_relative: bool = False
    noise_at: Tuple[str, ...] = ("h",)
    dropout_rate: float = 0.0
    dropout_at: Tuple[str, ...] = ("h", "l")
    dropout_sites: Tuple[str, ...] = ("mixer", "ffn")
    dropout_layers: Tuple[int, ...] = ()  # empty: every layer

    @property
    def noise_active(self) -> bool:
        return self.noise_scale > 0 and bool(self.noise_at)

    @property
    def dropout_active(self) -> bool:
        return self.dropout_rate > 0 and bool(self.dropout_at) and bool(self.dropout_sites)

    def drops(self, high: bool, layer: int, sublayer: int) -> bool:
        return (self.dropout_active and ("h" if high else "l") in self.dropout_at
                and ("mixer", "ffn")[sublayer] in self.dropout_sites
                and (not self.dropout_layers or layer in self.dropout_layers))

    def label(self) -> str:
        """The engine's engine::sampler_label: none, noise0.1, noise0.1-relative, dropout0.05."""
        parts = []
        if self.noise_active:
            parts.append(f"noise{self.noise_scale:g}" + ("-relative" if self.noise_relative else ""))
        if self.dropout_active:
            parts.append(f"dropout{self.dropout_rate:g}")
        return "+".join(parts) or "none"

    def to_json(self) -> Dict:
        return {"label": self.label(),
                "noise": {"scale": self.noise_scale,
                          "mode": "relative" if self.noise_relative else "absolute",
                          "at": list(self.noise_at)} if self.noise_active else None,
                "dropout": {"rate": self.dropout_rate, "at": list(self.dropout_at),
                            "sites": list(self.dropout_sites),
                            "layers": list(self.dropout_layers) or "all"}
                if self.dropout_active else None}

    def engine_flags(self) -> List[str]:
        """The `gram run` options that select this sampler."""
        flags = ["--noise_scale", f"{self.noise_scale:g}", "--noise_mode",
                 "relative" if self.noise_relative else "absolute",
                 "--noise_at", ",".join(self.noise_at) or "h",
                 "--dropout_rate", f"{self.dropout_rate:g}",
                 "--dropout_at", ",".join(self.dropout_at) or "h",
                 "--dropout_sites", ",".join(self.dropout_sites) or "ffn"]
        if self.dropout_layers:
            flags += ["--dropout_layers", ",".join(str(x) for x in self.dropout_layers)]
        return flags


def parse_spec(text: str, **sites) -> SamplerSettings:
    """"none", "noise:0.1" or "dropout:0.05" (a sweep's `samplers` entry), with `sites` the
    other settings (noise_relative, noise_at, dropout_at, ...)."""
    text = text.strip()
    if text == "none":
        return SamplerSettings(**sites)
    kind, _, value = text.partition(":")
    if kind not in ("noise", "dropout") or not value:
        raise ValueError(f"sampler '{text}' must be none, noise:SCALE or dropout:RATE")
    number = float(value)
    if number <= 0 or (kind == "dropout" and number >= 1):
        raise ValueError(f"sampler '{text}': scale > 0, or rate in (0, 1)")
    if kind == "noise":
        return SamplerSettings(noise_scale=number, **sites)
    return SamplerSettings(dropout_rate=number, **sites)


def site(application: int, slot: int, num_layers: int) -> int:
    return 1 + application * (1 + 2 * num_layers) + slot


# --- the engine's stream ------------------------------------------------------------------------
def sampler_words(seed: int, puzzle: int, trajectory: int, step: int, transition: int,
                  site_index: int, count: int) -> np.ndarray:
    """(count,) uint32: element i's word of the draw point (word i % 4 of group i // 4)."""
    if not 1 <= site_index < 4096:
        raise ValueError(f"site {site_index} outside 1..4095")
    if count > MAX_ROW_ELEMENTS:
        raise ValueError(f"{count} elements exceed the samplers' 2^22 per row")
    groups = (count + 3) // 4
    counter = np.zeros((groups, 4), dtype=np.uint64)
    counter[:, 0] = (site_index << GROUP_BITS) | np.arange(groups, dtype=np.uint64)
    counter[:, 1] = (step << 8) | transition
    counter[:, 2] = trajectory
    counter[:, 3] = puzzle
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    return philox4x32(counter, (seed & 0xFFFFFFFF, seed >> 32)).reshape(-1)[:count]


def sampler_normals(seed: int, puzzle: int, trajectory: int, step: int, transition: int,
                    site_index: int, count: int) -> np.ndarray:
    """(count,) float32 normals: Box-Muller of each group's (r0, r1) and (r2, r3)."""
    words = sampler_words(seed, puzzle, trajectory, step, transition, site_index,
                          (count + 3) // 4 * 4).reshape(-1, 4)
    first = boxmuller_float(words[:, 0], words[:, 1])
    second = boxmuller_float(words[:, 2], words[:, 3])
    return np.stack([first[0], first[1], second[0], second[1]], axis=-1).reshape(-1)[:count]


def dropout_threshold(rate: float) -> int:
    return min(int(math.floor(rate * 4294967296.0)), 4294967295)


class PhiloxDraws:
    """The engine's draws for rows of known identity (puzzle, trajectory per row)."""

    def __init__(self, seed: int, puzzles: Sequence[int], trajectories: Sequence[int]):
        self.seed, self.puzzles, self.trajectories = seed, list(puzzles), list(trajectories)

    def _rows(self, make, shape):
        rows = [make(p, t).reshape(shape[1:]) for p, t in zip(self.puzzles, self.trajectories)]
        return torch.from_numpy(np.stack(rows))

    def normals(self, step, transition, site_index, shape, dtype):
        count = int(np.prod(shape[1:]))
        return self._rows(lambda p, t: sampler_normals(self.seed, p, t, step, transition,
                                                       site_index, count), shape).to(dtype)

    def keep(self, step, transition, site_index, shape, rate):
        count = int(np.prod(shape[1:]))
        words = self._rows(lambda p, t: sampler_words(self.seed, p, t, step, transition,
                                                      site_index, count).astype(np.int64),
                           shape)
        return words >= dropout_threshold(rate)

    def prior(self, step, transition, shape, dtype):
        _, S, D = shape
        return torch.from_numpy(np.stack([
            transition_noise(self.seed, p, t, step, transition, S, D)
            for p, t in zip(self.puzzles, self.trajectories)])).to(dtype)


class TorchDraws:
    """Draws of the same distributions from a torch generator (not the engine's bits)."""

    def __init__(self, generator: torch.Generator):
        self.generator = generator

    def normals(self, step, transition, site_index, shape, dtype):
        return torch.randn(shape, generator=self.generator, dtype=dtype)

    def keep(self, step, transition, site_index, shape, rate):
        return torch.rand(shape, generator=self.generator) >= rate

    def prior(self, step, transition, shape, dtype):
        return torch.randn(shape, generator=self.generator, dtype=dtype)


# --- the sampled recursion ----------------------------------------------------------------------
def inject(x: torch.Tensor, eps: torch.Tensor, settings: SamplerSettings) -> torch.Tensor:
    """x (B, S, D) + amplitude * eps, the amplitude per position."""
    amplitude = settings.noise_scale
    if settings.noise_relative:
        amplitude = settings.noise_scale * x.pow(2).mean(dim=-1, keepdim=True).sqrt()
    return x + amplitude * eps


def sampled_supervision_step(model: GramModel, h, l, e, settings: SamplerSettings, draws,
                             step: int):
    """One supervision step with the sampler (and GRAM's prior noise for a GRAM model), as
    RecursiveModel::supervision_step runs it. Returns (h, l)."""
    c = model.config
    layers = c.num_layers
    for transition in range(c.h_cycles):
        for application in range(c.l_cycles + 1):
            high = application == c.l_cycles

            def dropout(y, layer, sublayer, application=application, high=high):
                if not settings.drops(high, layer, sublayer):
                    return y
                keep = draws.keep(step, transition, site(application, 1 + 2 * layer + sublayer,
                                                         layers), y.shape, settings.dropout_rate)
                return torch.where(keep.to(y.device), y * (1.0 / (1.0 - settings.dropout_rate)),
                                   torch.zeros_like(y))

            if not high:
                l = model.low(l + h + e, dropout)
                if settings.noise_active and "l" in settings.noise_at:
                    l = inject(l, draws.normals(step, transition, site(application, 0, layers),
                                                l.shape, l.dtype).to(l.device), settings)
                continue
            u = model.high(h + l, dropout)
            if c.noise.enabled:
                mu, sigma = model.prior_parameters(u)
                u = u + mu + sigma * draws.prior(step, transition, u.shape, u.dtype).to(u.device)
            h = u
            if settings.noise_active and "h" in settings.noise_at:
                h = inject(h, draws.normals(step, transition, site(application, 0, layers),
                                            h.shape, h.dtype).to(h.device), settings)
    return h, l


def check(settings: SamplerSettings, model: GramModel) -> None:
    """The engine's check_sampler: layers that exist, rows and draw points that fit the
    counters."""
    c = model.config
    for layer in settings.dropout_layers:
        if not 0 <= layer < c.num_layers:
            raise ValueError(f"dropout_layers: the model has layers 0..{c.num_layers - 1}, "
                             f"not layer {layer}")
    if c.positions * c.hidden_size > MAX_ROW_ELEMENTS:
        raise ValueError("a trajectory's state exceeds the samplers' 2^22 elements")
    if site(c.l_cycles, 2 * c.num_layers, c.num_layers) > 4095:
        raise ValueError("more sampler draw points per transition than the counters number")
