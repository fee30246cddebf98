// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "engine/timeline.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "engine/page_token.h"

namespace omniroute::engine_internal {
namespace {

// Views reserved up front for a page: a page of 100 and its look-ahead.
constexpr size_t kReservedViews = 128;

bool Before(const TimelineKey& a, const TimelineKey& b) {
  if (a.at != b.at) return a.at < b.at;
  if (a.kind != b.kind) return a.kind < b.kind;
  return a.index < b.index;
}

}  // namespace

std::string TimelineScope(ConversationId conversation) {
  return absl::StrCat("timeline of conversation ", conversation.value());
}

// nanoseconds since the epoch, kind, index.
std::string EncodeTimelineKey(const TimelineKey& key) {
  std::string bytes;
  AppendUint64(bytes, static_cast<uint64_t>(absl::ToUnixNanos(key.at)));
  bytes.push_back(static_cast<char>(key.kind));
  AppendUint64(bytes, key.index);
  return bytes;
}

absl::StatusOr<TimelineKey> DecodeTimelineKey(absl::string_view bytes) {
  if (bytes.size() != 17 || (bytes[8] != TimelineKey::kMessage &&
                             bytes[8] != TimelineKey::kHandoff)) {
    return absl::InvalidArgumentError("page_token: not a timeline position");
  }
  TimelineKey key;
  key.at = absl::FromUnixNanos(static_cast<int64_t>(ReadUint64(bytes, 0)));
  key.kind = static_cast<TimelineKey::Kind>(bytes[8]);
  key.index = ReadUint64(bytes, 9);
  return key;
}

MessageView ToMessageView(const EventStore::StoredMessage& stored) {
  const ::omniroute::v1::MessageRecorded& m = stored.event.message_recorded();
  MessageView view;
  view.id = stored.id;
  view.conversation = stored.conversation;
  view.channel = m.channel();
  view.direction = m.direction();
  view.visibility = m.visibility();
  view.external_id = m.external_id();
  view.thread_key = m.thread_key();
  view.references.assign(m.references().begin(), m.references().end());
  view.body = m.body();
  if (m.has_sender()) view.sender = core::FromProto(m.sender());
  view.agent_id = m.agent_id();
  view.recorded_at = core::FromProto(stored.event.time());
  return view;
}

absl::StatusOr<TimelinePage> ReadTimelinePage(const EventStore& store,
                                              absl::string_view tenant_id,
                                              ConversationId requested, ConversationId thread,
                                              const std::vector<HandoffView>& handoffs,
                                              const std::optional<TimelineKey>& after,
                                              int page_size) {
  // Messages strictly after the key: after a handoff at t, every message
  // recorded at t came before it.
  std::optional<EventStore::MessageCursor> cursor;
  if (after.has_value()) {
    cursor = EventStore::MessageCursor{
        after->at, after->kind == TimelineKey::kMessage
                       ? MessageId(after->index)
                       : MessageId(std::numeric_limits<uint64_t>::max())};
  }
  // One more than a page tells whether another page follows. Visited, not
  // collected: the store may parse each message into the same event.
  // Room for a page of the usual size only: reserving for the largest page
  // (1,000 views, hundreds of kB) on every call made malloc grow and trim
  // the heap each time, a system call and a TLB flush on every core per
  // call, even for a conversation of three messages.
  const size_t expected = std::min<size_t>(static_cast<size_t>(page_size) + 1, kReservedViews);
  std::vector<MessageView> messages;
  messages.reserve(expected);
  if (absl::Status s = store.VisitConversationMessages(
          tenant_id, thread, cursor, static_cast<size_t>(page_size) + 1,
          [&](const EventStore::StoredMessage& stored) {
            messages.push_back(ToMessageView(stored));
            return true;
          });
      !s.ok()) {
    return s;
  }

  // Handoffs with their keys (rank among those of the same instant).
  std::vector<std::pair<TimelineKey, const HandoffView*>> pending_handoffs;
  for (size_t i = 0; i < handoffs.size(); ++i) {
    uint64_t rank = 0;
    while (rank < i && handoffs[i - rank - 1].at == handoffs[i].at) ++rank;
    TimelineKey key{handoffs[i].at, TimelineKey::kHandoff, rank};
    if (!after.has_value() || Before(*after, key)) pending_handoffs.emplace_back(key, &handoffs[i]);
  }

  TimelinePage page;
  size_t m = 0;
  size_t h = 0;
  TimelineKey last;
  page.entries.reserve(expected);
  while (page.entries.size() < static_cast<size_t>(page_size) &&
         (m < messages.size() || h < pending_handoffs.size())) {
    std::optional<TimelineKey> message_key;
    if (m < messages.size()) {
      message_key =
          TimelineKey{messages[m].recorded_at, TimelineKey::kMessage, messages[m].id.value()};
    }
    if (message_key.has_value() &&
        (h == pending_handoffs.size() || Before(*message_key, pending_handoffs[h].first))) {
      MessageView view = std::move(messages[m++]);
      const absl::Time at = view.recorded_at;
      page.entries.push_back(TimelineEntry{at, std::move(view), std::nullopt});
      last = *message_key;
    } else {
      const auto& [key, handoff] = pending_handoffs[h++];
      page.entries.push_back(TimelineEntry{handoff->at, std::nullopt, *handoff});
      last = key;
    }
  }
  if (m < messages.size() || h < pending_handoffs.size()) {
    page.next_page_token =
        EncodePageToken(tenant_id, TimelineScope(requested), EncodeTimelineKey(last));
  }
  return page;
}

}  // namespace omniroute::engine_internal
