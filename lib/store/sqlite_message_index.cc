// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/sqlite_message_index.h"

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "omniroute/v1/events.pb.h"
#include "store/sqlite_event_store_internal.h"

namespace omniroute::store {
namespace {

using ::omniroute::v1::Event;

// OR IGNORE: the first record of an id stands (see message_history.h).
constexpr char kInsertMessage[] =
    "INSERT OR IGNORE INTO messages (tenant, message_id, conversation_id, recorded_at, sequence, "
    "channel, external_id, thread_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
// An id without a row matches nothing, which is the projection's rule.
constexpr char kMoveMessage[] =
    "UPDATE messages SET conversation_id = ?3 WHERE tenant = ?1 AND message_id = ?2";
constexpr char kInsertArchived[] =
    "INSERT OR IGNORE INTO archive (tenant, kind, item_id, customer_id, sequence) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kInsertErasure[] =
    "INSERT OR IGNORE INTO unredacted_erasures (tenant, sequence, customer_id) "
    "VALUES (?1, ?2, ?3)";
// Clustered by (tenant, sequence): one scan in the order the projection
// needs.
constexpr char kAllEvents[] = "SELECT tenant, sequence, payload, crc FROM events";

}  // namespace

absl::Status SqliteMessageIndexWriter::InsertMessage(const MessageRow& row) {
  absl::StatusOr<sqlite3_stmt*> statement = connection_.Prepare(kInsertMessage);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant_);
  sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(row.message_id));
  sqlite3_bind_int64(*statement, 3, static_cast<int64_t>(row.conversation_id));
  sqlite3_bind_int64(*statement, 4, row.recorded_at_nanos);
  sqlite3_bind_int64(*statement, 5, static_cast<int64_t>(row.sequence));
  sqlite3_bind_int(*statement, 6, static_cast<int>(row.channel));
  BindText(*statement, 7, row.external_id);
  BindText(*statement, 8, row.thread_key);
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
    return connection_.Error(rc, absl::StrCat("indexing message ", row.message_id, " of tenant ",
                                              tenant_, " (event ", row.sequence, ")"));
  }
  return absl::OkStatus();
}

absl::Status SqliteMessageIndexWriter::MoveMessages(absl::Span<const uint64_t> message_ids,
                                                    uint64_t conversation_id) {
  if (message_ids.empty()) return absl::OkStatus();
  absl::StatusOr<sqlite3_stmt*> statement = connection_.Prepare(kMoveMessage);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant_);
  sqlite3_bind_int64(*statement, 3, static_cast<int64_t>(conversation_id));
  for (const uint64_t id : message_ids) {
    sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(id));
    if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
      return connection_.Error(rc, absl::StrCat("moving message ", id, " of tenant ", tenant_,
                                                " to conversation ", conversation_id));
    }
    sqlite3_reset(*statement);  // Keeps the bindings: tenant and target stay.
  }
  return absl::OkStatus();
}

absl::Status SqliteMessageIndexWriter::InsertArchived(EventStore::ArchivedKind kind,
                                                      uint64_t item_id, uint64_t customer_id,
                                                      uint64_t sequence) {
  absl::StatusOr<sqlite3_stmt*> statement = connection_.Prepare(kInsertArchived);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant_);
  sqlite3_bind_int(*statement, 2, static_cast<int>(kind));
  sqlite3_bind_int64(*statement, 3, static_cast<int64_t>(item_id));
  sqlite3_bind_int64(*statement, 4, static_cast<int64_t>(customer_id));
  sqlite3_bind_int64(*statement, 5, static_cast<int64_t>(sequence));
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
    return connection_.Error(rc, absl::StrCat("archiving item ", item_id, " of tenant ", tenant_,
                                              " (event ", sequence, ")"));
  }
  return absl::OkStatus();
}

absl::Status SqliteMessageIndexWriter::InsertErasure(uint64_t customer_id, uint64_t sequence) {
  absl::StatusOr<sqlite3_stmt*> statement = connection_.Prepare(kInsertErasure);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant_);
  sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(sequence));
  sqlite3_bind_int64(*statement, 3, static_cast<int64_t>(customer_id));
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
    return connection_.Error(rc, absl::StrCat("recording the erasure of customer ", customer_id,
                                              " of tenant ", tenant_, " (event ", sequence,
                                              ") to redact"));
  }
  return absl::OkStatus();
}

absl::Status BackfillMessageIndex(SqliteConnection& connection) {
  // A statement of its own rather than a cached one: it runs once per file.
  sqlite3_stmt* statement = nullptr;
  if (const int rc = sqlite3_prepare_v2(connection.db(), kAllEvents, -1, &statement, nullptr);
      rc != SQLITE_OK) {
    sqlite3_finalize(statement);
    return connection.Error(rc, "preparing the scan of the events");
  }
  absl::Status status;
  std::string tenant;
  uint64_t expected = 1;
  Event event;
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    const absl::string_view row_tenant = ColumnBytes(statement, 0);
    if (row_tenant != tenant) {
      tenant = std::string(row_tenant);
      expected = 1;
    }
    const auto sequence = static_cast<uint64_t>(sqlite3_column_int64(statement, 1));
    // A hole would lose the moves of the missing event.
    if (sequence != expected) {
      status = DamagedEvent(tenant, expected,
                            absl::StrCat("missing from the store (the next stored event is ",
                                         sequence, ")"));
      break;
    }
    status = ParseStoredEvent(tenant, sequence, ColumnBytes(statement, 2),
                              static_cast<uint64_t>(sqlite3_column_int64(statement, 3)), event);
    if (!status.ok()) break;
    SqliteMessageIndexWriter writer(connection, tenant);
    status = ProjectMessageHistory(event, writer);
    if (!status.ok()) break;
    ++expected;
  }
  if (status.ok() && rc != SQLITE_DONE) {
    status = connection.Error(rc, absl::StrCat("reading the events of tenant ", tenant));
  }
  sqlite3_finalize(statement);
  return status;
}

}  // namespace omniroute::store
