#!/usr/bin/env bash
# Submits a sweep as a job array of SHARDS tasks (slurm/sweep-array.sbatch), then its final
# pass: slurm/sweep-cpu.sbatch (or FINAL_SCRIPT) on the same OUTPUT, once every task has ended
# (afterany: also after a failed task). The final pass is an ordinary `gram sweep` without a
# shard: it merges OUTPUT/shards/*/cells.jsonl into OUTPUT/cells.jsonl and runs whatever a
# failed task left undone, so its output says "0 runs executed" when all tasks succeeded.
#
#   slurm/submit-array.sh SHARDS [sbatch options for both jobs...]
#   OUTPUT=results/big SWEEP_CONFIG=configs/big.yaml slurm/submit-array.sh 8 --partition=short
#
# Environment variables (GRAM, SWEEP_CONFIG, OUTPUT, GRAM_ARGS, LOG_ROOT, BACKEND) reach both
# jobs. The final pass asks for one rank (FINAL_TASKS) since it normally only merges.
set -euo pipefail
shards=${1:?usage: slurm/submit-array.sh SHARDS [sbatch options...]}
shift
here=$(dirname "$0")
final_script=${FINAL_SCRIPT:-$here/sweep-cpu.sbatch}
final_tasks=${FINAL_TASKS:-1}
# Both jobs must write to the same OUTPUT: fix it here rather than per job name.
export OUTPUT=${OUTPUT:-results/gram-sweep-array}

array=$(sbatch --parsable --array=0-$((shards - 1)) "$@" "$here/sweep-array.sbatch")
array=${array%%;*}  # "id;cluster" on federated sites
echo "array job $array: $shards shares into $OUTPUT/shards"
final=$(sbatch --parsable --dependency=afterany:"$array" --nodes=1 \
  --ntasks-per-node="$final_tasks" "$@" "$final_script")
echo "final pass: job ${final%%;*} (merges the shares into $OUTPUT/cells.jsonl)"
