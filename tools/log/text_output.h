// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Small formatting helpers of omniroute-log: aligned text tables and JSON
// string literals.
//
// Thread-compatible.

#ifndef OMNIROUTE_TOOLS_LOG_TEXT_OUTPUT_H_
#define OMNIROUTE_TOOLS_LOG_TEXT_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace omniroute::log_tool {

// A table printed with its columns aligned: the first column left-aligned,
// the others right-aligned (they hold numbers), two spaces between columns.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);

  // Adds a row; missing cells are blank, extra cells are dropped.
  void AddRow(std::vector<std::string> cells);

  // The table, one line per row (header first), each ending in "\n", without
  // trailing spaces.
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// `text` as a JSON string literal, quotes included: '"', '\' and control
// characters escaped; other bytes as they are.
std::string JsonString(absl::string_view text);

}  // namespace omniroute::log_tool

#endif  // OMNIROUTE_TOOLS_LOG_TEXT_OUTPUT_H_
