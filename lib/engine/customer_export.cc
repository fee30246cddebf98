// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "engine/customer_export.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "core/views.h"
#include "engine/archived_conversation.h"
#include "google/protobuf/util/json_util.h"

namespace omniroute::engine_internal {
namespace {

namespace v1 = ::omniroute::v1;

// Messages read from the store at a time.
constexpr size_t kMessagesPerRead = 500;

v1::CustomerExportRecord CustomerRecord(const core::CustomerState& c) {
  v1::CustomerExportRecord record;
  v1::ExportedCustomer* out = record.mutable_customer();
  out->set_customer_id(c.id.value());
  out->set_display_name(std::string(c.display_name()));
  out->set_language(std::string(c.language()));
  out->set_tier(c.tier);
  out->set_reach(c.reach);
  core::ToProto(c.created_at(), out->mutable_created_at());
  for (const Identity& identity : c.identities()) core::ToProto(identity, out->add_identities());
  out->set_merged_into_customer_id(c.merged_into.value());
  return record;
}

v1::CustomerExportRecord ConversationRecord(const ConversationView& view) {
  v1::CustomerExportRecord record;
  v1::ExportedConversation* out = record.mutable_conversation();
  out->set_conversation_id(view.id.value());
  out->set_customer_id(view.customer.value());
  out->set_status(view.status);
  out->set_first_channel(view.first_channel);
  out->set_channel(view.channel);
  for (Channel channel : view.channels_used) out->add_channels_used(channel);
  core::ToProto(view.opened_at, out->mutable_opened_at());
  core::ToProto(view.last_activity_at, out->mutable_last_activity_at());
  core::ToProto(view.first_response_due, out->mutable_first_response_due());
  if (view.first_responded_at.has_value()) {
    core::ToProto(*view.first_responded_at, out->mutable_first_responded_at());
  }
  if (view.resolved_at.has_value()) core::ToProto(*view.resolved_at, out->mutable_resolved_at());
  for (const HandoffView& h : view.handoffs) {
    v1::ExportedHandoff* handoff = out->add_handoffs();
    handoff->set_from_channel(h.from_channel);
    handoff->set_to_channel(h.to_channel);
    handoff->set_reason(h.reason);
    core::ToProto(h.actor, handoff->mutable_actor());
    core::ToProto(h.at, handoff->mutable_at());
  }
  if (view.merged_into.has_value()) out->set_merged_into_conversation_id(view.merged_into->value());
  return record;
}

absl::Status WriteRecord(const v1::CustomerExportRecord& record,
                         const std::function<absl::Status(absl::string_view)>& write) {
  std::string line;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (auto s = google::protobuf::util::MessageToJsonString(record, &line, options); !s.ok()) {
    return absl::InternalError(absl::StrCat("export: a record could not be written as JSON: ",
                                            s.message().as_string()));
  }
  return write(line);
}

}  // namespace

CustomerExportPlan PlanCustomerExport(const core::CoreState& state, CustomerId customer) {
  CustomerExportPlan plan;
  const core::CustomerState& target = *state.customer(state.Resolve(customer));
  if (target.erased) {
    // Nothing is left to export but the erasure itself.
    v1::CustomerExportRecord record;
    v1::ExportedErasure* out = record.mutable_erasure();
    out->set_customer_id(target.id.value());
    core::ToProto(state.ErasedAt(target.id), out->mutable_erased_at());
    for (const core::CustomerState& c : state.customers()) {
      if (c.id != target.id && c.erased && state.Resolve(c.id) == target.id) {
        out->add_erased_with_customer_ids(c.id.value());
      }
    }
    plan.customers.push_back(std::move(record));
    return plan;
  }
  plan.customers.push_back(CustomerRecord(target));
  // Those merged into it, directly or through others, by id.
  std::vector<CustomerId> absorbed;
  for (const auto& [id, record] : state.active_merges()) {
    if (state.Resolve(id) == target.id) absorbed.push_back(id);
  }
  std::sort(absorbed.begin(), absorbed.end());
  for (CustomerId id : absorbed) plan.customers.push_back(CustomerRecord(*state.customer(id)));
  plan.holder = target.id;
  plan.archive_owners.push_back(target.id);
  plan.archive_owners.insert(plan.archive_owners.end(), absorbed.begin(), absorbed.end());

  std::vector<ConversationId> conversations = target.conversations.ToVector();
  std::sort(conversations.begin(), conversations.end());
  for (ConversationId id : conversations) {
    const core::ConversationState& c = *state.conversation(id);
    const ConversationView view = core::ToView(state, c);
    plan.conversations.push_back(
        {ConversationRecord(view), view.merged_into.has_value() ? ConversationId() : c.id});
  }
  return plan;
}

// The conversations that left the working set, from the store's archive:
// each with those merged into it, in the plan's form.
absl::StatusOr<std::vector<CustomerExportPlan::Conversation>> ArchivedConversations(
    const EventStore& store, absl::string_view tenant_id, const CustomerExportPlan& plan) {
  std::vector<CustomerExportPlan::Conversation> out;
  ConversationId after;
  while (true) {
    absl::StatusOr<std::vector<ConversationId>> ids =
        store.ListArchivedConversations(tenant_id, plan.archive_owners, after, kMaxPageSize);
    if (!ids.ok()) return ids.status();
    for (ConversationId id : *ids) {
      absl::StatusOr<ArchivedConversation> archived = ArchivedConversation::Read(
          store, tenant_id, EventStore::ArchivedKind::kConversation, id.value(), "conversation");
      if (!archived.ok()) return archived.status();
      for (const ConversationId member : archived->Members()) {
        ConversationView view = archived->Conversation(member);
        view.customer = plan.holder;
        out.push_back({ConversationRecord(view),
                       view.merged_into.has_value() ? ConversationId() : member});
      }
    }
    if (ids->size() < static_cast<size_t>(kMaxPageSize)) break;
    after = ids->back();
  }
  return out;
}

absl::Status WriteCustomerExport(const EventStore& store, absl::string_view tenant_id,
                                 const CustomerExportPlan& plan,
                                 const std::function<absl::Status(absl::string_view)>& write) {
  return WriteCustomerExportRecords(
      store, tenant_id, plan,
      [&](const v1::CustomerExportRecord& record) { return WriteRecord(record, write); });
}

absl::Status WriteCustomerExportRecords(
    const EventStore& store, absl::string_view tenant_id, const CustomerExportPlan& plan,
    const std::function<absl::Status(const v1::CustomerExportRecord&)>& write) {
  for (const v1::CustomerExportRecord& record : plan.customers) {
    if (absl::Status s = write(record); !s.ok()) return s;
  }
  absl::StatusOr<std::vector<CustomerExportPlan::Conversation>> archived =
      ArchivedConversations(store, tenant_id, plan);
  if (!archived.ok()) return archived.status();
  std::vector<const CustomerExportPlan::Conversation*> conversations;
  for (const auto& c : plan.conversations) conversations.push_back(&c);
  for (const auto& c : *archived) conversations.push_back(&c);
  std::stable_sort(conversations.begin(), conversations.end(), [](const auto* a, const auto* b) {
    return a->record.conversation().conversation_id() < b->record.conversation().conversation_id();
  });
  for (const CustomerExportPlan::Conversation* c : conversations) {
    const CustomerExportPlan::Conversation& conversation = *c;
    if (absl::Status s = write(conversation.record); !s.ok()) return s;
    if (!conversation.thread.valid()) continue;
    std::optional<EventStore::MessageCursor> after;
    while (true) {
      absl::StatusOr<std::vector<EventStore::StoredMessage>> messages =
          store.ReadConversationMessages(tenant_id, conversation.thread, after, kMessagesPerRead);
      if (!messages.ok()) return messages.status();
      for (const EventStore::StoredMessage& m : *messages) {
        v1::CustomerExportRecord record;
        v1::ExportedMessage* out = record.mutable_message();
        out->set_conversation_id(m.conversation.value());
        *out->mutable_recorded_at() = m.event.time();
        *out->mutable_message() = m.event.message_recorded();
        if (absl::Status s = write(record); !s.ok()) return s;
      }
      if (messages->size() < kMessagesPerRead) break;
      after = EventStore::MessageCursor{core::FromProto(messages->back().event.time()),
                                        messages->back().id};
    }
  }
  return absl::OkStatus();
}

}  // namespace omniroute::engine_internal
