// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/paging.h"

#include <limits>

#include "cli/values.h"

namespace omniroute::cli {

absl::StatusOr<std::optional<OnePage>> OnePageFrom(const ParsedArgs& args) {
  std::optional<std::string> size = args.Value(kPageSizeOption);
  std::optional<std::string> token = args.Value(kPageTokenOption);
  if (!size.has_value() && !token.has_value()) return std::nullopt;
  OnePage page;
  if (size.has_value()) {
    // The range is the server's to judge; here only what fits the field.
    absl::StatusOr<int64_t> n = ParseInteger(absl::StrCat("--", kPageSizeOption), *size, 1,
                                             std::numeric_limits<int32_t>::max());
    if (!n.ok()) return n.status();
    page.page_size = static_cast<int32_t>(*n);
  }
  page.page_token = token.value_or("");
  return page;
}

std::string FormatNextPage(const std::string& next_page_token) {
  if (next_page_token.empty()) return "";
  return absl::StrCat("next page: --", kPageTokenOption, "=", next_page_token, "\n");
}

}  // namespace omniroute::cli
