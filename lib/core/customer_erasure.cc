// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Erasure of a customer's personal data (GDPR art. 17): the command that
// decides it and the fold of its CustomerErased event.
//
// What the working set holds of a customer's personal data is its display
// name, its language and its identities (with the identity index), and the
// fingerprints of the senders of its messages. The event clears them for the
// customer and for every customer merged into it, and drops the merge
// records between them (an erased customer cannot be unmerged: there is
// nothing left to restore). Conversations, their message records (ids,
// times, channels, directions) and routing history stay, so statistics stay
// whole. The bodies, senders, references and keys of the messages, and the
// names and identities in the earlier events, are redacted by the store
// (EventStore::RedactCustomer) once the event is durable.

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "core/tenant_core.h"
#include "core/core_state.h"

namespace omniroute::core {
namespace {

using ::omniroute::v1::Event;

absl::Status ErasureMisfit(const Event& event, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("event ", event.sequence(),
                                          " (customer_erased) does not fit the state: ", why));
}

}  // namespace

std::vector<CustomerId> CoreState::MergedInto(CustomerId id) const {
  std::vector<CustomerId> merged;
  for (const auto& [absorbed, record] : active_merges_) {
    if (absorbed != id && Resolve(absorbed) == id) merged.push_back(absorbed);
  }
  std::sort(merged.begin(), merged.end());
  return merged;
}

absl::Status CoreState::CheckCustomerErased(const Event& event) const {
  const auto& e = event.customer_erased();
  const CustomerState* target = customer(CustomerId(e.customer_id()));
  if (target == nullptr || target->merged_into.valid() || target->erased) {
    return ErasureMisfit(event, "the customer is not an active customer that was not erased");
  }
  // Exactly the customers merged into it, and every conversation of them
  // all, none still live: the decision closed them.
  const std::vector<CustomerId> merged = MergedInto(target->id);
  if (merged.size() != static_cast<size_t>(e.erased_with_customer_ids_size())) {
    return ErasureMisfit(event, "the customers erased with it are not those merged into it");
  }
  absl::flat_hash_set<uint64_t> listed_customers(e.erased_with_customer_ids().begin(),
                                                 e.erased_with_customer_ids().end());
  listed_customers.insert(target->id.value());
  for (CustomerId id : merged) {
    if (!listed_customers.contains(id.value())) {
      return ErasureMisfit(event, "the customers erased with it are not those merged into it");
    }
  }
  absl::flat_hash_set<uint64_t> listed_conversations(e.conversation_ids().begin(),
                                                     e.conversation_ids().end());
  size_t owned = 0;
  for (uint64_t id : listed_customers) {
    for (ConversationId c : customer(CustomerId(id))->conversations) {
      if (!listed_conversations.contains(c.value())) {
        return ErasureMisfit(event, "a conversation of the erased customers is not listed");
      }
      ++owned;
    }
  }
  if (owned != listed_conversations.size()) {
    return ErasureMisfit(event, "a listed conversation is not one of the erased customers'");
  }
  for (uint64_t id : listed_conversations) {
    if (conversation(ConversationId(id))->IsLive()) {
      return ErasureMisfit(event, "a conversation of the erased customers is still live");
    }
  }
  return absl::OkStatus();
}

void CoreState::ApplyCustomerErased(const Event& event, absl::Time at) {
  const auto& e = event.customer_erased();
  std::vector<uint64_t> erased(e.erased_with_customer_ids().begin(),
                               e.erased_with_customer_ids().end());
  erased.push_back(e.customer_id());
  for (uint64_t id : erased) {
    CustomerState& c = mutable_customer(id);
    for (const Identity& identity : c.identities()) {
      identity_owner_.Erase(identity, HolderOf(identity));
    }
    c.profile = CustomerProfile();
    c.erased = true;
    erased_at_[c.id] = at;
    // Nothing of it is left to restore, and the conversations the record
    // named may leave the working set again.
    if (auto merge = active_merges_.find(c.id); merge != active_merges_.end()) {
      const std::vector<ConversationId> pinned = PinnedBy(merge->second);
      active_merges_.erase(merge);
      for (ConversationId pin : pinned) Unpin(pin);
    }
  }
  // The senders' fingerprints are derived from their identities: forgotten
  // too (the store replaces the senders themselves by placeholders).
  // Archived conversations are not in memory: the event lists only those
  // of the working set.
  for (uint64_t id : e.conversation_ids()) {
    for (MessageId m : mutable_conversation(id).messages) {
      mutable_message(m.value()).sender_fingerprint = 0;
    }
  }
}

absl::Status TenantCore::DecideEraseCustomer(CustomerId customer, const Actor& actor,
                                             const RoutedWork& work, Events* events) const {
  if (absl::Status s = CheckActor(actor); !s.ok()) return s;
  const CustomerState* target = state_.customer(customer);
  if (target == nullptr) {
    return absl::NotFoundError(absl::StrCat("customer: ", ToString(customer), " not found"));
  }
  // Erasing twice erases nothing more.
  if (target->erased) return absl::OkStatus();
  if (target->merged_into.valid()) {
    const CustomerId holder = state_.Resolve(customer);
    return absl::FailedPreconditionError(absl::StrCat(
        "customer: ", ToString(customer), " is merged into ", ToString(holder),
        ": unmerge it first or erase ", ToString(holder), " (which erases it too)"));
  }
  std::vector<CustomerId> erased = state_.MergedInto(customer);
  std::vector<ConversationId> conversations;
  for (CustomerId id : erased) {
    const CustomerState& c = *state_.customer(id);
    conversations.insert(conversations.end(), c.conversations.begin(), c.conversations.end());
  }
  conversations.insert(conversations.end(), target->conversations.begin(),
                       target->conversations.end());
  std::sort(conversations.begin(), conversations.end());
  // Work in progress and promises are the brand's to finish first: erasing
  // under an agent's hands, or silently breaking a promise, is not wanted.
  for (ConversationId id : conversations) {
    if (const TaskId task = work.FirstLiveTask(id); task.valid()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "customer: ", ToString(customer), " has a live task (", ToString(task), " on ",
          ToString(id), "): complete, transfer or abandon it first"));
    }
    if (const CommitmentId commitment = work.FirstOpenCommitment(id); commitment.valid()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "customer: ", ToString(customer), " has an open commitment (",
          ToString(commitment), " on ", ToString(id), "): close it first"));
    }
  }
  for (ConversationId id : conversations) {
    const ConversationState& c = *state_.conversation(id);
    if (!c.IsLive()) continue;
    auto* closed = events->emplace_back().mutable_conversation_status_changed();
    closed->set_conversation_id(c.id.value());
    closed->set_from_status(c.status);
    closed->set_to_status(::omniroute::v1::CONVERSATION_STATUS_CLOSED);
    ToProto(actor, closed->mutable_actor());
    closed->set_reason("customer erased");
  }
  auto* e = events->emplace_back().mutable_customer_erased();
  e->set_customer_id(customer.value());
  for (CustomerId id : erased) e->add_erased_with_customer_ids(id.value());
  for (ConversationId id : conversations) e->add_conversation_ids(id.value());
  ToProto(actor, e->mutable_actor());
  return absl::OkStatus();
}

}  // namespace omniroute::core
