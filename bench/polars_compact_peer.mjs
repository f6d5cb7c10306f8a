// Polars' side of the compaction benchmarks: per hive partition, all of the partition's input
// files read and written as one output file with row groups of 1,000,000 rows (snappy), where the
// URLs point: local paths or s3:// with the endpoint and keys of the environment.
// Usage: node bench/polars_compact_peer.mjs SRC DST PARTITION...
// Prints one line of JSON: {"seconds": S, "cpu_seconds": C, "max_rss_bytes": B}; seconds (and
// the CPU time of all of the process's threads) are measured inside the process after Polars is
// loaded, as bench/duckdb_peer.mjs times DuckDB.
import pl from 'nodejs-polars';

const [src, dst, ...partitions] = process.argv.slice(2);
const env = process.env;
// Polars' object store reads AWS_ACCESS_KEY_ID and friends by itself, but a loopback gateway
// also needs plain HTTP and path-style URLs: the same endpoint and keys, passed explicitly.
const cloudOptions = [src, dst].some((url) => url.startsWith('s3://')) ? {
  aws_access_key_id: env.AWS_ACCESS_KEY_ID,
  aws_secret_access_key: env.AWS_SECRET_ACCESS_KEY,
  aws_region: env.AWS_REGION || 'us-east-1',
  ...(env.AWS_ENDPOINT_URL ? {
    aws_endpoint_url: env.AWS_ENDPOINT_URL,
    aws_allow_http: 'true',
    aws_virtual_hosted_style_request: 'false',
  } : {}),
} : undefined;
const start = performance.now(), cpu = process.cpuUsage();
for (const p of partitions) {
  await pl.scanParquet(`${src}/${p}/*.parquet`, { cloudOptions })
    .sinkParquet(`${dst}/${p}.parquet`, { rowGroupSize: 1000000, compression: 'snappy', cloudOptions })
    .collect();
}
const seconds = (performance.now() - start) / 1000;
const used = process.cpuUsage(cpu), cpuSeconds = (used.user + used.system) / 1e6;
console.log(JSON.stringify({ seconds, cpu_seconds: cpuSeconds, max_rss_bytes: process.resourceUsage().maxRSS * 1024 }));
