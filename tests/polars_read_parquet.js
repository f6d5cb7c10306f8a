// Reads Parquet files with Polars (nodejs-polars) and writes what it read as JSON, for
// tests/parquet_polars_test.cc to compare with what sluice wrote. Every value becomes text both
// sides can produce exactly: integers, dates and timestamps as their integer (cast in Polars, so
// 64-bit values stay exact), floats as the hex bits of the float64 Polars hands out ("nan" for
// any NaN), strings as they are, binary as hex (cast to List(UInt8) in Polars: nodejs-polars
// cannot hand out binary values), decimals as Polars prints them; nulls as null.
//
// Usage: node tests/polars_read_parquet.js OUT.json FILE.parquet...
const fs = require('node:fs');
const pl = require('nodejs-polars');

function floatBits(value) {
  if (Number.isNaN(value)) return 'nan';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0).toString(16);
}

function readColumn(df, name) {
  let dtype;
  try {
    dtype = String(df.getColumn(name).dtype);
  } catch (error) {
    if (!/Binary/.test(error.message)) throw error;
    dtype = 'DataType(Binary)';
  }
  const select = (expr) => df.select(expr).getColumn(name).toArray();
  const col = pl.col(name);
  let values;
  if (/Binary/.test(dtype)) {
    values = select(col.cast(pl.List(pl.UInt8)))
        .map((v) => v === null ? null : Array.from(v, (b) => b.toString(16).padStart(2, '0')).join(''));
  } else if (/Float/.test(dtype)) {
    values = select(col.cast(pl.Float64)).map((v) => v === null ? null : floatBits(v));
  } else if (/Date\b|Date\)/.test(dtype) && !/Datetime/.test(dtype)) {
    values = select(col.cast(pl.Int32).cast(pl.Utf8));
  } else if (/Datetime/.test(dtype)) {
    values = select(col.cast(pl.Int64).cast(pl.Utf8));
  } else {
    values = select(col.cast(pl.Utf8));
  }
  return { name, dtype, values };
}

const [out, ...files] = process.argv.slice(2);
const result = files.map((path) => {
  const df = pl.readParquet(path);
  return { path, rows: df.height, columns: df.columns.map((name) => readColumn(df, name)) };
});
fs.writeFileSync(out, JSON.stringify(result));
