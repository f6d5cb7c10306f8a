// Factories of the individual codecs behind Codec::Make, one file each, and the error helper
// they share.
//
// Thread safety: as Codec.
#pragma once

#include <memory>
#include <string_view>

#include "sluice/base/error.h"
#include "sluice/io/parquet/codec.h"

namespace sluice::parquet {

std::unique_ptr<Codec> MakeGzipCodec(int level);
std::unique_ptr<Codec> MakeZstdCodec(int level);
std::unique_ptr<Codec> MakeBrotliCodec(int quality);
std::unique_ptr<Codec> MakeLz4RawCodec();
std::unique_ptr<Codec> MakeLz4HadoopCodec();

// InvalidData naming the codec, for corrupt input and size mismatches.
template <typename... Args>
Error CodecError(CompressionCodec codec, fmt::format_string<Args...> format, Args&&... args) {
  return InvalidData("{} decompression failed: {}", CompressionCodecName(codec),
                     fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace sluice::parquet
