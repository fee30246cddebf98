// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Benchmarks of the routing matcher (lib/routing/matcher.h): one routing
// decision with 200 queues, 50 skills, 1k to 1M waiting tasks (the first
// benchmark argument) and 10,000 or 50,000 agents (the second). Each
// iteration leaves the matcher as it found it, so the sizes stay constant:
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
#include <utility>
#include <vector>

#include "base/huge_page_heap.h"
#include "benchmark/benchmark.h"
#include "routing/matcher.h"
#include "routing_workload.h"

namespace omniroute::routing {
namespace {

constexpr int kRing = 4096;  // pre-generated arrivals and agents, cycled
constexpr uint64_t kArrivingTaskIdBase = uint64_t{1} << 40;

void Check(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "benchmark setup failed: %s\n", s.ToString().c_str());
    std::abort();
  }
}

// A tenant-sized matcher (routing_workload.h) with `waiting` tasks and
// `agents` agents.
struct World {
  Matcher matcher;
  RoutingWorkload workload;
  std::vector<Task> arrivals;        // not waiting; enqueued by the benchmarks
  std::vector<AgentId> full_agents;  // available, load == capacity
  uint64_t next_arrival;

  World(int64_t waiting, int agents) : workload(agents) {
    for (const Queue& queue : workload.queues) Check(matcher.AddQueue(queue));
    for (const Agent& agent : workload.agents) Check(matcher.AddAgent(agent));
    full_agents = workload.full_agents;
    for (int64_t i = 0; i < waiting; ++i) Check(matcher.Enqueue(workload.RandomTask(i + 1, i + 1)));
    next_arrival = static_cast<uint64_t>(waiting) + 1;
    for (int i = 0; i < kRing; ++i) {
      arrivals.push_back(workload.RandomTask(kArrivingTaskIdBase + i, 0));
    }
  }
};

// One world at a time: the 1M-task one is a few hundred MB.
World& WorldOf(const benchmark::State& state) {
  static std::unique_ptr<World> world;
  static std::pair<int64_t, int64_t> size = {-1, -1};
  const std::pair<int64_t, int64_t> wanted = {state.range(0), state.range(1)};
  if (size != wanted) {
    world.reset();
    world = std::make_unique<World>(wanted.first, static_cast<int>(wanted.second));
    size = wanted;
  }
  return *world;
}

void BM_TaskArrives(benchmark::State& state) {
  World& w = WorldOf(state);
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
  World& w = WorldOf(state);
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
  World& w = WorldOf(state);
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
  World& w = WorldOf(state);
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
  World& w = WorldOf(state);
  uint64_t k = 0;
  for (auto _ : state) {
    k = (k + 7919) % static_cast<uint64_t>(state.range(1));
    benchmark::DoNotOptimize(w.matcher.BestTaskFor(AgentId(k + 1)));
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace
}  // namespace omniroute::routing

// Registered world by world, so that each is built once.
int main(int argc, char** argv) {
  omniroute::base::RestartWithHugePageHeap(argv);
  using namespace omniroute::routing;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  for (int64_t agents : {int64_t{RoutingWorkload::kDefaultAgents}, int64_t{50'000}}) {
    for (int64_t n : {1'000, 10'000, 100'000, 1'000'000}) {
      benchmark::RegisterBenchmark("BM_TaskArrives", BM_TaskArrives)->Args({n, agents});
      benchmark::RegisterBenchmark("BM_TaskArrivesAndAssigned", BM_TaskArrivesAndAssigned)
          ->Args({n, agents});
      benchmark::RegisterBenchmark("BM_AgentFreesCapacity", BM_AgentFreesCapacity)
          ->Args({n, agents});
      benchmark::RegisterBenchmark("BM_BestAgentFor", BM_BestAgentFor)->Args({n, agents});
      benchmark::RegisterBenchmark("BM_BestTaskFor", BM_BestTaskFor)->Args({n, agents});
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
