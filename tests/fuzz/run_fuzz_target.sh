#!/usr/bin/env bash
# Runs one fuzz target for a bounded time, as ctest does (label fuzz):
#   run_fuzz_target.sh BUILD/tests/fuzz/fuzz_NAME tests/fuzz/corpus/NAME SECONDS [libFuzzer flags]
# The committed corpus is copied to a scratch directory first, so that the inputs libFuzzer adds
# never touch the source tree. A crash leaves its input (crash-*, leak-*, timeout-*) in
# $GRAM_FUZZ_ARTIFACTS (default: the current directory) and fails the test.
set -euo pipefail
target=$1 corpus=$2 seconds=$3
shift 3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$corpus"/. "$scratch"/
artifacts=${GRAM_FUZZ_ARTIFACTS:-$PWD}
mkdir -p "$artifacts"
# -timeout: one input running 10 s is a hang; -rss_limit_mb: a reader asking for gigabytes is
# a finding too. One process (libFuzzer's default): ctest runs other tests beside this one.
"$target" "$scratch" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/$(basename "$target")-" "$@"
