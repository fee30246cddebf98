// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Benchmarks of the routing matcher (lib/routing/matcher.h): one routing
// decision with 10,000 agents, 200 queues, 50 skills and 1k to 1M waiting
// tasks (the benchmark argument). Each iteration leaves the matcher as it
// found it, so the sizes stay constant:
//
//   TaskArrives            a task is enqueued, its best agent chosen, and it
//                          leaves the queue (as on assignment).
//   TaskArrivesAndAssigned the same, plus the chosen agent's load and
//                          round-robin counter go up (UpdateAgent), then
//                          back.
//   AgentFreesCapacity     a full agent frees one unit (UpdateAgent), takes
//                          the best task it can (BestTaskFor), the task
//                          leaves the queue; then the task is put back and
//                          the agent's load restored.
//   BestAgentFor/BestTaskFor  the query alone, nothing changed.
//
// items_per_second is decisions per second.
//
//   build/release/benchmarks/omniroute_routing_benchmark

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "routing/matcher.h"

namespace omniroute::routing {
namespace {

using ::omniroute::v1::CHANNEL_CHAT;
using ::omniroute::v1::CHANNEL_EMAIL;
using ::omniroute::v1::CHANNEL_MESSAGING;
using ::omniroute::v1::CHANNEL_PUBLIC_SOCIAL;
using ::omniroute::v1::CHANNEL_VOICE;

constexpr int kAgents = 10'000;
constexpr int kQueues = 200;
constexpr int kSkills = 50;
constexpr int kRing = 4096;  // pre-generated arrivals and agents, cycled
constexpr uint64_t kArrivingTaskIdBase = uint64_t{1} << 40;

void Check(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "benchmark setup failed: %s\n", s.ToString().c_str());
    std::abort();
  }
}

// A tenant-sized matcher. Queue q requires skill q % 50 at level 1 + q / 50
// (1 to 4), odd queues a second skill at level 1 or above; queues serve two
// or three channels and cycle through the four strategies. Agents have 6 of
// the 50 skills at random levels; about one in ten qualifies for a
// single-skill queue, so each agent sits in about a dozen queues and each
// queue has several hundred agents. 90% of agents are available, with a
// random load below their capacity of 4.
struct World {
  Matcher matcher;
  std::vector<Queue> queues;
  std::vector<std::vector<Channel>> queue_channels;
  std::vector<Task> arrivals;        // not waiting; enqueued by the benchmarks
  std::vector<AgentId> full_agents;  // available, load == capacity
  uint64_t next_arrival;

  explicit World(int64_t waiting) {
    std::mt19937_64 rng(42);
    auto below = [&](uint64_t n) { return rng() % n; };
    const Channel kMix[] = {CHANNEL_EMAIL, CHANNEL_CHAT, CHANNEL_VOICE, CHANNEL_MESSAGING,
                            CHANNEL_PUBLIC_SOCIAL};
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
      Check(matcher.AddQueue(queue));
      queues.push_back(queue);
      queue_channels.push_back(channels);
    }
    for (int i = 0; i < kAgents; ++i) {
      Agent a;
      a.id = AgentId(i + 1);
      while (a.skills.size() < 6) {
        const SkillId s = static_cast<SkillId>(below(kSkills));
        bool have = false;
        for (const SkillLevel& x : a.skills) have |= x.skill == s;
        if (!have) a.skills.push_back({s, 1 + static_cast<int>(below(10))});
      }
      a.channels =
          MaskOf(CHANNEL_EMAIL) | MaskOf(CHANNEL_MESSAGING) | MaskOf(CHANNEL_PUBLIC_SOCIAL);
      if (below(2) == 0) a.channels |= MaskOf(CHANNEL_CHAT);
      if (below(10) < 3) a.channels |= MaskOf(CHANNEL_VOICE);
      a.capacity = 4;
      a.load = static_cast<int>(below(4));
      a.presence = below(10) == 0 ? Presence::kAway : Presence::kAvailable;
      a.last_assignment_end = absl::FromUnixSeconds(1'700'000'000 + below(3600));
      a.round_robin_counter = below(100);
      if (a.presence == Presence::kAvailable && full_agents.size() < kRing) {
        a.load = a.capacity;
        full_agents.push_back(a.id);
      }
      Check(matcher.AddAgent(a));
    }
    for (int64_t i = 0; i < waiting; ++i) Check(matcher.Enqueue(RandomTask(rng, i + 1, i + 1)));
    next_arrival = static_cast<uint64_t>(waiting) + 1;
    for (int i = 0; i < kRing; ++i) {
      arrivals.push_back(RandomTask(rng, kArrivingTaskIdBase + i, 0));
    }
  }

  Task RandomTask(std::mt19937_64& rng, uint64_t id, uint64_t arrival) {
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

// One world at a time: the 1M-task one is a few hundred MB.
World& WorldOf(int64_t waiting) {
  static std::unique_ptr<World> world;
  static int64_t size = -1;
  if (size != waiting) {
    world.reset();
    world = std::make_unique<World>(waiting);
    size = waiting;
  }
  return *world;
}

void BM_TaskArrives(benchmark::State& state) {
  World& w = WorldOf(state.range(0));
  size_t i = 0;
  int64_t matched = 0;
  for (auto _ : state) {
    Task& t = w.arrivals[i++ % kRing];
    t.arrival = w.next_arrival++;
    const TaskId id = t.id;
    Check(w.matcher.Enqueue(t));
    std::optional<Assignment> a = w.matcher.BestAgentFor(id);
    matched += a.has_value();
    benchmark::DoNotOptimize(a);
    Check(w.matcher.Cancel(id));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["matched"] = static_cast<double>(matched) / state.iterations();
}

void BM_TaskArrivesAndAssigned(benchmark::State& state) {
  World& w = WorldOf(state.range(0));
  size_t i = 0;
  int64_t matched = 0;
  for (auto _ : state) {
    Task& t = w.arrivals[i++ % kRing];
    t.arrival = w.next_arrival++;
    const TaskId id = t.id;
    Check(w.matcher.Enqueue(t));
    std::optional<Assignment> a = w.matcher.BestAgentFor(id);
    Check(w.matcher.Cancel(id));
    if (a.has_value()) {
      ++matched;
      Agent agent = *w.matcher.FindAgent(a->agent);
      const Agent before = agent;
      agent.load += agent.costs[t.channel];
      agent.active_channels |= MaskOf(t.channel);
      agent.round_robin_counter += 1;
      Check(w.matcher.UpdateAgent(std::move(agent)));
      Check(w.matcher.UpdateAgent(before));
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["matched"] = static_cast<double>(matched) / state.iterations();
}

void BM_AgentFreesCapacity(benchmark::State& state) {
  World& w = WorldOf(state.range(0));
  size_t i = 0;
  int64_t matched = 0;
  for (auto _ : state) {
    const AgentId id = w.full_agents[i++ % w.full_agents.size()];
    Agent agent = *w.matcher.FindAgent(id);
    agent.load -= 1;  // an email ended
    Check(w.matcher.UpdateAgent(agent));
    std::optional<Assignment> a = w.matcher.BestTaskFor(id);
    if (a.has_value()) {
      ++matched;
      Task task = *w.matcher.FindTask(a->task);
      Check(w.matcher.Cancel(task.id));
      Check(w.matcher.Enqueue(std::move(task)));  // restore the waiting set
    }
    agent.load += 1;
    Check(w.matcher.UpdateAgent(std::move(agent)));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["matched"] = static_cast<double>(matched) / state.iterations();
}

void BM_BestAgentFor(benchmark::State& state) {
  World& w = WorldOf(state.range(0));
  // Waiting tasks 1..n exist; query them in a scattered order.
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  uint64_t k = 0;
  for (auto _ : state) {
    k = (k + 7919) % n;
    benchmark::DoNotOptimize(w.matcher.BestAgentFor(TaskId(k + 1)));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_BestTaskFor(benchmark::State& state) {
  World& w = WorldOf(state.range(0));
  uint64_t k = 0;
  for (auto _ : state) {
    k = (k + 7919) % kAgents;
    benchmark::DoNotOptimize(w.matcher.BestTaskFor(AgentId(k + 1)));
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace
}  // namespace omniroute::routing

// Registered size by size, so that each world is built once.
int main(int argc, char** argv) {
  using namespace omniroute::routing;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  for (int64_t n : {1'000, 10'000, 100'000, 1'000'000}) {
    benchmark::RegisterBenchmark("BM_TaskArrives", BM_TaskArrives)->Arg(n);
    benchmark::RegisterBenchmark("BM_TaskArrivesAndAssigned", BM_TaskArrivesAndAssigned)->Arg(n);
    benchmark::RegisterBenchmark("BM_AgentFreesCapacity", BM_AgentFreesCapacity)->Arg(n);
    benchmark::RegisterBenchmark("BM_BestAgentFor", BM_BestAgentFor)->Arg(n);
    benchmark::RegisterBenchmark("BM_BestTaskFor", BM_BestTaskFor)->Arg(n);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
