// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/postgres_connection.h"

#include <endian.h>
#include <libpq-fe.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace omniroute::store {
namespace {

// Type OIDs of pg_type, fixed since PostgreSQL's first releases.
constexpr unsigned int kByteaOid = 17;
constexpr unsigned int kInt8Oid = 20;
constexpr unsigned int kInt4Oid = 23;
constexpr unsigned int kTextOid = 25;
constexpr unsigned int kInt8ArrayOid = 1016;
constexpr unsigned int kByteaArrayOid = 1001;
constexpr unsigned int kInt4ArrayOid = 1007;
constexpr unsigned int kTextArrayOid = 1009;

void AppendBigEndian32(std::string& out, uint32_t value) {
  const uint32_t big_endian = htobe32(value);
  out.append(reinterpret_cast<const char*>(&big_endian), sizeof(big_endian));
}

void AppendBigEndian64(std::string& out, uint64_t value) {
  const uint64_t big_endian = htobe64(value);
  out.append(reinterpret_cast<const char*>(&big_endian), sizeof(big_endian));
}

// libpq's messages end with a newline.
std::string Message(const char* message) {
  return std::string(absl::StripTrailingAsciiWhitespace(message != nullptr ? message : ""));
}

// The code for SQLSTATE `state` (five characters):
//   class 08 (connection exception), 53 (insufficient resources), 57P0x
//   (the server is shutting down or restarting), 57014 (cancelled) and
//   55P03/55006 (a lock not available) → UNAVAILABLE: the medium, retry;
//   40001, 40P01 (serialization failure, deadlock) → ABORTED;
//   23505 (unique violation) → FAILED_PRECONDITION: a row is already there;
//   22xxx (data exception: a value the column cannot hold) → INVALID_ARGUMENT;
//   42501 (insufficient privilege) → PERMISSION_DENIED;
//   XX001, XX002 (data or index corrupted) → DATA_LOSS;
//   anything else → INTERNAL.
absl::StatusCode CodeOf(absl::string_view state) {
  if (state.size() != 5) return absl::StatusCode::kInternal;
  const absl::string_view klass = state.substr(0, 2);
  // 25006: a write on a read-only session, i.e. a standby (the database
  // failed over and this session is on the old primary, now a standby).
  if (klass == "08" || klass == "53" || state.substr(0, 4) == "57P0" || state == "57014" ||
      state == "55P03" || state == "55006" || state == "25006") {
    return absl::StatusCode::kUnavailable;
  }
  if (state == "40001" || state == "40P01") return absl::StatusCode::kAborted;
  if (state == "23505") return absl::StatusCode::kFailedPrecondition;
  if (klass == "22") return absl::StatusCode::kInvalidArgument;
  if (state == "42501") return absl::StatusCode::kPermissionDenied;
  if (state == "XX001" || state == "XX002") return absl::StatusCode::kDataLoss;
  return absl::StatusCode::kInternal;
}

void CollectNotice(void* arg, const PGresult* result) {
  std::string& notices = *static_cast<std::string*>(arg);
  absl::StrAppend(&notices, Message(PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)), "\n");
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL); detail != nullptr) {
    absl::StrAppend(&notices, Message(detail), "\n");
  }
}

}  // namespace

absl::StatusOr<std::string> DescribePostgresTarget(absl::string_view conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(conninfo).c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? Message(error) : "out of memory";
    PQfreemem(error);
    return absl::InvalidArgumentError(
        absl::StrCat("conninfo: not a PostgreSQL connection string or URI: ", message));
  }
  std::string host, hostaddr, port, dbname, user;
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const absl::string_view keyword = option->keyword;
    if (keyword == "host") host = option->val;
    if (keyword == "hostaddr") hostaddr = option->val;
    if (keyword == "port") port = option->val;
    if (keyword == "dbname") dbname = option->val;
    if (keyword == "user") user = option->val;
  }
  PQconninfoFree(options);
  std::vector<std::string> parts;
  if (!host.empty() && host.front() == '/') {
    parts.push_back(absl::StrCat("socket directory ", host));
  } else if (!host.empty() || !hostaddr.empty()) {
    parts.push_back(absl::StrCat("host ", host.empty() ? hostaddr : host));
  } else {
    parts.push_back("the default socket directory");
  }
  if (!port.empty()) parts.push_back(absl::StrCat("port ", port));
  parts.push_back(dbname.empty() ? "the default database" : absl::StrCat("database ", dbname));
  if (!user.empty()) parts.push_back(absl::StrCat("user ", user));
  return absl::StrJoin(parts, ", ");
}

// ------------------------------------------------------------------ PgParams

PgParams& PgParams::Add(unsigned int type, const char* data, size_t size, int format) {
  types_.push_back(type);
  values_.push_back(data);
  lengths_.push_back(static_cast<int>(size));
  formats_.push_back(format);
  return *this;
}

// A zero-length value must still point somewhere: a null pointer is SQL NULL.
PgParams& PgParams::Text(absl::string_view value) {
  return Add(kTextOid, value.data() != nullptr ? value.data() : "", value.size(), 1);
}

PgParams& PgParams::Bytes(absl::string_view value) {
  return Add(kByteaOid, value.data() != nullptr ? value.data() : "", value.size(), 1);
}

PgParams& PgParams::Int64(int64_t value) {
  const uint64_t big_endian = htobe64(static_cast<uint64_t>(value));
  std::string& bytes = owned_.emplace_back(sizeof(big_endian), '\0');
  std::memcpy(bytes.data(), &big_endian, sizeof(big_endian));
  return Add(kInt8Oid, bytes.data(), bytes.size(), 1);
}

PgParams& PgParams::Int32(int32_t value) {
  const uint32_t big_endian = htobe32(static_cast<uint32_t>(value));
  std::string& bytes = owned_.emplace_back(sizeof(big_endian), '\0');
  std::memcpy(bytes.data(), &big_endian, sizeof(big_endian));
  return Add(kInt4Oid, bytes.data(), bytes.size(), 1);
}

PgParams& PgParams::Int64Array(const std::vector<int64_t>& values) {
  std::string& text = owned_.emplace_back(absl::StrCat("{", absl::StrJoin(values, ","), "}"));
  // Text format: libpq reads it up to its terminating NUL.
  return Add(kInt8ArrayOid, text.c_str(), 0, 0);
}

PgParams& PgParams::Array(const PgArray& array) {
  unsigned int type = kTextArrayOid;
  switch (array.type()) {
    case PgArray::Type::kText:
      type = kTextArrayOid;
      break;
    case PgArray::Type::kBytes:
      type = kByteaArrayOid;
      break;
    case PgArray::Type::kInt64:
      type = kInt8ArrayOid;
      break;
    case PgArray::Type::kInt32:
      type = kInt4ArrayOid;
      break;
  }
  std::string& bytes = owned_.emplace_back(array.Encode());
  return Add(type, bytes.data(), bytes.size(), 1);
}

// ------------------------------------------------------------------ PgArray

PgArray& PgArray::Add(absl::string_view value) {
  AppendBigEndian32(elements_, static_cast<uint32_t>(value.size()));
  elements_.append(value.data(), value.size());
  ++count_;
  return *this;
}

PgArray& PgArray::AddInt64(int64_t value) {
  AppendBigEndian32(elements_, 8);
  AppendBigEndian64(elements_, static_cast<uint64_t>(value));
  ++count_;
  return *this;
}

PgArray& PgArray::AddInt32(int32_t value) {
  AppendBigEndian32(elements_, 4);
  AppendBigEndian32(elements_, static_cast<uint32_t>(value));
  ++count_;
  return *this;
}

// array_recv's layout: the number of dimensions, a has-NULLs flag, the
// element type; per dimension its length and lower bound; then each element
// as its length and bytes. An empty array has no dimension.
std::string PgArray::Encode() const {
  unsigned int element = kTextOid;
  switch (type_) {
    case Type::kText:
      element = kTextOid;
      break;
    case Type::kBytes:
      element = kByteaOid;
      break;
    case Type::kInt64:
      element = kInt8Oid;
      break;
    case Type::kInt32:
      element = kInt4Oid;
      break;
  }
  std::string out;
  out.reserve(20 + elements_.size());
  AppendBigEndian32(out, count_ == 0 ? 0 : 1);
  AppendBigEndian32(out, 0);
  AppendBigEndian32(out, element);
  if (count_ > 0) {
    AppendBigEndian32(out, static_cast<uint32_t>(count_));
    AppendBigEndian32(out, 1);
  }
  out.append(elements_);
  return out;
}

// ------------------------------------------------------------------ PgResult

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}

PgResult::~PgResult() { PQclear(result_); }

int PgResult::rows() const { return result_ != nullptr ? PQntuples(result_) : 0; }

bool PgResult::IsNull(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}

absl::string_view PgResult::Bytes(int row, int column) const {
  return absl::string_view(PQgetvalue(result_, row, column),
                           static_cast<size_t>(PQgetlength(result_, row, column)));
}

int64_t PgResult::Int64(int row, int column) const {
  if (IsNull(row, column)) return 0;
  const char* data = PQgetvalue(result_, row, column);
  switch (PQgetlength(result_, row, column)) {
    case 8: {
      uint64_t value;
      std::memcpy(&value, data, sizeof(value));
      return static_cast<int64_t>(be64toh(value));
    }
    case 4: {
      uint32_t value;
      std::memcpy(&value, data, sizeof(value));
      return static_cast<int32_t>(be32toh(value));
    }
    case 2: {
      uint16_t value;
      std::memcpy(&value, data, sizeof(value));
      return static_cast<int16_t>(be16toh(value));
    }
    case 1:  // A boolean.
      return data[0] != 0 ? 1 : 0;
    default:
      return 0;
  }
}

int64_t PgResult::AffectedRows() const {
  const char* count = PQcmdTuples(result_);
  int64_t value = 0;
  for (const char* c = count; c != nullptr && *c >= '0' && *c <= '9'; ++c) {
    value = value * 10 + (*c - '0');
  }
  return value;
}

// ------------------------------------------------------------------ PgConnection

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Connect(
    const std::string& conninfo, const std::string& target, const std::string& session_setup) {
  // Defaults first: the caller's conninfo, expanded in place of "dbname",
  // overrides them.
  const char* const keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* const values[] = {"10", "omniroute", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot connect to PostgreSQL at ", target, ": out of memory"));
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status status = absl::UnavailableError(absl::StrCat(
        "cannot connect to PostgreSQL at ", target, ": ", Message(PQerrorMessage(conn))));
    PQfinish(conn);
    return status;
  }
  auto connection =
      std::unique_ptr<PgConnection>(new PgConnection(conn, target, session_setup));
  if (!session_setup.empty()) {
    if (absl::Status s = connection->Execute(session_setup, "setting up the session"); !s.ok()) {
      return s;
    }
  }
  return connection;
}

PgConnection::PgConnection(PGconn* conn, std::string target, std::string session_setup)
    : conn_(conn), target_(std::move(target)), session_setup_(std::move(session_setup)) {
  PQsetNoticeReceiver(conn_, &CollectNotice, &notices_);
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::ok() const { return PQstatus(conn_) == CONNECTION_OK; }

absl::Status PgConnection::EnsureConnected() {
  if (ok() && !reconnect_) return absl::OkStatus();
  reconnect_ = false;
  prepared_.clear();
  PQreset(conn_);
  if (ok()) {
    return session_setup_.empty() ? absl::OkStatus()
                                  : Execute(session_setup_, "setting up the session again");
  }
  return absl::UnavailableError(absl::StrCat("cannot reconnect to PostgreSQL at ", target_, ": ",
                                             Message(PQerrorMessage(conn_))));
}

absl::Status PgConnection::Error(const PGresult* result, absl::string_view context) const {
  const char* state =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string message =
      Message(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (state == nullptr) {
    // No answer from the server: the connection failed.
    return absl::UnavailableError(absl::StrCat(context, ": PostgreSQL at ", target_, ": ",
                                               message.empty() ? Message(PQerrorMessage(conn_))
                                                               : message));
  }
  // A standby takes no writes: a new session (with libpq's
  // target_session_attrs=read-write) finds the primary.
  if (absl::string_view(state) == "25006") reconnect_ = true;
  return absl::Status(CodeOf(state),
                      absl::StrCat(context, ": PostgreSQL at ", target_, ": ", message,
                                   " (SQLSTATE ", state, ")"));
}

absl::StatusOr<PgResult> PgConnection::Check(PGresult* raw, absl::string_view context) const {
  PgResult result(raw);
  const ExecStatusType status = raw != nullptr ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return Error(raw, context);
}

bool PgConnection::ShouldRetry(bool was_idle, const absl::Status& status) {
  return !status.ok() && was_idle && PQstatus(conn_) == CONNECTION_BAD && EnsureConnected().ok();
}

absl::Status PgConnection::Execute(absl::string_view sql, absl::string_view context) {
  const bool idle = PQtransactionStatus(conn_) == PQTRANS_IDLE;
  const std::string text(sql);
  absl::Status status = Check(PQexec(conn_, text.c_str()), context).status();
  if (ShouldRetry(idle, status)) status = Check(PQexec(conn_, text.c_str()), context).status();
  return status;
}

absl::StatusOr<PgResult> PgConnection::Run(const char* sql, const PgParams& params,
                                           absl::string_view context) {
  const bool idle = PQtransactionStatus(conn_) == PQTRANS_IDLE;
  absl::StatusOr<PgResult> result = RunPrepared(sql, params, context);
  if (ShouldRetry(idle, result.status())) result = RunPrepared(sql, params, context);
  return result;
}

absl::StatusOr<PgResult> PgConnection::RunPrepared(const char* sql, const PgParams& params,
                                                   absl::string_view context) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = absl::StrCat("s", prepared_.size() + 1);
    absl::StatusOr<PgResult> prepared =
        Check(PQprepare(conn_, name.c_str(), sql, params.size(), params.types()), context);
    if (!prepared.ok()) return prepared.status();
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  return Check(PQexecPrepared(conn_, it->second.c_str(), params.size(), params.values(),
                              params.lengths(), params.formats(), /*resultFormat=*/1),
               context);
}

absl::StatusOr<PgResult> PgConnection::RunOnce(const std::string& sql, const PgParams& params,
                                               absl::string_view context) {
  const bool idle = PQtransactionStatus(conn_) == PQTRANS_IDLE;
  absl::StatusOr<PgResult> result = Check(PQexecParams(conn_, sql.c_str(), params.size(),
                                                       params.types(), params.values(),
                                                       params.lengths(), params.formats(),
                                                       /*resultFormat=*/1),
                                          context);
  if (!ShouldRetry(idle, result.status())) return result;
  return Check(PQexecParams(conn_, sql.c_str(), params.size(), params.types(), params.values(),
                            params.lengths(), params.formats(), /*resultFormat=*/1),
               context);
}

bool PgConnection::InTransaction() const {
  const PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

std::string PgConnection::TakeNotices() { return std::exchange(notices_, std::string()); }

}  // namespace omniroute::store
