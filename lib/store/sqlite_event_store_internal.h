// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The concrete SQLite event store behind OpenSqliteEventStore, visible to the
// library's tests and benchmarks for its counters and its test hook. Users go
// through omniroute/sqlite_event_store.h.
//
// Group commit. Writes (Append, SaveSnapshot) are queued in arrival order.
// A large snapshot is queued as several writes, a part at a time, then the
// write that publishes it (see SqliteStoreOptions::snapshot_part_bytes).
// The thread whose write is first in the queue is the leader: it takes every
// queued write (up to max_batch_bytes), runs them in one transaction on the
// writer connection, each under its own SAVEPOINT so that a write that fails
// its check is rolled back alone, commits once (one sync), and then hands
// each follower its own result and the lead to the next queued write. Writes
// that arrive during a commit wait for the next one; this is what forms the
// groups. Only the leader of the moment uses the writer connection, and it
// does so without holding the queue's mutex, so that writers can queue
// meanwhile.
//
// Reads take a connection from a pool (opening one when all are busy), run
// their query, and give it back before calling any visitor.
//
// The message history (sqlite_schema.h) is written by the leader: each
// append's events go through the projection of message_history.h into the
// messages table under the append's own SAVEPOINT, so a write that fails
// leaves neither events nor rows. History reads (in
// sqlite_event_store_history.cc) are single queries on a read connection,
// so each sees one committed state.

#ifndef OMNIROUTE_LIB_STORE_SQLITE_EVENT_STORE_INTERNAL_H_
#define OMNIROUTE_LIB_STORE_SQLITE_EVENT_STORE_INTERNAL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "omniroute/v1/events.pb.h"
#include "store/customer_redaction.h"
#include "store/sqlite_wal_checkpointer.h"
#include "store/stored_event.h"

namespace omniroute::store {

class SqliteConnection;

// The largest sequence SQLite's INTEGER holds.
inline constexpr uint64_t kMaxStorableSequence =
    static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// The sequence of `tenant`'s last event as `connection` sees it (inside its
// transaction, if one is open); 0 if none.
absl::StatusOr<uint64_t> LastSequenceOn(SqliteConnection& connection, absl::string_view tenant);

// Counters of the commit queue since the store was opened.
struct SqliteStoreStats {
  // Append calls with at least one event that reached the queue.
  int64_t appends = 0;
  // SaveSnapshot calls that reached the queue (their publishing write), and
  // the parts of large snapshots written before it (SqliteStoreOptions::
  // snapshot_part_bytes).
  int64_t snapshots = 0;
  int64_t snapshot_parts = 0;
  // Transactions committed by leaders. Under kSyncEachCommit each is one
  // sync of the write-ahead log. Without large snapshots (whose parts and
  // the deletion of the parts they replace are writes of their own),
  // appends + snapshots - commits is the number of syncs that group commit
  // saved.
  int64_t commits = 0;
  // The most writes that one transaction carried.
  int64_t largest_group = 0;
};

class SqliteEventStore final : public EventStore {
 public:
  // See OpenSqliteEventStore.
  static absl::StatusOr<std::unique_ptr<SqliteEventStore>> Open(const SqliteStoreOptions& options);

  ~SqliteEventStore() override;

  absl::Status Append(absl::string_view tenant_id,
                      absl::Span<const ::omniroute::v1::Event> events) override;
  absl::Status Read(
      absl::string_view tenant_id, uint64_t from_sequence,
      const std::function<bool(const ::omniroute::v1::Event&)>& visitor) const override;
  absl::StatusOr<uint64_t> LastSequence(absl::string_view tenant_id) const override;
  absl::StatusOr<std::vector<std::string>> ListTenants() const override;
  absl::Status SaveSnapshot(absl::string_view tenant_id, uint64_t sequence,
                            absl::string_view state) override;
  absl::StatusOr<Snapshot> LoadSnapshot(absl::string_view tenant_id) const override;
  absl::StatusOr<std::vector<StoredMessage>> ReadConversationMessages(
      absl::string_view tenant_id, ConversationId conversation,
      std::optional<MessageCursor> after, size_t limit) const override;
  absl::Status VisitConversationMessages(
      absl::string_view tenant_id, ConversationId conversation, std::optional<MessageCursor> after,
      size_t limit, const std::function<bool(const StoredMessage&)>& visitor) const override;
  absl::StatusOr<StoredMessage> ReadMessage(absl::string_view tenant_id,
                                            MessageId message) const override;
  absl::StatusOr<std::optional<MessageLocation>> FindMessageByExternalId(
      absl::string_view tenant_id, Channel channel,
      absl::string_view external_id) const override;
  absl::StatusOr<std::optional<MessageLocation>> FindLatestMessageByThreadKey(
      absl::string_view tenant_id, Channel channel, absl::string_view thread_key) const override;
  absl::StatusOr<std::optional<::omniroute::v1::Event>> FindArchive(
      absl::string_view tenant_id, ArchivedKind kind, uint64_t id) const override;
  absl::StatusOr<bool> FindArchiveInto(absl::string_view tenant_id, ArchivedKind kind, uint64_t id,
                                       ::omniroute::v1::Event& event) const override;
  absl::StatusOr<std::vector<ConversationId>> ListArchivedConversations(
      absl::string_view tenant_id, absl::Span<const CustomerId> customers, ConversationId after,
      size_t limit) const override;
  // Plans on a read connection (customer_redaction.h), then writes the plan
  // as one queued write: the rewritten events with their CRCs, the cleared
  // index keys and the deleted snapshots commit together; then the
  // write-ahead log is checkpointed and truncated (sqlite_event_store_erasure.cc).
  absl::Status RedactCustomer(absl::string_view tenant_id,
                              const CustomerRedaction& redaction) override;
  absl::StatusOr<std::vector<uint64_t>> ListUnredactedErasures(
      absl::string_view tenant_id) const override;

  SqliteStoreStats Stats() const;
  // The background checkpoints of the write-ahead log (all zero for a
  // read-only store, which has none).
  WalCheckpointStats CheckpointStats() const;
  // Waits until at least `checkpoints` background checkpoints have run, or
  // `timeout` has passed; returns whether they have. For tests.
  bool WaitForCheckpointsForTesting(int64_t checkpoints, absl::Duration timeout) const;

  // Test hook: the next leader waits, before it takes its group, until at
  // least `writes` writes (its own included) are queued, so that a test can
  // make a group of a known size without sleeping. Applies to one leader.
  void HoldNextLeaderForTesting(int writes);

 private:
  struct Write;

  // A read connection borrowed from the pool, given back when the lease
  // ends. Defined in sqlite_event_store_reads.cc, where SqliteConnection is
  // complete.
  class ReaderLease {
   public:
    ReaderLease(const SqliteEventStore& store, std::unique_ptr<SqliteConnection> connection);
    ReaderLease(ReaderLease&&);
    ~ReaderLease();
    SqliteConnection& operator*() const { return *connection_; }
    SqliteConnection* operator->() const { return connection_.get(); }

   private:
    const SqliteEventStore& store_;
    std::unique_ptr<SqliteConnection> connection_;
  };

  SqliteEventStore(const SqliteStoreOptions& options, int32_t schema_version,
                   std::unique_ptr<SqliteConnection> writer,
                   std::unique_ptr<SqliteConnection> first_reader,
                   std::unique_ptr<SqliteWalCheckpointer> checkpointer);

  // Queues `write`, waits until it is committed (leading a commit if its
  // turn comes), and returns its result.
  absl::Status Submit(Write& write);

  // The leader's work: runs `group` in one transaction and sets each write's
  // status. Uses the writer connection; called without mu_. Returns whether
  // the transaction committed.
  bool CommitGroup(absl::Span<Write* const> group);

  // Runs one write inside the open transaction.
  absl::Status ApplyWrite(Write& write);
  // A snapshot's pieces (sqlite_schema.h): a part, the row that publishes
  // the snapshot (after checking that its parts are all stored; sets
  // write.older_parts), and the deletion of one part of the snapshots it
  // replaced (sets write.older_parts again).
  absl::Status ApplySnapshotPart(const Write& write);
  absl::Status ApplySnapshot(Write& write);
  absl::Status ApplyPruneSnapshotParts(Write& write);
  // Sets write.older_parts: whether the tenant has parts of snapshots older
  // than write.sequence.
  absl::Status FindOlderSnapshotParts(Write& write);
  // A redaction's rewrite, inside the open transaction.
  absl::Status ApplyRedaction(absl::string_view tenant, const RedactionPlan& plan,
                              uint64_t erased_at_sequence);
  // After a redaction committed: copies the write-ahead log into the file
  // and truncates it, so that no old page is left in it. UNAVAILABLE if a
  // reader kept it from finishing.
  absl::Status CheckpointAfterRedaction(absl::string_view tenant);
  // After that checkpoint: deletes the rows of unredacted_erasures of
  // `customers` up to `erased_at_sequence`, in a transaction of its own.
  absl::Status ForgetRedactedErasures(absl::string_view tenant,
                                      absl::Span<const CustomerId> customers,
                                      uint64_t erased_at_sequence);

  // The error of a write (`what`: "append to tenant acme") to a store
  // opened with SqliteStoreOptions::read_only.
  absl::Status ReadOnlyError(absl::string_view what) const;

  // OK if the file has the message history; FAILED_PRECONDITION for a
  // version-1 store opened read-only (`what`: "read message 4 of tenant
  // acme").
  // The messages of a conversation's timeline, each read into one message
  // handed to `take` (which may move from it) until it returns false.
  absl::Status ReadTimeline(absl::string_view tenant_id, ConversationId conversation,
                            std::optional<MessageCursor> after, size_t limit,
                            absl::FunctionRef<bool(StoredMessage&)> take) const;
  absl::Status CheckHistory(absl::string_view what) const;
  // OK if the file has the archive (schema version 3 or later).
  absl::Status CheckArchive(absl::string_view what) const;

  // The message that `sql` (kByExternalId or kLatestByThreadKey) finds for
  // `key` on `channel`; `key_name` names the key in errors.
  absl::StatusOr<std::optional<MessageLocation>> FindMessage(absl::string_view sql,
                                                             absl::string_view tenant_id,
                                                             Channel channel, absl::string_view key,
                                                             absl::string_view key_name) const;

  // Conditions of the leader's waits.
  bool HoldReleased() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool BatchFull() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  // A new read connection, which refuses writes.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> OpenReader(
      const SqliteStoreOptions& options);
  // A connection from the pool (a new one if none is idle), to be given back.
  absl::StatusOr<std::unique_ptr<SqliteConnection>> AcquireReader() const;
  void ReleaseReader(std::unique_ptr<SqliteConnection> reader) const;

  const SqliteStoreOptions options_;
  // The file's schema version since the open: kSqliteSchemaVersion, or 1
  // for a version-1 store opened read-only (which has no history).
  const int32_t schema_version_;

  // Used by the leader of the moment only; the queue makes leaders take
  // turns, so it needs no lock of its own.
  const std::unique_ptr<SqliteConnection> writer_;
  // Checkpoints the write-ahead log that writer_ writes (sqlite_wal_checkpointer.h);
  // null for a read-only store.
  std::unique_ptr<SqliteWalCheckpointer> checkpointer_;

  // One redaction at a time: a plan is read before its write is queued and
  // must not be overtaken by another one's rewrite of the same events.
  absl::Mutex redaction_mu_ ABSL_ACQUIRED_BEFORE(mu_);

  mutable absl::Mutex mu_;
  // Writes waiting or being committed, in arrival order; the front one's
  // thread is the leader. The writes live on their callers' stacks.
  std::deque<Write*> queue_ ABSL_GUARDED_BY(mu_);
  int64_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int hold_leader_until_ ABSL_GUARDED_BY(mu_) = 0;
  SqliteStoreStats stats_ ABSL_GUARDED_BY(mu_);

  mutable absl::Mutex readers_mu_;
  // Idle read connections.
  mutable std::vector<std::unique_ptr<SqliteConnection>> idle_readers_ ABSL_GUARDED_BY(readers_mu_);
};

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_SQLITE_EVENT_STORE_INTERNAL_H_
