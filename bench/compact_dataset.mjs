// The compaction benchmarks' input: hive partitions (date=2026-01-01, ...) of small Parquet files
// of click events written by DuckDB (snappy), so that sluice and its peers read files that none
// of them wrote. Seeds make every file's values differ; rows are numbered across the dataset so
// timestamps never repeat.
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';

export const partitionName = (p) => `date=2026-01-${String(p + 1).padStart(2, '0')}`;

// Writes root/src/<partition>/part-NNN.parquet: `partitions` x `files` files of rowsOf(p, f)
// rows in row groups of rowGroupRowsOf(rows). Kept while root/shape holds `shape`, so a rerun of
// the same shape reuses the files.
export async function generateDataset({ root, shape, partitions, files, rowsOf, rowGroupRowsOf }) {
  const marker = path.join(root, 'shape');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === shape) return;
  fs.rmSync(root, { recursive: true, force: true });
  const t0 = Date.now();
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  let firstRow = 0;
  for (let p = 0; p < partitions; p++) {
    const dir = path.join(root, 'src', partitionName(p));
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < files; f++) {
      const rows = rowsOf(p, f), seed = p * 1000 + f;
      await c.run(`COPY (SELECT make_timestamp(1767225600000000 + (${firstRow} + i) * 1000) AS ts,
        (hash(i * 7 + ${seed}) % 1000000)::BIGINT AS user_id,
        ['us','de','fr','jp','br','in','mx','uk'][1 + ((i + ${seed}) % 8)::INTEGER] AS country,
        'https://example.com/product/' || (hash(i + ${seed}) % 5000)::VARCHAR || '/details' AS url,
        ((hash(i * 3 + ${seed}) % 100000) / 100.0)::DOUBLE AS amount,
        CASE WHEN i % 11 = 0 THEN NULL ELSE hash(i + ${seed}) % 2 = 0 END AS flag,
        CASE WHEN i % 13 = 0 THEN NULL ELSE (hash(i * 5 + ${seed}) % 100000)::INTEGER END AS score
        FROM range(${rows}) t(i)) TO '${dir}/part-${String(f).padStart(3, '0')}.parquet'
        (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${rowGroupRowsOf(rows)})`);
      firstRow += rows;
    }
  }
  fs.writeFileSync(marker, shape);
  console.log(`generated ${shape} with DuckDB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
