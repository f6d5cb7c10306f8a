// Full decode of one Parquet file: our reader (bench/parquet_read_bench.cc) against DuckDB
// scanning the same file with an aggregate that touches every value, both on one thread.
// The file (ints, doubles, low- and high-cardinality strings, timestamps, nulls; snappy) is
// written by DuckDB. Usage: node bench/parquet_vs_duckdb.mjs BUILD_DIR [ROWS]
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const build = process.argv[2] ?? 'build';
const rows = Number(process.argv[3] ?? 10_000_000);
const dir = mkdtempSync(join(tmpdir(), 'sluice-parquet-bench-'));
const path = join(dir, 'data.parquet');
try {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  await c.run(`COPY (SELECT i AS id, i * 0.5 AS x, 'k' || (i % 100) AS low,
      md5(i::VARCHAR) AS high, TIMESTAMP '2026-01-01' + to_microseconds(i) AS ts,
      CASE WHEN i % 10 = 0 THEN NULL ELSE i END AS maybe FROM range(${rows}) t(i))
      TO '${path}' (FORMAT parquet, COMPRESSION snappy)`);
  let duckdb = Infinity;
  for (let run = 0; run < 3; ++run) {
    const start = performance.now();
    await c.runAndReadAll(`SELECT sum(id), sum(x), count(low), sum(length(high)), max(ts),
        count(maybe) FROM read_parquet('${path}')`);
    duckdb = Math.min(duckdb, (performance.now() - start) / 1000);
  }
  const out = execFileSync(join(build, 'bench', 'sluice_parquet_read_bench'), [path, '3']);
  const ours = Number(/seconds ([0-9.]+)/.exec(out.toString())[1]);
  console.log(`parquet full decode, ${rows} rows, 1 thread: sluice ${ours.toFixed(3)} s, ` +
      `DuckDB ${duckdb.toFixed(3)} s, sluice speed ${(duckdb / ours).toFixed(2)}x DuckDB's ` +
      `(target >= 1.00x)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
