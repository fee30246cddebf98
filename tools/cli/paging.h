// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Lists the server reads a page at a time (a conversation's timeline, a
// customer's conversations). A listing command prints the whole list by
// default, following next_page_token from page to page; with --page-size or
// --page-token it prints one page and the token of the next.
//
// Thread-compatible.

#ifndef OMNIROUTE_TOOLS_CLI_PAGING_H_
#define OMNIROUTE_TOOLS_CLI_PAGING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/command_line.h"
#include "cli/errors.h"
#include "grpcpp/support/status.h"

namespace omniroute::cli {

// The options of a listing command, for its OptionSpec list and its help.
inline constexpr char kPageSizeOption[] = "page-size";
inline constexpr char kPageTokenOption[] = "page-token";
inline constexpr char kPagingHelp[] =
    R"(  --page-size=N     print one page of at most N items (the server allows 1 to
                    1000) and the token of the next page
  --page-token=T    print the page after the one that gave this token (its
                    size: --page-size, or the server's default of 100)
Without either, every page is read and the whole list is printed.
)";

// What the command line asks for: one page (with its size and token), or
// the whole list (nullopt).
struct OnePage {
  int32_t page_size = 0;  // 0: the server's default.
  std::string page_token;
};
absl::StatusOr<std::optional<OnePage>> OnePageFrom(const ParsedArgs& args);

// Reads every page of a list: calls `call` with `request`, then again with
// each next_page_token, until a page has none. `whole` gets the items of
// every page in order and no next_page_token. The first error of a call is
// returned as it is; a server that gives back the token it was sent would
// loop forever, and is an RPC error (INTERNAL) instead.
template <typename Request, typename Response>
absl::Status ReadEveryPage(Request request, Response* whole,
                           absl::FunctionRef<absl::Status(const Request&, Response*)> call) {
  whole->Clear();
  for (;;) {
    Response page;
    if (absl::Status s = call(request, &page); !s.ok()) return s;
    if (!page.next_page_token().empty() && page.next_page_token() == request.page_token()) {
      return RpcError(grpc::Status(
          grpc::StatusCode::INTERNAL,
          absl::StrCat("the server gave back the page token it was sent (\"",
                       page.next_page_token(), "\")")));
    }
    std::string next = page.next_page_token();
    // Appends the page's items; a singular field of the page overwrites.
    whole->MergeFrom(page);
    if (next.empty()) break;
    request.set_page_token(std::move(next));
  }
  whole->clear_next_page_token();
  return absl::OkStatus();
}

// The line printed after one page: "next page: --page-token=T", or nothing
// on the last page.
std::string FormatNextPage(const std::string& next_page_token);

// Runs a listing command whose other fields are set in `request`: reads the
// whole list, or the one page the command line asks for, and prints it
// (readable: `format`, then after one page FormatNextPage; --json: the
// response, one page's with its next_page_token).
template <typename Request, typename Response>
absl::Status PrintList(CommandContext& c, Request request,
                       absl::FunctionRef<absl::Status(const Request&, Response*)> call,
                       absl::FunctionRef<std::string(const Response&)> format) {
  absl::StatusOr<std::optional<OnePage>> one_page = OnePageFrom(c.args);
  if (!one_page.ok()) return one_page.status();
  Response response;
  if (!one_page->has_value()) {
    if (absl::Status s = ReadEveryPage(std::move(request), &response, call); !s.ok()) return s;
    return c.printer.Print(response, [&] { return format(response); });
  }
  request.set_page_size((*one_page)->page_size);
  request.set_page_token((*one_page)->page_token);
  if (absl::Status s = call(request, &response); !s.ok()) return s;
  return c.printer.Print(response, [&] {
    return absl::StrCat(format(response), FormatNextPage(response.next_page_token()));
  });
}

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_PAGING_H_
