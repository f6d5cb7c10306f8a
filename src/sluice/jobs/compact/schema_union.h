// The output schema of one partition, from its input files' footers, and how each file's column
// chunks reach it.
//
// By name (--union-by-name, the default): top-level fields are matched by name (exactly, case
// included). The output holds every field of every file: first the newest file's, in its order,
// then those only older files have, newest file first. "Newest" is the latest modification time
// as listed (local files; ties, and S3 listings, which carry none here, go to the later path).
//   - A flat field may differ between files by a compatible widening: integers to more bits
//     (int8 -> int16 -> int32 -> int64, unsigned to a wider signed or a wider unsigned), FLOAT to
//     DOUBLE, a decimal to a larger precision of the same scale; the output takes the widest
//     file's element (the newest of equals). A string and a large string are one Parquet type.
//     Anything else (a string against an integer, another decimal scale, another timestamp
//     unit) is InvalidData naming both files, the column and both types.
//   - A nested field must agree in every file that has it, as in the strict mode below.
//   - A field some files lack is null there: the output leaf is OPTIONAL (a nested field must
//     already be OPTIONAL at the top, else InvalidData), and those files' chunks are made of
//     nulls (null_column_chunk.h) without reading anything.
//   - A file whose leaf has the output's physical type, length and repetition is copied page by
//     page (an int8 stored as INT32 is a valid int16); one whose leaf differs (INT32 against
//     INT64, FLOAT against DOUBLE, REQUIRED against OPTIONAL) is decoded and re-encoded.
// Strict (--no-union-by-name): every file must have the first file's leaf columns (by path, in
// any order) with the same physical type, length, repetition and logical/converted type, a
// nested leaf also under groups of the same names, repetitions and annotations; a difference is
// InvalidData naming both files and the column.
//
// Thread safety: pure function.
#pragma once

#include <memory>
#include <vector>

#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/schema.h"
#include "sluice/jobs/compact/compaction_plan.h"

namespace sluice::compact {

struct UnifiedSchema {
  std::vector<parquet::SchemaElement> elements;  // the output's schema list
  std::shared_ptr<const parquet::ParquetSchema> columns;
  // [file][output column]: that file's leaf index for the column, -1 where it lacks the column.
  std::vector<std::vector<int>> column_map;
  // [file][output column]: that file's chunks of the column must be decoded and re-encoded.
  std::vector<std::vector<bool>> reencode;
};

UnifiedSchema UnifySchemas(const std::vector<InputFile>& files, bool by_name);

}  // namespace sluice::compact
