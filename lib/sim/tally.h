// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What one simulation replication counts, and how the counts of several
// replications become a v1.SimulationReport: pooled figures, plus standard
// errors from the spread between replications. Counts are sums, so pooling
// is addition and the order of replications does not matter.
//
// Thread-compatible: plain values.

#ifndef OMNIROUTE_LIB_SIM_TALLY_H_
#define OMNIROUTE_LIB_SIM_TALLY_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "omniroute/v1/simulation.pb.h"
#include "sim/scenario.h"

namespace omniroute::sim {

// The upper bounds of the wait distribution's buckets (WaitFigures), and
// the bucket of a wait: the first whose bound is at least the wait, or
// kWaitBucketBounds.size() for a longer one.
inline constexpr std::array<int64_t, 14> kWaitBucketBoundsSeconds = {
    0, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200, 1800};
size_t WaitBucketOf(absl::Duration wait);

// Waiting figures of a set of tasks (or of first responses).
struct WaitTally {
  int64_t offered = 0;
  int64_t answered = 0;
  int64_t abandoned = 0;
  int64_t unresolved = 0;
  int64_t answered_within_threshold = 0;
  // Answered after a wait, or abandoned.
  int64_t waited = 0;
  absl::Duration answered_wait;   // summed over the answered
  absl::Duration abandoned_wait;  // summed over the abandoned
  // By WaitBucketOf.
  std::array<int64_t, kWaitBucketBoundsSeconds.size() + 1> answered_by_wait{};
  std::array<int64_t, kWaitBucketBoundsSeconds.size() + 1> abandoned_by_wait{};

  void Answer(absl::Duration wait, absl::Duration threshold);
  void Abandon(absl::Duration waited_for);
  void Add(const WaitTally& other);

  // The rates of v1.WaitFigures; 0 when nothing was resolved.
  double ServiceLevel() const;
  double ProbabilityOfWaiting() const;
  double AverageSpeedOfAnswerSeconds() const;
};

// Capacity units in use over time, counted inside a window only.
struct BusyMeter {
  int units = 0;
  absl::Time since;
  // Unit-seconds inside the window so far.
  double unit_seconds = 0.0;

  // Changes the units in use at `now` by `delta`.
  void Change(absl::Time now, int delta, absl::Time window_start, absl::Time window_end);
  // Counts the time up to `now` (at the end of the run).
  void Close(absl::Time now, absl::Time window_start, absl::Time window_end);
};

struct ChannelTally {
  WaitTally tasks;
  int64_t handled = 0;
  absl::Duration handle_time;  // summed over `handled`
  BusyMeter busy;
  int64_t transfers = 0;
  int64_t handoffs_out = 0;
  int64_t handoffs_in = 0;
  int64_t handoffs_in_answered = 0;
  int64_t handoffs_same_agent = 0;
};

struct ConversationTally {
  int64_t offered = 0;
  int64_t completed = 0;
  int64_t abandoned = 0;
  int64_t unresolved = 0;
  WaitTally first_response;
  // Over finished (completed or abandoned) conversations.
  absl::Duration total_wait;
  int64_t any_wait = 0;
  int64_t transfers = 0;
  int64_t handoffs = 0;
  int64_t multi_assignment = 0;
  int64_t single_agent = 0;
};

struct GroupTally {
  BusyMeter busy;
  int64_t assignments = 0;
};

struct ReplicationTally {
  std::array<ChannelTally, kChannelSlots> channels;
  ConversationTally conversations;
  std::vector<GroupTally> groups;
  int64_t engine_events = 0;
};

// The report of `replications` (in replication order; antithetic twins
// adjacent) run from `plan`.
::omniroute::v1::SimulationReport BuildReport(const ScenarioPlan& plan,
                                              absl::Span<const ReplicationTally> replications);

}  // namespace omniroute::sim

#endif  // OMNIROUTE_LIB_SIM_TALLY_H_
