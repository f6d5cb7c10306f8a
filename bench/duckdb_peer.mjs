// Runs one SQL statement in a fresh DuckDB process and prints what the memory benchmark compares:
// the statement's seconds, timed inside the process after the connection opens (Node.js start-up
// is not counted against DuckDB), and the process's peak RSS (Node.js included).
// Usage: node bench/duckdb_peer.mjs THREADS MEMORY_LIMIT SQL   (MEMORY_LIMIT e.g. 256MB, or "")
// Prints one line of JSON: {"seconds": S, "max_rss_bytes": B}.
import { DuckDBInstance } from '@duckdb/node-api';

const [threads, memoryLimit, sql] = process.argv.slice(2);
const config = { threads: String(threads) };
if (memoryLimit) config.memory_limit = memoryLimit;
const db = await DuckDBInstance.create(':memory:', config);
const c = await db.connect();
const start = performance.now();
await c.run(sql);
const seconds = (performance.now() - start) / 1000;
const maxRss = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({ seconds, max_rss_bytes: maxRss }));
