// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Checkpoints of the SQLite store's write-ahead log, run on a thread of
// their own instead of inside a commit.
//
// By default SQLite checkpoints on the connection that commits, right after
// the commit that takes the log past 1000 pages: that commit copies the log
// into the main file and syncs the main file before its caller gets its
// answer, and every write queued behind it waits as long. The store turns
// that off on its writer and shares the work with this thread:
//
//  - The writer's WAL hook reports the log's size after each commit
//    (WalGrew: a counter and a wake-up). Once the log has grown by
//    `checkpoint_pages` past what is already in the main file, this thread
//    runs a PASSIVE checkpoint on a connection of its own: it copies what no
//    reader still needs, never waits for readers or for the writer (which
//    goes on appending), and syncs the main file.
//  - A log only starts again from its beginning when a writer begins while
//    every frame of it is in the main file, and the writer keeps adding
//    frames while this thread copies. So once this thread's checkpoint is
//    done, WalGrew tells the writer to finish the job itself in its next
//    commit's hook: a PASSIVE checkpoint on the writer's connection, which
//    has only the frames of the commits made meanwhile to copy (a short copy
//    and a sync of little). The commit after that starts the log again, so
//    the log file stays about `checkpoint_pages` long. This thread waits
//    for that before it checkpoints again. If the log reaches four times
//    `checkpoint_pages` all the same (this thread fell behind), the writer
//    waits for this thread's checkpoint to end and checkpoints the rest, as
//    SQLite would have: the log's length is bounded.
//
// Thread-safe. The destructor stops the thread (after the checkpoint in
// progress, if any).

#ifndef OMNIROUTE_LIB_STORE_SQLITE_WAL_CHECKPOINTER_H_
#define OMNIROUTE_LIB_STORE_SQLITE_WAL_CHECKPOINTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct sqlite3;

namespace omniroute::store {

class SqliteConnection;

// What the checkpointer did since it started.
struct WalCheckpointStats {
  // Checkpoints run by the thread; those (by the thread or the writer) that
  // found a lock busy for a moment, and those that failed (a later one
  // retries either).
  int64_t checkpoints = 0;
  int64_t busy = 0;
  int64_t failed = 0;
  // Checkpoints the writer finished itself (see the file comment), and how
  // many of them had the whole log to copy because the thread fell behind.
  int64_t finished_on_writer = 0;
  int64_t whole_on_writer = 0;
  // Times the log started again from its beginning.
  int64_t log_restarts = 0;
  // Of the last checkpoint: the log's size and how much of it is now in the
  // main file, in pages (frames).
  int64_t last_log_frames = 0;
  int64_t last_checkpointed_frames = 0;
  absl::Status last_failure;
};

class SqliteWalCheckpointer {
 public:
  // Opens a connection to `path` for the checkpoints (with `synchronous`, a
  // PRAGMA statement: the checkpoint syncs as the writer's durability says)
  // and starts the thread. UNAVAILABLE if the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<SqliteWalCheckpointer>> Start(
      const std::string& path, const char* synchronous, absl::Duration busy_timeout,
      int64_t checkpoint_pages);

  ~SqliteWalCheckpointer();

  SqliteWalCheckpointer(const SqliteWalCheckpointer&) = delete;
  SqliteWalCheckpointer& operator=(const SqliteWalCheckpointer&) = delete;

  // The writer committed and its log now holds `log_frames` pages. Called
  // from the writer's WAL hook, inside its commit: it only records and wakes.
  // Returns whether the writer should finish the checkpoint now (see the
  // file comment): then it calls FinishOnWriter.
  bool WalGrew(int64_t log_frames);

  // Runs a PASSIVE checkpoint on `writer` (the writer's connection, from its
  // WAL hook), after this thread's checkpoint if one is running.
  void FinishOnWriter(sqlite3* writer);

  WalCheckpointStats Stats() const;

  // Held while a checkpoint runs. SQLite refuses a checkpoint while another
  // one of the same file is running (SQLITE_BUSY, without waiting), so the
  // store's own checkpoints (the truncating one after a redaction) take it
  // first.
  absl::Mutex& running() ABSL_LOCK_RETURNED(running_mu_) { return running_mu_; }

  // Waits until at least `checkpoints` checkpoints have run (succeeded or
  // failed), or `timeout` has passed; returns whether they have. For tests.
  bool WaitForCheckpoints(int64_t checkpoints, absl::Duration timeout) const;

 private:
  SqliteWalCheckpointer(std::unique_ptr<SqliteConnection> connection, int64_t checkpoint_pages);

  void Run();
  bool Due() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Records a checkpoint's outcome (by this thread or the writer) for the
  // log of `generation`.
  void Record(int64_t generation, int rc, int log, int checkpointed, sqlite3* db)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<SqliteConnection> connection_;
  const int64_t checkpoint_pages_;

  absl::Mutex running_mu_;
  mutable absl::Mutex mu_;
  // The log's size as the writer last reported it, and how much of it is in
  // the main file (as the last checkpoint of this generation of the log
  // left it; 0 after the log started again).
  int64_t log_frames_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t backfilled_ ABSL_GUARDED_BY(mu_) = 0;
  // Counts the times the log started again, so that a checkpoint's result
  // is not taken for the next log's.
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  // After a failed checkpoint, the log size before which this thread does
  // not try again.
  int64_t retry_at_ ABSL_GUARDED_BY(mu_) = 0;
  // This thread has checkpointed the log; the writer's next commit copies
  // the rest and lets the log start again.
  bool finish_wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  WalCheckpointStats stats_ ABSL_GUARDED_BY(mu_);

  std::thread thread_;
};

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_SQLITE_WAL_CHECKPOINTER_H_
