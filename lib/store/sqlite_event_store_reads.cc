// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The SQLite event store's reads, on a pool of read connections: each read
// borrows a connection for its query and gives it back before it calls any
// visitor, so readers never wait for a commit or for each other.

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "store/crc32c.h"
#include "store/sqlite_connection.h"
#include "store/sqlite_event_store_internal.h"

namespace omniroute::store {
namespace {

using ::omniroute::v1::Event;

constexpr char kLastSequence[] =
    "SELECT sequence FROM events WHERE tenant = ?1 ORDER BY sequence DESC LIMIT 1";
constexpr char kReadEvents[] =
    "SELECT sequence, payload, crc FROM events WHERE tenant = ?1 AND sequence >= ?2 "
    "ORDER BY sequence LIMIT ?3";
// One index seek per tenant instead of a scan of every event.
constexpr char kListTenants[] =
    "WITH RECURSIVE tenants(name) AS ("
    "  SELECT min(tenant) FROM events"
    "  UNION ALL"
    "  SELECT (SELECT min(tenant) FROM events WHERE tenant > name) FROM tenants"
    "  WHERE name IS NOT NULL) "
    "SELECT name FROM tenants WHERE name IS NOT NULL";
// Before schema version 5 every snapshot is whole.
constexpr char kLoadWholeSnapshot[] =
    "SELECT sequence, state, crc, 0, NULL, NULL FROM snapshots WHERE tenant = ?1";
// One statement, so one read transaction: the row and its parts are of the
// same commit even while a newer snapshot is being published.
constexpr char kLoadSnapshot[] =
    "SELECT s.sequence, s.state, s.crc, s.parts, p.part, p.bytes FROM snapshots s "
    "LEFT JOIN snapshot_parts p ON p.tenant = s.tenant AND p.sequence = s.sequence "
    "AND p.part < s.parts WHERE s.tenant = ?1 ORDER BY p.part";

// Rows a Read fetches per visit of the read connection. Bounds the memory of
// a replay and how long one read transaction pins the write-ahead log (a
// checkpoint cannot pass an open read).
constexpr int kReadChunkRows = 512;

// Idle read connections kept for reuse; more are opened when more threads
// read at once, and closed again when given back.
constexpr size_t kMaxIdleReaders = 8;
// A reader's page cache: 256 KiB (a negative size is in KiB).
constexpr char kReaderCacheSize[] = "PRAGMA cache_size = -256";

}  // namespace

absl::StatusOr<uint64_t> LastSequenceOn(SqliteConnection& connection, absl::string_view tenant) {
  absl::StatusOr<sqlite3_stmt*> statement = connection.Prepare(kLastSequence);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant);
  const int rc = sqlite3_step(*statement);
  if (rc == SQLITE_ROW) return static_cast<uint64_t>(sqlite3_column_int64(*statement, 0));
  if (rc == SQLITE_DONE) return 0;
  return connection.Error(rc, absl::StrCat("reading the last sequence of tenant ", tenant));
}

SqliteEventStore::ReaderLease::ReaderLease(const SqliteEventStore& store,
                                           std::unique_ptr<SqliteConnection> connection)
    : store_(store), connection_(std::move(connection)) {}

SqliteEventStore::ReaderLease::ReaderLease(ReaderLease&&) = default;

SqliteEventStore::ReaderLease::~ReaderLease() {
  if (connection_ != nullptr) store_.ReleaseReader(std::move(connection_));
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteEventStore::OpenReader(
    const SqliteStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> reader = SqliteConnection::Open(
      options.path, options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE,
      options.busy_timeout);
  if (!reader.ok()) return reader.status();
  // Reads only, whatever a future bug asks of it.
  if (absl::Status s = (*reader)->ExecuteScript("PRAGMA query_only = 1", "opening a reader");
      !s.ok()) {
    return s;
  }
  // Each pooled reader would otherwise fill a page cache of its own (2 MiB
  // by default) as the file grows: memory that creeps up for hours. The
  // operating system's cache already holds the file's hot pages.
  if (absl::Status s = (*reader)->ExecuteScript(kReaderCacheSize, "opening a reader"); !s.ok()) {
    return s;
  }
  return reader;
}

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteEventStore::AcquireReader() const {
  {
    absl::MutexLock lock(&readers_mu_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<SqliteConnection> reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return reader;
    }
  }
  return OpenReader(options_);
}

void SqliteEventStore::ReleaseReader(std::unique_ptr<SqliteConnection> reader) const {
  absl::MutexLock lock(&readers_mu_);
  if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(reader));
  // Otherwise it closes here; closing a reader is cheap.
}

absl::Status SqliteEventStore::Read(absl::string_view tenant_id, uint64_t from_sequence,
                                    const std::function<bool(const Event&)>& visitor) const {
  // Events are parsed into reused messages: a replay allocates per chunk
  // size, not per event.
  std::vector<Event> chunk;
  uint64_t next = std::max<uint64_t>(from_sequence, 1);
  for (;;) {
    size_t count = 0;
    absl::Status damage;  // Found while filling the chunk; reported after it.
    bool last_chunk = true;
    {
      absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = AcquireReader();
      if (!connection.ok()) return connection.status();
      ReaderLease reader(*this, *std::move(connection));
      absl::StatusOr<sqlite3_stmt*> statement = reader->Prepare(kReadEvents);
      if (!statement.ok()) return statement.status();
      ScopedReset reset(*statement);
      BindText(*statement, 1, tenant_id);
      sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(std::min(next, kMaxStorableSequence)));
      sqlite3_bind_int(*statement, 3, kReadChunkRows);
      int rc;
      while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
        const uint64_t expected = next + count;
        const auto sequence = static_cast<uint64_t>(sqlite3_column_int64(*statement, 0));
        const absl::string_view payload = ColumnBytes(*statement, 1);
        const auto stored_crc = static_cast<uint64_t>(sqlite3_column_int64(*statement, 2));
        // A log starts at 1 and has no holes, so the first row at or after
        // `next` is `next` itself unless rows were lost.
        if (sequence != expected) {
          damage = DamagedEvent(
              tenant_id, expected,
              absl::StrCat("missing from the store (the next stored event is ", sequence, ")"));
          break;
        }
        if (count == chunk.size()) chunk.emplace_back();
        damage = ParseStoredEvent(tenant_id, sequence, payload, stored_crc, chunk[count]);
        if (!damage.ok()) break;
        ++count;
      }
      if (damage.ok()) {
        if (rc != SQLITE_DONE) {
          damage = reader->Error(
              rc, absl::StrCat("reading tenant ", tenant_id, " at sequence ", next + count));
        } else {
          last_chunk = count < static_cast<size_t>(kReadChunkRows);
        }
      }
    }
    // No lock and no connection held here: the visitor may call the store.
    for (size_t i = 0; i < count; ++i) {
      if (!visitor(chunk[i])) return absl::OkStatus();
    }
    if (!damage.ok()) return damage;
    if (last_chunk) return absl::OkStatus();
    next += count;
  }
}

absl::StatusOr<uint64_t> SqliteEventStore::LastSequence(absl::string_view tenant_id) const {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = AcquireReader();
  if (!connection.ok()) return connection.status();
  ReaderLease reader(*this, *std::move(connection));
  return LastSequenceOn(*reader, tenant_id);
}

absl::StatusOr<std::vector<std::string>> SqliteEventStore::ListTenants() const {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = AcquireReader();
  if (!connection.ok()) return connection.status();
  ReaderLease reader(*this, *std::move(connection));
  absl::StatusOr<sqlite3_stmt*> statement = reader->Prepare(kListTenants);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  std::vector<std::string> tenants;
  int rc;
  while ((rc = sqlite3_step(*statement)) == SQLITE_ROW) {
    tenants.emplace_back(ColumnBytes(*statement, 0));
  }
  if (rc != SQLITE_DONE) return reader->Error(rc, "listing the tenants");
  return tenants;
}

absl::StatusOr<EventStore::Snapshot> SqliteEventStore::LoadSnapshot(
    absl::string_view tenant_id) const {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection = AcquireReader();
  if (!connection.ok()) return connection.status();
  ReaderLease reader(*this, *std::move(connection));
  absl::StatusOr<sqlite3_stmt*> statement =
      reader->Prepare(schema_version_ >= 5 ? kLoadSnapshot : kLoadWholeSnapshot);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, tenant_id);
  int rc = sqlite3_step(*statement);
  if (rc == SQLITE_DONE) {
    return absl::NotFoundError(absl::StrCat("tenant ", tenant_id, " has no snapshot"));
  }
  const std::string context = absl::StrCat("reading the snapshot of tenant ", tenant_id);
  if (rc != SQLITE_ROW) return reader->Error(rc, context);
  Snapshot snapshot;
  snapshot.sequence = static_cast<uint64_t>(sqlite3_column_int64(*statement, 0));
  snapshot.state = std::string(ColumnBytes(*statement, 1));
  const auto stored_crc = static_cast<uint64_t>(sqlite3_column_int64(*statement, 2));
  const int64_t parts = sqlite3_column_int64(*statement, 3);
  // A row per part, in order; one row with no part for a whole snapshot.
  int64_t found = 0;
  // Checked as the parts arrive, while each is in cache, rather than in a
  // second pass over hundreds of MB.
  uint32_t crc = Crc32c(snapshot.state);
  for (; rc == SQLITE_ROW; rc = sqlite3_step(*statement)) {
    if (sqlite3_column_type(*statement, 4) == SQLITE_NULL) break;
    if (sqlite3_column_int64(*statement, 4) != found) break;  // A part is missing.
    const absl::string_view part = ColumnBytes(*statement, 5);
    // Every part but the last is as long as the first: sized once instead
    // of doubling (and copying) a dozen times.
    if (found == 0 && parts > 1) {
      snapshot.state.reserve(snapshot.state.size() + static_cast<size_t>(parts) * part.size());
    }
    snapshot.state.append(part.data(), part.size());
    crc = ExtendCrc32c(crc, part);
    ++found;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return reader->Error(rc, context);
  if (found != parts) {
    return absl::DataLossError(absl::StrFormat(
        "snapshots: tenant %s, sequence %d: part %d of its %d parts is missing", tenant_id,
        snapshot.sequence, found, parts));
  }
  if (crc != stored_crc) {
    return absl::DataLossError(absl::StrFormat(
        "snapshots: tenant %s, sequence %d: the stored state does not match its checksum "
        "(stored 0x%08x, computed 0x%08x)",
        tenant_id, snapshot.sequence, stored_crc, crc));
  }
  return snapshot;
}

}  // namespace omniroute::store
