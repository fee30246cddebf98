// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A simulation scenario (proto/omniroute/v1/simulation.proto), checked and
// turned into what the event loop needs: per-channel traffic indexed by
// channel, the roster with each group's capacity cost per channel, and the
// tenant, routing, queue and agent configurations the engine takes. Every
// default the proto leaves to "zero" is made explicit here, once.
//
// Thread-compatible: plain values, read-only once built.

#ifndef OMNIROUTE_LIB_SIM_SCENARIO_H_
#define OMNIROUTE_LIB_SIM_SCENARIO_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "omniroute/routing.h"
#include "omniroute/tenant_options.h"
#include "omniroute/types.h"
#include "omniroute/v1/simulation.pb.h"

namespace omniroute::sim {

// Channel values, CHANNEL_UNSPECIFIED included, so a channel indexes arrays.
inline constexpr int kChannelSlots = ::omniroute::v1::Channel_ARRAYSIZE;

// Bounds that keep one run finite and its numbers meaningful.
inline constexpr int kMaxReplications = 1000;
inline constexpr int kMaxAgentsPerGroup = 100'000;
inline constexpr size_t kMaxGroupNameBytes = 48;

struct ChannelPlan {
  // The scenario has a ChannelSpec for this channel.
  bool present = false;
  double arrivals_per_second = 0.0;
  bool lognormal = false;
  absl::Duration mean_handle_time;
  absl::Duration handle_time_stddev;
  // Zero: customers never give up.
  absl::Duration mean_patience;
  double handoff_probability = 0.0;
  Channel handoff_to = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  double transfer_probability = 0.0;
  std::string transfer_queue;
};

struct GroupPlan {
  std::string name;
  int count = 0;
  // Capacity units of one agent, and the units one task of each channel
  // takes from it.
  int capacity = 0;
  std::array<int, kChannelSlots> units{};
  // The configuration of every agent of the group but its id.
  AgentConfig agent;
};

struct ScenarioPlan {
  uint64_t seed = 0;
  absl::Duration duration;
  absl::Duration warm_up;
  absl::Duration service_level_threshold;
  absl::Duration drain_limit;
  int replications = 1;
  bool antithetic = false;
  std::array<ChannelPlan, kChannelSlots> channels;
  std::vector<GroupPlan> groups;
  // Capacity units of the whole roster.
  int64_t total_units = 0;
  TenantOptions tenant;
  RoutingSettings routing;
  std::vector<QueueConfig> queues;
};

// Checks `scenario` and builds its plan. INVALID_ARGUMENT whose message
// starts with the offending field's path ("channels[1].arrivals_per_hour:
// ...") and says why. Settings the engine itself checks (skill levels, queue
// strategies, rules naming unknown queues, ...) are left to it; the
// simulator reports its errors under the scenario's field names.
absl::StatusOr<ScenarioPlan> PlanScenario(const ::omniroute::v1::Scenario& scenario);

// "<group>-<n>", n from 1.
std::string AgentName(const GroupPlan& group, int n);

absl::Duration FromProto(const google::protobuf::Duration& duration);
void ToProto(absl::Duration duration, google::protobuf::Duration* proto);

}  // namespace omniroute::sim

#endif  // OMNIROUTE_LIB_SIM_SCENARIO_H_
