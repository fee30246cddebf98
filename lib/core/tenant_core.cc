// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/tenant_core.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/proto_convert.h"
#include "core/text.h"

namespace omniroute::core {

absl::Status RenameField(const absl::Status& status, absl::string_view from,
                         absl::string_view to) {
  absl::string_view message = status.message();
  if (!absl::ConsumePrefix(&message, from)) return status;
  return absl::Status(status.code(), absl::StrCat(to, message));
}

absl::Status CheckActor(const Actor& actor) {
  if (actor.kind == ::omniroute::v1::ACTOR_KIND_UNSPECIFIED ||
      !::omniroute::v1::ActorKind_IsValid(actor.kind)) {
    return absl::InvalidArgumentError(
        absl::StrCat("actor.kind: ", static_cast<int>(actor.kind), " is not a known actor kind"));
  }
  if (actor.id.size() > 128) {
    return absl::InvalidArgumentError(
        absl::StrCat("actor.id: ", actor.id.size(), " bytes; the limit is 128"));
  }
  return CheckUtf8(actor.id, "actor.id");
}

absl::Status ValidateTenantOptions(const TenantOptions& options) {
  const std::string& code = options.default_country_code;
  if (code.size() > 3 || !std::all_of(code.begin(), code.end(), absl::ascii_isdigit) ||
      (!code.empty() && code[0] == '0')) {
    return absl::InvalidArgumentError(absl::StrCat(
        "default_country_code: \"", code, "\" is not a country calling code (1 to 3 digits, "
        "no '+', not starting with 0)"));
  }
  if (options.default_continuity_window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("default_continuity_window: must not be negative");
  }
  // Keys must be real channels: an entry for an unknown or unspecified one
  // would be dropped silently when the options are stored.
  const auto check_channel = [](Channel channel, absl::string_view field) {
    if (channel != ::omniroute::v1::CHANNEL_UNSPECIFIED &&
        ::omniroute::v1::Channel_IsValid(channel)) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat(
        field, "[", static_cast<int>(channel), "]: not a known channel"));
  };
  for (const auto& [channel, window] : options.continuity_windows) {
    if (absl::Status s = check_channel(channel, "continuity_windows"); !s.ok()) return s;
    if (window <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "continuity_windows[", ChannelName(channel), "]: must be positive"));
    }
  }
  for (const auto& [channel, target] : options.first_response_targets) {
    if (absl::Status s = check_channel(channel, "first_response_targets"); !s.ok()) return s;
    if (target <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "first_response_targets[", ChannelName(channel), "]: must be positive"));
    }
  }
  if (options.thread_merge_window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("thread_merge_window: must not be negative");
  }
  if (options.closed_retention < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("closed_retention: must not be negative");
  }
  if (options.max_body_bytes == 0 || options.max_body_bytes > kMaxBodyBytesCeiling) {
    return absl::InvalidArgumentError(absl::StrCat("max_body_bytes: ", options.max_body_bytes,
                                                   " is outside 1..", kMaxBodyBytesCeiling));
  }
  return absl::OkStatus();
}

absl::Status TenantCore::DecideConfigure(const TenantOptions& options, Events* events) const {
  if (state_.configured()) {
    return absl::AlreadyExistsError(
        absl::StrCat("tenant_id: \"", state_.tenant_id(), "\" already exists"));
  }
  if (absl::Status s = ValidateTenantOptions(options); !s.ok()) return s;
  ToProto(options, events->emplace_back().mutable_tenant_configured()->mutable_settings());
  return absl::OkStatus();
}

}  // namespace omniroute::core
