// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A page of a conversation's timeline: its messages, read from the event
// store's history, merged with its handoffs, which the working set holds.
//
// Order. Entries are ordered by (time, kind, index): a message before a
// handoff at the same instant, messages by id, handoffs in the order they
// were made. A page token (engine/page_token.h) holds the key of the last
// entry returned, so that the next page starts strictly after it, whatever
// was recorded meanwhile.

#ifndef OMNIROUTE_LIB_ENGINE_TIMELINE_H_
#define OMNIROUTE_LIB_ENGINE_TIMELINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "omniroute/conversation.h"
#include "omniroute/event_store.h"
#include "omniroute/ids.h"

namespace omniroute::engine_internal {

// The key of a timeline entry.
struct TimelineKey {
  enum Kind : uint8_t { kMessage = 0, kHandoff = 1 };
  absl::Time at;
  Kind kind = kMessage;
  // A message's id; a handoff's rank among the thread's handoffs made at the
  // same instant.
  uint64_t index = 0;
};

// The page token scope of a conversation's timeline.
std::string TimelineScope(ConversationId conversation);
std::string EncodeTimelineKey(const TimelineKey& key);
// INVALID_ARGUMENT naming page_token for bytes that are not a key.
absl::StatusOr<TimelineKey> DecodeTimelineKey(absl::string_view bytes);

// A message of the history as a view.
MessageView ToMessageView(const EventStore::StoredMessage& stored);

// Reads the page of `thread` (where the messages of `requested` live now)
// after `after` (from the start when nullopt): up to `page_size` entries,
// merging the store's messages with `handoffs` (the thread's, in time order).
absl::StatusOr<TimelinePage> ReadTimelinePage(const EventStore& store,
                                              absl::string_view tenant_id,
                                              ConversationId requested, ConversationId thread,
                                              const std::vector<HandoffView>& handoffs,
                                              const std::optional<TimelineKey>& after,
                                              int page_size);

}  // namespace omniroute::engine_internal

#endif  // OMNIROUTE_LIB_ENGINE_TIMELINE_H_
