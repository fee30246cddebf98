// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Snapshots taken off the tenant's lock. A snapshot is built from the store,
// not from the live state: the tenant's latest snapshot (or an empty state),
// then the events stored after it (EventStore::Read), folded into a private
// tenant::TenantState, serialized and saved. Only durable events are folded,
// so a snapshot is of stored state by construction, and no command or read
// of the tenant ever waits for one.
//
// The folded state is rebuilt for every snapshot and dropped after it
// (keep_states = false, what the engine uses), rather than kept alive and
// folded on from one snapshot to the next. Keeping it spares the parse and
// index rebuild of the last snapshot, but holds a second copy of every
// snapshotted tenant's state in memory for the life of the engine, and
// memory is what bounds a node (the design keeps it flat however long a
// tenant lives). Measured (benchmarks/snapshot_benchmark.cc, 200k messages,
// 460k events): a snapshot takes 1.72 s rebuilt and 1.19 s kept, and the
// kept state holds 161 MB of heap against 2 MB. Rebuilding costs CPU on
// the one background thread, which coalesces requests, so it takes at most
// one core however often snapshots are asked for; it runs at a lower
// priority (nice 10) than the threads that serve the tenants, so that a
// snapshot's fold takes the CPU they leave rather than theirs.
//
// Thread-safe. The background thread is stopped by the destructor, which
// first lets it take the snapshots already asked for.

#ifndef OMNIROUTE_LIB_ENGINE_SNAPSHOTTER_H_
#define OMNIROUTE_LIB_ENGINE_SNAPSHOTTER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "tenant/tenant_state.h"

namespace omniroute {

class Snapshotter {
 public:
  struct Options {
    // Whether to start the thread that serves Request(). Without it, only
    // Take() works.
    bool background = true;
    // Whether to keep each tenant's folded state between snapshots (fold
    // only the new events next time) instead of rebuilding it from the
    // store's snapshot. See the file comment.
    bool keep_states = false;
    // Called after each snapshot taken (EngineOptions::on_snapshot).
    std::function<void(size_t bytes, absl::Duration took, const absl::Status& result)> on_snapshot;
  };

  // `store` is not owned and must outlive the snapshotter.
  Snapshotter(EventStore& store, const Options& options);
  // Waits for the snapshots asked for (Request) and being taken, then stops
  // the background thread.
  ~Snapshotter();
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  // Asks the background thread for a snapshot of the tenant. Cheap (a lock
  // and a lookup): meant to be called from the commit path. A request for a
  // tenant already waiting for its snapshot joins that one, which will fold
  // every event stored by the time it runs.
  void Request(absl::string_view tenant_id) ABSL_LOCKS_EXCLUDED(mu_);

  // Takes a snapshot of the tenant's stored state on the caller's thread and
  // returns the sequence it is of. Snapshots of one tenant are taken one at
  // a time (a call waits for the one in progress), so a saved snapshot never
  // replaces a newer one. Returns the store's error, DATA_LOSS if a stored
  // event does not apply, INTERNAL if the state cannot be serialized.
  absl::StatusOr<uint64_t> Take(absl::string_view tenant_id) ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until every snapshot asked for before the call is saved or has
  // failed. Returns at once without the background thread.
  void WaitForRequested() const ABSL_LOCKS_EXCLUDED(mu_);

  SnapshotStats stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct TenantSlot {
    // Waiting in queue_.
    bool queued = false;
    // A snapshot of the tenant is being taken (by the background thread or
    // Take). Only the thread that set it touches `state`.
    bool busy = false;
    // The folded state kept between snapshots (keep_states only).
    std::unique_ptr<tenant::TenantState> state;
  };

  TenantSlot& Slot(absl::string_view tenant_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Folds `state` (loaded from the store when null) up to the store's last
  // event and saves it; returns its sequence.
  absl::StatusOr<uint64_t> FoldAndSave(absl::string_view tenant_id,
                                       std::unique_ptr<tenant::TenantState>& state,
                                       size_t* bytes_out);
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || stopping_;
  }
  static bool NotBusy(const TenantSlot* slot) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return !slot->busy;
  }

  EventStore& store_;
  const bool keep_states_;
  const std::function<void(size_t, absl::Duration, const absl::Status&)> on_snapshot_;
  mutable absl::Mutex mu_;
  // Slots are never removed, so references to them stay valid.
  absl::flat_hash_map<std::string, std::unique_ptr<TenantSlot>> slots_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  // Requests queued and requests finished (saved or failed), for
  // WaitForRequested: the queue is served in order.
  uint64_t queued_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t finished_total_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  SnapshotStats stats_ ABSL_GUARDED_BY(mu_);
  // Last: started once everything it uses is built.
  std::thread thread_;
};

}  // namespace omniroute

#endif  // OMNIROUTE_LIB_ENGINE_SNAPSHOTTER_H_
