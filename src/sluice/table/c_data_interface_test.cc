#include "sluice/table/c_data_interface.h"

#include <gtest/gtest.h>

#include <cstring>

#include "sluice/base/error.h"
#include "sluice/table/arrow_export.h"
#include "sluice/table/arrow_import.h"
#include "sluice/table/arrow_stream.h"
#include "sluice/table/builder.h"
#include "sluice/table/equal.h"
#include "sluice/table/printer.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice {
namespace {

RecordBatch RoundTrip(const RecordBatch& batch) {
  ArrowSchema schema;
  ArrowArray array;
  ExportSchema(batch.schema(), &schema);
  ExportRecordBatch(batch, &array);
  RecordBatch imported = ImportRecordBatch(&array, &schema);
  EXPECT_EQ(array.release, nullptr);
  EXPECT_EQ(schema.release, nullptr);
  return imported;
}

TEST(CDataInterfaceTest, EveryTypeRoundTripsZeroCopy) {
  RecordBatch batch = MakeSampleBatch(257);
  RecordBatch imported = RoundTrip(batch);
  EXPECT_EQ(imported, batch) << imported;
  for (int c = 0; c < batch.num_columns(); ++c) {
    const Array& original = batch.column(c);
    const Array& copy = imported.column(c);
    for (int b = 0; b < original.num_buffers(); ++b) {
      const void* before = original.buffer(b) ? original.buffer(b)->data() : nullptr;
      const void* after = copy.buffer(b) ? copy.buffer(b)->data() : nullptr;
      EXPECT_EQ(before, after) << batch.schema().field(c).name << " buffer " << b;
    }
    EXPECT_TRUE(copy.buffer(1)->is_foreign());
  }
}

TEST(CDataInterfaceTest, SchemaCarriesNamesFormatsAndNullability) {
  Schema schema({{"id", DataType::Int64(), false},
                 {"at", DataType::Timestamp(TimeUnit::kNano, "America/New_York")},
                 {"price", DataType::Decimal128(12, 4)}});
  ArrowSchema exported;
  ExportSchema(schema, &exported);
  EXPECT_STREQ(exported.format, "+s");
  ASSERT_EQ(exported.n_children, 3);
  EXPECT_STREQ(exported.children[0]->name, "id");
  EXPECT_STREQ(exported.children[0]->format, "l");
  EXPECT_EQ(exported.children[0]->flags & ARROW_FLAG_NULLABLE, 0);
  EXPECT_STREQ(exported.children[1]->format, "tsn:America/New_York");
  EXPECT_EQ(exported.children[1]->flags & ARROW_FLAG_NULLABLE, ARROW_FLAG_NULLABLE);
  EXPECT_STREQ(exported.children[2]->format, "d:12,4");
  EXPECT_EQ(ImportSchema(&exported), schema);
}

TEST(CDataInterfaceTest, SlicesExportWithTheirOffset) {
  RecordBatch batch = MakeSampleBatch(100);
  RecordBatch slice = batch.Slice(13, 50);
  ArrowArray array;
  ExportRecordBatch(slice, &array);
  EXPECT_EQ(array.length, 50);
  EXPECT_EQ(array.children[3]->offset, 13);
  ArrowSchema schema;
  ExportSchema(slice.schema(), &schema);
  EXPECT_EQ(ImportRecordBatch(&array, &schema), slice);
}

TEST(CDataInterfaceTest, ExportedMemoryLivesUntilTheConsumerReleases) {
  Allocator allocator;
  ArrowArray array;
  {
    RecordBatch batch = MakeSampleBatch(1000, &allocator);
    ExportRecordBatch(batch, &array);
  }
  // The batch is gone; the consumer's array still holds its buffers.
  EXPECT_GT(allocator.stats().live_bytes, 0);
  const auto* values = static_cast<const int64_t*>(array.children[4]->buffers[1]);
  EXPECT_EQ(values[1], (37 - 500) * int64_t{1000003});
  // A consumer may move a child out and release the parent first.
  ArrowArray child = *array.children[0];
  array.children[0]->release = nullptr;
  array.release(&array);
  EXPECT_EQ(array.release, nullptr);
  EXPECT_GT(allocator.stats().live_bytes, 0);
  child.release(&child);
  EXPECT_EQ(allocator.stats().live_bytes, 0);
}

// A producer that is not sluice: one int32 column in plain arrays, counting its releases.
struct FakeProducer {
  int32_t values[5] = {10, 20, 30, 40, 50};
  uint8_t validity[1] = {0b11011};
  const void* buffers[2] = {validity, values};
  int releases = 0;

  ArrowArray Make() {
    ArrowArray array{};
    array.length = 5;
    array.null_count = -1;
    array.n_buffers = 2;
    array.buffers = buffers;
    array.private_data = this;
    array.release = [](ArrowArray* self) {
      ++static_cast<FakeProducer*>(self->private_data)->releases;
      self->release = nullptr;
    };
    return array;
  }
};

TEST(CDataInterfaceTest, ImportKeepsTheProducerAliveUntilTheLastView) {
  FakeProducer producer;
  ArrowArray array = producer.Make();
  Array slice = [&] {
    Array imported = ImportArray(&array, DataType::Int32());
    EXPECT_EQ(array.release, nullptr);  // moved
    EXPECT_EQ(imported.null_count(), 1);
    EXPECT_EQ(imported.Value<int32_t>(4), 50);
    EXPECT_EQ(imported.buffer(1)->data(), reinterpret_cast<const uint8_t*>(producer.values));
    EXPECT_EQ(ByteSize(imported), 1 + 5 * 4);
    return imported.Slice(1, 3);
  }();
  EXPECT_EQ(producer.releases, 0);
  EXPECT_EQ(ToString(slice), "[20, null, 40]");
  slice = Array::Make(DataType::Int32(), 0, {nullptr, Allocator::Default()->Allocate(0)});
  EXPECT_EQ(producer.releases, 1);
}

TEST(CDataInterfaceTest, ImportErrorsNameTheColumnAndStillRelease) {
  FakeProducer producer;
  ArrowArray child = producer.Make();
  ArrowArray* children[1] = {&child};
  const void* no_buffers[1] = {nullptr};
  ArrowArray parent{};
  parent.length = 5;
  parent.n_buffers = 1;
  parent.buffers = no_buffers;
  parent.n_children = 1;
  parent.children = children;
  parent.release = [](ArrowArray* self) {
    ArrowArray* c = self->children[0];
    if (c->release != nullptr) c->release(c);
    self->release = nullptr;
  };
  // Claimed as a string column: three buffers expected, two given.
  auto schema = std::make_shared<const Schema>(Schema({{"label", DataType::String()}}));
  try {
    ImportRecordBatch(&parent, schema);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
    EXPECT_EQ(e.ContextValue("column"), "label");
  }
  EXPECT_EQ(producer.releases, 1);

  ArrowSchema large;
  ExportField(Field{"x", DataType::String()}, &large);
  ArrowSchema wrapper;
  ExportSchema(Schema({{"big", DataType::String()}}), &wrapper);
  const_cast<const char*&>(wrapper.children[0]->format) = "U";
  try {
    ImportSchema(&wrapper);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotSupported);
    EXPECT_EQ(e.ContextValue("column"), "big");
  }
  EXPECT_EQ(wrapper.release, nullptr);
  EXPECT_EQ(ImportField(&large), (Field{"x", DataType::String()}));
}

TEST(CDataInterfaceTest, StreamRoundTrip) {
  RecordBatch batch = MakeSampleBatch(90);
  std::vector<RecordBatch> batches = {batch.Slice(0, 40), batch.Slice(40, 0), batch.Slice(40, 50)};
  ArrowArrayStream stream;
  ExportRecordBatchStream(batch.shared_schema(), batches, &stream);
  // Consumers may ask for the schema more than once.
  ArrowSchema probe;
  ASSERT_EQ(stream.get_schema(&stream, &probe), 0);
  probe.release(&probe);
  ArrowStreamReader reader(&stream);
  EXPECT_EQ(stream.release, nullptr);
  EXPECT_EQ(*reader.schema(), batch.schema());
  for (const RecordBatch& expected : batches) {
    std::optional<RecordBatch> next = reader.Next();
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, expected);
  }
  EXPECT_FALSE(reader.Next());
  EXPECT_FALSE(reader.Next());
}

}  // namespace
}  // namespace sluice
