// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/command.h"

#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/errors.h"

namespace omniroute::cli {

namespace v1 = ::omniroute::v1;

absl::StatusOr<std::string> CommandContext::Body(size_t index) const {
  const std::vector<std::string>& positional = args.positional();
  if (positional.size() == index + 1 && positional[index] == "-") {
    std::string body(std::istreambuf_iterator<char>(in), {});
    if (in.bad()) {
      return LocalError(absl::UnavailableError("cannot read the body from standard input"));
    }
    // A body piped from `echo` or a file ends with a newline nobody typed
    // as part of the message.
    if (!body.empty() && body.back() == '\n') body.pop_back();
    return body;
  }
  if (positional.size() <= index) return std::string();
  return absl::StrJoin(positional.begin() + static_cast<std::ptrdiff_t>(index), positional.end(),
                       " ");
}

v1::Actor ActorFrom(const ParsedArgs& args, absl::string_view agent_option) {
  v1::Actor actor;
  if (std::optional<std::string> agent = args.Value(agent_option); agent.has_value()) {
    actor.set_kind(v1::ACTOR_KIND_AGENT);
    actor.set_id(*agent);
  } else if (args.Has("customer")) {
    actor.set_kind(v1::ACTOR_KIND_CUSTOMER);
  } else {
    actor.set_kind(v1::ACTOR_KIND_SYSTEM);
  }
  return actor;
}

absl::StatusOr<std::string> Required(const ParsedArgs& args, absl::string_view option) {
  std::optional<std::string> value = args.Value(option);
  if (!value.has_value() || value->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", option, ": required"));
  }
  return *std::move(value);
}

}  // namespace omniroute::cli
