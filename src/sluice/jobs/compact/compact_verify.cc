#include "sluice/jobs/compact/compact_verify.h"

#include <algorithm>
#include <numeric>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/jobs/compact/array_widening.h"
#include "sluice/table/hash.h"

namespace sluice::compact {
namespace {

void AddRows(const RecordBatch& batch, std::vector<uint64_t>& hashes, RowsDigest* digest) {
  std::vector<int> all(static_cast<size_t>(batch.num_columns()));
  std::iota(all.begin(), all.end(), 0);
  hashes.resize(static_cast<size_t>(batch.num_rows()));
  HashRows(batch, all, hashes);
  for (uint64_t h : hashes) {
    digest->sum += h;
    // A second, non-linear sum: two multisets rarely agree on both by chance.
    uint64_t m = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ULL;
    digest->mixed_sum += m ^ (m >> 29);
  }
  digest->rows += batch.num_rows();
}

}  // namespace

RowsDigest DigestParquetFiles(const std::vector<std::string>& paths,
                              const std::vector<std::string>& columns, const Schema* schema) {
  RowsDigest digest;
  std::vector<uint64_t> hashes;
  auto target = schema ? std::make_shared<const Schema>(*schema) : nullptr;
  for (const std::string& path : paths) {
    auto reader = parquet::ParquetFileReader::Open(path);
    parquet::ParquetReadOptions options;
    if (target) {
      const std::vector<std::string>& has = reader->footer().schema.top_level_names();
      for (const std::string& c : columns) {
        if (std::find(has.begin(), has.end(), c) != has.end()) options.columns.push_back(c);
      }
    } else {
      options.columns = columns;
    }
    auto batches = reader->ReadBatches(options);
    while (std::optional<RecordBatch> batch = batches->Next()) {
      AddRows(target ? AsSchema(*batch, target) : *batch, hashes, &digest);
    }
  }
  return digest;
}

void VerifyOutputs(const std::string& partition, const std::vector<std::string>& inputs,
                   const std::vector<std::string>& outputs,
                   const std::vector<std::string>& columns) {
  parquet::ParquetReadOptions read;
  read.columns = columns;
  const std::shared_ptr<const Schema> schema =
      parquet::ParquetFileReader::Open(outputs.at(0))->ReadSchema(read);
  RowsDigest in = DigestParquetFiles(inputs, columns, schema.get());
  RowsDigest out = DigestParquetFiles(outputs, columns);
  if (in.rows != out.rows) {
    throw InvalidData("verification failed: the outputs hold {} rows, the inputs {}", out.rows,
                      in.rows)
        .With("partition", partition);
  }
  if (!(in == out)) {
    throw InvalidData("verification failed: the outputs' rows differ from the inputs' ({} rows)",
                      in.rows)
        .With("partition", partition);
  }
}

}  // namespace sluice::compact
