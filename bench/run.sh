#!/usr/bin/env bash
# Runs every benchmark and prints ratios against the peers measured in the same run.
# Usage: bench/run.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
echo "== flow: per-item overhead against oneTBB parallel_pipeline"
"$build/bench/sluice_pipeline_overhead_bench" | grep -E "^BM_|ratio"
echo "== flow: autoscaled demo pipeline against the best static allocation (grid search)"
"$build/bench/sluice_autoscale_bench" | grep -E "^autoscale:|^autoscaled:|^bottleneck"
echo "== io/parquet: full decode and write against DuckDB on one thread (ROWS=${PARQUET_ROWS:-10000000})"
node bench/parquet_vs_duckdb.mjs "$build" "${PARQUET_ROWS:-10000000}"
echo "== bloom: sluice bloom against DuckDB and Python multiprocessing (ROWS=${BLOOM_ROWS:-16000000})"
bench/bloom_vs_peers.sh "$build" "${BLOOM_ROWS:-16000000}"
for extra in "$build"/bench/sluice_*_bench; do
  case "$extra" in
    */sluice_pipeline_overhead_bench|*/sluice_autoscale_bench|*/sluice_parquet_read_bench|*/sluice_parquet_write_bench) ;;
    *) echo "== $(basename "$extra")"; "$extra" ;;
  esac
done
