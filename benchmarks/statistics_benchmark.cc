// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What the operations reads cost (include/omniroute/routing.h):
//
//   BM_QueueStatistics/W/Q  Engine::GetQueueStatistics of every queue of a
//                           tenant with Q queues, W tasks waiting across
//                           them, 200 agents and an hour of answered tasks
//                           in the minutes (what a scrape, a wallboard tick
//                           and each WatchQueueStatistics read cost).
//   BM_WaitEstimate/W       Engine::GetTask of the last of W waiting tasks
//                           of one queue and channel: its position is
//                           counted through those ahead of it.
//   BM_IntervalReport/C/S   Engine::GetIntervalReport of one day of a log
//                           holding C routing cycles (ingest, accept,
//                           complete) spread over that day and the one
//                           before (the lookback), in memory (S=0) or on
//                           SQLite (S=1); items are events read.
//
//   build/release/benchmarks/omniroute_statistics_benchmark

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;

constexpr char kTenant[] = "bench";

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s failed: %s\n", what, s.ToString().c_str());
    std::abort();
  }
}
template <typename T>
T Check(absl::StatusOr<T> s, const char* what) {
  Check(s.status(), what);
  return *std::move(s);
}

struct World {
  // `queues` email queues q0..; one agent per `agents`, serving all of them.
  // In memory, or on SQLite (without sync) in a temporary directory.
  World(int queues, int agents, bool sqlite = false) {
    if (sqlite) {
      char dir[] = "/tmp/omniroute-statistics-XXXXXX";
      if (mkdtemp(dir) == nullptr) std::abort();
      store_dir = dir;
      store = Check(OpenSqliteEventStore(
                        {.path = store_dir + "/events.db", .durability = Durability::kNoSync}),
                    "OpenSqliteEventStore");
    } else {
      store = NewMemoryEventStore();
    }
    engine = Check(Engine::Open({.clock = &clock, .store = store.get()}), "Engine::Open");
    Check(engine->CreateTenant(kTenant, TenantOptions()), "CreateTenant");
    RoutingSettings settings;
    for (int q = 0; q < queues; ++q) {
      const std::string id = absl::StrCat("q", q);
      Check(engine->UpsertQueue(kTenant, {.id = id, .channels = {v1::CHANNEL_EMAIL}}),
            "UpsertQueue");
      settings.rules.push_back({.channels = {v1::CHANNEL_EMAIL}, .tags = {id}, .queue = id});
    }
    settings.default_queue = "q0";
    Check(engine->ConfigureRouting(kTenant, settings), "ConfigureRouting");
    for (int a = 0; a < agents; ++a) {
      Check(engine->UpsertAgent(
                kTenant,
                {.id = absl::StrCat("agent-", a), .channels = {v1::CHANNEL_EMAIL}, .capacity = 1}),
            "UpsertAgent");
    }
  }

  TaskId Email(int queue) {
    InboundMessage m;
    m.channel = v1::CHANNEL_EMAIL;
    const uint64_t n = next++;
    m.sender = {v1::IDENTITY_KIND_EMAIL, "", absl::StrCat("customer", n, "@example.com")};
    m.external_id = absl::StrCat("mail-", n);
    m.body = "Where is my parcel?";
    m.tags = {absl::StrCat("q", queue)};
    const IngestResult r = Check(engine->IngestMessage(kTenant, m), "IngestMessage");
    if (!r.task.has_value()) std::abort();
    return *r.task;
  }

  // One agent answers `cycles` emails, one every `every`.
  void Answer(int queues, int cycles, absl::Duration every) {
    const std::string agent = "agent-0";
    Check(engine->SetAgentPresence(kTenant, agent, v1::AGENT_PRESENCE_AVAILABLE), "presence");
    for (int i = 0; i < cycles; ++i) {
      const TaskId task = Email(i % queues);
      Check(engine->AcceptOffer(kTenant, task, agent), "AcceptOffer");
      clock.Advance(every / 2);
      Check(engine->CompleteTask(kTenant, task, agent), "CompleteTask");
      clock.Advance(every - every / 2);
    }
    Check(engine->SetAgentPresence(kTenant, agent, v1::AGENT_PRESENCE_OFFLINE), "presence");
  }

  ~World() {
    engine.reset();
    store.reset();
    if (!store_dir.empty()) std::filesystem::remove_all(store_dir);
  }

  ManualClock clock;
  std::string store_dir;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<Engine> engine;
  uint64_t next = 0;
};

void BM_QueueStatistics(benchmark::State& state) {
  const int waiting = static_cast<int>(state.range(0));
  const int queues = static_cast<int>(state.range(1));
  World w(queues, 200);
  w.Answer(queues, 600, absl::Seconds(6));
  for (int i = 0; i < waiting; ++i) w.Email(i % queues);
  for (int a = 1; a < 200; a += 2) {
    Check(w.engine->SetAgentPresence(kTenant, absl::StrCat("agent-", a), v1::AGENT_PRESENCE_AWAY),
          "presence");
  }
  for (auto _ : state) {
    auto stats = Check(w.engine->GetQueueStatistics(kTenant, {}), "GetQueueStatistics");
    benchmark::DoNotOptimize(stats);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QueueStatistics)
    ->ArgNames({"waiting", "queues"})
    ->Args({100, 10})
    ->Args({10000, 10})
    ->Args({10000, 100});

void BM_WaitEstimate(benchmark::State& state) {
  const int waiting = static_cast<int>(state.range(0));
  World w(1, 10);
  w.Answer(1, 60, absl::Seconds(30));
  Check(w.engine->SetAgentPresence(kTenant, "agent-1", v1::AGENT_PRESENCE_AWAY), "presence");
  TaskId last;
  for (int i = 0; i < waiting; ++i) last = w.Email(0);
  for (auto _ : state) {
    TaskView task = Check(w.engine->GetTask(kTenant, last), "GetTask");
    if (!task.wait_estimate.has_value() || task.wait_estimate->position != waiting) std::abort();
    benchmark::DoNotOptimize(task);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WaitEstimate)->ArgName("waiting")->Arg(10)->Arg(1000)->Arg(100000);

void BM_IntervalReport(benchmark::State& state) {
  const int cycles = static_cast<int>(state.range(0));
  World w(4, 1, /*sqlite=*/state.range(1) == 1);
  // Two days: the lookback's and the report's.
  const absl::Time start = w.clock.Now();
  w.Answer(4, cycles, absl::Hours(48) / cycles);
  const absl::Time from = start + absl::Hours(24);
  int64_t events = 0;
  for (auto _ : state) {
    IntervalReport report =
        Check(w.engine->GetIntervalReport(kTenant, from, from + absl::Hours(24)), "report");
    events += report.events_read;
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(events);
  state.counters["events_in_log"] =
      static_cast<double>(Check(w.engine->LastSequence(kTenant), "LastSequence"));
}
BENCHMARK(BM_IntervalReport)
    ->ArgNames({"cycles", "sqlite"})
    ->Args({10000, 0})
    ->Args({100000, 0})
    ->Args({10000, 1})
    ->Args({100000, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace omniroute

BENCHMARK_MAIN();
