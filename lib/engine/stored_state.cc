// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "engine/stored_state.h"

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "omniroute/v1/events.pb.h"

namespace omniroute {

absl::StatusOr<StoredState> LoadStoredState(const EventStore& store, absl::string_view tenant_id,
                                            size_t prefetch_events) {
  StoredState out{tenant::TenantState(std::string(tenant_id))};
  absl::StatusOr<EventStore::Snapshot> snapshot = store.LoadSnapshot(tenant_id);
  if (snapshot.ok()) {
    std::vector<::omniroute::v1::Event> tail;
    absl::Status tail_read;
    std::thread prefetch([&] {
      tail_read = store.Read(tenant_id, snapshot->sequence + 1,
                             [&](const ::omniroute::v1::Event& event) {
                               tail.push_back(event);
                               return tail.size() < prefetch_events;
                             });
    });
    absl::StatusOr<tenant::TenantState> state =
        tenant::TenantState::FromSerializedSnapshot(snapshot->state);
    prefetch.join();
    // Whatever is wrong with it, the log is whole: replay it instead.
    if (state.ok() && state->tenant_id() == tenant_id &&
        state->last_sequence() == snapshot->sequence) {
      out.state = *std::move(state);
      out.snapshot_sequence = snapshot->sequence;
      // A failed read is read again, and reported, by the fold below.
      if (tail_read.ok()) {
        for (const ::omniroute::v1::Event& event : tail) {
          if (absl::Status s = out.state.Apply(event); !s.ok()) return s;
        }
      }
    }
  } else if (!absl::IsNotFound(snapshot.status())) {
    return snapshot.status();
  }
  if (absl::Status s = FoldStoredTail(store, out.state); !s.ok()) return s;
  return out;
}

absl::Status FoldStoredTail(const EventStore& store, tenant::TenantState& state) {
  absl::Status applied = absl::OkStatus();
  absl::Status read = store.Read(state.tenant_id(), state.last_sequence() + 1,
                                 [&](const ::omniroute::v1::Event& event) {
                                   applied = state.Apply(event);
                                   return applied.ok();
                                 });
  if (!read.ok()) return read;
  return applied;
}

}  // namespace omniroute
