// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The file format of the SQLite event store, and the check that a file is
// one before the store touches it.
//
// A store is a SQLite database in WAL mode whose header carries
// application_id kSqliteApplicationId and user_version (the schema version)
// kSqliteSchemaVersion, with the tables:
//
//   events(tenant TEXT, sequence INTEGER, payload BLOB, crc INTEGER,
//          PRIMARY KEY(tenant, sequence)) WITHOUT ROWID
//     payload: an omniroute.v1.Event, serialized; crc: its CRC-32C.
//     Clustered by (tenant, sequence), so a tenant's replay is one range scan
//     and its last sequence one index seek.
//   snapshots(tenant TEXT PRIMARY KEY, sequence INTEGER, state BLOB,
//             crc INTEGER)
//     The tenant's latest snapshot, taken after event `sequence`; crc: the
//     CRC-32C of state. An ordinary rowid table, because states are large
//     rows, which WITHOUT ROWID tables store poorly.
//
// A schema change bumps kSqliteSchemaVersion; a build refuses versions it
// does not know instead of guessing.
//
// Thread-compatible: called once, at open, before the store is shared.

#ifndef OMNIROUTE_LIB_STORE_SQLITE_SCHEMA_H_
#define OMNIROUTE_LIB_STORE_SQLITE_SCHEMA_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "store/sqlite_connection.h"

namespace omniroute::store {

// "OmRt": marks the file as an omniroute store for anyone who opens it (the
// sqlite3 shell shows it, file(1) can match it).
inline constexpr int32_t kSqliteApplicationId = 0x4F6D5274;

// The schema version this build reads and writes.
inline constexpr int32_t kSqliteSchemaVersion = 1;

// Makes sure that the database of `connection` (the file at `path`) is an
// omniroute store of the current schema version in WAL mode, creating the
// schema in an empty database when `create` is set. Never changes a file it
// did not create or does not recognise. On a read-only connection it only
// checks: a store is accepted in whatever journal mode it is in.
//
// Returns FAILED_PRECONDITION when the file is not an omniroute store or has
// an unknown schema version, NOT_FOUND for an empty database when `create` is
// not set, DATA_LOSS when the file is damaged, and the errors of
// SqliteError otherwise.
absl::Status PrepareSqliteSchema(SqliteConnection& connection, absl::string_view path, bool create);

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_SQLITE_SCHEMA_H_
