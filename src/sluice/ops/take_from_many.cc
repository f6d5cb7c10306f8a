#include "sluice/ops/take_from_many.h"

#include <vector>

#include "sluice/base/check.h"
#include "sluice/table/concat.h"
#include "sluice/table/take.h"

namespace sluice {

Array TakeFromMany(std::span<const Array* const> arrays, std::span<const SourceRow> rows) {
  SLUICE_CHECK(!arrays.empty());
  std::vector<std::vector<int64_t>> picks(arrays.size());
  std::vector<int64_t> order(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<int64_t>& pick = picks[rows[i].source];
    order[i] = static_cast<int64_t>(pick.size());
    pick.push_back(rows[i].row);
  }
  std::vector<Array> pieces;
  std::vector<int64_t> first(arrays.size(), 0);
  int64_t gathered = 0;
  for (size_t s = 0; s < arrays.size(); ++s) {
    first[s] = gathered;
    if (picks[s].empty()) continue;
    pieces.push_back(Take(*arrays[s], picks[s]));
    gathered += static_cast<int64_t>(picks[s].size());
  }
  if (pieces.empty()) return Take(*arrays[0], {});
  if (pieces.size() == 1) return pieces[0];  // one source, its rows already in order
  for (size_t i = 0; i < rows.size(); ++i) order[i] += first[rows[i].source];
  return Take(ConcatArrays(pieces), order);
}

}  // namespace sluice
