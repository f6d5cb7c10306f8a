#include "sluice/jobs/command_template.h"

#include <nlohmann/json.hpp>

#include "sluice/base/error.h"

namespace sluice::jobs {
namespace {

// Calls on_text for literal runs and on_name for placeholders; throws InvalidArgument.
template <typename OnText, typename OnName>
void Scan(std::string_view arg, OnText on_text, OnName on_name) {
  size_t i = 0;
  while (i < arg.size()) {
    char c = arg[i];
    if (c == '{' && i + 1 < arg.size() && arg[i + 1] == '{') {
      on_text("{");
      i += 2;
    } else if (c == '}' && i + 1 < arg.size() && arg[i + 1] == '}') {
      on_text("}");
      i += 2;
    } else if (c == '{') {
      size_t end = arg.find('}', i + 1);
      if (end == std::string_view::npos) {
        throw InvalidArgument("unterminated placeholder '{{' (write '{{{{' for a literal brace)");
      }
      on_name(arg.substr(i + 1, end - i - 1));
      i = end + 1;
    } else if (c == '}') {
      throw InvalidArgument("unmatched '}}' (write '}}}}' for a literal brace)");
    } else {
      size_t next = arg.find_first_of("{}", i);
      if (next == std::string_view::npos) next = arg.size();
      on_text(arg.substr(i, next - i));
      i = next;
    }
  }
}

std::string FieldText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) {
      if (!joined.empty()) joined += ' ';
      joined += FieldText(item);
    }
    return joined;
  }
  return value.dump();
}

}  // namespace

CommandTemplate::CommandTemplate(std::vector<std::string> argv,
                                 const std::set<std::string, std::less<>>& fields)
    : argv_(std::move(argv)) {
  if (argv_.empty()) throw InvalidArgument("no command given (put it after --)");
  for (size_t a = 0; a < argv_.size(); ++a) {
    try {
      Scan(
          argv_[a], [](std::string_view) {},
          [&](std::string_view name) {
            if (!BuiltinPlaceholders().contains(name) && !fields.contains(name)) {
              std::string known;
              for (const auto& set : {BuiltinPlaceholders(), fields}) {
                for (const auto& n : set) known += (known.empty() ? "{" : ", {") + n + "}";
              }
              throw InvalidArgument("unknown placeholder {{{}}}; this partitioner provides {}",
                                    name, known);
            }
            used_.emplace(name);
          });
    } catch (Error& e) {
      throw std::move(e).With("command argument", std::to_string(a + 1)).With("text", argv_[a]);
    }
  }
}

std::vector<std::string> CommandTemplate::Expand(const ledger::Lease& lease,
                                                 std::string_view output_dir) const {
  nlohmann::json definition = nlohmann::json::parse(lease.definition_json, nullptr, false);
  std::vector<std::string> out;
  out.reserve(argv_.size());
  for (const std::string& arg : argv_) {
    std::string expanded;
    Scan(
        arg, [&](std::string_view text) { expanded += text; },
        [&](std::string_view name) {
          if (name == "key") {
            expanded += lease.key;
          } else if (name == "partition") {
            expanded += std::to_string(lease.partition_id);
          } else if (name == "attempt") {
            expanded += std::to_string(lease.attempt);
          } else if (name == "output") {
            expanded += output_dir;
          } else if (definition.is_object() && definition.contains(name)) {
            expanded += FieldText(definition[std::string(name)]);
          } else {
            throw InvalidData("partition has no field {{{}}}", name).With("partition", lease.key);
          }
        });
    out.push_back(std::move(expanded));
  }
  return out;
}

}  // namespace sluice::jobs
