// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/sqlite_schema.h"

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "store/sqlite_message_index.h"

namespace omniroute::store {
namespace {

constexpr char kCreateSchema[] = R"sql(
CREATE TABLE events (
  tenant TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  payload BLOB NOT NULL,
  crc INTEGER NOT NULL,
  PRIMARY KEY (tenant, sequence)
) WITHOUT ROWID;
CREATE TABLE snapshots (
  tenant TEXT NOT NULL PRIMARY KEY,
  sequence INTEGER NOT NULL,
  state BLOB NOT NULL,
  crc INTEGER NOT NULL
);
)sql";

// Added by version 2 (see sqlite_schema.h).
constexpr char kCreateMessages[] = R"sql(
CREATE TABLE messages (
  tenant TEXT NOT NULL,
  message_id INTEGER NOT NULL,
  conversation_id INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  channel INTEGER NOT NULL,
  external_id TEXT NOT NULL,
  thread_key TEXT NOT NULL,
  PRIMARY KEY (tenant, message_id)
) WITHOUT ROWID;
CREATE INDEX messages_by_conversation
  ON messages (tenant, conversation_id, recorded_at, message_id, sequence);
CREATE INDEX messages_by_external_id
  ON messages (tenant, channel, external_id) WHERE external_id <> '';
CREATE INDEX messages_by_thread_key
  ON messages (tenant, channel, thread_key, message_id) WHERE thread_key <> '';
)sql";

// Version 6: the conversation index covers the timeline's query (see
// sqlite_schema.h); a store of version 2 to 5 has it without `sequence`.
constexpr char kCoverTimeline[] = R"sql(
DROP INDEX messages_by_conversation;
CREATE INDEX messages_by_conversation
  ON messages (tenant, conversation_id, recorded_at, message_id, sequence);
)sql";

// Added by version 3 (see sqlite_schema.h).
constexpr char kCreateArchive[] = R"sql(
CREATE TABLE archive (
  tenant TEXT NOT NULL,
  kind INTEGER NOT NULL,
  item_id INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  PRIMARY KEY (tenant, kind, item_id)
) WITHOUT ROWID;
CREATE INDEX archive_by_customer
  ON archive (tenant, customer_id, item_id) WHERE kind = 1 AND customer_id <> 0;
)sql";

// Added by version 4 (see sqlite_schema.h).
constexpr char kCreateUnredactedErasures[] = R"sql(
CREATE TABLE unredacted_erasures (
  tenant TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  customer_id INTEGER NOT NULL,
  PRIMARY KEY (tenant, sequence)
) WITHOUT ROWID;
)sql";

// Added by version 5 (see sqlite_schema.h).
constexpr char kCreateSnapshotParts[] = R"sql(
ALTER TABLE snapshots ADD COLUMN parts INTEGER NOT NULL DEFAULT 0;
CREATE TABLE snapshot_parts (
  tenant TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  part INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (tenant, sequence, part)
);
)sql";

// The oldest version this build reads (and upgrades when it may write).
constexpr int32_t kOldestSchemaVersion = 1;

// What the header and the schema table of a database say about it.
struct Identity {
  int64_t application_id = 0;
  int64_t schema_version = 0;
  int64_t schema_objects = 0;  // Tables, indexes, views, triggers.
  int64_t store_tables = 0;    // How many of "events" and "snapshots" exist.
  bool has_messages = false;   // Whether the "messages" table (version 2) exists.
  bool has_archive = false;    // Whether the "archive" table (version 3) exists.
  bool has_erasures = false;   // Whether "unredacted_erasures" (version 4) exists.
  bool has_parts = false;      // Whether "snapshot_parts" (version 5) exists.
};

// Reads the identity of the database. These are the first reads of the file,
// so this is where a file that is not a database, or a damaged one, shows.
absl::StatusOr<Identity> ReadIdentity(SqliteConnection& connection, absl::string_view path) {
  Identity identity;
  constexpr absl::string_view context = "reading the database header";
  absl::StatusOr<int64_t> value = connection.QueryInt64("PRAGMA application_id", context);
  if (value.ok()) {
    identity.application_id = *value;
    value = connection.QueryInt64("PRAGMA user_version", context);
  }
  if (value.ok()) {
    identity.schema_version = *value;
    value = connection.QueryInt64("SELECT count(*) FROM sqlite_schema", context);
  }
  if (value.ok()) {
    identity.schema_objects = *value;
    value = connection.QueryInt64(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('events', "
        "'snapshots')",
        context);
  }
  if (value.ok()) {
    identity.store_tables = *value;
    value = connection.QueryInt64(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'messages'", context);
  }
  if (!value.ok()) {
    if ((connection.last_error() & 0xFF) == SQLITE_NOTADB) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is not an omniroute event store: it is not a SQLite database (",
                       value.status().message(), ")"));
    }
    if (value.status().code() == absl::StatusCode::kDataLoss) {
      return absl::DataLossError(
          absl::StrCat("the event store ", path, " is damaged: ", value.status().message()));
    }
    return value.status();
  }
  identity.has_messages = *value > 0;
  value = connection.QueryInt64(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'archive'", context);
  if (!value.ok()) return value.status();
  identity.has_archive = *value > 0;
  value = connection.QueryInt64(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'unredacted_erasures'",
      context);
  if (!value.ok()) return value.status();
  identity.has_erasures = *value > 0;
  value = connection.QueryInt64(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'snapshot_parts'",
      context);
  if (!value.ok()) return value.status();
  identity.has_parts = *value > 0;
  return identity;
}

// OK if `identity` is a store this build can use: of the current version,
// or of an older one it upgrades (or, read-only, reads without the history).
absl::Status CheckStore(const Identity& identity, absl::string_view path) {
  if (identity.schema_version > kSqliteSchemaVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " was written by a newer omniroute (store schema version ",
                     identity.schema_version, "; this build reads versions ", kOldestSchemaVersion,
                     " to ", kSqliteSchemaVersion, "): open it with that omniroute or a newer one"));
  }
  if (identity.schema_version < kOldestSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " has an unknown omniroute store schema version ", identity.schema_version,
        " (this build reads versions ", kOldestSchemaVersion, " to ", kSqliteSchemaVersion, ")"));
  }
  const bool needs_messages = identity.schema_version >= 2;
  const bool needs_archive = identity.schema_version >= 3;
  const bool needs_erasures = identity.schema_version >= 4;
  const bool needs_parts = identity.schema_version >= 5;
  if (identity.store_tables != 2 || (needs_messages && !identity.has_messages) ||
      (needs_archive && !identity.has_archive) || (needs_erasures && !identity.has_erasures) ||
      (needs_parts && !identity.has_parts)) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is marked as an omniroute event store of schema version ", identity.schema_version,
        " but lacks its tables (",
        identity.store_tables + (needs_messages && identity.has_messages ? 1 : 0) +
            (needs_archive && identity.has_archive ? 1 : 0) +
            (needs_erasures && identity.has_erasures ? 1 : 0) +
            (needs_parts && identity.has_parts ? 1 : 0),
        " of events, snapshots", needs_messages ? ", messages" : "",
        needs_archive ? ", archive" : "", needs_erasures ? ", unredacted_erasures" : "",
        needs_parts ? ", snapshot_parts" : "", ")"));
  }
  return absl::OkStatus();
}

bool IsEmpty(const Identity& identity) {
  return identity.application_id == 0 && identity.schema_version == 0 &&
         identity.schema_objects == 0;
}

absl::Status NotAStore(const Identity& identity, absl::string_view path) {
  return absl::FailedPreconditionError(absl::StrFormat(
      "%s is not an omniroute event store: it is a SQLite database with application_id "
      "0x%08x (omniroute's is 0x%08x) and %d schema objects",
      path, static_cast<uint32_t>(identity.application_id),
      static_cast<uint32_t>(kSqliteApplicationId), identity.schema_objects));
}

// Switches to WAL mode: readers then never block the writer nor it them, and
// a commit is one append to the log (one sync) instead of a rollback journal
// dance. Persistent in the file, so usually a no-op.
absl::Status UseWal(SqliteConnection& connection, absl::string_view path) {
  absl::StatusOr<std::string> mode = connection.QueryText(
      "PRAGMA journal_mode = WAL", absl::StrCat("switching ", path, " to WAL"));
  if (!mode.ok()) return mode.status();
  if (absl::AsciiStrToLower(*mode) != "wal") {
    return absl::UnavailableError(
        absl::StrCat("cannot use write-ahead logging for ", path, " (the journal mode stays ",
                     *mode, "; WAL needs shared memory, so not a network file system)"));
  }
  return absl::OkStatus();
}

// Creates the schema in the empty database of `connection`, unless another
// connection did meanwhile; either way the result is checked.
absl::Status CreateSchema(SqliteConnection& connection, absl::string_view path) {
  // Outside any transaction: SQLite cannot change the journal mode inside one.
  if (absl::Status s = UseWal(connection, path); !s.ok()) return s;
  const std::string context = absl::StrCat("creating the store schema in ", path);
  if (absl::Status s = connection.ExecuteScript("BEGIN IMMEDIATE", context); !s.ok()) return s;
  // Under the write lock now: look again, another process may have won.
  absl::StatusOr<Identity> identity = ReadIdentity(connection, path);
  absl::Status status = identity.status();
  if (status.ok() && IsEmpty(*identity)) {
    status = connection.ExecuteScript(kCreateSchema, context);
    if (status.ok()) status = connection.ExecuteScript(kCreateMessages, context);
    if (status.ok()) status = connection.ExecuteScript(kCreateArchive, context);
    if (status.ok()) status = connection.ExecuteScript(kCreateUnredactedErasures, context);
    if (status.ok()) status = connection.ExecuteScript(kCreateSnapshotParts, context);
    if (status.ok()) {
      // Header fields, written in the same transaction as the tables, so that
      // a crash leaves either an empty file or a whole store.
      status = connection.ExecuteScript(
          absl::StrCat("PRAGMA application_id = ", kSqliteApplicationId,
                       "; PRAGMA user_version = ", kSqliteSchemaVersion, ";")
              .c_str(),
          context);
    }
    if (status.ok()) status = connection.ExecuteScript("COMMIT", context);
  }
  if (!status.ok()) {
    if (sqlite3_get_autocommit(connection.db()) == 0) {
      (void)connection.ExecuteScript("ROLLBACK", context);
    }
    return status;
  }
  if (!IsEmpty(*identity)) {
    (void)connection.ExecuteScript("ROLLBACK", context);
    if (identity->application_id != kSqliteApplicationId) return NotAStore(*identity, path);
    return CheckStore(*identity, path);
  }
  return absl::OkStatus();
}

// Upgrades the version-1 store of `connection` to the current version, in
// one transaction: the messages table, filled from the stored events, and
// the new version number commit together or not at all. Another connection
// may have upgraded it meanwhile; then the file is only checked.
absl::Status Upgrade(SqliteConnection& connection, absl::string_view path) {
  const std::string context =
      absl::StrCat("upgrading ", path, " to store schema version ", kSqliteSchemaVersion);
  if (absl::Status s = connection.ExecuteScript("BEGIN IMMEDIATE", context); !s.ok()) return s;
  absl::StatusOr<Identity> identity = ReadIdentity(connection, path);
  absl::Status status = identity.status();
  const bool upgrade = status.ok() && identity->application_id == kSqliteApplicationId &&
                       identity->schema_version >= 1 &&
                       identity->schema_version < kSqliteSchemaVersion;
  if (upgrade) {
    // The archive and the erasures first: the backfill's projection writes
    // to them too.
    if (identity->schema_version < 3) status = connection.ExecuteScript(kCreateArchive, context);
    if (status.ok() && identity->schema_version < 4) {
      status = connection.ExecuteScript(kCreateUnredactedErasures, context);
    }
    if (status.ok() && identity->schema_version < 5) {
      status = connection.ExecuteScript(kCreateSnapshotParts, context);
    }
    if (status.ok() && identity->schema_version >= 2) {
      status = connection.ExecuteScript(kCoverTimeline, context);
    }
    if (status.ok() && identity->schema_version == 1) {
      status = connection.ExecuteScript(kCreateMessages, context);
      if (status.ok()) {
        status = BackfillMessageIndex(connection);
        if (!status.ok()) {
          status = absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
        }
      }
    }
    if (status.ok()) {
      status = connection.ExecuteScript(
          absl::StrCat("PRAGMA user_version = ", kSqliteSchemaVersion).c_str(), context);
    }
    if (status.ok()) status = connection.ExecuteScript("COMMIT", context);
  }
  if (!status.ok() || !upgrade) {
    if (sqlite3_get_autocommit(connection.db()) == 0) {
      (void)connection.ExecuteScript("ROLLBACK", context);
    }
    if (!status.ok()) return status;
    if (identity->application_id != kSqliteApplicationId) return NotAStore(*identity, path);
    return CheckStore(*identity, path);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int32_t> PrepareSqliteSchema(SqliteConnection& connection, absl::string_view path,
                                            bool create) {
  absl::StatusOr<Identity> identity = ReadIdentity(connection, path);
  if (!identity.ok()) return identity.status();
  if (identity->application_id == kSqliteApplicationId) {
    if (absl::Status s = CheckStore(*identity, path); !s.ok()) return s;
    const auto version = static_cast<int32_t>(identity->schema_version);
    // A read-only connection reads the file in whatever mode and version it
    // is in.
    if (sqlite3_db_readonly(connection.db(), "main") == 1) return version;
    if (absl::Status s = UseWal(connection, path); !s.ok()) return s;
    if (version < kSqliteSchemaVersion) {
      if (absl::Status s = Upgrade(connection, path); !s.ok()) return s;
    }
    return kSqliteSchemaVersion;
  }
  if (!IsEmpty(*identity)) return NotAStore(*identity, path);
  if (!create) {
    return absl::NotFoundError(absl::StrCat(path, " holds no event store (an empty database)"));
  }
  if (absl::Status s = CreateSchema(connection, path); !s.ok()) return s;
  // Look again: another process may have created the store first, with a
  // version to upgrade.
  return PrepareSqliteSchema(connection, path, /*create=*/false);
}

}  // namespace omniroute::store
