// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The engine level of the routing benchmark (benchmarks/routing.sh): whole
// routing cycles through Engine's public API, every event written to the
// store and applied, on a ManualClock.
//
// A cycle is three commands:
//   IngestMessage  a new customer writes on chat: customer, identity,
//                  conversation, message and task created, and the task
//                  offered to the tenant's available agent, in one command;
//   AcceptOffer    the agent accepts;
//   CompleteTask   the agent completes it, which frees their capacity for
//                  the next cycle's offer.
// items_per_second is cycles per second (three commands each).
//
// Stores (the first argument): 0, in memory; 1, SQLite with
// Durability::kSyncEachCommit (an fsync before a command is acknowledged,
// shared by group commit among the commands committed together).
// Callers (Threads): 1, or 8 each with a tenant of their own (a tenant's
// commands run one at a time; tenants run side by side and share the
// store, and with it the fsyncs).
//
//   build/release/benchmarks/omniroute_engine_routing_benchmark

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/huge_page_heap.h"
#include "benchmark/benchmark.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;

constexpr int kMaxThreads = 8;
constexpr char kAgent[] = "agent-1";

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

// An engine with kMaxThreads tenants, each with a chat queue and one
// available chat agent.
struct World {
  explicit World(bool sqlite) {
    if (sqlite) {
      char dir[] = "/tmp/omniroute-engine-routing-XXXXXX";
      if (mkdtemp(dir) == nullptr) std::abort();
      store_dir = dir;
      store = Check(OpenSqliteEventStore({.path = store_dir + "/events.db",
                                          .durability = Durability::kSyncEachCommit}),
                    "OpenSqliteEventStore");
    } else {
      store = NewMemoryEventStore();
    }
    engine = Check(Engine::Open({.clock = &clock, .store = store.get()}), "Engine::Open");
    for (int t = 0; t < kMaxThreads; ++t) {
      const std::string tenant = absl::StrCat("tenant-", t);
      tenants.push_back(tenant);
      Check(engine->CreateTenant(tenant, TenantOptions()), "CreateTenant");
      Check(engine->UpsertQueue(tenant, {.id = "chat", .channels = {v1::CHANNEL_CHAT}}),
            "UpsertQueue");
      Check(engine->ConfigureRouting(
                tenant, {.rules = {{.channels = {v1::CHANNEL_CHAT}, .queue = "chat"}}}),
            "ConfigureRouting");
      Check(engine->UpsertAgent(tenant, {.id = kAgent, .channels = {v1::CHANNEL_CHAT}}),
            "UpsertAgent");
      Check(engine->SetAgentPresence(tenant, kAgent, v1::AGENT_PRESENCE_AVAILABLE),
            "SetAgentPresence");
    }
    next_customer.assign(kMaxThreads, 0);
  }
  ~World() {
    engine.reset();
    store.reset();
    if (!store_dir.empty()) std::filesystem::remove_all(store_dir);
  }

  ManualClock clock;
  std::string store_dir;  // empty for the store in memory
  std::unique_ptr<EventStore> store;
  std::unique_ptr<Engine> engine;
  std::vector<std::string> tenants;
  std::vector<uint64_t> next_customer;  // per tenant: its thread's alone
};

World* worlds[2] = {nullptr, nullptr};

void BM_RoutingCycle(benchmark::State& state) {
  World& w = *worlds[state.range(0)];
  const int t = state.thread_index();
  const std::string& tenant = w.tenants[t];
  uint64_t& next = w.next_customer[t];
  for (auto _ : state) {
    InboundMessage m;
    m.channel = v1::CHANNEL_CHAT;
    const uint64_t n = next++;
    m.sender = {v1::IDENTITY_KIND_EMAIL, "", absl::StrCat("customer", n, "@example.com")};
    m.external_id = absl::StrCat("chat-", n);
    m.body = "Where is my parcel?";
    const IngestResult r = Check(w.engine->IngestMessage(tenant, m), "IngestMessage");
    if (!r.task.has_value()) std::abort();
    Check(w.engine->AcceptOffer(tenant, *r.task, kAgent), "AcceptOffer");
    Check(w.engine->CompleteTask(tenant, *r.task, kAgent), "CompleteTask");
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace
}  // namespace omniroute

int main(int argc, char** argv) {
  omniroute::base::RestartWithHugePageHeap(argv);
  using namespace omniroute;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // Built before the runs, so that no timed thread waits for another's
  // set-up.
  worlds[0] = new World(/*sqlite=*/false);
  worlds[1] = new World(/*sqlite=*/true);
  for (int64_t store : {0, 1}) {
    for (int threads : {1, kMaxThreads}) {
      benchmark::RegisterBenchmark(
          store == 0 ? "BM_RoutingCycle/memory" : "BM_RoutingCycle/sqlite_sync", BM_RoutingCycle)
          ->Arg(store)
          ->Threads(threads)
          ->UseRealTime();
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  delete worlds[0];
  delete worlds[1];
  return 0;
}
