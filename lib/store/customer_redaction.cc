// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/customer_redaction.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace omniroute::store {
namespace {

using ::omniroute::v1::Event;

// Messages read from the index at a time.
constexpr size_t kMessagesPerRead = 1000;

class Redactor {
 public:
  explicit Redactor(const EventStore::CustomerRedaction& redaction) {
    for (CustomerId id : redaction.customers) customers_.insert(id.value());
  }

  // Whether `event` is a customer event of one of the customers.
  bool Concerns(const Event& event) const {
    switch (event.payload_case()) {
      case Event::kCustomerCreated:
        return customers_.contains(event.customer_created().customer_id());
      case Event::kIdentityLinked:
        return customers_.contains(event.identity_linked().customer_id());
      case Event::kCustomersMerged:
        return customers_.contains(event.customers_merged().survivor_id()) ||
               customers_.contains(event.customers_merged().absorbed_id());
      case Event::kCustomerUnmerged:
        return customers_.contains(event.customer_unmerged().customer_id()) ||
               customers_.contains(event.customer_unmerged().from_customer_id());
      default:
        return false;
    }
  }

  // Learns the placeholder of an identity linked to one of the customers;
  // called with the customer events in sequence order.
  void Learn(const Event& event) {
    if (!event.has_identity_linked()) return;
    const auto& e = event.identity_linked();
    if (!customers_.contains(e.customer_id())) return;
    const int n = ++linked_[e.customer_id()];
    placeholders_.try_emplace(Key(e.identity()), absl::StrCat("erased:", e.customer_id(), ":", n));
  }

  // Redacts a customer event, or the MessageRecorded of a message of the
  // conversations, in place.
  void Redact(Event& event) const {
    switch (event.payload_case()) {
      case Event::kCustomerCreated: {
        auto* e = event.mutable_customer_created();
        e->clear_display_name();
        e->clear_language();
        return;
      }
      case Event::kIdentityLinked:
        Replace(*event.mutable_identity_linked()->mutable_identity());
        return;
      case Event::kCustomersMerged: {
        auto* e = event.mutable_customers_merged();
        for (auto& identity : *e->mutable_moved_identities()) Replace(identity);
        if (e->has_linked_identity()) Replace(*e->mutable_linked_identity());
        return;
      }
      case Event::kCustomerUnmerged:
        for (auto& identity : *event.mutable_customer_unmerged()->mutable_restored_identities()) {
          Replace(identity);
        }
        return;
      case Event::kMessageRecorded: {
        auto* e = event.mutable_message_recorded();
        e->clear_body();
        e->clear_tags();
        e->clear_references();
        e->clear_external_id();
        e->clear_thread_key();
        if (e->has_sender()) {
          auto it = placeholders_.find(Key(e->sender()));
          e->mutable_sender()->set_value(it != placeholders_.end() ? it->second : "erased");
        }
        return;
      }
      case Event::kConversationArchived:
        // The records of archived messages name no sender, but keep its
        // fingerprint, which the erasure forgets (CustomerErased).
        for (auto& m :
             *event.mutable_conversation_archived()->mutable_archive()->mutable_messages()) {
          m.set_sender_fingerprint(0);
        }
        return;
      default:
        return;
    }
  }

 private:
  static std::string Key(const ::omniroute::v1::Identity& identity) {
    return absl::StrCat(static_cast<int>(identity.kind()), "\n", identity.network(), "\n",
                        identity.value());
  }

  void Replace(::omniroute::v1::Identity& identity) const {
    auto it = placeholders_.find(Key(identity));
    if (it != placeholders_.end()) identity.set_value(it->second);
  }

  absl::flat_hash_set<uint64_t> customers_;
  absl::flat_hash_map<uint64_t, int> linked_;
  absl::flat_hash_map<std::string, std::string> placeholders_;
};

// Adds the redacted form of `event` to `plan` if it differs.
void Rewrite(const Redactor& redactor, const Event& event, RedactionPlan& plan) {
  Event redacted = event;
  redactor.Redact(redacted);
  if (redacted.SerializeAsString() != event.SerializeAsString()) {
    plan.events.push_back(std::move(redacted));
  }
}

}  // namespace

absl::StatusOr<RedactionPlan> PlanCustomerRedaction(
    const EventStore& store, absl::string_view tenant_id,
    const EventStore::CustomerRedaction& redaction) {
  Redactor redactor(redaction);
  std::vector<Event> customer_events;
  absl::Status read = store.Read(tenant_id, 1, [&](const Event& event) {
    if (event.sequence() > redaction.erased_at_sequence) return false;
    if (redactor.Concerns(event)) {
      redactor.Learn(event);
      customer_events.push_back(event);
    }
    return true;
  });
  if (!read.ok()) return read;

  RedactionPlan plan;
  for (const Event& event : customer_events) Rewrite(redactor, event, plan);
  for (ConversationId conversation : redaction.conversations) {
    std::optional<EventStore::MessageCursor> after;
    while (true) {
      absl::StatusOr<std::vector<EventStore::StoredMessage>> messages =
          store.ReadConversationMessages(tenant_id, conversation, after, kMessagesPerRead);
      if (!messages.ok()) return messages.status();
      for (const EventStore::StoredMessage& m : *messages) {
        if (m.event.sequence() > redaction.erased_at_sequence) continue;
        plan.message_ids.push_back(m.id.value());
        Rewrite(redactor, m.event, plan);
      }
      if (messages->size() < kMessagesPerRead) break;
      const EventStore::StoredMessage& last = messages->back();
      after = EventStore::MessageCursor{
          absl::FromUnixSeconds(last.event.time().seconds()) +
              absl::Nanoseconds(last.event.time().nanos()),
          last.id};
    }
  }
  // The conversations' archives, archived before the erasure (those
  // archived since have no fingerprints left). A conversation merged into
  // another one shares its archive: each is rewritten once.
  absl::flat_hash_set<uint64_t> archives;
  for (ConversationId conversation : redaction.conversations) {
    absl::StatusOr<std::optional<Event>> archive =
        store.FindArchive(tenant_id, EventStore::ArchivedKind::kConversation, conversation.value());
    if (!archive.ok()) return archive.status();
    if (!archive->has_value() || (*archive)->sequence() > redaction.erased_at_sequence ||
        !archives.insert((*archive)->sequence()).second) {
      continue;
    }
    Rewrite(redactor, **archive, plan);
  }
  std::sort(plan.events.begin(), plan.events.end(),
            [](const Event& a, const Event& b) { return a.sequence() < b.sequence(); });
  return plan;
}

}  // namespace omniroute::store
