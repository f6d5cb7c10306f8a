// Writes one Parquet file with Polars (nodejs-polars) for tests/compact_evolution_duckdb_test.cc:
// the newest file of an evolving partition, whose columns come in its own order (id, note, v,
// flag, rec), with a large-string column (Polars' strings), a boolean and a struct other files
// lack. Rows: ids from FIRST on, nulls every seventh row.
//
// Usage: node tests/polars_write_evolving.js OUT_FILE FIRST ROWS
const pl = require('nodejs-polars');

const [out, first, rows] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const records = Array.from({length: rows}, (_, i) => {
  const id = first + i;
  return {
    id,
    note: id % 7 === 0 ? null : `note ${id % 23}`,
    v: id / 4,
    flag: id % 3 === 0,
    rec: id % 5 === 0 ? null : {a: id * 10, b: `b${id % 4}`},
  };
});
// Polars' JSON reader builds the struct column.
const lines = records.map((r) => JSON.stringify(r)).join('\n');
const df = pl.readJSON(Buffer.from(lines), {format: 'lines'});
df.select('id', 'note', 'v', 'flag', 'rec').writeParquet(out);
