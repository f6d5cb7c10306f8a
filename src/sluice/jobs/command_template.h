// CommandTemplate: the argv of an external command run once per partition, with placeholders
// filled from the partition: {key}, {partition} (its id), {attempt}, {output} (the attempt's
// private output directory) and any field of the partition's definition, e.g. {path}, {offset},
// {length}, {lo}, {hi}, {paths} (a list, joined with spaces). "{{" and "}}" stand for braces.
//
// Placeholders are checked when the template is parsed, against the fields the partitioner can
// produce, so that a misspelt placeholder is an error before a job is created or anything is
// written.
//
// Thread safety: immutable after construction; Expand may be called from any thread.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/ledger/ledger_records.h"

namespace sluice::jobs {

// The placeholders every partition has, whatever its partitioner.
inline const std::set<std::string, std::less<>>& BuiltinPlaceholders() {
  static const std::set<std::string, std::less<>> names = {"key", "partition", "attempt", "output"};
  return names;
}

class CommandTemplate {
 public:
  // InvalidArgument (naming the argument and placeholder) for an empty command, an unknown
  // placeholder or an unbalanced brace. `fields` are the definition fields the partitioner
  // produces; the built-in placeholders are always known.
  CommandTemplate(std::vector<std::string> argv, const std::set<std::string, std::less<>>& fields);

  const std::vector<std::string>& argv() const { return argv_; }
  // The placeholder names used, e.g. to know whether {output} is needed.
  const std::set<std::string, std::less<>>& used() const { return used_; }

  // The command for one attempt. InvalidData (naming the field and partition) when the
  // definition lacks a used field.
  std::vector<std::string> Expand(const ledger::Lease& lease, std::string_view output_dir) const;

 private:
  std::vector<std::string> argv_;
  std::set<std::string, std::less<>> used_;
};

}  // namespace sluice::jobs
