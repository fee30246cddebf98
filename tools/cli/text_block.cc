// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/text_block.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace omniroute::cli {

KeyValueBlock& KeyValueBlock::Add(absl::string_view key, absl::string_view value) {
  lines_.emplace_back(std::string(key), value.empty() ? "-" : std::string(value));
  return *this;
}

KeyValueBlock& KeyValueBlock::AddIfSet(absl::string_view key, absl::string_view value) {
  if (!value.empty()) Add(key, value);
  return *this;
}

std::string KeyValueBlock::Render() const {
  size_t width = 0;
  for (const auto& [key, value] : lines_) width = std::max(width, key.size());
  std::string out;
  for (const auto& [key, value] : lines_) {
    absl::StrAppend(&out, key, std::string(width - key.size() + 2, ' '), value, "\n");
  }
  return out;
}

void Columns::AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

std::string Columns::Render() const {
  std::vector<size_t> widths;
  for (const std::vector<std::string>& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const std::vector<std::string>& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line.append("  ");
      line.append(row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string OneLine(absl::string_view text, size_t max_chars) {
  std::string out;
  out.reserve(std::min(text.size(), max_chars == 0 ? text.size() : max_chars + 3));
  bool in_break = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      in_break = true;
      continue;
    }
    if (in_break) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      in_break = false;
    }
    const unsigned char byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte == 0x7F ? '?' : c);
  }
  if (max_chars > 0 && out.size() > max_chars) {
    size_t cut = max_chars;
    // Back up over UTF-8 continuation bytes so no character is split.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out.append("...");
  }
  return out;
}

std::string Quoted(absl::string_view text, size_t max_chars) {
  return absl::StrCat("\"", OneLine(text, max_chars), "\"");
}

}  // namespace omniroute::cli
