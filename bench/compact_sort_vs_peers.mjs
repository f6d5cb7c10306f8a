// `sluice compact --sort-by` against DuckDB and Polars sorting the same partitions, and what the
// sort buys a reader. Usage:
//   node bench/compact_sort_vs_peers.mjs BUILD_DIR [PARTITIONS] [FILES] [ROWS_PER_FILE] [REPS]
// On the compaction benchmark's dataset (bench/compact_dataset.mjs; 8 x 60 x 40,000 by default):
//   1. the whole sluice command (`compact SRC DST --sort-by user_id`, process start included),
//      DuckDB `COPY (SELECT * ... ORDER BY user_id) TO ...` per partition and Polars
//      `scanParquet().sort().sinkParquet()` per partition (both timed inside their node process,
//      bench/sorted_compact_peer.mjs), alternated, REPS times; every tool writes snappy row groups
//      of 122,880 rows (DuckDB's default) with THREADS threads and MEMORY of memory; the ratio is
//      the median of the per-repetition ratios;
//   2. the payoff: DuckDB's time (fresh process, timed inside it) for a point query on the sort
//      column and a range on it, over the input files, the plain compacted output and the sorted
//      output (page indexes on), three times each, medians. Answers must agree.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateDataset } from './compact_dataset.mjs';

const [build = 'build', partitions = '8', files = '60', rows = '40000', reps = '3'] =
  process.argv.slice(2);
const P = +partitions, F = +files, R = +rows, REPS = +reps;
const THREADS = process.env.THREADS || '2';
const MEMORY = process.env.MEMORY || '1GiB';
const ROW_GROUP_ROWS = '122880';
const COLUMN = 'user_id';
const root = process.env.COMPACT_BENCH_DIR || '/tmp/sluice_compact_bench';
const src = path.join(root, 'src');
const sluice = path.resolve(build, 'src/sluice/cli/sluice');

await generateDataset({ root, shape: `${P}x${F}x${R}`, partitions: P, files: F, rowsOf: () => R,
  rowGroupRowsOf: () => Math.ceil(R / 4) });
const partitionDirs = fs.readdirSync(src).filter((d) => d.startsWith('date=')).sort();

function fresh(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function sluiceCompact(dst, extra) {
  const start = performance.now();
  execFileSync(sluice, ['compact', src, dst, '--row-group-rows', ROW_GROUP_ROWS, '--memory', MEMORY,
    '--threads', THREADS, '--progress', 'off', '--log-level', 'warn', ...extra],
  { stdio: ['ignore', 'ignore', 'inherit'] });
  return (performance.now() - start) / 1000;
}

function peer(engine, dst) {
  const out = execFileSync('node', ['bench/sorted_compact_peer.mjs', engine, src, dst, COLUMN,
    THREADS, MEMORY.replace('iB', 'B'), ROW_GROUP_ROWS, ...partitionDirs],
  { encoding: 'utf8', env: { ...process.env, POLARS_MAX_THREADS: THREADS } });
  return JSON.parse(out.trim().split('\n').pop()).seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const t = { sluice: [], duckdb: [], polars: [] };
console.log(`sort by ${COLUMN}: ${P} partitions x ${F} files x ${R} rows, ${THREADS} threads, ` +
  `memory ${MEMORY}, row groups of ${ROW_GROUP_ROWS} rows`);
for (let rep = 0; rep < REPS; rep++) {
  t.sluice.push(sluiceCompact(fresh(path.join(root, 'sorted-sluice')), ['--sort-by', COLUMN]));
  t.duckdb.push(peer('duckdb', fresh(path.join(root, 'sorted-duckdb'))));
  t.polars.push(peer('polars', fresh(path.join(root, 'sorted-polars'))));
  console.log(`  rep ${rep + 1}: sluice ${t.sluice[rep].toFixed(2)} s, DuckDB ` +
    `${t.duckdb[rep].toFixed(2)} s, Polars ${t.polars[rep].toFixed(2)} s`);
}
const ratio = (peerTimes) => median(peerTimes.map((p, i) => p / t.sluice[i]));
console.log(`median: sluice ${median(t.sluice).toFixed(2)} s, DuckDB ${median(t.duckdb).toFixed(2)} s, ` +
  `Polars ${median(t.polars).toFixed(2)} s`);
console.log(`ratio (median of per-pair ratios): sluice is ${ratio(t.duckdb).toFixed(2)}x DuckDB ` +
  `(target 2x), ${ratio(t.polars).toFixed(2)}x Polars`);

// The payoff: the same selective queries over the inputs, the plain and the sorted output.
const plain = fresh(path.join(root, 'plain-sluice'));
sluiceCompact(plain, []);
const sorted = path.join(root, 'sorted-sluice');
const layouts = {
  'input files': `${src}/*/*.parquet`,
  'compacted, unsorted': `${plain}/*/*.parquet`,
  'compacted, sorted + page index': `${sorted}/*/*.parquet`,
};
const queries = {
  [`${COLUMN} = 123456`]: `${COLUMN} = 123456`,
  [`${COLUMN} BETWEEN 500000 AND 501000`]: `${COLUMN} BETWEEN 500000 AND 501000`,
};
for (const [name, where] of Object.entries(queries)) {
  const answers = new Set();
  const line = [];
  for (const [layout, glob] of Object.entries(layouts)) {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const sql = `SELECT count(*) AS n, sum(amount) AS s FROM read_parquet('${glob}') WHERE ${where}`;
      const out = execFileSync('node', ['bench/duckdb_peer.mjs', THREADS, '', sql], { encoding: 'utf8' });
      times.push(JSON.parse(out.trim().split('\n').pop()).seconds);
    }
    answers.add(execFileSync('node', ['--input-type=module', '-e', `
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const c = await (await DuckDBInstance.create(':memory:')).connect();
      const r = await c.runAndReadAll("SELECT count(*)::VARCHAR || ' ' || round(sum(amount), 2)::VARCHAR FROM read_parquet('${glob}') WHERE ${where}");
      console.log(r.getRows()[0][0]);`], { encoding: 'utf8', input: '' }).trim());
    line.push(`${layout} ${median(times).toFixed(3)} s`);
  }
  console.log(`payoff, WHERE ${name}: ${line.join(', ')}${answers.size === 1 ? '' : ' ANSWERS DIFFER: ' + [...answers].join(' / ')}`);
}
