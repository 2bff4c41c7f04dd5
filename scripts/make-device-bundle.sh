#!/usr/bin/env bash
# Builds the device bundle: what a bare GPU machine (NVIDIA driver, CUDA 13's libraries, python3
# with torch; no compiler toolchain of ours, no OpenBLAS, yaml-cpp, MPI or package manager) needs
# to run the engine's first-contact checks, in one folder the device tool can carry.
#
#   scripts/make-device-bundle.sh [--build DIR] [--output DIR] [--jobs N] [--pack-only]
#       (defaults: build-device, device-bundle, 2)
#
# --pack-only packs the binaries of an existing build DIR as they are, without configuring,
# building or checking the libraries they need: how ctest lays out a bundle of the ordinary build
# to run the driver's dry run (tests/bundle).
#
#   device-bundle/run.sh             the driver (scripts/device/run-checks.sh): tests, sanitizer,
#                                    CPU/GPU parity, benchmarks against PyTorch, six files to $OUT
#   device-bundle/bin/gram           Release, sm_90 (H100, H200) machine code plus compute_90 PTX,
#   device-bundle/bin/test_gpu       portable x86-64 (GRAM_NATIVE=OFF), stripped; libstdc++, libgcc,
#   device-bundle/bin/libgram_*.so   yaml-cpp, GoogleTest and the CUDA runtime linked
#                                    statically (GRAM_STATIC_DEPENDENCIES); cuBLAS and NCCL from the
#                                    machine (the driver finds them); no OpenBLAS (GRAM_OPENBLAS=OFF:
#                                    only the CPU peak used it, and its kernels for every x86 core
#                                    would add 21 MB to each binary); the CUDA backend and the NCCL
#                                    communicator are plugins (libgram_cuda.so, libgram_nccl.so)
#                                    that both binaries open from their folder
#   device-bundle/models/            the shipped models and their puzzle files
#   device-bundle/configs/           the bench models' configs (the 9x9 demo model at D = 128,
#                                    512, 1024; the models themselves are generated there)
#   device-bundle/python/            parity.py, torch_bench.py, bench_table.py, gram_reference/
#   device-bundle/BUILD.txt          commit, configuration, ldd of the binaries
#
# It checks what it promises: the bundle is under 64 MiB (its size is printed) and ldd of each
# binary names no library but the C library's and CUDA's. No MPI in the bundle: the GPU machine
# has none, and NCCL's id is exchanged through a file instead (docs/distributed.md).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-device
output=device-bundle
jobs=2
pack_only=0
while (($#)); do
  case $1 in
    --pack-only) pack_only=1; shift ;;
    --build) build=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--output DIR] [--jobs N] [--pack-only]" >&2; exit 2 ;;
  esac
done
limit_mib=64

if ((!pack_only)); then
  echo "== configure $build"
  mkdir -p "$build"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGRAM_CUDA=ON -DGRAM_MPI=OFF \
    -DGRAM_STATIC_DEPENDENCIES=ON -DGRAM_OPENBLAS=OFF -DGRAM_NATIVE=OFF -DGRAM_TESTS=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 > "$build/bundle-configure.log" 2>&1 ||
    { tail -n 20 "$build/bundle-configure.log"; exit 1; }
  grep "gram: CUDA" "$build/bundle-configure.log"
  echo "== build gram and test_gpu ($jobs jobs)"
  cmake --build "$build" -j "$jobs" --target gram test_gpu > "$build/bundle-build.log" 2>&1 ||
    { grep -m 20 -E "error|Error" "$build/bundle-build.log"; exit 1; }
fi

echo "== pack $output"
rm -rf "$output"
mkdir -p "$output/bin" "$output/models/data" "$output/configs" "$output/python"
cp "$build/src/gram" "$build/tests/test_gpu" "$output/bin/"
# The plugins (src/util/plugin.h), looked for beside the executable first: the CUDA backend's
# and, where NCCL was found, the NCCL communicator's. A build without CUDA has neither, which
# --pack-only accepts (the dry run of this machine's build).
plugins=()
for plugin in libgram_cuda.so libgram_nccl.so; do
  [[ -e $build/src/$plugin ]] || continue
  cp "$build/src/$plugin" "$output/bin/"
  plugins+=("$output/bin/$plugin")
done
if ((!pack_only)) && [[ ! -e $output/bin/libgram_cuda.so ]]; then
  echo "FAIL: $build/src/libgram_cuda.so was not built" >&2
  exit 1
fi
((pack_only)) || strip "$output/bin/gram" "$output/bin/test_gpu"
((pack_only)) || strip --strip-unneeded "${plugins[@]}"
cp scripts/device/run-checks.sh "$output/run.sh"
cp models/*.safetensors "$output/models/"
cp models/data/*.txt "$output/models/data/"
cp scripts/device/parity.py scripts/device/torch_bench.py scripts/device/bench_table.py "$output/python/"
mkdir -p "$output/python/gram_reference"
cp tools/gram_reference/*.py "$output/python/gram_reference/"
for size in 128 512 1024; do
  # The demo's 9x9 mlp_t model with hidden size D, SwiGLU width 3D and a prior of width D.
  python3 - "$size" > "$output/configs/bench-d$size.json" << 'PY'
import json, sys
d = int(sys.argv[1])
config = json.load(open("configs/models/sudoku9-demo.json"))
config.update(hidden_size=d, ffn_hidden=3 * d)
config["noise"]["hidden"] = d
print(json.dumps(config, indent=1))
PY
done

if ((pack_only)); then
  echo "== packed $output from $build (not checked: a bundle for this machine)"
  exit 0
fi

# What the machine must provide: the binaries may name (NEEDED) only the C library's and CUDA's
# libraries; what ldd resolves beyond them (cuBLAS's own libstdc++ and libgcc_s) must be system
# libraries. A libstdc++, OpenBLAS or yaml-cpp named by our binaries fails the bundle.
direct='^(libc|libm|libdl|librt|libpthread|ld-linux-x86-64|libcublas|libcublasLt|libnccl)\.so'
for binary in "$output/bin/gram" "$output/bin/test_gpu" "${plugins[@]}"; do
  others=$(readelf -d "$binary" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | grep -Ev "$direct" || true)
  [[ -z $others ]] || { echo "FAIL: $binary names libraries the GPU machine lacks: $others" >&2; exit 1; }
  others=$(ldd "$binary" | awk '/=>/ { print $3 }' | grep -Ev '^/(usr/)?lib(64|/x86_64-linux-gnu)?/' |
           grep -Ev '/lib(cublas|cublasLt|nccl)\.so' || true)
  [[ -z $others ]] || { echo "FAIL: $binary resolves non-system libraries: $others" >&2; exit 1; }
done
{
  echo "commit: $(git describe --always --dirty 2> /dev/null || echo unknown)"
  echo "built: $(date -u +%FT%TZ) on $(hostname), $(c++ --version | head -n 1), $(nvcc --version 2> /dev/null | tail -n 1 || /usr/local/cuda/bin/nvcc --version | tail -n 1)"
  grep "gram: CUDA" "$build/bundle-configure.log" | sed 's/^-- //'
  echo "CUDA architectures: 90 (sm_90 code and compute_90 PTX); GRAM_NATIVE=OFF, GRAM_OPENBLAS=OFF"
  for binary in "$output/bin/gram" "$output/bin/test_gpu" "${plugins[@]}"; do
    echo "--- ldd bin/${binary##*/} (here)"
    ldd "$binary"
  done
} > "$output/BUILD.txt"

size_kib=$(du -sk "$output" | cut -f1)
echo "== $output: $((size_kib / 1024)) MiB ($size_kib KiB)"
echo "   bin/gram and bin/test_gpu name (NEEDED):" \
  $(readelf -d "$output/bin/gram" "$output/bin/test_gpu" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort -u)
echo "   ldd resolves besides (cuBLAS's and NCCL's own needs):" \
  $(ldd "$output/bin/gram" "$output/bin/test_gpu" | awk '/=>/ { print $1 }' | sort -u |
    grep -vxF -f <(readelf -d "$output/bin/gram" "$output/bin/test_gpu" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'))
if ((size_kib > limit_mib * 1024)); then
  echo "FAIL: $output is over $limit_mib MiB" >&2
  exit 1
fi
echo "run it on the GPU machine: bash $output/run.sh   (carry: $output; it writes to \$OUT)"
