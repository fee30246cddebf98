// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Conversions between the API's messages (proto/omniroute/v1/service.proto)
// and the library's types. Only shapes change here: every rule about what is
// valid stays in the library, which names the field when it refuses a value.

#ifndef OMNIROUTE_LIB_SERVICE_CONVERT_H_
#define OMNIROUTE_LIB_SERVICE_CONVERT_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "omniroute/conversation.h"
#include "omniroute/routing.h"
#include "omniroute/v1/service.pb.h"

namespace omniroute::service {

namespace v1 = ::omniroute::v1;

// Every google.protobuf.Timestamp and Duration in `message`, at any depth
// (repeated fields and maps included), is one protobuf defines: a Timestamp
// within 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z with nanos in
// [0, 999999999]; a Duration within +-315,576,000,000 s with |nanos| below
// 1e9 and of the sign of its seconds. Otherwise INVALID_ARGUMENT naming the
// field from `message` down, after `prefix` ("commitment.due_at: ...").
// Found by walking the descriptor, so a field added to any message is
// checked without being listed anywhere.
absl::Status CheckTimeFields(const google::protobuf::Message& message, absl::string_view prefix = "");

// A tenant's settings (CreateTenantRequest.settings, TenantConfig.settings)
// as the library will take them: nothing the conversion would drop or
// replace silently. INVALID_ARGUMENT naming the setting after `prefix`
// ("settings.channels[2].continuity_window: -1s is negative") for a negative
// duration, a channel entry for an unknown channel or for one listed twice,
// and a first-response target on the default (CHANNEL_UNSPECIFIED) entry.
// The library checks the rest (country code, body limit) by itself.
absl::Status CheckTenantSettings(const v1::TenantSettings& settings, absl::string_view prefix);

// The same for routing settings: no channel of preferred_agent_waits
// unknown or listed twice (the library keeps one wait per channel).
absl::Status CheckRoutingSettings(const v1::RoutingSettings& settings, absl::string_view prefix);

// The same for an agent: no channel of channel_costs listed twice (the
// library keeps one cost per channel).
absl::Status CheckAgentConfig(const v1::AgentConfig& agent, absl::string_view prefix);

absl::Time FromProto(const google::protobuf::Timestamp& proto);
// Leaves the field unset for InfinitePast/InfiniteFuture ("never").
void ToProto(absl::Time time, google::protobuf::Timestamp* proto);

RawIdentity FromProto(const v1::RawIdentity& proto);
Actor FromProto(const v1::Actor& proto);
InboundMessage FromProto(const v1::IngestMessageRequest& request);
OutboundMessage FromProto(const v1::RecordOutboundRequest& request);
CommitmentRequest FromProto(const v1::RecordCommitmentRequest& request);
// The page a list request asks for (the engine checks its size and token).
PageRequest PageRequestOf(const v1::GetTimelineRequest& request);
PageRequest PageRequestOf(const v1::ListConversationsRequest& request);

void ToProto(const CustomerView& view, v1::Customer* proto);
void ToProto(const ConversationView& view, v1::Conversation* proto);
void ToProto(const TimelineEntry& entry, v1::TimelineEntry* proto);
void ToProto(const LinkResult& result, v1::LinkIdentityResponse* proto);
void ToProto(const TaskView& view, v1::Task* proto);
void ToProto(const AgentView& view, v1::Agent* proto);
void ToProto(const QueueStats& stats, v1::QueueStats* proto);
// "available", "busy", "away", "offline" ("unspecified" for anything else):
// the presence as the metrics and the wallboard label it.
const char* PresenceLabel(AgentPresence presence);
void ToProto(const WaitEstimate& estimate, v1::WaitEstimate* proto);
void ToProto(const WindowFigures& figures, v1::WindowFigures* proto);
void ToProto(const QueueStatistics& stats, v1::QueueStatistics* proto);
void ToProto(const AgentStatistics& stats, v1::AgentStatistics* proto);
void ToProto(const IntervalReport& report, v1::IntervalReport* proto);
void ToProto(const CommitmentView& view, v1::Commitment* proto);

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_CONVERT_H_
