// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// An EventStore that passes every call to another one: the base of the test
// stores that change one or two calls (hold an append, fail the reads,
// record what was written) and let the rest go through.

#ifndef OMNIROUTE_TESTS_STORE_FORWARDING_EVENT_STORE_H_
#define OMNIROUTE_TESTS_STORE_FORWARDING_EVENT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "omniroute/event_store.h"

namespace omniroute::testing_internal {

class ForwardingEventStore : public EventStore {
 public:
  // Forwards to a store of its own in memory.
  ForwardingEventStore() : owned_(NewMemoryEventStore()), inner_(*owned_) {}
  // Forwards to `inner`, which must outlive this.
  explicit ForwardingEventStore(EventStore& inner) : inner_(inner) {}

  absl::Status Append(absl::string_view tenant_id,
                      absl::Span<const ::omniroute::v1::Event> events) override {
    return inner_.Append(tenant_id, events);
  }
  absl::Status Read(
      absl::string_view tenant_id, uint64_t from_sequence,
      const std::function<bool(const ::omniroute::v1::Event&)>& visitor) const override {
    return inner_.Read(tenant_id, from_sequence, visitor);
  }
  absl::StatusOr<uint64_t> LastSequence(absl::string_view tenant_id) const override {
    return inner_.LastSequence(tenant_id);
  }
  absl::StatusOr<std::vector<std::string>> ListTenants() const override {
    return inner_.ListTenants();
  }
  absl::Status SaveSnapshot(absl::string_view tenant_id, uint64_t sequence,
                            absl::string_view state) override {
    return inner_.SaveSnapshot(tenant_id, sequence, state);
  }
  absl::StatusOr<Snapshot> LoadSnapshot(absl::string_view tenant_id) const override {
    return inner_.LoadSnapshot(tenant_id);
  }
  absl::StatusOr<std::vector<StoredMessage>> ReadConversationMessages(
      absl::string_view tenant_id, ConversationId conversation,
      std::optional<MessageCursor> after, size_t limit) const override {
    return inner_.ReadConversationMessages(tenant_id, conversation, after, limit);
  }
  absl::StatusOr<StoredMessage> ReadMessage(absl::string_view tenant_id,
                                            MessageId message) const override {
    return inner_.ReadMessage(tenant_id, message);
  }
  absl::StatusOr<std::optional<MessageLocation>> FindMessageByExternalId(
      absl::string_view tenant_id, Channel channel, absl::string_view external_id) const override {
    return inner_.FindMessageByExternalId(tenant_id, channel, external_id);
  }
  absl::StatusOr<std::optional<MessageLocation>> FindLatestMessageByThreadKey(
      absl::string_view tenant_id, Channel channel, absl::string_view thread_key) const override {
    return inner_.FindLatestMessageByThreadKey(tenant_id, channel, thread_key);
  }
  absl::StatusOr<std::optional<::omniroute::v1::Event>> FindArchive(
      absl::string_view tenant_id, ArchivedKind kind, uint64_t id) const override {
    return inner_.FindArchive(tenant_id, kind, id);
  }
  absl::StatusOr<std::vector<ConversationId>> ListArchivedConversations(
      absl::string_view tenant_id, absl::Span<const CustomerId> customers, ConversationId after,
      size_t limit) const override {
    return inner_.ListArchivedConversations(tenant_id, customers, after, limit);
  }
  absl::Status RedactCustomer(absl::string_view tenant_id,
                              const CustomerRedaction& redaction) override {
    return inner_.RedactCustomer(tenant_id, redaction);
  }
  absl::StatusOr<std::vector<uint64_t>> ListUnredactedErasures(
      absl::string_view tenant_id) const override {
    return inner_.ListUnredactedErasures(tenant_id);
  }

  // The store it forwards to.
  EventStore& inner() const { return inner_; }

 private:
  const std::unique_ptr<EventStore> owned_;
  EventStore& inner_;
};

}  // namespace omniroute::testing_internal

#endif  // OMNIROUTE_TESTS_STORE_FORWARDING_EVENT_STORE_H_
