// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Conversations and messages of the working set <-> their records
// (omniroute/v1/snapshot.proto): what a snapshot holds, and what an archived
// conversation leaves in the store (ConversationArchive).

#ifndef OMNIROUTE_LIB_CORE_RECORDS_H_
#define OMNIROUTE_LIB_CORE_RECORDS_H_

#include "core/core_state.h"
#include "omniroute/v1/snapshot.pb.h"

namespace omniroute::core {

void ConversationToRecord(const ConversationState& conversation,
                          ::omniroute::v1::ConversationRecord* record);
ConversationState ConversationFromRecord(const ::omniroute::v1::ConversationRecord& record);

void MessageToRecord(const MessageState& message, ::omniroute::v1::MessageRecord* record);
MessageState MessageFromRecord(const ::omniroute::v1::MessageRecord& record);

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_RECORDS_H_
