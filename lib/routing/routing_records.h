// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Routing state <-> its records (omniroute/v1/snapshot.proto): what a
// snapshot holds, and what a conversation takes with it to the store's
// archive (ConversationArchive).

#ifndef OMNIROUTE_LIB_ROUTING_ROUTING_RECORDS_H_
#define OMNIROUTE_LIB_ROUTING_ROUTING_RECORDS_H_

#include "omniroute/ids.h"
#include "omniroute/v1/snapshot.pb.h"
#include "routing/routing_state.h"

namespace omniroute::routing {

void TaskToRecord(const TaskState& task, ::omniroute::v1::TaskRecord* record);
TaskState TaskFromRecord(const ::omniroute::v1::TaskRecord& record);

void CommitmentToRecord(const CommitmentState& commitment,
                        ::omniroute::v1::CommitmentRecordProto* record);
CommitmentState CommitmentFromRecord(const ::omniroute::v1::CommitmentRecordProto& record);

void ConversationRoutingToRecord(ConversationId id, const ConversationRoutingState& routing,
                                 ::omniroute::v1::ConversationRoutingRecord* record);
ConversationRoutingState ConversationRoutingFromRecord(
    const ::omniroute::v1::ConversationRoutingRecord& record);

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_ROUTING_RECORDS_H_
