// Issue 17's benchmark: each operator as a whole `sluice` command on db-benchmark's G1 table,
// Parquet in and out, at --memory 256MiB and 1GiB, beside DuckDB doing the same work with
// memory_limit equal to the budget and the same threads, each in a fresh process, alternated.
// Prints, per operator and budget, the medians of both engines' peak RSS and time, sluice's RSS
// over its budget, and whether it kept the target RSS <= 1.25 x budget + 64 MiB.
// Usage: node bench/memory_vs_duckdb.mjs BUILD_DIR [ROWS=10000000] [THREADS=2] [RUNS=3]
//        [BUDGETS=256MiB,1GiB]
import { DuckDBInstance } from '@duckdb/node-api';
import { generateG1 } from './g1_table.mjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const build = process.argv[2] ?? 'build';
const rows = Number(process.argv[3] ?? 10_000_000);
const threads = Number(process.argv[4] ?? 2);
const runs = Number(process.argv[5] ?? 3);
const budgets = (process.argv[6] ?? '256MiB,1GiB').split(',');
const sluice = join(build, 'src', 'sluice', 'cli', 'sluice');
const peer = join(dirname(fileURLToPath(import.meta.url)), 'duckdb_peer.mjs');
const dir = mkdtempSync(join(tmpdir(), 'sluice-memory-bench-'));
const g1 = join(dir, 'G1.parquet');
const shuffled = join(dir, 'G1-shuffled.parquet');
const small = join(dir, 'small.parquet');
const out = join(dir, 'out.parquet');
const all = 'id1, id2, id3, id4, id5, id6, v1, v2, v3';
const read = (p, alias = 'x') => `read_parquet('${p}') AS ${alias}`;
const copy = (sql) => `COPY (${sql}) TO '${out}' (FORMAT parquet)`;

// name, sluice arguments, DuckDB's statement.
const operators = [
  ['groupby 100 groups', ['groupby', g1, '--by', 'id1', '--agg',
    'sum(v1), mean(v3), median(v3), count_distinct(id3), first(v2), last(v2)'],
    copy(`SELECT id1, sum(v1), avg(v3), median(v3), count(DISTINCT id3), first(v2), last(v2)
          FROM ${read(g1)} GROUP BY id1`)],
  ['groupby all keys (q10)', ['groupby', g1, '--by', 'id1,id2,id3,id4,id5,id6', '--agg',
    'sum(v3), count(*)'],
    copy(`SELECT id1, id2, id3, id4, id5, id6, sum(v3), count(*) FROM ${read(g1)}
          GROUP BY id1, id2, id3, id4, id5, id6`)],
  ['distinct by 4 columns', ['distinct', g1, '--by', 'id1,id2,id4,id5'],
    copy(`SELECT DISTINCT id1, id2, id4, id5 FROM ${read(g1)}`)],
  ['distinct rows', ['distinct', g1], copy(`SELECT DISTINCT * FROM ${read(g1)}`)],
  ['sort by v3', ['sort', g1, '--by', 'v3'], copy(`SELECT * FROM ${read(g1)} ORDER BY v3`)],
  ['top 2 v3 per id6', ['sort', g1, '--by', 'v3:desc', '--top', '2', '--per', 'id6'],
    copy(`SELECT * FROM ${read(g1)}
          QUALIFY row_number() OVER (PARTITION BY id6 ORDER BY v3 DESC) <= 2`)],
  ['join 100k-row build side', ['join', g1, small, '--on', 'id3'],
    copy(`SELECT * FROM ${read(g1)} JOIN ${read(small, 'y')} USING (id3)`)],
  ['join 10M x 10M', ['join', g1, shuffled, '--on', all.replaceAll(' ', '')],
    copy(`SELECT * FROM ${read(g1)} JOIN ${read(shuffled, 'y')} USING (${all})`)],
];

const bytes = (text) => {
  const m = /^([\d.]+)\s*(KiB|MiB|GiB)$/.exec(text);
  return Number(m[1]) * { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[m[2]];
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (b) => `${(b / 1024 ** 2).toFixed(0)} MiB`;

function runSluice(args, budget) {
  const stats = join(dir, 'time.txt');
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', stats, sluice, ...args, '-o', out,
    '--memory', budget, '--threads', String(threads), '--progress', 'off', '--log-level', 'error']);
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`sluice ${args.join(' ')} failed: ${r.stderr}`);
  return { seconds, rss: Number(readFileSync(stats, 'utf8').trim()) * 1024 };
}

function runDuckDB(sql, budget) {
  const limit = `${Math.round(bytes(budget) / 1024 ** 2)}MiB`;
  const text = execFileSync('node', [peer, String(threads), limit, sql], { maxBuffer: 1 << 20 });
  const r = JSON.parse(text.toString());
  return { seconds: r.seconds, rss: r.max_rss_bytes };
}

try {
  const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const c = await db.connect();
  await generateG1(c, g1, rows);
  await c.run(`COPY (SELECT * FROM ${read(g1)} ORDER BY hash(id3, v3)) TO '${shuffled}'
               (FORMAT parquet)`);
  await c.run(`COPY (SELECT 'id' || lpad((1 + i)::VARCHAR, 10, '0') AS id3, i AS k, i * 0.5 AS w
               FROM range(${Math.max(1, Math.floor(rows / 100))}) t(i)) TO '${small}'
               (FORMAT parquet)`);
  console.log(`G1 ${rows} rows, ${threads} threads, medians of ${runs} alternated runs; ` +
      'RSS target: 1.25 x budget + 64 MiB');
  console.log(['operator'.padEnd(26), 'budget'.padEnd(7), 'sluice s', 'DuckDB s', 'time ratio',
    'sluice RSS', 'RSS/budget', 'target', 'DuckDB RSS (incl. Node.js)'].join('  '));
  let broken = 0;
  for (const budget of budgets) {
    for (const [name, args, sql] of operators) {
      const ours = [], theirs = [];
      for (let run = 0; run < runs; ++run) {
        ours.push(runSluice(args, budget));
        theirs.push(runDuckDB(sql, budget));
      }
      const rss = median(ours.map((o) => o.rss));
      const target = 1.25 * bytes(budget) + 64 * 1024 ** 2;
      const worst = Math.max(...ours.map((o) => o.rss));
      const ok = worst <= target;
      if (!ok) ++broken;
      const ratio = median(ours.map((o, i) => o.seconds / theirs[i].seconds));
      console.log([name.padEnd(26), budget.padEnd(7),
        median(ours.map((o) => o.seconds)).toFixed(2).padStart(8),
        median(theirs.map((t) => t.seconds)).toFixed(2).padStart(8),
        `${ratio.toFixed(2)}x`.padStart(10), mib(rss).padStart(10),
        `${(rss / bytes(budget)).toFixed(2)}x`.padStart(10),
        (ok ? 'ok' : `OVER (${mib(worst)})`).padStart(6),
        mib(median(theirs.map((t) => t.rss))).padStart(10)].join('  '));
    }
  }
  console.log(`${broken} operator-budget pairs over the RSS target`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
