// ReencodeColumnChunk: one output column chunk made anew when its inputs' pages cannot be copied:
// an input widened to the output's type (schema_union.h), or pages the readers of --compat cannot
// read (reader_compat.h). Each input chunk is decoded with our column reader, brought to the
// output's type (array_widening.h; an input that lacks the column gives nulls), and the whole is
// written by our column writer (dictionary, else PLAIN; v1 pages; statistics) in the output codec.
//
// Flat columns only: a nested leaf is NotSupported naming it, as is a column our writer cannot
// store as it is stored (INT96, a decimal as BYTE_ARRAY); a decimal keeps its INT32, INT64 or
// FIXED_LEN_BYTE_ARRAY width. Memory: the decoded values of all
// inputs and the encoded output are held at once; ReencodeWorkBytes estimates them for the
// caller's MemoryGate hold.
//
// Ownership: borrows the inputs' sources and footers for the call. Thread safety: one thread per
// call; the codec is the caller's thread's.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/random_access_source.h"
#include "sluice/io/parquet/schema.h"
#include "sluice/jobs/compact/compaction_plan.h"

namespace sluice::compact {

struct ReencodeInput {
  const InputFile* file = nullptr;
  parquet::RandomAccessSource* source = nullptr;  // null when the file lacks the column
  int row_group = 0;
  int leaf = -1;  // the file's leaf; -1: `rows` nulls
  int64_t rows = 0;
};

// Appends the chunk's pages to `out` as if it began at file offset 0; returns its metadata.
parquet::ColumnChunk ReencodeColumnChunk(const parquet::ColumnDescriptor& column,
                                         std::span<const ReencodeInput> inputs,
                                         parquet::Codec& codec, int64_t max_dictionary_bytes,
                                         std::vector<uint8_t>* out);

// Bytes a re-encoding holds at its peak, from its inputs' uncompressed bytes and rows.
int64_t ReencodeWorkBytes(int64_t uncompressed_bytes, int64_t rows);

}  // namespace sluice::compact
