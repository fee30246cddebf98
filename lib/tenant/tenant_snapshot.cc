// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// TenantState <-> TenantSnapshot: the tenant writes the format version, its
// id and sequence, and lets each part write its own fields (the core's:
// lib/core/snapshot.cc; routing's: lib/routing/routing_snapshot.cc).

#include "absl/strings/str_cat.h"
#include "tenant/tenant_state.h"

namespace omniroute::tenant {
namespace {

// 2: messages without bodies, senders, references or keys (history, in the
// event store).
// 3: sparse ids (archived conversations, messages, tasks and commitments are
// not listed; the next ids are), closed_at.
constexpr uint32_t kSnapshotFormatVersion = 3;

}  // namespace

void TenantState::ToSnapshot(::omniroute::v1::TenantSnapshot* snapshot) const {
  snapshot->set_format_version(kSnapshotFormatVersion);
  snapshot->set_tenant_id(tenant_id());
  snapshot->set_sequence(last_sequence_);
  core_.ToSnapshot(snapshot);
  routing_.ToSnapshot(snapshot->mutable_routing());
}

absl::StatusOr<TenantState> TenantState::FromSnapshot(
    const ::omniroute::v1::TenantSnapshot& snapshot) {
  if (snapshot.format_version() != kSnapshotFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot of tenant ", snapshot.tenant_id(), " has format version ",
                     snapshot.format_version(), "; this build reads version ",
                     kSnapshotFormatVersion));
  }
  absl::StatusOr<core::CoreState> core = core::CoreState::FromSnapshot(snapshot);
  if (!core.ok()) return core.status();
  absl::StatusOr<routing::RoutingState> routing =
      routing::RoutingState::FromSnapshot(snapshot.routing());
  if (!routing.ok()) {
    return absl::DataLossError(absl::StrCat("snapshot of tenant ", snapshot.tenant_id(),
                                            " at sequence ", snapshot.sequence(),
                                            " is inconsistent: ", routing.status().message()));
  }
  return TenantState(*std::move(core), *std::move(routing), snapshot.sequence());
}

}  // namespace omniroute::tenant
