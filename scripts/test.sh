#!/usr/bin/env bash
# The test command of README and CI: set-up, build, every ctest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
make test
