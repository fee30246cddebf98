// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/proto_convert.h"

#include "google/protobuf/duration.pb.h"

namespace omniroute::core {
namespace {

absl::Duration FromProto(const google::protobuf::Duration& proto) {
  return absl::Seconds(proto.seconds()) + absl::Nanoseconds(proto.nanos());
}

void ToProto(absl::Duration d, google::protobuf::Duration* proto) {
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  proto->set_seconds(seconds);
  proto->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
}

}  // namespace

Identity FromProto(const ::omniroute::v1::Identity& proto) {
  return Identity{proto.kind(), proto.network(), proto.value()};
}

void ToProto(const Identity& identity, ::omniroute::v1::Identity* proto) {
  proto->set_kind(identity.kind);
  proto->set_network(identity.network);
  proto->set_value(identity.value);
}

Actor FromProto(const ::omniroute::v1::Actor& proto) { return Actor{proto.kind(), proto.id()}; }

void ToProto(const Actor& actor, ::omniroute::v1::Actor* proto) {
  proto->set_kind(actor.kind);
  proto->set_id(actor.id);
}

Caller FromProto(const ::omniroute::v1::Caller& proto) {
  return Caller{proto.principal(), proto.role(), proto.credential()};
}

void ToProto(const Caller& caller, ::omniroute::v1::Caller* proto) {
  proto->set_principal(caller.principal);
  proto->set_role(caller.role);
  proto->set_credential(caller.credential);
}

absl::Time FromProto(const google::protobuf::Timestamp& proto) {
  return absl::FromUnixSeconds(proto.seconds()) + absl::Nanoseconds(proto.nanos());
}

void ToProto(absl::Time time, google::protobuf::Timestamp* proto) {
  const int64_t seconds = absl::ToUnixSeconds(time);
  proto->set_seconds(seconds);
  proto->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
}

TenantOptions FromProto(const ::omniroute::v1::TenantSettings& proto) {
  TenantOptions options;
  options.default_country_code = proto.default_country_code();
  for (const auto& c : proto.channels()) {
    const absl::Duration window = FromProto(c.continuity_window());
    const absl::Duration target = FromProto(c.first_response_target());
    if (c.channel() == ::omniroute::v1::CHANNEL_UNSPECIFIED) {
      // The default window is always written (see ToProto), and zero is a
      // valid default ("never join by continuity").
      if (c.has_continuity_window()) options.default_continuity_window = window;
      continue;
    }
    if (window > absl::ZeroDuration()) options.continuity_windows[c.channel()] = window;
    if (target > absl::ZeroDuration()) options.first_response_targets[c.channel()] = target;
  }
  if (proto.has_merge_threads_on_customer_merge()) {
    options.merge_threads_on_customer_merge = proto.merge_threads_on_customer_merge();
  }
  if (proto.has_thread_merge_window()) {
    options.thread_merge_window = FromProto(proto.thread_merge_window());
  }
  if (proto.max_body_bytes() > 0) options.max_body_bytes = proto.max_body_bytes();
  if (proto.has_close_public_loop()) options.close_public_loop = proto.close_public_loop();
  if (proto.has_closed_retention()) options.closed_retention = FromProto(proto.closed_retention());
  return options;
}

void ToProto(const TenantOptions& options, ::omniroute::v1::TenantSettings* proto) {
  proto->set_default_country_code(options.default_country_code);
  // The default window travels as the CHANNEL_UNSPECIFIED entry.
  auto* fallback = proto->add_channels();
  fallback->set_channel(::omniroute::v1::CHANNEL_UNSPECIFIED);
  ToProto(options.default_continuity_window, fallback->mutable_continuity_window());
  // Sorted by channel so that equal options give equal bytes.
  for (int c = ::omniroute::v1::Channel_MIN + 1; c <= ::omniroute::v1::Channel_MAX; ++c) {
    const Channel channel = static_cast<Channel>(c);
    auto window = options.continuity_windows.find(channel);
    auto target = options.first_response_targets.find(channel);
    if (window == options.continuity_windows.end() &&
        target == options.first_response_targets.end()) {
      continue;
    }
    auto* settings = proto->add_channels();
    settings->set_channel(channel);
    if (window != options.continuity_windows.end()) {
      ToProto(window->second, settings->mutable_continuity_window());
    }
    if (target != options.first_response_targets.end()) {
      ToProto(target->second, settings->mutable_first_response_target());
    }
  }
  proto->set_merge_threads_on_customer_merge(options.merge_threads_on_customer_merge);
  ToProto(options.thread_merge_window, proto->mutable_thread_merge_window());
  proto->set_max_body_bytes(options.max_body_bytes);
  proto->set_close_public_loop(options.close_public_loop);
  ToProto(options.closed_retention, proto->mutable_closed_retention());
}

}  // namespace omniroute::core
