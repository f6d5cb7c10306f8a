// LenientQuotes: where rows end under lenient quoting (CsvDialect::lenient_quotes), one byte at a
// time. A quote opens a quoted field only at a field's start; elsewhere in an unquoted field it
// is a plain character. In a quoted field a doubled quote is a literal quote; a quote followed
// by the delimiter or a newline closes the field; followed by anything else it closes the field
// too and the rest of the field is read unquoted (the tokenizer reports that row as malformed).
// The row boundary scanner and the tokenizer's resynchronisation after a malformed row both step
// through this one machine, so they agree on every row end.
//
// Thread safety: a plain value, used by one thread.
#pragma once

#include <cstdint>

#include "sluice/io/csv/csv_dialect.h"

namespace sluice::csv {

class LenientQuotes {
 public:
  enum class State : uint8_t { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };

  explicit LenientQuotes(const CsvDialect& dialect, State state = State::kFieldStart)
      : delimiter_(dialect.delimiter),
        quote_(dialect.quote),
        escape_(dialect.escape),
        state_(state) {}

  // Consumes one byte; true when it is a newline that ends a row.
  bool Step(char c) {
    if (escape_pending_) {
      escape_pending_ = false;
      if (state_ == State::kFieldStart) state_ = State::kUnquoted;
      return false;
    }
    switch (state_) {
      case State::kQuoted:
        if (escape_ != '\0' && c == escape_) {
          escape_pending_ = true;
        } else if (c == quote_) {
          state_ = State::kQuoteInQuoted;
        }
        return false;
      case State::kQuoteInQuoted:
        if (c == quote_) {
          state_ = State::kQuoted;
          return false;
        }
        break;
      case State::kFieldStart:
        if (quote_ != '\0' && c == quote_) {
          state_ = State::kQuoted;
          return false;
        }
        break;
      case State::kUnquoted:
        break;
    }
    // Outside quotes.
    if (c == delimiter_) {
      state_ = State::kFieldStart;
    } else if (c == '\n') {
      state_ = State::kFieldStart;
      return true;
    } else {
      state_ = State::kUnquoted;
      if (escape_ != '\0' && c == escape_) escape_pending_ = true;
    }
    return false;
  }

  bool in_quotes() const { return state_ == State::kQuoted; }

 private:
  char delimiter_;
  char quote_;
  char escape_;
  State state_;
  bool escape_pending_ = false;
};

}  // namespace sluice::csv
