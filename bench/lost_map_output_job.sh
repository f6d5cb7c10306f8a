#!/bin/bash
# The job of bench/skewed_join_job.sh, watched from outside: once its reduce stage is planned
# (polled in the SQLite ledger every 20 ms), map/00003's data file is deleted when LOSE is 1, so
# that reduce tasks meet a lost map output; with LOSE 0 the same polling runs and nothing is lost.
#   /usr/bin/time -f "%U+%S cpu %e wall %M KB" bench/lost_map_output_job.sh SLUICE DIR TAG LOSE
# Afterwards: sqlite3 DIR/run-TAG/ledger.db "select key, attempt, attempts_used from partitions"
set -e
BIN=$1; D=$2; W=$D/run-$3; LOSE=$4
rm -rf $W; mkdir -p $W
export SLUICE_LEDGER=sqlite:$W/ledger.db
JOB=$($BIN join $D/left $D/right --on k -o $W/out.parquet --submit --map-size 4MiB --partitions 2..64 --log-level warn | sed -n "s/.*submitted job \([^:]*\):.*/\1/p")
$BIN worker --job "$JOB" --workers 1 --threads 1 --memory 1GiB --progress off --log-level warn 2>$W/w1.log & P1=$!
$BIN worker --job "$JOB" --workers 1 --threads 1 --memory 1GiB --progress off --log-level warn 2>$W/w2.log & P2=$!
until [ -n "$(sqlite3 $W/ledger.db "select 1 from partitions where key like 'reduce%' limit 1" 2>/dev/null)" ]; do sleep 0.02; done
if [ "$LOSE" = 1 ]; then rm $W/out.parquet.sluice-shuffle/map%2F00003/data-a1.parquet; fi
wait $P1; wait $P2
