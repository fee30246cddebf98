// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "engine/snapshotter.h"

#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

#include "absl/strings/str_cat.h"
#include "engine/stored_state.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute {
namespace {

// A snapshot's fold is a second copy of the tenant's state, built on this
// thread and dropped right after. glibc keeps freed memory for reuse rather
// than returning it, so without this the process would stay at the size of
// two states after the first snapshot (the soak measured +15 MiB on a
// 36 MiB server, benchmarks/README.md). malloc_trim gives back every free
// page of every arena; it costs a walk of the free lists, on this thread.
void ReturnFreedMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

// The background thread folds a whole tenant's log: seconds of CPU that the
// tenant's commands, on the same few cores, need more. At a lower priority
// (nice 10: about a tenth of a contended core) it takes what they leave
// and still finishes when the cores are all busy, where an idle-only
// policy would never snapshot a saturated server. Named for perf and top.
constexpr int kBackgroundNice = 10;

void LowerBackgroundThreadPriority() {
#if defined(__linux__)
  pthread_setname_np(pthread_self(), "omr-snapshot");
  // Per thread on Linux: `who` is the thread's id. A failure leaves the
  // thread at the normal priority, which is only slower for the others.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBackgroundNice);
#endif
}

}  // namespace

Snapshotter::Snapshotter(EventStore& store, const Options& options)
    : store_(store), keep_states_(options.keep_states), on_snapshot_(options.on_snapshot) {
  if (options.background) thread_ = std::thread([this] { Run(); });
}

Snapshotter::~Snapshotter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

Snapshotter::TenantSlot& Snapshotter::Slot(absl::string_view tenant_id) {
  auto it = slots_.find(tenant_id);
  if (it == slots_.end()) {
    it = slots_.emplace(std::string(tenant_id), std::make_unique<TenantSlot>()).first;
  }
  return *it->second;
}

void Snapshotter::Request(absl::string_view tenant_id) {
  absl::MutexLock lock(&mu_);
  TenantSlot& slot = Slot(tenant_id);
  if (slot.queued) return;
  slot.queued = true;
  queue_.emplace_back(tenant_id);
  ++queued_total_;
}

absl::StatusOr<uint64_t> Snapshotter::Take(absl::string_view tenant_id) {
  std::unique_ptr<tenant::TenantState> state;
  TenantSlot* slot;
  {
    absl::MutexLock lock(&mu_);
    slot = &Slot(tenant_id);
    mu_.Await(absl::Condition(&NotBusy, static_cast<const TenantSlot*>(slot)));
    slot->busy = true;
    state = std::move(slot->state);
  }
  const absl::Time started = absl::Now();
  size_t bytes = 0;
  absl::StatusOr<uint64_t> saved = FoldAndSave(tenant_id, state, &bytes);
  if (on_snapshot_) on_snapshot_(bytes, absl::Now() - started, saved.status());
  // A state that failed half way is dropped: the next snapshot rebuilds it.
  if (!saved.ok() || !keep_states_) {
    state.reset();
    ReturnFreedMemory();
  }
  absl::MutexLock lock(&mu_);
  slot->busy = false;
  if (saved.ok()) {
    ++stats_.saved;
    stats_.last_sequence = *saved;
    if (keep_states_) slot->state = std::move(state);
  } else {
    ++stats_.failed;
    stats_.last_failure = absl::Status(
        saved.status().code(),
        absl::StrCat("snapshot of tenant_id \"", tenant_id, "\": ", saved.status().message()));
  }
  return saved;
}

absl::StatusOr<uint64_t> Snapshotter::FoldAndSave(absl::string_view tenant_id,
                                                  std::unique_ptr<tenant::TenantState>& state,
                                                  size_t* bytes_out) {
  if (state == nullptr) {
    absl::StatusOr<StoredState> stored = LoadStoredState(store_, tenant_id);
    if (!stored.ok()) return stored.status();
    state = std::make_unique<tenant::TenantState>(std::move(stored->state));
  } else if (absl::Status s = FoldStoredTail(store_, *state); !s.ok()) {
    state.reset();
    return s;
  }
  google::protobuf::Arena arena(tenant::SnapshotArenaOptions());
  auto* proto = google::protobuf::Arena::CreateMessage<::omniroute::v1::TenantSnapshot>(&arena);
  state->ToSnapshot(proto);
  std::string bytes;
  if (!proto->SerializeToString(&bytes)) {
    return absl::InternalError("the tenant state could not be serialized");
  }
  *bytes_out = bytes.size();
  const uint64_t sequence = state->last_sequence();
  if (absl::Status s = store_.SaveSnapshot(tenant_id, sequence, bytes); !s.ok()) return s;
  return sequence;
}

void Snapshotter::Run() {
  LowerBackgroundThreadPriority();
  mu_.Lock();
  for (;;) {
    mu_.Await(absl::Condition(this, &Snapshotter::HasWorkOrStopping));
    // Stopping, but the snapshots asked for are taken first.
    if (queue_.empty()) break;
    std::string tenant_id = std::move(queue_.front());
    queue_.pop_front();
    Slot(tenant_id).queued = false;
    mu_.Unlock();
    // A failure is counted in the stats and fails nobody: the next start-up
    // replays a longer tail.
    (void)Take(tenant_id);
    mu_.Lock();
    ++finished_total_;
  }
  mu_.Unlock();
}

void Snapshotter::WaitForRequested() const {
  absl::MutexLock lock(&mu_);
  const uint64_t target = queued_total_;
  auto finished = [this, target]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    return finished_total_ >= target;
  };
  mu_.Await(absl::Condition(&finished));
}

SnapshotStats Snapshotter::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace omniroute
