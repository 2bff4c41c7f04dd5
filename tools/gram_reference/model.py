"""The recursive latent model (TRM / HRM / GRAM) in PyTorch, as docs/model-format.md s4-s5 state.

The module tree mirrors the file's tensor names, so `state_dict()` keys are exactly the names in
the safetensors file (`embed.tokens`, `net.layers.0.mlp_t.gate_up`, `head.q_bias`, ...). Shapes
in comments: B rows (trajectories), S = P + L positions, D hidden, L puzzle tokens, V vocab.

One supervision step (science.md s2):
    repeat T times:
        repeat K times: l = F_L(l + h + e)
        u = F_H(h + l)
        h = u + mu(u) + sigma(u) * eps     (noise on; otherwise h = u)
    logits = LM(h[P:]); (q_halt, q_continue) = Q(h[0]); value = V(h[0])
"""
from __future__ import annotations

import math
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig, expected_tensors
from .safetensors import read_safetensors, write_safetensors, SafetensorsError

FORMAT_NAME = "gram-engine-model"
INV_SQRT2 = 0.707106781  # TRM's scale of (token + learned position), as the format states


class ParameterGroup(nn.Module):
    """A module that only holds named parameters (keeps the state_dict names flat)."""

    def __init__(self, shapes: Dict[str, Tuple[int, ...]]):
        super().__init__()
        for name, shape in shapes.items():
            self.register_parameter(name, nn.Parameter(torch.zeros(shape)))


class SwiGLU(nn.Module):
    """W_down (silu(W_gate x) * (W_up x)); gate_up holds the gate rows, then the up rows."""

    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.gate_up = nn.Parameter(torch.zeros(2 * hidden, width))  # (2F, in)
        self.down = nn.Parameter(torch.zeros(width, hidden))         # (in, F)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = F.linear(x, self.gate_up).chunk(2, dim=-1)
        return F.linear(F.silu(gate) * up, self.down)


class Attention(nn.Module):
    """Non-causal multi-head attention, no biases, optional rotate-half RoPE."""

    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Parameter(torch.zeros(3 * hidden, hidden))  # rows: q | k | v
        self.out = nn.Parameter(torch.zeros(hidden, hidden))

    def forward(self, x: torch.Tensor, rope: Optional[Tuple[torch.Tensor, torch.Tensor]]):
        B, S, D = x.shape
        head_dim = D // self.heads
        qkv = F.linear(x, self.qkv).view(B, S, 3, self.heads, head_dim)
        q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))  # each (B, H, S, hd)
        if rope is not None:
            cos, sin = (table.to(x.dtype) for table in rope)  # (S, hd/2)
            q, k = _rotate(q, cos, sin), _rotate(k, cos, sin)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(head_dim)  # (B, H, S, S)
        mixed = torch.matmul(torch.softmax(scores, dim=-1), v)             # (B, H, S, hd)
        return F.linear(mixed.transpose(1, 2).reshape(B, S, D), self.out)


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate-half: channel pair (i, i + hd/2) turns by angle[p, i]."""
    half = x.shape[-1] // 2
    first, second = x[..., :half], x[..., half:]
    return torch.cat([first * cos - second * sin, second * cos + first * sin], dim=-1)


# dropout(y, layer, sublayer) -> y: a sampler's mask on a sublayer's output before its residual
# add (sublayer 0: the mixer, whose output is (B, D, S) for mlp_t; 1: the FFN), or None.
Dropout = Optional[Callable[[torch.Tensor, int, int], torch.Tensor]]


class Block(nn.Module):
    """Post-norm: s = rms(s + Mixer(s)); s = rms(s + SwiGLU(s))."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        if config.mixer == "mlp_t":
            self.mlp_t = SwiGLU(config.positions, config.mlp_t_hidden)
        else:
            self.attn = Attention(config.hidden_size, config.num_heads)
        self.ffn = SwiGLU(config.hidden_size, config.ffn_hidden)

    def forward(self, x: torch.Tensor, rope, dropout: Dropout = None,
                layer: int = 0) -> torch.Tensor:  # (B, S, D)
        eps = self.config.norm_eps
        drop = dropout or (lambda y, _layer, _sublayer: y)
        if self.config.mixer == "mlp_t":
            transposed = x.transpose(1, 2)                                   # (B, D, S)
            # TRM normalises after the sequence mixer in the transposed layout (over S).
            mixed = drop(self.mlp_t(transposed), layer, 0)
            x = rms_norm(transposed + mixed, eps).transpose(1, 2)
        else:
            x = rms_norm(x + drop(self.attn(x, rope), layer, 0), eps)
        return rms_norm(x + drop(self.ffn(x), layer, 1), eps)


def rms_norm(x: torch.Tensor, eps: float) -> torch.Tensor:
    """Parameter-free: v / sqrt(mean(v^2) + eps) over the last axis."""
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)


class Network(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.layers = nn.ModuleList(Block(config) for _ in range(config.num_layers))

    def forward(self, x: torch.Tensor, rope, dropout: Dropout = None) -> torch.Tensor:
        for index, layer in enumerate(self.layers):
            x = layer(x, rope, dropout, index)
        return x


class GramModel(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        config.validate()
        self.config = config
        c = config
        S, D = c.positions, c.hidden_size
        embed = {"tokens": (c.vocab_size, D)}
        if c.prefix_len > 0:
            embed["prefix"] = (c.prefix_len, D)
        if c.position_encoding == "learned":
            embed["position"] = (S, D)
        self.embed = ParameterGroup(embed)
        self.init = ParameterGroup({"h": (D,), "l": (D,)})
        if c.shared_networks:
            self.net = Network(c)
        else:
            self.net_l = Network(c)
            self.net_h = Network(c)
        heads = {"lm": (c.vocab_size, D), "q": (2, D), "q_bias": (2,)}
        if c.has_value_head:
            heads.update({"value": (1, D), "value_bias": (1,)})
        self.head = ParameterGroup(heads)
        if c.noise.enabled:
            H = c.noise.hidden
            self.prior = ParameterGroup({
                "hidden": (H, D), "hidden_bias": (H,), "mu": (D, H), "mu_bias": (D,),
                "sigma": (D, H), "sigma_bias": (D,)})
        if c.position_encoding == "rope":
            half = c.head_dim // 2
            # float64 tables, as the engine builds them, cast to the working dtype on use.
            frequency = c.rope_theta ** (-2.0 * np.arange(half) / c.head_dim)
            angle = np.arange(S)[:, None] * frequency[None, :]
            self.register_buffer("rope_cos", torch.from_numpy(np.cos(angle)), persistent=False)
            self.register_buffer("rope_sin", torch.from_numpy(np.sin(angle)), persistent=False)
        self.reset_parameters(torch.Generator().manual_seed(0))

    # --- parameters ---------------------------------------------------------------------------
    def reset_parameters(self, generator: torch.Generator) -> None:
        """The format's initial values (docs/model-format.md s6): 2-D weights N(0, 1/in),
        embeddings N(0, 1/D), start vectors N(0, 1), biases 0 except head.q_bias = [-5, 0] and
        prior.sigma_bias = -2. Drawn with torch's generator, so not the engine's random bytes."""
        D = self.config.hidden_size
        with torch.no_grad():
            for name, parameter in self.named_parameters():
                if name.startswith("embed."):
                    std = 1.0 / math.sqrt(D)
                elif name.startswith("init."):
                    std = 1.0
                elif parameter.dim() == 2:
                    std = 1.0 / math.sqrt(parameter.shape[1])
                else:
                    std = 0.0
                if std > 0:
                    parameter.copy_(torch.randn(parameter.shape, generator=generator) * std)
                else:
                    parameter.zero_()
            self.head.q_bias.copy_(torch.tensor([-5.0, 0.0]))
            if self.config.noise.enabled:
                self.prior.sigma_bias.fill_(-2.0)

    @property
    def low_network(self) -> Network:
        return self.net if self.config.shared_networks else self.net_l

    @property
    def high_network(self) -> Network:
        return self.net if self.config.shared_networks else self.net_h

    def _rope(self):
        return (self.rope_cos, self.rope_sin) if self.config.position_encoding == "rope" else None

    # --- forward pieces -----------------------------------------------------------------------
    def embed_input(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, L) int64 -> e (B, S, D)."""
        c = self.config
        B = tokens.shape[0]
        vectors = F.embedding(tokens, self.embed.tokens)                  # (B, L, D)
        if c.prefix_len > 0:
            prefix = self.embed.prefix.unsqueeze(0).expand(B, -1, -1)     # (B, P, D)
            vectors = torch.cat([prefix, vectors], dim=1)
        if c.position_encoding == "learned":
            vectors = INV_SQRT2 * (vectors + self.embed.position)
        return math.sqrt(c.hidden_size) * vectors

    def start(self, tokens: torch.Tensor):
        """(h, l, e), each (B, S, D): h0 and l0 broadcast over positions."""
        e = self.embed_input(tokens)
        h = self.init.h.expand_as(e).clone()
        l = self.init.l.expand_as(e).clone()
        return h, l, e

    def low(self, x: torch.Tensor, dropout: Dropout = None) -> torch.Tensor:
        return self.low_network(x, self._rope(), dropout)

    def high(self, x: torch.Tensor, dropout: Dropout = None) -> torch.Tensor:
        return self.high_network(x, self._rope(), dropout)

    def prior_parameters(self, u: torch.Tensor,
                         hold_weights: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
        """mu, sigma (B, S, D) of the GRAM prior on u. `hold_weights` lets a gradient reach u
        but not the prior's own weights (the trainer's head rows)."""
        p, noise = self.prior, self.config.noise
        weights = [p.hidden, p.hidden_bias, p.mu, p.mu_bias, p.sigma, p.sigma_bias]
        if hold_weights:
            weights = [w.detach() for w in weights]
        hidden, hidden_bias, mu_w, mu_bias, sigma_w, sigma_bias = weights
        activation = F.silu(F.linear(u, hidden, hidden_bias))
        mu = F.linear(activation, mu_w, mu_bias)
        sigma_pre = F.linear(activation, sigma_w, sigma_bias)
        sigma = torch.clamp(noise.sigma_min + F.softplus(sigma_pre), max=noise.sigma_max)
        return mu, sigma

    def low_cycles(self, h, l, e):
        for _ in range(self.config.l_cycles):
            l = self.low(l + h + e)
        return l

    def transition(self, h, l, e, eps: Optional[torch.Tensor] = None):
        """One transition. Returns (h, l, u). With noise on, `eps` (B, S, D) must be given."""
        l = self.low_cycles(h, l, e)
        u = self.high(h + l)
        if not self.config.noise.enabled:
            return u, l, u
        if eps is None:
            raise ValueError("a model with noise needs eps for every transition")
        mu, sigma = self.prior_parameters(u)
        return u + mu + sigma * eps, l, u

    def supervision_step(self, h, l, e, noise: Optional[Callable[[int], torch.Tensor]] = None,
                         record: Optional[List[Dict[str, torch.Tensor]]] = None):
        """T transitions; `noise(transition)` gives eps (B, S, D) for each."""
        for transition in range(self.config.h_cycles):
            eps = noise(transition) if self.config.noise.enabled else None
            h, l, _ = self.transition(h, l, e, eps)
            if record is not None:
                record.append({"eps": eps, "h": h, "l": l})
        return h, l

    def lm_logits(self, h: torch.Tensor) -> torch.Tensor:
        """logits (B, L, V) of the answer, without the halt and value heads."""
        return F.linear(h[:, self.config.prefix_len:], self.head.lm)

    def heads(self, h: torch.Tensor):
        """logits (B, L, V), q (B, 2) = (q_halt, q_continue), value logit (B,) or None."""
        P = self.config.prefix_len
        logits = F.linear(h[:, P:], self.head.lm)
        first = h[:, 0]
        q = F.linear(first, self.head.q, self.head.q_bias)
        value = None
        if self.config.has_value_head:
            value = F.linear(first, self.head.value, self.head.value_bias).squeeze(-1)
        return logits, q, value

    def wants_halt(self, q: torch.Tensor) -> torch.Tensor:
        if self.config.halt_rule == "sigmoid":
            return q[..., 0] > 0  # sigmoid(q_halt) > 0.5
        return q[..., 0] > q[..., 1]

    # --- files --------------------------------------------------------------------------------
    def tensors(self) -> Dict[str, np.ndarray]:
        return {name: value.detach().cpu().float().numpy()
                for name, value in self.state_dict().items()}

    def load_tensors(self, tensors: Dict[str, np.ndarray], source: str = "tensors") -> None:
        """Loads exactly the config's tensor set; refuses missing, extra or misshapen ones."""
        expected = dict(expected_tensors(self.config))
        for name in tensors:
            if name not in expected:
                raise SafetensorsError(f"{source}: unexpected tensor '{name}' (not part of this "
                                       f"config's architecture)")
        state = {}
        for name, shape in expected.items():
            if name not in tensors:
                raise SafetensorsError(f"{source}: missing tensor '{name}' (config expects shape "
                                       f"{list(shape)})")
            value = np.asarray(tensors[name])
            if tuple(value.shape) != tuple(shape):
                raise SafetensorsError(f"{source}: tensor '{name}' has shape {list(value.shape)}, "
                                       f"config expects {list(shape)}")
            if not np.all(np.isfinite(value)):
                raise SafetensorsError(f"{source}: tensor '{name}' has a non-finite value")
            state[name] = torch.from_numpy(np.array(value, dtype=np.float32))
        dtype = next(self.parameters()).dtype
        self.load_state_dict({k: v.to(dtype) for k, v in state.items()}, strict=True)


def load_model(path: str) -> GramModel:
    tensors, metadata = read_safetensors(path)
    if "gram_config" not in metadata:
        raise SafetensorsError(f"{path}: metadata has no 'gram_config' (not a gram-engine model)")
    config = ModelConfig.from_json(metadata["gram_config"])
    model = GramModel(config)
    model.load_tensors(tensors, path)
    return model


def save_model(path: str, model: GramModel, dtype: str = "F32",
               extra_metadata: Optional[Dict[str, str]] = None) -> None:
    """Writes the model; `extra_metadata` adds string keys the engine reads and ignores (the
    trainer's "gram_training" record)."""
    model.config.validate()
    tensors = model.tensors()
    expected = dict(expected_tensors(model.config))
    if set(tensors) != set(expected):
        raise SafetensorsError(f"{path}: cannot save: tensor set differs from the config's")
    metadata = {"format": FORMAT_NAME, "gram_config": model.config.to_json_text()}
    for key, value in (extra_metadata or {}).items():
        if key in metadata:
            raise SafetensorsError(f"{path}: metadata key '{key}' is the format's own")
        metadata[key] = value
    write_safetensors(path, tensors, metadata, dtype)
