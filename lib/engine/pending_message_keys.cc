// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "engine/pending_message_keys.h"

#include "absl/strings/str_cat.h"

namespace omniroute::engine_internal {

void PendingMessageKeys::Add(absl::Span<const ::omniroute::v1::Event> events) {
  for (const ::omniroute::v1::Event& event : events) {
    if (!event.has_message_recorded()) continue;
    const auto& m = event.message_recorded();
    const MessageId id(m.message_id());
    if (!m.external_id().empty()) external_ids_[Key(m.channel(), m.external_id())] = id;
    if (!m.thread_key().empty()) thread_keys_[Key(m.channel(), m.thread_key())] = id;
  }
}

void PendingMessageKeys::Settle(absl::Span<const ::omniroute::v1::Event> events) {
  auto settle = [](Map& map, Key key, MessageId id) {
    auto it = map.find(key);
    if (it != map.end() && it->second == id) map.erase(it);
  };
  for (const ::omniroute::v1::Event& event : events) {
    if (!event.has_message_recorded()) continue;
    const auto& m = event.message_recorded();
    const MessageId id(m.message_id());
    if (!m.external_id().empty()) settle(external_ids_, Key(m.channel(), m.external_id()), id);
    if (!m.thread_key().empty()) settle(thread_keys_, Key(m.channel(), m.thread_key()), id);
  }
}

void PendingMessageKeys::Clear() {
  external_ids_.clear();
  thread_keys_.clear();
}

MessageId PendingMessageKeys::Find(const Map& map, Channel channel, absl::string_view value) {
  if (map.empty()) return MessageId();
  auto it = map.find(Key(channel, std::string(value)));
  return it == map.end() ? MessageId() : it->second;
}

absl::StatusOr<MessageId> PendingMessageKeys::ByExternalId(Channel channel,
                                                           absl::string_view external_id) const {
  if (external_id.empty()) return MessageId();
  if (MessageId pending = Find(external_ids_, channel, external_id); pending.valid()) {
    return pending;
  }
  absl::StatusOr<std::optional<EventStore::MessageLocation>> stored =
      store_.FindMessageByExternalId(tenant_id_, channel, external_id);
  if (!stored.ok()) return stored.status();
  return stored->has_value() ? (*stored)->id : MessageId();
}

absl::StatusOr<MessageId> PendingMessageKeys::LatestByThreadKey(
    Channel channel, absl::string_view thread_key) const {
  if (thread_key.empty()) return MessageId();
  // A pending message is later than any stored one.
  if (MessageId pending = Find(thread_keys_, channel, thread_key); pending.valid()) {
    return pending;
  }
  absl::StatusOr<std::optional<EventStore::MessageLocation>> stored =
      store_.FindLatestMessageByThreadKey(tenant_id_, channel, thread_key);
  if (!stored.ok()) return stored.status();
  return stored->has_value() ? (*stored)->id : MessageId();
}

absl::StatusOr<core::MessageLookup::ArchivedMessage> PendingMessageKeys::Archived(
    MessageId id) const {
  absl::StatusOr<EventStore::StoredMessage> stored = store_.ReadMessage(tenant_id_, id);
  if (!stored.ok()) return stored.status();
  absl::StatusOr<std::optional<::omniroute::v1::Event>> archive = store_.FindArchive(
      tenant_id_, EventStore::ArchivedKind::kConversation, stored->conversation.value());
  if (!archive.ok()) return archive.status();
  if (!archive->has_value()) {
    return absl::NotFoundError(absl::StrCat("message ", id.value(), " of tenant ", tenant_id_,
                                            " is neither in memory nor in an archived conversation"));
  }
  ArchivedMessage message;
  message.conversation = stored->conversation;
  message.outcome = stored->event.message_recorded().outcome();
  const auto& archived = (*archive)->conversation_archived().archive();
  if (archived.conversations_size() > 0) {
    message.customer = CustomerId(archived.conversations(0).customer_id());
  }
  return message;
}

}  // namespace omniroute::engine_internal
