#include "sluice/io/csv/csv_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "sluice/base/error.h"
#include "sluice/io/csv/csv_schema.h"
#include "sluice/io/csv/type_inference.h"
#include "sluice/io/csv/value_parser.h"
#include "sluice/table/builder.h"

namespace sluice::csv {
namespace {

std::string Shorten(std::string_view text) {
  constexpr size_t kMax = 60;
  return text.size() <= kMax ? std::string(text) : std::string(text.substr(0, kMax)) + "...";
}

// Appends one field to a builder of the column's type; false when the text does not parse.
template <typename T>
bool AppendInteger(ArrayBuilder& builder, std::string_view text) {
  T value;
  if constexpr (std::is_signed_v<T>) {
    int64_t v;
    if (!ParseInt64(text, v) || v < std::numeric_limits<T>::min() ||
        v > std::numeric_limits<T>::max()) {
      return false;
    }
    value = static_cast<T>(v);
  } else {
    uint64_t v;
    if (!ParseUInt64(text, v) || v > std::numeric_limits<T>::max()) return false;
    value = static_cast<T>(v);
  }
  static_cast<FixedWidthBuilder<T>&>(builder).Append(value);
  return true;
}

bool AppendValue(ArrayBuilder& builder, std::string_view text) {
  switch (builder.type().id()) {
    case TypeId::kString:
    case TypeId::kBinary:
      static_cast<BinaryBuilder&>(builder).Append(text);
      return true;
    case TypeId::kBool: {
      bool v;
      if (!ParseBool(text, v)) return false;
      static_cast<BoolBuilder&>(builder).Append(v);
      return true;
    }
    case TypeId::kInt8:
      return AppendInteger<int8_t>(builder, text);
    case TypeId::kInt16:
      return AppendInteger<int16_t>(builder, text);
    case TypeId::kInt32:
      return AppendInteger<int32_t>(builder, text);
    case TypeId::kInt64:
      return AppendInteger<int64_t>(builder, text);
    case TypeId::kUInt8:
      return AppendInteger<uint8_t>(builder, text);
    case TypeId::kUInt16:
      return AppendInteger<uint16_t>(builder, text);
    case TypeId::kUInt32:
      return AppendInteger<uint32_t>(builder, text);
    case TypeId::kUInt64:
      return AppendInteger<uint64_t>(builder, text);
    case TypeId::kFloat32: {
      double v;
      if (!ParseFloat64(text, v)) return false;
      static_cast<FixedWidthBuilder<float>&>(builder).Append(static_cast<float>(v));
      return true;
    }
    case TypeId::kFloat64: {
      double v;
      if (!ParseFloat64(text, v)) return false;
      static_cast<FixedWidthBuilder<double>&>(builder).Append(v);
      return true;
    }
    case TypeId::kDate32: {
      int32_t v;
      if (!ParseDate32(text, v)) return false;
      static_cast<FixedWidthBuilder<int32_t>&>(builder).Append(v);
      return true;
    }
    case TypeId::kTimestamp: {
      int64_t v;
      if (!ParseTimestampMicros(text, v)) return false;
      static_cast<FixedWidthBuilder<int64_t>&>(builder).Append(v);
      return true;
    }
    default:
      return false;
  }
}

// Whether the text parses as the type (for error messages).
bool AppendsAs(const DataType& type, std::string_view text) {
  std::unique_ptr<ArrayBuilder> builder = MakeBuilder(type);
  return AppendValue(*builder, text);
}

}  // namespace

CsvReader::CsvReader(std::shared_ptr<fs::FileSystem> fs, std::vector<fs::FileInfo> files,
                     CsvReadOptions options)
    : fs_(std::move(fs)),
      files_(std::move(files)),
      options_(std::move(options)),
      bad_rows_(std::make_unique<BadRowLog>(options_.bad_rows, options_.bad_row_examples)) {}

std::shared_ptr<CsvReader> CsvReader::Open(std::shared_ptr<fs::FileSystem> fs,
                                           const std::vector<std::string>& patterns,
                                           CsvReadOptions options) {
  if (options.batch_rows <= 0) throw InvalidArgument("batch rows must be positive");
  std::vector<fs::FileInfo> files;
  for (const std::string& pattern : patterns) {
    for (fs::FileInfo& f : fs->Glob(pattern)) files.push_back(std::move(f));
  }
  if (files.empty()) throw InvalidArgument("no input files given");
  CsvDialect& dialect = options.dialect;
  if (dialect.delimiter == '\0') {
    const std::string& first = files[0].path;
    const bool tsv =
        first.ends_with(".tsv") || first.ends_with(".tsv.gz") || first.ends_with(".tsv.zst");
    dialect.delimiter = tsv ? '\t' : ',';
  }
  if (dialect.escape == dialect.quote) dialect.escape = '\0';  // the quote escapes by doubling
  dialect.Validate();
  std::shared_ptr<CsvReader> reader(new CsvReader(std::move(fs), std::move(files), options));
  reader->ReadHeaderAndInfer();
  return reader;
}

void CsvReader::ReadHeaderAndInfer() {
  const CsvDialect& dialect = options_.dialect;
  CsvChunkReader first(*fs_, files_[0].path, 0, dialect, options_.chunk_bytes);
  CsvChunk chunk;
  const bool any = first.Next(chunk);
  CsvTokenizer tokenizer(dialect);
  size_t body = 0;
  int64_t body_line = 1;
  if (dialect.header) {
    if (!any)
      throw InvalidData("the file is empty; a header was expected").With("file", files_[0].path);
    bool got = false;
    auto pos =
        tokenizer.Tokenize(chunk.data(), chunk.size(), chunk.first_line, [&](const CsvRow& row) {
          if (auto error = RowError(chunk, row); error && row.problem != RowProblem::kNone) {
            throw std::move(*error).With("stage", "header");
          }
          for (const CsvField& f : row.fields) header_.emplace_back(f.view());
          got = true;
          return false;
        });
    if (!got) throw InvalidData("no header row found").With("file", files_[0].path);
    body = pos.consumed;
    body_line = pos.line;
  }
  // The sample: the first infer_rows rows of the first file (read on until there are enough,
  // at most kMaxSampleBytes, since a small first chunk may hold no data row at all).
  constexpr int64_t kMaxSampleBytes = 64 << 20;
  std::vector<std::vector<std::optional<std::string>>> sample;
  size_t columns = header_.size();
  bool more = any;
  size_t from = body;
  int64_t from_line = body_line;
  while (more && static_cast<int64_t>(sample.size()) < options_.infer_rows) {
    tokenizer.Tokenize(chunk.data() + from, chunk.size() - from, from_line, [&](const CsvRow& row) {
      if (row.problem != RowProblem::kNone) return true;
      if (columns == 0) columns = row.fields.size();
      if (row.fields.size() != columns) return true;
      std::vector<std::optional<std::string>> values;
      for (const CsvField& f : row.fields) {
        values.push_back(IsNull(f) ? std::nullopt : std::optional<std::string>(f.view()));
      }
      sample.push_back(std::move(values));
      return static_cast<int64_t>(sample.size()) < options_.infer_rows;
    });
    more = first.bytes_read() < kMaxSampleBytes && first.Next(chunk);
    from = 0;
    from_line = chunk.first_line;
  }
  std::vector<std::string> names = header_;
  if (!dialect.header) {
    names = options_.column_names;
    if (!names.empty() && columns != 0 && names.size() != columns) {
      throw InvalidArgument("{} column names given for {} columns", names.size(), columns)
          .With("file", files_[0].path);
    }
    if (names.empty()) {
      for (size_t i = 0; i < columns; ++i) names.push_back("column" + std::to_string(i + 1));
    }
  }
  if (names.empty()) throw InvalidData("no columns found").With("file", files_[0].path);
  ColumnTypeInference inference(names.size());
  for (const auto& values : sample) {
    for (size_t c = 0; c < values.size(); ++c) {
      if (values[c]) inference.Observe(c, *values[c]);
    }
  }
  std::vector<Field> fields;
  for (size_t c = 0; c < names.size(); ++c) {
    fields.push_back(Field{names[c], inference.Result(c), true});
  }
  inferred_.assign(names.size(), true);
  for (const auto& [name, type] : options_.column_types) {
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      throw NotFound("the given schema names column '{}', which the files do not have", name)
          .With("file", files_[0].path);
    }
    if (!IsCsvReadableType(type)) {
      throw NotSupported("the CSV reader cannot produce type {} (column {})", type.ToString(),
                         name);
    }
    fields[static_cast<size_t>(it - names.begin())].type = type;
    inferred_[static_cast<size_t>(it - names.begin())] = false;
  }
  schema_ = std::make_shared<const Schema>(std::move(fields));
}

int CsvReader::ColumnIndex(const std::string& name) const {
  if (auto index = schema_->FieldIndex(name)) return *index;
  std::string known;
  for (const Field& f : schema_->fields()) known += (known.empty() ? "" : ", ") + f.name;
  throw NotFound("no column named '{}'; the columns are {}", name, known)
      .With("file", files_[0].path);
}

CsvReader::FileChunks::FileChunks(const CsvReader& owner, int file_index)
    : owner_(owner),
      reader_(*owner.fs_, owner.files_.at(static_cast<size_t>(file_index)).path, file_index,
              owner.options_.dialect, owner.options_.chunk_bytes, owner.options_.map_files),
      header_done_(!owner.options_.dialect.header) {}

bool CsvReader::FileChunks::Next(CsvChunk& out) {
  if (!reader_.Next(out)) {
    if (!header_done_) {
      throw InvalidData("the file is empty; a header was expected")
          .With("file", owner_.files_[static_cast<size_t>(out.file_index)].path);
    }
    return false;
  }
  if (header_done_) return true;
  header_done_ = true;
  CsvTokenizer tokenizer(owner_.options_.dialect);
  std::vector<std::string> header;
  auto read_header = [&](char* text, size_t size) {
    header.clear();
    return tokenizer.Tokenize(text, size, out.first_line, [&](const CsvRow& row) {
      for (const CsvField& f : row.fields) header.emplace_back(f.view());
      return false;
    });
  };
  // A mapped chunk stays read-only: the header is read from a copy of the chunk's start, unless
  // it does not end inside that copy.
  CsvTokenizer::Position pos;
  std::string head;
  if (out.view != nullptr) {
    head.assign(out.cdata(), std::min<size_t>(out.size(), 64 << 10));
    pos = read_header(head.data(), head.size());
  }
  if (out.view == nullptr || (pos.consumed == head.size() && head.size() < out.size())) {
    pos = read_header(out.data(), out.size());
  }
  if (header != owner_.header_) {
    std::string mine, first;
    for (auto& h : header) mine += (mine.empty() ? "" : ",") + h;
    for (auto& h : owner_.header_) first += (first.empty() ? "" : ",") + h;
    throw InvalidData("the header '{}' differs from '{}' of {}", Shorten(mine), Shorten(first),
                      owner_.files_[0].path)
        .With("file", *out.path)
        .With("line", std::to_string(out.first_line));
  }
  out.begin += pos.consumed;
  out.first_line = pos.line;
  return true;
}

std::unique_ptr<CsvReader::FileChunks> CsvReader::OpenFile(int file_index) const {
  return std::unique_ptr<FileChunks>(new FileChunks(*this, file_index));
}

bool CsvReader::IsNull(const CsvField& field) const {
  if (field.quoted) return false;
  for (const std::string& n : options_.dialect.null_values) {
    if (field.view() == n) return true;
  }
  return false;
}

std::optional<Error> CsvReader::RowError(const CsvChunk& chunk, const CsvRow& row) const {
  if (row.problem != RowProblem::kNone) {
    chunk.RequireSourceUnchanged();
    const size_t col = static_cast<size_t>(row.problem_field);
    Error e = InvalidData("{}", RowProblemText(row.problem));
    e.With("file", *chunk.path).With("line", std::to_string(row.line));
    e.With("column",
           std::to_string(col + 1) + (schema_ && col < static_cast<size_t>(schema_->num_fields())
                                          ? " (" + schema_->field(static_cast<int>(col)).name + ")"
                                          : ""));
    e.With("text", Shorten(row.problem_text));
    return e;
  }
  const size_t expected = schema_ ? static_cast<size_t>(schema_->num_fields()) : row.fields.size();
  if (row.fields.size() != expected) {
    chunk.RequireSourceUnchanged();
    Error e = InvalidData("expected {} fields, found {}", expected, row.fields.size());
    e.With("file", *chunk.path).With("line", std::to_string(row.line));
    std::string text;
    for (const CsvField& f : row.fields) text += (text.empty() ? "" : ",") + std::string(f.view());
    e.With("text", Shorten(text));
    return e;
  }
  return std::nullopt;
}

Error CsvReader::ValueError(const CsvChunk& chunk, const CsvRow& row, int column,
                            const DataType& type) const {
  chunk.RequireSourceUnchanged();
  const std::string_view text = row.fields[static_cast<size_t>(column)].view();
  const bool inferred = inferred_[static_cast<size_t>(column)];
  std::string message = inferred && AppendsAs(type, text)
                            ? fmt::format("'{}' would not read back as the same text as {}",
                                          Shorten(text), type.ToString())
                            : fmt::format("'{}' is not a valid {}", Shorten(text), type.ToString());
  if (inferred) {
    message += fmt::format(
        " (the type inferred from the first {} rows; give the column's type, e.g. string, to "
        "read it as it stands)",
        options_.infer_rows);
  }
  return InvalidData("{}", message)
      .With("file", *chunk.path)
      .With("line", std::to_string(row.line))
      .With("column", std::to_string(column + 1) + " (" + schema_->field(column).name + ")");
}

std::vector<RecordBatch> CsvReader::ParseChunk(CsvChunk& chunk) const {
  const int columns = schema_->num_fields();
  std::vector<std::unique_ptr<ArrayBuilder>> builders;
  for (const Field& f : schema_->fields()) {
    builders.push_back(MakeBuilder(f.type));
    builders.back()->set_name(f.name);
  }
  std::vector<RecordBatch> out;
  int64_t rows = 0;
  auto flush = [&] {
    if (rows == 0) return;
    std::vector<Array> arrays;
    for (auto& b : builders) arrays.push_back(b->Finish());
    out.push_back(RecordBatch::Make(schema_, std::move(arrays), rows));
    rows = 0;
  };
  CsvTokenizer tokenizer(options_.dialect);
  tokenizer.Tokenize(chunk.data(), chunk.size(), chunk.first_line, [&](const CsvRow& row) {
    if (auto error = RowError(chunk, row)) {
      bad_rows_->Handle(std::move(*error));
      return true;
    }
    for (int c = 0; c < columns; ++c) {
      const CsvField& f = row.fields[static_cast<size_t>(c)];
      ArrayBuilder& b = *builders[static_cast<size_t>(c)];
      if (IsNull(f)) {
        b.AppendNull();
      } else if ((inferred_[static_cast<size_t>(c)] && !RoundTrips(b.type(), f.view())) ||
                 !AppendValue(b, f.view())) {
        Error e = ValueError(chunk, row, c, b.type());
        if (c > 0) {
          // Builders cannot pop: close the batch at the rows before this one, whose arrays
          // are sliced to exclude the values this row already appended.
          std::vector<Array> arrays;
          for (auto& column : builders) arrays.push_back(column->Finish().Slice(0, rows));
          if (rows > 0) out.push_back(RecordBatch::Make(schema_, std::move(arrays), rows));
          rows = 0;
        }
        bad_rows_->Handle(std::move(e));
        return true;
      }
    }
    if (++rows >= options_.batch_rows) flush();
    return true;
  });
  flush();
  return out;
}

std::vector<RecordBatch> CsvReader::ReadAll() const {
  std::vector<RecordBatch> out;
  for (int f = 0; f < num_files(); ++f) {
    auto chunks = OpenFile(f);
    CsvChunk chunk;
    while (chunks->Next(chunk)) {
      for (RecordBatch& b : ParseChunk(chunk)) out.push_back(std::move(b));
    }
  }
  return out;
}

}  // namespace sluice::csv
