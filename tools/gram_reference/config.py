"""The model config stored as JSON under the safetensors metadata key "gram_config".

Keys, defaults and consistency rules follow docs/model-format.md s3; the tensor table follows
s4. Unknown keys and impossible values raise ConfigError with one line naming the field, as the
engine's loader does, so a file written here is one the engine accepts.
"""
from __future__ import annotations

import dataclasses
import json
import math
from typing import Any, Dict, List, Tuple

import numpy as np

MIXERS = ("mlp_t", "attention")
POSITION_ENCODINGS = ("none", "rope", "learned")
HALT_RULES = ("sigmoid", "compare")


class ConfigError(ValueError):
    """A config that the engine would refuse; the message names the field."""


def float32_for_json(value: float) -> float:
    """The shortest decimal that reads back to the same 32-bit float (1e-05, not 9.99...e-06)."""
    return float(str(np.float32(value)))


@dataclasses.dataclass
class NoiseConfig:
    enabled: bool = False
    hidden: int = 0
    sigma_min: float = 1e-3
    sigma_max: float = 1.0


@dataclasses.dataclass
class ModelConfig:
    task: str
    vocab_size: int
    seq_len: int
    hidden_size: int
    num_layers: int
    mixer: str
    ffn_hidden: int
    l_cycles: int
    h_cycles: int
    max_steps: int
    format_version: int = 1
    prefix_len: int = 0
    num_heads: int = 0
    position_encoding: str = "none"
    rope_theta: float = 10000.0
    mlp_t_hidden: int = 0
    shared_networks: bool = True
    norm_eps: float = 1e-5
    noise: NoiseConfig = dataclasses.field(default_factory=NoiseConfig)
    halt_rule: str = "sigmoid"
    has_value_head: bool = False

    def __post_init__(self):
        # Floats are 32-bit in the engine; hold them so, so a config survives a round trip.
        self.rope_theta = float(np.float32(self.rope_theta))
        self.norm_eps = float(np.float32(self.norm_eps))
        if isinstance(self.noise, dict):
            self.noise = _noise_from_json(self.noise)
        self.noise.sigma_min = float(np.float32(self.noise.sigma_min))
        self.noise.sigma_max = float(np.float32(self.noise.sigma_max))

    # --- derived sizes -------------------------------------------------------------------
    @property
    def positions(self) -> int:
        """S = P + L."""
        return self.prefix_len + self.seq_len

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_heads if self.num_heads > 0 else 0

    # --- JSON ------------------------------------------------------------------------------
    _REQUIRED = ("task", "vocab_size", "seq_len", "hidden_size", "num_layers", "mixer",
                 "ffn_hidden", "l_cycles", "h_cycles", "max_steps")
    _INTS = ("format_version", "vocab_size", "seq_len", "prefix_len", "hidden_size", "num_layers",
             "num_heads", "ffn_hidden", "mlp_t_hidden", "l_cycles", "h_cycles", "max_steps")
    _FLOATS = ("rope_theta", "norm_eps")
    _BOOLS = ("shared_networks", "has_value_head")
    _ENUMS = {"mixer": MIXERS, "position_encoding": POSITION_ENCODINGS, "halt_rule": HALT_RULES}

    @classmethod
    def from_json(cls, value: Any) -> "ModelConfig":
        if isinstance(value, (str, bytes)):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise ConfigError(f"model config: not valid JSON: {error}") from None
        if not isinstance(value, dict):
            raise ConfigError(f"model config: must be a JSON object, got {type(value).__name__}")
        known = set(cls._REQUIRED) | set(cls._INTS) | set(cls._FLOATS) | set(cls._BOOLS) | \
            set(cls._ENUMS) | {"task", "noise"}
        for key in value:
            if key not in known:
                raise ConfigError(f"model config: unknown key '{key}'")
        for key in cls._REQUIRED:
            if key not in value:
                raise ConfigError(f"model config: missing required key '{key}'")
        fields: Dict[str, Any] = {}
        for key, item in value.items():
            if key == "noise":
                fields["noise"] = _noise_from_json(item)
            elif key == "task":
                if not isinstance(item, str):
                    raise ConfigError("model config: 'task' must be a string")
                fields[key] = item
            elif key in cls._INTS:
                fields[key] = _int(key, item)
            elif key in cls._FLOATS:
                fields[key] = _float(key, item)
            elif key in cls._BOOLS:
                fields[key] = _bool(key, item)
            else:
                fields[key] = _enum(key, item, cls._ENUMS[key])
        config = cls(**fields)
        config.validate()
        return config

    def to_json(self) -> Dict[str, Any]:
        """Every key, in the order the engine's save_model writes them."""
        return {
            "format_version": self.format_version,
            "task": self.task,
            "vocab_size": self.vocab_size,
            "seq_len": self.seq_len,
            "prefix_len": self.prefix_len,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "mixer": self.mixer,
            "position_encoding": self.position_encoding,
            "rope_theta": float32_for_json(self.rope_theta),
            "ffn_hidden": self.ffn_hidden,
            "mlp_t_hidden": self.mlp_t_hidden,
            "l_cycles": self.l_cycles,
            "h_cycles": self.h_cycles,
            "max_steps": self.max_steps,
            "shared_networks": self.shared_networks,
            "norm_eps": float32_for_json(self.norm_eps),
            "noise": {
                "enabled": self.noise.enabled,
                "hidden": self.noise.hidden,
                "sigma_min": float32_for_json(self.noise.sigma_min),
                "sigma_max": float32_for_json(self.noise.sigma_max),
            },
            "halt_rule": self.halt_rule,
            "has_value_head": self.has_value_head,
        }

    def to_json_text(self) -> str:
        """Compact, keys sorted: the bytes the engine's save_model writes."""
        return json.dumps(self.to_json(), separators=(",", ":"), sort_keys=True)

    # --- consistency (docs/model-format.md s3) --------------------------------------------
    def validate(self) -> None:
        def fail(message: str) -> None:
            raise ConfigError("model config: " + message)

        if self.format_version != 1:
            fail(f"format_version {self.format_version} is not supported (expected 1)")
        if not self.task:
            fail("task must not be empty")
        if self.vocab_size < 2:
            fail(f"vocab_size must be at least 2, got {self.vocab_size}")
        for name in ("seq_len", "hidden_size", "num_layers", "ffn_hidden", "l_cycles",
                     "h_cycles", "max_steps"):
            if getattr(self, name) <= 0:
                fail(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("prefix_len", "num_heads", "mlp_t_hidden"):
            if getattr(self, name) < 0:
                fail(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.noise.hidden < 0:
            fail(f"noise.hidden must be >= 0, got {self.noise.hidden}")
        if self.prefix_len + self.seq_len >= 2**31:
            fail("prefix_len + seq_len overflows a 32-bit integer")
        if self.num_layers > 1024:
            fail(f"num_layers must be at most 1024, got {self.num_layers}")
        if self.mixer not in MIXERS:
            fail(f"mixer must be one of {MIXERS}, got {self.mixer!r}")
        if self.position_encoding not in POSITION_ENCODINGS:
            fail(f"position_encoding must be one of {POSITION_ENCODINGS}")
        if self.halt_rule not in HALT_RULES:
            fail(f"halt_rule must be one of {HALT_RULES}")
        if self.mixer == "attention":
            if self.num_heads <= 0:
                fail("the attention mixer needs num_heads > 0")
            if self.hidden_size % self.num_heads != 0:
                fail(f"hidden_size {self.hidden_size} is not divisible by num_heads "
                     f"{self.num_heads}")
        if self.position_encoding == "rope":
            if self.mixer != "attention":
                fail("position_encoding 'rope' needs the attention mixer")
            if self.head_dim % 2 != 0:
                fail(f"position_encoding 'rope' needs an even head_dim, got {self.head_dim}")
        if self.mixer == "mlp_t" and self.mlp_t_hidden <= 0:
            fail("the mlp_t mixer needs mlp_t_hidden > 0")
        if not (self.rope_theta > 0):
            fail("rope_theta must be positive")
        if not (self.norm_eps > 0):
            fail("norm_eps must be positive")
        if self.noise.enabled:
            if self.noise.hidden <= 0:
                fail("noise.enabled needs noise.hidden > 0")
            if not (0 < self.noise.sigma_min <= self.noise.sigma_max):
                fail("noise needs 0 < sigma_min <= sigma_max")

    def parameter_count(self) -> int:
        return sum(int(np.prod(shape)) for _, shape in expected_tensors(self))


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"model config: '{name}' must be an integer, got {type(value).__name__}")
    if not -2**31 <= value < 2**31:
        raise ConfigError(f"model config: '{name}' is {value}, outside the 32-bit integer range")
    return value


def _float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"model config: '{name}' must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or abs(value) > float(np.finfo(np.float32).max):
        raise ConfigError(f"model config: '{name}' is {value}, outside the 32-bit float range")
    return float(np.float32(value))


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"model config: '{name}' must be a boolean, got {type(value).__name__}")
    return value


def _enum(name: str, value: Any, choices: Tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(f"model config: '{name}' must be one of {list(choices)}, got {value!r}")
    return value


def _noise_from_json(value: Any) -> NoiseConfig:
    if not isinstance(value, dict):
        raise ConfigError("model config: 'noise' must be an object")
    noise = NoiseConfig()
    for key, item in value.items():
        if key == "enabled":
            noise.enabled = _bool("noise.enabled", item)
        elif key == "hidden":
            noise.hidden = _int("noise.hidden", item)
        elif key in ("sigma_min", "sigma_max"):
            setattr(noise, key, _float("noise." + key, item))
        else:
            raise ConfigError(f"model config: unknown key 'noise.{key}'")
    return noise


def expected_tensors(config: ModelConfig) -> List[Tuple[str, Tuple[int, ...]]]:
    """Every tensor of a model with this config, in the order of docs/model-format.md s4."""
    V, D, S = config.vocab_size, config.hidden_size, config.positions
    F, Ft, H = config.ffn_hidden, config.mlp_t_hidden, config.noise.hidden
    tensors: List[Tuple[str, Tuple[int, ...]]] = [("embed.tokens", (V, D))]
    if config.prefix_len > 0:
        tensors.append(("embed.prefix", (config.prefix_len, D)))
    if config.position_encoding == "learned":
        tensors.append(("embed.position", (S, D)))
    tensors += [("init.h", (D,)), ("init.l", (D,))]
    networks = ["net."] if config.shared_networks else ["net_l.", "net_h."]
    for net in networks:
        for i in range(config.num_layers):
            layer = f"{net}layers.{i}."
            if config.mixer == "mlp_t":
                tensors += [(layer + "mlp_t.gate_up", (2 * Ft, S)), (layer + "mlp_t.down", (S, Ft))]
            else:
                tensors += [(layer + "attn.qkv", (3 * D, D)), (layer + "attn.out", (D, D))]
            tensors += [(layer + "ffn.gate_up", (2 * F, D)), (layer + "ffn.down", (D, F))]
    tensors += [("head.lm", (V, D)), ("head.q", (2, D)), ("head.q_bias", (2,))]
    if config.has_value_head:
        tensors += [("head.value", (1, D)), ("head.value_bias", (1,))]
    if config.noise.enabled:
        tensors += [("prior.hidden", (H, D)), ("prior.hidden_bias", (H,)),
                    ("prior.mu", (D, H)), ("prior.mu_bias", (D,)),
                    ("prior.sigma", (D, H)), ("prior.sigma_bias", (D,))]
    return tensors
