// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/sqlite_connection.h"

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace omniroute::store {

absl::Status SqliteError(int rc, sqlite3* db, absl::string_view context) {
  // The connection's message is more precise ("no such table: events") than
  // the code's ("SQL logic error"), but only if it belongs to this failure.
  const char* message = (db != nullptr && sqlite3_extended_errcode(db) == rc) ? sqlite3_errmsg(db)
                                                                              : sqlite3_errstr(rc);
  std::string text = absl::StrCat(context, ": ", message, " (SQLite result code ", rc, ")");
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return absl::UnavailableError(std::move(text));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(std::move(text));
    case SQLITE_NOMEM:
      return absl::ResourceExhaustedError(std::move(text));
    default:
      return absl::InternalError(std::move(text));
  }
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path, int flags, absl::Duration busy_timeout) {
  sqlite3* db = nullptr;
  // NOMUTEX: the store never shares a connection between threads at once, so
  // SQLite's per-connection mutex would be pure overhead.
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteError(rc, db, absl::StrCat("opening ", path));
    sqlite3_close_v2(db);  // Even a failed open allocates a handle.
    if ((rc & 0xFF) == SQLITE_CANTOPEN && (flags & SQLITE_OPEN_CREATE) == 0) {
      return absl::NotFoundError(absl::StrCat("no store at ", path, " (", status.message(), ")"));
    }
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  const int64_t timeout_ms = absl::ToInt64Milliseconds(busy_timeout);
  sqlite3_busy_timeout(db, timeout_ms > INT32_MAX ? INT32_MAX : static_cast<int>(timeout_ms));
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db));
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close_v2(db_);
}

absl::StatusOr<sqlite3_stmt*> SqliteConnection::Prepare(absl::string_view sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* statement = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(statement);
    return Error(rc, absl::StrCat("preparing \"", sql, "\""));
  }
  statements_.emplace(std::string(sql), statement);
  return statement;
}

absl::Status SqliteConnection::Execute(absl::string_view sql) {
  absl::StatusOr<sqlite3_stmt*> statement = Prepare(sql);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  int rc;
  while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) return Error(rc, sql);
  return absl::OkStatus();
}

absl::Status SqliteConnection::ExecuteScript(const char* sql, absl::string_view context) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, context);
  return absl::OkStatus();
}

namespace {

// Steps `statement` to its single row; an error if it has none.
absl::Status StepToRow(SqliteConnection& connection, sqlite3_stmt* statement,
                       absl::string_view context) {
  const int rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW) return absl::OkStatus();
  if (rc == SQLITE_DONE) return absl::InternalError(absl::StrCat(context, ": no result row"));
  return connection.Error(rc, context);
}

}  // namespace

absl::StatusOr<int64_t> SqliteConnection::QueryInt64(absl::string_view sql,
                                                     absl::string_view context) {
  absl::StatusOr<sqlite3_stmt*> statement = Prepare(sql);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  if (absl::Status s = StepToRow(*this, *statement, context); !s.ok()) return s;
  return sqlite3_column_int64(*statement, 0);
}

absl::StatusOr<std::string> SqliteConnection::QueryText(absl::string_view sql,
                                                        absl::string_view context) {
  absl::StatusOr<sqlite3_stmt*> statement = Prepare(sql);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  if (absl::Status s = StepToRow(*this, *statement, context); !s.ok()) return s;
  const unsigned char* text = sqlite3_column_text(*statement, 0);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text),
                                       static_cast<size_t>(sqlite3_column_bytes(*statement, 0)));
}

int BindText(sqlite3_stmt* statement, int index, absl::string_view text) {
  // A non-null pointer even for "": SQLite binds a null one as NULL.
  return sqlite3_bind_text(statement, index, text.empty() ? "" : text.data(),
                           static_cast<int>(text.size()), SQLITE_STATIC);
}

int BindBlob(sqlite3_stmt* statement, int index, absl::string_view bytes) {
  return sqlite3_bind_blob(statement, index, bytes.empty() ? "" : bytes.data(),
                           static_cast<int>(bytes.size()), SQLITE_STATIC);
}

absl::string_view ColumnBytes(sqlite3_stmt* statement, int column) {
  const void* data = sqlite3_column_blob(statement, column);
  const int size = sqlite3_column_bytes(statement, column);
  if (data == nullptr || size <= 0) return absl::string_view();
  return absl::string_view(static_cast<const char*>(data), static_cast<size_t>(size));
}

ScopedReset::~ScopedReset() {
  sqlite3_reset(statement_);
  // Blobs and texts are bound without copies (SQLITE_STATIC); drop them so
  // that no statement keeps a pointer into a caller's buffer.
  sqlite3_clear_bindings(statement_);
}

}  // namespace omniroute::store
