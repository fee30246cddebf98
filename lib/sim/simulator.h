// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A discrete-event simulator of a contact centre that drives the real
// engine. Each replication opens an omniroute::Engine on a ManualClock with
// no event store, configures one tenant from the scenario (queues, routing,
// agents, all AVAILABLE) and runs a virtual-time event loop: the next event
// is the earliest of the next arrival per channel, the next end of handling,
// the next customer to run out of patience and the engine's own next timer
// (Engine::NextTimer). The clock is moved to exactly that time, then the
// arrival becomes Engine::IngestMessage from a new customer, the end of
// handling becomes CompleteTask, TransferTask or Handoff, the patience
// AbandonTask (if no agent took the task yet), the timer RunDueTimers.
// Routing is not modelled here: every decision is the engine's, observed
// through EngineOptions::on_commit (TaskCreated, TaskAssigned, TaskEnded,
// ...), and waits are the event times' differences.
//
//   auto report = omniroute::sim::Simulate(scenario);
//
// Reproducible: the same scenario (seed included) gives the same report,
// whatever SimulateOptions::threads is.
//
// Thread-safe: Simulate may run on several threads at once.

#ifndef OMNIROUTE_LIB_SIM_SIMULATOR_H_
#define OMNIROUTE_LIB_SIM_SIMULATOR_H_

#include "absl/status/statusor.h"
#include "omniroute/v1/simulation.pb.h"

namespace omniroute::sim {

struct SimulateOptions {
  // Replications run on this many threads at once (each has its own
  // engine). Default 1. Does not change the report.
  int threads = 1;
};

// Runs `scenario` and reports its figures.
//
// Errors:
//   INVALID_ARGUMENT, the message starting with the scenario field's path,
//     for a bad scenario: a missing or negative duration, a probability out
//     of range, a handoff to a channel without a ChannelSpec, a queue or
//     agent group the engine refuses (its reason follows the field), a task
//     that no rule or default queue routes, ...
//   INVALID_ARGUMENT for options.threads below 1.
//   Other codes only if the engine fails unexpectedly (INTERNAL).
absl::StatusOr<::omniroute::v1::SimulationReport> Simulate(
    const ::omniroute::v1::Scenario& scenario, const SimulateOptions& options = {});

}  // namespace omniroute::sim

#endif  // OMNIROUTE_LIB_SIM_SIMULATOR_H_
