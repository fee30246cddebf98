// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The SQLite event store's writes: opening, and group commit on the one
// writer connection. Reads are in sqlite_event_store_reads.cc, the file
// format in sqlite_schema.h, the design in sqlite_event_store_internal.h.

#include "omniroute/sqlite_event_store.h"

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
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "store/crc32c.h"
#include "store/message_history.h"
#include "store/sqlite_connection.h"
#include "store/sqlite_event_store_internal.h"
#include "store/sqlite_message_index.h"
#include "store/sqlite_schema.h"

namespace omniroute {
namespace store {
namespace {

using ::omniroute::v1::Event;

constexpr char kInsertEvent[] =
    "INSERT INTO events (tenant, sequence, payload, crc) VALUES (?1, ?2, ?3, ?4)";
constexpr char kSaveSnapshot[] =
    "INSERT OR REPLACE INTO snapshots (tenant, sequence, state, crc, parts) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr char kSaveSnapshotPart[] =
    "INSERT OR REPLACE INTO snapshot_parts (tenant, sequence, part, bytes) VALUES (?1, ?2, ?3, ?4)";
// The parts a snapshot about to be published names: all must be there.
constexpr char kCountSnapshotParts[] =
    "SELECT count(*) FROM snapshot_parts WHERE tenant = ?1 AND sequence = ?2 AND part < ?3";
// Parts of the same sequence beyond the new count, left by an earlier save
// of that sequence that did not finish.
constexpr char kDeleteExtraSnapshotParts[] =
    "DELETE FROM snapshot_parts WHERE tenant = ?1 AND sequence = ?2 AND part >= ?3";
// Whether a replaced snapshot left parts to delete.
constexpr char kHasOlderSnapshotParts[] =
    "SELECT EXISTS (SELECT 1 FROM snapshot_parts WHERE tenant = ?1 AND sequence < ?2)";
// One part of a replaced snapshot (any sequence older than the published
// one): a piece of zeroing (secure_delete) per commit.
constexpr char kPruneSnapshotPart[] =
    "DELETE FROM snapshot_parts WHERE rowid IN (SELECT rowid FROM snapshot_parts "
    "WHERE tenant = ?1 AND sequence < ?2 LIMIT 1)";

}  // namespace

// One queued Append or SaveSnapshot. Lives on its caller's stack until the
// call returns; the caller's arguments outlive it.
struct SqliteEventStore::Write {
  enum class Kind { kAppend, kSnapshot, kSnapshotPart, kPruneSnapshotParts, kRedaction };

  Kind kind = Kind::kAppend;
  absl::string_view tenant;
  // kAppend: the first event's sequence; kSnapshot, kSnapshotPart: the
  // snapshot's; kPruneSnapshotParts: the published snapshot's, whose older
  // parts go.
  uint64_t sequence = 0;
  // kAppend: the serialized events back to back (serialized by the caller's
  // thread, not the leader's), and for each the end of its bytes and its
  // CRC-32C.
  std::string payloads;
  std::vector<std::pair<size_t, uint32_t>> rows;
  // kAppend: the events themselves, for the message history.
  absl::Span<const Event> events;
  // kSnapshot: the whole state (parts == 0), or nothing and the number of
  // parts stored before; state_crc: of the whole state either way.
  // kSnapshotPart: the part's bytes in `state`, its index in `part`.
  absl::string_view state;
  uint32_t state_crc = 0;
  int64_t parts = 0;
  int64_t part = 0;
  // Set by the leader (kSnapshot, kPruneSnapshotParts): whether parts of
  // older snapshots are left to delete.
  bool older_parts = false;
  // kRedaction (sequence: the erasure's), and the erased customers.
  const RedactionPlan* redaction = nullptr;
  absl::Span<const CustomerId> redacted_customers;

  // What the write weighs against max_batch_bytes.
  int64_t bytes = 0;

  // Set by the leader that committed it (or by its own thread if it led).
  absl::Status status;
  bool done = false;
  absl::CondVar done_cv;
};

absl::StatusOr<std::unique_ptr<SqliteEventStore>> SqliteEventStore::Open(
    const SqliteStoreOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("path: must name the database file");
  }
  if (options.path == ":memory:") {
    // Each connection would get its own empty database: readers would never
    // see a write.
    return absl::InvalidArgumentError(
        "path: \":memory:\" is not supported; use NewMemoryEventStore()");
  }
  if (options.max_batch_bytes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_batch_bytes: must be positive, got ", options.max_batch_bytes));
  }
  if (options.group_commit_window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("group_commit_window: must not be negative, got ",
                     absl::FormatDuration(options.group_commit_window)));
  }
  if (options.snapshot_part_bytes <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot_part_bytes: must be positive, got ",
                                                   options.snapshot_part_bytes));
  }
  if (options.checkpoint_pages <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint_pages: must be positive, got ", options.checkpoint_pages));
  }
  if (options.busy_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("busy_timeout: must not be negative, got ",
                                                   absl::FormatDuration(options.busy_timeout)));
  }
  const char* synchronous = nullptr;
  switch (options.durability) {
    case Durability::kSyncEachCommit:
      synchronous = "PRAGMA synchronous = FULL";
      break;
    case Durability::kSyncPeriodically:
      synchronous = "PRAGMA synchronous = NORMAL";
      break;
    case Durability::kNoSync:
      synchronous = "PRAGMA synchronous = OFF";
      break;
  }
  if (synchronous == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("durability: unknown value ", static_cast<int>(options.durability)));
  }

  const bool create = options.create_if_missing && !options.read_only;
  const int flags = options.read_only ? SQLITE_OPEN_READONLY
                                      : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  absl::StatusOr<std::unique_ptr<SqliteConnection>> writer =
      SqliteConnection::Open(options.path, flags, options.busy_timeout);
  if (!writer.ok()) return writer.status();
  absl::StatusOr<int32_t> schema_version = PrepareSqliteSchema(**writer, options.path, create);
  if (!schema_version.ok()) return schema_version.status();
  // Per connection, so only the writer's matters.
  if (absl::Status s = (*writer)->ExecuteScript(synchronous, "setting the durability"); !s.ok()) {
    return s;
  }
  // Freed pages and cells are zeroed, so that what a redaction replaces
  // (RedactCustomer) or a new snapshot supersedes is gone from the file.
  if (!options.read_only) {
    if (absl::Status s = (*writer)->ExecuteScript("PRAGMA secure_delete = ON",
                                                  "zeroing deleted content");
        !s.ok()) {
      return s;
    }
  }
  if (options.verify_on_open) {
    absl::StatusOr<std::string> verdict =
        (*writer)->QueryText("PRAGMA quick_check", "checking the file");
    if (!verdict.ok()) {
      if (verdict.status().code() != absl::StatusCode::kDataLoss) return verdict.status();
      return absl::DataLossError(absl::StrCat("the event store ", options.path,
                                              " is damaged: ", verdict.status().message()));
    }
    if (*verdict != "ok") {
      return absl::DataLossError(
          absl::StrCat("the event store ", options.path, " is damaged: ", *verdict));
    }
  }

  // One reader now, so that a file readers cannot open fails the open rather
  // than the first read.
  absl::StatusOr<std::unique_ptr<SqliteConnection>> reader = OpenReader(options);
  if (!reader.ok()) return reader.status();
  std::unique_ptr<SqliteWalCheckpointer> checkpointer;
  if (!options.read_only) {
    absl::StatusOr<std::unique_ptr<SqliteWalCheckpointer>> started = SqliteWalCheckpointer::Start(
        options.path, synchronous, options.busy_timeout, options.checkpoint_pages);
    if (!started.ok()) return started.status();
    checkpointer = *std::move(started);
  }
  return std::unique_ptr<SqliteEventStore>(new SqliteEventStore(
      options, *schema_version, *std::move(writer), *std::move(reader), std::move(checkpointer)));
}

namespace {

// The writer's WAL hook: SQLite calls it after each commit with the log's
// size in pages. Setting it also turns off the writer's own automatic
// checkpoints (sqlite3_wal_autocheckpoint is this hook).
int ReportWalSize(void* arg, sqlite3* db, const char* /*schema*/, int log_frames) {
  auto* checkpointer = static_cast<SqliteWalCheckpointer*>(arg);
  if (checkpointer->WalGrew(log_frames)) checkpointer->FinishOnWriter(db);
  return SQLITE_OK;
}

}  // namespace

SqliteEventStore::SqliteEventStore(const SqliteStoreOptions& options, int32_t schema_version,
                                   std::unique_ptr<SqliteConnection> writer,
                                   std::unique_ptr<SqliteConnection> first_reader,
                                   std::unique_ptr<SqliteWalCheckpointer> checkpointer)
    : options_(options),
      schema_version_(schema_version),
      writer_(std::move(writer)),
      checkpointer_(std::move(checkpointer)) {
  idle_readers_.push_back(std::move(first_reader));
  if (checkpointer_ != nullptr) sqlite3_wal_hook(writer_->db(), &ReportWalSize, checkpointer_.get());
}

// The checkpointer stops first, then the readers close (members go in
// reverse order), so the writer is the last connection: closing it
// checkpoints the write-ahead log into the main file and removes it.
SqliteEventStore::~SqliteEventStore() {
  sqlite3_wal_hook(writer_->db(), nullptr, nullptr);
  checkpointer_.reset();
}

absl::Status SqliteEventStore::ReadOnlyError(absl::string_view what) const {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", what, ": the store ", options_.path, " was opened read-only"));
}

absl::Status SqliteEventStore::Append(absl::string_view tenant_id, absl::Span<const Event> events) {
  if (options_.read_only) {
    return ReadOnlyError(absl::StrCat("append to tenant ", tenant_id));
  }
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

  Write write;
  write.kind = Write::Kind::kAppend;
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

absl::Status SqliteEventStore::SaveSnapshot(absl::string_view tenant_id, uint64_t sequence,
                                            absl::string_view state) {
  if (options_.read_only) {
    return ReadOnlyError(absl::StrCat("save a snapshot of tenant ", tenant_id));
  }
  const auto part_bytes = static_cast<size_t>(options_.snapshot_part_bytes);
  Write publish;
  publish.kind = Write::Kind::kSnapshot;
  publish.tenant = tenant_id;
  publish.sequence = sequence;
  publish.state_crc = Crc32c(state);
  if (state.size() <= part_bytes) {
    publish.state = state;
    publish.bytes = static_cast<int64_t>(state.size());
  } else {
    // Piece by piece, each its own queued write: the appends queued at the
    // time share its commit, and none waits for more than one piece.
    int64_t part = 0;
    for (size_t begin = 0; begin < state.size(); begin += part_bytes, ++part) {
      Write piece;
      piece.kind = Write::Kind::kSnapshotPart;
      piece.tenant = tenant_id;
      piece.sequence = sequence;
      piece.part = part;
      piece.state = state.substr(begin, part_bytes);
      piece.bytes = static_cast<int64_t>(piece.state.size());
      if (absl::Status s = Submit(piece); !s.ok()) return s;
    }
    publish.parts = part;
  }
  if (absl::Status s = Submit(publish); !s.ok()) return s;
  // The parts of the snapshot this one replaced, a piece per commit for the
  // same reason. The snapshot is saved whatever happens here: parts left
  // over are only space, deleted after the next save.
  for (bool more = publish.older_parts; more;) {
    Write prune;
    prune.kind = Write::Kind::kPruneSnapshotParts;
    prune.tenant = tenant_id;
    prune.sequence = sequence;
    prune.bytes = options_.snapshot_part_bytes;
    more = Submit(prune).ok() && prune.older_parts;
  }
  return absl::OkStatus();
}

absl::Status SqliteEventStore::RedactCustomer(absl::string_view tenant_id,
                                              const CustomerRedaction& redaction) {
  if (options_.read_only) {
    return ReadOnlyError(absl::StrCat("redact customers of tenant ", tenant_id));
  }
  absl::MutexLock redacting(&redaction_mu_);
  absl::StatusOr<RedactionPlan> plan = PlanCustomerRedaction(*this, tenant_id, redaction);
  if (!plan.ok()) return plan.status();
  Write write;
  write.kind = Write::Kind::kRedaction;
  write.tenant = tenant_id;
  write.sequence = redaction.erased_at_sequence;
  write.redaction = &*plan;
  write.redacted_customers = redaction.customers;
  for (const Event& event : plan->events) write.bytes += event.ByteSizeLong();
  return Submit(write);
}

bool SqliteEventStore::HoldReleased() const {
  return queue_.size() >= static_cast<size_t>(hold_leader_until_);
}

bool SqliteEventStore::BatchFull() const { return queued_bytes_ >= options_.max_batch_bytes; }

absl::Status SqliteEventStore::Submit(Write& write) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(&write);
  queued_bytes_ += write.bytes;
  if (write.kind == Write::Kind::kAppend) ++stats_.appends;
  if (write.kind == Write::Kind::kSnapshot) ++stats_.snapshots;
  if (write.kind == Write::Kind::kSnapshotPart) ++stats_.snapshot_parts;
  while (!write.done && queue_.front() != &write) write.done_cv.Wait(&mu_);
  if (write.done) return write.status;  // A leader committed it.

  // This thread leads the next commit.
  if (hold_leader_until_ > 0) {
    mu_.Await(absl::Condition(this, &SqliteEventStore::HoldReleased));
    hold_leader_until_ = 0;
  }
  if (options_.group_commit_window > absl::ZeroDuration()) {
    mu_.AwaitWithTimeout(absl::Condition(this, &SqliteEventStore::BatchFull),
                         options_.group_commit_window);
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
    queued_bytes_ -= member->bytes;
    if (member != &write) {
      member->done = true;
      member->done_cv.Signal();
    }
  }
  if (!queue_.empty()) queue_.front()->done_cv.Signal();  // The next leader.
  return write.status;
}

bool SqliteEventStore::CommitGroup(absl::Span<Write* const> group) {
  SqliteConnection& db = *writer_;
  // After a failure that spoils the transaction: every write of the group
  // that has no error of its own gets `status` (the earlier ones are rolled
  // back with the rest).
  auto fail_all = [&](const absl::Status& status) {
    if (sqlite3_get_autocommit(db.db()) == 0) (void)db.Execute("ROLLBACK");
    for (Write* write : group) {
      if (write->status.ok()) write->status = status;
    }
    return false;
  };

  // IMMEDIATE: take the write lock now (waiting up to busy_timeout for
  // another process) rather than fail at the first insert.
  if (absl::Status s = db.Execute("BEGIN IMMEDIATE"); !s.ok()) return fail_all(s);
  for (Write* write : group) {
    if (absl::Status s = db.Execute("SAVEPOINT write"); !s.ok()) return fail_all(s);
    absl::Status status = ApplyWrite(*write);
    if (status.ok()) {
      if (absl::Status s = db.Execute("RELEASE write"); !s.ok()) return fail_all(s);
      continue;
    }
    // Some failures (a full disk, an I/O error) make SQLite roll back the
    // whole transaction itself; then the group's earlier writes are gone too.
    if (sqlite3_get_autocommit(db.db()) != 0) return fail_all(status);
    if (absl::Status s = db.Execute("ROLLBACK TO write"); !s.ok()) return fail_all(s);
    if (absl::Status s = db.Execute("RELEASE write"); !s.ok()) return fail_all(s);
    write->status = std::move(status);
  }
  if (absl::Status s = db.Execute("COMMIT"); !s.ok()) return fail_all(s);
  // A redaction's old pages must leave the write-ahead log too; then, and
  // only then, its erasures are done.
  for (Write* write : group) {
    if (write->kind == Write::Kind::kRedaction && write->status.ok()) {
      write->status = CheckpointAfterRedaction(write->tenant);
      if (write->status.ok()) {
        write->status =
            ForgetRedactedErasures(write->tenant, write->redacted_customers, write->sequence);
      }
    }
  }
  return true;
}

absl::Status SqliteEventStore::ApplyWrite(Write& write) {
  SqliteConnection& db = *writer_;
  // Read inside the transaction, so it sees the group's earlier writes and
  // any other process's commits.
  absl::StatusOr<uint64_t> last = LastSequenceOn(db, write.tenant);
  if (!last.ok()) return last.status();

  if (write.kind == Write::Kind::kRedaction) {
    return ApplyRedaction(write.tenant, *write.redaction, write.sequence);
  }
  if (write.kind == Write::Kind::kSnapshot || write.kind == Write::Kind::kSnapshotPart) {
    if (write.sequence > *last) {
      return absl::InvalidArgumentError(
          absl::StrCat("sequence: ", write.sequence, " is beyond the tenant's last event ", *last));
    }
  }
  if (write.kind == Write::Kind::kSnapshotPart) return ApplySnapshotPart(write);
  if (write.kind == Write::Kind::kSnapshot) return ApplySnapshot(write);
  if (write.kind == Write::Kind::kPruneSnapshotParts) return ApplyPruneSnapshotParts(write);

  if (write.sequence != *last + 1) {
    return absl::FailedPreconditionError(absl::StrCat("events: sequence ", write.sequence,
                                                      " does not continue tenant ", write.tenant,
                                                      "'s log at ", *last));
  }
  absl::StatusOr<sqlite3_stmt*> statement = db.Prepare(kInsertEvent);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, write.tenant);
  uint64_t sequence = write.sequence;
  size_t begin = 0;
  for (const auto& [end, crc] : write.rows) {
    sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(sequence));
    BindBlob(*statement, 3, absl::string_view(write.payloads).substr(begin, end - begin));
    sqlite3_bind_int64(*statement, 4, crc);
    if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
      return db.Error(rc, absl::StrCat("appending event ", sequence, " of tenant ", write.tenant));
    }
    sqlite3_reset(*statement);  // Keeps the bindings: the tenant stays bound.
    begin = end;
    ++sequence;
  }
  // In the same savepoint: the history commits, or rolls back, with the
  // events.
  SqliteMessageIndexWriter index(db, write.tenant);
  return ProjectMessageHistory(write.events, index);
}

absl::Status SqliteEventStore::ApplySnapshotPart(const Write& write) {
  SqliteConnection& db = *writer_;
  absl::StatusOr<sqlite3_stmt*> statement = db.Prepare(kSaveSnapshotPart);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, write.tenant);
  sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(write.sequence));
  sqlite3_bind_int64(*statement, 3, write.part);
  BindBlob(*statement, 4, write.state);
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
    return db.Error(rc, absl::StrCat("saving part ", write.part, " of the snapshot of tenant ",
                                     write.tenant, " at sequence ", write.sequence));
  }
  return absl::OkStatus();
}

absl::Status SqliteEventStore::ApplySnapshot(Write& write) {
  SqliteConnection& db = *writer_;
  const std::string context =
      absl::StrCat("saving the snapshot of tenant ", write.tenant, " at sequence ", write.sequence);
  if (write.parts > 0) {
    // A redaction may have deleted the parts since they were written; a
    // snapshot is never published without all of them.
    absl::StatusOr<sqlite3_stmt*> count = db.Prepare(kCountSnapshotParts);
    if (!count.ok()) return count.status();
    ScopedReset reset(*count);
    BindText(*count, 1, write.tenant);
    sqlite3_bind_int64(*count, 2, static_cast<int64_t>(write.sequence));
    sqlite3_bind_int64(*count, 3, write.parts);
    if (const int rc = sqlite3_step(*count); rc != SQLITE_ROW) return db.Error(rc, context);
    if (const int64_t stored = sqlite3_column_int64(*count, 0); stored != write.parts) {
      return absl::AbortedError(absl::StrCat(context, ": ", stored, " of its ", write.parts,
                                             " parts are stored (a redaction deleted them)"));
    }
  }
  {
    absl::StatusOr<sqlite3_stmt*> extra = db.Prepare(kDeleteExtraSnapshotParts);
    if (!extra.ok()) return extra.status();
    ScopedReset reset(*extra);
    BindText(*extra, 1, write.tenant);
    sqlite3_bind_int64(*extra, 2, static_cast<int64_t>(write.sequence));
    sqlite3_bind_int64(*extra, 3, write.parts);
    if (const int rc = sqlite3_step(*extra); rc != SQLITE_DONE) return db.Error(rc, context);
  }
  absl::StatusOr<sqlite3_stmt*> statement = db.Prepare(kSaveSnapshot);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, write.tenant);
  sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(write.sequence));
  BindBlob(*statement, 3, write.state);
  sqlite3_bind_int64(*statement, 4, write.state_crc);
  sqlite3_bind_int64(*statement, 5, write.parts);
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) return db.Error(rc, context);
  return FindOlderSnapshotParts(write);
}

absl::Status SqliteEventStore::FindOlderSnapshotParts(Write& write) {
  SqliteConnection& db = *writer_;
  absl::StatusOr<sqlite3_stmt*> older = db.Prepare(kHasOlderSnapshotParts);
  if (!older.ok()) return older.status();
  ScopedReset reset(*older);
  BindText(*older, 1, write.tenant);
  sqlite3_bind_int64(*older, 2, static_cast<int64_t>(write.sequence));
  if (const int rc = sqlite3_step(*older); rc != SQLITE_ROW) {
    return db.Error(rc, absl::StrCat("looking for parts of replaced snapshots of tenant ",
                                     write.tenant));
  }
  write.older_parts = sqlite3_column_int64(*older, 0) != 0;
  return absl::OkStatus();
}

absl::Status SqliteEventStore::ApplyPruneSnapshotParts(Write& write) {
  SqliteConnection& db = *writer_;
  absl::StatusOr<sqlite3_stmt*> statement = db.Prepare(kPruneSnapshotPart);
  if (!statement.ok()) return statement.status();
  ScopedReset reset(*statement);
  BindText(*statement, 1, write.tenant);
  sqlite3_bind_int64(*statement, 2, static_cast<int64_t>(write.sequence));
  if (const int rc = sqlite3_step(*statement); rc != SQLITE_DONE) {
    return db.Error(rc, absl::StrCat("deleting a part of a replaced snapshot of tenant ",
                                     write.tenant));
  }
  return FindOlderSnapshotParts(write);
}

SqliteStoreStats SqliteEventStore::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

WalCheckpointStats SqliteEventStore::CheckpointStats() const {
  return checkpointer_ != nullptr ? checkpointer_->Stats() : WalCheckpointStats{};
}

bool SqliteEventStore::WaitForCheckpointsForTesting(int64_t checkpoints,
                                                    absl::Duration timeout) const {
  return checkpointer_ != nullptr && checkpointer_->WaitForCheckpoints(checkpoints, timeout);
}

void SqliteEventStore::HoldNextLeaderForTesting(int writes) {
  absl::MutexLock lock(&mu_);
  hold_leader_until_ = writes;
}

}  // namespace store

absl::StatusOr<std::unique_ptr<EventStore>> OpenSqliteEventStore(
    const SqliteStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<store::SqliteEventStore>> store =
      store::SqliteEventStore::Open(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<EventStore>(*std::move(store));
}

}  // namespace omniroute
