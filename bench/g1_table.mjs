// db-benchmark's G1 table (K = 100: id1/id2/id4/id5 take 100 values, id3/id6 rows/100), generated
// by DuckDB from a fixed seed into a Parquet file, so every benchmark reads the same data.
// id6 is an SQL expression: uniform by default, or skewed (e.g. a Zipf-like one) where a
// benchmark wants it. nullPercent > 0 makes that share of every column but the first NULL, like
// db-benchmark's G1_1e7_1e2_5_0.
export const K = 100;

export async function generateG1(connection, target, rows, { id6, nullPercent = 0, seed = 0.42 } = {}) {
  const id6Expr = id6 ?? `(1 + floor(random() * ${rows / K}))::INT`;
  const maybeNull = (expr) =>
    nullPercent > 0 ? `CASE WHEN random() < ${nullPercent / 100} THEN NULL ELSE ${expr} END` : expr;
  await connection.run(`SELECT setseed(${seed})`);
  await connection.run(`COPY (SELECT
      'id' || lpad((1 + floor(random() * ${K}))::INT::VARCHAR, 3, '0') AS id1,
      ${maybeNull(`'id' || lpad((1 + floor(random() * ${K}))::INT::VARCHAR, 3, '0')`)} AS id2,
      ${maybeNull(`'id' || lpad((1 + floor(random() * ${rows / K}))::INT::VARCHAR, 10, '0')`)} AS id3,
      ${maybeNull(`(1 + floor(random() * ${K}))::INT`)} AS id4,
      ${maybeNull(`(1 + floor(random() * ${K}))::INT`)} AS id5,
      ${maybeNull(id6Expr)} AS id6,
      ${maybeNull('(1 + floor(random() * 5))::INT')} AS v1,
      ${maybeNull('(1 + floor(random() * 15))::INT')} AS v2,
      ${maybeNull('round(random() * 100, 6)::DOUBLE')} AS v3
    FROM range(${rows})) TO '${target}' (FORMAT parquet)`);
}
