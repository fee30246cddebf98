// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Where commands find stored messages by their keys: a redelivery by its
// (channel, external id), a reply by the external ids it references, a DM or
// call by its thread key. These indexes grow with every message ever
// recorded, so the working set does not hold them: the event store does
// (EventStore::FindMessageByExternalId and FindLatestMessageByThreadKey),
// and the engine answers for the messages applied but not stored yet
// (lib/engine/pending_message_keys.h).
//
// Lookups may read a store: they can fail (UNAVAILABLE, DATA_LOSS), and the
// command then fails with that error and changes nothing.

#ifndef OMNIROUTE_LIB_CORE_MESSAGE_LOOKUP_H_
#define OMNIROUTE_LIB_CORE_MESSAGE_LOOKUP_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "omniroute/ids.h"
#include "omniroute/types.h"
#include "omniroute/v1/types.pb.h"

namespace omniroute::core {

class MessageLookup {
 public:
  virtual ~MessageLookup() = default;
  // The message recorded with this channel and non-empty external id;
  // invalid if none.
  virtual absl::StatusOr<MessageId> ByExternalId(Channel channel,
                                                 absl::string_view external_id) const = 0;
  // The latest message recorded with this channel and non-empty thread key;
  // invalid if none.
  virtual absl::StatusOr<MessageId> LatestByThreadKey(Channel channel,
                                                      absl::string_view thread_key) const = 0;

  // A message that left the working set with its closed conversation
  // (ConversationArchived): what a redelivery of it answers with.
  struct ArchivedMessage {
    // The conversation that holds it.
    ConversationId conversation;
    // That conversation's customer when it was archived (merges since are
    // followed with CoreState::Resolve).
    CustomerId customer;
    ThreadOutcome outcome = ::omniroute::v1::THREAD_OUTCOME_UNSPECIFIED;
  };
  // NOT_FOUND (an internal error for the caller) if the store has no such
  // archived message.
  virtual absl::StatusOr<ArchivedMessage> Archived(MessageId id) const = 0;
};

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_MESSAGE_LOOKUP_H_
