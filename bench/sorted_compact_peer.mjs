// The peers' side of the sorted-compaction benchmark: per hive partition, all of the partition's
// input files read, sorted by one column and written as one Parquet file (snappy, row groups of
// ROW_GROUP_ROWS rows), by DuckDB (`COPY (SELECT * FROM read_parquet(...) ORDER BY col) TO ...`)
// or Polars (`scanParquet(...).sort(col).sinkParquet(...)`).
// Usage: node bench/sorted_compact_peer.mjs duckdb|polars SRC DST COLUMN THREADS MEMORY_LIMIT
//          ROW_GROUP_ROWS PARTITION...
// Prints one line of JSON: {"seconds": S}, timed inside the process once the engine is loaded
// (process start-up is not counted against the peer).
const [engine, src, dst, column, threads, memoryLimit, rowGroupRows, ...partitions] =
  process.argv.slice(2);

async function duckdb() {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads, memory_limit: memoryLimit });
  const c = await db.connect();
  const start = performance.now();
  for (const p of partitions) {
    await c.run(`COPY (SELECT * FROM read_parquet('${src}/${p}/*.parquet') ORDER BY ${column})
      TO '${dst}/${p}.parquet' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${rowGroupRows})`);
  }
  return (performance.now() - start) / 1000;
}

async function polars() {
  process.env.POLARS_MAX_THREADS = threads;
  const pl = (await import('nodejs-polars')).default;
  const start = performance.now();
  for (const p of partitions) {
    await pl.scanParquet(`${src}/${p}/*.parquet`).sort(column)
      .sinkParquet(`${dst}/${p}.parquet`, { rowGroupSize: +rowGroupRows, compression: 'snappy' })
      .collect();
  }
  return (performance.now() - start) / 1000;
}

const seconds = engine === 'duckdb' ? await duckdb() : await polars();
console.log(JSON.stringify({ seconds }));
