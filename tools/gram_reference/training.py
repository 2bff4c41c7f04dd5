"""The GRAM training objective (science.md s2) and its deterministic TRM-style special case.

Per supervision step, for a batch of slots that each carry (h, l) across steps (deep
supervision, TRM's carry: a slot is refilled with a new puzzle when it halts or reaches
max_steps):

    T - 1 transitions without gradient, then the last transition with gradient:
        l = F_L^K(l, h, e);  u = F_H(h + l)
        prior      p = N(u + mu_p(u),      sigma_p(u))
        posterior  q = N(u + mu_q(u, y),   sigma_q(u, y))     y = embedding of the target
        h = u + mu_q + sigma_q * eps                          (reparameterised sample of q)
    loss = CE(LM(h[P:]), y)
         + beta * [alpha KL(sg(q) || p) + (1 - alpha) KL(q || sg(p))]   (alpha = 0.8)
         + halt_weight  * BCE(q_halt, answer correct)
         + value_weight * BCE(value,  answer correct)                   (LPRM)

KL is summed over the D channels and averaged over positions and rows (nats per position).
The transitions without gradient also sample from the posterior, so every state a step starts
from is one the posterior produced. With `deterministic` the model has no noise: no posterior,
no KL, h = u (TRM).

Inference (what the engine does, and `evaluate` here): every transition samples eps from the
prior; the exported weights are the EMA copy.
"""
from __future__ import annotations

import copy
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .model import GramModel

KL_BALANCE = 0.8


class Posterior(nn.Module):
    """q(eps | u, y): the prior's shape with the target's embedding as a second input."""

    def __init__(self, model: GramModel):
        super().__init__()
        c = model.config
        D, H = c.hidden_size, c.noise.hidden
        self.prefix_len = c.prefix_len
        self.sigma_min, self.sigma_max = c.noise.sigma_min, c.noise.sigma_max
        self.target_embedding = nn.Embedding(c.vocab_size, D)
        nn.init.normal_(self.target_embedding.weight, std=1.0)
        self.hidden = nn.Linear(2 * D, H)
        self.mu = nn.Linear(H, D)
        self.sigma = nn.Linear(H, D)
        with torch.no_grad():
            # Start where the prior starts: no shift, sigma near sigma_min + softplus(-2).
            self.mu.weight.mul_(0.1)
            self.mu.bias.zero_()
            self.sigma.bias.fill_(-2.0)

    def forward(self, u: torch.Tensor, target: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        y = self.target_embedding(target)                                   # (B, L, D)
        if self.prefix_len > 0:
            y = F.pad(y, (0, 0, self.prefix_len, 0))                        # (B, S, D)
        activation = F.silu(self.hidden(torch.cat([u, y], dim=-1)))
        mu = self.mu(activation)
        sigma = torch.clamp(self.sigma_min + F.softplus(self.sigma(activation)), max=self.sigma_max)
        return mu, sigma


def gaussian_kl(mu_q, sigma_q, mu_p, sigma_p) -> torch.Tensor:
    """KL(N(mu_q, sigma_q) || N(mu_p, sigma_p)) per element."""
    return (torch.log(sigma_p / sigma_q)
            + (sigma_q.pow(2) + (mu_q - mu_p).pow(2)) / (2 * sigma_p.pow(2)) - 0.5)


def balanced_kl(mu_q, sigma_q, mu_p, sigma_p, alpha: float = KL_BALANCE) -> torch.Tensor:
    """alpha KL(sg(q) || p) + (1 - alpha) KL(q || sg(p)) (DreamerV2), in nats per position."""
    to_prior = gaussian_kl(mu_q.detach(), sigma_q.detach(), mu_p, sigma_p)
    to_posterior = gaussian_kl(mu_q, sigma_q, mu_p.detach(), sigma_p.detach())
    kl = alpha * to_prior + (1 - alpha) * to_posterior                     # (B, S, D)
    return kl.sum(dim=-1).mean()


class Trainer:
    """The model, its posterior, the optimiser and the EMA copy; one call = one optimiser step."""

    def __init__(self, model: GramModel, lr: float, weight_decay: float, beta: float,
                 halt_weight: float, value_weight: float, ema_decay: float, warmup: int,
                 generator: torch.Generator, early_prior: bool = False):
        self.model = model
        self.config = model.config
        self.noise = model.config.noise.enabled
        self.posterior = Posterior(model) if self.noise else None
        if self.noise:
            with torch.no_grad():
                # A prior that starts with almost no shift, like the posterior: the KL then
                # starts near zero instead of at hundreds of nats per position.
                model.prior.mu.mul_(0.1)
                model.prior.mu_bias.zero_()
        self.beta, self.halt_weight, self.value_weight = beta, halt_weight, value_weight
        parameters = list(model.parameters())
        if self.posterior is not None:
            parameters += list(self.posterior.parameters())
        decay = [p for p in parameters if p.dim() >= 2]
        no_decay = [p for p in parameters if p.dim() < 2]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": weight_decay},
             {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))
        self.base_lr, self.warmup = lr, warmup
        self.ema = copy.deepcopy(model)
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.ema_decay = ema_decay
        self.generator = generator
        # The gradient-free transitions before the last carry no KL term, so a posterior
        # sampled there passes the target into h unpriced (an N-Queens run put 0.84 nats per
        # position through the first one, against 0.017 through the penalised last one, and
        # solved nothing from the prior). early_prior samples them from the prior instead.
        self.early_prior = early_prior
        self.step = 0

    def _eps(self, like: torch.Tensor) -> torch.Tensor:
        return torch.randn(like.shape, generator=self.generator, dtype=like.dtype)

    def _transition(self, h, l, e, target, with_kl: bool):
        m = self.model
        l = m.low_cycles(h, l, e)
        u = m.high(h + l)
        if not self.noise:
            return u, l, None
        if target is None:  # a prior transition, as at inference
            mu_p, sigma_p = m.prior_parameters(u)
            return u + mu_p + sigma_p * self._eps(u), l, None
        mu_q, sigma_q = self.posterior(u, target)
        h = u + mu_q + sigma_q * self._eps(u)
        kl = None
        if with_kl:
            mu_p, sigma_p = m.prior_parameters(u)
            kl = balanced_kl(mu_q, sigma_q, mu_p, sigma_p)
        return h, l, kl

    def train_step(self, tokens, target, h, l) -> Tuple[torch.Tensor, torch.Tensor, Dict]:
        """One supervision step for every slot: returns the detached carry and the metrics."""
        self.model.train()
        for group in self.optimizer.param_groups:
            group["lr"] = self.base_lr * min(1.0, (self.step + 1) / max(1, self.warmup))
        e = self.model.embed_input(tokens)
        with torch.no_grad():
            for _ in range(self.config.h_cycles - 1):
                h, l, _ = self._transition(h, l, e, None if self.early_prior else target,
                                           with_kl=False)
        h, l, kl = self._transition(h, l, e, target, with_kl=True)
        logits, q, value = self.model.heads(h)
        V = self.config.vocab_size
        ce = F.cross_entropy(logits.reshape(-1, V), target.reshape(-1))
        with torch.no_grad():
            answer = logits.argmax(-1)
            cells = (answer == target).float().mean(-1)
            correct = (answer == target).all(-1).float()
        halt_loss = F.binary_cross_entropy_with_logits(q[:, 0], correct)
        loss = ce + self.halt_weight * halt_loss
        metrics = {"ce": ce.item(), "halt": halt_loss.item(), "cells": cells.mean().item(),
                   "exact": correct.mean().item()}
        if kl is not None:
            loss = loss + self.beta * kl
            metrics["kl"] = kl.item()
        if value is not None:
            value_loss = F.binary_cross_entropy_with_logits(value, correct)
            loss = loss + self.value_weight * value_loss
            metrics["value"] = value_loss.item()
        metrics["loss"] = loss.item()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        with torch.no_grad():
            for ema, live in zip(self.ema.parameters(), self.model.parameters()):
                ema.mul_(self.ema_decay).add_(live.detach(), alpha=1 - self.ema_decay)
        self.step += 1
        metrics["q_halt"] = q[:, 0].detach()
        metrics["correct"] = correct
        return h.detach(), l.detach(), metrics

    def state_dict(self) -> Dict:
        return {"model": self.model.state_dict(), "ema": self.ema.state_dict(),
                "posterior": self.posterior.state_dict() if self.posterior else None,
                "optimizer": self.optimizer.state_dict(), "step": self.step,
                "generator": self.generator.get_state()}

    def load_state_dict(self, state: Dict) -> None:
        self.model.load_state_dict(state["model"])
        self.ema.load_state_dict(state["ema"])
        if self.posterior is not None:
            self.posterior.load_state_dict(state["posterior"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step = state["step"]
        self.generator.set_state(state["generator"])


@torch.no_grad()
def evaluate(model: GramModel, tokens: torch.Tensor, target: torch.Tensor, steps: int,
             generator: Optional[torch.Generator] = None, batch: int = 256,
             valid=None) -> Dict[str, float]:
    """Inference as the engine runs it (prior noise, `steps` supervision steps, no halting):
    exact-board accuracy and cell accuracy of one trajectory per puzzle. `valid(x, answer, y)`
    decides what counts as exact (default: equal to the target); cells always compare with
    the target."""
    model.eval()
    exact, cells = 0.0, 0.0
    for start in range(0, tokens.shape[0], batch):
        x, y = tokens[start:start + batch], target[start:start + batch]
        h, l, e = model.start(x)

        def noise(_transition):
            return torch.randn(h.shape, generator=generator)

        for _ in range(steps):
            h, l = model.supervision_step(h, l, e, noise)
        answer = model.heads(h)[0].argmax(-1)
        right = valid(x, answer, y) if valid is not None else (answer == y).all(-1)
        exact += right.float().sum().item()
        cells += (answer == y).float().mean(-1).sum().item()
    n = tokens.shape[0]
    return {"exact": exact / n, "cells": cells / n}
