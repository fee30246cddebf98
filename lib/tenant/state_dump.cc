// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "tenant/state_dump.h"

#include "absl/strings/str_cat.h"
#include "core/views.h"

namespace omniroute::tenant {

std::string DumpState(const TenantState& state) {
  return absl::StrCat("tenant ", state.tenant_id(), " sequence ", state.last_sequence(), "\n",
                      core::DumpState(state.core()), state.routing().Dump());
}

}  // namespace omniroute::tenant
