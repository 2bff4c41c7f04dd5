#!/usr/bin/env bash
# The device bundle's driver: first contact of the engine with a GPU, on a bare machine with the
# NVIDIA driver, CUDA 13's libraries and python3 + torch, in under five minutes. Built and packed
# by scripts/make-device-bundle.sh; run from the bundle:
#
#   bash device-bundle/run.sh [--dry-run] [OUTPUT_DIR]      (OUTPUT_DIR: default $OUT, else ./out)
#
# Phases, each with a time budget (the whole stays under GRAM_DEVICE_BUDGET_S, default 280 s):
#   1. environment   the machine, the GPU, and the bundle's libraries resolved (cuBLAS, NCCL)
#   2. models        the bench models (gram generate --random-model, D = 128, 512, 1024) and the
#                    CPU reference run of the parity check: everything that needs no GPU
#   3. tests         test_gpu (CUDA against CPU, every operation, model variant and check)
#   4. sanitizer     test_gpu under compute-sanitizer: memcheck on the operations, the forward
#                    pass of every model variant and the new checks (not the 8 GiB product, the
#                    peak or the runner's thousands of small steps), racecheck on the operations
#   5. parity        `gram run` records of a shipped model: CPU against CUDA fp32 (exact answers),
#                    tf32 and bf16 (within parity.py's stated tolerance, differing ones listed)
#   6. bench         `gram bench` at widths 64-4096 in bf16, tf32 and fp32, then PyTorch eager and
#                    torch.compile on the same models and GPU (torch_bench.py), one table
#
# It writes six files to OUTPUT_DIR: summary.md (one line per phase, read it first),
# environment.txt, tests.log, sanitizer.log, parity.md, bench.md. Without a usable GPU it stops
# after phase 2 with one line saying so; --dry-run always stops there, as a success (exit 0),
# which is how ctest runs this script on any machine (tests/bundle). Exit status otherwise:
# 0 all phases passed, 1 a check failed, 2 the bundle cannot run here, 3 no usable GPU.
set -uo pipefail
dry_run=0
if [[ ${1:-} == --dry-run ]]; then dry_run=1; shift; fi
bundle=$(cd "$(dirname "$0")" && pwd)
out=${1:-${OUT:-$bundle/out}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gram-device.XXXXXX")
budget=${GRAM_DEVICE_BUDGET_S:-280}
gram=$bundle/bin/gram
test_gpu=$bundle/bin/test_gpu
summary=$out/summary.md
: > "$summary"
status=0

say() { echo "- $*" | tee -a "$summary"; }
elapsed() { echo "$SECONDS"; }
# Seconds a phase may take: its own cap, within what is left of the whole budget.
allow() { local left=$((budget - SECONDS)); ((left < $1)) && echo $((left > 5 ? left : 5)) || echo "$1"; }
fail() { say "FAIL: $*"; status=1; }
stop() { say "$2"; echo "device-check: $2" >&2; rm -rf "$work"; exit "$1"; }

echo "# gram device check ($(date -u +%FT%TZ), $(hostname))" >> "$summary"

# --- 1. environment ---------------------------------------------------------------------------
# The directory holding library `name`: the loader's cache, CUDA's usual places, then the
# nvidia-* Python packages that PyTorch's wheels bring (cuBLAS and NCCL among them).
library_directory() {
  local name=$1 found directory
  found=$(ldconfig -p 2> /dev/null | awk -v n="$name" '$1 == n { print $NF; exit }')
  if [[ -n $found ]]; then dirname "$found"; return; fi
  for directory in ${CUDA_HOME:+$CUDA_HOME/lib64} /usr/local/cuda/lib64 /usr/local/cuda/lib \
      /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu \
      $(python3 -c 'import glob, os, sys
for p in sys.path:
    print("\n".join(glob.glob(os.path.join(p, "nvidia", "*", "lib"))))' 2> /dev/null); do
    if [[ -e $directory/$name ]]; then echo "$directory"; return; fi
  done
}

[[ -x $gram && -x $test_gpu ]] || stop 2 "the bundle has no bin/gram or bin/test_gpu: rebuild it with scripts/make-device-bundle.sh"
# The binaries and the plugins beside them, which are what name cuBLAS and NCCL.
binaries=("$gram" "$test_gpu")
for plugin in "$bundle"/bin/libgram_*.so; do
  [[ -e $plugin ]] && binaries+=("$plugin")
done
for library in $(ldd "${binaries[@]}" 2> /dev/null | awk '/not found/ { print $1 }' | sort -u); do
  directory=$(library_directory "$library")
  [[ -n $directory ]] && export LD_LIBRARY_PATH=$directory${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
done
missing=$(ldd "${binaries[@]}" 2> /dev/null | awk '/not found/ { print $1 }' | sort -u | tr '\n' ' ')
[[ -z $missing ]] || stop 2 "the bundle's binaries need ${missing}found nowhere on this machine (searched the loader cache, /usr/local/cuda and Python's nvidia-* packages)"
"$gram" --help > /dev/null 2>&1 || stop 2 "bin/gram does not start here: $("$gram" --help 2>&1 | tail -n 1)"
export PATH=$PATH:/usr/local/cuda/bin
{
  echo "date: $(date -u +%FT%TZ)  host: $(hostname)  cores: $(nproc)"
  cat "$bundle/BUILD.txt" 2> /dev/null
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  echo "--- ldd"; ldd "${binaries[@]}"
  echo "--- nvidia-smi"; nvidia-smi 2>&1 || true
  echo "--- python"; python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1 || true
  echo "--- compute-sanitizer"; compute-sanitizer --version 2>&1 | tail -n 1 || true
} > "$out/environment.txt"
say "environment: libraries resolved (LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}), bin/gram starts ($(elapsed) s)"

# --- 2. what needs no GPU: bench models and the CPU reference of the parity check -------------
cd "$work"
for size in 128 512 1024; do
  "$gram" generate --random-model "$bundle/configs/bench-d$size.json" --seed 1 \
    --output "$work/bench-d$size.safetensors" > /dev/null 2>> "$work/models.log" ||
    stop 2 "gram generate --random-model bench-d$size.json failed: $(tail -n 1 "$work/models.log")"
done
parity_model=$bundle/models/sudoku6-gram-small.safetensors
parity_puzzles=$bundle/models/data/sudoku6-test.txt
parity_run() {  # backend math -> run-<math or cpu>.jsonl
  GRAM_CUDA_MATH=$2 timeout "$(allow 60)" "$gram" run --model "$parity_model" \
    --puzzles "$parity_puzzles" --limit 32 --width 8 --depth 8 --halting true --seed 3 \
    --backend "$1" --output "$work/run-$3.jsonl" --overwrite > "$work/run-$3.log" 2>&1
}
parity_run cpu fp32 cpu || stop 2 "the CPU reference run failed: $(tail -n 1 "$work/run-cpu.log")"
say "models: bench models D = 128, 512, 1024 generated, CPU reference run done ($(elapsed) s)"

# --- the GPU ----------------------------------------------------------------------------------
probe=$("$test_gpu" --gtest_filter=CudaBackend.DescribesTheDeviceItChoseAndItsFreeMemory 2>&1)
if grep -q "no usable CUDA device\|this build has no CUDA backend" <<< "$probe"; then
  reason=$(grep -m 1 -E "no usable CUDA device|no CUDA backend" <<< "$probe")
  ((dry_run)) && stop 0 "dry run: stopped before the GPU phases: ${reason}"
  stop 3 "no usable GPU here, stopped before the GPU phases: ${reason}"
fi
say "GPU: $(grep -m 1 '^device:' <<< "$probe" | cut -c9-)"
((dry_run)) && stop 0 "dry run: stopped before the GPU phases (a GPU is here)"

# --- 3. tests ---------------------------------------------------------------------------------
timeout "$(allow 45)" "$test_gpu" > "$out/tests.log" 2>&1
code=$?
passed=$(grep -c '^\[       OK \]' "$out/tests.log")
failed=$(grep -c '^\[  FAILED  \] [A-Za-z]' "$out/tests.log")
skipped=$(grep -c '^\[  SKIPPED \] [A-Za-z]' "$out/tests.log")
if ((code == 0)); then
  say "tests: test_gpu passed ($passed passed, $skipped skipped; $(elapsed) s)"
else
  fail "tests: test_gpu exit $code ($passed passed, $failed failed, $skipped skipped); tests.log"
fi
grep -E "^(device|peak|bf16 linear|free for)|err |value bits" "$out/tests.log" | sed 's/^/  /' >> "$summary"

# --- 4. compute-sanitizer ---------------------------------------------------------------------
{
  if command -v compute-sanitizer > /dev/null; then
    echo "=== memcheck"
    timeout "$(allow 60)" compute-sanitizer --tool memcheck --error-exitcode 99 "$test_gpu" \
      --gtest_filter='CudaOps.*:*/CudaForward.*:CudaBackend.ArgmaxWithNanMatchesTheCpu:CudaBackend.Bf16ProductsReadWeightsConvertedAtLoad:CudaBackend.AttentionLimitsAreCheckedAtModelLoad'
    echo "=== memcheck exit $?"
    echo "=== racecheck"
    timeout "$(allow 40)" compute-sanitizer --tool racecheck --error-exitcode 99 "$test_gpu" \
      --gtest_filter='CudaOps.*:CudaBackend.ArgmaxWithNanMatchesTheCpu'
    echo "=== racecheck exit $?"
  else
    echo "compute-sanitizer is not on PATH"
  fi
} > "$out/sanitizer.log" 2>&1
for tool in memcheck racecheck; do
  code=$(sed -n "s/^=== $tool exit //p" "$out/sanitizer.log")
  summary_line=$(grep -m 1 "ERROR SUMMARY" <(sed -n "/^=== $tool\$/,/^=== $tool exit/p" "$out/sanitizer.log"))
  case $code in
    0) say "sanitizer: $tool clean (${summary_line:-no summary line})" ;;
    124) fail "sanitizer: $tool timed out (sanitizer.log)" ;;
    "") say "sanitizer: $tool not run (compute-sanitizer missing)" ;;
    *) fail "sanitizer: $tool exit $code: ${summary_line:-see sanitizer.log}" ;;
  esac
done

# --- 5. parity --------------------------------------------------------------------------------
for math in fp32 tf32 bf16; do
  parity_run cuda "$math" "$math" || fail "parity: the cuda $math run failed: $(tail -n 1 "$work/run-$math.log")"
done
python3 "$bundle/python/parity.py" "$work/run-cpu.jsonl" "$work/run-fp32.jsonl" \
  "$work/run-tf32.jsonl" "$work/run-bf16.jsonl" > "$out/parity.md" 2>&1
code=$?
grep '^| [ft]\|^| bf' "$out/parity.md" | sed 's/^/  /' >> "$summary"
((code == 0)) && say "parity: pass ($(elapsed) s)" || fail "parity: see parity.md"

# --- 6. bench: gram, then PyTorch -------------------------------------------------------------
bench=$work/bench
mkdir -p "$bench"
widths=${GRAM_BENCH_WIDTHS:-64,256,1024,4096}
bench_cell() {  # size math [peak_gflops]
  local peak=${3:-measured}
  GRAM_CUDA_MATH=$2 timeout "$(allow 60)" "$gram" bench --model "$work/bench-d$1.safetensors" \
    --backend cuda --widths "$widths" --depths 1 --puzzle_count 1 --warmup 1 --repetitions 2 \
    --verify 4 --peak_gflops "$peak" --output "$bench/gram-d$1-$2.json" --overwrite \
    > "$bench/gram-d$1-$2.log" 2>&1
}
for math in bf16 tf32 fp32; do  # the fast modes first: a short budget still measures them
  peak=measured
  for size in 128 512 1024; do
    if ((SECONDS > budget - 70)); then say "bench: gram d$size $math skipped (time budget)"; continue; fi
    bench_cell "$size" "$math" "$peak"
    code=$?
    [[ -s $bench/gram-d$size-$math.json ]] || { fail "bench: gram d$size $math exit $code: $(tail -n 1 "$bench/gram-d$size-$math.log")"; continue; }
    # Every later model of this math mode is held against the peak measured once, here.
    [[ $peak == measured ]] && peak=$(python3 -c 'import json, sys
print(json.loads(open(sys.argv[1]).readline())["peak"]["flops_per_s"] / 1e9)' "$bench/gram-d$size-$math.json")
    ((code == 0)) || say "bench: gram d$size $math: $(tail -n 1 "$bench/gram-d$size-$math.log")"
  done
done
say "bench: gram done ($(elapsed) s)"
torch_budget=$((budget - SECONDS - 10))
if ((torch_budget > 15)); then
  PYTHONPATH=$bundle/python python3 "$bundle/python/torch_bench.py" \
    --models "$work/bench-d128.safetensors,$work/bench-d512.safetensors,$work/bench-d1024.safetensors" \
    --widths "$widths" --budget-s "$torch_budget" --output "$bench/torch.jsonl" \
    > "$bench/torch.log" 2>&1 || fail "bench: torch_bench.py: $(tail -n 1 "$bench/torch.log")"
else
  say "bench: PyTorch skipped (time budget)"
fi
python3 "$bundle/python/bench_table.py" "$bench" > "$out/bench.md" 2>&1 || fail "bench: bench_table.py"
say "bench: table in bench.md ($(elapsed) s)"

say "done in $(elapsed) s, status $status"
rm -rf "$work"
exit "$status"
