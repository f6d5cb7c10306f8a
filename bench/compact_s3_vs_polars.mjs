// sluice compact from the test S3 server to the same server against Polars (nodejs-polars
// reading and writing s3:// with the same endpoint and keys), in one run.
// Usage: node bench/compact_s3_vs_polars.mjs BUILD_DIR [PARTITIONS] [FILES] [REPS]
// Run alone, the script starts the test RADOS Gateway around itself (sluice_s3_bench_server
// serve); the gateway keeps objects in memory on loopback, so the figures measure request
// handling and the tools' own costs, not a network. The dataset (PARTITIONS hive partitions of
// FILES DuckDB-written snappy files each, 100 KiB to 2 MiB, 1 to 4 row groups) is generated once
// into $COMPACT_S3_BENCH_DIR (default /tmp/sluice_compact_s3_bench) and uploaded to s3://.../in/.
// Each repetition runs both tools, in alternating order, into fresh prefixes: sluice as a
// process timed from outside (start-up included), Polars timed inside its process after Polars
// is loaded (bench/polars_compact_peer.mjs). Medians are compared; sluice's request counts come
// from its summary. The gateway shares the machine's cores with the tool under test, so beside
// wall time the table shows each tool's CPU seconds and the gateway's (radosgw, ceph-osd) during
// its runs. The last repetition's outputs are downloaded and DuckDB counts and hashes
// the rows of every partition of both outputs against the input.
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDataset, partitionName } from './compact_dataset.mjs';

const args = process.argv.slice(2);
const [build = 'build', partitions = '4', files = '75', reps = '3'] = args;
const P = +partitions, F = +files, REPS = +reps;
const server = path.resolve(build, 'bench/sluice_s3_bench_server');
const root = process.env.COMPACT_S3_BENCH_DIR || '/tmp/sluice_compact_s3_bench';
const src = path.join(root, 'src');
const shape = `${P}x${F} of 4000-80000 rows`;
const sluice = path.resolve(build, 'src/sluice/cli/sluice');
const partitionDirs = Array.from({ length: P }, (_, p) => partitionName(p));
// 4,000 to 80,000 rows a file (about 100 KiB to 2 MiB), spread evenly by a stride prime to the range.
const rowsOf = (p, f) => 4000 + (((p * F + f) * 7919) % 76000);

function inputFiles() {
  return partitionDirs.flatMap((d) => fs.readdirSync(path.join(src, d)).map((f) => fs.statSync(path.join(src, d, f)).size));
}

function objects(command, ...rest) {
  execFileSync(server, [command, ...rest], { stdio: ['ignore', 'inherit', 'inherit'] });
}

// CPU seconds the gateway's daemons (children of sluice_s3_bench_server serve, this script's
// parent) have used so far; null when the server is not ours.
const ticks = +execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
function storeCpuSeconds() {
  let total = null;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d))) {
    let stat;
    try { stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');  // from the state on
    if (+fields[1] !== process.ppid || !['radosgw', 'ceph-osd', 'ceph-mon'].includes(comm)) continue;
    total += (+fields[11] + +fields[12]) / ticks;  // utime, stime
  }
  return total;
}

function runSluice(dst, state) {
  const argv = ['compact', `${bucket}in`, dst, '--row-group-rows', '1000000', '--memory', '256MiB',
    '--progress', 'off', '--log-level', 'warn', '--state', state];
  const times = path.join(root, 'time.txt');
  const t0 = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', times, sluice, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`sluice ${argv.join(' ')} failed:\n${run.stdout}${run.stderr}`);
  const [user, sys] = fs.readFileSync(times, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  const m = run.stdout.match(/s3: (\d+) GET, (\d+) HEAD, (\d+) LIST, (\d+) PUT, (\d+) POST, (\d+) DELETE requests \((\d+) retries\)/);
  if (!m) throw new Error(`no request counts in sluice's summary:\n${run.stdout}`);
  const [get, head, list, put, post, del, retries] = m.slice(1).map(Number);
  return { seconds, cpu_seconds: user + sys, requests: { get, head, list, put, post, del, retries } };
}

function runPolars(dst) {
  const run = spawnSync(process.execPath, ['bench/polars_compact_peer.mjs', `${bucket}in`, dst, ...partitionDirs],
    { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`Polars failed:\n${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

// Rows and an order-free hash of all values per partition, read by DuckDB from local files.
async function partitionDigest(c, glob) {
  const r = await c.runAndReadAll(`SELECT regexp_extract(filename, 'date=[0-9-]+') AS p, count(*)::BIGINT AS n,
    sum(hash(ts, user_id, country, url, amount, flag, score))::HUGEINT::VARCHAR AS h
    FROM read_parquet('${glob}', filename = true) GROUP BY p ORDER BY p`);
  return Object.fromEntries(r.getRowObjects().map((row) => [row.p, `${row.n}/${row.h}`]));
}

await generateDataset({ root, shape, partitions: P, files: F, rowsOf, rowGroupRowsOf: (rows) => Math.min(rows, 20000) });
const sizes = inputFiles();
const inputBytes = sizes.reduce((a, b) => a + b, 0);
if (!process.env.SLUICE_BENCH_BUCKET) {
  // The gateway keeps objects in memory and frees a deleted large object only at its garbage
  // collection, hours later (a full store hangs writes): room for the input and every
  // repetition's two outputs.
  const memory = Math.max(4 * 2 ** 30, Math.ceil(inputBytes * (1 + 2 * REPS) * 1.25) + 2 ** 30);
  const run = spawnSync(server, ['serve', '--memory', String(memory), '--', process.execPath, fileURLToPath(import.meta.url), ...args],
    { stdio: 'inherit' });
  if (run.status === 77) console.log('skipped: the test S3 server cannot start here (scripts/deps.sh installs Ceph)');
  process.exit(run.status === 77 ? 0 : run.status ?? 1);
}
const bucket = process.env.SLUICE_BENCH_BUCKET;  // "s3://bench/"
const small = sizes.filter((s) => s < 8 * 2 ** 20).length;
const t0 = Date.now();
objects('upload', src, `${bucket}in`);
console.log(`dataset: ${P} partitions x ${F} files, ${sizes.length} files of ${(Math.min(...sizes) / 1024).toFixed(0)} KiB to ${(Math.max(...sizes) / 2 ** 20).toFixed(2)} MiB (${small} under 8 MiB), ${(inputBytes / 2 ** 20).toFixed(1)} MiB snappy; uploaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const results = { sluice: [], polars: [] };
for (let rep = 0; rep < REPS; rep++) {
  const order = rep % 2 === 0 ? ['sluice', 'polars'] : ['polars', 'sluice'];
  for (const tool of order) {
    const dst = `${bucket}out-${tool}-${rep}`;
    const store0 = storeCpuSeconds();
    const r = tool === 'sluice' ? runSluice(dst, path.join(root, `state-${rep}`)) : runPolars(dst);
    r.store_cpu_seconds = store0 === null ? null : storeCpuSeconds() - store0;
    results[tool].push(r);
    const cpu = `CPU ${r.cpu_seconds.toFixed(1)} s, gateway CPU ${r.store_cpu_seconds?.toFixed(1) ?? 'n/a'} s`;
    console.log(`  rep ${rep + 1} ${tool.padEnd(6)} ${r.seconds.toFixed(2)} s, ${cpu}` +
      (r.requests ? `, ${r.requests.get} GET, ${r.requests.head} HEAD, ${r.requests.list} LIST, ${r.requests.put} PUT, ${r.requests.post} POST, ${r.requests.retries} retries` : ''));
  }
}

const last = REPS - 1, check = path.join(root, 'check');
fs.rmSync(check, { recursive: true, force: true });
for (const tool of ['sluice', 'polars']) objects('download', `${bucket}out-${tool}-${last}`, path.join(check, tool));
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const expected = await partitionDigest(c, `${src}/*/*.parquet`);
const same = {};
for (const tool of ['sluice', 'polars']) {
  const got = await partitionDigest(c, `${check}/${tool}/**/*.parquet`);
  same[tool] = JSON.stringify(got) === JSON.stringify(expected);
  if (!same[tool]) console.log(`  ${tool} outputs differ from the input: ${JSON.stringify(got)} against ${JSON.stringify(expected)}`);
}
fs.rmSync(check, { recursive: true, force: true });
for (let rep = 0; rep < REPS; rep++) fs.rmSync(path.join(root, `state-${rep}`), { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = median(results.sluice.map((r) => r.seconds)), pol = median(results.polars.map((r) => r.seconds));
const cpu = (tool, key) => results[tool][0][key] === null ? 'n/a' : median(results[tool].map((r) => r[key])).toFixed(1);
const q = results.sluice[last].requests, gib = inputBytes / 2 ** 30, perGiB = (n) => (n / gib).toFixed(0);
const getsPerFile = q.get / sizes.length;
console.log('| sluice s | Polars s | speedup | CPU s sluice / Polars | gateway CPU s in their runs | GET/GiB | PUT+POST/GiB | LIST/GiB | HEAD/GiB | GETs/input file | rows and hashes per partition |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
console.log(`| ${s.toFixed(2)} | ${pol.toFixed(2)} | ${(pol / s).toFixed(2)}x | ${cpu('sluice', 'cpu_seconds')} / ${cpu('polars', 'cpu_seconds')} | ${cpu('sluice', 'store_cpu_seconds')} / ${cpu('polars', 'store_cpu_seconds')} | ${perGiB(q.get)} | ${perGiB(q.put + q.post)} | ${perGiB(q.list)} | ${perGiB(q.head)} | ${getsPerFile.toFixed(2)} | sluice ${same.sluice ? 'equal' : 'DIFFER'}, Polars ${same.polars ? 'equal' : 'DIFFER'} |`);
console.log(`targets: speedup >= 3x Polars: ${pol / s >= 3 ? 'met' : 'MISSED'}; GETs per input file (all under 8 MiB) <= 2: ${getsPerFile <= 2 ? 'met' : 'MISSED'}`);
if (!same.sluice || !same.polars) process.exit(1);
