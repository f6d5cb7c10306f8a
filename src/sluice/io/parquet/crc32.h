// Page checksums: the CRC-32 (IEEE 802.3, as zlib and gzip compute it) that a page header may
// carry over the page's bytes as stored, i.e. after compression and, for v2 pages, including the
// levels.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>

#include "sluice/io/parquet/page_header.h"

namespace sluice::parquet {

// Continues a CRC over `data` (start with 0).
uint32_t Crc32(std::span<const uint8_t> data, uint32_t crc = 0);

// InvalidData when the header carries a CRC that `page` (the bytes after the header,
// compressed_page_size of them) does not match; nothing when it carries none.
void VerifyPageCrc(const PageHeader& header, std::span<const uint8_t> page);

}  // namespace sluice::parquet
