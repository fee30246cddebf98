// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The embedded default store: a tenant's events in one SQLite file (WAL
// mode), shared by every tenant of the process.
//
//   omniroute::SqliteStoreOptions options;
//   options.path = "/var/lib/omniroute/events.db";
//   absl::StatusOr<std::unique_ptr<omniroute::EventStore>> store =
//       omniroute::OpenSqliteEventStore(options);
//
// Writes from all threads (Append and SaveSnapshot) are committed by group
// commit: the calls that arrive while a commit is in progress are queued, and
// the next commit writes all of them in one transaction with one sync. Each
// call still gets its own result: a batch that does not continue its tenant's
// log is refused alone, without failing the others of its group.
//
// Every stored event and snapshot carries a CRC-32C of its bytes; reads verify
// it, so damage on disk is reported as DATA_LOSS instead of being replayed.
//
// Thread-safety: the returned store is thread-safe; see EventStore. Writes go
// through one writer connection, used by one commit at a time. Reads (Read,
// LastSequence, ListTenants, LoadSnapshot) use a pool of read connections,
// one per concurrent reader, so they wait neither for commits nor for each
// other, and they see exactly the writes whose call has returned OK (and
// possibly some still in progress). The store must not be destroyed while a
// call is in progress.
//
// Several stores (in this process or others) may open the same file; SQLite's
// file locks serialize their commits and the sequence checks keep each
// tenant's log contiguous. The engine's single owner per tenant is still what
// makes appends succeed rather than race.

#ifndef OMNIROUTE_SQLITE_EVENT_STORE_H_
#define OMNIROUTE_SQLITE_EVENT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "omniroute/event_store.h"

namespace omniroute {

// How durable a write is once Append or SaveSnapshot has returned OK.
//
// Whatever the level, a commit is atomic: after any crash the file holds a
// prefix of the commits, each whole, and each tenant's log stays contiguous
// (kNoSync excepted, see there). A write that failed is not in the log as
// readers see it; but when the failure was the sync itself (UNAVAILABLE, an
// I/O error), a crash recovery may still bring its commit back, as with any
// fsync failure. Retrying is safe either way: a batch that did land makes its
// retry fail with FAILED_PRECONDITION instead of storing it twice.
enum class Durability {
  // A call returns OK only after its commit is fsync'ed to the write-ahead log
  // (SQLite synchronous=FULL in WAL mode). Acknowledged writes survive a
  // process crash, an OS crash and a power cut, on storage that honours
  // fsync. Costs one fsync per group commit, which group commit shares among
  // every call of the group.
  kSyncEachCommit,

  // A commit is handed to the OS before the call returns, but the write-ahead
  // log is fsync'ed only when a checkpoint copies it into the main file
  // (SQLite synchronous=NORMAL in WAL mode; a checkpoint runs about every
  // `checkpoint_pages` pages, ~4 MiB by default, of log). A process crash loses nothing acknowledged; an OS
  // crash or a power cut may lose the last acknowledged commits (never part
  // of one), and never corrupts the file.
  kSyncPeriodically,

  // Never fsync'ed (SQLite synchronous=OFF). A process crash loses nothing
  // acknowledged; an OS crash or a power cut may lose any of it and may leave
  // the file damaged (reported as DATA_LOSS or FAILED_PRECONDITION when next
  // read or opened). For tests and benchmarks.
  kNoSync,
};

// Options of OpenSqliteEventStore. Plain data; each field says its default.
struct SqliteStoreOptions {
  // The database file. Required; its directory must exist. SQLite keeps two
  // companion files next to it while the store is open, "<path>-wal" (the
  // write-ahead log: part of the data, never delete it on its own) and
  // "<path>-shm". ":memory:" is refused: use NewMemoryEventStore().
  std::string path;

  // Whether OpenSqliteEventStore creates an empty store when `path` does not
  // exist (or is an empty file). Default: true. When false, a missing store is
  // NOT_FOUND.
  bool create_if_missing = true;

  // What OK means for a write; see Durability. Default: kSyncEachCommit.
  Durability durability = Durability::kSyncEachCommit;

  // How long a commit leader (the thread whose write is first in the queue)
  // waits for more writes to join its commit. Default: zero, which means that
  // the leader commits whatever is queued when it takes the lead: a lone
  // writer never waits, and under load the writes that arrive while a commit
  // is syncing form the next group by themselves. A positive window adds up
  // to that much latency to every commit in exchange for fewer, bigger
  // commits when writers are few; the leader stops waiting as soon as
  // `max_batch_bytes` are queued. Must not be negative.
  absl::Duration group_commit_window = absl::ZeroDuration();

  // The most bytes (serialized events and snapshot states) that one commit
  // takes from the queue; the rest waits for the next commit. Bounds the
  // latency and the transaction size of a group. A single write bigger than
  // this is committed alone, never split or refused. Default: 4 MiB. Must be
  // positive.
  int64_t max_batch_bytes = int64_t{4} << 20;

  // A snapshot state larger than this is saved in pieces of this size, each
  // committed with whatever appends are queued at the time, and the
  // snapshot is published by a last small write once every piece is
  // stored. A snapshot saved whole would be one commit of megabytes (and,
  // when it replaces another, as much zeroing of the old one: see
  // secure_delete), and every append queued behind it would wait for it
  // to be written and synced. Default: 256 KiB. Must be positive.
  int64_t snapshot_part_bytes = int64_t{256} << 10;

  // How many pages (of the file's page size, 4 KiB by default) the
  // write-ahead log grows by before it is checkpointed into the main file.
  // Checkpoints run on a thread of the store's own, never inside a commit,
  // so no write waits for one; the log file stays about this long. Default:
  // 1000 (SQLite's own default). Must be positive.
  int64_t checkpoint_pages = 1000;

  // How long a connection waits for a lock held by another connection to the
  // same file (another store or process) before the call fails with
  // UNAVAILABLE. Default: 5 seconds. Must not be negative.
  absl::Duration busy_timeout = absl::Seconds(5);

  // Whether the store only reads the file, for tools that inspect a store
  // without risk of changing it (omniroute-log). The file is opened read-only:
  // nothing is ever created (`create_if_missing` is ignored: a missing store
  // is NOT_FOUND), a store not in WAL mode is left so, closing the store
  // leaves a write-ahead log that another process did not checkpoint as it
  // is, and Append and SaveSnapshot fail with FAILED_PRECONDITION. SQLite
  // still needs the "<path>-shm" and "<path>-wal" companions of a WAL file:
  // it creates them (empty) if they are missing and the directory is
  // writable, and leaves them behind. `durability` and the group commit
  // options have no effect. Default: false.
  bool read_only = false;

  // Whether OpenSqliteEventStore checks every page of the file (SQLite's
  // PRAGMA quick_check) so that damage anywhere fails the open with DATA_LOSS
  // rather than the first read that meets it. Costs a full read of the file.
  // Default: false (opening costs the same whatever the file's size).
  bool verify_on_open = false;
};

// Opens the store at `options.path`, creating it if it is missing and
// `options.create_if_missing` (and not `options.read_only`). The caller owns
// the store; destroying it closes the file.
//
// A store written before the message history existed (schema version 1) is
// upgraded when it is opened writable: its history is built from its events
// in one transaction, which reads the whole log once, so that open takes as
// long as a full replay. Opened read-only, such a store serves its events
// and snapshots as they are, and its history reads fail with
// FAILED_PRECONDITION until one writable open has upgraded it.
//
// Returns:
//   INVALID_ARGUMENT    an option is out of range (the message names it);
//   NOT_FOUND           no store at `path` and not `create_if_missing`;
//   FAILED_PRECONDITION the file is not an omniroute store (not a SQLite
//                       database, or another application's database), or its
//                       schema version is one this build does not know (a
//                       newer omniroute wrote it). The file is left untouched;
//   DATA_LOSS           the file is damaged (a truncated file, or any damage
//                       `verify_on_open` finds, or a damaged event met while
//                       upgrading, which leaves the file as it was);
//   UNAVAILABLE         the file cannot be opened or locked (permissions, a
//                       missing directory, another writer holding it past
//                       `busy_timeout`, a full disk).
absl::StatusOr<std::unique_ptr<EventStore>> OpenSqliteEventStore(const SqliteStoreOptions& options);

}  // namespace omniroute

#endif  // OMNIROUTE_SQLITE_EVENT_STORE_H_
