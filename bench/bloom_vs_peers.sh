#!/usr/bin/env bash
# `sluice bloom` end to end against DuckDB (count(*), bit_xor(hash(email)) over read_csv, same
# threads) and the Python multiprocessing peer, on generated data (8 files; ROWS rows, 16 million
# ~ 1 GB by default). Three runs each, back to back; medians and ratios; peak RSS of sluice from
# getrusage of the child. Usage: bench/bloom_vs_peers.sh BUILD_DIR [ROWS] [THREADS]
set -euo pipefail
build=${1:-build}
rows=${2:-${BLOOM_ROWS:-16000000}}
threads=${3:-${BLOOM_THREADS:-$(nproc)}}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/sluice-bloom-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$build/bench/sluice_bloom_gen_data" "$dir" --rows "$rows" --files 8
bytes=$(du -cb "$dir"/*.csv | tail -1 | cut -f1)
# Runs a command, prints "<wall seconds> <peak RSS KiB of the child>" and keeps its stdout in $dir/out.
measure() {
  /usr/bin/python3 - "$dir/out" "$@" <<'PY'
import resource, subprocess, sys, time
start = time.perf_counter()
with open(sys.argv[1], "wb") as out:
    subprocess.run(sys.argv[2:], stdout=out, check=True)
wall = time.perf_counter() - start
print(f"{wall:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
PY
}
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
s_times=(); s_rss=(); d_times=()
for run in 1 2 3; do
  read -r t rss < <(measure "$build/src/sluice/cli/sluice" bloom "$dir/*.csv" --column email \
      --fpr 0.01 -o "$dir/emails.bloom" --threads "$threads" --progress off --log-level warn)
  s_times+=("$t"); s_rss+=("$rss")
  s_rows=$(grep -oE '[0-9]+ rows' "$dir/out" | head -1 | cut -d' ' -f1)
  filter=$(grep -oE 'filter [0-9.]+ [KMG]iB \([0-9]+ blocks' "$dir/out" | head -1)
  blocks=$(echo "$filter" | grep -oE '[0-9]+ blocks' | cut -d' ' -f1)
  read -r t _ < <(measure node "$root/bench/bloom_duckdb.mjs" "$dir/*.csv" "$threads")
  d_times+=("$(grep -oE 'seconds [0-9.]+' "$dir/out" | cut -d' ' -f2)")
  d_rows=$(grep -oE 'rows [0-9]+' "$dir/out" | cut -d' ' -f2)
done
[[ "$s_rows" == "$d_rows" ]] || { echo "row counts differ: sluice $s_rows, DuckDB $d_rows" >&2; exit 1; }
read -r p_wall _ < <(measure /usr/bin/python3 "$root/bench/bloom_python_peer.py" "$dir/*.csv" "$threads" "$blocks")
p_time=$(grep -oE 'seconds [0-9.]+' "$dir/out" | cut -d' ' -f2)
st=$(median "${s_times[@]}"); dt=$(median "${d_times[@]}"); rss=$(median "${s_rss[@]}")
filter_bytes=$(( blocks * 32 ))
awk -v st="$st" -v dt="$dt" -v pt="$p_time" -v rss="$rss" -v rows="$rows" -v bytes="$bytes" \
    -v threads="$threads" -v fb="$filter_bytes" -v runs="${s_times[*]} / ${d_times[*]}" 'BEGIN {
  printf "bloom: %d rows, %.2f GB in 8 files, %d threads, fpr 0.01; runs (sluice / DuckDB): %s\n", rows, bytes / 1e9, threads, runs
  printf "bloom: sluice %.3f s (end to end, process included), DuckDB %.3f s (query only), Python multiprocessing %.3f s\n", st, dt, pt
  printf "bloom: sluice speed %.2fx DuckDB (target >= 2.00x), %.1fx the Python peer\n", dt / st, pt / st
  printf "bloom: sluice peak RSS %.1f MiB = filter %.1f MiB + %.1f MiB (target: under 256 MiB + filter)\n", rss / 1024, fb / 1048576, rss / 1024 - fb / 1048576
}'
