#!/usr/bin/env bash
# The demo: width against depth at equal supervision-step budgets on 9x9 Sudoku.
# Until trained models ship in models/, it runs a seeded, randomly initialised model and says so.
set -euo pipefail
build=${1:-build}
gram=$build/src/gram
out=results/demo
mkdir -p "$out"

model=models/sudoku9-demo.safetensors
if [[ ! -f $model ]]; then
  model=$out/untrained-sudoku9.safetensors
  echo "NOTE: no trained model in models/ yet: this demo runs an UNTRAINED random model;"
  echo "      its accuracies are meaningless, the pipeline and the compute accounting are not."
  "$gram" generate --random-model configs/models/sudoku9-demo.json --seed 1 --output "$model"
fi
"$gram" info "$model" | tail -n 8

puzzles=../shared/data/sudoku/top95.txt
[[ -f $puzzles ]] || { "$gram" generate --task sudoku:9 --count 20 --seed 7 --output "$out/puzzles.txt"; puzzles=$out/puzzles.txt; }

# Budget of 16 supervision steps per puzzle, spent on width or on depth.
for cell in "1 16" "4 4" "16 1"; do
  set -- $cell
  echo "== width $1 x depth $2"
  "$gram" run --model "$model" --puzzles "$puzzles" --limit 20 --width "$1" --depth "$2" \
    --seed 1 --output "$out/width$1-depth$2.jsonl" --overwrite
done
echo "results in $out/ (one JSONL file per cell; docs/cli.md explains the records)"
