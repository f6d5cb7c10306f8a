#include "sluice/ops/bloom/bloom_filter_file.h"

#include <charconv>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"

namespace sluice {
namespace {

constexpr char kMagic[8] = {'S', 'L', 'B', 'L', 'O', 'O', 'M', '1'};
// BloomFilterHeader fields 2..4 (each a union holding an empty struct in field 1) and the stop.
constexpr unsigned char kHeaderTail[13] = {0x1C, 0x1C, 0x00, 0x00, 0x1C, 0x1C, 0x00,
                                           0x00, 0x1C, 0x1C, 0x00, 0x00, 0x00};

void AppendLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t ReadLe(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(in[at + i])} << (8 * i);
  return v;
}

template <typename T>
std::optional<uint64_t> HashInteger(std::string_view text) {
  T v;
  const char* b = text.data();
  if (!text.empty() && text[0] == '+') ++b;
  auto [p, ec] = std::from_chars(b, text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || p == b) return std::nullopt;
  return XxHash64(&v, sizeof(v), 0);
}

}  // namespace

std::string_view BloomValueTypeName(BloomValueType type) {
  switch (type) {
    case BloomValueType::kString:
      return "string";
    case BloomValueType::kInt32:
      return "int32";
    case BloomValueType::kInt64:
      return "int64";
  }
  return "?";
}

BloomValueType ParseBloomValueType(std::string_view name) {
  if (name == "string" || name == "binary") return BloomValueType::kString;
  if (name == "int32") return BloomValueType::kInt32;
  if (name == "int64") return BloomValueType::kInt64;
  throw InvalidArgument("Bloom filters hash string, int32 or int64 values, not {}", name);
}

std::optional<uint64_t> HashBloomValue(BloomValueType type, std::string_view text) {
  switch (type) {
    case BloomValueType::kString:
      return SplitBlockBloomFilter::Hash(text);
    case BloomValueType::kInt32:
      return HashInteger<int32_t>(text);
    case BloomValueType::kInt64:
      return HashInteger<int64_t>(text);
  }
  return std::nullopt;
}

BloomValueType BloomValueTypeOf(const DataType& type, const std::string& column) {
  switch (type.id()) {
    case TypeId::kString:
    case TypeId::kBinary:
      return BloomValueType::kString;
    case TypeId::kInt32:
      return BloomValueType::kInt32;
    case TypeId::kInt64:
      return BloomValueType::kInt64;
    default:
      throw NotSupported(
          "Bloom filters over {} columns are not supported; use string, int32 or int64",
          type.ToString())
          .With("column", column);
  }
}

namespace {

// Everything before the bitset: magic, metadata, the Parquet BloomFilterHeader.
std::string EncodeHeader(const BloomFilterFile& file) {
  const size_t num_bytes = file.filter.num_bytes();
  if (num_bytes == 0 || num_bytes > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw InvalidArgument("a Bloom filter of {} bytes cannot be stored (1 byte to 2 GiB)",
                          num_bytes);
  }
  nlohmann::json meta = {{"column", file.column},
                         {"value_type", BloomValueTypeName(file.value_type)},
                         {"items", file.items},
                         {"expected_items", file.expected_items},
                         {"target_fpr", file.target_fpr},
                         {"sizing", file.sizing},
                         {"num_blocks", file.filter.num_blocks()}};
  const std::string meta_text = meta.dump();
  std::string out(kMagic, sizeof(kMagic));
  AppendLe(out, meta_text.size(), 4);
  out += meta_text;
  out.push_back(0x15);  // field 1, i32
  uint64_t zigzag = static_cast<uint64_t>(num_bytes) << 1;
  while (zigzag >= 0x80) {
    out.push_back(static_cast<char>((zigzag & 0x7f) | 0x80));
    zigzag >>= 7;
  }
  out.push_back(static_cast<char>(zigzag));
  out.append(reinterpret_cast<const char*>(kHeaderTail), sizeof(kHeaderTail));
  return out;
}

// The checksum of header + bitset, as the file's last 8 bytes.
std::string EncodeChecksum(const std::string& header, std::string_view bitset) {
  XxHash64Stream hash(0);
  hash.Update(header.data(), header.size());
  hash.Update(bitset.data(), bitset.size());
  std::string out;
  AppendLe(out, hash.Digest(), 8);
  return out;
}

}  // namespace

std::string EncodeBloomFilterFile(const BloomFilterFile& file) {
  std::string out = EncodeHeader(file);
  const std::string_view bitset(file.filter.bytes().data(), file.filter.num_bytes());
  const std::string checksum = EncodeChecksum(out, bitset);
  out.reserve(out.size() + bitset.size() + checksum.size());
  out.append(bitset);
  out += checksum;
  return out;
}

BloomFilterFile DecodeBloomFilterFile(std::string_view in, const std::string& name) {
  auto bad = [&](std::string_view why) {
    return InvalidData("not a sluice Bloom filter file: {}", why).With("file", name);
  };
  if (in.size() < sizeof(kMagic) + 4 + 8 || std::memcmp(in.data(), kMagic, sizeof(kMagic)) != 0) {
    throw bad("bad magic bytes");
  }
  const size_t body = in.size() - 8;
  if (XxHash64(in.data(), body, 0) != ReadLe(in, body, 8)) throw bad("checksum mismatch");
  const size_t meta_len = ReadLe(in, 8, 4);
  size_t at = 12 + meta_len;
  if (at >= body) throw bad("metadata runs past the end");
  BloomFilterFile file;
  try {
    auto meta = nlohmann::json::parse(in.substr(12, meta_len));
    file.column = meta.at("column").get<std::string>();
    file.value_type = ParseBloomValueType(meta.at("value_type").get<std::string>());
    file.items = meta.at("items").get<int64_t>();
    file.expected_items = meta.at("expected_items").get<int64_t>();
    file.target_fpr = meta.at("target_fpr").get<double>();
    file.sizing = meta.at("sizing").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("bad metadata: ") + e.what());
  }
  if (static_cast<uint8_t>(in[at++]) != 0x15) throw bad("unexpected Bloom filter header");
  uint64_t zigzag = 0;
  for (int shift = 0;; shift += 7) {
    if (at >= body || shift > 35) throw bad("bad Bloom filter header length");
    const uint8_t b = static_cast<uint8_t>(in[at++]);
    zigzag |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) break;
  }
  const uint64_t num_bytes = zigzag >> 1;
  if (at + sizeof(kHeaderTail) > body ||
      std::memcmp(in.data() + at, kHeaderTail, sizeof(kHeaderTail)) != 0) {
    throw bad("the Bloom filter header is not BLOCK / XXHASH / UNCOMPRESSED");
  }
  at += sizeof(kHeaderTail);
  if (body - at != num_bytes) throw bad("the bitset size does not match its header");
  file.filter = SplitBlockBloomFilter::FromBytes(in.substr(at, num_bytes));
  return file;
}

void WriteBloomFilterFile(fs::FileSystem& fs, const std::string& path,
                          const BloomFilterFile& file) {
  // Written in pieces: the bitset may be hundreds of MiB, not worth a copy (or its page faults).
  const std::string header = EncodeHeader(file);
  const std::string_view bitset(file.filter.bytes().data(), file.filter.num_bytes());
  auto out = fs.OpenForWrite(path);
  out->Append(header);
  out->Append(bitset);
  out->Append(EncodeChecksum(header, bitset));
  out->Commit();
}

BloomFilterFile ReadBloomFilterFile(fs::FileSystem& fs, const std::string& path) {
  return DecodeBloomFilterFile(fs::ReadWholeFile(fs, path), path);
}

}  // namespace sluice
