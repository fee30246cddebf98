// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The PostgreSQL event store's history and archive reads: the messages and
// archive tables (see postgres_schema.h) joined to the events that hold the
// bodies, each read one statement on a pooled connection, so each sees one
// committed state.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "store/message_history.h"
#include "store/postgres_connection.h"
#include "store/postgres_event_store_internal.h"
#include "store/stored_event.h"

namespace omniroute::store {
namespace {

using ::omniroute::v1::Event;

// Each message with its MessageRecorded event. LEFT JOIN: an index row
// whose event is gone is reported, not skipped.
constexpr char kTimelineFromStart[] =
    "SELECT m.message_id, m.conversation_id, m.sequence, e.payload, e.crc FROM messages AS m "
    "LEFT JOIN events AS e ON e.tenant = m.tenant AND e.sequence = m.sequence "
    "WHERE m.tenant = $1 AND m.conversation_id = $2 "
    "ORDER BY m.recorded_at, m.message_id LIMIT $3";
// The row comparison is one range of messages_by_conversation.
constexpr char kTimelineAfter[] =
    "SELECT m.message_id, m.conversation_id, m.sequence, e.payload, e.crc FROM messages AS m "
    "LEFT JOIN events AS e ON e.tenant = m.tenant AND e.sequence = m.sequence "
    "WHERE m.tenant = $1 AND m.conversation_id = $2 AND (m.recorded_at, m.message_id) > ($4, $5) "
    "ORDER BY m.recorded_at, m.message_id LIMIT $3";
constexpr char kOneMessage[] =
    "SELECT m.message_id, m.conversation_id, m.sequence, e.payload, e.crc FROM messages AS m "
    "LEFT JOIN events AS e ON e.tenant = m.tenant AND e.sequence = m.sequence "
    "WHERE m.tenant = $1 AND m.message_id = $2";
// The `<> ''` terms repeat the partial indexes' conditions, so that the
// planner may use them. Several rows with one external id only come from a
// log the engine did not write; the lowest id answers, as in the other
// stores.
constexpr char kByExternalId[] =
    "SELECT message_id, conversation_id FROM messages "
    "WHERE tenant = $1 AND channel = $2 AND external_id = $3 AND external_id <> '' "
    "ORDER BY message_id LIMIT 1";
constexpr char kLatestByThreadKey[] =
    "SELECT message_id, conversation_id FROM messages "
    "WHERE tenant = $1 AND channel = $2 AND thread_key = $3 AND thread_key <> '' "
    "ORDER BY message_id DESC LIMIT 1";
constexpr char kArchiveEvent[] =
    "SELECT a.sequence, e.payload, e.crc FROM archive AS a "
    "LEFT JOIN events AS e ON e.tenant = a.tenant AND e.sequence = a.sequence "
    "WHERE a.tenant = $1 AND a.kind = $2 AND a.item_id = $3";
// All the customers at once; the ids are unique by the primary key.
constexpr char kArchivedOfCustomers[] =
    "SELECT item_id FROM archive "
    "WHERE tenant = $1 AND customer_id = ANY ($2) AND item_id > $3 AND kind = 1 "
    "AND customer_id <> 0 ORDER BY item_id LIMIT $4";

int64_t ClampToInt64(size_t value) {
  return static_cast<int64_t>(
      std::min<uint64_t>(value, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

// Reads the message of row `row` of one of the timeline queries into
// `message` (its event parsed into the one there, whose memory it reuses),
// the event checked like any read's.
absl::Status MessageAt(const PgResult& rows, int row, absl::string_view tenant,
                       EventStore::StoredMessage& message) {
  const auto id = static_cast<uint64_t>(rows.Int64(row, 0));
  message.id = MessageId(id);
  message.conversation = ConversationId(static_cast<uint64_t>(rows.Int64(row, 1)));
  const auto sequence = static_cast<uint64_t>(rows.Int64(row, 2));
  if (rows.IsNull(row, 3)) {
    return DamagedEvent(tenant, sequence,
                        absl::StrCat("missing from the store (the record of message ", id, ")"));
  }
  if (absl::Status s = ParseStoredEvent(tenant, sequence, rows.Bytes(row, 3),
                                        static_cast<uint64_t>(rows.Int64(row, 4)), message.event);
      !s.ok()) {
    return s;
  }
  // A sound event that is not this message's record means the index row is
  // damaged, which is as much a loss as a damaged event.
  if (!message.event.has_message_recorded() ||
      message.event.message_recorded().message_id() != id) {
    return DamagedEvent(tenant, sequence,
                        absl::StrCat("the stored event is not the record of message ", id,
                                     " that the message index points to"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PostgresEventStore::ReadTimeline(absl::string_view tenant_id,
                                              ConversationId conversation,
                                              std::optional<MessageCursor> after, size_t limit,
                                              absl::FunctionRef<bool(StoredMessage&)> take) const {
  if (limit == 0) return absl::OkStatus();
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  PgParams params;
  params.Text(tenant_id)
      .Int64(static_cast<int64_t>(conversation.value()))
      .Int64(ClampToInt64(limit));
  if (after.has_value()) {
    params.Int64(ToHistoryNanos(after->recorded_at)).Int64(static_cast<int64_t>(after->id.value()));
  }
  absl::StatusOr<PgResult> rows = (*connection)->Run(
      after.has_value() ? kTimelineAfter : kTimelineFromStart, params,
      absl::StrCat("reading conversation ", conversation.value(), " of tenant ", tenant_id));
  if (!rows.ok()) return rows.status();
  StoredMessage message;
  for (int row = 0; row < rows->rows(); ++row) {
    if (absl::Status s = MessageAt(*rows, row, tenant_id, message); !s.ok()) return s;
    if (!take(message)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EventStore::StoredMessage>> PostgresEventStore::ReadConversationMessages(
    absl::string_view tenant_id, ConversationId conversation, std::optional<MessageCursor> after,
    size_t limit) const {
  return CollectTimeline(limit, [&](absl::FunctionRef<bool(StoredMessage&)> take) {
    return ReadTimeline(tenant_id, conversation, after, limit, take);
  });
}

absl::Status PostgresEventStore::VisitConversationMessages(
    absl::string_view tenant_id, ConversationId conversation, std::optional<MessageCursor> after,
    size_t limit, const std::function<bool(const StoredMessage&)>& visitor) const {
  // Every row parsed into the same message: after the first, a parse
  // reuses the strings and submessages of the one before.
  return ReadTimeline(tenant_id, conversation, after, limit,
                      [&](StoredMessage& message) { return visitor(message); });
}

absl::StatusOr<EventStore::StoredMessage> PostgresEventStore::ReadMessage(
    absl::string_view tenant_id, MessageId message) const {
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  PgParams params;
  params.Text(tenant_id).Int64(static_cast<int64_t>(message.value()));
  absl::StatusOr<PgResult> rows = (*connection)->Run(
      kOneMessage, params,
      absl::StrCat("reading message ", message.value(), " of tenant ", tenant_id));
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("tenant ", tenant_id, " has no message ", message.value()));
  }
  StoredMessage stored;
  if (absl::Status s = MessageAt(*rows, 0, tenant_id, stored); !s.ok()) return s;
  return stored;
}

absl::StatusOr<std::optional<EventStore::MessageLocation>>
PostgresEventStore::FindMessageByExternalId(absl::string_view tenant_id, Channel channel,
                                            absl::string_view external_id) const {
  if (external_id.empty()) return std::nullopt;
  return FindMessage(kByExternalId, tenant_id, channel, external_id, "external id");
}

absl::StatusOr<std::optional<EventStore::MessageLocation>>
PostgresEventStore::FindLatestMessageByThreadKey(absl::string_view tenant_id, Channel channel,
                                                 absl::string_view thread_key) const {
  if (thread_key.empty()) return std::nullopt;
  return FindMessage(kLatestByThreadKey, tenant_id, channel, thread_key, "thread key");
}

absl::StatusOr<std::optional<EventStore::MessageLocation>> PostgresEventStore::FindMessage(
    const char* sql, absl::string_view tenant_id, Channel channel, absl::string_view key,
    absl::string_view key_name) const {
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  PgParams params;
  params.Text(tenant_id).Int32(static_cast<int32_t>(channel)).Bytes(key);
  absl::StatusOr<PgResult> rows = (*connection)->Run(
      sql, params,
      absl::StrCat("looking up ", key_name, " \"", key, "\" of tenant ", tenant_id));
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) return std::nullopt;
  return MessageLocation{MessageId(static_cast<uint64_t>(rows->Int64(0, 0))),
                         ConversationId(static_cast<uint64_t>(rows->Int64(0, 1)))};
}

absl::StatusOr<std::optional<Event>> PostgresEventStore::FindArchive(absl::string_view tenant_id,
                                                                     ArchivedKind kind,
                                                                     uint64_t id) const {
  Event event;
  absl::StatusOr<bool> found = FindArchiveInto(tenant_id, kind, id, event);
  if (!found.ok()) return found.status();
  if (!*found) return std::nullopt;
  return event;
}

absl::StatusOr<bool> PostgresEventStore::FindArchiveInto(absl::string_view tenant_id,
                                                         ArchivedKind kind, uint64_t id,
                                                         Event& event) const {
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  PgParams params;
  // As InsertArchived stores it: an id above INT64_MAX is kept as the
  // bigint of the same bits, so it is looked up as such, not clamped.
  params.Text(tenant_id).Int32(static_cast<int32_t>(kind)).Int64(static_cast<int64_t>(id));
  absl::StatusOr<PgResult> rows = (*connection)->Run(
      kArchiveEvent, params,
      absl::StrCat("reading the archive of item ", id, " of tenant ", tenant_id));
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) return false;
  const auto sequence = static_cast<uint64_t>(rows->Int64(0, 0));
  if (rows->IsNull(0, 1)) {
    return DamagedEvent(tenant_id, sequence,
                        absl::StrCat("missing from the store (the archive of item ", id, ")"));
  }
  if (absl::Status s = ParseStoredEvent(tenant_id, sequence, rows->Bytes(0, 1),
                                        static_cast<uint64_t>(rows->Int64(0, 2)), event);
      !s.ok()) {
    return s;
  }
  if (!event.has_conversation_archived()) {
    return DamagedEvent(tenant_id, sequence,
                        absl::StrCat("the stored event is not the archive of item ", id,
                                     " that the archive index points to"));
  }
  return true;
}

absl::StatusOr<std::vector<ConversationId>> PostgresEventStore::ListArchivedConversations(
    absl::string_view tenant_id, absl::Span<const CustomerId> customers, ConversationId after,
    size_t limit) const {
  std::vector<ConversationId> ids;
  if (limit == 0 || customers.empty()) return ids;
  std::vector<int64_t> customer_ids;
  customer_ids.reserve(customers.size());
  for (CustomerId customer : customers) customer_ids.push_back(static_cast<int64_t>(customer.value()));
  // As the SQLite store: `after` beyond INT64_MAX is clamped, so nothing
  // stored as a negative bigint is listed after it.
  const int64_t after_id = static_cast<int64_t>(
      std::min<uint64_t>(after.value(), static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  PgParams params;
  params.Text(tenant_id).Int64Array(customer_ids).Int64(after_id).Int64(ClampToInt64(limit));
  absl::StatusOr<PgResult> rows = (*connection)->Run(
      kArchivedOfCustomers, params,
      absl::StrCat("listing the archived conversations of tenant ", tenant_id));
  if (!rows.ok()) return rows.status();
  ids.reserve(rows->rows());
  for (int row = 0; row < rows->rows(); ++row) {
    ids.push_back(ConversationId(static_cast<uint64_t>(rows->Int64(row, 0))));
  }
  return ids;
}

}  // namespace omniroute::store
