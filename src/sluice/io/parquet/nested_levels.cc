#include "sluice/io/parquet/nested_levels.h"

#include "sluice/base/error.h"

namespace sluice::parquet {
namespace {

class Striper {
 public:
  Striper(const std::vector<int>& steps, LeafLevels* out) : steps_(steps), out_(out) {}

  // Row `i` of `a`, reached at definition level `def` and repetition level `rep`, below `lists`
  // enclosing lists, `depth` steps down.
  void Walk(const Array& a, int64_t i, size_t depth, bool nullable, int16_t def, int16_t rep,
            int16_t lists) {
    if (a.IsNull(i)) {
      if (!nullable) throw InvalidArgument("a non-nullable field holds a null");
      Emit(def, rep);
      return;
    }
    if (nullable) ++def;
    if (depth == steps_.size()) {
      Emit(def, rep);
      out_->present.push_back(i);
      return;
    }
    const DataType& type = a.type();
    const int k = steps_[depth];
    if (type.id() == TypeId::kStruct) {
      Walk(a.child(k), a.offset() + i, depth + 1, type.field(k).nullable, def, rep, lists);
      return;
    }
    const int64_t n = a.ValueLength(i);
    if (n == 0) {
      Emit(def, rep);
      return;
    }
    const int16_t inner = static_cast<int16_t>(lists + 1);
    const int64_t begin = a.ValueBegin(i);
    for (int64_t j = 0; j < n; ++j) {
      const int16_t r = j == 0 ? rep : inner;
      const auto d = static_cast<int16_t>(def + 1);
      if (type.id() == TypeId::kMap) {
        // The entries struct is the repeated group itself: step over it to the key or value.
        const Array& entries = a.child(0);
        const int kv = steps_[depth + 1];
        const bool value_nullable = kv == 1 && entries.type().field(1).nullable;
        Walk(entries.child(kv), entries.offset() + begin + j, depth + 2, value_nullable, d, r,
             inner);
      } else {
        Walk(a.child(0), begin + j, depth + 1, type.field(0).nullable, d, r, inner);
      }
    }
  }

 private:
  void Emit(int16_t def, int16_t rep) {
    out_->def.push_back(def);
    out_->rep.push_back(rep);
  }

  const std::vector<int>& steps_;
  LeafLevels* out_;
};

}  // namespace

const Array& LeafArray(const Array& array, const WriterColumn& column) {
  const Array* a = &array;
  for (int step : column.steps) a = &a->child(step);
  return *a;
}

void AppendLeafLevels(const Array& array, bool field_nullable, const WriterColumn& column,
                      LeafLevels* out) {
  Striper striper(column.steps, out);
  for (int64_t i = 0; i < array.length(); ++i) striper.Walk(array, i, 0, field_nullable, 0, 0, 0);
}

}  // namespace sluice::parquet
