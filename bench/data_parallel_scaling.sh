#!/usr/bin/env bash
# The data-parallel step on this machine, 1 and 2 ranks (and more where there are the cores), one
# table row each, with the load average before and after. Quiet machine only: nothing else may run.
#   bench/data_parallel_scaling.sh [BUILD_DIR] [BATCH]
set -euo pipefail
build="${1:-build}"
batch="${2:-256}"
program="$build/bench/data_parallel_step"
[[ -x "$program" ]] || { echo "data_parallel_scaling.sh: $program not built (needs MPI: scripts/setup.sh --with-mpi)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M) UTC, $(nproc) cores"
echo "| ranks | threads per rank | global batch | step, median (ms) | gathered per step (MB) | that gather alone, median (ms) |"
echo "|---:|---:|---:|---:|---:|---:|"
for ranks in $(seq 1 "$(nproc)"); do
  mpirun -np "$ranks" "$program" --batch "$batch" --steps 40
done
# One process with the same threads as two ranks together, to show what the scope itself costs.
mpirun -np 1 "$program" --batch "$batch" --steps 40 --threads 1
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
