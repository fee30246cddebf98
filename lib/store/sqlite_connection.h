// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A thin owner of one SQLite connection for the SQLite event store: opening
// with the store's settings, a cache of prepared statements, and the mapping
// of SQLite result codes onto absl::Status.
//
// Thread-compatible: a connection is used by one thread at a time (it is
// opened in SQLite's multi-thread mode, without SQLite's own mutexes); the
// store decides who holds it.

#ifndef OMNIROUTE_LIB_STORE_SQLITE_CONNECTION_H_
#define OMNIROUTE_LIB_STORE_SQLITE_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace omniroute::store {

// The status for SQLite result code `rc` met while doing `context` (a short
// phrase: "reading tenant acme"), with SQLite's message and code:
//   SQLITE_BUSY, SQLITE_LOCKED, and failures of the medium (SQLITE_IOERR,
//   SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_PROTOCOL, SQLITE_READONLY,
//   SQLITE_PERM) → UNAVAILABLE;
//   SQLITE_CORRUPT, SQLITE_NOTADB → DATA_LOSS;
//   SQLITE_NOMEM → RESOURCE_EXHAUSTED;
//   anything else → INTERNAL.
// `db` may be null; when it is the connection that failed, its message (which
// says more than the code's) is used.
absl::Status SqliteError(int rc, sqlite3* db, absl::string_view context);

class SqliteConnection {
 public:
  // Opens `path` with `flags` (SQLITE_OPEN_*; SQLITE_OPEN_NOMUTEX and
  // extended result codes are added) and waits up to `busy_timeout` for locks.
  // UNAVAILABLE (or NOT_FOUND, when `flags` lack SQLITE_OPEN_CREATE and the
  // file does not exist) on failure.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path, int flags,
                                                                absl::Duration busy_timeout);

  // Finalizes the cached statements and closes the connection; an open
  // transaction is rolled back.
  ~SqliteConnection();

  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* db() const { return db_; }

  // The prepared statement for `sql`, prepared on first use and kept for the
  // connection's life. It is returned reset (no pending step, bindings from
  // the last use may remain); hold a ScopedReset while using it so that it is
  // reset again afterwards. Owned by the connection. An error if `sql` does
  // not compile (INTERNAL: a missing table means a damaged schema).
  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql);

  // Runs `sql`, one statement without parameters, from the cache to its end,
  // ignoring any rows it returns.
  absl::Status Execute(absl::string_view sql);

  // Runs `sql`, which may hold several statements, without caching them: for
  // one-off work such as creating the schema.
  absl::Status ExecuteScript(const char* sql, absl::string_view context);

  // The value of the first column of the single row that `sql` returns.
  // `context` names the work for error messages.
  absl::StatusOr<int64_t> QueryInt64(absl::string_view sql, absl::string_view context);
  absl::StatusOr<std::string> QueryText(absl::string_view sql, absl::string_view context);

  // SqliteError for this connection; also remembers `rc`.
  absl::Status Error(int rc, absl::string_view context) {
    last_error_ = rc;
    return SqliteError(rc, db_, context);
  }

  // The (extended) result code of the last error this connection reported
  // through Error, the methods above included; 0 if none. For callers that
  // react to one code more precisely than its canonical status (a file that
  // is not a database, at open).
  int last_error() const { return last_error_; }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  sqlite3* const db_;
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;
  int last_error_ = 0;
};

// Bind `text` or `bytes` to parameter `index` of `statement` without copying
// them (SQLITE_STATIC): they must outlive the statement's use, which the
// ScopedReset of that use ends. An empty value binds as '' or an empty blob,
// never as NULL. Return SQLite's result code.
int BindText(sqlite3_stmt* statement, int index, absl::string_view text);
int BindBlob(sqlite3_stmt* statement, int index, absl::string_view bytes);

// The bytes of `column` of the current row, valid until the next step or
// reset of `statement`.
absl::string_view ColumnBytes(sqlite3_stmt* statement, int column);

// Resets a statement (ends its read, releases its locks, keeps it prepared)
// when it goes out of scope.
class ScopedReset {
 public:
  explicit ScopedReset(sqlite3_stmt* statement) : statement_(statement) {}
  ~ScopedReset();
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;

 private:
  sqlite3_stmt* const statement_;
};

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_SQLITE_CONNECTION_H_
