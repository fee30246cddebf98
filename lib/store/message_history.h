// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The message history that every event store derives from the events it
// appends (see EventStore in omniroute/event_store.h): one projection,
// shared by the stores, so that they agree by construction on which events
// make which rows.
//
// The projection turns events into two operations on a tenant's index:
//   - insert a row for each MessageRecorded event;
//   - move message ids to another conversation, for CustomersMerged
//     (thread_merges: to target_conversation_id), CustomerUnmerged
//     (restored_threads: back to source_conversation_id, the thread the
//     messages came from), ConversationsMerged and ConversationSplit (to
//     target_conversation_id);
//   - insert an archive row for each conversation, task and commitment of a
//     ConversationArchived event (EventStore::FindArchive).
//   - insert an erasure to redact for each CustomerErased event
//     (EventStore::ListUnredactedErasures); RedactCustomer, not the
//     projection, removes it.
// Every other event leaves the index alone.
//
// The index is derived and the log is the truth, so the projection never
// refuses an event: a store must not fail an Append, nor an upgrade of an
// old file, because of what an index would make of it. The engine checks
// every event against the tenant's state before it appends it, so the cases
// below only arise in a log that something else wrote or damaged; each is
// settled the way the engine's own fold would have seen it:
//   - a MessageRecorded whose message id is already indexed is ignored (the
//     first record of an id stands, as the fold would have refused the
//     second);
//   - a MessageRecorded with message id 0 (no id) makes no row;
//   - a move of an id without a row moves nothing.
//
// Times are kept to the nanosecond, as events have them (RecordedAtNanos): the SQLite store
// keeps them as integers, and the memory store uses the same value so that
// both order a timeline alike.
//
// Thread-safe: pure functions; a sink is used by one caller at a time.

#ifndef OMNIROUTE_LIB_STORE_MESSAGE_HISTORY_H_
#define OMNIROUTE_LIB_STORE_MESSAGE_HISTORY_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "omniroute/event_store.h"
#include "omniroute/types.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::store {

// One message of the index, as its MessageRecorded event makes it. The
// strings point into that event.
struct MessageRow {
  uint64_t message_id = 0;
  // The conversation it was recorded in; moves change it later.
  uint64_t conversation_id = 0;
  // The event's `time`, in nanoseconds since the Unix epoch.
  int64_t recorded_at_nanos = 0;
  // The sequence of the MessageRecorded event.
  uint64_t sequence = 0;
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  absl::string_view external_id;
  absl::string_view thread_key;
};

// Receives the projection's operations, in the order of the events that
// cause them. An error stops the projection and is returned by it as is.
class MessageHistorySink {
 public:
  virtual ~MessageHistorySink() = default;

  // A new message (its id is not 0). The sink ignores an id it already has.
  virtual absl::Status InsertMessage(const MessageRow& row) = 0;

  // `message_ids` are now in `conversation_id`. The sink ignores ids it does
  // not have.
  virtual absl::Status MoveMessages(absl::Span<const uint64_t> message_ids,
                                    uint64_t conversation_id) = 0;

  // An item of a ConversationArchived event (at `sequence`); customer_id is
  // the archived conversation's customer, 0 for every other item. The sink
  // ignores an item it already has (the first archive of an id stands).
  virtual absl::Status InsertArchived(EventStore::ArchivedKind kind, uint64_t item_id,
                                      uint64_t customer_id, uint64_t sequence) = 0;
  // A CustomerErased event (at `sequence`) of `customer_id`, whose
  // redaction is still to be done. The sink ignores a sequence it already
  // has.
  virtual absl::Status InsertErasure(uint64_t customer_id, uint64_t sequence) = 0;
};

// Feeds `sink` the operations of `events`, in order. Returns the first error
// of the sink, OK otherwise.
absl::Status ProjectMessageHistory(absl::Span<const ::omniroute::v1::Event> events,
                                   MessageHistorySink& sink);
absl::Status ProjectMessageHistory(const ::omniroute::v1::Event& event, MessageHistorySink& sink);

// `time` in nanoseconds since the Unix epoch, rounded down; saturated at
// the ends of int64 (absl::InfinitePast and InfiniteFuture included).
int64_t ToHistoryNanos(absl::Time time);

// The recorded time of an event as the history keeps it.
int64_t RecordedAtNanos(const ::omniroute::v1::Event& event);

// A store's read of a conversation's timeline that hands each message to
// `take` (which may move from it) until `take` returns false.
using TimelineRead =
    absl::FunctionRef<absl::Status(absl::FunctionRef<bool(EventStore::StoredMessage&)> take)>;

// ReadConversationMessages by way of `read`: up to `limit` messages,
// collected (each moved, not copied); read's errors.
absl::StatusOr<std::vector<EventStore::StoredMessage>> CollectTimeline(size_t limit,
                                                                       TimelineRead read);

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_MESSAGE_HISTORY_H_
