// PageIndexBuilder: collects a column chunk's page index while its data pages are written, one
// AddPage per data page (dictionary pages are not indexed): the OffsetIndex entry (file offset,
// stored size with header, first row within the row group) and the ColumnIndex entry (null
// page flag, min and max as the chunk statistics compute them in writer_statistics.h, null
// count, and NaN count for FLOAT/DOUBLE). Finish adds the boundary order: ASCENDING when the
// non-null pages' mins and maxes both never decrease, else DESCENDING when both never increase,
// else UNORDERED.
//
// Per parquet.thrift, a chunk with a page whose values are all NaN gets no ColumnIndex (its
// bounds cannot be written under the type-defined order); its OffsetIndex is still written.
//
// Thread safety: one thread at a time; Reset makes it reusable for the next chunk.
#pragma once

#include <cstdint>

#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/page_index.h"
#include "sluice/io/parquet/writer_schema.h"

namespace sluice::parquet {

class PageIndexBuilder {
 public:
  void Reset(const WriterColumn& column);

  // One data page. `stats` are the page's (writer_statistics.h), `values` its non-null values
  // (NaN included) and `nans` how many of them are NaN.
  void AddPage(const PageLocation& location, const Statistics& stats, int64_t values, int64_t nans);

  // The chunk's index; the builder is empty afterwards.
  ColumnPageIndex Finish();

 private:
  const WriterColumn* column_ = nullptr;
  OffsetIndex offset_index_;
  ColumnIndex column_index_;
  bool column_index_valid_ = true;
};

}  // namespace sluice::parquet
