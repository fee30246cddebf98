// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Where a tenant belongs among the live nodes of a cluster: rendezvous
// (highest random weight) hashing. Each (tenant, node) pair gets a score
// from a hash that every node computes the same way, and the tenant
// belongs to the node with the highest score. When a node joins, only the
// tenants it now wins move (about 1/N of them), each to it; when one
// leaves, only its tenants move, spread over the others. No table of
// assignments is kept: every node derives the same answer from the same
// list of live nodes.
//
// Thread-safe (pure functions).

#ifndef OMNIROUTE_LIB_SERVICE_PLACEMENT_H_
#define OMNIROUTE_LIB_SERVICE_PLACEMENT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace omniroute::service {

// The score of `node` for `tenant`: a 64-bit hash of both (FNV-1a, then a
// finalizer that spreads its bits), the same in every process and build.
uint64_t PlacementScore(absl::string_view tenant, absl::string_view node);

// The node of `nodes` with the highest score for `tenant` (ties, which
// need equal hashes, go to the smaller id); "" when `nodes` is empty.
std::string PlaceTenant(absl::string_view tenant, absl::Span<const std::string> nodes);

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_PLACEMENT_H_
