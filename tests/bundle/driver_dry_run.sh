#!/usr/bin/env bash
# The device bundle's driver on this machine: a bundle packed from this build (not the static
# one, which only scripts/make-device-bundle.sh makes), run with --dry-run, must get through
# everything that needs no GPU (its libraries, the bench models, the CPU reference run of the
# parity check) and stop before the GPU phases with one line, exit 0.
#
#   driver_dry_run.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
source_dir=$1
build_dir=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
bash -n "$source_dir/scripts/make-device-bundle.sh"
bash -n "$source_dir/scripts/device/run-checks.sh"
"$source_dir/scripts/make-device-bundle.sh" --pack-only --build "$build_dir" --output "$work/bundle"
set +e
GRAM_DEVICE_BUDGET_S=200 bash "$work/bundle/run.sh" --dry-run "$work/out"
status=$?
set -e
echo "--- summary.md"
cat "$work/out/summary.md"
[[ $status -eq 0 ]] || { echo "FAIL: the dry run ended with status $status"; exit 1; }
grep -q "^- models: bench models D = 128, 512, 1024 generated, CPU reference run done" "$work/out/summary.md"
last=$(tail -n 1 "$work/out/summary.md")
[[ $last == "- dry run: stopped before the GPU phases"* ]] || { echo "FAIL: last line: $last"; exit 1; }
[[ -s $work/out/environment.txt ]]
echo "dry run stopped as it should: $last"
