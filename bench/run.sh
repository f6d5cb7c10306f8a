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
echo "== compact: sluice compact against DuckDB COPY and Polars, per partition (${COMPACT_PARTITIONS:-8} x ${COMPACT_FILES:-20} files x 40000 rows; COMPACT_FILES=60 for the issue's full size)"
node bench/compact_vs_peers.mjs "$build" "${COMPACT_PARTITIONS:-8}" "${COMPACT_FILES:-20}" 40000 3
echo "== compact --sort-by: sluice against DuckDB COPY ... ORDER BY and Polars sort + sink_parquet per partition, then DuckDB's selective queries over the inputs, the plain and the sorted output (${COMPACT_PARTITIONS:-8} x ${COMPACT_SORT_FILES:-60} files x 40000 rows)"
node bench/compact_sort_vs_peers.mjs "$build" "${COMPACT_PARTITIONS:-8}" "${COMPACT_SORT_FILES:-60}" 40000 3
echo "== compact on S3: sluice compact s3:// to s3:// against Polars on the test RADOS Gateway (${S3_COMPACT_PARTITIONS:-4} x ${S3_COMPACT_FILES:-75} files of 100 KiB-2 MiB)"
node bench/compact_s3_vs_polars.mjs "$build" "${S3_COMPACT_PARTITIONS:-4}" "${S3_COMPACT_FILES:-75}" 3
echo "== ops: db-benchmark group-by queries against DuckDB (ROWS=${GROUPBY_ROWS:-10000000})"
node bench/groupby_vs_duckdb.mjs "$build" "${GROUPBY_ROWS:-10000000}"
echo "== ops/sort: sorts, top-N and q8 against DuckDB (ROWS=${SORT_ROWS:-10000000})"
node bench/sort_vs_duckdb.mjs "$build" "${SORT_ROWS:-10000000}"
echo "== ops/join: hash joins against DuckDB (ROWS=${JOIN_ROWS:-10000000})"
node bench/join_vs_duckdb.mjs "$build" "${JOIN_ROWS:-10000000}"
echo "== memory: peak RSS per operator against the budget and DuckDB (ROWS=${MEMORY_ROWS:-10000000})"
node bench/memory_vs_duckdb.mjs "$build" "${MEMORY_ROWS:-10000000}"
echo "== e2e: whole sluice commands (Parquet in and out) against DuckDB COPY, at 1GiB and 256MiB (ROWS=${E2E_ROWS:-10000000}, THREADS=${E2E_THREADS:-2}, RUNS=${E2E_RUNS:-3})"
node bench/e2e_vs_duckdb.mjs "$build" "${E2E_ROWS:-10000000}" "${E2E_THREADS:-2}" "${E2E_RUNS:-3}"
echo "== jobs/shuffle: a group-by as a staged job by three workers against one process (ROWS=${SHUFFLE_ROWS:-10000000})"
node bench/shuffle_vs_local.mjs "$build" "${SHUFFLE_ROWS:-10000000}" 8 3 q3
echo "== jobs/shuffle: the same with the work directory on the test S3 gateway: S3 requests per partition and per GB shuffled (ROWS=${SHUFFLE_ROWS:-10000000})"
"$build/bench/sluice_s3_bench_server" serve --bucket shufflebench -- \
  node bench/shuffle_vs_local.mjs "$build" "${SHUFFLE_ROWS:-10000000}" 8 1 q10
echo "== ledger: 200 worker processes through a staged job of 1,000 map and 1,000 reduce partitions (PostgreSQL)"
"$build/bench/sluice_ledger_bench" --backend postgres --partitions 2000 --latency-seconds 0 \
  --load-workers 200 --task-ms 0 --task-ms 1000 | grep ' load: '
echo "== jobs/batch: peak memory of a batched task (64 chunks) against the unchunked task (ROWS=${BATCHED_ROWS:-16000000})"
"$build/bench/sluice_batched_memory_bench" --rows "${BATCHED_ROWS:-16000000}" --chunks 64 --memory 64MiB
for extra in "$build"/bench/sluice_*_bench; do
  case "$extra" in
    */sluice_pipeline_overhead_bench|*/sluice_autoscale_bench|*/sluice_parquet_read_bench|*/sluice_parquet_write_bench|*/sluice_groupby_bench|*/sluice_batched_memory_bench|*/sluice_sort_bench|*/sluice_join_bench) ;;
    *) echo "== $(basename "$extra")"; "$extra" ;;
  esac
done
