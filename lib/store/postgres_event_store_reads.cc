// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The PostgreSQL event store's log reads, and its pool of connections: each
// call borrows a connection for its statement and gives it back before it
// calls any visitor.

#include <algorithm>
#include <cstdint>
#include <limits>
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
#include "store/postgres_connection.h"
#include "store/postgres_event_store_internal.h"
#include "store/postgres_schema.h"
#include "store/stored_event.h"

namespace omniroute::store {
namespace {

using ::omniroute::v1::Event;

constexpr char kLastSequence[] =
    "SELECT sequence FROM events WHERE tenant = $1 ORDER BY sequence DESC LIMIT 1";
// Keyset pagination: each chunk is one index range from the next sequence.
constexpr char kReadEvents[] =
    "SELECT sequence, payload, crc FROM events WHERE tenant = $1 AND sequence >= $2 "
    "ORDER BY sequence LIMIT $3";
// One index step per tenant (a loose index scan) instead of a scan of
// every event.
constexpr char kListTenants[] =
    "WITH RECURSIVE tenants(name) AS ("
    "  (SELECT tenant FROM events ORDER BY tenant LIMIT 1)"
    "  UNION ALL"
    "  SELECT (SELECT tenant FROM events WHERE tenant > t.name ORDER BY tenant LIMIT 1)"
    "  FROM tenants t WHERE t.name IS NOT NULL) "
    "SELECT name FROM tenants WHERE name IS NOT NULL";
constexpr char kLoadSnapshot[] = "SELECT sequence, state, crc FROM snapshots WHERE tenant = $1";

// Rows a Read fetches per query. Bounds the memory of a replay, on both
// sides of the connection.
constexpr int64_t kReadChunkRows = 512;

constexpr uint64_t kMaxStorableSequence =
    static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

}  // namespace

absl::StatusOr<uint64_t> PostgresLastSequence(PgConnection& connection,
                                              absl::string_view tenant) {
  PgParams params;
  params.Text(tenant);
  absl::StatusOr<PgResult> result = connection.Run(
      kLastSequence, params, absl::StrCat("reading the last sequence of tenant ", tenant));
  if (!result.ok()) return result.status();
  if (result->rows() == 0) return 0;
  return static_cast<uint64_t>(result->Int64(0, 0));
}

// ------------------------------------------------------------------ pool

PostgresEventStore::Lease::Lease(const PostgresEventStore& store,
                                 std::unique_ptr<PgConnection> connection)
    : store_(store), connection_(std::move(connection)) {}

PostgresEventStore::Lease::~Lease() {
  if (connection_ != nullptr) store_.Release(std::move(connection_));
}

bool PostgresEventStore::PoolHasRoom() const {
  return !idle_.empty() || open_ < options_.pool_size;
}

absl::StatusOr<PostgresEventStore::Lease> PostgresEventStore::Acquire() const {
  std::unique_ptr<PgConnection> idle;
  {
    absl::MutexLock lock(&pool_mu_, absl::Condition(this, &PostgresEventStore::PoolHasRoom));
    if (!idle_.empty()) {
      idle = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // Reserved; connecting happens outside the lock.
    }
  }
  if (idle != nullptr) {
    Lease lease(*this, std::move(idle));
    // A connection that broke while idle (a server restart) reconnects
    // here; if it cannot, the lease closes it and the call fails.
    if (absl::Status s = lease->EnsureConnected(); !s.ok()) return s;
    return lease;
  }
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect(options_.conninfo, target_, StoreSessionSetup(options_));
  if (!connection.ok()) {
    absl::MutexLock lock(&pool_mu_);
    --open_;
    return connection.status();
  }
  return Lease(*this, *std::move(connection));
}

void PostgresEventStore::Release(std::unique_ptr<PgConnection> connection) const {
  absl::MutexLock lock(&pool_mu_);
  // A connection left broken, or inside a transaction by a failure, is not
  // lent again: it closes here and the next Acquire opens a fresh one.
  if (!connection->ok() || connection->InTransaction()) {
    --open_;
    return;
  }
  idle_.push_back(std::move(connection));
}

// ------------------------------------------------------------------ reads

absl::Status PostgresEventStore::Read(absl::string_view tenant_id, uint64_t from_sequence,
                                      const std::function<bool(const Event&)>& visitor) const {
  // Events are parsed into reused messages: a replay allocates per chunk
  // size, not per event.
  std::vector<Event> chunk;
  uint64_t next = std::max<uint64_t>(from_sequence, 1);
  for (;;) {
    if (next > kMaxStorableSequence) return absl::OkStatus();
    size_t count = 0;
    absl::Status damage;  // Found while filling the chunk; reported after it.
    bool last_chunk = true;
    {
      absl::StatusOr<Lease> connection = Acquire();
      if (!connection.ok()) return connection.status();
      PgParams params;
      params.Text(tenant_id).Int64(static_cast<int64_t>(next)).Int64(kReadChunkRows);
      absl::StatusOr<PgResult> rows = (*connection)->Run(
          kReadEvents, params, absl::StrCat("reading tenant ", tenant_id, " at sequence ", next));
      if (!rows.ok()) return rows.status();
      for (int row = 0; row < rows->rows(); ++row) {
        const uint64_t expected = next + count;
        const auto sequence = static_cast<uint64_t>(rows->Int64(row, 0));
        // A log starts at 1 and has no holes, so the first row at or after
        // `next` is `next` itself unless rows were lost.
        if (sequence != expected) {
          damage = DamagedEvent(
              tenant_id, expected,
              absl::StrCat("missing from the store (the next stored event is ", sequence, ")"));
          break;
        }
        if (count == chunk.size()) chunk.emplace_back();
        damage = ParseStoredEvent(tenant_id, sequence, rows->Bytes(row, 1),
                                  static_cast<uint64_t>(rows->Int64(row, 2)), chunk[count]);
        if (!damage.ok()) break;
        ++count;
      }
      last_chunk = rows->rows() < kReadChunkRows;
    }
    // No connection held here: the visitor may call the store.
    for (size_t i = 0; i < count; ++i) {
      if (!visitor(chunk[i])) return absl::OkStatus();
    }
    if (!damage.ok()) return damage;
    if (last_chunk) return absl::OkStatus();
    next += count;
  }
}

absl::StatusOr<uint64_t> PostgresEventStore::LastSequence(absl::string_view tenant_id) const {
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  return PostgresLastSequence(**connection, tenant_id);
}

absl::StatusOr<std::vector<std::string>> PostgresEventStore::ListTenants() const {
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  absl::StatusOr<PgResult> rows = (*connection)->Run(kListTenants, PgParams(), "listing the tenants");
  if (!rows.ok()) return rows.status();
  std::vector<std::string> tenants;
  tenants.reserve(rows->rows());
  for (int row = 0; row < rows->rows(); ++row) tenants.emplace_back(rows->Bytes(row, 0));
  return tenants;
}

absl::StatusOr<EventStore::Snapshot> PostgresEventStore::LoadSnapshot(
    absl::string_view tenant_id) const {
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  PgParams params;
  params.Text(tenant_id);
  absl::StatusOr<PgResult> rows = (*connection)->Run(
      kLoadSnapshot, params, absl::StrCat("reading the snapshot of tenant ", tenant_id));
  if (!rows.ok()) return rows.status();
  if (rows->rows() == 0) {
    return absl::NotFoundError(absl::StrCat("tenant ", tenant_id, " has no snapshot"));
  }
  Snapshot snapshot;
  snapshot.sequence = static_cast<uint64_t>(rows->Int64(0, 0));
  snapshot.state = std::string(rows->Bytes(0, 1));
  const auto stored_crc = static_cast<uint64_t>(rows->Int64(0, 2));
  if (const uint32_t crc = Crc32c(snapshot.state); crc != stored_crc) {
    return absl::DataLossError(absl::StrFormat(
        "snapshots: tenant %s, sequence %d: the stored state does not match its checksum "
        "(stored 0x%08x, computed 0x%08x)",
        tenant_id, snapshot.sequence, stored_crc, crc));
  }
  return snapshot;
}

}  // namespace omniroute::store
