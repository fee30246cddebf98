// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// CoreState: the customers' events (CustomerCreated, IdentityLinked,
// CustomersMerged, CustomerUnmerged), each checked, then applied.

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/core_state.h"
#include "core/fingerprint.h"
#include "core/proto_convert.h"

namespace omniroute::core {
namespace {

using ::omniroute::v1::Event;

template <typename T>
void EraseValue(std::vector<T>& v, const T& value) {
  v.erase(std::remove(v.begin(), v.end(), value), v.end());
}

}  // namespace

// ------------------------------------------------------------ CustomerCreated

absl::Status CoreState::CheckCustomerCreated(const Event& event) const {
  if (event.customer_created().customer_id() != customers_.size() + 1) {
    return Misfit(event, "customer ids must be consecutive");
  }
  if (event.customer_created().customer_id() > IdentityIndex::kMaxCustomerId) {
    return Misfit(event, "a tenant holds at most 2^32 - 1 customers");
  }
  return absl::OkStatus();
}

void CoreState::ApplyCustomerCreated(const Event& event, absl::Time at) {
  const auto& e = event.customer_created();
  CustomerState& c = customers_.emplace_back();
  c.id = CustomerId(e.customer_id());
  c.profile = CustomerProfile(e.display_name(), e.language(), {});
  c.tier = e.tier();
  c.reach = e.reach();
  c.created_at_ns = absl::ToUnixNanos(at);
}

// ------------------------------------------------------------ IdentityLinked

absl::Status CoreState::CheckIdentityLinked(const Event& event) const {
  const auto& e = event.identity_linked();
  if (!ActiveCustomer(e.customer_id())) return Misfit(event, "unknown customer");
  if (OwnerOf(FromProto(e.identity())).valid()) {
    return Misfit(event, "identity already linked");
  }
  return absl::OkStatus();
}

void CoreState::ApplyIdentityLinked(const Event& event, absl::Time at) {
  const auto& e = event.identity_linked();
  LinkIdentity(mutable_customer(e.customer_id()), FromProto(e.identity()));
}

// ------------------------------------------------------------ CustomersMerged

absl::Status CoreState::CheckCustomersMerged(const Event& event) const {
  const auto& e = event.customers_merged();
  if (!ActiveCustomer(e.survivor_id()) || !ActiveCustomer(e.absorbed_id()) ||
      e.survivor_id() == e.absorbed_id()) {
    return Misfit(event, "survivor and absorbed must be two active customers");
  }
  for (const auto& identity : e.moved_identities()) {
    if (OwnerOf(FromProto(identity)).value() != e.absorbed_id()) {
      return Misfit(event, "moved identity not owned by the absorbed customer");
    }
  }
  for (uint64_t id : e.moved_conversation_ids()) {
    const ConversationState* c = conversation(ConversationId(id));
    if (c == nullptr || c->customer.value() != e.absorbed_id()) {
      return Misfit(event, "moved conversation not owned by the absorbed customer");
    }
  }
  // Each source joins one target once, and no source is also a target:
  // otherwise messages would be moved twice or into a merged thread.
  absl::flat_hash_set<uint64_t> sources;
  for (const auto& t : e.thread_merges()) sources.insert(t.source_conversation_id());
  if (sources.size() != static_cast<size_t>(e.thread_merges_size())) {
    return Misfit(event, "thread merge lists a source twice");
  }
  for (const auto& t : e.thread_merges()) {
    if (!LiveConversation(t.target_conversation_id()) ||
        !LiveConversation(t.source_conversation_id()) ||
        sources.contains(t.target_conversation_id()) ||
        !MessagesIn(t.message_ids(), t.source_conversation_id())) {
      return Misfit(event, "thread merge does not match the conversations");
    }
  }
  return absl::OkStatus();
}

void CoreState::ApplyCustomersMerged(const Event& event, absl::Time at) {
  const auto& e = event.customers_merged();
  CustomerState& survivor = mutable_customer(e.survivor_id());
  CustomerState& absorbed = mutable_customer(e.absorbed_id());
  MergeRecord record;
  record.survivor = survivor.id;
  record.absorbed = absorbed.id;
  for (const auto& proto : e.moved_identities()) {
    Identity identity = FromProto(proto);
    MoveIdentity(absorbed, survivor, identity);
    record.identities.push_back(std::move(identity));
  }
  for (uint64_t id : e.moved_conversation_ids()) {
    ConversationState& c = mutable_conversation(id);
    c.customer = survivor.id;
    absorbed.conversations.Erase(c.id);
    survivor.conversations.push_back(c.id);
    record.conversations.push_back(c.id);
  }
  for (const auto& t : e.thread_merges()) {
    ConversationState& target = mutable_conversation(t.target_conversation_id());
    ConversationState& source = mutable_conversation(t.source_conversation_id());
    const Channel target_channel = target.channel;
    FollowLatestChannel(source, target);
    MoveMessages(source, target, t.message_ids());
    source.status_before_merge = source.status;
    source.status = ::omniroute::v1::CONVERSATION_STATUS_MERGED;
    source.merged_into = target.id;
    target.absorbed.push_back(source.id);
    record.threads.push_back({target.id,
                              source.id,
                              {t.message_ids().begin(), t.message_ids().end()},
                              target_channel});
  }
  absorbed.merged_into = survivor.id;
  Pin(record);
  active_merges_[absorbed.id] = std::move(record);
}

// ------------------------------------------------------------ CustomerUnmerged

absl::Status CoreState::CheckCustomerUnmerged(const Event& event) const {
  const auto& e = event.customer_unmerged();
  if (active_merge(CustomerId(e.customer_id())) == nullptr) {
    return Misfit(event, "the customer is not merged");
  }
  if (!ActiveCustomer(e.from_customer_id())) return Misfit(event, "unknown holder");
  for (const auto& identity : e.restored_identities()) {
    if (OwnerOf(FromProto(identity)).value() != e.from_customer_id()) {
      return Misfit(event, "restored identity not held by the holder");
    }
  }
  for (uint64_t id : e.restored_conversation_ids()) {
    const ConversationState* c = conversation(ConversationId(id));
    if (c == nullptr || c->customer.value() != e.from_customer_id()) {
      return Misfit(event, "restored conversation not held by the holder");
    }
  }
  // Each message goes back to one conversation: listed in two restored
  // threads it would end up in both.
  absl::flat_hash_set<uint64_t> restored_messages;
  absl::flat_hash_set<uint64_t> restored_sources;
  for (const auto& t : e.restored_threads()) {
    const ConversationState* source = conversation(ConversationId(t.source_conversation_id()));
    // The target is where the source's messages are now: the conversation
    // it merged into, or the one that one merged into since.
    if (source == nullptr || !source->merged_into.valid() ||
        ResolveConversation(source->id).value() != t.target_conversation_id() ||
        !MessagesIn(t.message_ids(), t.target_conversation_id()) ||
        !restored_sources.insert(t.source_conversation_id()).second) {
      return Misfit(event, "restored thread does not match the conversations");
    }
    for (uint64_t id : t.message_ids()) {
      if (!restored_messages.insert(id).second) {
        return Misfit(event, "a message is restored to two conversations");
      }
    }
  }
  return absl::OkStatus();
}

void CoreState::ApplyCustomerUnmerged(const Event& event, absl::Time at) {
  const auto& e = event.customer_unmerged();
  CustomerState& restored = mutable_customer(e.customer_id());
  CustomerState& holder = mutable_customer(e.from_customer_id());
  // Threads first, while the conversations still belong to the holder.
  const MergeRecord& record = active_merges_.at(restored.id);
  absl::flat_hash_set<MessageId> restored_messages;
  for (const auto& t : e.restored_threads()) {
    ConversationState& holder_thread = mutable_conversation(t.target_conversation_id());
    ConversationState& source = mutable_conversation(t.source_conversation_id());
    ConversationState& parent = mutable_conversation(source.merged_into.value());
    // The joined thread followed the source's channel; unless it moved on
    // since, it goes back to its own.
    for (const MergeRecord::Thread& thread : record.threads) {
      if (thread.source == source.id && thread.target == parent.id &&
          parent.channel == source.channel) {
        parent.channel = thread.target_channel_before;
      }
    }
    MoveMessages(holder_thread, source, t.message_ids());
    for (uint64_t id : t.message_ids()) restored_messages.insert(MessageId(id));
    source.status = source.status_before_merge;
    source.merged_into = ConversationId();
    EraseValue(parent.absorbed, source.id);
  }
  for (const auto& proto : e.restored_identities()) {
    MoveIdentity(holder, restored, FromProto(proto));
  }
  for (uint64_t id : e.restored_conversation_ids()) {
    ConversationState& c = mutable_conversation(id);
    c.customer = restored.id;
    holder.conversations.Erase(c.id);
    restored.conversations.push_back(c.id);
  }
  // The customers it was carried into: B and C when A merged into B and B
  // into C.
  absl::flat_hash_set<CustomerId> carriers;
  for (CustomerId c = restored.merged_into; c.valid(); c = customers_[c.value() - 1].merged_into) {
    carriers.insert(c);
  }
  restored.merged_into = CustomerId();
  for (ConversationId id : PinnedBy(active_merges_.at(restored.id))) Unpin(id);
  active_merges_.erase(restored.id);
  // The merges of those carriers recorded what this customer brought
  // them; it has left, so undoing them must not take its things along.
  absl::flat_hash_set<Identity> gone_identities;
  for (const auto& proto : e.restored_identities()) gone_identities.insert(FromProto(proto));
  absl::flat_hash_set<ConversationId> gone_conversations;
  for (uint64_t id : e.restored_conversation_ids()) gone_conversations.insert(ConversationId(id));
  for (auto& [absorbed_id, other] : active_merges_) {
    if (!carriers.contains(absorbed_id)) continue;
    std::erase_if(other.identities,
                  [&](const Identity& i) { return gone_identities.contains(i); });
    for (ConversationId c : other.conversations) {
      if (gone_conversations.contains(c)) Unpin(c);
    }
    std::erase_if(other.conversations,
                  [&](ConversationId c) { return gone_conversations.contains(c); });
    for (MergeRecord::Thread& thread : other.threads) {
      std::erase_if(thread.messages,
                    [&](MessageId m) { return restored_messages.contains(m); });
    }
  }
}

}  // namespace omniroute::core
