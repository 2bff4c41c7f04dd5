#!/usr/bin/env bash
# Trains the shipped model zoo (models/README.md) with the PyTorch reference, two runs at a time
# (one thread each), exports each model into models/, calibrates its halting on the validation
# split and writes its card from held-out figures measured with the engine. Every run stops at a training-FLOP
# budget counted over every network application (tools/gram_reference/flops.py), so twins of a
# task get the same training compute; every choice (the exported EMA checkpoint) is made on a
# validation split, never on the test set.
#
#   scripts/train-zoo.sh [RUNS_DIR]        (default: runs/zoo; resumable: run it again after a stop)
#   ZOO="s6-gram-small s6-trm-small" scripts/train-zoo.sh   only these runs
#
# A run whose summary.json exists is done and skipped; one with a checkpoint resumes from it.
# Progress: RUNS_DIR/<run>/train.log. Sets up .venv-tools (PyTorch 2.x from PyPI) if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-runs/zoo}
mkdir -p "$runs"
python=$(scripts/setup-python-tools.sh | tail -n 1)
[[ -x build/src/gram ]] || { echo "train-zoo: build the engine first (make build)" >&2; exit 1; }

# Sudoku 6x6 with 12, 13 or 14 givens: the quick pair (the engine's tests and examples use it).
# A small GRAM model nearly solves these (96% exact at width 1 after 4,000 updates), so the
# study itself is on 9x9. Splits by seed: train 1, test 2 (models/data), validation 3.
sudoku6=(--generate-args "--givens 12" --generate-args "--givens 13" --generate-args "--givens 14"
         --train-count 100000 --train-seed 1 --val-count 1000 --val-seed 3 --test-count 1000
         --test-seed 2 --eval-count 200 --eval-width 16 --threads 1 --seed 0 --flop-budget 4e13)
# Sudoku 9x9 with 30, 33 or 36 givens (an even mixture): hard enough that neither family
# saturates on this budget.
sudoku9=(--generate-args "--givens 30" --generate-args "--givens 33" --generate-args "--givens 36"
         --train-count 100000 --train-seed 1 --val-count 1000 --val-seed 3 --test-count 1000
         --test-seed 2 --eval-count 200 --eval-width 8 --threads 1 --seed 0 --flop-budget 1e14)
# N-Queens 8x8 with 5, 6 or 7 queens removed (as the GRAM paper), same split seeds.
nqueens=(--generate-args "--removed 5" --generate-args "--removed 6" --generate-args "--removed 7"
         --train-count 100000 --train-seed 1 --val-count 150 --val-seed 3 --test-count 150
         --test-seed 2 --eval-count 150 --eval-width 16 --threads 1 --seed 0 --flop-budget 5e13)

# name | model config | extra flags | output
declare -A config flags output
add() { config[$1]=$2; flags[$1]=$3; output[$1]=models/$4.safetensors; }
add s6-gram-small tools/configs/sudoku6-gram-small.json "--eval-every 1000" sudoku6-gram-small
add s6-trm-small tools/configs/sudoku6-gram-small.json "--deterministic --eval-every 1000" sudoku6-trm-small
add s9-gram-small tools/configs/sudoku9-gram-small.json "--eval-every 700" sudoku9-gram-small
add s9-trm-small tools/configs/sudoku9-gram-small.json "--deterministic --eval-every 700" sudoku9-trm-small
add s9-gram-large tools/configs/sudoku9-gram-large.json "--eval-every 250" sudoku9-gram-large
add s9-trm-large tools/configs/sudoku9-gram-large.json "--deterministic --eval-every 250" sudoku9-trm-large
add nq8-gram-small tools/configs/nqueens8-gram-small.json "--eval-every 750" nqueens8-gram-small
add nq8-trm-small tools/configs/nqueens8-gram-small.json "--deterministic --eval-every 750" nqueens8-trm-small

train_one() {
  local name=$1 dir=$runs/$1
  if [[ -f $dir/summary.json ]]; then echo "train-zoo: $name done ($dir/summary.json)"; return; fi
  local task_flags=("${sudoku9[@]}")
  [[ $name == s6-* ]] && task_flags=("${sudoku6[@]}")
  [[ $name == nq8-* ]] && task_flags=("${nqueens[@]}")
  local resume=()
  [[ -f $dir/checkpoint.pt ]] && resume=(--resume)
  mkdir -p "$dir"
  echo "train-zoo: $name -> ${output[$name]} (log $dir/train.log)"
  # shellcheck disable=SC2086  # flags[] holds several words on purpose
  "$python" tools/train.py --model-config "${config[$name]}" ${flags[$name]} "${task_flags[@]}" \
    --workdir "$dir" --output "${output[$name]}" "${resume[@]}" >> "$dir/train.log" 2>&1
}

# After training: the halting offset chosen on the validation split (tools/calibrate_halting.py),
# the task's held-out test puzzles shipped in models/data, and the card written from the training
# record and `gram run` on those puzzles (tools/model_card.py). Skipped when the card is newer.
finish_one() {
  local name=$1 dir=$runs/$1 model=${output[$1]}
  local card=${model%.safetensors}.md data
  data=models/data/$(basename "${model%.safetensors}" | cut -d- -f1)-test.txt
  [[ -f $card && $card -nt $model ]] && return
  cat "$dir"/validation-*.txt > "$dir/validation.txt"
  cat "$dir"/test-*.txt > "$data"
  "$python" tools/calibrate_halting.py --model "$model" --puzzles "$dir/validation.txt" \
    --limit 300 --width 4 --threads 1 >> "$dir/train.log" 2>&1
  "$python" tools/model_card.py --model "$model" --puzzles "$data" --limit 300 --width 16 \
    --threads 1 --summary "$dir/summary.json" --output "$card" >> "$dir/train.log" 2>&1
}

run_one() { train_one "$1" && finish_one "$1"; }

# Twins run side by side, so each pair finishes together.
zoo=${ZOO:-"s6-gram-small s6-trm-small s9-gram-small s9-trm-small nq8-gram-small nq8-trm-small s9-gram-large s9-trm-large"}
set -- $zoo
while (($# > 0)); do
  run_one "$1" &
  first=$!
  if (($# > 1)); then run_one "$2" & second=$!; wait "$second"; fi
  wait "$first"
  shift $(($# > 1 ? 2 : 1))
done
echo "train-zoo: all done"
