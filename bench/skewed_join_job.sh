#!/bin/bash
# One skewed join (bench/skewed_join_tables.mjs DIR) as a shuffle job: submit, then two
# single-slot workers (two "hosts" of one core each), wait. Time the whole script:
#   /usr/bin/time -f "%U+%S cpu %e wall %M KB" bench/skewed_join_job.sh SLUICE_BINARY DIR TAG
# The ledger (DIR/run-TAG/ledger.db) keeps each stage's partitions and their times afterwards.
set -e
BIN=$1; D=$2; W=$D/run-$3
rm -rf $W; mkdir -p $W
export SLUICE_LEDGER=sqlite:$W/ledger.db
JOB=$($BIN join $D/left $D/right --on k -o $W/out.parquet --submit --map-size 4MiB --partitions 2..64 --log-level warn | sed -n "s/.*submitted job \([^:]*\):.*/\1/p")
$BIN worker --job "$JOB" --workers 1 --threads 1 --memory 1GiB --progress off --log-level warn & P1=$!
$BIN worker --job "$JOB" --workers 1 --threads 1 --memory 1GiB --progress off --log-level warn & P2=$!
wait $P1; wait $P2
