#include "sluice/io/parquet/leaf_page_steps.h"

#include "sluice/base/error.h"
#include "sluice/io/parquet/column_appender.h"
#include "sluice/io/parquet/crc32.h"

namespace sluice::parquet {

void CheckPage(const PageHeader& header, std::span<const uint8_t> data,
               const ColumnReadOptions& options) {
  if (header.uncompressed_page_size > options.max_page_size) {
    throw InvalidData("the page claims {} uncompressed bytes, more than the limit of {}",
                      header.uncompressed_page_size, options.max_page_size);
  }
  if (options.verify_crc) VerifyPageCrc(header, data);
}

void ReadDictionaryPage(const RawPage& page, const ColumnDescriptor& column, Codec& codec,
                        bool misplaced, ScratchBuffer& page_bytes, PhysicalValues* dictionary) {
  const PageHeader& header = page.header;
  if (!header.dictionary_page_header) {
    throw InvalidData("a dictionary page without a dictionary page header");
  }
  if (misplaced) throw InvalidData("a second dictionary page, or one after the data pages");
  const DictionaryPageHeader& dict = *header.dictionary_page_header;
  if (dict.encoding != Encoding::kPlain && dict.encoding != Encoding::kPlainDictionary) {
    throw InvalidData("a dictionary page in encoding {}", EncodingName(dict.encoding));
  }
  page_bytes.Resize(static_cast<size_t>(header.uncompressed_page_size));
  DecompressPage(header, page.data, codec, page_bytes.span());
  DecodeDictionaryPage(column.physical_type, column.type_length, page_bytes.span(), dict.num_values,
                       dictionary);
}

void DecodeValuesInto(PageValueDecoder& decoder, ColumnAppender& appender, PhysicalValues& values,
                      ScratchBuffer& fixed, int64_t count, int64_t present, const uint8_t* valid) {
  if (appender.direct_fixed()) {
    decoder.DecodeFixed(present, appender.FixedSlots(count));
    appender.CommitFixed(valid, count, present);
  } else if (appender.direct_binary()) {
    int32_t* ends;
    BufferBuilder* data;
    appender.BinarySlots(count, &ends, &data);
    decoder.DecodeBinary(present, ends, data);
    appender.CommitBinary(valid, count, present);
  } else if (values.width > 0) {
    uint8_t* bytes = fixed.Resize(static_cast<size_t>(present * values.width));
    decoder.DecodeFixed(present, bytes);
    appender.AppendFixedValues(bytes, values.width, valid, count, present);
  } else {
    values.Clear();
    decoder.Decode(present, &values);
    appender.Append(values, valid, count, present);
  }
}

}  // namespace sluice::parquet
