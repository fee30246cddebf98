// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "sim/simulator.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sim/replication.h"
#include "sim/scenario.h"
#include "sim/tally.h"

namespace omniroute::sim {

namespace v1 = ::omniroute::v1;

absl::StatusOr<v1::SimulationReport> Simulate(const v1::Scenario& scenario,
                                              const SimulateOptions& options) {
  if (options.threads < 1) return absl::InvalidArgumentError("threads: must be at least 1");
  absl::StatusOr<ScenarioPlan> plan = PlanScenario(scenario);
  if (!plan.ok()) return plan.status();

  const int n = plan->replications;
  std::vector<ReplicationTally> tallies(static_cast<size_t>(n));
  std::vector<absl::Status> statuses(static_cast<size_t>(n));
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    for (int i = next++; i < n && !failed; i = next++) {
      Replication replication(*plan, i);
      statuses[i] = replication.Run();
      if (statuses[i].ok()) {
        tallies[i] = std::move(replication.tally());
      } else {
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < std::min(options.threads, n); ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  // The first failure in replication order: the same error whatever the
  // number of threads (a bad scenario fails every replication alike).
  for (const absl::Status& s : statuses) {
    if (!s.ok()) return s;
  }
  return BuildReport(*plan, tallies);
}

}  // namespace omniroute::sim

