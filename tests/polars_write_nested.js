// Writes Parquet files with nested columns using Polars (nodejs-polars), for
// tests/compact_nested_duckdb_test.cc: lists of strings (null and empty lists, null elements),
// lists of structs, lists of lists, and a struct holding a list, with nulls at every level. Each
// file's rows differ (ids and strings from its index), so that dictionaries differ between files.
//
// Usage: node tests/polars_write_nested.js OUT_DIR FILES ROWS
const pl = require('nodejs-polars');

const [outDir, files, rows] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];

function row(id, salt) {
  const k = id % 7;
  return {
    id,
    tags: k === 0 ? null : k === 1 ? [] : [`t${(id + salt) % 13}`, k === 2 ? null : `u${salt}`],
    points: k === 3 ? null : Array.from({length: k % 3}, (_, j) => ({x: id + j / 4, y: j})),
    nested: k === 4 ? null : [[id, id + 1], k === 5 ? [] : [id * 2]],
    rec: k === 6 ? null : {name: `n${(id * 3 + salt) % 11}`, scores: k === 2 ? null : [k, id % 5]},
  };
}

for (let f = 0; f < files; ++f) {
  const records = Array.from({length: rows}, (_, i) => row(f * rows + i, f));
  // Polars' JSON reader builds the nested types (its DataFrame constructor cannot make lists of
  // structs from objects).
  const lines = records.map((r) => JSON.stringify(r)).join('\n');
  const df = pl.readJSON(Buffer.from(lines), {format: 'lines'});
  df.writeParquet(`${outDir}/f${f}.parquet`);
}
