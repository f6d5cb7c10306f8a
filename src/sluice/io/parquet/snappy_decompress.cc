#include "sluice/io/parquet/snappy_decompress.h"

#include <cstring>

#include "sluice/base/error.h"

namespace sluice::parquet {
namespace {

// Fast-loop margins: one element reads at most a tag, 4 offset bytes and (wildly) 64 literal
// bytes, and writes at most 64 bytes plus a 16-byte overrun.
constexpr size_t kInputMargin = 5 + 64;
constexpr size_t kOutputMargin = 64 + 16;

[[noreturn]] void Corrupt(const char* what, size_t offset) {
  throw InvalidData("SNAPPY decompression failed: {}", what).With("offset", std::to_string(offset));
}

inline uint32_t LoadLe32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline void Copy16(uint8_t* dst, const uint8_t* src) { std::memcpy(dst, src, 16); }

// Copies `length` (<= 64) bytes from `offset` bytes back. May write up to 15 bytes past
// op + length, which the fast loop's margin allows.
inline void CopyBackReferenceFast(uint8_t* op, size_t offset, size_t length) {
  const uint8_t* src = op - offset;
  if (offset >= 16) {
    // Each 16-byte block reads only bytes written before it.
    for (size_t i = 0; i < length; i += 16) Copy16(op + i, src + i);
  } else if (offset >= 8) {
    // The second 8 bytes are the source's bytes 8..offset followed by the start of the first 8
    // (the pattern repeats every `offset` bytes): built in a register, so no load waits for the
    // store before it. Reading src + 8..16 may touch bytes not yet written; they are masked off.
    uint64_t first;
    uint64_t next;
    std::memcpy(&first, src, 8);
    std::memcpy(&next, src + 8, 8);
    unsigned shift = static_cast<unsigned>(offset - 8) * 8;
    uint64_t second = shift == 0 ? first : (next & ((uint64_t{1} << shift) - 1)) | (first << shift);
    std::memcpy(op, &first, 8);
    std::memcpy(op + 8, &second, 8);
    for (size_t i = 16; i < length; i += 8) std::memcpy(op + i, src + i, 8);
  } else {
    for (size_t i = 0; i < length; ++i) op[i] = src[i];
  }
}

}  // namespace

void SnappyDecompress(std::span<const uint8_t> input, std::span<uint8_t> output) {
  const uint8_t* const in_begin = input.data();
  const uint8_t* ip = in_begin;
  const uint8_t* const ip_end = in_begin + input.size();
  // Preamble: the uncompressed length as a varint of at most 5 bytes (32 bits).
  uint64_t length = 0;
  for (int shift = 0;; shift += 7) {
    if (ip == ip_end) Corrupt("truncated length preamble", 0);
    if (shift > 28) Corrupt("length preamble is too long", 0);
    uint8_t byte = *ip++;
    length |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  if (length > 0xffffffffu) Corrupt("length preamble passes 32 bits", 0);
  if (length != output.size()) {
    throw InvalidData(
        "SNAPPY decompression failed: the data decompresses to {} bytes, the page header says {}",
        length, output.size());
  }
  uint8_t* const out_begin = output.data();
  uint8_t* op = out_begin;
  uint8_t* const op_end = out_begin + output.size();

  // Fast loop: the margins make every wild read and write safe, so only offsets and long
  // literals need checks.
  while (static_cast<size_t>(ip_end - ip) >= kInputMargin &&
         static_cast<size_t>(op_end - op) >= kOutputMargin) {
    uint8_t tag = *ip++;
    if ((tag & 3) == 0) {
      size_t literal = (tag >> 2) + 1;
      if (literal <= 60) {
        // Within both margins: copy 64 bytes, keep `literal` of them.
        for (size_t i = 0; i < 64; i += 16) Copy16(op + i, ip + i);
        op += literal;
        ip += literal;
        continue;
      }
      size_t extra = literal - 60;  // 1..4 length bytes
      literal = (LoadLe32(ip) & (0xffffffffu >> (32 - 8 * extra))) + 1;
      ip += extra;
      if (literal > static_cast<size_t>(ip_end - ip)) {
        Corrupt("a literal passes the end of the input", ip - in_begin);
      }
      if (literal > static_cast<size_t>(op_end - op)) {
        Corrupt("a literal passes the end of the output", ip - in_begin);
      }
      std::memcpy(op, ip, literal);
      op += literal;
      ip += literal;
      continue;
    }
    size_t copy_length;
    size_t offset;
    switch (tag & 3) {
      case 1:
        copy_length = ((tag >> 2) & 7) + 4;
        offset = (static_cast<size_t>(tag & 0xe0) << 3) | *ip;
        ip += 1;
        break;
      case 2:
        copy_length = (tag >> 2) + 1;
        offset = static_cast<size_t>(ip[0]) | static_cast<size_t>(ip[1]) << 8;
        ip += 2;
        break;
      default:
        copy_length = (tag >> 2) + 1;
        offset = LoadLe32(ip);
        ip += 4;
        break;
    }
    if (offset == 0 || offset > static_cast<size_t>(op - out_begin)) {
      Corrupt("a copy reaches before the start of the output", ip - in_begin);
    }
    CopyBackReferenceFast(op, offset, copy_length);
    op += copy_length;
  }

  // Exact loop for the last bytes.
  while (ip < ip_end) {
    uint8_t tag = *ip++;
    if ((tag & 3) == 0) {
      size_t literal = (tag >> 2) + 1;
      if (literal > 60) {
        size_t extra = literal - 60;
        if (extra > static_cast<size_t>(ip_end - ip)) {
          Corrupt("a literal length passes the end of the input", ip - in_begin);
        }
        literal = 0;
        for (size_t i = 0; i < extra; ++i) literal |= static_cast<size_t>(ip[i]) << (8 * i);
        literal += 1;
        ip += extra;
      }
      if (literal > static_cast<size_t>(ip_end - ip)) {
        Corrupt("a literal passes the end of the input", ip - in_begin);
      }
      if (literal > static_cast<size_t>(op_end - op)) {
        Corrupt("a literal passes the end of the output", ip - in_begin);
      }
      std::memcpy(op, ip, literal);
      op += literal;
      ip += literal;
      continue;
    }
    size_t copy_length;
    size_t offset;
    size_t extra = (tag & 3) == 1 ? 1 : (tag & 3) == 2 ? 2 : 4;
    if (extra > static_cast<size_t>(ip_end - ip)) {
      Corrupt("a copy's offset passes the end of the input", ip - in_begin);
    }
    if ((tag & 3) == 1) {
      copy_length = ((tag >> 2) & 7) + 4;
      offset = (static_cast<size_t>(tag & 0xe0) << 3) | ip[0];
    } else {
      copy_length = (tag >> 2) + 1;
      offset = 0;
      for (size_t i = 0; i < extra; ++i) offset |= static_cast<size_t>(ip[i]) << (8 * i);
    }
    ip += extra;
    if (offset == 0 || offset > static_cast<size_t>(op - out_begin)) {
      Corrupt("a copy reaches before the start of the output", ip - in_begin);
    }
    if (copy_length > static_cast<size_t>(op_end - op)) {
      Corrupt("a copy passes the end of the output", ip - in_begin);
    }
    const uint8_t* src = op - offset;
    for (size_t i = 0; i < copy_length; ++i) op[i] = src[i];
    op += copy_length;
  }
  if (op != op_end) {
    throw InvalidData(
        "SNAPPY decompression failed: the data holds {} bytes, the page header says {}",
        op - out_begin, output.size());
  }
}

}  // namespace sluice::parquet
