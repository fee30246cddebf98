// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A conversation that left the working set, read back from the store's
// archive (EventStore::FindArchive): the views of it, of the conversations
// merged into it, of its tasks and commitments, as they were when it was
// archived. Closing is final, so they are what they would be in memory,
// except the customer: merges since are followed by the caller
// (TenantState::Resolve).
//
// Thread-compatible; reads the store only in Read.

#ifndef OMNIROUTE_LIB_ENGINE_ARCHIVED_CONVERSATION_H_
#define OMNIROUTE_LIB_ENGINE_ARCHIVED_CONVERSATION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/core_state.h"
#include "google/protobuf/arena.h"
#include "omniroute/conversation.h"
#include "omniroute/event_store.h"
#include "omniroute/routing.h"
#include "omniroute/v1/snapshot.pb.h"

namespace omniroute::engine_internal {

class ArchivedConversation {
 public:
  // The archive holding the conversation, task or commitment `id`.
  // NOT_FOUND "<field>: <id> not found" if none does; the store's errors.
  static absl::StatusOr<ArchivedConversation> Read(const EventStore& store,
                                                   absl::string_view tenant_id,
                                                   EventStore::ArchivedKind kind, uint64_t id,
                                                   absl::string_view field);

  // The archived conversation (the first of the archive).
  ConversationId id() const;
  // Its customer when it was archived.
  CustomerId customer() const;

  // The archive's conversations: the archived one, then those merged into it.
  std::vector<ConversationId> Members() const;
  // `conversation` must be in the archive.
  bool Has(ConversationId conversation) const { return state_.conversation(conversation) != nullptr; }
  ConversationView Conversation(ConversationId conversation) const;
  // The conversation of the archive that holds `conversation`'s messages.
  ConversationId Holder(ConversationId conversation) const;
  ConversationRouting Routing(ConversationId conversation) const;
  // NOT_FOUND unless in the archive.
  absl::StatusOr<TaskView> Task(TaskId task) const;
  absl::StatusOr<CommitmentView> Commitment(CommitmentId commitment) const;
  std::vector<CommitmentView> Commitments(ConversationId conversation) const;

 private:
  ArchivedConversation(std::unique_ptr<google::protobuf::Arena> arena,
                       const ::omniroute::v1::ConversationArchive& archive, core::CoreState state)
      : arena_(std::move(arena)), archive_(&archive), state_(std::move(state)) {}

  // The routing record of a conversation of the archive; null if it had none.
  const ::omniroute::v1::ConversationRoutingRecord* RoutingRecord(
      ConversationId conversation) const;

  // The archive lives on the arena (moving the object keeps it in place).
  std::unique_ptr<google::protobuf::Arena> arena_;
  const ::omniroute::v1::ConversationArchive* archive_;
  core::CoreState state_;
};

}  // namespace omniroute::engine_internal

#endif  // OMNIROUTE_LIB_ENGINE_ARCHIVED_CONVERSATION_H_
