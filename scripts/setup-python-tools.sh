#!/usr/bin/env bash
# Creates the Python environment the tools in tools/ run in: a virtual environment at
# .venv-tools (repository root, git-ignored) with PyTorch 2.x, numpy and PyYAML from PyPI.
# Idempotent: when the environment already imports them, a second run only checks and prints.
#
#   scripts/setup-python-tools.sh                 create or check .venv-tools
#   GRAM_TOOLS_VENV=/path scripts/setup-...sh     another location
#   PIP_INDEX_URL=https://download.pytorch.org/whl/cpu scripts/setup-...sh
#                                                 a CPU-only PyTorch wheel (~200 MB instead of
#                                                 the ~5 GB default wheel with its CUDA libraries)
#
# Prints the interpreter to use, e.g. `.venv-tools/bin/python tools/train.py ...`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${GRAM_TOOLS_VENV:-$root/.venv-tools}"
python="$venv/bin/python"
# PyTorch 2.x (the trainer uses torch.Generator state, AdamW's foreach path and
# torch.get_rng_state; 1.x is untested), numpy for the puzzle and Philox code, PyYAML for
# the TRM/HRM checkpoint converter (all_config.yaml).
requirements=("torch>=2,<3" "numpy" "pyyaml")

ready() {
  [[ -x "$python" ]] && "$python" - <<'EOF' 2>/dev/null
import numpy, torch, yaml
assert int(torch.__version__.split(".")[0]) == 2
EOF
}

if ! ready; then
  if [[ ! -x "$python" ]]; then
    python3 -m venv "$venv" || {
      echo "setup-python-tools: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
      exit 1
    }
  fi
  "$python" -m pip install --quiet --upgrade pip
  "$python" -m pip install --quiet "${requirements[@]}"
  ready || {
    echo "setup-python-tools: $venv does not import torch 2.x, numpy and yaml" >&2
    exit 1
  }
fi

"$python" - <<'EOF'
import sys, numpy, torch
print(f"torch {torch.__version__}, numpy {numpy.__version__}, "
      f"CUDA {'available' if torch.cuda.is_available() else 'not available'}", file=sys.stderr)
EOF
echo "$python"
