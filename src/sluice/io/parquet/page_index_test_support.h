// Test support: checks a column chunk's page index against the chunk's pages as the page
// iterator finds them, so the reading tests (files from other writers) and the writing tests
// (our files) hold every index to the same rules.
//
// Thread safety: one thread; reports through GoogleTest assertions.
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/io/parquet/footer.h"
#include "sluice/io/parquet/page_index.h"
#include "sluice/io/parquet/random_access_source.h"

namespace sluice::parquet::testing {

// One data page of a chunk as the iterator found it.
struct IndexedPage {
  int64_t first_row = 0;
  int64_t rows = 0;    // -1 when unknown (a v1 page of a repeated column)
  int64_t values = 0;  // level count, nulls included
  bool v2 = false;
};

// Reads the chunk's pages and expects: one OffsetIndex entry per data page, in page order, each
// at its page header's file offset and sized header plus stored bytes; first_row_index starting
// at 0 and growing by each page's rows (where pages say their rows); a ColumnIndex, when there
// is one, with one entry per page, min <= max on non-null pages in the column's order, and its
// boundary_order true of the mins and maxes. Returns the data pages.
std::vector<IndexedPage> ExpectPageIndexMatchesPages(RandomAccessSource& source,
                                                     const ParquetFooter& footer, int row_group,
                                                     int column, const ColumnPageIndex& index);

}  // namespace sluice::parquet::testing
