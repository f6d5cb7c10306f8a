#include "sluice/io/parquet/column_chunk_concat.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "sluice/base/error.h"
#include "sluice/io/parquet/bit_packing.h"
#include "sluice/io/parquet/byte_stream_split.h"
#include "sluice/io/parquet/dictionary_merge.h"
#include "sluice/io/parquet/page_header.h"
#include "sluice/io/parquet/page_iterator.h"
#include "sluice/io/parquet/page_value_decoder.h"
#include "sluice/io/parquet/rle.h"
#include "sluice/io/parquet/statistics_merge.h"

namespace sluice::parquet {

void ChunkConcatCounters::Add(const ChunkConcatCounters& other) {
  pages_copied += other.pages_copied;
  pages_recompressed += other.pages_recompressed;
  pages_remapped += other.pages_remapped;
  pages_to_plain += other.pages_to_plain;
  pages_unsplit += other.pages_unsplit;
  dictionaries_merged += other.dictionaries_merged;
  chunks_reencoded += other.chunks_reencoded;
  null_chunks += other.null_chunks;
}

Codec& CodecCache::Get(CompressionCodec codec, std::optional<int> level) {
  auto& slot = codecs_[{codec, level}];
  if (!slot) slot = Codec::Make(codec, level);
  return *slot;
}

namespace {

bool IsDictionaryEncoding(Encoding e) {
  return e == Encoding::kPlainDictionary || e == Encoding::kRleDictionary;
}

Encoding PageEncoding(const PageHeader& h) {
  if (h.data_page_header) return h.data_page_header->encoding;
  return h.data_page_header_v2->encoding;
}

// One input chunk's pages, walked once up front.
struct InputPages {
  const ChunkInput* input = nullptr;
  std::optional<RawPage> dictionary_page;
  std::vector<RawPage> data_pages;
  bool uses_dictionary = false;  // some data page is dictionary-encoded
  std::unique_ptr<PlainDictionary> dictionary;
  std::vector<uint32_t> remap;
  bool identity = false;
};

// Where the output chunk stands: sizes and page statistics for its metadata. With a sink, the
// bytes from `start` on are handed to it whenever they reach piece_bytes, and at the end.
struct OutputChunk {
  std::vector<uint8_t>* out;
  size_t start;
  const ChunkBytesSink* sink = nullptr;
  size_t piece_bytes = 0;
  int64_t handed = 0;  // bytes already given to the sink
  int64_t compressed = 0;
  int64_t uncompressed = 0;
  std::set<Encoding> encodings;
  std::map<std::pair<PageType, Encoding>, int32_t> page_counts;

  void Note(const PageHeader& h) {
    if (h.type == PageType::kDictionaryPage) {
      Encoding e = h.dictionary_page_header ? h.dictionary_page_header->encoding : Encoding::kPlain;
      encodings.insert(e);
      ++page_counts[{h.type, e}];
      return;
    }
    Encoding e = PageEncoding(h);
    encodings.insert(e);
    if (h.data_page_header) {
      encodings.insert(h.data_page_header->definition_level_encoding);
      encodings.insert(h.data_page_header->repetition_level_encoding);
    } else {
      encodings.insert(Encoding::kRle);
    }
    ++page_counts[{h.type, e}];
  }

  // Appends a header (encoded here) and the page's stored bytes.
  void Append(const PageHeader& h, std::span<const uint8_t> stored) {
    size_t before = out->size();
    EncodePageHeader(h, out);
    int64_t header_size = static_cast<int64_t>(out->size() - before);
    out->insert(out->end(), stored.begin(), stored.end());
    compressed += header_size + static_cast<int64_t>(stored.size());
    uncompressed += header_size + h.uncompressed_page_size;
    Note(h);
    if (out->size() - start >= piece_bytes) Hand();
  }

  // Appends a page exactly as stored in its input, header bytes included.
  void AppendVerbatim(const RawPage& page, const ChunkInput& input) {
    size_t header_pos = static_cast<size_t>(page.file_offset - input.file_offset);
    size_t end = static_cast<size_t>(page.data.data() - input.bytes.data()) + page.data.size();
    std::span<const uint8_t> raw = input.bytes.subspan(header_pos, end - header_pos);
    int64_t header_size = static_cast<int64_t>(raw.size() - page.data.size());
    out->insert(out->end(), raw.begin(), raw.end());
    compressed += static_cast<int64_t>(raw.size());
    uncompressed += header_size + page.header.uncompressed_page_size;
    Note(page.header);
    if (out->size() - start >= piece_bytes) Hand();
  }

  // Gives the bytes made so far to the sink, if there is one.
  void Hand() {
    if (sink == nullptr || out->size() == start) return;
    (*sink)(std::span<const uint8_t>(*out).subspan(start));
    handed += static_cast<int64_t>(out->size() - start);
    out->resize(start);
  }

  int64_t position() const { return handed + static_cast<int64_t>(out->size() - start); }
};

// How many of `count` RLE/bit-packed definition levels equal `max_level`: the values a page
// holds. Counted rather than taken from a v2 header's num_nulls, which writers fill differently
// for a nested leaf's empty or null lists.
int64_t CountMaxLevels(std::span<const uint8_t> levels, int64_t count, int16_t max_level) {
  RleBitPackedDecoder decoder(levels, BitWidthOf(static_cast<uint64_t>(max_level)));
  uint32_t batch[1024];
  int64_t left = count, present = 0;
  while (left > 0) {
    int64_t got = decoder.GetBatch(batch, std::min<int64_t>(left, 1024));
    if (got == 0) throw InvalidData("the page's definition levels end early");
    for (int64_t i = 0; i < got; ++i) present += batch[i] == static_cast<uint32_t>(max_level);
    left -= got;
  }
  return present;
}

// Counts the values actually encoded in a v1 page body: definition levels equal to the max.
// Returns the byte position where the values start.
size_t SkipV1Levels(const ColumnDescriptor& column, const DataPageHeader& h,
                    std::span<const uint8_t> body, int64_t* present) {
  size_t pos = 0;
  auto level_section = [&](Encoding encoding, int16_t max_level, bool count) {
    if (max_level == 0) return;
    int bit_width = BitWidthOf(static_cast<uint64_t>(max_level));
    size_t length = 0;
    size_t data_pos = pos;
    if (encoding == Encoding::kRle) {
      if (body.size() - pos < 4) throw InvalidData("the page's level length passes the page");
      uint32_t n;
      std::memcpy(&n, body.data() + pos, 4);
      if (body.size() - pos - 4 < n) throw InvalidData("the page's levels pass the page");
      data_pos = pos + 4;
      length = n;
      pos = data_pos + n;
    } else if (encoding == Encoding::kBitPacked) {
      length = BitPackedSize(static_cast<size_t>(h.num_values), bit_width);
      if (body.size() - pos < length) throw InvalidData("the page's levels pass the page");
      pos += length;
      if (count) throw NotSupported("remapping a page with BIT_PACKED definition levels");
    } else {
      throw InvalidData("level encoding {} in a v1 page", EncodingName(encoding));
    }
    if (!count) return;
    *present = CountMaxLevels(body.subspan(data_pos, length), h.num_values, max_level);
  };
  *present = h.num_values;
  level_section(h.repetition_level_encoding, column.max_repetition_level, false);
  level_section(h.definition_level_encoding, column.max_definition_level, true);
  return pos;
}

// The values a v2 page body holds; its levels (repetition, then definition) are never compressed.
int64_t V2Present(const ColumnDescriptor& column, const DataPageHeaderV2& h,
                  std::span<const uint8_t> body) {
  if (column.max_definition_level == 0) return h.num_values;
  size_t rep = static_cast<size_t>(h.repetition_levels_byte_length);
  size_t def = static_cast<size_t>(h.definition_levels_byte_length);
  if (h.repetition_levels_byte_length < 0 || h.definition_levels_byte_length < 0 ||
      body.size() < rep || body.size() - rep < def) {
    throw InvalidData("the page's levels pass the page");
  }
  return CountMaxLevels(body.subspan(rep, def), h.num_values, column.max_definition_level);
}

// Rewrites the dictionary indices in `values` (bit width byte + RLE/bit-packed runs) either to
// indices into the merged dictionary or to PLAIN values gathered from `dictionary`.
void RewriteIndices(std::span<const uint8_t> values, int64_t count, const InputPages& in,
                    int merged_bit_width, bool to_plain, std::vector<uint8_t>* out) {
  RleBitPackedDecoder decoder = RleBitPackedDecoder::ForDictionaryIndices(values);
  std::vector<uint32_t> indices(static_cast<size_t>(count));
  int64_t got =
      decoder.GetIndices(indices.data(), count, static_cast<uint32_t>(in.dictionary->size()));
  if (got != count)
    throw InvalidData("the page holds {} dictionary indices, expected {}", got, count);
  if (to_plain) {
    for (uint32_t i : indices) {
      std::string_view entry = in.dictionary->entry(i);
      out->insert(out->end(), entry.begin(), entry.end());
    }
    return;
  }
  for (uint32_t& i : indices) i = in.remap[i];
  out->push_back(static_cast<uint8_t>(merged_bit_width));
  RleBitPackedEncode(indices, merged_bit_width, out);
}

class ChunkConcatenator {
 public:
  ChunkConcatenator(const ColumnDescriptor& column, const ChunkConcatOptions& options,
                    CodecCache& codecs, std::vector<uint8_t>* out, ChunkConcatCounters* counters,
                    const ChunkBytesSink* sink = nullptr, int64_t piece_bytes = 0)
      : column_(column),
        options_(options),
        codecs_(codecs),
        out_codec_(codecs.Get(options.codec, options.compression_level)),
        chunk_{.out = out,
               .start = out->size(),
               .sink = sink,
               .piece_bytes = sink != nullptr
                                  ? static_cast<size_t>(std::max<int64_t>(1, piece_bytes))
                                  : SIZE_MAX},
        counters_(counters) {}

  ColumnChunk Run(std::span<const ChunkInput> inputs, int64_t file_offset) {
    std::vector<InputPages> pages;
    pages.reserve(inputs.size());
    int64_t num_values = 0;
    std::vector<std::optional<Statistics>> stats;
    std::vector<int64_t> values;
    for (const ChunkInput& input : inputs) {
      num_values += input.meta->num_values;
      stats.push_back(input.meta->statistics);
      values.push_back(input.meta->num_values);
      if (input.meta->num_values == 0) continue;
      pages.push_back(Walk(input));
    }
    bool write_dictionary = MergeDictionaries(pages);

    ColumnMetaData meta;
    meta.type = column_.physical_type;
    meta.path_in_schema = column_.path;
    meta.codec = options_.codec;
    meta.num_values = num_values;
    if (write_dictionary) {
      meta.dictionary_page_offset = file_offset;
      WriteDictionaryPage();
    }
    meta.data_page_offset = file_offset + chunk_.position();
    for (InputPages& in : pages) {
      for (const RawPage& page : in.data_pages) {
        try {
          WriteDataPage(in, page, write_dictionary);
        } catch (Error& error) {
          throw std::move(Context(error, *in.input).With("page", std::to_string(page.index)));
        }
      }
    }
    chunk_.Hand();
    meta.total_compressed_size = chunk_.compressed;
    meta.total_uncompressed_size = chunk_.uncompressed;
    meta.encodings.assign(chunk_.encodings.begin(), chunk_.encodings.end());
    for (auto& [key, count] : chunk_.page_counts) {
      meta.encoding_stats.push_back({key.first, key.second, count});
    }
    meta.statistics = MergeStatistics(column_, stats, values);
    ColumnChunk chunk;
    chunk.file_offset = meta.dictionary_page_offset.value_or(meta.data_page_offset);
    chunk.meta_data = std::move(meta);
    return chunk;
  }

 private:
  Error& Context(Error& error, const ChunkInput& input) const {
    if (input.file) error.With("file", *input.file);
    return error.With("row_group", std::to_string(input.row_group))
        .With("column", column_.DottedPath());
  }

  InputPages Walk(const ChunkInput& input) {
    InputPages in;
    in.input = &input;
    try {
      PageIterator it(input.bytes, input.file_offset, input.meta->num_values);
      RawPage page;
      while (it.Next(&page)) {
        switch (page.header.type) {
          case PageType::kDictionaryPage:
            if (in.dictionary_page || !in.data_pages.empty()) {
              throw InvalidData("a dictionary page after the chunk's first page");
            }
            if (!page.header.dictionary_page_header)
              throw InvalidData("a dictionary page without its header");
            in.dictionary_page = page;
            break;
          case PageType::kDataPage:
          case PageType::kDataPageV2:
            if (!page.header.data_page_header && !page.header.data_page_header_v2) {
              throw InvalidData("a data page without its header");
            }
            if (IsDictionaryEncoding(PageEncoding(page.header))) {
              if (!in.dictionary_page)
                throw InvalidData("a dictionary-encoded page without a dictionary");
              in.uses_dictionary = true;
            }
            in.data_pages.push_back(page);
            break;
          default:
            break;  // index pages carry nothing the output needs
        }
      }
    } catch (Error& error) {
      throw std::move(Context(error, input));
    }
    return in;
  }

  // Merges the dictionaries of the inputs that use theirs; false when the merged dictionary
  // would be too large (pages then go PLAIN) or no input uses one.
  bool MergeDictionaries(std::vector<InputPages>& pages) {
    int64_t total = 0;
    for (InputPages& in : pages) {
      if (!in.uses_dictionary) continue;
      try {
        const RawPage& page = *in.dictionary_page;
        Codec& codec = codecs_.Get(in.input->meta->codec);
        std::vector<uint8_t> plain;
        DecompressPage(page.header, page.data, codec, &plain);
        in.dictionary = std::make_unique<PlainDictionary>(
            std::move(plain), page.header.dictionary_page_header->num_values, column_.physical_type,
            column_.type_length);
      } catch (Error& error) {
        throw std::move(Context(error, *in.input).With("page", "dictionary"));
      }
      total += in.dictionary->plain_bytes();
    }
    if (total == 0) return false;
    bool any = false;
    for (InputPages& in : pages) {
      if (!in.dictionary) continue;
      any = true;
      in.remap = merger_.Add(*in.dictionary);
      in.identity = IsIdentityRemap(in.remap);
      if (merger_.plain_bytes() > options_.max_dictionary_bytes) return false;
    }
    if (any && counters_) ++counters_->dictionaries_merged;
    bit_width_ =
        std::max(1, BitWidthOf(static_cast<uint64_t>(std::max<int64_t>(1, merger_.size()) - 1)));
    return any;
  }

  void WriteDictionaryPage() {
    PageHeader h;
    h.type = PageType::kDictionaryPage;
    h.dictionary_page_header =
        DictionaryPageHeader{static_cast<int32_t>(merger_.size()), Encoding::kPlain, {}};
    h.uncompressed_page_size = static_cast<int32_t>(merger_.plain_bytes());
    stored_.clear();
    Compress(merger_.plain(), &stored_);
    h.compressed_page_size = static_cast<int32_t>(stored_.size());
    chunk_.Append(h, stored_);
  }

  void Compress(std::span<const uint8_t> in, std::vector<uint8_t>* out) {
    if (options_.codec == CompressionCodec::kUncompressed || in.empty()) {
      out->insert(out->end(), in.begin(), in.end());
    } else {
      out_codec_.CompressAppend(in, out);
    }
  }

  void WriteDataPage(const InputPages& in, const RawPage& page, bool write_dictionary) {
    const bool same_codec = in.input->meta->codec == options_.codec;
    const bool dict_page = IsDictionaryEncoding(PageEncoding(page.header));
    const bool rewrite = dict_page && !(write_dictionary && in.identity);
    const bool unsplit =
        options_.plain_byte_stream_split && PageEncoding(page.header) == Encoding::kByteStreamSplit;
    if (!rewrite && !unsplit && same_codec) {
      chunk_.AppendVerbatim(page, *in.input);
      if (counters_) ++counters_->pages_copied;
      return;
    }
    Codec& in_codec = codecs_.Get(in.input->meta->codec);
    DecompressPage(page.header, page.data, in_codec, &body_);
    PageHeader h = page.header;
    h.crc.reset();
    size_t raw_prefix = 0;
    if (rewrite) {
      std::vector<uint8_t> rewritten;
      const bool to_plain = !write_dictionary;
      if (h.data_page_header) {
        int64_t present = 0;
        size_t values_at = SkipV1Levels(column_, *h.data_page_header, body_, &present);
        rewritten.assign(body_.begin(), body_.begin() + static_cast<ptrdiff_t>(values_at));
        RewriteIndices(std::span(body_).subspan(values_at), present, in, bit_width_, to_plain,
                       &rewritten);
        if (to_plain) h.data_page_header->encoding = Encoding::kPlain;
      } else {
        DataPageHeaderV2& v2 = *h.data_page_header_v2;
        raw_prefix = static_cast<size_t>(v2.definition_levels_byte_length) +
                     static_cast<size_t>(v2.repetition_levels_byte_length);
        rewritten.assign(body_.begin(), body_.begin() + static_cast<ptrdiff_t>(raw_prefix));
        RewriteIndices(std::span(body_).subspan(raw_prefix), V2Present(column_, v2, body_), in,
                       bit_width_, to_plain, &rewritten);
        if (to_plain) v2.encoding = Encoding::kPlain;
      }
      body_ = std::move(rewritten);
      if (counters_) ++(to_plain ? counters_->pages_to_plain : counters_->pages_remapped);
    } else {
      if (h.data_page_header_v2) {
        raw_prefix = static_cast<size_t>(h.data_page_header_v2->definition_levels_byte_length) +
                     static_cast<size_t>(h.data_page_header_v2->repetition_levels_byte_length);
      }
      if (unsplit) {
        UnsplitValues(&h, raw_prefix);
      } else if (counters_) {
        ++counters_->pages_recompressed;
      }
    }
    stored_.assign(body_.begin(), body_.begin() + static_cast<ptrdiff_t>(raw_prefix));
    Compress(std::span(body_).subspan(raw_prefix), &stored_);
    if (h.data_page_header_v2) {
      h.data_page_header_v2->is_compressed = options_.codec != CompressionCodec::kUncompressed;
    }
    h.uncompressed_page_size = static_cast<int32_t>(body_.size());
    h.compressed_page_size = static_cast<int32_t>(stored_.size());
    chunk_.Append(h, stored_);
  }

  // Rewrites body_, a BYTE_STREAM_SPLIT page decompressed, as PLAIN; its values follow the levels
  // (the first `raw_prefix` bytes of a v2 page).
  void UnsplitValues(PageHeader* h, size_t raw_prefix) {
    const int32_t width = PhysicalValueWidth(column_.physical_type, column_.type_length);
    if (width <= 0 || column_.physical_type == PhysicalType::kInt96 ||
        column_.physical_type == PhysicalType::kBoolean) {
      throw InvalidData("BYTE_STREAM_SPLIT on {}", PhysicalTypeName(column_.physical_type));
    }
    size_t values_at = raw_prefix;
    if (h->data_page_header) {
      int64_t present = 0;
      values_at = SkipV1Levels(column_, *h->data_page_header, body_, &present);
      h->data_page_header->encoding = Encoding::kPlain;
    } else {
      h->data_page_header_v2->encoding = Encoding::kPlain;
    }
    std::span<const uint8_t> split = std::span(body_).subspan(values_at);
    ByteStreamSplitDecoder decoder(split, width);
    std::vector<uint8_t> plain(body_.begin(), body_.begin() + static_cast<ptrdiff_t>(values_at));
    plain.resize(values_at + split.size());
    decoder.Decode(plain.data() + values_at, decoder.num_values());
    body_ = std::move(plain);
    if (counters_) ++counters_->pages_unsplit;
  }

  const ColumnDescriptor& column_;
  const ChunkConcatOptions& options_;
  CodecCache& codecs_;
  Codec& out_codec_;
  OutputChunk chunk_;
  ChunkConcatCounters* counters_;
  DictionaryMerger merger_;
  int bit_width_ = 1;
  std::vector<uint8_t> body_;
  std::vector<uint8_t> stored_;
};

}  // namespace

ColumnChunk ConcatColumnChunks(const ColumnDescriptor& column, std::span<const ChunkInput> inputs,
                               const ChunkConcatOptions& options, CodecCache& codecs,
                               int64_t file_offset, std::vector<uint8_t>* out,
                               ChunkConcatCounters* counters) {
  ChunkConcatenator concatenator(column, options, codecs, out, counters);
  return concatenator.Run(inputs, file_offset);
}

ColumnChunk ConcatColumnChunks(const ColumnDescriptor& column, std::span<const ChunkInput> inputs,
                               const ChunkConcatOptions& options, CodecCache& codecs,
                               int64_t file_offset, const ChunkBytesSink& sink, int64_t piece_bytes,
                               ChunkConcatCounters* counters) {
  std::vector<uint8_t> piece;
  ChunkConcatenator concatenator(column, options, codecs, &piece, counters, &sink, piece_bytes);
  return concatenator.Run(inputs, file_offset);
}

}  // namespace sluice::parquet
