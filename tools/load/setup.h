// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What a load run creates before it starts: its own tenant (so that runs
// never see each other's customers), and for the mixed workload the routing
// that makes tasks real: a queue per kind of channel, a rule for each, and
// agents who serve every channel, present and available.

#ifndef OMNIROUTE_TOOLS_LOAD_SETUP_H_
#define OMNIROUTE_TOOLS_LOAD_SETUP_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "load/connections.h"
#include "load/workload.h"

namespace omniroute::load {

struct SetupOptions {
  std::string tenant;
  WorkloadKind workload = WorkloadKind::kPing;
  int agents = 0;
  // Capacity units of each agent (a chat costs 2, a call 4, the others 1).
  int agent_capacity = 12;
  // The tenant's TenantSettings.closed_retention; unset: the server's default.
  std::optional<absl::Duration> closed_retention;
  std::chrono::milliseconds rpc_timeout{10000};
};

// The agents' ids (none unless mixed); an error names the step that failed.
absl::StatusOr<std::vector<std::string>> SetUpTenant(Connections& connections,
                                                    const SetupOptions& options);

}  // namespace omniroute::load

#endif  // OMNIROUTE_TOOLS_LOAD_SETUP_H_
