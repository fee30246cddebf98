// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What every omniroute-log subcommand shares: its invocation (arguments and
// output streams), option parsing, and how it reports a usage error (exit
// code 2) or a failure (exit code 1).
//
// Thread-compatible.

#ifndef OMNIROUTE_TOOLS_LOG_COMMAND_LINE_H_
#define OMNIROUTE_TOOLS_LOG_COMMAND_LINE_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace omniroute::log_tool {

// Exit codes.
inline constexpr int kExitOk = 0;
// The command was understood but failed: a missing or damaged store, an
// existing backup destination, an output that cannot be written.
inline constexpr int kExitFailure = 1;
// The command line is wrong: an unknown subcommand or option, a missing
// argument, a malformed number.
inline constexpr int kExitUsage = 2;

// One run of a subcommand. The streams are not owned.
struct Invocation {
  // The subcommand's name ("inspect"), used in messages.
  std::string command;
  // The arguments after the subcommand's name.
  std::vector<std::string> args;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
};

// An option a subcommand accepts: "--name" alone, or "--name VALUE" /
// "--name=VALUE" when it takes a value.
struct OptionSpec {
  absl::string_view name;  // Without the dashes: "tenant".
  bool takes_value = false;
};

// A parsed command line: positional arguments in order, and the options given
// (the last one wins when an option is repeated).
class ParsedArgs {
 public:
  const std::vector<std::string>& positional() const { return positional_; }
  bool help() const { return help_; }
  bool Has(absl::string_view option) const { return options_.contains(option); }
  // The option's value; nullopt if the option was not given.
  std::optional<std::string> Value(absl::string_view option) const;

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                              absl::Span<const OptionSpec> options);
  std::vector<std::string> positional_;
  absl::flat_hash_map<std::string, std::string> options_;
  bool help_ = false;
};

// Parses `args` against `options`. "-h" and "--help" are always accepted;
// "--" ends the options (what follows is positional, even if it starts with
// a dash). INVALID_ARGUMENT naming the option for an unknown option, a
// missing value, or a value given to an option that takes none.
absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const OptionSpec> options);

// `text` as a positive decimal integer (a sequence number, a count) no
// larger than `max`; INVALID_ARGUMENT naming `option` otherwise.
absl::StatusOr<uint64_t> ParsePositiveInteger(absl::string_view option, absl::string_view text,
                                              uint64_t max = UINT64_MAX);

// Writes "omniroute-log COMMAND: MESSAGE", the usage line and a pointer to
// --help on the error stream; returns kExitUsage.
int UsageError(const Invocation& invocation, absl::string_view usage, absl::string_view message);

// Writes "omniroute-log COMMAND: FILE: CODE: MESSAGE" on the error stream;
// returns kExitFailure.
int Failure(const Invocation& invocation, absl::string_view file, const absl::Status& status);

// kExitOk if the output stream is still good; otherwise reports that writing
// the output failed and returns kExitFailure.
int FinishOutput(const Invocation& invocation);

}  // namespace omniroute::log_tool

#endif  // OMNIROUTE_TOOLS_LOG_COMMAND_LINE_H_
