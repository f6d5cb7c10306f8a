// sluice compact against DuckDB and Polars on the same DuckDB-written dataset, in one run.
// Usage: node bench/compact_vs_peers.mjs BUILD_DIR [PARTITIONS] [FILES] [ROWS_PER_FILE] [REPS]
// The dataset (hive partitions of small snappy files, 4 row groups each) is generated once into
// $COMPACT_BENCH_DIR (default /tmp/sluice_compact_bench) and reused while its shape matches.
// Each tool compacts every partition into row groups of 1,000,000 rows; wall time and peak RSS
// come from /usr/bin/time around one process per tool and repetition; medians are compared.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateDataset } from './compact_dataset.mjs';

const [build = 'build', partitions = '8', files = '60', rows = '40000', reps = '3'] =
  process.argv.slice(2);
const P = +partitions, F = +files, R = +rows, REPS = +reps;
const root = process.env.COMPACT_BENCH_DIR || '/tmp/sluice_compact_bench';
const src = path.join(root, 'src');
const shape = `${P}x${F}x${R}`;
const sluice = path.resolve(build, 'src/sluice/cli/sluice');

function du(dir) {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? du(p) : fs.statSync(p).size;
  }
  return total;
}

// Runs argv under /usr/bin/time; returns {wall seconds, peak RSS bytes}.
function timedRun(argv) {
  try {
    execFileSync('/usr/bin/time', ['-f', 'TIME %e %M', '-o', path.join(root, 'time.txt'), ...argv],
      { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 26 });
  } catch (e) {
    throw new Error(`${argv.join(' ')} failed: ${e.message}`);
  }
  const [, wall, rss] = fs.readFileSync(path.join(root, 'time.txt'), 'utf8').trim().split('\n').pop().split(' ');
  return { wall: +wall, rss: +rss * 1024 };
}

await generateDataset({ root, shape, partitions: P, files: F, rowsOf: () => R, rowGroupRowsOf: () => Math.ceil(R / 4) });
const partitionDirs = fs.readdirSync(src).filter((d) => d.startsWith('date=')).sort();
const duckdbScript = `
import { DuckDBInstance } from '@duckdb/node-api';
const [src, dst, ...parts] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
for (const p of parts) {
  await c.run(\`COPY (SELECT * FROM read_parquet('\${src}/\${p}/*.parquet')) TO '\${dst}/\${p}.parquet' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 1000000)\`);
}`;
const polarsScript = `
import pl from 'nodejs-polars';
const [src, dst, ...parts] = process.argv.slice(2);
for (const p of parts) {
  pl.scanParquet(\`\${src}/\${p}/*.parquet\`).sinkParquet(\`\${dst}/\${p}.parquet\`, { rowGroupSize: 1000000, compression: 'snappy' }).collect();
}`;
fs.writeFileSync(path.join(process.cwd(), 'bench/.compact_duckdb_peer.mjs'), duckdbScript);
fs.writeFileSync(path.join(process.cwd(), 'bench/.compact_polars_peer.mjs'), polarsScript);

const inputBytes = du(src);
console.log(`dataset: ${P} partitions x ${F} files x ${R} rows (4 row groups each), ${(inputBytes / 2 ** 20).toFixed(1)} MiB snappy`);
const tools = {
  sluice: (dst) => [sluice, 'compact', src, dst, '--row-group-rows', '1000000', '--memory', '256MiB', '--progress', 'off', '--log-level', 'warn'],
  duckdb: (dst) => ['node', 'bench/.compact_duckdb_peer.mjs', src, dst, ...partitionDirs],
  polars: (dst) => ['node', 'bench/.compact_polars_peer.mjs', src, dst, ...partitionDirs],
};
const results = { sluice: [], duckdb: [], polars: [] };
try {
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, argv] of Object.entries(tools)) {
      const dst = path.join(root, `out-${name}`);
      fs.rmSync(dst, { recursive: true, force: true });
      fs.mkdirSync(dst, { recursive: true });
      const r = timedRun(argv(name === 'sluice' ? path.join(dst, 'ds') : dst));
      r.bytes = du(dst);
      results[name].push(r);
      console.log(`  rep ${rep + 1} ${name.padEnd(6)} ${r.wall.toFixed(2)} s, peak RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB, output ${(r.bytes / 2 ** 20).toFixed(1)} MiB`);
    }
  }
} finally {
  fs.rmSync('bench/.compact_duckdb_peer.mjs', { force: true });
  fs.rmSync('bench/.compact_polars_peer.mjs', { force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { wall: median(v.map((r) => r.wall)), rss: median(v.map((r) => r.rss)) }]));
for (const [k, v] of Object.entries(m)) {
  console.log(`${k.padEnd(6)} median ${v.wall.toFixed(2)} s (${(inputBytes / 2 ** 20 / v.wall).toFixed(0)} MiB/s), peak RSS ${(v.rss / 2 ** 20).toFixed(0)} MiB`);
}
const vsPolars = m.polars.wall / m.sluice.wall, vsDuck = m.duckdb.wall / m.sluice.wall;
console.log(`ratio: sluice is ${vsPolars.toFixed(2)}x Polars (target 3x), ${vsDuck.toFixed(2)}x DuckDB (target 10x) in wall time`);
console.log(`memory: sluice peak RSS ${(m.sluice.rss / 2 ** 20).toFixed(0)} MiB under --memory 256MiB (limit 320 MiB): ${m.sluice.rss <= 320 * 2 ** 20 ? 'ok' : 'OVER'}`);
