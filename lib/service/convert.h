// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Conversions between the API's messages (proto/omniroute/v1/service.proto)
// and the library's types. Only shapes change here: every rule about what is
// valid stays in the library, which names the field when it refuses a value.

#ifndef OMNIROUTE_LIB_SERVICE_CONVERT_H_
#define OMNIROUTE_LIB_SERVICE_CONVERT_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "omniroute/conversation.h"
#include "omniroute/routing.h"
#include "omniroute/v1/service.pb.h"

namespace omniroute::service {

namespace v1 = ::omniroute::v1;

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
void ToProto(const CommitmentView& view, v1::Commitment* proto);

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_CONVERT_H_
