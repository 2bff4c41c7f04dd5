"""PyTorch reference of the recursive latent reasoning models the engine runs (TRM / HRM / GRAM).

Written from docs/model-format.md and docs/science.md s2, independently of the C++ engine, so
that golden files produced here check the engine rather than restate it.

Modules:
  config       the model config (the "gram_config" JSON), validation, the tensor table
  safetensors  the container: a plain-Python reader and writer (struct + json)
  philox       Philox4x32-10 and Random123's float Box-Muller, in numpy, with the engine's
               counter layout for the transition noise
  model        the network itself (torch.nn.Module whose state_dict names are the file's)
"""
from .config import ModelConfig, NoiseConfig, expected_tensors, ConfigError
from .safetensors import read_safetensors, write_safetensors, SafetensorsError
from .philox import philox4x32, boxmuller_float, transition_noise
from .model import GramModel, load_model, save_model

__all__ = [
    "ModelConfig", "NoiseConfig", "expected_tensors", "ConfigError",
    "read_safetensors", "write_safetensors", "SafetensorsError",
    "philox4x32", "boxmuller_float", "transition_noise",
    "GramModel", "load_model", "save_model",
]
