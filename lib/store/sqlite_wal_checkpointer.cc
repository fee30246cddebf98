// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/sqlite_wal_checkpointer.h"

#include <sqlite3.h>

#if defined(__linux__)
#include <pthread.h>
#endif

#include <algorithm>
#include <utility>

#include "store/sqlite_connection.h"

namespace omniroute::store {

absl::StatusOr<std::unique_ptr<SqliteWalCheckpointer>> SqliteWalCheckpointer::Start(
    const std::string& path, const char* synchronous, absl::Duration busy_timeout,
    int64_t checkpoint_pages) {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> connection =
      SqliteConnection::Open(path, SQLITE_OPEN_READWRITE, busy_timeout);
  if (!connection.ok()) return connection.status();
  // A checkpoint syncs by its own connection's setting.
  if (absl::Status s = (*connection)->ExecuteScript(synchronous, "setting the durability");
      !s.ok()) {
    return s;
  }
  // Only this connection's explicit checkpoints: it never commits, but an
  // automatic checkpoint of its own would be one more writer of the file.
  sqlite3_wal_autocheckpoint((*connection)->db(), 0);
  return std::unique_ptr<SqliteWalCheckpointer>(
      new SqliteWalCheckpointer(*std::move(connection), checkpoint_pages));
}

SqliteWalCheckpointer::SqliteWalCheckpointer(std::unique_ptr<SqliteConnection> connection,
                                             int64_t checkpoint_pages)
    : connection_(std::move(connection)), checkpoint_pages_(checkpoint_pages) {
  thread_ = std::thread([this] { Run(); });
}

SqliteWalCheckpointer::~SqliteWalCheckpointer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

bool SqliteWalCheckpointer::WalGrew(int64_t log_frames) {
  absl::MutexLock lock(&mu_);
  // A smaller log is a log that started again after a complete checkpoint.
  if (log_frames < log_frames_) {
    ++generation_;
    ++stats_.log_restarts;
    backfilled_ = 0;
    retry_at_ = 0;
    finish_wanted_ = false;
  }
  log_frames_ = log_frames;
  return finish_wanted_ || log_frames_ >= 4 * checkpoint_pages_;
}

void SqliteWalCheckpointer::FinishOnWriter(sqlite3* writer) {
  // Not alongside this thread's checkpoint, which SQLite would refuse as
  // busy. When this thread asked for it, it is idle; when the log has grown
  // to four times its length, waiting for this thread's checkpoint to end
  // is the back-pressure that bounds the log.
  running_mu_.Lock();
  int64_t generation;
  bool whole;
  {
    absl::MutexLock lock(&mu_);
    generation = generation_;
    whole = !finish_wanted_;
  }
  int log = 0;
  int checkpointed = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(writer, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &checkpointed);
  running_mu_.Unlock();
  absl::MutexLock lock(&mu_);
  ++stats_.finished_on_writer;
  if (whole) ++stats_.whole_on_writer;
  finish_wanted_ = false;
  Record(generation, rc, log, checkpointed, writer);
}

void SqliteWalCheckpointer::Record(int64_t generation, int rc, int log, int checkpointed,
                                   sqlite3* db) {
  if (rc == SQLITE_BUSY) {
    // A lock another connection held for a moment (a writer beginning on a
    // fully copied log, another process's checkpoint): nothing is wrong,
    // and a later checkpoint copies what this one could not.
    ++stats_.busy;
    retry_at_ = log_frames_ + checkpoint_pages_ / 4;
    return;
  }
  if (rc != SQLITE_OK) {
    // An I/O error: the thread tries again once the log has grown some more.
    ++stats_.failed;
    stats_.last_failure = SqliteError(rc, db, "checkpointing the write-ahead log");
    retry_at_ = log_frames_ + checkpoint_pages_;
    return;
  }
  stats_.last_log_frames = log;
  stats_.last_checkpointed_frames = checkpointed;
  if (generation == generation_) backfilled_ = std::max<int64_t>(backfilled_, checkpointed);
}

bool SqliteWalCheckpointer::Due() const {
  return stopping_ || (!finish_wanted_ && log_frames_ - backfilled_ >= checkpoint_pages_ &&
                       log_frames_ >= retry_at_);
}

void SqliteWalCheckpointer::Run() {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "omr-checkpoint");  // For perf and top.
#endif
  mu_.Lock();
  for (;;) {
    mu_.Await(absl::Condition(this, &SqliteWalCheckpointer::Due));
    if (stopping_) break;
    const int64_t generation = generation_;
    mu_.Unlock();
    int log = 0;
    int checkpointed = 0;
    int rc;
    {
      absl::MutexLock running(&running_mu_);
      rc = sqlite3_wal_checkpoint_v2(connection_->db(), "main", SQLITE_CHECKPOINT_PASSIVE, &log,
                                     &checkpointed);
    }
    mu_.Lock();
    ++stats_.checkpoints;
    Record(generation, rc, log, checkpointed, connection_->db());
    // The writer copies what it appended meanwhile, at its next commit, and
    // the log can then start again; until then this thread waits.
    if (rc == SQLITE_OK && generation == generation_) finish_wanted_ = true;
  }
  mu_.Unlock();
}

WalCheckpointStats SqliteWalCheckpointer::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool SqliteWalCheckpointer::WaitForCheckpoints(int64_t checkpoints, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, checkpoints]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return stats_.checkpoints >= checkpoints;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

}  // namespace omniroute::store
