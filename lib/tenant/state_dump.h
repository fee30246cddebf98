// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A canonical text dump of a whole tenant (Engine::DumpState, the replay
// tool's fingerprints): equal states give equal text.
//
// Thread-compatible: reads a state the caller serializes.

#ifndef OMNIROUTE_LIB_TENANT_STATE_DUMP_H_
#define OMNIROUTE_LIB_TENANT_STATE_DUMP_H_

#include <string>

#include "tenant/tenant_state.h"

namespace omniroute::tenant {

// The tenant's id and last sequence on the first line, then the core's dump
// (core::DumpState) and routing's (routing::RoutingState::Dump).
std::string DumpState(const TenantState& state);

}  // namespace omniroute::tenant

#endif  // OMNIROUTE_LIB_TENANT_STATE_DUMP_H_
