#!/usr/bin/env bash
# `sluice bloom` in one process against the same filter as a ledger job (`--submit`, then WORKERS
# `sluice worker --any` at once, SQLite ledger, local work directory), on generated CSV (8 files,
# ROWS rows). Whole commands alternated, PAIRS pairs; the job's time runs from the submit's start
# to the last worker's exit; each pair's filters must be byte for byte equal.
# Usage: bench/bloom_across_workers.sh BUILD_DIR [ROWS] [PAIRS] [WORKERS]
set -euo pipefail
build=${1:-build}
rows=${2:-4000000}
pairs=${3:-5}
workers=${4:-2}
sluice="$build/src/sluice/cli/sluice"
dir=$(mktemp -d /tmp/sluice-bloom-workers-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$build/bench/sluice_bloom_gen_data" "$dir" --rows "$rows" --files 8 > /dev/null
threads=$(( $(nproc) / workers > 0 ? $(nproc) / workers : 1 ))
now() { date +%s.%N; }
ratios=()
for pair in $(seq "$pairs"); do
  rm -rf "$dir"/*.bloom "$dir"/ledger.db*
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
  start=$(now)
  /usr/bin/time -f "  one process: %U+%S cpu %e wall %M KB" "$sluice" bloom "$dir/*.csv" \
    --column email -o "$dir/one.bloom" --memory 1GiB --progress off --log-level warn > /dev/null
  one=$(echo "$(now) - $start" | bc)
  start=$(now)
  "$sluice" bloom "$dir/*.csv" --column email -o "$dir/job.bloom" --map-size 64MiB --submit \
    --ledger "sqlite:$dir/ledger.db" --log-level warn > /dev/null
  for w in $(seq "$workers"); do
    /usr/bin/time -f "  worker $w: %U+%S cpu %e wall %M KB" "$sluice" worker --any \
      --ledger "sqlite:$dir/ledger.db" --threads "$threads" --memory 512MiB --progress off \
      --log-level warn > /dev/null 2> >(grep -v 'worker joins' >&2) &
  done
  wait
  job=$(echo "$(now) - $start" | bc)
  cmp "$dir/one.bloom" "$dir/job.bloom"
  ratio=$(echo "scale=3; $one / $job" | bc)
  ratios+=("$ratio")
  echo "pair $pair: one process ${one} s, job ${job} s, ratio ${ratio}x"
done
echo "median ratio: $(printf '%s\n' "${ratios[@]}" | sort -g | sed -n "$(( (pairs + 1) / 2 ))p")x" \
  "(pairs ${ratios[*]})"
