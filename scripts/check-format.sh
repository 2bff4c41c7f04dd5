#!/usr/bin/env bash
# Checks that every C++ and CUDA source of the engine is laid out as .clang-format says (the test
# command runs it; `bash scripts/check-format.sh --fix` rewrites the files that are not).
# Exit 0 when all match, 1 with the files that do not, 77 (ctest's "skipped") without
# clang-format-14.
set -euo pipefail
cd "$(dirname "$0")/.."
formatter=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$formatter" >/dev/null; then
  echo "check-format: skipped: $formatter not installed (scripts/install-deps.sh installs it)"
  exit 77
fi
mapfile -t files < <(git ls-files -- 'src/*.cpp' 'src/*.h' 'kernels/*.cu' 'kernels/*.cuh' \
  'kernels/*.h' 'kernels/*.cpp' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' 'bench/*.h' \
  'distributed/*.cpp' 'distributed/*.h')
if [[ ${1:-} == --fix ]]; then
  "$formatter" -i "${files[@]}"
  exit 0
fi
unformatted=()
for file in "${files[@]}"; do
  "$formatter" --dry-run -Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
done
if ((${#unformatted[@]})); then
  echo "check-format: ${#unformatted[@]} of ${#files[@]} files differ from .clang-format" \
       "(bash scripts/check-format.sh --fix):"
  printf '  %s\n' "${unformatted[@]}"
  exit 1
fi
echo "check-format: ${#files[@]} files match .clang-format"
