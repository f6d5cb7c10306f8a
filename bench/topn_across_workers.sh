#!/bin/bash
# Issue 26, a top-N across hosts on one machine: `sluice sort --top` in one process against the
# same query submitted (--map-size 1KiB: a map task per file) and run by three `sluice worker`
# processes (--threads 2 --workers 2 each, SQLite ledger, local work directory), whole commands
# alternated, with each side's CPU and peak RSS (/usr/bin/time; the workers' CPU summed, their
# largest RSS). Ratio = one process's wall time / the job's (submit to the last worker's exit).
#
# Usage: bench/topn_across_workers.sh BUILD_DIR INPUT_DIR [q8|top100] [PAIRS=5]
#   INPUT_DIR holds in-*.parquet, e.g. db-benchmark's G1 cut into 8 files as
#   bench/shuffle_vs_local.mjs writes them. q8: --by v3:desc --top 2 --per id6; top100:
#   --by v3:desc --top 100. AB_SLUICE=other-binary runs the job with that binary instead.
set -euo pipefail
S="$1/src/sluice/cli/sluice"
JOB_S="${AB_SLUICE:-$S}"
IN="$2/in-*.parquet"
case "${3:-q8}" in
  q8) Q=(--by v3:desc --top 2 --per id6) ;;
  top100) Q=(--by v3:desc --top 100) ;;
  *) echo "unknown query $3" >&2; exit 2 ;;
esac
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
T=(/usr/bin/time -f "%U %S %e %M")
for p in $(seq 1 "${4:-5}"); do
  l=$({ "${T[@]}" "$S" sort "$IN" "${Q[@]}" -o "$WORK/local.parquet" --memory 1GiB --threads 2 >/dev/null; } 2>&1 | tail -1)
  rm -f "$WORK/l.db" "$WORK/job.parquet"
  t0=$(date +%s.%N)
  "$JOB_S" sort "$IN" "${Q[@]}" -o "$WORK/job.parquet" --submit --ledger "sqlite:$WORK/l.db" \
    --map-size 1KiB >/dev/null
  for w in 1 2 3; do
    ({ "${T[@]}" "$JOB_S" worker --any --ledger "sqlite:$WORK/l.db" --memory 1GiB --threads 2 \
      --workers 2 >/dev/null; } 2>"$WORK/w$w.t") &
  done
  wait
  t1=$(date +%s.%N)
  workers=$(for w in 1 2 3; do tail -1 "$WORK/w$w.t"; done |
    awk '{c += $1 + $2; if ($4 > m) m = $4} END {printf "%.2f cpu, peak RSS %d KB", c, m}')
  shuffled=$(sqlite3 "$WORK/l.db" "SELECT sum(json_extract(output_manifest, '\$.bytes')) FROM partitions WHERE key LIKE 'map/%'")
  echo "$l $t0 $t1" | awk -v w="$workers" -v b="$shuffled" -v p="$p" '{
    job = $6 - $5
    printf "pair %d: one process %.2f cpu %.2f s %d KB; job %.2f s, workers %s, %d MiB shuffled; ratio %.2f\n",
      p, $1 + $2, $3, $4, job, w, b / 1048576, $3 / job }'
done
uptime
