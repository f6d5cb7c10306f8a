#include "sluice/jobs/compact/compact_verify.h"

#include <numeric>

#include "sluice/base/error.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/table/hash.h"

namespace sluice::compact {

RowsDigest DigestParquetFiles(const std::vector<std::string>& paths,
                              const std::vector<std::string>& columns) {
  RowsDigest digest;
  std::vector<uint64_t> hashes;
  for (const std::string& path : paths) {
    auto reader = parquet::ParquetFileReader::Open(path);
    parquet::ParquetReadOptions options;
    options.columns = columns;
    auto batches = reader->ReadBatches(options);
    while (std::optional<RecordBatch> batch = batches->Next()) {
      std::vector<int> all(static_cast<size_t>(batch->num_columns()));
      std::iota(all.begin(), all.end(), 0);
      hashes.resize(static_cast<size_t>(batch->num_rows()));
      HashRows(*batch, all, hashes);
      for (uint64_t h : hashes) {
        digest.sum += h;
        // A second, non-linear sum: two multisets rarely agree on both by chance.
        uint64_t m = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ULL;
        digest.mixed_sum += m ^ (m >> 29);
      }
      digest.rows += batch->num_rows();
    }
  }
  return digest;
}

void VerifyOutputs(const std::string& partition, const std::vector<std::string>& inputs,
                   const std::vector<std::string>& outputs,
                   const std::vector<std::string>& columns) {
  RowsDigest in = DigestParquetFiles(inputs, columns);
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
