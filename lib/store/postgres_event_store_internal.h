// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The concrete PostgreSQL event store behind OpenPostgresEventStore, visible
// to the library's tests for its counters. Users go through
// omniroute/postgres_event_store.h, which says what the store promises.
//
// Group commit (postgres_event_store.cc), as the SQLite store's: appends are
// queued in arrival order; the thread whose append is first in the queue is
// the leader: it takes every queued append (up to max_batch_bytes), runs
// them in one transaction on the writer connection, each under its own
// SAVEPOINT (when the group has more than one), commits once, then hands
// each follower its own result and the lead to the next queued append. Only
// the leader of the moment uses the writer connection, without holding the
// queue's mutex, so that writers can queue meanwhile.
//
// Every other call (reads, snapshots, redactions) borrows a connection from
// a bounded pool (postgres_event_store_reads.cc): one statement or one
// short transaction of its own, the connection given back before any
// visitor runs. A Read streams the log a chunk at a time, each chunk one
// query by keyset (sequence >= next ... LIMIT), so that neither the store
// nor the server holds a tenant's whole log.

#ifndef OMNIROUTE_LIB_STORE_POSTGRES_EVENT_STORE_INTERNAL_H_
#define OMNIROUTE_LIB_STORE_POSTGRES_EVENT_STORE_INTERNAL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "omniroute/event_store.h"
#include "omniroute/postgres_event_store.h"
#include "omniroute/v1/events.pb.h"
#include "store/postgres_connection.h"

namespace omniroute::store {

// The sequence of `tenant`'s last event as `connection` sees it (inside its
// transaction, if one is open); 0 if none.
absl::StatusOr<uint64_t> PostgresLastSequence(PgConnection& connection, absl::string_view tenant);

// Counters of the commit queue since the store was opened.
struct PostgresStoreStats {
  // Append calls with at least one event that reached the queue.
  int64_t appends = 0;
  // Transactions committed by leaders.
  int64_t commits = 0;
  // The most appends that one transaction carried.
  int64_t largest_group = 0;
  // Appends refused by the fence (PostgresStoreOptions::fence): the node
  // held no lease on the tenant, or its lease row had moved on.
  int64_t refused_not_owner = 0;
};

// What every connection of the store runs on a new session: the schema's
// search path, and the idle-in-transaction timeout when one is set.
std::string StoreSessionSetup(const PostgresStoreOptions& options);

class PostgresEventStore final : public EventStore {
 public:
  // See OpenPostgresEventStore.
  static absl::StatusOr<std::unique_ptr<PostgresEventStore>> Open(
      const PostgresStoreOptions& options);

  ~PostgresEventStore() override;

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
  // Plans with customer_redaction.h, rewrites in one transaction on a pooled
  // connection, then VACUUM FULL of the tables it changed and the erasures'
  // rows deleted (postgres_event_store_erasure.cc).
  absl::Status RedactCustomer(absl::string_view tenant_id,
                              const CustomerRedaction& redaction) override;
  absl::StatusOr<std::vector<uint64_t>> ListUnredactedErasures(
      absl::string_view tenant_id) const override;

  PostgresStoreStats Stats() const;

  // Test hook: the next leader waits, before it takes its group, until at
  // least `writes` appends (its own included) are queued, so that a test can
  // make a group of a known size without sleeping. Applies to one leader.
  void HoldNextLeaderForTesting(int writes);

 private:
  // The messages of a conversation's timeline, each read into one message
  // handed to `take` (which may move from it) until it returns false.
  absl::Status ReadTimeline(absl::string_view tenant_id, ConversationId conversation,
                            std::optional<MessageCursor> after, size_t limit,
                            absl::FunctionRef<bool(StoredMessage&)> take) const;
  struct Write;

  // A pooled connection, given back (or, if it broke, closed) when the lease
  // ends.
  class Lease {
   public:
    Lease(const PostgresEventStore& store, std::unique_ptr<PgConnection> connection);
    Lease(Lease&&) = default;
    ~Lease();
    PgConnection& operator*() const { return *connection_; }
    PgConnection* operator->() const { return connection_.get(); }

   private:
    const PostgresEventStore& store_;
    std::unique_ptr<PgConnection> connection_;
  };

  PostgresEventStore(const PostgresStoreOptions& options, std::string target,
                     std::unique_ptr<PgConnection> writer,
                     std::unique_ptr<PgConnection> first_pooled);

  // Queues `write`, waits until it is committed (leading a commit if its
  // turn comes), and returns its result.
  absl::Status Submit(Write& write);
  // The leader's work: runs `group` in one transaction on the writer and
  // sets each write's status. Called without mu_. Returns whether the
  // transaction committed.
  bool CommitGroup(absl::Span<Write* const> group);
  enum class GroupOutcome { kCommitted, kFailed, kRetryOneByOne };
  // CommitGroup in a fixed number of statements, whatever the group's size:
  // the leases and the last sequences of all its tenants read by one
  // statement each, all its events inserted by one, all its message rows
  // by one. A statement that fails on a sound connection rolls back and
  // asks for the group again one write at a time, which finds the write to
  // blame.
  GroupOutcome CommitGroupBatched(absl::Span<Write* const> group);
  // CommitGroup one write after the other, each in a savepoint.
  bool CommitGroupOneByOne(absl::Span<Write* const> group);
  // One append inside the open transaction.
  absl::Status ApplyAppend(const Write& write);
  // Counts a refusal by the fence and tells the fence.
  absl::Status RefuseNotOwner(absl::string_view tenant, absl::Status why);

  bool HoldReleased() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  // A connection from the pool, waiting while `pool_size` are lent out.
  absl::StatusOr<Lease> Acquire() const;
  void Release(std::unique_ptr<PgConnection> connection) const;
  bool PoolHasRoom() const ABSL_SHARED_LOCKS_REQUIRED(pool_mu_);

  // The message that `sql` finds for (channel, key); `key_name` names the
  // key in errors.
  absl::StatusOr<std::optional<MessageLocation>> FindMessage(const char* sql,
                                                             absl::string_view tenant_id,
                                                             Channel channel, absl::string_view key,
                                                             absl::string_view key_name) const;

  const PostgresStoreOptions options_;
  // Where the database is, for messages (DescribePostgresTarget).
  const std::string target_;

  // Used by the leader of the moment only; the queue makes leaders take
  // turns, so it needs no lock of its own.
  const std::unique_ptr<PgConnection> writer_;

  // One redaction at a time: a plan is read before it is written and must
  // not be overtaken by another one's rewrite of the same events.
  absl::Mutex redaction_mu_;

  mutable absl::Mutex mu_;
  // Appends waiting or being committed, in arrival order; the front one's
  // thread is the leader. The writes live on their callers' stacks.
  std::deque<Write*> queue_ ABSL_GUARDED_BY(mu_);
  int hold_leader_until_ ABSL_GUARDED_BY(mu_) = 0;
  PostgresStoreStats stats_ ABSL_GUARDED_BY(mu_);

  mutable absl::Mutex pool_mu_;
  mutable std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(pool_mu_);
  // Connections lent out or idle.
  mutable int open_ ABSL_GUARDED_BY(pool_mu_) = 0;
};

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_POSTGRES_EVENT_STORE_INTERNAL_H_
