// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Commands on customers: link an identity, merge, unmerge.

#include <algorithm>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/fingerprint.h"
#include "core/proto_convert.h"
#include "core/tenant_core.h"

namespace omniroute::core {
namespace {

// Kinds whose values are one account each: two different values on one
// network are two accounts, which only a person may declare the same customer.
bool IsPlatformAccount(IdentityKind kind) {
  return kind == ::omniroute::v1::IDENTITY_KIND_SOCIAL_ID ||
         kind == ::omniroute::v1::IDENTITY_KIND_SOCIAL_HANDLE ||
         kind == ::omniroute::v1::IDENTITY_KIND_CRM_ID;
}

// The first pair of different accounts of one kind and network, if any.
std::optional<Identity> ConflictingAccount(const CustomerState& a, const CustomerState& b) {
  std::vector<Identity> theirs = b.identities();
  for (const Identity& x : a.identities()) {
    if (!IsPlatformAccount(x.kind)) continue;
    for (Identity& y : theirs) {
      if (y.kind == x.kind && y.network == x.network && y.value != x.value) return std::move(y);
    }
  }
  return std::nullopt;
}

// FAILED_PRECONDITION naming `field` for an erased customer: nothing can be
// linked to, merged with or restored from a customer whose data is gone.
absl::Status NotErased(const CustomerState& c, absl::string_view field) {
  if (!c.erased) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(field, ": ", ToString(c.id), " was erased"));
}

bool IsOpenForThreadMerge(const ConversationState& c) {
  return c.status == ::omniroute::v1::CONVERSATION_STATUS_OPEN ||
         c.status == ::omniroute::v1::CONVERSATION_STATUS_PENDING_CUSTOMER;
}

}  // namespace

absl::StatusOr<LinkResult> TenantCore::DecideLink(CustomerId customer, const RawIdentity& raw,
                                                  const Actor& actor, LinkMode mode,
                                                  absl::Time now, Events* events) const {
  if (absl::Status s = CheckActor(actor); !s.ok()) return s;
  const CustomerState* target = state_.customer(customer);
  if (target == nullptr) {
    return absl::NotFoundError(absl::StrCat("customer: ", ToString(customer), " not found"));
  }
  absl::StatusOr<Identity> identity = NormalizeIdentity(raw, state_.options().default_country_code);
  if (!identity.ok()) return identity.status();
  // A merged customer's id still works: it stands for the survivor.
  target = state_.customer(state_.Resolve(customer));
  if (absl::Status s = NotErased(*target, "customer"); !s.ok()) return s;

  const CustomerId owner = state_.OwnerOf(*identity);
  if (owner == target->id) return LinkResult{target->id, std::nullopt, {}};
  if (!owner.valid()) {
    auto* linked = events->emplace_back().mutable_identity_linked();
    linked->set_customer_id(target->id.value());
    ToProto(*identity, linked->mutable_identity());
    ToProto(actor, linked->mutable_actor());
    return LinkResult{target->id, std::nullopt, {}};
  }
  const CustomerState& other = *state_.customer(owner);
  if (mode == LinkMode::kAutomatic) {
    if (const std::optional<Identity> conflict = ConflictingAccount(*target, other)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "identity: ", ToString(*identity), " belongs to ", ToString(other.id),
          ", which has a different account (", ToString(*conflict), ") than ",
          ToString(target->id), "; an automatic link never merges two accounts of one "
          "network, link explicitly to merge them"));
    }
  }
  return AppendCustomerMerge(*target, other, actor, &*identity, now, events);
}

absl::StatusOr<LinkResult> TenantCore::DecideMerge(CustomerId a, CustomerId b,
                                                   const Actor& actor, absl::Time now,
                                                   Events* events) const {
  if (absl::Status s = CheckActor(actor); !s.ok()) return s;
  const CustomerState* first = state_.customer(a);
  if (first == nullptr) {
    return absl::NotFoundError(absl::StrCat("customer_a: ", ToString(a), " not found"));
  }
  const CustomerState* second = state_.customer(b);
  if (second == nullptr) {
    return absl::NotFoundError(absl::StrCat("customer_b: ", ToString(b), " not found"));
  }
  if (a == b) {
    return absl::FailedPreconditionError(
        absl::StrCat("customer_b: ", ToString(b), " cannot be merged with itself"));
  }
  if (state_.Resolve(a) == state_.Resolve(b)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "customer_b: ", ToString(a), " and ", ToString(b), " are already merged into ",
        ToString(state_.Resolve(a))));
  }
  if (absl::Status s = NotErased(*state_.customer(state_.Resolve(a)), "customer_a"); !s.ok()) {
    return s;
  }
  if (absl::Status s = NotErased(*state_.customer(state_.Resolve(b)), "customer_b"); !s.ok()) {
    return s;
  }
  return AppendCustomerMerge(*state_.customer(state_.Resolve(a)),
                             *state_.customer(state_.Resolve(b)), actor, nullptr, now, events);
}

LinkResult TenantCore::AppendCustomerMerge(const CustomerState& a, const CustomerState& b,
                                           const Actor& actor, const Identity* linked_identity,
                                           absl::Time now, Events* events) const {
  // The older customer survives: its id is the one other systems have seen
  // longest.
  const bool a_older = a.created_at_ns != b.created_at_ns ? a.created_at_ns < b.created_at_ns : a.id < b.id;
  const CustomerState& survivor = a_older ? a : b;
  const CustomerState& absorbed = a_older ? b : a;

  LinkResult result{survivor.id, absorbed.id, {}};
  auto* merged = events->emplace_back().mutable_customers_merged();
  merged->set_survivor_id(survivor.id.value());
  merged->set_absorbed_id(absorbed.id.value());
  for (const Identity& identity : absorbed.identities()) {
    ToProto(identity, merged->add_moved_identities());
  }
  for (ConversationId id : absorbed.conversations) merged->add_moved_conversation_ids(id.value());
  ToProto(actor, merged->mutable_actor());
  if (linked_identity != nullptr) ToProto(*linked_identity, merged->mutable_linked_identity());

  if (!state_.options().merge_threads_on_customer_merge) return result;
  // Open conversations of both that were active lately are one problem told
  // on several channels: they become one thread, in the oldest conversation.
  const absl::Time since = now - state_.options().thread_merge_window;
  std::vector<const ConversationState*> open;
  for (const CustomerState* c : {&survivor, &absorbed}) {
    for (ConversationId id : c->conversations) {
      const ConversationState& conversation = *state_.conversation(id);
      if (IsOpenForThreadMerge(conversation) && state_.LastActivity(conversation) >= since) {
        open.push_back(&conversation);
      }
    }
  }
  if (open.size() < 2) return result;
  std::sort(open.begin(), open.end(), [](const ConversationState* x, const ConversationState* y) {
    return x->opened_at != y->opened_at ? x->opened_at < y->opened_at : x->id < y->id;
  });
  const ConversationState& target = *open.front();
  for (size_t i = 1; i < open.size(); ++i) {
    auto* thread = merged->add_thread_merges();
    thread->set_target_conversation_id(target.id.value());
    thread->set_source_conversation_id(open[i]->id.value());
    for (MessageId id : open[i]->messages) thread->add_message_ids(id.value());
    result.merged_threads.emplace_back(target.id, open[i]->id);
  }
  return result;
}

absl::Status TenantCore::DecideUnmerge(CustomerId customer, const Actor& actor,
                                       Events* events) const {
  if (absl::Status s = CheckActor(actor); !s.ok()) return s;
  const CustomerState* restored = state_.customer(customer);
  if (restored == nullptr) {
    return absl::NotFoundError(absl::StrCat("customer: ", ToString(customer), " not found"));
  }
  if (absl::Status s = NotErased(*restored, "customer"); !s.ok()) return s;
  const MergeRecord* record = state_.active_merge(customer);
  if (record == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("customer: ", ToString(customer),
                     " is not merged into another customer (never merged, or already "
                     "unmerged)"));
  }
  const CustomerId holder_id = state_.Resolve(record->survivor);
  const CustomerState& holder = *state_.customer(holder_id);

  auto* e = events->emplace_back().mutable_customer_unmerged();
  e->set_customer_id(customer.value());
  e->set_from_customer_id(holder_id.value());
  ToProto(actor, e->mutable_actor());

  // Its identities, unless a later unmerge already took them elsewhere.
  // Messages name their senders by fingerprint (the working set keeps no
  // senders).
  absl::flat_hash_set<uint64_t> restored_identities;
  for (const Identity& identity : record->identities) {
    if (state_.OwnerOf(identity) != holder_id) continue;
    ToProto(identity, e->add_restored_identities());
    restored_identities.insert(IdentityFingerprint(identity));
  }
  // The threads this merge joined, with the messages still in them, and, when
  // the restored customer's conversation was the one absorbed, what its
  // identities wrote into the joined thread since: those messages came from it.
  absl::flat_hash_set<MessageId> given_back;  // A message goes back to one thread only.
  for (const MergeRecord::Thread& thread : record->threads) {
    const ConversationState* source = state_.conversation(thread.source);
    if (source->merged_into != thread.target) continue;
    // Later merges may have carried the joined thread further.
    const ConversationState& target =
        *state_.conversation(state_.ResolveConversation(thread.target));
    const bool source_is_restored =
        std::find(record->conversations.begin(), record->conversations.end(), thread.source) !=
        record->conversations.end();
    absl::flat_hash_set<MessageId> listed(thread.messages.begin(), thread.messages.end());
    auto* t = e->add_restored_threads();
    t->set_target_conversation_id(target.id.value());
    t->set_source_conversation_id(thread.source.value());
    for (MessageId id : target.messages) {
      const MessageState& m = *state_.message(id);
      const bool written_since = source_is_restored &&
                                 (m.origin == thread.target || m.origin == target.id) &&
                                 m.direction == ::omniroute::v1::DIRECTION_INBOUND &&
                                 restored_identities.contains(m.sender_fingerprint);
      if ((listed.contains(id) || written_since) && given_back.insert(id).second) {
        t->add_message_ids(id.value());
      }
    }
  }
  // Its conversations, and those opened since the merge by its identities
  // alone: they came from this customer.
  for (ConversationId id : holder.conversations) {
    const ConversationState& c = *state_.conversation(id);
    const bool from_record =
        std::find(record->conversations.begin(), record->conversations.end(), id) !=
        record->conversations.end();
    bool only_restored_senders = !from_record && c.status != ::omniroute::v1::CONVERSATION_STATUS_MERGED;
    bool any_inbound = false;
    if (only_restored_senders) {
      for (MessageId m : c.messages) {
        const MessageState& message = *state_.message(m);
        if (message.direction != ::omniroute::v1::DIRECTION_INBOUND) continue;
        any_inbound = true;
        if (!restored_identities.contains(message.sender_fingerprint)) {
          only_restored_senders = false;
          break;
        }
      }
    }
    if (from_record || (only_restored_senders && any_inbound)) {
      e->add_restored_conversation_ids(id.value());
    }
  }
  return absl::OkStatus();
}

}  // namespace omniroute::core
