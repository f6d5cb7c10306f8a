// Generates the `sluice bloom` benchmark data: FILES CSV files of id, email, a quoted name with
// commas and doubled quotes, amount, date; ROWS rows in all (default 16 million, about 1 GB).
// Deterministic. Usage: sluice_bloom_gen_data DIR [--rows N] [--files N]
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

void WriteFile(const std::string& path, int64_t first_id, int64_t rows, uint64_t seed) {
  static const char* kFirst[] = {"Ann", "Bob", "Chen", "Dara", "Eve", "Femi", "Gus", "Hana"};
  static const char* kLast[] = {"Smith", "O'Neil", "Garcia", "Nguyen", "Müller", "Kim"};
  static const char* kDomains[] = {"example.com", "mail.org", "corp.net", "uni.edu"};
  std::mt19937_64 rng(seed);
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::string buf = "id,email,name,amount,date\n";
  for (int64_t i = 0; i < rows; ++i) {
    const uint64_t r = rng();
    const int64_t id = first_id + i;
    // About 20% of emails repeat an earlier id's address.
    const int64_t who =
        (r % 5 == 0) ? static_cast<int64_t>((r >> 8) % static_cast<uint64_t>(id + 1)) : id;
    fmt::format_to(std::back_inserter(buf), "{},user{}@{},", id, who, kDomains[(r >> 3) % 4]);
    const char* first = kFirst[(r >> 12) % 8];
    const char* last = kLast[(r >> 16) % 6];
    if ((r >> 20) % 4 == 0) {
      fmt::format_to(std::back_inserter(buf), "\"{}, {} \"\"{}\"\" Jr\",", last, first, first);
    } else {
      fmt::format_to(std::back_inserter(buf), "\"{}, {}\",", last, first);
    }
    fmt::format_to(std::back_inserter(buf), "{}.{:02},2024-{:02}-{:02}\n", (r >> 24) % 100000,
                   (r >> 40) % 100, 1 + (r >> 48) % 12, 1 + (r >> 52) % 28);
    if (buf.size() > (1 << 20)) {
      std::fwrite(buf.data(), 1, buf.size(), out);
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), out);
  std::fclose(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [--rows N] [--files N]\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  int64_t rows = 16'000'000;
  int files = 8;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--rows") rows = std::atoll(argv[i + 1]);
    if (flag == "--files") files = std::atoi(argv[i + 1]);
  }
  std::filesystem::create_directories(dir);
  std::vector<std::thread> threads;
  const int64_t per_file = rows / files;
  for (int f = 0; f < files; ++f) {
    const int64_t n = f == files - 1 ? rows - per_file * (files - 1) : per_file;
    threads.emplace_back(WriteFile, fmt::format("{}/part-{:03}.csv", dir, f), per_file * f, n,
                         1000 + f);
  }
  for (auto& t : threads) t.join();
  return 0;
}
