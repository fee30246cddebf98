// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The routing workload of the matcher benchmark (routing_benchmark.cc) and
// of the SKIP LOCKED baseline next to it (skip_locked_benchmark.cc): a
// tenant-sized set of queues and agents, and random waiting tasks, all from
// one seeded generator so that both see the same tenant.
//
// Queue q (200 of them) requires skill q % 50 at level 1 + q / 50 (1 to 4),
// odd queues a second skill at level 1 or above; queues serve two or three
// channels and cycle through the four strategies. Agents (10,000 unless
// the constructor says otherwise) have 6 of the 50 skills at random levels;
// about one in ten qualifies for a single-skill queue, so each agent sits in
// about a dozen queues and each queue has several hundred agents (five times
// as many with 50,000 agents). 90% of agents are available, with a
// random load below their capacity of 4; the first 4,096 available ones are
// full (load == capacity), for benchmarks where an agent frees capacity.
// A task goes to a random queue, on one of its channels, with a priority
// below 1,000.
//
// Thread-compatible.

#ifndef OMNIROUTE_BENCHMARKS_ROUTING_WORKLOAD_H_
#define OMNIROUTE_BENCHMARKS_ROUTING_WORKLOAD_H_

#include <cstdint>
#include <random>
#include <vector>

#include "absl/time/time.h"
#include "routing/model.h"

namespace omniroute::routing {

struct RoutingWorkload {
  static constexpr int kDefaultAgents = 10'000;
  static constexpr int kQueues = 200;
  static constexpr int kSkills = 50;
  static constexpr size_t kFullAgents = 4096;

  std::vector<Queue> queues;
  std::vector<std::vector<Channel>> queue_channels;
  std::vector<Agent> agents;
  std::vector<AgentId> full_agents;  // available, load == capacity
  std::mt19937_64 rng;

  explicit RoutingWorkload(int agent_count = kDefaultAgents, uint64_t seed = 42) : rng(seed) {
    auto below = [&](uint64_t n) { return rng() % n; };
    const Channel kMix[] = {::omniroute::v1::CHANNEL_EMAIL, ::omniroute::v1::CHANNEL_CHAT,
                            ::omniroute::v1::CHANNEL_VOICE, ::omniroute::v1::CHANNEL_MESSAGING,
                            ::omniroute::v1::CHANNEL_PUBLIC_SOCIAL};
    for (int q = 0; q < kQueues; ++q) {
      Queue queue;
      queue.id = QueueId(q + 1);
      queue.required_skills.push_back({static_cast<SkillId>(q % kSkills), 1 + q / kSkills});
      if (q % 2 == 1) {
        const SkillId second = static_cast<SkillId>((q * 7 + 3) % kSkills);
        if (second != static_cast<SkillId>(q % kSkills)) {
          queue.required_skills.push_back({second, 1});
        }
      }
      std::vector<Channel> channels = {kMix[q % 5], kMix[(q + 1) % 5]};
      if (q % 3 == 0) channels.push_back(kMix[(q + 3) % 5]);
      for (Channel c : channels) queue.channels |= MaskOf(c);
      queue.strategy = static_cast<SelectionStrategy>(q % 4);
      queues.push_back(queue);
      queue_channels.push_back(channels);
    }
    for (int i = 0; i < agent_count; ++i) {
      Agent a;
      a.id = AgentId(i + 1);
      while (a.skills.size() < 6) {
        const SkillId s = static_cast<SkillId>(below(kSkills));
        bool have = false;
        for (const SkillLevel& x : a.skills) have |= x.skill == s;
        if (!have) a.skills.push_back({s, 1 + static_cast<int>(below(10))});
      }
      a.channels = MaskOf(::omniroute::v1::CHANNEL_EMAIL) |
                   MaskOf(::omniroute::v1::CHANNEL_MESSAGING) |
                   MaskOf(::omniroute::v1::CHANNEL_PUBLIC_SOCIAL);
      if (below(2) == 0) a.channels |= MaskOf(::omniroute::v1::CHANNEL_CHAT);
      if (below(10) < 3) a.channels |= MaskOf(::omniroute::v1::CHANNEL_VOICE);
      a.capacity = 4;
      a.load = static_cast<int>(below(4));
      a.presence = below(10) == 0 ? Presence::kAway : Presence::kAvailable;
      a.last_assignment_end = absl::FromUnixSeconds(1'700'000'000 + below(3600));
      a.round_robin_counter = below(100);
      if (a.presence == Presence::kAvailable && full_agents.size() < kFullAgents) {
        a.load = a.capacity;
        full_agents.push_back(a.id);
      }
      agents.push_back(a);
    }
  }

  // A task of a random queue, on one of its channels.
  Task RandomTask(uint64_t id, uint64_t arrival) {
    Task t;
    t.id = TaskId(id);
    const size_t q = rng() % kQueues;
    t.queue = queues[q].id;
    t.channel = queue_channels[q][rng() % queue_channels[q].size()];
    t.priority = static_cast<int64_t>(rng() % 1000);
    t.arrival = arrival;
    return t;
  }
};

}  // namespace omniroute::routing

#endif  // OMNIROUTE_BENCHMARKS_ROUTING_WORKLOAD_H_
