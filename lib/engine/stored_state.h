// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A tenant's state as its store holds it: the latest usable snapshot, then
// every event after it. Start-up rebuilds tenants this way, and so does the
// snapshotter, which folds only durable events so that what it saves is
// stored state by construction.

#ifndef OMNIROUTE_LIB_ENGINE_STORED_STATE_H_
#define OMNIROUTE_LIB_ENGINE_STORED_STATE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tenant/tenant_state.h"
#include "omniroute/event_store.h"

namespace omniroute {

struct StoredState {
  tenant::TenantState state;
  // The sequence of the snapshot the state was rebuilt from; 0 when it was
  // folded from the first event.
  uint64_t snapshot_sequence = 0;
};

// Rebuilds `tenant_id`'s state from `store`: its latest snapshot, then every
// event after it. A snapshot that cannot be used (unknown format, damaged)
// costs a full replay, never the tenant. Returns the store's error, or
// DATA_LOSS if a stored event does not apply. A tenant without events gives
// an empty state.
//
// The events after the snapshot are read and parsed on a second thread
// while the snapshot is rebuilt, at most `prefetch_events` of them, so that
// a long tail (snapshots that kept failing) is not held in memory whole; the
// rest is read as the fold goes.
inline constexpr size_t kDefaultPrefetchEvents = size_t{1} << 18;
absl::StatusOr<StoredState> LoadStoredState(const EventStore& store, absl::string_view tenant_id,
                                            size_t prefetch_events = kDefaultPrefetchEvents);

// Folds the events stored after `state`'s last one into it. On error the
// events before the failing one stay applied, so `state` is still the
// stored state at its own last_sequence(). Returns the store's error, or
// DATA_LOSS if a stored event does not apply.
absl::Status FoldStoredTail(const EventStore& store, tenant::TenantState& state);

}  // namespace omniroute

#endif  // OMNIROUTE_LIB_ENGINE_STORED_STATE_H_
