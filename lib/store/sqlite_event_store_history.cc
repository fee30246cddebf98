// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The SQLite event store's history reads: the messages table (see
// sqlite_schema.h) joined to the events that hold the bodies, each read one
// query on a pooled read connection.

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
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
#include "store/sqlite_connection.h"
#include "store/sqlite_event_store_internal.h"
#include "store/sqlite_schema.h"

namespace omniroute::store {
namespace {

using ::omniroute::v1::Event;

// Each message with its MessageRecorded event. LEFT JOIN: an index row
// whose event is gone is reported, not skipped.
constexpr char kTimelineFromStart[] =
    "SELECT m.message_id, m.conversation_id, m.sequence, e.payload, e.crc FROM messages AS m "
    "LEFT JOIN events AS e ON e.tenant = m.tenant AND e.sequence = m.sequence "
    "WHERE m.tenant = ?1 AND m.conversation_id = ?2 "
    "ORDER BY m.recorded_at, m.message_id LIMIT ?5";
// The row value compares (recorded_at, message_id) as a pair, which the
// conversation index serves as one range.
constexpr char kTimelineAfter[] =
    "SELECT m.message_id, m.conversation_id, m.sequence, e.payload, e.crc FROM messages AS m "
    "LEFT JOIN events AS e ON e.tenant = m.tenant AND e.sequence = m.sequence "
    "WHERE m.tenant = ?1 AND m.conversation_id = ?2 AND (m.recorded_at, m.message_id) > (?3, ?4) "
    "ORDER BY m.recorded_at, m.message_id LIMIT ?5";
constexpr char kOneMessage[] =
    "SELECT m.message_id, m.conversation_id, m.sequence, e.payload, e.crc FROM messages AS m "
    "LEFT JOIN events AS e ON e.tenant = m.tenant AND e.sequence = m.sequence "
    "WHERE m.tenant = ?1 AND m.message_id = ?2";

// INDEXED BY: without statistics (the store never runs ANALYZE) SQLite
// prefers the primary key, which serves ORDER BY message_id but scans the
// tenant's every message. The partial indexes hold message_id after their
// columns, so they serve the order too; the `<> ''` terms repeat their
// conditions, without which SQLite may not use them. Several rows with one
// external id only come from a log the engine did not write; the lowest id
// answers, as in the memory store.
constexpr char kByExternalId[] =
    "SELECT message_id, conversation_id FROM messages INDEXED BY messages_by_external_id "
    "WHERE tenant = ?1 AND channel = ?2 AND external_id = ?3 AND external_id <> '' "
    "ORDER BY message_id LIMIT 1";
constexpr char kLatestByThreadKey[] =
    "SELECT message_id, conversation_id FROM messages INDEXED BY messages_by_thread_key "
    "WHERE tenant = ?1 AND channel = ?2 AND thread_key = ?3 AND thread_key <> '' "
    "ORDER BY message_id DESC LIMIT 1";

// One statement per kind, the kind written in the text: bound as a
// parameter, it would be compared with the partial index's `kind = 1`, and
// SQLite re-prepares a statement at each new value of a parameter that may
// change its plan (a sixth of a timeline page's time, measured).
#define OMNIROUTE_ARCHIVE_EVENT(kind)                                         \
  "SELECT a.sequence, e.payload, e.crc FROM archive AS a "                    \
  "LEFT JOIN events AS e ON e.tenant = a.tenant AND e.sequence = a.sequence " \
  "WHERE a.tenant = ?1 AND a.kind = " #kind " AND a.item_id = ?2"
constexpr const char* kArchiveEvent[] = {OMNIROUTE_ARCHIVE_EVENT(1), OMNIROUTE_ARCHIVE_EVENT(2),
                                         OMNIROUTE_ARCHIVE_EVENT(3)};
#undef OMNIROUTE_ARCHIVE_EVENT
static_assert(static_cast<int>(EventStore::ArchivedKind::kConversation) == 1 &&
              static_cast<int>(EventStore::ArchivedKind::kTask) == 2 &&
              static_cast<int>(EventStore::ArchivedKind::kCommitment) == 3);
constexpr char kArchivedOfCustomer[] =
    "SELECT item_id FROM archive INDEXED BY archive_by_customer "
    "WHERE tenant = ?1 AND customer_id = ?2 AND item_id > ?3 AND kind = 1 AND customer_id <> 0 "
    "ORDER BY item_id LIMIT ?4";

// Reads the message of the current row of one of the queries above into
// `message` (its event parsed into the one there, whose memory it reuses),
// the event checked like any read's.
absl::Status MessageAt(sqlite3_stmt* statement, absl::string_view tenant,
                       EventStore::StoredMessage& message) {
  const auto id = static_cast<uint64_t>(sqlite3_column_int64(statement, 0));
  message.id = MessageId(id);
  message.conversation = ConversationId(static_cast<uint64_t>(sqlite3_column_int64(statement, 1)));
  const auto sequence = static_cast<uint64_t>(sqlite3_column_int64(statement, 2));
  if (sqlite3_column_type(statement, 3) == SQLITE_NULL) {
    return DamagedEvent(tenant, sequence,
                        absl::StrCat("missing from the store (the record of message ", id, ")"));
  }
  if (absl::Status s =
          ParseStoredEvent(tenant, sequence, ColumnBytes(statement, 3),
                           static_cast<uint64_t>(sqlite3_column_int64(statement, 4)),
                           message.event);
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

int64_t ClampToInt64(size_t value) {
  return static_cast<int64_t>(
      std::min<uint64_t>(value, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

}  // namespace

absl::Status SqliteEventStore::CheckHistory(absl::string_view what) const {
  if (schema_version_ >= 2) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot ", what, ": the store ", options_.path, " is at schema version ", schema_version_,
      ", which has no message history; open it writable once to upgrade it to version ",
      kSqliteSchemaVersion));
}

absl::Status SqliteEventStore::ReadTimeline(absl::string_view tenant_id,
                                            ConversationId conversation,
                                            std::optional<MessageCursor> after, size_t limit,
                                            absl::FunctionRef<bool(StoredMessage&)> take) const {
  if (absl::Status s = CheckHistory(absl::StrCat("read conversation ", conversation.value(),
                                                 " of tenant ", tenant_id));
      !s.ok()) {
    return s;
  }
  if (limit == 0) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = AcquireReader();
  if (!connection.ok()) return connection.status();
  ReaderLease reader(*this, *std::move(connection));
  absl::StatusOr<sqlite3_stmt*> statement =
      reader->Prepare(after.has_value() ? kTimelineAfter : kTimelineFromStart);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant_id);
  sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(conversation.value()));
  if (after.has_value()) {
    sqlite3_bind_int64(*statement, 3, ToHistoryNanos(after->recorded_at));
    sqlite3_bind_int64(*statement, 4, static_cast<int64_t>(after->id.value()));
  }
  sqlite3_bind_int64(*statement, 5, ClampToInt64(limit));
  StoredMessage message;
  int rc;
  while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
    if (absl::Status s = MessageAt(*statement, tenant_id, message); !s.ok()) return s;
    if (!take(message)) return absl::OkStatus();
  }
  if (rc != SQLITE_DONE) {
    return reader->Error(rc, absl::StrCat("reading conversation ", conversation.value(),
                                          " of tenant ", tenant_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EventStore::StoredMessage>> SqliteEventStore::ReadConversationMessages(
    absl::string_view tenant_id, ConversationId conversation, std::optional<MessageCursor> after,
    size_t limit) const {
  return CollectTimeline(limit, [&](absl::FunctionRef<bool(StoredMessage&)> take) {
    return ReadTimeline(tenant_id, conversation, after, limit, take);
  });
}

absl::Status SqliteEventStore::VisitConversationMessages(
    absl::string_view tenant_id, ConversationId conversation, std::optional<MessageCursor> after,
    size_t limit, const std::function<bool(const StoredMessage&)>& visitor) const {
  // Every row parsed into the same message: after the first, a parse
  // reuses the strings and submessages of the one before.
  return ReadTimeline(tenant_id, conversation, after, limit,
                      [&](StoredMessage& message) { return visitor(message); });
}

absl::StatusOr<EventStore::StoredMessage> SqliteEventStore::ReadMessage(
    absl::string_view tenant_id, MessageId message) const {
  if (absl::Status s =
          CheckHistory(absl::StrCat("read message ", message.value(), " of tenant ", tenant_id));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = AcquireReader();
  if (!connection.ok()) return connection.status();
  ReaderLease reader(*this, *std::move(connection));
  absl::StatusOr<sqlite3_stmt*> statement = reader->Prepare(kOneMessage);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant_id);
  sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(message.value()));
  const int rc = sqlite3_step(*statement);
  if (rc == SQLITE_ROW) {
    StoredMessage stored;
    if (absl::Status s = MessageAt(*statement, tenant_id, stored); !s.ok()) return s;
    return stored;
  }
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(
        absl::StrCat("tenant ", tenant_id, " has no message ", message.value()));
  }
  return reader->Error(rc,
                       absl::StrCat("reading message ", message.value(), " of tenant ", tenant_id));
}

absl::StatusOr<std::optional<EventStore::MessageLocation>> SqliteEventStore::FindMessageByExternalId(
    absl::string_view tenant_id, Channel channel, absl::string_view external_id) const {
  if (absl::Status s = CheckHistory(
          absl::StrCat("look up external id \"", external_id, "\" of tenant ", tenant_id));
      !s.ok()) {
    return s;
  }
  if (external_id.empty()) return std::nullopt;
  return FindMessage(kByExternalId, tenant_id, channel, external_id, "external id");
}

absl::StatusOr<std::optional<EventStore::MessageLocation>>
SqliteEventStore::FindLatestMessageByThreadKey(absl::string_view tenant_id, Channel channel,
                                               absl::string_view thread_key) const {
  if (absl::Status s = CheckHistory(
          absl::StrCat("look up thread key \"", thread_key, "\" of tenant ", tenant_id));
      !s.ok()) {
    return s;
  }
  if (thread_key.empty()) return std::nullopt;
  return FindMessage(kLatestByThreadKey, tenant_id, channel, thread_key, "thread key");
}

absl::Status SqliteEventStore::CheckArchive(absl::string_view what) const {
  if (schema_version_ >= 3) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot ", what, ": the store ", options_.path, " is at schema version ", schema_version_,
      ", which has no archive; open it writable once to upgrade it to version ",
      kSqliteSchemaVersion));
}

absl::StatusOr<std::optional<::omniroute::v1::Event>> SqliteEventStore::FindArchive(
    absl::string_view tenant_id, ArchivedKind kind, uint64_t id) const {
  Event event;
  absl::StatusOr<bool> found = FindArchiveInto(tenant_id, kind, id, event);
  if (!found.ok()) return found.status();
  if (!*found) return std::nullopt;
  return event;
}

absl::StatusOr<bool> SqliteEventStore::FindArchiveInto(absl::string_view tenant_id,
                                                       ArchivedKind kind, uint64_t id,
                                                       Event& event) const {
  if (absl::Status s = CheckArchive(absl::StrCat("read the archive of tenant ", tenant_id));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = AcquireReader();
  if (!connection.ok()) return connection.status();
  ReaderLease reader(*this, *std::move(connection));
  const int kind_index = static_cast<int>(kind) - 1;
  // Nothing is archived under another kind (as in the other stores).
  if (kind_index < 0 || kind_index >= static_cast<int>(std::size(kArchiveEvent))) {
    return false;
  }
  absl::StatusOr<sqlite3_stmt*> statement = reader->Prepare(kArchiveEvent[kind_index]);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant_id);
  // As InsertArchived stores it: an id above INT64_MAX is kept as the
  // int64 of the same bits, so it must be looked up as such, not clamped.
  sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(id));
  const int rc = sqlite3_step(*statement);
  if (rc == SQLITE_DONE) return false;
  if (rc != SQLITE_ROW) {
    return reader->Error(rc, absl::StrCat("reading the archive of item ", id, " of tenant ",
                                          tenant_id));
  }
  const auto sequence = static_cast<uint64_t>(sqlite3_column_int64(*statement, 0));
  if (sqlite3_column_type(*statement, 1) == SQLITE_NULL) {
    return DamagedEvent(tenant_id, sequence,
                        absl::StrCat("missing from the store (the archive of item ", id, ")"));
  }
  if (absl::Status s = ParseStoredEvent(tenant_id, sequence, ColumnBytes(*statement, 1),
                                        static_cast<uint64_t>(sqlite3_column_int64(*statement, 2)),
                                        event);
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

absl::StatusOr<std::vector<ConversationId>> SqliteEventStore::ListArchivedConversations(
    absl::string_view tenant_id, absl::Span<const CustomerId> customers, ConversationId after,
    size_t limit) const {
  if (absl::Status s = CheckArchive(absl::StrCat("list the archive of tenant ", tenant_id));
      !s.ok()) {
    return s;
  }
  std::vector<ConversationId> ids;
  if (limit == 0 || customers.empty()) return ids;
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = AcquireReader();
  if (!connection.ok()) return connection.status();
  ReaderLease reader(*this, *std::move(connection));
  absl::StatusOr<sqlite3_stmt*> statement = reader->Prepare(kArchivedOfCustomer);
  if (!statement.ok()) return statement.status();
  // One index range per customer, merged: a customer who absorbed others
  // lists theirs too, and there are few of them.
  for (CustomerId customer : customers) {
    ScopedReset reset(*statement);
    BindText(*statement, 1, tenant_id);
    sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(customer.value()));
    sqlite3_bind_int64(*statement, 3,
                       static_cast<int64_t>(std::min<uint64_t>(after.value(), kMaxStorableSequence)));
    sqlite3_bind_int64(*statement, 4, ClampToInt64(limit));
    int rc;
    while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
      ids.push_back(ConversationId(static_cast<uint64_t>(sqlite3_column_int64(*statement, 0))));
    }
    if (rc != SQLITE_DONE) {
      return reader->Error(rc, absl::StrCat("listing the archived conversations of customer ",
                                            customer.value(), " of tenant ", tenant_id));
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (ids.size() > limit) ids.resize(limit);
  return ids;
}

absl::StatusOr<std::optional<EventStore::MessageLocation>> SqliteEventStore::FindMessage(
    absl::string_view sql, absl::string_view tenant_id, Channel channel, absl::string_view key,
    absl::string_view key_name) const {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = AcquireReader();
  if (!connection.ok()) return connection.status();
  ReaderLease reader(*this, *std::move(connection));
  absl::StatusOr<sqlite3_stmt*> statement = reader->Prepare(sql);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant_id);
  sqlite3_bind_int(*statement, 2, static_cast<int>(channel));
  BindText(*statement, 3, key);
  const int rc = sqlite3_step(*statement);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) {
    return reader->Error(rc, absl::StrCat("looking up ", key_name, " \"", key, "\" of tenant ",
                                          tenant_id));
  }
  return MessageLocation{
      MessageId(static_cast<uint64_t>(sqlite3_column_int64(*statement, 0))),
      ConversationId(static_cast<uint64_t>(sqlite3_column_int64(*statement, 1)))};
}

}  // namespace omniroute::store
