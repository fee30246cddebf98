// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// One simulation replication (see sim/simulator.h): an engine of its own on
// a ManualClock, one tenant configured from the scenario's plan, and the
// virtual-time event loop that drives it. The engine's decisions are
// observed through EngineOptions::on_commit and counted into a
// ReplicationTally.
//
// Thread-compatible: one replication per thread; replications share
// nothing but their (read-only) plan.

#ifndef OMNIROUTE_LIB_SIM_REPLICATION_H_
#define OMNIROUTE_LIB_SIM_REPLICATION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/routing.h"
#include "omniroute/v1/events.pb.h"
#include "sim/sampling.h"
#include "sim/scenario.h"
#include "sim/tally.h"

namespace omniroute::sim {

class Replication {
 public:
  // Replication `index` (from 0) of `plan`, which must outlive it. The
  // index chooses its random streams (and, with antithetic pairs, whether
  // it mirrors its twin).
  Replication(const ScenarioPlan& plan, int index);
  Replication(const Replication&) = delete;
  Replication& operator=(const Replication&) = delete;

  // Opens the engine, configures the tenant and runs the event loop to the
  // end. INVALID_ARGUMENT (naming the scenario's field) for a configuration
  // the engine refuses or a task that reaches no queue; INTERNAL if an
  // engine call fails unexpectedly. Call once.
  absl::Status Run();

  // What the run counted; complete once Run() returned OK.
  ReplicationTally& tally() { return tally_; }

 private:
  // A simulator event; engine timers are not kept here (Engine::NextTimer).
  enum class Kind : uint8_t { kArrival, kHandlingDone, kPatience };

  struct Pending {
    absl::Time at;
    // Ties are taken in scheduling order, so runs are reproducible.
    uint64_t order = 0;
    Kind kind = Kind::kArrival;
    // The channel of an arrival; the task otherwise.
    uint64_t id = 0;

    friend bool operator>(const Pending& a, const Pending& b) {
      return a.at != b.at ? a.at > b.at : a.order > b.order;
    }
  };

  struct TaskState {
    uint64_t conversation = 0;
    Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
    TaskReason reason = ::omniroute::v1::TASK_REASON_UNSPECIFIED;
    absl::Time created;
    absl::Time assigned;
    // Index into Replication::agents_; -1 until assigned.
    int agent = -1;
    // Capacity units it holds (while assigned and in wrap-up).
    int units = 0;
    bool measured = false;
    bool answered = false;
    // Waiting, offered or assigned.
    bool live = true;
  };

  struct ConversationState {
    bool measured = false;
    uint64_t first_task = 0;
    int live_tasks = 0;
    int assignments = 0;
    int last_agent = -1;
    bool single_agent = true;
    bool abandoned = false;
    bool waited = false;
    absl::Duration total_wait;
  };

  struct AgentState {
    std::string id;
    int group = 0;
  };

  static uint32_t Pair(const ScenarioPlan& plan, int index) {
    return static_cast<uint32_t>(plan.antithetic ? index / 2 : index);
  }
  static bool Mirrored(const ScenarioPlan& plan, int index) {
    return plan.antithetic && index % 2 == 1;
  }

  absl::Status SetUp();
  absl::Status Arrive(Channel channel);
  absl::Status FinishHandling(uint64_t task_id);
  absl::Status RunOutOfPatience(uint64_t task_id);
  void ScheduleArrival(Channel channel);
  void Schedule(absl::Time at, Kind kind, uint64_t id) {
    pending_.push({at, order_++, kind, id});
  }

  // The engine's listener: every event of one command.
  void OnCommit(absl::Span<const ::omniroute::v1::Event> events);
  void OnTaskCreated(const ::omniroute::v1::TaskCreated& e, absl::Time now);
  void OnTaskAssigned(const ::omniroute::v1::TaskAssigned& e, absl::Time now);
  void OnTaskEnded(const ::omniroute::v1::TaskEnded& e, absl::Time now);
  void OnTaskCancelled(const ::omniroute::v1::TaskCancelled& e, absl::Time now);
  void ReleaseUnits(TaskState& task, absl::Time now);
  void Finish(ConversationState& conversation);
  void CountUnresolved();

  const ScenarioPlan& plan_;
  ManualClock clock_;
  const absl::Time start_;
  // Arrivals in [window_start_, window_end_) are measured; arrivals stop at
  // window_end_.
  const absl::Time window_start_;
  const absl::Time window_end_;
  std::unique_ptr<Engine> engine_;

  std::vector<RandomStream> arrival_rng_;
  RandomStream handle_rng_;
  RandomStream patience_rng_;
  RandomStream outcome_rng_;

  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
  uint64_t order_ = 0;
  int pending_arrivals_ = 0;

  std::vector<AgentState> agents_;
  absl::flat_hash_map<std::string, int> agent_index_;
  absl::flat_hash_map<uint64_t, TaskState> tasks_;
  absl::flat_hash_map<uint64_t, ConversationState> conversations_;
  // Conversations whose tasks ended in the current command: finished if
  // none is live once the whole command is seen (a handoff ends one task
  // and creates the next in the same command).
  std::vector<uint64_t> touched_;
  // Whether the conversation the current IngestMessage opens is measured.
  bool arrival_measured_ = false;
  int64_t customers_ = 0;
  int64_t measured_open_ = 0;
  // Set when a task reached no queue.
  Channel unrouted_ = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  ReplicationTally tally_;
};

}  // namespace omniroute::sim

#endif  // OMNIROUTE_LIB_SIM_REPLICATION_H_
