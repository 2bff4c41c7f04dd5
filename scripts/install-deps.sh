#!/usr/bin/env bash
# Installs, from Debian packages only, everything the build, the tests and the demo need.
# Idempotent: packages already present are not touched, so a second run costs a few seconds.
#
#   scripts/install-deps.sh            build + test + demo dependencies
#   scripts/install-deps.sh --plots    also matplotlib, for the report's figures (make demo)
#   scripts/install-deps.sh --python   also the PyTorch reference tools (python3-torch, matplotlib)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libopenblas-dev          # CPU GEMMs
  libomp-dev               # OpenMP for elementwise work
  libyaml-cpp-dev          # configs/*.yaml
  nlohmann-json3-dev       # model metadata, JSONL results
  librandom123-dev         # Philox4x32-10, the same generator on CPU and GPU
  libboost-math-dev        # distributions for the statistics
  libcli11-dev             # command-line parsing
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev
  libopenmpi-dev openmpi-bin   # MPI communicator (GRAM_MPI), mpirun for tests/mpi
  slurm-wlm munge              # slurmctld, slurmd, sbatch/srun (PMIx plugin) for tests/slurm
  clang-14 libclang-rt-14-dev  # the sanitized build (ASan, UBSan) and libFuzzer for tests/fuzz
)
if [[ "${1:-}" == "--plots" ]]; then
  packages+=(python3-numpy python3-matplotlib)
fi
if [[ "${1:-}" == "--python" ]]; then
  packages+=(python3-torch python3-numpy python3-matplotlib python3-yaml)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
