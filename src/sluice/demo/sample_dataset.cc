#include "sluice/demo/sample_dataset.h"

#include <fmt/format.h>

#include <filesystem>
#include <random>

#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"

namespace sluice {

SampleDatasetInfo WriteSampleDataset(const std::string& root, const SampleDatasetShape& shape) {
  namespace fs = std::filesystem;
  const DataType ts_type = DataType::Timestamp(TimeUnit::kMicro, "UTC");
  auto schema = std::make_shared<const Schema>(std::vector<Field>{
      {"ts", ts_type, false},
      {"user_id", DataType::Int64(), false},
      {"country", DataType::String(), false},
      {"url", DataType::String(), false},
      {"amount", DataType::Float64(), false},
      {"flag", DataType::Bool(), true},
      {"score", DataType::Int32(), true},
  });
  static const char* kCountries[] = {"us", "de", "fr", "jp", "br", "in", "mx", "uk"};
  SampleDatasetInfo info;
  std::mt19937_64 rng(shape.seed);
  parquet::ParquetWriteOptions options;
  options.row_group_rows = std::max<int64_t>(1, shape.rows_per_file / shape.row_groups_per_file);
  for (int p = 0; p < shape.partitions; ++p) {
    fs::path dir = fs::path(root) / fmt::format("date=2026-01-{:02d}", p + 1);
    fs::create_directories(dir);
    for (int f = 0; f < shape.files_per_partition; ++f) {
      FixedWidthBuilder<int64_t> ts(ts_type);
      Int64Builder user;
      StringBuilder country, url;
      Float64Builder amount;
      BoolBuilder flag;
      Int32Builder score;
      const int64_t base = (int64_t{p} * shape.files_per_partition + f) * shape.rows_per_file;
      const uint64_t window = rng() % 4000;  // this file's URLs: a window of 1,000 of 5,000
      std::string text;
      for (int64_t i = 0; i < shape.rows_per_file; ++i) {
        uint64_t r = rng();
        ts.Append(1767225600000000 + (base + i) * 1000);
        user.Append(static_cast<int64_t>(r % 1000000));
        country.Append(kCountries[(r >> 20) % 8]);
        text = fmt::format("https://example.com/product/{}/details", window + (r >> 24) % 1000);
        url.Append(text);
        amount.Append(static_cast<double>((r >> 34) % 100000) / 100.0);
        if ((r >> 51) % 11 == 0) {
          flag.AppendNull();
        } else {
          flag.Append(((r >> 55) & 1) != 0);
        }
        if ((r >> 56) % 13 == 0) {
          score.AppendNull();
        } else {
          score.Append(static_cast<int32_t>((r >> 8) % 100000));
        }
      }
      RecordBatch batch =
          RecordBatch::Make(schema, {ts.Finish(), user.Finish(), country.Finish(), url.Finish(),
                                     amount.Finish(), flag.Finish(), score.Finish()});
      fs::path path = dir / fmt::format("part-{:05d}.parquet", f);
      parquet::WriteParquetFile(path.string(), schema, {batch}, options);
      ++info.files;
      info.bytes += static_cast<int64_t>(fs::file_size(path));
      info.rows += shape.rows_per_file;
    }
  }
  return info;
}

}  // namespace sluice
