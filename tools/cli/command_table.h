// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The table of omniroute commands, their help, and running one: the checks
// every command shares (options, positional arguments, --tenant), then its
// run function, then the error line and exit code of errors.h.
//
// Thread-compatible.

#ifndef OMNIROUTE_TOOLS_CLI_COMMAND_TABLE_H_
#define OMNIROUTE_TOOLS_CLI_COMMAND_TABLE_H_

#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cli/command.h"

namespace omniroute::cli {

// Every command, in the order of the help text.
const std::vector<Command>& Commands();

// nullptr when there is no command of that name.
const Command* FindCommand(absl::string_view name);

// `omniroute --help`: the global flags and the list of commands.
std::string GeneralHelp();

// `omniroute <command> --help`.
std::string CommandHelp(const Command& command);

// "usage: omniroute <name> <usage>".
std::string UsageLine(const Command& command);

// Where a command's run reads and writes. Nothing is owned.
struct Streams {
  std::ostream& out;
  std::ostream& err;
  std::istream& in;
};

// Runs `command` with its arguments (after the name). Errors are written to
// streams.err as "error: CODE: message" (usage errors followed by the usage
// line). Returns the exit code (errors.h).
int RunCommand(const Command& command, absl::Span<const std::string> args,
               const GlobalOptions& options, Client& client, const Streams& streams,
               absl::Time now);

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_COMMAND_TABLE_H_
