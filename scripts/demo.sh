#!/usr/bin/env bash
# The demo: a width-vs-depth sweep at equal per-puzzle budgets on the shipped Sudoku models,
# over held-out puzzles, then the comparison report (report.md, CSV/JSON tables, figures); then
# the N-Queens twins' width sweep, where the question is how many completions each finds.
#
#   bash scripts/demo.sh [BUILD_DIR]        (make demo does the set-up first)
set -euo pipefail
build=${1:-build}
gram=$build/src/gram
out=results/demo-sweep

# The shipped models of the demo task that are present (models/README.md lists them); the
# deterministic one shows by contrast that width buys nothing without noise.
models=()
for name in gram-small trm-small gram-large trm-large; do
  [[ -f models/sudoku6-$name.safetensors ]] && models+=("$name=models/sudoku6-$name.safetensors")
done
puzzles=models/data/sudoku6-test.txt
extra=()
if [[ ${#models[@]} -eq 0 || ! -f $puzzles ]]; then
  # Without the shipped files the pipeline still runs, on a seeded untrained model.
  mkdir -p results
  echo "NOTE: models/ has no trained 6x6 Sudoku model: running an UNTRAINED random model;"
  echo "      its accuracies are meaningless, the pipeline and the compute accounting are not."
  "$gram" generate --random-model configs/models/sudoku6-demo.json --seed 1 \
    --output results/untrained-sudoku6.safetensors
  "$gram" generate --task sudoku:6 --count 60 --seed 12345 --output results/sudoku6-demo-puzzles.txt
  models=("untrained=results/untrained-sudoku6.safetensors")
  puzzles=results/sudoku6-demo-puzzles.txt
  out=results/demo-sweep-untrained
  extra=(--set limit=30 --set budget_unit=steps --set "budgets=1,2,4,8,16" --set verifiers=)
fi
for entry in "${models[@]}"; do "$gram" info "${entry#*=}" | head -n 3; done

model_list=$(IFS=,; echo "${models[*]}")
# Resumes if an earlier demo was interrupted (a changed config is refused: remove $out).
"$gram" sweep --config configs/sweep-demo.yaml --set "models=$model_list" \
  --set "puzzles=$puzzles" --set "output=$out" "${extra[@]}"
"$gram" report "$out"

# N-Queens: GRAM against its deterministic twin on coverage (skipped without the shipped files).
nqueens_out=""
if [[ -f models/nqueens8-gram-small.safetensors && -f models/nqueens8-trm-small.safetensors \
      && -f models/data/nqueens8-test.txt ]]; then
  nqueens_out=results/nqueens-sweep
  "$gram" sweep --config configs/sweep-nqueens.yaml --set "output=$nqueens_out"
  "$gram" report "$nqueens_out"
fi
echo "report: $out/report/report.md"
[[ -z $nqueens_out ]] || echo "report: $nqueens_out/report/report.md"
