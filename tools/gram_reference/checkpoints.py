"""Official TRM and HRM checkpoints -> the engine's model format (science.md s2).

A checkpoint is a torch.save'd state dict `step_<N>` beside its `all_config.yaml`. Keys carry
the prefix `_orig_mod.model.inner.` (torch.compile around the ACT loss head) or none. Every key
maps to exactly one tensor of docs/model-format.md s4:

| official key (after the prefix)                  | ours                               |
|--------------------------------------------------|------------------------------------|
| embed_tokens.embedding_weight      [V, D]        | embed.tokens                       |
| puzzle_emb.weights                 [ids, E]      | embed.prefix [P, D]: row `id`, zero-padded to P*D (P = ceil(E / D) or puzzle_emb_len) |
| embed_pos.embedding_weight         [S, D]        | embed.position (learned positions) |
| H_init, L_init                     [D]           | init.h, init.l                     |
| L_level.layers.i.mlp_t.gate_up_proj.weight       | {net}layers.i.mlp_t.gate_up [2 Ft, S] |
| L_level.layers.i.mlp_t.down_proj.weight          | {net}layers.i.mlp_t.down [S, Ft]   |
| L_level.layers.i.self_attn.qkv_proj.weight       | {net}layers.i.attn.qkv [3 D, D]    |
| L_level.layers.i.self_attn.o_proj.weight         | {net}layers.i.attn.out [D, D]      |
| L_level.layers.i.mlp.gate_up_proj.weight         | {net}layers.i.ffn.gate_up [2 F, D] |
| L_level.layers.i.mlp.down_proj.weight            | {net}layers.i.ffn.down [D, F]      |
| lm_head.weight                     [V, D]        | head.lm                            |
| q_head.weight, q_head.bias         [2, D], [2]   | head.q, head.q_bias                |

TRM has one network (`L_level`, our `net.`); HRM has `L_level` -> `net_l.` and `H_level` ->
`net_h.`. Unknown keys, missing keys and shape mismatches are refused with one line that names
the key. Weights stored in bfloat16 (H_init, L_init under forward_dtype bfloat16) widen exactly.
"""
from __future__ import annotations

import math
import os
from typing import Dict, List, Optional, Tuple

import numpy as np

from .config import ModelConfig, NoiseConfig

PREFIXES = ("_orig_mod.model.inner.", "model.inner.")


class ConversionError(ValueError):
    """One line naming the key or field at fault."""


def strip_prefix(state: Dict[str, object]) -> Dict[str, object]:
    out = {}
    for key, value in state.items():
        name = key
        for prefix in PREFIXES:
            if key.startswith(prefix):
                name = key[len(prefix):]
                break
        if name in out:
            raise ConversionError(f"key '{name}' appears twice (with and without the prefix)")
        out[name] = value
    return out


def swiglu_width(hidden: int, expansion: float) -> int:
    """TRM/HRM's SwiGLU width: round(expansion * hidden * 2/3) up to a multiple of 256."""
    width = round(expansion * hidden * 2 / 3)
    return -(width // -256) * 256


# The tasks `gram run` can run and their ranges, as src/tasks/task.cpp checks them: a checkpoint
# of another task (ARC) would convert and then be refused by every command.
ENGINE_TASKS = {"sudoku": ((4, 6, 9),), "nqueens": (range(4, 13),),
                "coloring": (range(3, 33), range(2, 10)), "maze": (range(5, 31),)}
SHAPES = {"sudoku": "sudoku:<4, 6 or 9>", "nqueens": "nqueens:<4..12>",
          "coloring": "coloring:<nodes 3..32>:<colours 2..9>", "maze": "maze:<5..30>"}


def check_task(task: str) -> None:
    kind, *sizes = task.split(":")
    if kind not in ENGINE_TASKS:
        raise ConversionError(f"--task '{task}': the engine runs sudoku:N, nqueens:N, "
                              f"coloring:N:K and maze:N puzzles, not '{kind}'; a model of "
                              f"another task would convert but no command could run it")
    allowed = ENGINE_TASKS[kind]
    if len(sizes) != len(allowed) or not all(s.isdigit() and int(s) in r
                                             for s, r in zip(sizes, allowed)):
        raise ConversionError(f"--task '{task}': expected {SHAPES[kind]}")


def task_seq_len(task: str) -> Optional[int]:
    kind, _, size = task.partition(":")
    if kind in ("sudoku", "nqueens", "maze") and size.isdigit():
        return int(size) ** 2
    return None


def _shape(value) -> Tuple[int, ...]:
    return tuple(int(d) for d in value.shape)


def _numpy(value) -> np.ndarray:
    import torch
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float32).cpu().numpy()
    return np.asarray(value, dtype=np.float32)


def build_config(kind: str, arch: Dict, state: Dict[str, object], task: str,
                 seq_len: Optional[int]) -> ModelConfig:
    """Our config from all_config.yaml's `arch` section and the shapes that it leaves open."""
    if kind not in ("trm", "hrm"):
        raise ConversionError(f"unknown checkpoint kind '{kind}' (trm or hrm)")
    check_task(task)

    def need(key: str):
        if key not in arch:
            raise ConversionError(f"all_config.yaml: arch has no '{key}'")
        return arch[key]

    D = int(need("hidden_size"))
    if "embed_tokens.embedding_weight" not in state:
        raise ConversionError("missing key 'embed_tokens.embedding_weight' (expected shape [V, "
                              f"{D}])")
    vocab = _shape(state["embed_tokens.embedding_weight"])[0]
    puzzle_dim = int(arch.get("puzzle_emb_ndim", 0) or 0)
    prefix = int(arch.get("puzzle_emb_len", 0) or 0) if kind == "trm" else 0
    if prefix == 0 and puzzle_dim > 0:
        prefix = -(puzzle_dim // -D)
    if puzzle_dim == 0:
        prefix = 0  # without a puzzle embedding nothing is prepended
    mlp_t = bool(arch.get("mlp_t", False)) if kind == "trm" else False
    positions = str(arch.get("pos_encodings", "rope"))
    if positions not in ("rope", "learned", "none"):
        raise ConversionError(f"all_config.yaml: arch.pos_encodings '{positions}' is not "
                              f"supported (rope, learned, none)")
    if mlp_t and positions == "rope":
        positions = "none"  # TRM builds the rotary tables but its mlp_t blocks never use them
    if seq_len is None:
        seq_len = task_seq_len(task)
    if seq_len is None:
        raise ConversionError(f"cannot tell the puzzle length of task '{task}'; pass --seq-len")
    if kind == "trm":
        layers = int(need("L_layers"))
    else:
        layers = int(need("L_layers"))
        if int(need("H_layers")) != layers:
            raise ConversionError(f"all_config.yaml: H_layers {arch['H_layers']} differs from "
                                  f"L_layers {layers}; the format has one layer count")
    expansion = float(need("expansion"))
    S = prefix + seq_len

    def width(key: str, fallback: int) -> int:
        # The SwiGLU width as layer 0 stores it (every other layer is then checked against it);
        # the formula only names the expected shape when the key is missing.
        value = state.get(key)
        return _shape(value)[0] // 2 if value is not None and len(_shape(value)) == 2 else fallback

    heads = 0 if mlp_t else int(need("num_heads"))
    if kind == "trm":
        halt_rule = "sigmoid" if bool(arch.get("no_ACT_continue", True)) else "compare"
    else:
        halt_rule = "compare"
    return ModelConfig(
        task=task, vocab_size=vocab, seq_len=seq_len, prefix_len=prefix, hidden_size=D,
        num_layers=layers, num_heads=heads, mixer="mlp_t" if mlp_t else "attention",
        position_encoding=positions, rope_theta=float(arch.get("rope_theta", 10000.0)),
        ffn_hidden=width("L_level.layers.0.mlp.gate_up_proj.weight", swiglu_width(D, expansion)),
        mlp_t_hidden=width("L_level.layers.0.mlp_t.gate_up_proj.weight",
                           swiglu_width(S, expansion)) if mlp_t else 0,
        l_cycles=int(need("L_cycles")), h_cycles=int(need("H_cycles")),
        max_steps=int(need("halt_max_steps")), shared_networks=kind == "trm",
        norm_eps=float(arch.get("rms_norm_eps", 1e-5)), noise=NoiseConfig(),
        halt_rule=halt_rule, has_value_head=False)


def key_table(config: ModelConfig, puzzle_rows: int,
              puzzle_dim: int) -> List[Tuple[str, Tuple[int, ...], str]]:
    """(official key, official shape, our name) for every tensor, in our order."""
    c = config
    V, D, S, P = c.vocab_size, c.hidden_size, c.positions, c.prefix_len
    F, Ft = c.ffn_hidden, c.mlp_t_hidden
    table: List[Tuple[str, Tuple[int, ...], str]] = [
        ("embed_tokens.embedding_weight", (V, D), "embed.tokens")]
    if P > 0:
        table.append(("puzzle_emb.weights", (puzzle_rows, puzzle_dim), "embed.prefix"))
    if c.position_encoding == "learned":
        table.append(("embed_pos.embedding_weight", (S, D), "embed.position"))
    table += [("H_init", (D,), "init.h"), ("L_init", (D,), "init.l")]
    levels = [("L_level.", "net.")] if c.shared_networks else [("L_level.", "net_l."),
                                                                ("H_level.", "net_h.")]
    for official, ours in levels:
        for i in range(c.num_layers):
            a, b = f"{official}layers.{i}.", f"{ours}layers.{i}."
            if c.mixer == "mlp_t":
                table += [(a + "mlp_t.gate_up_proj.weight", (2 * Ft, S), b + "mlp_t.gate_up"),
                          (a + "mlp_t.down_proj.weight", (S, Ft), b + "mlp_t.down")]
            else:
                table += [(a + "self_attn.qkv_proj.weight", (3 * D, D), b + "attn.qkv"),
                          (a + "self_attn.o_proj.weight", (D, D), b + "attn.out")]
            table += [(a + "mlp.gate_up_proj.weight", (2 * F, D), b + "ffn.gate_up"),
                      (a + "mlp.down_proj.weight", (D, F), b + "ffn.down")]
    table += [("lm_head.weight", (V, D), "head.lm"), ("q_head.weight", (2, D), "head.q"),
              ("q_head.bias", (2,), "head.q_bias")]
    return table


def convert_state(kind: str, arch: Dict, raw_state: Dict[str, object], task: str,
                  seq_len: Optional[int] = None,
                  puzzle_identifier: Optional[int] = None) -> Tuple[ModelConfig, Dict[str, np.ndarray]]:
    """Checks every key and shape, and returns our config and tensors."""
    state = strip_prefix(raw_state)
    config = build_config(kind, arch, state, task, seq_len)
    puzzle_dim = int(arch.get("puzzle_emb_ndim", 0) or 0)
    puzzle_rows = None
    if config.prefix_len > 0:
        if "puzzle_emb.weights" not in state:
            raise ConversionError(f"missing key 'puzzle_emb.weights' (expected shape "
                                  f"[identifiers, {puzzle_dim}])")
        puzzle_rows = _shape(state["puzzle_emb.weights"])[0]
    table = key_table(config, puzzle_rows or 0, puzzle_dim)
    known = {official for official, _, _ in table}
    for key in state:
        if key not in known:
            raise ConversionError(f"unknown key '{key}' (not part of a {kind.upper()} model "
                                  f"with this all_config.yaml)")
    tensors: Dict[str, np.ndarray] = {}
    for official, shape, ours in table:
        if official not in state:
            raise ConversionError(f"missing key '{official}' (expected shape {list(shape)})")
        value = state[official]
        if _shape(value) != shape:
            raise ConversionError(f"key '{official}' has shape {list(_shape(value))}, expected "
                                  f"{list(shape)} from all_config.yaml")
        array = _numpy(value)
        if ours == "embed.prefix":
            array = _puzzle_prefix(array, config, puzzle_identifier)
        if not np.all(np.isfinite(array)):
            raise ConversionError(f"key '{official}' has a non-finite value")
        tensors[ours] = array
    return config, tensors


def _puzzle_prefix(weights: np.ndarray, config: ModelConfig,
                   identifier: Optional[int]) -> np.ndarray:
    """One puzzle identifier's embedding, zero-padded to P*D and viewed as (P, D), as TRM and
    HRM prepend it."""
    rows = weights.shape[0]
    if identifier is None:
        if rows != 1:
            raise ConversionError(f"key 'puzzle_emb.weights' holds {rows} puzzle identifiers; "
                                  f"pick one with --puzzle-identifier")
        identifier = 0
    if not 0 <= identifier < rows:
        raise ConversionError(f"--puzzle-identifier {identifier} is outside 0..{rows - 1}")
    P, D = config.prefix_len, config.hidden_size
    flat = np.zeros(P * D, dtype=np.float32)
    if weights.shape[1] > P * D:
        raise ConversionError(f"key 'puzzle_emb.weights' rows have {weights.shape[1]} values, "
                              f"more than puzzle_emb_len x hidden_size = {P * D}")
    flat[:weights.shape[1]] = weights[identifier]
    return flat.reshape(P, D)


def load_checkpoint(path: str) -> Dict[str, object]:
    import torch
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such checkpoint file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a bad file
        raise ConversionError(f"{path}: not a torch.save'd state dict: "
                              f"{str(error).splitlines()[0]}") from None
    if not isinstance(state, dict):
        raise ConversionError(f"{path}: holds a {type(state).__name__}, not a state dict")
    nested = [key for key, value in state.items() if isinstance(value, dict)]
    if nested:
        raise ConversionError(
            f"{path}: is a nested dict (its key '{nested[0]}' holds a dict, not a tensor); "
            f"save the state dict inside it, e.g. torch.save(checkpoint['{nested[0]}'], PATH)")
    return state


def load_arch(path: str) -> Dict:
    import yaml
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file (the checkpoint's all_config.yaml)")
    with open(path) as handle:
        document = yaml.safe_load(handle)
    if not isinstance(document, dict) or not isinstance(document.get("arch"), dict):
        raise ConversionError(f"{path}: has no 'arch' section")
    return document["arch"]
