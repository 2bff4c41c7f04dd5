"""FLOPs from a model's shapes (docs/model-format.md s7), and the trainer's training FLOPs.

GEMMs count 2*m*n*k, attention's score and value products included; elementwise work (norms,
activations, the embedding lookup, noise sampling, softmax, losses) is excluded. The
per-application, prior and head counts are the engine's (`gram info` prints them); the
posterior network exists only in training, so only the trainer counts it.

Training compute (science.md s3) is the forward FLOPs of every network application the trainer
runs (each L cycle and H application, prior, posterior, heads; the head rollouts and their
replays included) plus twice the forward FLOPs of those that carry gradient (the backward
pass: one GEMM for the input's gradient, one for the weights'). A network that the gradient
only passes through (the prior in a replayed step, whose weights are held) is counted as
carrying gradient all the same: the convention over-counts it by one forward.
"""
from __future__ import annotations

import dataclasses

from .config import ModelConfig


@dataclasses.dataclass(frozen=True)
class FlopCounts:
    """Forward FLOPs of one row (one trajectory) for each piece of the model."""
    per_application: int       # one pass of F over the S = P + L positions
    prior: int                 # mu, sigma of the noise prior, per transition (0 without noise)
    posterior: int             # the trainer's posterior network, per transition (0 without)
    lm_head: int
    q_head: int
    value_head: int
    l_cycles: int
    h_cycles: int

    @property
    def applications_per_transition(self) -> int:
        return self.l_cycles + 1

    @property
    def core_per_transition(self) -> int:
        """(K + 1) applications: K L-cycles and one H application."""
        return self.applications_per_transition * self.per_application

    @property
    def per_transition(self) -> int:
        """What `gram info` prints: (K + 1) applications + prior."""
        return self.core_per_transition + self.prior

    @property
    def heads(self) -> int:
        return self.lm_head + self.q_head + self.value_head

    @property
    def per_step(self) -> int:
        """An inference supervision step: T transitions + the heads."""
        return self.h_cycles * self.per_transition + self.heads


def count_flops(config: ModelConfig) -> FlopCounts:
    S, D, L, V = config.positions, config.hidden_size, config.seq_len, config.vocab_size
    ffn = 6 * S * D * config.ffn_hidden                  # gate + up: 4 S D F, down: 2 S F D
    if config.mixer == "mlp_t":
        mixer = 6 * D * S * config.mlp_t_hidden          # the same SwiGLU on D rows of S features
    else:
        mixer = 8 * S * D * D + 4 * S * S * D            # qkv, out; scores, values
    H = config.noise.hidden if config.noise.enabled else 0
    return FlopCounts(
        per_application=config.num_layers * (mixer + ffn),
        prior=6 * S * D * H,                             # hidden, mu, sigma layers
        # hidden layer on [u, y] (2D -> H), then mu and sigma (H -> D each).
        posterior=(2 * S * 2 * D * H + 4 * S * H * D) if H else 0,
        lm_head=2 * L * D * V,
        q_head=2 * D * 2,
        value_head=2 * D if config.has_value_head else 0,
        l_cycles=config.l_cycles,
        h_cycles=config.h_cycles)


def posterior_row_flops(c: FlopCounts) -> int:
    """One slot's supervision step of the GRAM objective: T - 1 prior transitions without
    gradient, the last transition with the posterior and the prior (for the KL) and the LM head
    under gradient. The halt and value heads are not evaluated on these rows."""
    free = (c.h_cycles - 1) * c.per_transition
    last = c.core_per_transition + c.posterior + c.prior
    return free + 3 * (last + c.lm_head)


def rollout_row_flops(c: FlopCounts, steps: int) -> int:
    """One prior trajectory of `steps` supervision steps, heads after each, no gradient."""
    return steps * c.per_step


def replay_row_flops(c: FlopCounts) -> int:
    """One replayed supervision step: T - 1 prior transitions without gradient, the last with
    gradient into the halt and value heads; the LM head only decides the halt target."""
    free = (c.h_cycles - 1) * c.per_transition
    return free + 3 * (c.per_transition + c.q_head + c.value_head) + c.lm_head


def update_flops(c: FlopCounts, rows: int, rollout_rows: int, rollout_steps: int,
                 replay_rows: int) -> int:
    """Training FLOPs of one update."""
    return (rows * posterior_row_flops(c) + rollout_rows * rollout_row_flops(c, rollout_steps)
            + replay_rows * replay_row_flops(c))
