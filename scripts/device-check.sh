#!/usr/bin/env bash
# One command for a GPU machine: configure and build the CUDA backend (Release, GRAM_CUDA=ON),
# run the GPU test suite (CUDA against CPU on every architecture variant), then measure
# end-to-end `gram run` throughput on random models over model size x width x matrix precision.
# Needs CUDA, CMake >= 3.25, a C++20 compiler and the Debian packages of
# scripts/install-deps.sh; no network. Everything goes under one folder:
#
#   scripts/device-check.sh [OUTPUT_DIR]     (default: $OUT, else results/device-check)
#
#   OUTPUT_DIR/missing.txt       what the machine lacks, if anything (then the script stops)
#   OUTPUT_DIR/environment.txt   nvidia-smi, nvcc, cmake, compiler, commit
#   OUTPUT_DIR/build.log         configure and build
#   OUTPUT_DIR/ctest-gpu.log     ctest -L gpu -V (per-variant max state / logit errors)
#   OUTPUT_DIR/bench/*.jsonl     one `gram run` result file per cell (context record included)
#   OUTPUT_DIR/bench.md          the throughput table rendered from those files
#
# Budget: about 8 minutes on a 16-core machine with one H100/H200 (build ~2-3 min, tests
# < 1 min, benchmark ~3 min). BENCH_QUICK=1 runs a smaller grid.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-results/device-check}}
mkdir -p "$out/bench"
out=$(cd "$out" && pwd)
build=${BUILD:-build-device-check}
jobs=$(nproc)
log() { echo "[device-check $(date -u +%H:%M:%S)] $*" | tee -a "$out/summary.txt"; }

# --- 1. what the machine has ----------------------------------------------------------------
missing=()
for tool in cmake nvcc c++ python3; do
  if ! command -v "$tool" > /dev/null; then
    if [[ $tool == nvcc && -x /usr/local/cuda/bin/nvcc ]]; then
      export PATH=/usr/local/cuda/bin:$PATH
    else
      missing+=("program $tool")
    fi
  fi
done
command -v ninja > /dev/null && generator=(-G Ninja) || generator=()
command -v pkg-config > /dev/null || missing+=("program pkg-config (CMake finds OpenBLAS through it)")
command -v pkg-config > /dev/null && ! pkg-config --exists openblas && missing+=("OpenBLAS (pkg-config openblas; Debian libopenblas-dev)")
# Headers the build needs (CMakeLists.txt), each with its Debian package.
for pair in "yaml-cpp/yaml.h:libyaml-cpp-dev" "nlohmann/json.hpp:nlohmann-json3-dev" \
            "Random123/philox.h:libRandom123-dev" "boost/math/distributions/beta.hpp:libboost-math-dev" \
            "gtest/gtest.h:libgtest-dev" "cblas.h:libopenblas-dev" "omp.h:(the compiler's OpenMP)"; do
  header=${pair%%:*}
  package=${pair#*:}
  if ! echo "#include <$header>" | c++ -fopenmp -x c++ -std=c++20 -fsyntax-only - 2> /dev/null; then
    missing+=("header <$header> ($package)")
  fi
done
if ((${#missing[@]})); then
  printf '%s\n' "${missing[@]}" > "$out/missing.txt"
  log "MISSING on this machine (no package manager here, so the build cannot proceed):"
  printf '  - %s\n' "${missing[@]}" | tee -a "$out/summary.txt"
  exit 2
fi
{
  echo "commit: $(git rev-parse HEAD 2> /dev/null || echo unknown)"
  echo "date: $(date -u +%FT%TZ)  host: $(hostname)  cores: $jobs"
  nvidia-smi 2>&1 || true
  nvcc --version | tail -n 2
  cmake --version | head -n 1
  c++ --version | head -n 1
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1 || true
} > "$out/environment.txt"
log "environment in $out/environment.txt"

# --- 2. build ----------------------------------------------------------------------------------
log "configure + build ($build, Release, GRAM_CUDA=ON, $jobs jobs)"
start=$SECONDS
if ! { cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DGRAM_CUDA=ON &&
       cmake --build "$build" -j "$jobs"; } > "$out/build.log" 2>&1; then
  log "BUILD FAILED (last lines of $out/build.log):"
  tail -n 30 "$out/build.log" | tee -a "$out/summary.txt"
  exit 3
fi
log "build took $((SECONDS - start)) s"

# --- 3. GPU tests ------------------------------------------------------------------------------
log "ctest -L gpu"
ctest --test-dir "$build" -L gpu -V --timeout 300 > "$out/ctest-gpu.log" 2>&1
tests_status=$?
grep -E "^[0-9]+/[0-9]+ Test|tests passed|fp32:|tf32:|bf16:|max \|cpu - cuda\||device:" \
  "$out/ctest-gpu.log" | sed 's/^[0-9]*: //' | tee -a "$out/summary.txt"
((tests_status == 0)) || log "GPU TESTS FAILED (status $tests_status); see $out/ctest-gpu.log"
if grep -q "Skipped" "$out/ctest-gpu.log"; then
  log "GPU tests were SKIPPED, so there is no usable device here:"
  grep -m 1 -E "no usable CUDA device|no CUDA backend" "$out/ctest-gpu.log" | tee -a "$out/summary.txt"
  exit 4
fi

# --- 4. throughput -----------------------------------------------------------------------------
gram=$build/src/gram
bench=$out/bench
"$gram" generate --task sudoku:9 --count 64 --seed 7 --output "$bench/puzzles.txt" > /dev/null
if [[ ${BENCH_QUICK:-0} == 1 ]]; then sizes="64 512"; widths="64 256"; else sizes="64 256 512 1024"; widths="64 256 1024"; fi
for size in $sizes; do
  # The demo's 9x9 mlp_t model with hidden size D, SwiGLU width 3D and a prior of width D.
  python3 - "$size" > "$bench/model-d$size.json" << 'PY'
import json, sys
d = int(sys.argv[1])
config = json.load(open("configs/models/sudoku9-demo.json"))
config.update(hidden_size=d, ffn_hidden=3 * d)
config["noise"]["hidden"] = d
print(json.dumps(config))
PY
  "$gram" generate --random-model "$bench/model-d$size.json" --seed 1 \
    --output "$bench/model-d$size.safetensors" > /dev/null
done

run_cell() {  # backend math size width puzzles depth
  local name=$1-$2-d$3-w$4
  GRAM_CUDA_MATH=$2 timeout 120 "$gram" run --model "$bench/model-d$3.safetensors" \
    --puzzles "$bench/puzzles.txt" --limit "$5" --width "$4" --depth "$6" --seed 1 \
    --backend "$1" --row_cap 4096 --output "$bench/$name.jsonl" --overwrite \
    > "$bench/$name.log" 2>&1 || log "cell $name failed: $(tail -n 1 "$bench/$name.log")"
}

# Verify before timing: the CPU and CUDA (fp32) backends must give the same answers.
run_cell cpu fp32 64 8 4 4
run_cell cuda fp32 64 8 4 4
python3 - "$bench/cpu-fp32-d64-w8.jsonl" "$bench/cuda-fp32-d64-w8.jsonl" << 'PY' | tee -a "$out/summary.txt"
import json, os, sys
def answers(path):
    if not os.path.exists(path):
        sys.exit(f"verify: {path} missing (its run failed; see the .log beside it)")
    rows = [json.loads(line) for line in open(path)]
    return {(r["index"], t["trajectory"]): (t["answer"], t["steps"]) for r in rows
            if r.get("type") == "puzzle" for t in r["trajectories"]}
cpu, cuda = answers(sys.argv[1]), answers(sys.argv[2])
same = sum(cpu[k] == cuda.get(k) for k in cpu)
print(f"verify: cpu vs cuda fp32 answers+steps identical for {same}/{len(cpu)} trajectories")
if same != len(cpu):
    print("verify: MISMATCH between the CPU and CUDA backends; timings below are of wrong answers")
PY

log "benchmark: sizes {$sizes} x widths {$widths} x {fp32, tf32, bf16}"
for size in $sizes; do
  for width in $widths; do
    # About the same rows in flight for every cell: 4 puzzles x width trajectories, depth 2.
    for math in fp32 tf32 bf16; do run_cell cuda "$math" "$size" "$width" 4 2; done
  done
done
python3 - "$bench" << 'PY' | tee "$out/bench.md"
import glob, json, os, sys
rows = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "cuda-*.jsonl"))):
    records = [json.loads(line) for line in open(path)]
    summary = next((r for r in records if r.get("type") == "summary"), None)
    context = next((r for r in records if r.get("type") == "context"), {})
    if summary is None:
        continue
    name = os.path.basename(path)[:-6]
    _, math, size, width = name.split("-")
    rows.append((int(size[1:]), int(width[1:]), math, summary, context.get("backend", "")))
print("| D | width | math | trajectories | wall s | applications/s | GFLOP/s |")
print("|---|---|---|---|---|---|---|")
for size, width, math, s, _ in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
    print(f"| {size} | {width} | {math} | {s['trajectories']} | {s['wall_s']:.2f} | "
          f"{s['applications_per_s']:.0f} | {s['flops_per_s'] / 1e9:.0f} |")
if rows:
    print(f"\nbackend: {rows[0][4]}")
PY
log "done: $out (summary.txt, bench.md, ctest-gpu.log)"
exit $tests_status
