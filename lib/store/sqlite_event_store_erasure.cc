// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The SQLite event store's redaction of erased customers (RedactCustomer):
// the rewrite inside the leader's transaction, and the checkpoint that
// leaves no old page in the write-ahead log. The plan is made by
// customer_redaction.h; the queueing is in sqlite_event_store.cc.
//
// Why nothing of the old data is left in the files: the writer connection
// runs with secure_delete, so the cells and pages that the rewrite frees
// (old payloads, their overflow pages, index entries of the cleared keys,
// deleted snapshots) are zeroed; the checkpoint then copies the new pages
// over the old ones in the database file and truncates the write-ahead
// log, which held the old versions of those pages since they were
// appended. The -shm file holds only the log's index (page numbers), never
// content.

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "store/crc32c.h"
#include "store/sqlite_connection.h"
#include "store/sqlite_event_store_internal.h"

namespace omniroute::store {
namespace {

constexpr char kRewriteEvent[] =
    "UPDATE events SET payload = ?3, crc = ?4 WHERE tenant = ?1 AND sequence = ?2";
constexpr char kClearMessageKeys[] =
    "UPDATE messages SET external_id = '', thread_key = '' "
    "WHERE tenant = ?1 AND message_id = ?2 AND (external_id <> '' OR thread_key <> '')";
constexpr char kDeleteOlderSnapshots[] =
    "DELETE FROM snapshots WHERE tenant = ?1 AND sequence < ?2";
// Their parts too, and those of a save in progress from before the erasure
// (whose publishing then fails for want of them).
constexpr char kDeleteOlderSnapshotParts[] =
    "DELETE FROM snapshot_parts WHERE tenant = ?1 AND sequence < ?2";
constexpr char kForgetErasures[] =
    "DELETE FROM unredacted_erasures WHERE tenant = ?1 AND customer_id = ?2 AND sequence <= ?3";
constexpr char kUnredactedErasures[] =
    "SELECT sequence FROM unredacted_erasures WHERE tenant = ?1 ORDER BY sequence";

}  // namespace

absl::Status SqliteEventStore::ApplyRedaction(absl::string_view tenant, const RedactionPlan& plan,
                                              uint64_t erased_at_sequence) {
  SqliteConnection& db = *writer_;
  {
    absl::StatusOr<sqlite3_stmt*> statement = db.Prepare(kRewriteEvent);
    if (!statement.ok()) return statement.status();
    ScopedReset reset(*statement);
    BindText(*statement, 1, tenant);
    std::string payload;
    for (const ::omniroute::v1::Event& event : plan.events) {
      payload.clear();
      if (!event.AppendToString(&payload)) {
        return absl::InternalError(absl::StrCat("redacting event ", event.sequence(),
                                                " of tenant ", tenant, ": cannot serialize it"));
      }
      sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(event.sequence()));
      BindBlob(*statement, 3, payload);
      sqlite3_bind_int64(*statement, 4, Crc32c(payload));
      if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
        return db.Error(rc, absl::StrCat("redacting event ", event.sequence(), " of tenant ",
                                         tenant));
      }
      sqlite3_reset(*statement);
    }
  }
  {
    absl::StatusOr<sqlite3_stmt*> statement = db.Prepare(kClearMessageKeys);
    if (!statement.ok()) return statement.status();
    ScopedReset reset(*statement);
    BindText(*statement, 1, tenant);
    for (uint64_t id : plan.message_ids) {
      sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(id));
      if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
        return db.Error(rc, absl::StrCat("clearing the keys of message ", id, " of tenant ",
                                         tenant));
      }
      sqlite3_reset(*statement);
    }
  }
  for (const char* sql : {kDeleteOlderSnapshots, kDeleteOlderSnapshotParts}) {
    absl::StatusOr<sqlite3_stmt*> statement = db.Prepare(sql);
    if (!statement.ok()) return statement.status();
    ScopedReset reset(*statement);
    BindText(*statement, 1, tenant);
    sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(erased_at_sequence));
    if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
      return db.Error(rc, absl::StrCat("deleting the snapshots of tenant ", tenant,
                                       " taken before the erasure"));
    }
  }
  return absl::OkStatus();
}

absl::Status SqliteEventStore::CheckpointAfterRedaction(absl::string_view tenant) {
  SqliteConnection& db = *writer_;
  const std::string context =
      absl::StrCat("truncating the write-ahead log after a redaction in tenant ", tenant);
  absl::StatusOr<sqlite3_stmt*> statement = db.Prepare("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  // Not alongside a background checkpoint, which would make this one busy.
  absl::MutexLock no_background_checkpoint(&checkpointer_->running());
  const int rc = sqlite3_step(*statement);
  if (rc != SQLITE_ROW) return db.Error(rc, context);
  // (busy, log frames, checkpointed frames): busy when a reader kept the
  // log from being reset.
  if (sqlite3_column_int(*statement, 0) != 0) {
    return absl::UnavailableError(absl::StrCat(
        context, ": a reader is still using the old pages; the redaction is committed, retry "
                 "to remove them"));
  }
  return absl::OkStatus();
}

absl::Status SqliteEventStore::ForgetRedactedErasures(absl::string_view tenant,
                                                      absl::Span<const CustomerId> customers,
                                                      uint64_t erased_at_sequence) {
  SqliteConnection& db = *writer_;
  absl::StatusOr<sqlite3_stmt*> statement = db.Prepare(kForgetErasures);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant);
  sqlite3_bind_int64(*statement, 3,
                     static_cast<int64_t>(std::min<uint64_t>(erased_at_sequence,
                                                             kMaxStorableSequence)));
  // Outside a transaction, each DELETE commits on its own: a failure leaves
  // the erasure listed, and redacting it again is harmless.
  for (CustomerId customer : customers) {
    sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(customer.value()));
    if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
      return db.Error(rc, absl::StrCat("recording that the erasure of customer ",
                                       customer.value(), " of tenant ", tenant,
                                       " is redacted (the redaction itself is done)"));
    }
    sqlite3_reset(*statement);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint64_t>> SqliteEventStore::ListUnredactedErasures(
    absl::string_view tenant_id) const {
  std::vector<uint64_t> sequences;
  // Older files have no such list, and a read-only store cannot redact.
  if (schema_version_ < 4 || options_.read_only) return sequences;
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = AcquireReader();
  if (!connection.ok()) return connection.status();
  ReaderLease reader(*this, *std::move(connection));
  absl::StatusOr<sqlite3_stmt*> statement = reader->Prepare(kUnredactedErasures);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant_id);
  int rc;
  while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
    sequences.push_back(static_cast<uint64_t>(sqlite3_column_int64(*statement, 0)));
  }
  if (rc != SQLITE_DONE) {
    return reader->Error(rc, absl::StrCat("listing the erasures of tenant ", tenant_id,
                                          " still to redact"));
  }
  return sequences;
}

}  // namespace omniroute::store
