// A user's program against the installed library: writes a small CSV file, groups it into a
// Parquet file, reads that file's schema back, sorts it into CSV, compacts a partition of two
// Parquet files and checks every figure, then checks that a failure arrives as
// sluice::api::Error. Prints one line and exits 0 when all
// holds; names the first thing that does not and exits 1 otherwise.
// Usage: sluice_consumer WORK_DIR (created; left for the caller to remove).
#include <sluice/sluice.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

int failures = 0;

void Expect(bool holds, const std::string& what) {
  if (!holds) {
    std::fprintf(stderr, "sluice_consumer: %s\n", what.c_str());
    ++failures;
  }
}

std::string ReadFile(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: sluice_consumer WORK_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/sales.csv") << "region,units\nnorth,3\nsouth,5\nnorth,4\neast,1\n";
  try {
    const sluice::api::TableResult grouped =
        sluice::api::GroupBy({.inputs = {dir + "/sales.csv"},
                              .by = {"region"},
                              .aggregates = "sum(units) as units",
                              .output = dir + "/by_region.parquet",
                              .run = {.memory_bytes = 64 << 20, .threads = 2}});
    Expect(grouped.input_rows == 4 && grouped.output_rows == 3, "group-by: wrong row counts");

    const sluice::api::ParquetInfo info = sluice::api::ReadParquetInfo(dir + "/by_region.parquet");
    Expect(info.rows == 3, "Parquet info: not 3 rows");
    Expect(info.columns.size() == 2 && info.columns[0].name == "region" &&
               info.columns[0].type == "string" && info.columns[1].name == "units" &&
               info.columns[1].type == "int64",
           "Parquet info: not the columns region: string, units: int64");

    sluice::api::Sort({.inputs = {dir + "/by_region.parquet"},
                       .by = "units:desc",
                       .output = dir + "/sorted.csv"});
    Expect(ReadFile(dir + "/sorted.csv") == "region,units\r\nnorth,7\r\nsouth,5\r\neast,1\r\n",
           "sort: unexpected output:\n" + ReadFile(dir + "/sorted.csv"));

    // Two files of one partition, compacted into one.
    for (const char* name : {"a", "b"}) {
      std::filesystem::create_directories(dir + "/events/day=1");
      sluice::api::Sort({.inputs = {dir + "/sales.csv"},
                         .by = "region",
                         .output = dir + "/events/day=1/" + name + ".parquet"});
    }
    const sluice::api::CompactResult compacted =
        sluice::api::Compact({.source = dir + "/events",
                              .destination = dir + "/compacted",
                              .verify = true,
                              .run = {.memory_bytes = 64 << 20, .threads = 2}});
    Expect(compacted.failures.empty() && compacted.partitions == 1 && compacted.files_in == 2 &&
               compacted.files_out == 1 && compacted.rows == 8 && compacted.verified,
           "compact: not 2 files of 8 rows into 1, verified");
  } catch (const sluice::api::Error& e) {
    Expect(false, std::string("unexpected error: ") + e.what());
  }
  try {
    sluice::api::ReadParquetInfo(dir + "/missing.parquet");
    Expect(false, "no error for a missing file");
  } catch (const sluice::api::Error& e) {
    Expect(std::string(e.what()).find("missing.parquet") != std::string::npos,
           std::string("the error does not name the missing file: ") + e.what());
  }
  Expect(sluice::api::LibraryVersion() == sluice::api::kVersion,
         "headers and library are of different versions");
  if (failures > 0) return 1;
  std::printf(
      "sluice_consumer: sluice %s: group-by, Parquet schema, sort, compact and errors work\n",
      SLUICE_VERSION_STRING);
  return 0;
}
