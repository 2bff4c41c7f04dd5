#!/usr/bin/env bash
# under_openblas_core.sh CORE OPENBLAS_CORE_PROBE TEST_BINARY [ARGS...]
#
# Runs a test binary with OPENBLAS_CORETYPE=CORE ("default": unset, OpenBLAS's own choice), so
# that the bit-comparison tests are run under every OpenBLAS kernel family this CPU can execute.
# Prints the core OpenBLAS really uses; a core whose instructions this CPU lacks is reported as
# skipped with the reason (exit 77, ctest's SKIP_RETURN_CODE), never forced (it would die on an
# illegal instruction).
set -euo pipefail
core=$1 probe=$2
shift 2

# The instruction-set flags (/proc/cpuinfo) each OpenBLAS 0.3.x x86-64 kernel family needs.
case "$core" in
  default) needs=() ;;
  Sandybridge) needs=(avx) ;;
  Haswell | Zen) needs=(avx2 fma) ;;
  SkylakeX) needs=(avx512f avx512cd avx512bw avx512dq avx512vl) ;;
  Cooperlake) needs=(avx512f avx512cd avx512bw avx512dq avx512vl avx512_bf16) ;;
  *) echo "under_openblas_core: unknown core '$core'" >&2; exit 2 ;;
esac
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
missing=()
for flag in "${needs[@]}"; do
  [[ "$flags" == *" $flag "* ]] || missing+=("$flag")
done
if ((${#missing[@]} > 0)); then
  echo "skipped: OpenBLAS core $core needs ${missing[*]}, which this CPU lacks"
  exit 77
fi

if [[ "$core" == default ]]; then
  unset OPENBLAS_CORETYPE
else
  export OPENBLAS_CORETYPE=$core
fi
used=$("$probe")
echo "OpenBLAS core: requested $core, running $used"
if [[ "$core" != default && "$used" != "$core" ]]; then
  echo "under_openblas_core: OpenBLAS did not take OPENBLAS_CORETYPE=$core (it runs $used)" >&2
  exit 1
fi
exec "$@"
