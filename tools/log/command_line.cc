// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "log/command_line.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace omniroute::log_tool {

std::optional<std::string> ParsedArgs::Value(absl::string_view option) const {
  auto it = options_.find(option);
  if (it == options_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const OptionSpec> options) {
  ParsedArgs parsed;
  bool options_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || arg == "-" || !absl::StartsWith(arg, "-")) {
      parsed.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.help_ = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option ", arg));
    }
    absl::string_view name = absl::string_view(arg).substr(2);
    std::optional<std::string> inline_value;
    if (const size_t eq = name.find('='); eq != absl::string_view::npos) {
      inline_value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& candidate : options) {
      if (candidate.name == name) spec = &candidate;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", name));
    }
    if (!spec->takes_value) {
      if (inline_value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("option --", name, " takes no value"));
      }
      parsed.options_[name] = "";
      continue;
    }
    if (inline_value.has_value()) {
      parsed.options_[name] = *std::move(inline_value);
      continue;
    }
    if (i + 1 == args.size()) {
      return absl::InvalidArgumentError(absl::StrCat("option --", name, " needs a value"));
    }
    parsed.options_[name] = args[++i];
  }
  return parsed;
}

absl::StatusOr<uint64_t> ParsePositiveInteger(absl::string_view option, absl::string_view text,
                                              uint64_t max) {
  uint64_t value = 0;
  // SimpleAtoi accepts a sign and surrounding spaces; this wants digits.
  const bool digits_only =
      !text.empty() && text.find_first_not_of("0123456789") == absl::string_view::npos;
  const bool fits = digits_only && absl::SimpleAtoi(text, &value);
  if (!digits_only || (fits && value == 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("option --", option, ": \"", text, "\" is not a positive integer"));
  }
  if (!fits || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("option --", option, ": ", text, " is too large (at most ", max, ")"));
  }
  return value;
}

int UsageError(const Invocation& invocation, absl::string_view usage, absl::string_view message) {
  *invocation.err << "omniroute-log " << invocation.command << ": " << message << "\n"
                  << "usage: " << usage << "\n"
                  << "Try 'omniroute-log " << invocation.command << " --help'.\n";
  return kExitUsage;
}

int Failure(const Invocation& invocation, absl::string_view file, const absl::Status& status) {
  *invocation.err << "omniroute-log " << invocation.command << ": " << file << ": "
                  << absl::StatusCodeToString(status.code()) << ": " << status.message() << "\n";
  return kExitFailure;
}

int FinishOutput(const Invocation& invocation) {
  invocation.out->flush();
  if (invocation.out->good()) return kExitOk;
  *invocation.err << "omniroute-log " << invocation.command
                  << ": cannot write the output (standard output failed)\n";
  return kExitFailure;
}

}  // namespace omniroute::log_tool
