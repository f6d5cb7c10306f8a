#include "sluice/parquet_info.h"

#include <memory>

#include "sluice/io/parquet/file_reader.h"
#include "sluice/public/public_error.h"

namespace sluice::api {

ParquetInfo ReadParquetInfo(const std::string& path) {
  return CallWithPublicErrors([&] {
    const auto reader = parquet::ParquetFileReader::Open(path);
    ParquetInfo info;
    info.rows = reader->num_rows();
    info.row_groups = reader->num_row_groups();
    const std::shared_ptr<const Schema> schema = reader->ReadSchema();
    for (const Field& field : schema->fields()) {
      info.columns.push_back({field.name, field.type.ToString(), field.nullable});
    }
    return info;
  });
}

}  // namespace sluice::api
