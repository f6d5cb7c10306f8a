// The footer statistics of a Parquet column chunk as a Predicate reads them (ColumnStatistics in
// the sluice column's comparison domain), so a scan can skip row groups no row of which passes.
// Only what is certain is given: min and max when the column's physical values are its sluice
// values (or a widening of them) in a defined order, else just the row and null counts.
//
// Thread safety: a pure function.
#pragma once

#include <optional>

#include "sluice/io/parquet/footer.h"
#include "sluice/ops/predicate.h"

namespace sluice {

// `leaf` is the column chunk's index in the row group; `type` the sluice type it reads as.
std::optional<ColumnStatistics> ParquetColumnStatistics(const parquet::ParquetFooter& footer,
                                                        int row_group, int leaf,
                                                        const DataType& type);

}  // namespace sluice
