// Parquet against DuckDB on one thread, on one generated file (ints, doubles, low- and
// high-cardinality strings, timestamps, nulls; snappy, written by DuckDB):
// - full decode: our reader (bench/parquet_read_bench.cc) against DuckDB scanning the file with
//   an aggregate that touches every value;
// - write: our writer (bench/parquet_write_bench.cc, default options) writing the file's rows
//   from memory against DuckDB's COPY of the same rows (an in-memory table) TO parquet, snappy;
//   speed and file size.
// Each side reports its best of three runs, wall time (the ratio that counts) and CPU time (a
// steadier view on a loaded machine).
// Usage: node bench/parquet_vs_duckdb.mjs BUILD_DIR [ROWS]
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const build = process.argv[2] ?? 'build';
const rows = Number(process.argv[3] ?? 10_000_000);
const dir = mkdtempSync(join(tmpdir(), 'sluice-parquet-bench-'));
const path = join(dir, 'data.parquet');

// Best wall and CPU seconds of three runs of `fn`.
async function best3(fn) {
  let wall = Infinity;
  let cpu = Infinity;
  for (let run = 0; run < 3; ++run) {
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await fn();
    wall = Math.min(wall, (performance.now() - start) / 1000);
    const used = process.cpuUsage(cpu0);
    cpu = Math.min(cpu, (used.user + used.system) / 1e6);
  }
  return { wall, cpu };
}

function ours(binary, args) {
  const out = execFileSync(join(build, 'bench', binary), args).toString();
  const field = (name) => Number(new RegExp(`^${name} ([0-9.]+)`, 'm').exec(out)?.[1] ?? 0);
  return { wall: field('seconds'), cpu: field('cpu_seconds'), bytes: field('bytes') };
}

const f3 = (x) => x.toFixed(3);
const ratio = (duck, sluice) => (duck / sluice).toFixed(2);

try {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  await c.run(`COPY (SELECT i AS id, i * 0.5 AS x, 'k' || (i % 100) AS low,
      md5(i::VARCHAR) AS high, TIMESTAMP '2026-01-01' + to_microseconds(i) AS ts,
      CASE WHEN i % 10 = 0 THEN NULL ELSE i END AS maybe FROM range(${rows}) t(i))
      TO '${path}' (FORMAT parquet, COMPRESSION snappy)`);

  const duckRead = await best3(() => c.runAndReadAll(`SELECT sum(id), sum(x), count(low),
      sum(length(high)), max(ts), count(maybe) FROM read_parquet('${path}')`));
  const sluiceRead = ours('sluice_parquet_read_bench', [path, '3']);
  console.log(`parquet full decode, ${rows} rows, 1 thread: sluice ${f3(sluiceRead.wall)} s ` +
      `(cpu ${f3(sluiceRead.cpu)}), DuckDB ${f3(duckRead.wall)} s (cpu ${f3(duckRead.cpu)}), ` +
      `sluice speed ${ratio(duckRead.wall, sluiceRead.wall)}x DuckDB's ` +
      `(cpu ${ratio(duckRead.cpu, sluiceRead.cpu)}x; target >= 1.00x)`);

  const duckOut = join(dir, 'duckdb-out.parquet');
  await c.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${path}')`);
  const duckWrite = await best3(() =>
      c.run(`COPY t TO '${duckOut}' (FORMAT parquet, COMPRESSION snappy)`));
  const duckBytes = statSync(duckOut).size;
  const sluiceWrite = ours('sluice_parquet_write_bench', [path, join(dir, 'sluice-out.parquet'), '3']);
  console.log(`parquet write, ${rows} rows, 1 thread, snappy: sluice ${f3(sluiceWrite.wall)} s ` +
      `(cpu ${f3(sluiceWrite.cpu)}), DuckDB ${f3(duckWrite.wall)} s (cpu ${f3(duckWrite.cpu)}), ` +
      `sluice speed ${ratio(duckWrite.wall, sluiceWrite.wall)}x DuckDB's ` +
      `(cpu ${ratio(duckWrite.cpu, sluiceWrite.cpu)}x; target >= 1.00x); file ` +
      `${(sluiceWrite.bytes / 1e6).toFixed(1)} MB vs ${(duckBytes / 1e6).toFixed(1)} MB, ` +
      `${(sluiceWrite.bytes / duckBytes).toFixed(3)}x DuckDB's (target <= 1.10x)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
