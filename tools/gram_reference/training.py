"""The GRAM training objective (science.md s2) and its deterministic TRM-style special case.

One update trains two kinds of rows.

Posterior rows (the GRAM objective, deep supervision): a batch of slots each carries (h, l)
across supervision steps; a slot gets a new puzzle after max_steps steps. Per supervision step:

    T - 1 transitions without gradient, each sampling the PRIOR, as inference does:
        l = F_L^K(l, h, e);  u = F_H(h + l);  h = u + mu_p(u) + sigma_p(u) * eps
    the last transition with gradient, sampling the POSTERIOR and paying its KL:
        posterior  q = N(u + mu_q(u, y), sigma_q(u, y))     y = embedding of the target
        h = u + mu_q + sigma_q * eps
    loss = CE(LM(h[P:]), y) + beta * [alpha KL(sg(q) || p) + (1 - alpha) KL(q || sg(p))]

Every transition either samples the prior or is charged its KL: a posterior sample that is not
priced passes the answer into h for free, and the prior then learns nothing (a 1,000-update
N-Queens run solved 96% of its training boards through the posterior and 0% from the prior).
KL is summed over the D channels and averaged over positions and rows (nats per position),
alpha = 0.8 (DreamerV2's balancing).

Head rows (tools/gram_reference/rollouts.py): steps of PRIOR trajectories replayed from a
buffer; their last transition runs under gradient and
    loss = halt_weight * BCE(q_halt, answer right after this step)
         + value_weight * BCE(value, the trajectory's final outcome)
with no CE or KL; optionally (`ranking_weight`, after LatentRM: You et al., "Parallel Test-Time
Scaling for Latent Reasoning Models") a step-wise ranking term over groups of trajectories of
one puzzle replayed at the same step,
         + ranking_weight * mean over groups of mean over (right i, wrong j) of
                            -log sigmoid(value_i - value_j)           (Bradley-Terry)
which trains the value head on exactly what best-of-n needs: order within a puzzle. These
losses reach the core network (the heads read h[0]), not the prior's
weights: the prior is the inference noise model, shaped by the KL alone.

With `deterministic` the model has no noise: no posterior, no KL, h = u (TRM); the head rows
are its own deterministic trajectories.

Gradient clipping at 1.0 covers every trained parameter (model and posterior); the EMA copy of
the model is what gets exported.
"""
from __future__ import annotations

import copy
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .model import GramModel
from .rollouts import step_noise

KL_BALANCE = 0.8
GRADIENT_CLIP = 1.0


class Posterior(nn.Module):
    """q(eps | u, y): the prior's shape with the target's embedding as a second input."""

    def __init__(self, model: GramModel, generator: torch.Generator):
        super().__init__()
        c = model.config
        D, H = c.hidden_size, c.noise.hidden
        self.prefix_len = c.prefix_len
        self.sigma_min, self.sigma_max = c.noise.sigma_min, c.noise.sigma_max
        self.target_embedding = nn.Embedding(c.vocab_size, D)
        self.hidden = nn.Linear(2 * D, H)
        self.mu = nn.Linear(H, D)
        self.sigma = nn.Linear(H, D)
        with torch.no_grad():
            # Start as a copy of the prior that ignores y: q = p, the KL starts at exactly 0
            # and grows only as the posterior learns to use the target. (An independent
            # initialisation starts near 30 nats per position on the small Sudoku model and
            # spends the first hundred updates undoing it.) The y columns start at zero and
            # get their gradient from the first update on.
            p = model.prior
            self.hidden.weight.zero_()
            self.hidden.weight[:, :D].copy_(p.hidden)
            self.hidden.bias.copy_(p.hidden_bias)
            self.mu.weight.copy_(p.mu)
            self.mu.bias.copy_(p.mu_bias)
            self.sigma.weight.copy_(p.sigma)
            self.sigma.bias.copy_(p.sigma_bias)
            # Drawn from the run's generator, so a seed fixes the whole initial state.
            self.target_embedding.weight.copy_(
                torch.randn(self.target_embedding.weight.shape, generator=generator))

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


def ranking_loss(value: torch.Tensor, final: torch.Tensor,
                 member: torch.Tensor) -> Tuple[torch.Tensor, int]:
    """Bradley-Terry ranking within groups: value (N,) logits, final (N,) bool outcomes, member
    (N,) group numbers. Returns (the mean over groups that hold a right and a wrong trajectory
    of their mean pair loss -log sigmoid(v_right - v_wrong), how many such groups)."""
    pair = (member[:, None] == member[None, :]) & final[:, None] & ~final[None, :]  # (i, j)
    if not bool(pair.any()):
        return value.sum() * 0.0, 0
    losses = F.softplus(value[None, :] - value[:, None])        # -log sigmoid(v_i - v_j)
    pairs_per_group = torch.zeros(int(member.max()) + 1, device=value.device).index_add_(
        0, member, pair.sum(1).float())
    weight = pair.float() / pairs_per_group[member][:, None].clamp(min=1)
    groups = int((pairs_per_group > 0).sum())
    return (losses * weight).sum() / groups, groups


def balanced_kl(mu_q, sigma_q, mu_p, sigma_p, alpha: float = KL_BALANCE) -> torch.Tensor:
    """alpha KL(sg(q) || p) + (1 - alpha) KL(q || sg(p)) (DreamerV2), in nats per position."""
    to_prior = gaussian_kl(mu_q.detach(), sigma_q.detach(), mu_p, sigma_p)
    to_posterior = gaussian_kl(mu_q, sigma_q, mu_p.detach(), sigma_p.detach())
    kl = alpha * to_prior + (1 - alpha) * to_posterior                     # (B, S, D)
    return kl.sum(dim=-1).mean()


class Trainer:
    """The model, its posterior, the optimiser and the EMA copy; one `update` = one optimiser
    step over the posterior rows and the replayed head rows."""

    def __init__(self, model: GramModel, generator: torch.Generator, valid: Callable, *,
                 init_generator: torch.Generator, lr: float, weight_decay: float, beta: float,
                 halt_weight: float, value_weight: float, ema_decay: float, warmup: int,
                 ranking_weight: float = 0.0):
        """`generator` draws the posterior rows' noise (on the model's device);
        `init_generator` the posterior's initial weights."""
        self.model = model
        self.config = model.config
        self.device = next(model.parameters()).device
        self.noise = model.config.noise.enabled
        self.generator = generator  # the posterior rows' noise, on the model's device
        self.valid = valid
        self.posterior = None
        if self.noise:
            with torch.no_grad():
                # A prior that starts with almost no shift: h = u + small noise at first.
                model.prior.mu.mul_(0.1)
                model.prior.mu_bias.zero_()
            self.posterior = Posterior(model, init_generator).to(self.device)
        self.beta, self.halt_weight, self.value_weight = beta, halt_weight, value_weight
        self.ranking_weight = ranking_weight
        self.parameters = list(model.parameters())
        if self.posterior is not None:
            self.parameters += list(self.posterior.parameters())
        decay = [p for p in self.parameters if p.dim() >= 2]
        no_decay = [p for p in self.parameters if p.dim() < 2]
        self.optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": weight_decay},
             {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))
        self.base_lr, self.warmup = lr, warmup
        self.ema = copy.deepcopy(model)
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.ema_decay = ema_decay
        self.step = 0

    # --- the two kinds of rows --------------------------------------------------------------
    def _eps(self, like: torch.Tensor) -> torch.Tensor:
        return torch.randn(like.shape, generator=self.generator, device=like.device)

    def _prior_transition(self, h, l, e, eps, hold_prior: bool = False):
        """A transition as inference runs it; `hold_prior` keeps the prior's weights out of
        the gradient (the input u still gets it)."""
        m = self.model
        l = m.low_cycles(h, l, e)
        u = m.high(h + l)
        if not self.noise:
            return u, l
        mu, sigma = m.prior_parameters(u, hold_weights=hold_prior)
        return u + mu + sigma * eps, l

    def posterior_rows(self, tokens, target, h, l):
        """The GRAM objective on the slots: (loss, metrics, carried h, carried l)."""
        m = self.model
        e = m.embed_input(tokens)
        with torch.no_grad():
            for _ in range(self.config.h_cycles - 1):
                h, l = self._prior_transition(h, l, e, self._eps(h) if self.noise else None)
        l = m.low_cycles(h, l, e)
        u = m.high(h + l)
        kl = None
        if self.noise:
            mu_q, sigma_q = self.posterior(u, target)
            h = u + mu_q + sigma_q * self._eps(u)
            mu_p, sigma_p = m.prior_parameters(u)
            kl = balanced_kl(mu_q, sigma_q, mu_p, sigma_p)
        else:
            h = u  # TRM: the high-level update is the new state
        logits = m.lm_logits(h)
        ce = F.cross_entropy(logits.reshape(-1, self.config.vocab_size), target.reshape(-1))
        loss = ce if kl is None else ce + self.beta * kl
        with torch.no_grad():
            answer = logits.argmax(-1)
            metrics = {"ce": ce.item(), "cells": (answer == target).float().mean().item(),
                       "exact": self.valid(tokens, answer, target).float().mean().item()}
            if kl is not None:
                metrics["kl"] = kl.item()
                metrics["sigma_prior"] = sigma_p.mean().item()
        return loss, metrics, h.detach(), l.detach()

    def head_rows(self, replay: Dict[str, torch.Tensor]):
        """Halt and value losses on replayed prior steps: (loss, metrics, halt targets)."""
        m, c = self.model, self.config
        tokens, target, h, l = replay["tokens"], replay["target"], replay["h"], replay["l"]
        e = m.embed_input(tokens)
        eps = (step_noise(replay["seed"], c.h_cycles, c.positions, c.hidden_size, self.device)
               if self.noise else [None] * c.h_cycles)
        with torch.no_grad():
            for transition in range(c.h_cycles - 1):
                h, l = self._prior_transition(h, l, e, eps[transition])
        h, l = self._prior_transition(h, l, e, eps[c.h_cycles - 1], hold_prior=True)
        logits, q, value = m.heads(h)
        with torch.no_grad():
            # The halt target is this replayed step's own answer, so q_halt and its target
            # describe the same state even when the weights have moved since the rollout.
            right_now = self.valid(tokens, logits.argmax(-1), target).float()
        halt = F.binary_cross_entropy_with_logits(q[:, 0], right_now)
        loss = self.halt_weight * halt
        metrics = {"halt": halt.item(), "replay_right": right_now.mean().item(),
                   "halt_acc": ((q[:, 0] > 0).float() == right_now).float().mean().item()}
        if value is not None:
            final = replay["final"].float()
            value_loss = F.binary_cross_entropy_with_logits(value, final)
            loss = loss + self.value_weight * value_loss
            metrics["value"] = value_loss.item()
            if self.ranking_weight > 0 and "member" in replay:
                ranking, groups = ranking_loss(value, replay["final"], replay["member"])
                loss = loss + self.ranking_weight * ranking
                metrics["ranking"] = ranking.item()
                metrics["ranked_groups"] = float(groups)
        return loss, metrics, right_now

    # --- the update -----------------------------------------------------------------------
    def update(self, tokens, target, h, l, replay: Optional[Dict[str, torch.Tensor]]):
        """One optimiser step. Returns (carried h, carried l, metrics)."""
        self.model.train()
        for group in self.optimizer.param_groups:
            group["lr"] = self.base_lr * min(1.0, (self.step + 1) / max(1, self.warmup))
        loss, metrics, h, l = self.posterior_rows(tokens, target, h, l)
        if replay is not None and replay["tokens"].shape[0] > 0:
            head_loss, head_metrics, _ = self.head_rows(replay)
            loss = loss + head_loss
            metrics.update(head_metrics)
        metrics["loss"] = loss.item()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        metrics["grad_norm"] = nn.utils.clip_grad_norm_(self.parameters, GRADIENT_CLIP).item()
        self.optimizer.step()
        with torch.no_grad():
            for ema, live in zip(self.ema.parameters(), self.model.parameters()):
                ema.mul_(self.ema_decay).add_(live.detach(), alpha=1 - self.ema_decay)
        self.step += 1
        return h, l, metrics

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
