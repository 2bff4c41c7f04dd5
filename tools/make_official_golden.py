#!/usr/bin/env python3
"""Writes tests/golden/official/: golden files from the official TRM and HRM code.

    .venv-tools/bin/python tools/make_official_golden.py --trm DIR --hrm DIR
        [--output tests/golden/official]

DIR is a checkout of https://github.com/SamsungSAILMontreal/TinyRecursiveModels (--trm) or
https://github.com/sapientinc/HRM (--hrm); without one the script clones it (git, network) into
~/.cache/gram-engine/official/ and says so. The official code is imported from there and never
copied into this repository; the commit it was at goes into every golden file. It needs pydantic
and einops besides PyTorch (`.venv-tools/bin/pip install pydantic einops`).

For each case: the official ACT model built from its own config class (forward_dtype float32, eval
mode), its random weights damped x0.3 (at the official initialisation scale random weights are
chaotic: fp32 and fp64 runs of one PyTorch model differ by ~5 in logits from step 4, which no
parity test can pass), the zero-initialised puzzle embedding and Q head drawn at random, run
for `halt_max_steps` steps on four random boards. Its state dict, keyed as the official trainer
saves it (ACTLossHead inside, torch.compile's `_orig_mod.` prefix on some cases), goes through
tools/convert.py to `<name>.model.safetensors`; `<name>.golden.safetensors` holds

    input   (B, L)          the boards' tokens (stored as F32)
    logits  (B, steps, L, V)
    q       (B, steps, 2)   (q_halt, q_continue)
    halt    (B, steps)      1 where the official halt rule says stop (q_halt > 0, or > q_continue)

HRM's attention calls flash_attn_func, which needs a GPU; the script puts an exact stand-in for it
in sys.modules (PyTorch's scaled_dot_product_attention with the same layout and scale) and says so
in the metadata. tests/golden/official_golden_test.cpp runs the engine on the files.
"""
import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import types
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402

import convert  # noqa: E402
from gram_reference import write_safetensors  # noqa: E402

REPOSITORIES = {"trm": "https://github.com/SamsungSAILMontreal/TinyRecursiveModels",
                "hrm": "https://github.com/sapientinc/HRM"}
MODULES = {"trm": ("models.recursive_reasoning.trm", "TinyRecursiveReasoningModel_ACTV1"),
           "hrm": ("models.hrm.hrm_act_v1", "HierarchicalReasoningModel_ACTV1")}
DAMPING = 0.3
Q_SCALE = 4.0
BOARDS = 4
TASK = "sudoku:4"  # 16 positions; tokens 0 pad, 1 blank, 2..5 digits as the official builders
SEED = 20260


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    family: str
    arch: Dict[str, object]
    compiled: bool  # keys carry torch.compile's `_orig_mod.` prefix


def small_arch(**changes) -> Dict[str, object]:
    arch = dict(seq_len=16, vocab_size=6, num_puzzle_identifiers=1, H_cycles=2, L_cycles=2,
                H_layers=0, L_layers=2, hidden_size=32, expansion=4, num_heads=2,
                pos_encodings="rope", halt_max_steps=16, halt_exploration_prob=0.1,
                forward_dtype="float32", puzzle_emb_ndim=32)
    arch.update(changes)
    return arch


CASES = (
    # mlp_t (TRM's Sudoku model), sigmoid halting, a 48-value puzzle embedding zero-padded to 2
    # positions; rope is named, built and never used, as in the official Sudoku config.
    Case("trm_mlp_t_sigmoid", "trm",
         small_arch(mlp_t=True, puzzle_emb_ndim=48, puzzle_emb_len=2, no_ACT_continue=True), True),
    # Attention with rope, Q-learning halting (q_halt > q_continue), puzzle_emb_len 0: one
    # position from ceil(ndim / D).
    Case("trm_attention_rope_compare", "trm",
         small_arch(mlp_t=False, puzzle_emb_len=0, no_ACT_continue=False), False),
    # Learned positions and no puzzle embedding: the Q head reads the first board position.
    Case("trm_attention_learned_no_prefix", "trm",
         small_arch(mlp_t=False, pos_encodings="learned", puzzle_emb_ndim=0, puzzle_emb_len=0,
                    no_ACT_continue=True), True),
    # HRM: separate H and L networks, one-step-gradient schedule, Q-learning halting.
    Case("hrm_attention_rope", "hrm", small_arch(H_layers=2), True),
)


def official_checkout(family: str, given: str) -> str:
    if given:
        if not os.path.isdir(os.path.join(given, "models")):
            sys.exit(f"make_official_golden: error: {given}: not a {family.upper()} checkout "
                     f"(no models/ folder)")
        return given
    target = os.path.join(os.path.expanduser("~/.cache/gram-engine/official"), family)
    if not os.path.isdir(target):
        print(f"cloning {REPOSITORIES[family]} into {target}", file=sys.stderr)
        subprocess.run(["git", "clone", "--quiet", REPOSITORIES[family], target], check=True)
    return target


def commit_of(checkout: str) -> str:
    result = subprocess.run(["git", "-C", checkout, "rev-parse", "HEAD"], capture_output=True,
                            text=True)
    return result.stdout.strip() if result.returncode == 0 else "unknown (not a git checkout)"


def flash_attn_stand_in() -> types.ModuleType:
    """flash_attn_func(q, k, v, causal) on (batch, positions, heads, head_dim) tensors with the
    default 1/sqrt(head_dim) scale, computed by scaled_dot_product_attention."""
    def flash_attn_func(q, k, v, causal=False):
        out = torch.nn.functional.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal=causal)
        return out.transpose(1, 2)
    module = types.ModuleType("flash_attn_interface")
    module.flash_attn_func = flash_attn_func
    return module


def import_official(family: str, checkout: str):
    """The ACT model class and ACTLossHead of one checkout (both have a top-level `models`)."""
    for name in [m for m in sys.modules if m == "models" or m.startswith("models.")]:
        del sys.modules[name]
    sys.modules["flash_attn_interface"] = flash_attn_stand_in()
    sys.path.insert(0, checkout)
    try:
        module_name, class_name = MODULES[family]
        module = __import__(module_name, fromlist=[class_name])
        losses = __import__("models.losses", fromlist=["ACTLossHead"])
        return getattr(module, class_name), losses.ACTLossHead
    finally:
        sys.path.remove(checkout)


def damp_and_draw(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Every weight of the recursion x DAMPING; the puzzle embedding, which the official code
    starts at zero, drawn at the damped scale of a linear layer; the Q head (zero weights, bias
    -5: it would never halt) drawn at Q_SCALE / sqrt(D) with a zero bias, so that both halt
    decisions occur (it reads the state and feeds nothing back, so it cannot make the run
    chaotic)."""
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            draw = torch.randn(tensor.shape, generator=generator)
            if name.endswith("q_head.weight"):
                tensor.copy_(draw * Q_SCALE / tensor.shape[-1] ** 0.5)
            elif name.endswith("q_head.bias"):
                tensor.zero_()
            elif name.endswith("puzzle_emb.weights"):
                tensor.copy_(draw * DAMPING / tensor.shape[-1] ** 0.5)
            else:
                tensor.mul_(DAMPING)


def run_official(model: torch.nn.Module, inputs: torch.Tensor, steps: int):
    batch = {"inputs": inputs, "labels": inputs,
             "puzzle_identifiers": torch.zeros(inputs.shape[0], dtype=torch.int32)}
    logits: List[np.ndarray] = []
    q: List[np.ndarray] = []
    with torch.no_grad():
        carry = model.initial_carry(batch)
        for _ in range(steps):
            carry, outputs = model(carry=carry, batch=batch)
            logits.append(outputs["logits"].float().numpy())
            q.append(torch.stack([outputs["q_halt_logits"], outputs["q_continue_logits"]],
                                 dim=-1).float().numpy())
    return np.stack(logits, axis=1), np.stack(q, axis=1)


def write_case(case: Case, checkout: str, output: str) -> None:
    model_class, loss_head = import_official(case.family, checkout)
    arch = dict(case.arch, batch_size=BOARDS)
    generator = torch.Generator().manual_seed(SEED + CASES.index(case))
    torch.manual_seed(SEED + CASES.index(case))  # the official initialisers draw from it
    model = model_class(arch).eval()
    damp_and_draw(model, generator)
    inputs = torch.randint(1, arch["vocab_size"], (BOARDS, arch["seq_len"]), generator=generator,
                           dtype=torch.int32)
    logits, q = run_official(model, inputs, arch["halt_max_steps"])
    sigmoid_rule = case.family == "trm" and arch.get("no_ACT_continue", True)
    halt = (q[..., 0] > 0) if sigmoid_rule else (q[..., 0] > q[..., 1])

    # The state dict as the official trainer saves it, then the converter's own command line.
    head = loss_head(model, loss_type="stablemax_cross_entropy")
    state = (torch.compile(head) if case.compiled else head).state_dict()
    with tempfile.TemporaryDirectory() as folder:
        torch.save(state, os.path.join(folder, "step_0"))
        with open(os.path.join(folder, "all_config.yaml"), "w") as handle:
            yaml.safe_dump({"arch": dict(arch, name=f"official {case.family}")}, handle)
        model_path = os.path.join(output, f"{case.name}.model.safetensors")
        status = convert.main([case.family, os.path.join(folder, "step_0"), "--task", TASK,
                               "--output", model_path, "--overwrite"])
        if status != 0:
            sys.exit(f"make_official_golden: error: {case.name}: the conversion failed")
    metadata = {"case": case.name, "family": case.family, "repository": REPOSITORIES[case.family],
                "commit": commit_of(checkout), "damping": str(DAMPING),
                "steps": str(arch["halt_max_steps"]), "compiled_keys": str(case.compiled),
                "attention": ("flash_attn_func stand-in: scaled_dot_product_attention"
                              if case.family == "hrm" else "official")}
    write_safetensors(os.path.join(output, f"{case.name}.golden.safetensors"),
                      {"input": inputs.numpy().astype(np.float32), "logits": logits, "q": q,
                       "halt": halt.astype(np.float32)}, metadata)
    print(f"{case.name}: {case.family.upper()} at {metadata['commit'][:12]}, "
          f"{arch['halt_max_steps']} steps, |logits| up to {np.abs(logits).max():.3g}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make_official_golden.py",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--trm", default=os.environ.get("GRAM_OFFICIAL_TRM", ""),
                        help="TinyRecursiveModels checkout (default: $GRAM_OFFICIAL_TRM, else "
                             "clone)")
    parser.add_argument("--hrm", default=os.environ.get("GRAM_OFFICIAL_HRM", ""),
                        help="HRM checkout (default: $GRAM_OFFICIAL_HRM, else clone)")
    parser.add_argument("--output", default=os.path.join(ROOT, "tests", "golden", "official"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    os.makedirs(args.output, exist_ok=True)
    checkouts = {"trm": official_checkout("trm", args.trm),
                 "hrm": official_checkout("hrm", args.hrm)}
    for case in CASES:
        write_case(case, checkouts[case.family], args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
