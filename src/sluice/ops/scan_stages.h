// ScanStages: a TableScan as the first stages of a pipeline, shared by every operator that
// consumes a table (group-by, sort, top-N): "row groups" (the units) -> "read" (a FlatMap that
// reads each unit's pieces) -> "parse" (a FlatMap that turns pieces into batches), so one big
// CSV file is read by one task and parsed by many. The stream carries each batch's stream
// position, which first()/last() and stable sorts order by.
//
// Thread safety: the scan must outlive the pipeline's run; Read and Parse are thread-safe.
#pragma once

#include <cstdint>
#include <utility>

#include "sluice/flow/pipeline.h"
#include "sluice/ops/table_scan.h"

namespace sluice {

struct PositionedBatch {
  RecordBatch batch;
  int64_t position = 0;
};
inline int64_t ByteSize(const PositionedBatch& b) { return ByteSize(b.batch); }

// Only the given units of the scan (a late gather that reads back the row groups it needs).
inline Stream<PositionedBatch> ScanStages(Pipeline& pipeline, const TableScan& scan,
                                          std::vector<ScanUnit> units) {
  return pipeline.Source("row groups", std::move(units))
      .FlatMap("read",
               [&scan](const ScanUnit& unit, Emitter<ScanPiece>& out) {
                 scan.ReadPieces(unit, [&out](ScanPiece piece) { out.Emit(std::move(piece)); });
               })
      .FlatMap("parse", [&scan](ScanPiece piece, Emitter<PositionedBatch>& out) {
        scan.Parse(piece, [&out](RecordBatch b, int64_t position) {
          out.Emit(PositionedBatch{std::move(b), position});
        });
      });
}

inline Stream<PositionedBatch> ScanStages(Pipeline& pipeline, const TableScan& scan) {
  return ScanStages(pipeline, scan, scan.units());
}

}  // namespace sluice
