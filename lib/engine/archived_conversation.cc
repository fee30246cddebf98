// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "engine/archived_conversation.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/views.h"
#include "google/protobuf/arena.h"
#include "routing/routing_records.h"
#include "routing/routing_views.h"

namespace omniroute::engine_internal {

absl::StatusOr<ArchivedConversation> ArchivedConversation::Read(const EventStore& store,
                                                                absl::string_view tenant_id,
                                                                EventStore::ArchivedKind kind,
                                                                uint64_t id,
                                                                absl::string_view field) {
  // On an arena: a long conversation's archive is hundreds of records, and
  // an allocation each off a server's fragmented heap was a fifth of a
  // timeline page (measured).
  auto arena = std::make_unique<google::protobuf::Arena>();
  auto* event = google::protobuf::Arena::CreateMessage<::omniroute::v1::Event>(arena.get());
  absl::StatusOr<bool> found = store.FindArchiveInto(tenant_id, kind, id, *event);
  if (!found.ok()) return found.status();
  if (!*found) return absl::NotFoundError(absl::StrCat(field, ": ", id, " not found"));
  const ::omniroute::v1::ConversationArchive& archive = event->conversation_archived().archive();
  if (archive.conversations_size() == 0) {
    return absl::DataLossError(absl::StrCat("the archive of ", field, " ", id, " of tenant ",
                                            tenant_id, " holds no conversation"));
  }
  absl::StatusOr<core::CoreState> state = core::CoreState::FromArchive(tenant_id, archive);
  if (!state.ok()) return state.status();
  return ArchivedConversation(std::move(arena), archive, *std::move(state));
}

ConversationId ArchivedConversation::id() const {
  return ConversationId(archive_->conversations(0).id());
}

CustomerId ArchivedConversation::customer() const {
  return CustomerId(archive_->conversations(0).customer_id());
}

std::vector<ConversationId> ArchivedConversation::Members() const {
  std::vector<ConversationId> ids;
  for (const auto& c : archive_->conversations()) ids.push_back(ConversationId(c.id()));
  return ids;
}

ConversationView ArchivedConversation::Conversation(ConversationId conversation) const {
  return core::ToView(state_, *state_.conversation(conversation));
}

ConversationId ArchivedConversation::Holder(ConversationId conversation) const {
  const ConversationId holder = state_.ResolveConversation(conversation);
  return holder.valid() ? holder : conversation;
}

const ::omniroute::v1::ConversationRoutingRecord* ArchivedConversation::RoutingRecord(
    ConversationId conversation) const {
  if (archive_->has_routing() && archive_->routing().conversation_id() == conversation.value()) {
    return &archive_->routing();
  }
  for (const auto& r : archive_->merged_routing()) {
    if (r.conversation_id() == conversation.value()) return &r;
  }
  return nullptr;
}

ConversationRouting ArchivedConversation::Routing(ConversationId conversation) const {
  ConversationRouting view;
  view.conversation = conversation;
  view.handoffs = static_cast<int>(state_.conversation(conversation)->handoffs.size());
  if (const auto* record = RoutingRecord(conversation)) {
    const routing::ConversationRoutingState r = routing::ConversationRoutingFromRecord(*record);
    view.owner = r.owner;
    view.tasks = r.tasks;
    view.transfers = r.transfers;
    view.agents = static_cast<int>(r.agents.size());
    view.same_agent_throughout = r.agents.size() <= 1;
  }
  return view;
}

absl::StatusOr<TaskView> ArchivedConversation::Task(TaskId task) const {
  for (const auto& r : archive_->tasks()) {
    if (r.id() == task.value()) return routing::ToView(routing::TaskFromRecord(r));
  }
  return absl::NotFoundError(absl::StrCat("task: ", ToString(task), " not found"));
}

absl::StatusOr<CommitmentView> ArchivedConversation::Commitment(CommitmentId commitment) const {
  for (const auto& r : archive_->commitments()) {
    if (r.id() == commitment.value()) return routing::ToView(routing::CommitmentFromRecord(r));
  }
  return absl::NotFoundError(absl::StrCat("commitment: ", ToString(commitment), " not found"));
}

std::vector<CommitmentView> ArchivedConversation::Commitments(ConversationId conversation) const {
  std::vector<CommitmentView> views;
  const auto* record = RoutingRecord(conversation);
  if (record == nullptr) return views;
  for (uint64_t id : record->commitment_ids()) {
    absl::StatusOr<CommitmentView> view = Commitment(CommitmentId(id));
    if (view.ok()) views.push_back(*std::move(view));
  }
  return views;
}

}  // namespace omniroute::engine_internal
