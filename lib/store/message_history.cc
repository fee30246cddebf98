// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/message_history.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace omniroute::store {
namespace {

using ::omniroute::v1::Event;

absl::Span<const uint64_t> Ids(const google::protobuf::RepeatedField<uint64_t>& ids) {
  return absl::MakeConstSpan(ids.data(), static_cast<size_t>(ids.size()));
}

}  // namespace

int64_t ToHistoryNanos(absl::Time time) {
  if (time == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  if (time == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  return absl::ToUnixNanos(time);  // Rounds down, saturates (years 1678 to 2262).
}

int64_t RecordedAtNanos(const Event& event) {
  // Through absl::Time, which saturates: a damaged Timestamp must not
  // overflow.
  return ToHistoryNanos(absl::FromUnixSeconds(event.time().seconds()) +
                         absl::Nanoseconds(event.time().nanos()));
}

absl::Status ProjectMessageHistory(const Event& event, MessageHistorySink& sink) {
  switch (event.payload_case()) {
    case Event::kMessageRecorded: {
      const auto& e = event.message_recorded();
      if (e.message_id() == 0) return absl::OkStatus();
      MessageRow row;
      row.message_id = e.message_id();
      row.conversation_id = e.conversation_id();
      row.recorded_at_nanos = RecordedAtNanos(event);
      row.sequence = event.sequence();
      row.channel = e.channel();
      row.external_id = e.external_id();
      row.thread_key = e.thread_key();
      return sink.InsertMessage(row);
    }
    case Event::kCustomersMerged:
      for (const auto& thread : event.customers_merged().thread_merges()) {
        if (absl::Status s = sink.MoveMessages(Ids(thread.message_ids()),
                                               thread.target_conversation_id());
            !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    case Event::kCustomerUnmerged:
      // The reverse of the thread merge: the messages leave the thread that
      // held them (target) for the one they came from (source).
      for (const auto& thread : event.customer_unmerged().restored_threads()) {
        if (absl::Status s = sink.MoveMessages(Ids(thread.message_ids()),
                                               thread.source_conversation_id());
            !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    case Event::kConversationsMerged:
      return sink.MoveMessages(Ids(event.conversations_merged().message_ids()),
                               event.conversations_merged().target_conversation_id());
    case Event::kConversationSplit:
      return sink.MoveMessages(Ids(event.conversation_split().message_ids()),
                               event.conversation_split().target_conversation_id());
    case Event::kConversationArchived: {
      const auto& e = event.conversation_archived();
      using Kind = EventStore::ArchivedKind;
      for (const auto& c : e.archive().conversations()) {
        // Listed under its customer only if it is the archived conversation
        // itself: those merged into it are not listed on their own.
        const uint64_t customer = c.id() == e.conversation_id() ? c.customer_id() : 0;
        if (absl::Status s = sink.InsertArchived(Kind::kConversation, c.id(), customer,
                                                 event.sequence());
            !s.ok()) {
          return s;
        }
      }
      for (const auto& t : e.archive().tasks()) {
        if (absl::Status s = sink.InsertArchived(Kind::kTask, t.id(), 0, event.sequence());
            !s.ok()) {
          return s;
        }
      }
      for (const auto& c : e.archive().commitments()) {
        if (absl::Status s = sink.InsertArchived(Kind::kCommitment, c.id(), 0, event.sequence());
            !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    }
    case Event::kCustomerErased:
      return sink.InsertErasure(event.customer_erased().customer_id(), event.sequence());
    default:
      return absl::OkStatus();
  }
}

absl::Status ProjectMessageHistory(absl::Span<const Event> events, MessageHistorySink& sink) {
  for (const Event& event : events) {
    if (absl::Status s = ProjectMessageHistory(event, sink); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EventStore::StoredMessage>> CollectTimeline(size_t limit,
                                                                       TimelineRead read) {
  std::vector<EventStore::StoredMessage> messages;
  // A page at once: growing by doubling moves every parsed event again.
  messages.reserve(std::min<size_t>(limit, 1024));
  absl::Status status = read([&](EventStore::StoredMessage& message) {
    messages.push_back(std::move(message));
    return true;
  });
  if (!status.ok()) return status;
  return messages;
}

}  // namespace omniroute::store
