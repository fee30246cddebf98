// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Scenarios for the simulator tests: an M/M/c voice queue (the Erlang C
// model) and small builders for channels, groups and queues.

#ifndef OMNIROUTE_TESTS_SIM_SCENARIO_BUILDERS_H_
#define OMNIROUTE_TESTS_SIM_SCENARIO_BUILDERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "omniroute/v1/simulation.pb.h"
#include "sim/scenario.h"

namespace omniroute::sim::testing_internal {

namespace v1 = ::omniroute::v1;

inline google::protobuf::Duration Proto(absl::Duration d) {
  google::protobuf::Duration proto;
  ToProto(d, &proto);
  return proto;
}

inline v1::ChannelSpec* AddChannel(v1::Scenario& s, v1::Channel channel, double per_hour,
                                   absl::Duration mean_handle_time) {
  v1::ChannelSpec* spec = s.add_channels();
  spec->set_channel(channel);
  spec->set_arrivals_per_hour(per_hour);
  *spec->mutable_exponential()->mutable_mean() = Proto(mean_handle_time);
  return spec;
}

inline v1::AgentGroup* AddGroup(v1::Scenario& s, const std::string& name, int count,
                                std::vector<v1::Channel> channels) {
  v1::AgentGroup* group = s.add_agent_groups();
  group->set_name(name);
  group->set_count(count);
  for (v1::Channel c : channels) group->add_channels(c);
  return group;
}

inline v1::QueueConfig* AddQueue(v1::Scenario& s, const std::string& id,
                                 std::vector<v1::Channel> channels) {
  v1::QueueConfig* queue = s.add_queues();
  queue->set_queue_id(id);
  for (v1::Channel c : channels) queue->add_channels(c);
  return queue;
}

// The Erlang C model on the engine: Poisson voice calls at `load / aht` per
// second, exponential handle times of mean `aht`, `agents` agents who take
// one call at a time (capacity 4, a call costs 4), one FIFO queue, nobody
// abandons, no wrap-up. Arrivals run for `duration` per replication, the
// first `warm_up` unmeasured.
//
// The first-response target is a day rather than voice's 30 seconds. A
// breached target raises a task's priority, but every call's target is the
// same time after its arrival, so the breached calls are always the oldest
// and the order stays FIFO; the long target only spares the engine a timer
// per waiting call.
inline v1::Scenario MmcScenario(int agents, absl::Duration aht, double load,
                                absl::Duration duration, absl::Duration warm_up,
                                int replications, uint64_t seed) {
  v1::Scenario s;
  s.set_seed(seed);
  *s.mutable_duration() = Proto(duration);
  *s.mutable_warm_up() = Proto(warm_up);
  *s.mutable_service_level_threshold() = Proto(absl::Seconds(20));
  s.set_replications(replications);
  v1::ChannelSpec* voice = AddChannel(s, v1::CHANNEL_VOICE, load / absl::ToDoubleHours(aht), aht);
  *voice->mutable_first_response_target() = Proto(absl::Hours(24));
  v1::AgentGroup* group = AddGroup(s, "agent", agents, {v1::CHANNEL_VOICE});
  group->set_capacity(4);
  v1::ChannelCost* cost = group->add_channel_costs();
  cost->set_channel(v1::CHANNEL_VOICE);
  cost->set_units(4);
  AddQueue(s, "calls", {v1::CHANNEL_VOICE});
  s.mutable_routing()->set_default_queue_id("calls");
  return s;
}

}  // namespace omniroute::sim::testing_internal

#endif  // OMNIROUTE_TESTS_SIM_SCENARIO_BUILDERS_H_
