// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Routing configuration: validation of what callers give (agents, queues,
// settings), with errors that name the field, and conversion between the
// library's structs (include/omniroute/routing.h) and the messages the
// events carry (proto/omniroute/v1/routing.proto). Converted messages carry
// every default explicitly, so a replay never depends on a default that a
// later version might change.

#ifndef OMNIROUTE_LIB_ROUTING_ROUTING_CONFIG_H_
#define OMNIROUTE_LIB_ROUTING_ROUTING_CONFIG_H_

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "omniroute/routing.h"
#include "omniroute/v1/routing.pb.h"

namespace omniroute::routing {

// Agent ids: 1-64 of [A-Za-z0-9._@-]; queue ids: 1-64 of [A-Za-z0-9._-].
absl::Status ValidateAgentId(absl::string_view id, absl::string_view field);
absl::Status ValidateQueueId(absl::string_view id, absl::string_view field);

absl::Status ValidateAgentConfig(const AgentConfig& agent);

// `queues` are the tenant's queues as they are now (the one being replaced
// included); overflow targets must be among them or be `queue` itself
// (which is refused as a cycle), and no chain of overflows may loop.
absl::Status ValidateQueueConfig(
    const QueueConfig& queue,
    const absl::flat_hash_map<std::string, ::omniroute::v1::QueueConfig>& queues);

absl::Status ValidateRoutingSettings(
    const RoutingSettings& settings,
    const absl::flat_hash_map<std::string, ::omniroute::v1::QueueConfig>& queues);

void ToProto(const AgentConfig& agent, ::omniroute::v1::AgentConfig* proto);
AgentConfig FromProto(const ::omniroute::v1::AgentConfig& proto);
void ToProto(const QueueConfig& queue, ::omniroute::v1::QueueConfig* proto);
QueueConfig FromProto(const ::omniroute::v1::QueueConfig& proto);
void ToProto(const RoutingSettings& settings, ::omniroute::v1::RoutingSettings* proto);
RoutingSettings FromProto(const ::omniroute::v1::RoutingSettings& proto);

// The settings a tenant has before it configures routing.
const ::omniroute::v1::RoutingSettings& DefaultRoutingSettingsProto();

absl::Duration ToDuration(const google::protobuf::Duration& proto);
void ToProto(absl::Duration duration, google::protobuf::Duration* proto);

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_ROUTING_CONFIG_H_
