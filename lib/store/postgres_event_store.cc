// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The PostgreSQL event store's writes: opening, group commit of appends on
// the one writer connection, and snapshots. Reads are in
// postgres_event_store_reads.cc, the tables in postgres_schema.h, the
// design in postgres_event_store_internal.h.

#include "omniroute/postgres_event_store.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "store/crc32c.h"
#include "store/message_history.h"
#include "store/postgres_connection.h"
#include "store/postgres_event_store_internal.h"
#include "store/postgres_leases.h"
#include "store/postgres_message_index.h"
#include "store/postgres_schema.h"

namespace omniroute {
namespace store {
namespace {

using ::omniroute::v1::Event;

// The largest sequence a bigint holds.
constexpr uint64_t kMaxStorableSequence =
    static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

constexpr char kInsertEvent[] =
    "INSERT INTO events (tenant, sequence, payload, crc) VALUES ($1, $2, $3, $4)";
constexpr char kInsertEvents[] =
    "INSERT INTO events (tenant, sequence, payload, crc) "
    "SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bigint[])";
// The events and the message rows of a group in one statement.
const std::string& InsertEventsAndMessages() {
  static const std::string* const sql = new std::string(absl::StrCat(
      "WITH inserted AS (", kInsertEvents, ") ", PostgresMessageIndexBatch::InsertRowsSql(5)));
  return *sql;
}
// Each tenant's last sequence (one backward step in the primary key each),
// in the order of $1.
constexpr char kLastSequences[] =
    "SELECT (SELECT e.sequence FROM events e WHERE e.tenant = t.tenant ORDER BY e.sequence DESC "
    "LIMIT 1), NULL, NULL FROM unnest($1::text[]) WITH ORDINALITY AS t(tenant, position) "
    "ORDER BY position";
// The same with each tenant's lease row (NULLs when it has none), locked
// FOR SHARE first, in the tenants' order as CheckPostgresLease would one at
// a time, so that a takeover waits for the transaction or the transaction
// sees the takeover.
constexpr char kLastSequencesAndLeases[] =
    "WITH lease AS (SELECT tenant, owner, epoch FROM leases WHERE tenant = ANY ($1) "
    "ORDER BY tenant FOR SHARE) "
    "SELECT (SELECT e.sequence FROM events e WHERE e.tenant = t.tenant ORDER BY e.sequence DESC "
    "LIMIT 1), lease.owner, lease.epoch FROM unnest($1::text[]) WITH ORDINALITY AS "
    "t(tenant, position) LEFT JOIN lease ON lease.tenant = t.tenant ORDER BY position";
// One statement, so the check that the snapshot is not beyond the log and
// the write are atomic; a snapshot replaces the tenant's older one whatever
// its sequence.
constexpr char kSaveSnapshot[] =
    "INSERT INTO snapshots (tenant, sequence, state, crc) SELECT $1, $2, $3, $4 "
    "WHERE $2 <= (SELECT coalesce(max(sequence), 0) FROM events WHERE tenant = $1) "
    "ON CONFLICT (tenant) DO UPDATE SET sequence = excluded.sequence, state = excluded.state, "
    "crc = excluded.crc";

}  // namespace

// One queued Append. Lives on its caller's stack until the call returns; the
// caller's arguments outlive it.
struct PostgresEventStore::Write {
  absl::string_view tenant;
  // The first event's sequence.
  uint64_t sequence = 0;
  // The serialized events back to back (serialized by the caller's thread,
  // not the leader's), and for each the end of its bytes and its CRC-32C.
  std::string payloads;
  std::vector<std::pair<size_t, uint32_t>> rows;
  // The events themselves, for the message history.
  absl::Span<const Event> events;
  // What the write weighs against max_batch_bytes.
  int64_t bytes = 0;

  // Set by the leader that committed it (or by its own thread if it led).
  absl::Status status;
  bool done = false;
  absl::CondVar done_cv;
};

absl::StatusOr<std::unique_ptr<PostgresEventStore>> PostgresEventStore::Open(
    const PostgresStoreOptions& options) {
  if (options.conninfo.empty()) {
    return absl::InvalidArgumentError(
        "conninfo: must name the database (a connection string or a postgresql:// URI)");
  }
  if (absl::Status s = CheckPostgresSchemaName(options.schema); !s.ok()) return s;
  if (options.pool_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("pool_size: must be positive, got ", options.pool_size));
  }
  if (options.max_batch_bytes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_batch_bytes: must be positive, got ", options.max_batch_bytes));
  }
  absl::StatusOr<std::string> target = DescribePostgresTarget(options.conninfo);
  if (!target.ok()) return target.status();
  if (options.idle_in_transaction_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("idle_in_transaction_timeout: must not be negative");
  }
  const std::string setup = StoreSessionSetup(options);
  absl::StatusOr<std::unique_ptr<PgConnection>> writer =
      PgConnection::Connect(options.conninfo, *target, setup);
  if (!writer.ok()) return writer.status();
  if (absl::Status s = PreparePostgresSchema(**writer, options.schema, options.create_if_missing);
      !s.ok()) {
    return s;
  }
  if (options.fence != nullptr) {
    if (absl::Status s = PreparePostgresClusterTables(**writer, options.schema); !s.ok()) return s;
  }
  // One pooled connection now, so that a server that takes only one
  // connection fails the open rather than the first read.
  absl::StatusOr<std::unique_ptr<PgConnection>> pooled =
      PgConnection::Connect(options.conninfo, *target, setup);
  if (!pooled.ok()) return pooled.status();
  return std::unique_ptr<PostgresEventStore>(
      new PostgresEventStore(options, *std::move(target), *std::move(writer), *std::move(pooled)));
}

std::string StoreSessionSetup(const PostgresStoreOptions& options) {
  std::string setup = PostgresSessionSetup(options.schema);
  if (options.idle_in_transaction_timeout > absl::ZeroDuration()) {
    absl::StrAppend(
        &setup, "; SET idle_in_transaction_session_timeout = ",
        std::max<int64_t>(1, absl::ToInt64Milliseconds(options.idle_in_transaction_timeout)));
  }
  return setup;
}

PostgresEventStore::PostgresEventStore(const PostgresStoreOptions& options, std::string target,
                                       std::unique_ptr<PgConnection> writer,
                                       std::unique_ptr<PgConnection> first_pooled)
    : options_(options), target_(std::move(target)), writer_(std::move(writer)) {
  absl::MutexLock lock(&pool_mu_);
  idle_.push_back(std::move(first_pooled));
  open_ = 1;
}

PostgresEventStore::~PostgresEventStore() = default;

absl::Status PostgresEventStore::Append(absl::string_view tenant_id,
                                        absl::Span<const Event> events) {
  if (events.empty()) return absl::OkStatus();
  // The batch's own continuity is checked here, without the queue; only its
  // start against the stored log needs the transaction.
  const uint64_t first = events.front().sequence();
  for (size_t i = 1; i < events.size(); ++i) {
    if (events[i].sequence() != first + i) {
      return absl::FailedPreconditionError(
          absl::StrCat("events: sequence ", events[i].sequence(), " does not follow ",
                       events[i - 1].sequence(), " in the batch for tenant ", tenant_id));
    }
  }
  if (events.back().sequence() > kMaxStorableSequence) {
    return absl::InvalidArgumentError(absl::StrCat("events: sequence ", events.back().sequence(),
                                                   " is beyond what the store can hold"));
  }
  if (options_.fence != nullptr && !options_.fence->HeldEpoch(tenant_id).has_value()) {
    absl::Status refused = absl::FailedPreconditionError(
        absl::StrCat("tenant_id: \"", tenant_id, "\": node ", options_.fence->node_id(),
                     " holds no lease on it; nothing was stored"));
    refused.SetPayload(kNotOwnerPayload, absl::Cord(options_.fence->node_id()));
    return RefuseNotOwner(tenant_id, std::move(refused));
  }
  Write write;
  write.tenant = tenant_id;
  write.sequence = first;
  write.events = events;
  write.rows.reserve(events.size());
  for (const Event& event : events) {
    const size_t begin = write.payloads.size();
    if (!event.AppendToString(&write.payloads)) {
      return absl::InvalidArgumentError(
          absl::StrCat("events: event ", event.sequence(), " cannot be serialized"));
    }
    const absl::string_view payload = absl::string_view(write.payloads).substr(begin);
    write.rows.emplace_back(write.payloads.size(), Crc32c(payload));
  }
  write.bytes = static_cast<int64_t>(write.payloads.size());
  return Submit(write);
}

bool PostgresEventStore::HoldReleased() const {
  return queue_.size() >= static_cast<size_t>(hold_leader_until_);
}

absl::Status PostgresEventStore::Submit(Write& write) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(&write);
  ++stats_.appends;
  while (!write.done && queue_.front() != &write) write.done_cv.Wait(&mu_);
  if (write.done) return write.status;  // A leader committed it.

  // This thread leads the next commit.
  if (hold_leader_until_ > 0) {
    mu_.Await(absl::Condition(this, &PostgresEventStore::HoldReleased));
    hold_leader_until_ = 0;
  }
  std::vector<Write*> group;
  int64_t group_bytes = 0;
  for (Write* queued : queue_) {
    if (!group.empty() && group_bytes + queued->bytes > options_.max_batch_bytes) break;
    group.push_back(queued);
    group_bytes += queued->bytes;
  }

  // The group stays at the front of the queue while it is written, so later
  // writers queue behind it and none of them leads before this commit ends.
  mu_.Unlock();
  const bool committed = CommitGroup(group);
  mu_.Lock();

  if (committed) ++stats_.commits;
  stats_.largest_group = std::max<int64_t>(stats_.largest_group, group.size());
  for (Write* member : group) {
    queue_.pop_front();
    if (member != &write) {
      member->done = true;
      member->done_cv.Signal();
    }
  }
  if (!queue_.empty()) queue_.front()->done_cv.Signal();  // The next leader.
  return write.status;
}

bool PostgresEventStore::CommitGroup(absl::Span<Write* const> group) {
  const GroupOutcome outcome = CommitGroupBatched(group);
  if (outcome != GroupOutcome::kRetryOneByOne) return outcome == GroupOutcome::kCommitted;
  for (Write* write : group) write->status = absl::OkStatus();
  return CommitGroupOneByOne(group);
}

PostgresEventStore::GroupOutcome PostgresEventStore::CommitGroupBatched(
    absl::Span<Write* const> group) {
  PgConnection& db = *writer_;
  constexpr absl::string_view kContext = "committing appends";
  // Refusals by the fence are counted once the group's outcome is known:
  // a retry one write at a time would count them again.
  std::vector<Write*> refused;
  auto count_refusals = [&] {
    for (Write* write : refused) write->status = RefuseNotOwner(write->tenant, write->status);
  };
  auto fail_all = [&](const absl::Status& status) {
    if (db.ok() && db.InTransaction()) (void)db.Execute("ROLLBACK", kContext);
    for (Write* write : group) {
      if (write->status.ok()) write->status = status;
    }
    count_refusals();
    return GroupOutcome::kFailed;
  };
  auto statement_failed = [&](const absl::Status& status) {
    if (!db.ok()) return fail_all(status);
    (void)db.Execute("ROLLBACK", kContext);
    return GroupOutcome::kRetryOneByOne;
  };

  if (absl::Status s = db.EnsureConnected(); !s.ok()) return fail_all(s);
  if (absl::Status s = db.Execute("BEGIN", kContext); !s.ok()) return fail_all(s);

  std::vector<absl::string_view> tenants;
  {
    absl::flat_hash_set<absl::string_view> seen;
    for (const Write* write : group) {
      if (seen.insert(write->tenant).second) tenants.push_back(write->tenant);
    }
  }
  PgArray tenant_names(PgArray::Type::kText);
  for (const absl::string_view tenant : tenants) tenant_names.Add(tenant);

  // Read inside the transaction, so they count every other writer's
  // commits; the lease rows stay locked until it ends.
  absl::flat_hash_map<std::string, PostgresLeaseRow> leases;
  absl::flat_hash_map<absl::string_view, uint64_t> last;
  {
    PgParams params;
    params.Array(tenant_names);
    absl::StatusOr<PgResult> rows =
        db.Run(options_.fence != nullptr ? kLastSequencesAndLeases : kLastSequences, params,
               absl::StrCat("reading the last sequences of ", tenants.size(), " tenants"));
    if (!rows.ok()) return statement_failed(rows.status());
    for (int i = 0; i < rows->rows(); ++i) {
      last[tenants[i]] = rows->IsNull(i, 0) ? 0 : static_cast<uint64_t>(rows->Int64(i, 0));
      if (!rows->IsNull(i, 2)) {
        leases[tenants[i]] = PostgresLeaseRow{std::string(rows->Bytes(i, 1)),
                                              static_cast<uint64_t>(rows->Int64(i, 2))};
      }
    }
  }

  PgArray event_tenants(PgArray::Type::kText);
  PgArray sequences(PgArray::Type::kInt64);
  PgArray payloads(PgArray::Type::kBytes);
  PgArray crcs(PgArray::Type::kInt64);
  PostgresMessageIndexBatch index(db);
  for (Write* write : group) {
    if (options_.fence != nullptr) {
      const std::optional<uint64_t> epoch = options_.fence->HeldEpoch(write->tenant);
      absl::Status held;
      if (!epoch.has_value()) {
        held = absl::FailedPreconditionError(
            absl::StrCat("tenant_id: \"", write->tenant, "\": node ", options_.fence->node_id(),
                         " gave up its lease while the append waited; nothing was stored"));
        held.SetPayload(kNotOwnerPayload, absl::Cord(options_.fence->node_id()));
      } else {
        const auto lease = leases.find(write->tenant);
        held = JudgePostgresLease(
            write->tenant, options_.fence->node_id(), *epoch,
            lease == leases.end() ? std::nullopt : std::optional<PostgresLeaseRow>(lease->second));
      }
      if (!held.ok()) {
        write->status = std::move(held);
        refused.push_back(write);
        continue;
      }
    }
    uint64_t& tenant_last = last[write->tenant];
    if (write->sequence != tenant_last + 1) {
      write->status = absl::FailedPreconditionError(
          absl::StrCat("events: sequence ", write->sequence, " does not continue tenant ",
                       write->tenant, "'s log at ", tenant_last));
      continue;
    }
    uint64_t sequence = write->sequence;
    size_t begin = 0;
    for (const auto& [end, crc] : write->rows) {
      event_tenants.Add(write->tenant);
      sequences.AddInt64(static_cast<int64_t>(sequence));
      payloads.Add(absl::string_view(write->payloads).substr(begin, end - begin));
      crcs.AddInt64(crc);
      begin = end;
      ++sequence;
    }
    tenant_last = sequence - 1;
    index.SetTenant(write->tenant);
    if (absl::Status s = ProjectMessageHistory(write->events, index); !s.ok()) {
      return statement_failed(s);
    }
  }
  if (event_tenants.size() > 0) {
    PgParams params;
    params.Array(event_tenants).Array(sequences).Array(payloads).Array(crcs);
    const bool with_messages = index.has_rows();
    if (with_messages) index.TakeRows(params);
    absl::StatusOr<PgResult> inserted =
        db.Run(with_messages ? InsertEventsAndMessages().c_str() : kInsertEvents, params,
               absl::StrCat("appending ", event_tenants.size(), " events"));
    if (!inserted.ok()) return statement_failed(inserted.status());
  }
  // The commit is what makes the appends durable (as synchronous_commit
  // says); when it fails, none of the group is acknowledged.
  if (absl::Status s = db.Execute("COMMIT", kContext); !s.ok()) return fail_all(s);
  count_refusals();
  return GroupOutcome::kCommitted;
}

bool PostgresEventStore::CommitGroupOneByOne(absl::Span<Write* const> group) {
  PgConnection& db = *writer_;
  constexpr absl::string_view kContext = "committing appends";
  // After a failure that spoils the transaction: every write of the group
  // that has no error of its own gets `status` (the earlier ones are rolled
  // back with the rest).
  auto fail_all = [&](const absl::Status& status) {
    if (db.ok() && db.InTransaction()) (void)db.Execute("ROLLBACK", kContext);
    for (Write* write : group) {
      if (write->status.ok()) write->status = status;
    }
    return false;
  };

  if (absl::Status s = db.EnsureConnected(); !s.ok()) return fail_all(s);
  if (absl::Status s = db.Execute("BEGIN", kContext); !s.ok()) return fail_all(s);
  // A lone append needs no savepoint: its failure is the transaction's.
  const bool savepoints = group.size() > 1;
  for (Write* write : group) {
    if (savepoints) {
      if (absl::Status s = db.Execute("SAVEPOINT write", kContext); !s.ok()) return fail_all(s);
    }
    absl::Status status = ApplyAppend(*write);
    if (status.ok()) {
      if (savepoints) {
        if (absl::Status s = db.Execute("RELEASE SAVEPOINT write", kContext); !s.ok()) {
          return fail_all(s);
        }
      }
      continue;
    }
    // A broken connection takes the whole transaction with it.
    if (!savepoints || !db.ok()) {
      write->status = std::move(status);
      return fail_all(write->status);
    }
    if (absl::Status s = db.Execute("ROLLBACK TO SAVEPOINT write; RELEASE SAVEPOINT write",
                                    kContext);
        !s.ok()) {
      return fail_all(s);
    }
    write->status = std::move(status);
  }
  // The commit is what makes the appends durable (as synchronous_commit
  // says); when it fails, none of the group is acknowledged.
  if (absl::Status s = db.Execute("COMMIT", kContext); !s.ok()) return fail_all(s);
  return true;
}

absl::Status PostgresEventStore::ApplyAppend(const Write& write) {
  PgConnection& db = *writer_;
  if (options_.fence != nullptr) {
    // First, so that the lease row is locked before anything is written:
    // a takeover waits for this transaction, or this append sees it.
    const std::optional<uint64_t> epoch = options_.fence->HeldEpoch(write.tenant);
    absl::Status held =
        epoch.has_value()
            ? CheckPostgresLease(db, write.tenant, options_.fence->node_id(), *epoch)
            : absl::FailedPreconditionError(absl::StrCat(
                  "tenant_id: \"", write.tenant, "\": node ", options_.fence->node_id(),
                  " gave up its lease while the append waited; nothing was stored"));
    if (!held.ok()) {
      if (!epoch.has_value()) {
        held.SetPayload(kNotOwnerPayload, absl::Cord(options_.fence->node_id()));
      }
      if (IsNotOwnerError(held)) return RefuseNotOwner(write.tenant, std::move(held));
      return held;
    }
  }
  // Read inside the transaction, so it sees the group's earlier appends and
  // every other writer's commits.
  absl::StatusOr<uint64_t> last = PostgresLastSequence(db, write.tenant);
  if (!last.ok()) return last.status();
  if (write.sequence != *last + 1) {
    return absl::FailedPreconditionError(absl::StrCat("events: sequence ", write.sequence,
                                                      " does not continue tenant ", write.tenant,
                                                      "'s log at ", *last));
  }
  uint64_t sequence = write.sequence;
  size_t begin = 0;
  for (const auto& [end, crc] : write.rows) {
    PgParams params;
    params.Text(write.tenant)
        .Int64(static_cast<int64_t>(sequence))
        .Bytes(absl::string_view(write.payloads).substr(begin, end - begin))
        .Int64(crc);
    absl::StatusOr<PgResult> inserted = db.Run(
        kInsertEvent, params, absl::StrCat("appending event ", sequence, " of tenant ", write.tenant));
    if (!inserted.ok()) {
      // Another writer (another store on the same database) stored this
      // sequence after the check above: the primary key refuses the second.
      if (inserted.status().code() == absl::StatusCode::kFailedPrecondition) {
        return absl::FailedPreconditionError(
            absl::StrCat("events: sequence ", sequence, " of tenant ", write.tenant,
                         " was stored by another writer meanwhile (", inserted.status().message(),
                         ")"));
      }
      return inserted.status();
    }
    begin = end;
    ++sequence;
  }
  // In the same transaction (and savepoint): the history commits, or rolls
  // back, with the events.
  PostgresMessageIndexWriter index(db, write.tenant);
  return ProjectMessageHistory(write.events, index);
}

absl::Status PostgresEventStore::SaveSnapshot(absl::string_view tenant_id, uint64_t sequence,
                                              absl::string_view state) {
  if (sequence > kMaxStorableSequence) {
    return absl::InvalidArgumentError(
        absl::StrCat("sequence: ", sequence, " is beyond what the store can hold"));
  }
  absl::StatusOr<Lease> connection = Acquire();
  if (!connection.ok()) return connection.status();
  Lease& db = *connection;
  PgParams params;
  params.Text(tenant_id)
      .Int64(static_cast<int64_t>(sequence))
      .Bytes(state)
      .Int64(Crc32c(state));
  absl::StatusOr<PgResult> saved =
      db->Run(kSaveSnapshot, params,
              absl::StrCat("saving the snapshot of tenant ", tenant_id, " at sequence ", sequence));
  if (!saved.ok()) return saved.status();
  if (saved->AffectedRows() == 0) {
    absl::StatusOr<uint64_t> last = PostgresLastSequence(*db, tenant_id);
    if (!last.ok()) return last.status();
    return absl::InvalidArgumentError(
        absl::StrCat("sequence: ", sequence, " is beyond the tenant's last event ", *last));
  }
  return absl::OkStatus();
}

absl::Status PostgresEventStore::RefuseNotOwner(absl::string_view tenant, absl::Status why) {
  {
    absl::MutexLock lock(&mu_);
    ++stats_.refused_not_owner;
  }
  options_.fence->Refused(tenant, why);
  return why;
}

PostgresStoreStats PostgresEventStore::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void PostgresEventStore::HoldNextLeaderForTesting(int writes) {
  absl::MutexLock lock(&mu_);
  hold_leader_until_ = writes;
}

}  // namespace store

absl::StatusOr<std::unique_ptr<EventStore>> OpenPostgresEventStore(
    const PostgresStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<store::PostgresEventStore>> store =
      store::PostgresEventStore::Open(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<EventStore>(*std::move(store));
}

}  // namespace omniroute
