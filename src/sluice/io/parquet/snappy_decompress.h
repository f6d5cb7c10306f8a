// SnappyDecompress: our own decoder of the Snappy block format (format_description.txt in
// google/snappy), used for reading pages; compression stays with libsnappy.
//
// Why not libsnappy's decoder: the one in Debian 12 (1.1.9) sends every back-reference through
// an out-of-line memmove call, which made it the largest cost of reading a snappy Parquet file.
// This decoder copies short literals and back-references with fixed-size, inlined 16-byte moves
// while at least 80 bytes of output and 69 of input remain, then finishes with an exact loop.
//
// Input is untrusted: a bad length preamble, a literal or copy passing the end of the input or
// output, an offset of 0 or before the start of the output, output shorter than its declared
// length and trailing input bytes are all InvalidData. Never reads or writes outside the two
// spans.
//
// Thread safety: a pure function over caller-owned memory.
#pragma once

#include <cstdint>
#include <span>

namespace sluice::parquet {

// Decompresses `input` (a raw Snappy block, length preamble included) into exactly
// `output.size()` bytes.
void SnappyDecompress(std::span<const uint8_t> input, std::span<uint8_t> output);

}  // namespace sluice::parquet
