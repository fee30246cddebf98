// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A tenant's message lookup (core/message_lookup.h): the store's indexes,
// and in front of them the keys of messages applied but not stored yet.
//
// Group commit applies a command's events before the store has them, and the
// next command may be a redelivery of the same message or a reply to it: the
// keys of the batches in flight are kept here until their batch is durable,
// then dropped (the store answers for them from then on). So the memory this
// takes is bounded by what is in flight, not by the tenant's history.
//
// Thread-compatible: used under the tenant's lock.

#ifndef OMNIROUTE_LIB_ENGINE_PENDING_MESSAGE_KEYS_H_
#define OMNIROUTE_LIB_ENGINE_PENDING_MESSAGE_KEYS_H_

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/types/span.h"
#include "core/message_lookup.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::engine_internal {

class PendingMessageKeys final : public core::MessageLookup {
 public:
  // `store` must outlive this.
  PendingMessageKeys(const EventStore& store, std::string tenant_id)
      : store_(store), tenant_id_(std::move(tenant_id)) {}

  // Notes the keys of the messages recorded by `events` (applied, not
  // stored yet).
  void Add(absl::Span<const ::omniroute::v1::Event> events);
  // `events` are durable: the store answers for their keys now. A key that
  // a later message took again stays.
  void Settle(absl::Span<const ::omniroute::v1::Event> events);
  // Everything applied and not stored was given up.
  void Clear();
  size_t size() const { return external_ids_.size() + thread_keys_.size(); }

  absl::StatusOr<MessageId> ByExternalId(Channel channel,
                                         absl::string_view external_id) const override;
  absl::StatusOr<MessageId> LatestByThreadKey(Channel channel,
                                              absl::string_view thread_key) const override;
  absl::StatusOr<ArchivedMessage> Archived(MessageId id) const override;

 private:
  using Key = std::pair<int, std::string>;
  using Map = absl::flat_hash_map<Key, MessageId>;

  static MessageId Find(const Map& map, Channel channel, absl::string_view value);

  const EventStore& store_;
  const std::string tenant_id_;
  Map external_ids_;
  // The latest pending message of each thread key.
  Map thread_keys_;
};

}  // namespace omniroute::engine_internal

#endif  // OMNIROUTE_LIB_ENGINE_PENDING_MESSAGE_KEYS_H_
