// Issue 26's benchmark (a) and (b) on one machine: a group-by (or a top-N) run as a staged shuffle job by three
// `sluice worker` processes (as three hosts would run it; here they share the machine's cores and
// a SQLite ledger, and the work directory is local) against the same `sluice groupby` in one
// process. Whole commands, process start included; runs alternate (local, workers, ...), and the
// ratio is the median of the per-pair throughput ratios local time / shuffle time (target >= 0.85).
// Also printed, from the ledger: partitions per stage, ledger transitions (events) per partition,
// and bytes through the work directory (map outputs) per input GB.
//
// Under `sluice_s3_bench_server serve` (SLUICE_BENCH_BUCKET set) the work directory is an s3://
// prefix on the test gateway, and the S3 requests the workers report at exit are printed per
// partition and per GB shuffled (the map outputs' bytes, from the ledger's manifests): the
// issue's benchmark (b).
//
// Usage: node bench/shuffle_vs_local.mjs BUILD_DIR [ROWS=10000000] [FILES=8] [RUNS=3]
//        [QUERY=q3|q10|q8|top100] [MEMORY=1GiB]
// The data is db-benchmark's G1 (bench/g1_table.mjs) cut into FILES files.
import { DuckDBInstance } from '@duckdb/node-api';
import { generateG1 } from './g1_table.mjs';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

const build = process.argv[2] ?? 'build';
const rows = Number(process.argv[3] ?? 10_000_000);
const files = Number(process.argv[4] ?? 8);
const runs = Number(process.argv[5] ?? 3);
const query = process.argv[6] ?? 'q3';
const memory = process.argv[7] ?? '1GiB';
const sluice = process.env.SLUICE || join(build, 'src', 'sluice', 'cli', 'sluice');
const dir = mkdtempSync(join(tmpdir(), 'sluice-shuffle-bench-'));
// Each query: the command and its flags. q8 is db-benchmark's top 2 per group; top100 a global top-N.
const queries = {
  q3: ['groupby', '--by', 'id3', '--agg', 'sum(v1), mean(v3)'],
  q10: ['groupby', '--by', 'id1,id2,id3,id4,id5,id6', '--agg', 'sum(v3), count(*)'],
  q8: ['sort', '--by', 'v3:desc', '--top', '2', '--per', 'id6'],
  top100: ['sort', '--by', 'v3:desc', '--top', '100'],
};
const workers = 3;

function run(args, env = {}) {
  const r = spawnSync(sluice, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`sluice ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function waitAll(children) {
  return Promise.all(children.map((c) => new Promise((resolve, reject) => {
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { out += d; });
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exited ${code}:\n${out}`))));
  })));
}

async function main() {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  const g1 = join(dir, 'G1.parquet');
  await generateG1(connection, g1, rows);
  for (let f = 0; f < files; ++f) {
    const lo = Math.floor((rows * f) / files), hi = Math.floor((rows * (f + 1)) / files);
    await connection.run(`COPY (SELECT * FROM '${g1}' LIMIT ${hi - lo} OFFSET ${lo}) TO '${join(dir, `in-${f}.parquet`)}' (FORMAT parquet)`);
  }
  rmSync(g1);
  const inputs = join(dir, 'in-*.parquet');
  const inputBytes = readdirSync(dir).filter((n) => n.startsWith('in-')).reduce((s, n) => s + statSync(join(dir, n)).size, 0);
  // The one process gets the machine's cores. The three workers stand for three hosts sharing
  // them, so each gets its share of the cores (at least one) and one task at a time: with each
  // taking the whole machine (a worker's defaults), three workers ran 6 tasks of 2 threads on 2
  // cores, and the oversubscription's contention and fresh memory, not the shuffle, set the time.
  const cores = availableParallelism();
  const threadsEach = Math.max(1, Math.floor(cores / workers));
  const ratios = [], locals = [], shuffles = [];
  let stats = '';
  for (let r = 0; r < runs; ++r) {
    const localOut = join(dir, 'local.parquet');
    let t = performance.now();
    const [command, ...flags] = queries[query];
    run([command, inputs, ...flags, '-o', localOut, '--memory', memory, '--threads', String(cores)]);
    const local = (performance.now() - t) / 1000;
    const ledger = `sqlite:${join(dir, `ledger-${r}.db`)}`;
    const out = join(dir, `shuffle-${r}.parquet`);
    t = performance.now();
    const bucket = process.env.SLUICE_BENCH_BUCKET;
    const work = bucket ? ['--work-dir', `${bucket}work-${r}`] : [];
    run([command, inputs, ...flags, '-o', out, '--submit', '--ledger', ledger, '--map-size', '1KiB', ...work]);
    const children = [];
    for (let w = 0; w < workers; ++w) {
      children.push(spawn(sluice, ['worker', '--any', '--ledger', ledger, '--memory', memory,
        '--threads', String(threadsEach), '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    }
    const outputs = await waitAll(children);
    const shuffled = (performance.now() - t) / 1000;
    locals.push(local); shuffles.push(shuffled); ratios.push(local / shuffled);
    const reader = await connection.run(
      `SELECT (SELECT count(*) FROM '${localOut}') AS a, (SELECT count(*) FROM '${out}') AS b`);
    const [[a, b]] = await reader.getRows();
    if (a !== b) throw new Error(`row counts differ: local ${a}, shuffle ${b}`);
    if (command === 'sort') {  // a top-N's rows are one process's exactly (ties included)
      const diff = await connection.run(`SELECT count(*) FROM ((SELECT * FROM '${localOut}' EXCEPT ALL ` +
        `SELECT * FROM '${out}') UNION ALL (SELECT * FROM '${out}' EXCEPT ALL SELECT * FROM '${localOut}'))`);
      const [[n]] = await diff.getRows();
      if (Number(n) !== 0) throw new Error(`${n} rows differ between one process and the job`);
    }
    if (r === 0) stats = ledgerStats(ledger, bucket ? s3Requests(outputs) : null);
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  console.log(`${queries[query][0]} ${query} on ${rows} rows in ${files} files (${(inputBytes / 2 ** 20).toFixed(0)} MiB), --memory ${memory}`);
  console.log(`one process: ${median(locals).toFixed(2)} s; shuffle job, ${workers} workers: ${median(shuffles).toFixed(2)} s`);
  console.log(`throughput ratio shuffle/local: ${median(ratios).toFixed(2)}x (pairs: ${ratios.map((x) => x.toFixed(2)).join(', ')}; target >= 0.85)`);
  console.log(stats);
  rmSync(dir, { recursive: true, force: true });
}

// The S3 requests of the workers, summed from the line each prints at exit.
function s3Requests(outputs) {
  const sum = { GET: 0, HEAD: 0, LIST: 0, PUT: 0, POST: 0, DELETE: 0 };
  for (const out of outputs) {
    const line = out.split('\n').find((l) => l.startsWith('s3: '));
    if (!line) continue;
    for (const kind of Object.keys(sum)) {
      const m = line.match(new RegExp(`(\\d+) ${kind}\\b`));
      if (m) sum[kind] += Number(m[1]);
    }
  }
  return sum;
}

// Partitions per stage and ledger events (each a transition: claim, complete, ...) per partition;
// with `s3` (request counts), S3 requests per partition and per GB the map stage wrote.
function ledgerStats(url, s3) {
  const path = url.slice('sqlite:'.length);
  const q = (sql) => spawnSync('sqlite3', [path, sql], { encoding: 'utf8' }).stdout.trim();
  const stages = q("SELECT substr(key, 1, instr(key, '/') - 1) || ' ' || count(*) || ' (' || " +
    "printf('%.2f', (max(finished_at) - min(started_at)) / 1e3) || ' s)' " +
    "FROM partitions GROUP BY substr(key, 1, instr(key, '/') - 1) ORDER BY min(id)");
  const events = Number(q('SELECT count(*) FROM events'));
  const partitions = Number(q('SELECT count(*) FROM partitions'));
  let text = `partitions per stage: ${stages.split('\n').join(', ')}; ledger events per partition: ${(events / partitions).toFixed(1)}`;
  if (s3) {
    const bytes = Number(q("SELECT sum(json_extract(output_manifest, '$.bytes')) FROM partitions WHERE key LIKE 'map/%'"));
    const total = Object.values(s3).reduce((a, b) => a + b, 0);
    const per = (n) => `${(n / partitions).toFixed(1)} per partition, ${(n / (bytes / 2 ** 30)).toFixed(0)} per GB`;
    text += `\nS3 requests, ${(bytes / 2 ** 20).toFixed(0)} MiB shuffled: ${total} (${per(total)}); ` +
      Object.entries(s3).map(([k, n]) => `${k} ${n} (${per(n)})`).join(', ');
  }
  return text;
}

main().catch((e) => { console.error(e); process.exit(1); });
