// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The shape of an omniroute command line:
//
//   omniroute [global flags] <command> [options and arguments]
//
// Global flags (--server, --tenant, --json, --timeout) may also follow the
// command, so that `omniroute timeline 7 --json` works; each command's own
// options are parsed here, with their values given as "--name=VALUE" or
// "--name VALUE", and repeatable options collected in order.
//
// Pure functions, no I/O. Thread-compatible.

#ifndef OMNIROUTE_TOOLS_CLI_COMMAND_LINE_H_
#define OMNIROUTE_TOOLS_CLI_COMMAND_LINE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace omniroute::cli {

// An option a command accepts.
struct OptionSpec {
  enum class Kind {
    // "--name" alone: present or not.
    kSwitch,
    // "--name=VALUE" or "--name VALUE", at most once.
    kValue,
    // Like kValue, any number of times; the values are kept in order.
    kRepeated,
  };
  absl::string_view name;  // Without the dashes: "channel".
  Kind kind = Kind::kValue;
};

// A global flag as the splitter needs to know it: its name and whether it is
// a boolean (a boolean takes no separate value: "--json", "--nojson",
// "--json=false").
struct GlobalFlagSpec {
  absl::string_view name;
  bool is_bool = false;
};

// One global flag found on the command line, with its value as text
// ("true"/"false" for a boolean given without one).
struct GlobalFlag {
  std::string name;
  std::string value;
};

// A command line split into its global flags, the command's name and the
// command's own arguments (in order, options and positionals mixed).
struct SplitCommandLine {
  std::vector<GlobalFlag> globals;
  // Empty when no command was given.
  std::string command;
  std::vector<std::string> command_args;
  // "-h", "--help" or "help" before any command.
  bool help = false;
};

// Splits `args` (without the program name). Before the command only global
// flags are accepted; after it, global flags are recognised anywhere before
// "--" and the rest is left for the command. INVALID_ARGUMENT naming the
// flag for an unknown flag before the command, or a non-boolean global flag
// without a value.
absl::StatusOr<SplitCommandLine> SplitGlobalFlags(absl::Span<const std::string> args,
                                                  absl::Span<const GlobalFlagSpec> globals);

// A command's parsed arguments: positionals in order, and the options given.
class ParsedArgs {
 public:
  const std::vector<std::string>& positional() const { return positional_; }
  // "-h" or "--help" was given.
  bool help() const { return help_; }
  bool Has(absl::string_view option) const { return options_.contains(option); }
  // The value of a kValue option; nullopt if it was not given.
  std::optional<std::string> Value(absl::string_view option) const;
  // The values of a kRepeated option in the order given; empty if none.
  std::vector<std::string> Values(absl::string_view option) const;

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                              absl::Span<const OptionSpec> options);
  std::vector<std::string> positional_;
  absl::flat_hash_map<std::string, std::vector<std::string>> options_;
  bool help_ = false;
};

// Parses a command's arguments against its options. "-h"/"--help" are always
// accepted; "--" ends the options (what follows is positional even if it
// starts with a dash); a lone "-" is positional. INVALID_ARGUMENT naming the
// option for an unknown option, a missing value, a value given to a switch,
// or a non-repeatable option given twice.
absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const OptionSpec> options);

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_COMMAND_LINE_H_
