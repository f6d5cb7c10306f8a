// IndexCopiedPages: the page index (page_index.h) of a column chunk already written, computed from
// its page headers alone, for chunks whose pages were copied rather than encoded by us (the
// compaction's concatenation), where no PageIndexBuilder saw the values.
//
// The OffsetIndex needs only each data page's offset, stored size and first row: the row count of
// a v2 page is in its header, a v1 page of a flat column holds one row per value; a v1 page of a
// repeated (nested) column does not say how many rows it holds, so such a chunk gets no page index
// at all. The ColumnIndex needs each page's min and max: it is written only when every data page's
// header carries statistics with min_value/max_value (or, for a page of nulls only, a null count
// equal to its values); the deprecated min/max fields are not used, their order is unreliable.
// Its boundary order is UNORDERED (true of any chunk); its null counts come from the headers.
//
// Thread safety: a pure function; `read` is called from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "sluice/io/parquet/metadata.h"
#include "sluice/io/parquet/page_index.h"

namespace sluice::parquet {

// Reads `out.size()` bytes of the file at `offset`.
using ReadBytesAt = std::function<void(int64_t offset, std::span<uint8_t> out)>;

// The index of the chunk described by `meta` (offsets final, in the file `read` reads). `repeated`:
// the column has a repetition level. InvalidData when a header does not decode or the pages do
// not fill the chunk.
ColumnPageIndex IndexCopiedPages(const ColumnMetaData& meta, bool repeated,
                                 const ReadBytesAt& read);

}  // namespace sluice::parquet
