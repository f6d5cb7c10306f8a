// DuckDB's side of the bloom benchmark: count(*) and bit_xor(hash(email)) over read_csv of the
// same files with the same thread count (parse + hash every email, the work `sluice bloom` does
// before inserting). Prints "seconds S rows N". Usage: node bench/bloom_duckdb.mjs GLOB THREADS
import { DuckDBInstance } from '@duckdb/node-api';

const glob = process.argv[2];
const threads = process.argv[3] ?? '2';
const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const c = await db.connect();
const start = performance.now();
const result = await c.runAndReadAll(
    `SELECT count(*), bit_xor(hash(email)) FROM read_csv('${glob}', header = true)`);
const seconds = (performance.now() - start) / 1000;
const rows = result.getRows()[0][0];
console.log(`seconds ${seconds.toFixed(3)} rows ${rows}`);
