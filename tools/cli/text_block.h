// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Building blocks of the readable output: a block of "key  value" lines with
// the values aligned, columns padded to a common width, and free text (a
// message body, a reason) squeezed onto one line so that every record stays
// one line a terminal, grep or awk can rely on.
//
// Thread-compatible.

#ifndef OMNIROUTE_TOOLS_CLI_TEXT_BLOCK_H_
#define OMNIROUTE_TOOLS_CLI_TEXT_BLOCK_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace omniroute::cli {

// "key  value" lines, values aligned one column after the longest key.
class KeyValueBlock {
 public:
  // Adds a line; an empty value is printed as "-".
  KeyValueBlock& Add(absl::string_view key, absl::string_view value);
  // Adds a line only when `value` is not empty.
  KeyValueBlock& AddIfSet(absl::string_view key, absl::string_view value);

  // The lines, each ending in "\n".
  std::string Render() const;

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

// Rows whose cells are left-aligned and padded to the widest cell of their
// column (the last column is never padded), two spaces apart.
class Columns {
 public:
  void AddRow(std::vector<std::string> cells);
  // The rows, each ending in "\n", without trailing spaces.
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// `text` on one line: line breaks and tabs become spaces after collapsing
// runs of them, other control characters become '?', and anything past
// `max_chars` bytes is cut (at a UTF-8 boundary) and marked with "...".
// max_chars 0: no limit.
std::string OneLine(absl::string_view text, size_t max_chars = 0);

// `text` in double quotes, as OneLine() makes it.
std::string Quoted(absl::string_view text, size_t max_chars = 0);

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_TEXT_BLOCK_H_
