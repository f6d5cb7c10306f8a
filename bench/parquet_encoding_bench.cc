// Throughput of the Parquet value decoders and codecs (bytes or values per second), the inner
// loops under the column reader. Run: build-*/bench/sluice_parquet_encoding_bench
#include <benchmark/benchmark.h>

#include <random>

#include "sluice/io/parquet/codec.h"
#include "sluice/io/parquet/delta_binary_packed.h"
#include "sluice/io/parquet/delta_byte_array.h"
#include "sluice/io/parquet/plain.h"
#include "sluice/io/parquet/rle.h"

namespace sluice::parquet {
namespace {

constexpr int64_t kValues = 1 << 20;
constexpr int64_t kBatch = 4096;

void BM_RleDictionaryIndices(benchmark::State& state) {
  int width = static_cast<int>(state.range(0));
  std::mt19937 rng(1);
  std::vector<uint32_t> values(kValues);
  for (uint32_t& v : values) v = rng() & ((1u << width) - 1);
  std::vector<uint8_t> bytes;
  RleBitPackedEncode(values, width, &bytes);
  std::vector<uint32_t> out(kBatch);
  for (auto _ : state) {
    RleBitPackedDecoder decoder(bytes, width);
    while (decoder.GetBatch(out.data(), kBatch) > 0) {
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kValues);
}
BENCHMARK(BM_RleDictionaryIndices)->Arg(1)->Arg(8)->Arg(17);

void BM_DeltaBinaryPackedInt64(benchmark::State& state) {
  std::mt19937_64 rng(2);
  std::vector<int64_t> values(kValues);
  int64_t v = 0;
  for (int64_t& x : values) x = v += static_cast<int64_t>(rng() % 1000);
  std::vector<uint8_t> bytes;
  DeltaBinaryPackedEncode<int64_t>(values, &bytes);
  std::vector<int64_t> out(kBatch);
  for (auto _ : state) {
    DeltaBinaryPackedDecoder<int64_t> decoder(bytes);
    while (decoder.Decode(out.data(), kBatch) > 0) {
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kValues);
}
BENCHMARK(BM_DeltaBinaryPackedInt64);

ByteArrayBuffer Strings() {
  std::mt19937 rng(3);
  ByteArrayBuffer values;
  for (int64_t i = 0; i < kValues / 4; ++i) {
    std::string s(8 + rng() % 24, 'x');
    for (char& c : s) c = static_cast<char>('a' + rng() % 26);
    values.Append(s);
  }
  return values;
}

void BM_PlainByteArray(benchmark::State& state) {
  ByteArrayBuffer values = Strings();
  std::vector<uint8_t> bytes;
  PlainEncodeByteArrays(values, &bytes);
  ByteArrayBuffer out;
  for (auto _ : state) {
    PlainDecoder decoder(bytes);
    do {
      out.Clear();
    } while (decoder.DecodeByteArrays(&out, kBatch) > 0);
  }
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_PlainByteArray);

void BM_DeltaLengthByteArray(benchmark::State& state) {
  ByteArrayBuffer values = Strings();
  std::vector<uint8_t> bytes;
  DeltaLengthByteArrayEncode(values, &bytes);
  ByteArrayBuffer out;
  for (auto _ : state) {
    DeltaLengthByteArrayDecoder decoder(bytes);
    do {
      out.Clear();
    } while (decoder.Decode(&out, kBatch) > 0);
  }
  state.SetBytesProcessed(state.iterations() * values.data.size());
}
BENCHMARK(BM_DeltaLengthByteArray);

void BM_Decompress(benchmark::State& state) {
  auto id = static_cast<CompressionCodec>(state.range(0));
  std::mt19937 rng(4);
  // Text-like: words from a small vocabulary, as low-cardinality string pages look.
  std::vector<std::string> words(256);
  for (std::string& w : words) {
    w.resize(3 + rng() % 8);
    for (char& c : w) c = static_cast<char>('a' + rng() % 26);
  }
  std::vector<uint8_t> data;
  while (data.size() < (1 << 20)) {
    const std::string& w = words[rng() % words.size()];
    data.insert(data.end(), w.begin(), w.end());
  }
  data.resize(1 << 20);
  auto codec = Codec::Make(id);
  std::vector<uint8_t> compressed;
  codec->CompressAppend(data, &compressed);
  std::vector<uint8_t> out(data.size());
  for (auto _ : state) codec->Decompress(compressed, out);
  state.SetBytesProcessed(state.iterations() * data.size());
  state.SetLabel(CompressionCodecName(id));
}
BENCHMARK(BM_Decompress)
    ->Arg(static_cast<int>(CompressionCodec::kSnappy))
    ->Arg(static_cast<int>(CompressionCodec::kZstd))
    ->Arg(static_cast<int>(CompressionCodec::kLz4Raw))
    ->Arg(static_cast<int>(CompressionCodec::kGzip));

}  // namespace
}  // namespace sluice::parquet
