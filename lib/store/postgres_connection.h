// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A thin owner of one libpq connection for the PostgreSQL event store:
// connecting (with a description of the target that never shows the
// password), statements with binary parameters and binary results, a cache
// of prepared statements, and the mapping of PostgreSQL errors onto
// absl::Status.
//
// Every query asks for its results in binary format: bytea comes back as its
// bytes (no hex decoding), bigint as 8 big-endian bytes, text as its bytes.
// Parameters are sent in binary too (PgParams), with their types given, so
// the server never guesses a parameter's type from its context.
//
// Thread-compatible: a connection is used by one thread at a time; the store
// decides who holds it.

#ifndef OMNIROUTE_LIB_STORE_POSTGRES_CONNECTION_H_
#define OMNIROUTE_LIB_STORE_POSTGRES_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace omniroute::store {

// Where `conninfo` (a libpq key=value string or a postgresql:// URI) points,
// for error messages: host (or socket directory), port, database and user,
// never the password. INVALID_ARGUMENT naming the problem when libpq cannot
// parse it.
absl::StatusOr<std::string> DescribePostgresTarget(absl::string_view conninfo);

// A one-dimensional array without NULLs, built in PostgreSQL's binary
// array format, so that one statement takes a whole group of rows
// (`unnest($1::text[], $2::bigint[], ...)`) whatever bytes the values hold:
// no quoting, no escaping. Every element has the array's type.
class PgArray {
 public:
  enum class Type { kText, kBytes, kInt64, kInt32 };

  explicit PgArray(Type type) : type_(type) {}

  // kText or kBytes.
  PgArray& Add(absl::string_view value);
  // kInt64.
  PgArray& AddInt64(int64_t value);
  // kInt32.
  PgArray& AddInt32(int32_t value);

  int size() const { return count_; }
  Type type() const { return type_; }
  // The array's bytes: the header, then the elements.
  std::string Encode() const;

 private:
  Type type_;
  int count_ = 0;
  // Each element as its 4-byte length and its bytes.
  std::string elements_;
};

// Parameters of one statement, sent in binary with their types. Views
// (Text, Bytes) must outlive the statement's execution; numbers are copied.
class PgParams {
 public:
  PgParams() = default;
  PgParams(const PgParams&) = delete;
  PgParams& operator=(const PgParams&) = delete;

  PgParams& Text(absl::string_view value);
  PgParams& Bytes(absl::string_view value);
  PgParams& Int64(int64_t value);
  PgParams& Int32(int32_t value);
  // A bigint[] (sent in text format: "{1,2,3}"), for `= ANY($n)`.
  PgParams& Int64Array(const std::vector<int64_t>& values);
  // The array's bytes are copied.
  PgParams& Array(const PgArray& array);

  int size() const { return static_cast<int>(values_.size()); }
  const unsigned int* types() const { return types_.data(); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  PgParams& Add(unsigned int type, const char* data, size_t size, int format);

  std::vector<unsigned int> types_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  // Storage of the copied values; a deque never moves what it holds.
  std::deque<std::string> owned_;
};

// A query's result, freed with the object.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int column) const;
  // The value's bytes (binary format): a bytea's or a text's content.
  absl::string_view Bytes(int row, int column) const;
  // A bigint, integer or smallint column (binary format); 0 for NULL.
  int64_t Int64(int row, int column) const;
  // The number of rows an INSERT, UPDATE or DELETE touched.
  int64_t AffectedRows() const;

  PGresult* get() const { return result_; }

 private:
  PGresult* result_;
};

class PgConnection {
 public:
  // Connects to `conninfo`; `target` (DescribePostgresTarget) names it in
  // errors. `session_setup` (SQL, may be empty) runs on the new session, and
  // again whenever EnsureConnected reconnects. UNAVAILABLE with libpq's
  // message when the server cannot be reached or refuses the connection
  // (unknown database, authentication).
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& conninfo,
                                                               const std::string& target,
                                                               const std::string& session_setup);

  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Whether the connection is still up (a server restart or a network
  // failure breaks it).
  bool ok() const;
  // Reconnects a broken connection, or one whose session turned out to be
  // read-only (a standby); OK if it is up (again). Prepared statements are
  // prepared again on their next use.
  absl::Status EnsureConnected();

  // A statement sent outside a transaction on a connection that turns out to
  // be broken (the server restarted, or ended the session, while it was
  // idle) is sent once more on a new session: outside a transaction the
  // store only runs statements that may run twice (reads, BEGIN, an upsert
  // of a snapshot, VACUUM, deletions). Inside a transaction a broken
  // connection is the transaction's failure.

  // Runs `sql` (one or more statements, no parameters, text results), for
  // transaction control and DDL. `context` says what for in errors.
  absl::Status Execute(absl::string_view sql, absl::string_view context);

  // Runs `sql` with `params`, results in binary format. The statement is
  // prepared on this connection the first time `sql` (a string constant:
  // the cache is keyed by its address) is run, and reused.
  absl::StatusOr<PgResult> Run(const char* sql, const PgParams& params,
                               absl::string_view context);
  // The same, unprepared (for statements run once, such as VACUUM).
  absl::StatusOr<PgResult> RunOnce(const std::string& sql, const PgParams& params,
                                   absl::string_view context);

  // Whether a transaction block is open (the last command left it open,
  // possibly failed).
  bool InTransaction() const;

  // The notices (INFO, NOTICE, WARNING: message and detail, a line each)
  // received since the last call, for statements whose report is a notice
  // (VACUUM VERBOSE).
  std::string TakeNotices();

  const std::string& target() const { return target_; }
  PGconn* get() const { return conn_; }

 private:
  PgConnection(PGconn* conn, std::string target, std::string session_setup);

  // The status of a failed `result` (or of the connection when it is null).
  absl::Status Error(const PGresult* result, absl::string_view context) const;
  absl::StatusOr<PgResult> Check(PGresult* result, absl::string_view context) const;
  absl::StatusOr<PgResult> RunPrepared(const char* sql, const PgParams& params,
                                       absl::string_view context);
  // Whether a statement that failed with `status`, sent when the connection
  // was `was_idle` (outside a transaction), is to be sent again: the
  // connection broke, and it is up again.
  bool ShouldRetry(bool was_idle, const absl::Status& status);

  PGconn* conn_;
  const std::string target_;
  const std::string session_setup_;
  // Prepared statements by SQL text address: their names on this session.
  absl::flat_hash_map<const char*, std::string> prepared_;
  std::string notices_;
  // Set when the session refused a write as read-only: EnsureConnected
  // replaces it even though it is up.
  mutable bool reconnect_ = false;
};

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_POSTGRES_CONNECTION_H_
