// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/command_line.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace omniroute::cli {
namespace {

// "--name=value" / "-name" split into its name and inline value.
struct FlagText {
  absl::string_view name;
  std::optional<std::string> value;
};

bool LooksLikeFlag(absl::string_view arg) { return arg.size() > 1 && arg[0] == '-' && arg != "--"; }

FlagText SplitFlag(absl::string_view arg) {
  absl::string_view body = arg;
  if (!absl::ConsumePrefix(&body, "--")) absl::ConsumePrefix(&body, "-");
  FlagText flag;
  if (const size_t eq = body.find('='); eq != absl::string_view::npos) {
    flag.value = std::string(body.substr(eq + 1));
    body = body.substr(0, eq);
  }
  flag.name = body;
  return flag;
}

const GlobalFlagSpec* FindGlobal(absl::string_view name, absl::Span<const GlobalFlagSpec> globals) {
  for (const GlobalFlagSpec& spec : globals) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// Recognises `arg` (at args[*i]) as a global flag; consumes its separate
// value if it has one. nullopt when it is not a global flag.
absl::StatusOr<std::optional<GlobalFlag>> TakeGlobal(absl::Span<const std::string> args, size_t* i,
                                                     absl::Span<const GlobalFlagSpec> globals) {
  const FlagText flag = SplitFlag(args[*i]);
  if (const GlobalFlagSpec* spec = FindGlobal(flag.name, globals); spec != nullptr) {
    if (spec->is_bool) {
      return GlobalFlag{std::string(spec->name), flag.value.value_or("true")};
    }
    if (flag.value.has_value()) return GlobalFlag{std::string(spec->name), *flag.value};
    if (*i + 1 == args.size()) {
      return absl::InvalidArgumentError(absl::StrCat("--", spec->name, " needs a value"));
    }
    return GlobalFlag{std::string(spec->name), args[++*i]};
  }
  // "--nojson" is "--json=false", as absl spells it.
  absl::string_view negated = flag.name;
  if (absl::ConsumePrefix(&negated, "no") && !flag.value.has_value()) {
    if (const GlobalFlagSpec* spec = FindGlobal(negated, globals);
        spec != nullptr && spec->is_bool) {
      return GlobalFlag{std::string(spec->name), "false"};
    }
  }
  return std::optional<GlobalFlag>();
}

}  // namespace

absl::StatusOr<SplitCommandLine> SplitGlobalFlags(absl::Span<const std::string> args,
                                                  absl::Span<const GlobalFlagSpec> globals) {
  SplitCommandLine split;
  bool options_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool before_command = split.command.empty();
    if (before_command && (arg == "-h" || arg == "--help" || arg == "help")) {
      split.help = true;
      continue;
    }
    if (!options_ended && LooksLikeFlag(arg)) {
      absl::StatusOr<std::optional<GlobalFlag>> global = TakeGlobal(args, &i, globals);
      if (!global.ok()) return global.status();
      if (global->has_value()) {
        split.globals.push_back(**std::move(global));
        continue;
      }
      if (before_command) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown flag ", arg, " before the command (command options go after it)"));
      }
      split.command_args.push_back(arg);
      continue;
    }
    if (before_command && arg == "--") {
      options_ended = true;
      continue;
    }
    if (before_command) {
      split.command = arg;
      continue;
    }
    // "--" is kept for the command's own parser, which ends its options there.
    if (arg == "--") options_ended = true;
    split.command_args.push_back(arg);
  }
  return split;
}

std::optional<std::string> ParsedArgs::Value(absl::string_view option) const {
  auto it = options_.find(option);
  if (it == options_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::Values(absl::string_view option) const {
  auto it = options_.find(option);
  return it == options_.end() ? std::vector<std::string>() : it->second;
}

absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const OptionSpec> options) {
  ParsedArgs parsed;
  bool options_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || !LooksLikeFlag(arg)) {
      if (!options_ended && arg == "--") {
        options_ended = true;
        continue;
      }
      parsed.positional_.push_back(arg);
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.help_ = true;
      continue;
    }
    FlagText flag = SplitFlag(arg);
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& candidate : options) {
      if (candidate.name == flag.name) spec = &candidate;
    }
    if (spec == nullptr || !absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", flag.name));
    }
    std::vector<std::string>& values = parsed.options_[spec->name];
    if (spec->kind == OptionSpec::Kind::kSwitch) {
      if (flag.value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("--", flag.name, " takes no value"));
      }
      values.push_back("");
      continue;
    }
    if (spec->kind == OptionSpec::Kind::kValue && !values.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag.name, " given twice"));
    }
    if (flag.value.has_value()) {
      values.push_back(*std::move(flag.value));
      continue;
    }
    if (i + 1 == args.size()) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag.name, " needs a value"));
    }
    values.push_back(args[++i]);
  }
  return parsed;
}

}  // namespace omniroute::cli
