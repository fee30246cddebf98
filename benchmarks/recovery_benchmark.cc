// Start-up of an engine on a SQLite log: a full replay (read, verify, parse
// and fold every event), a start from a snapshot taken at the end of the
// log, and a start from a snapshot plus a tail of events after it.
//
//   build/release/benchmarks/omniroute_recovery_benchmark
//   OMNIROUTE_BENCH_MESSAGES=10000000 build/release/benchmarks/omniroute_recovery_benchmark
//
// The tail (BM_StartupFromSnapshotAndTail, run last because it lengthens the
// log) is OMNIROUTE_BENCH_TAIL_EVENTS events (default 100,000: the server's
// snapshot_every_events, so the longest tail a server replays) of messages
// ingested after the snapshot, half from new customers.
//
// The log is built once per run (with Durability::kNoSync, so that building
// it does not take an hour of fsyncs) in a temporary directory, removed at
// the end. A message of a new customer is four events (customer, identity,
// conversation, message); a message of a known one is one.
//
// By default no conversation is ever closed, so the working set holds every
// customer's conversation and its messages: the worst case. With
// OMNIROUTE_BENCH_CLOSE_AFTER=N an agent closes a conversation once it has N
// messages or has been open for 8 hours, whichever comes first, and the
// tenant archives it when its retention (24 h, the default) has passed, as
// a real tenant does; the clock then moves
// OMNIROUTE_BENCH_STEP_MS (default 10) per message, so that 100 ms makes
// 4M messages span 4.6 days:
//
//   OMNIROUTE_BENCH_MESSAGES=4000000 OMNIROUTE_BENCH_CLOSE_AFTER=3 \
//     OMNIROUTE_BENCH_STEP_MS=100 build/release/benchmarks/omniroute_recovery_benchmark

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/huge_page_heap.h"
#include "benchmark/benchmark.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/sqlite_event_store.h"
#include "omniroute/v1/snapshot.pb.h"

namespace omniroute {
namespace {

size_t MessageCount() {
  const char* env = std::getenv("OMNIROUTE_BENCH_MESSAGES");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 1'000'000;
}

size_t CloseAfter() {
  const char* env = std::getenv("OMNIROUTE_BENCH_CLOSE_AFTER");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 0;
}

absl::Duration Step() {
  const char* env = std::getenv("OMNIROUTE_BENCH_STEP_MS");
  return absl::Milliseconds(env != nullptr ? std::strtoull(env, nullptr, 10) : 10);
}

uint64_t TailEvents() {
  const char* env = std::getenv("OMNIROUTE_BENCH_TAIL_EVENTS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 100'000;
}

[[noreturn]] void Die(const absl::Status& status, const char* what) {
  std::fprintf(stderr, "recovery benchmark: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

struct Log {
  std::filesystem::path dir;
  std::string path;
  uint64_t events = 0;
  ManualClock clock;

  Log() {
    char pattern[] = "/tmp/omniroute-recovery-XXXXXX";
    dir = mkdtemp(pattern);
    path = (dir / "events.db").string();
    SqliteStoreOptions options;
    options.path = path;
    options.durability = Durability::kNoSync;
    auto store = OpenSqliteEventStore(options);
    if (!store.ok()) Die(store.status(), "open store");
    auto engine = Engine::Open({.clock = &clock, .store = store->get()});
    if (!engine.ok()) Die(engine.status(), "open engine");
    if (auto s = (*engine)->CreateTenant("bench", {}); !s.ok()) Die(s, "create tenant");
    const size_t messages = MessageCount();
    const size_t customers = messages / 4 + 1;
    const size_t close_after = CloseAfter();
    const absl::Duration step = Step();
    // Messages per open conversation, and the conversations by the time
    // they opened, for closing them.
    absl::flat_hash_map<uint64_t, size_t> open_messages;
    std::deque<std::pair<absl::Time, ConversationId>> opened;
    auto close = [&](ConversationId id) {
      open_messages.erase(id.value());
      if (auto s = (*engine)->SetConversationStatus("bench", id, v1::CONVERSATION_STATUS_CLOSED,
                                                    Actor::Agent("a1"));
          !s.ok()) {
        Die(s, "close");
      }
    };
    for (size_t i = 0; i < messages; ++i) {
      InboundMessage m;
      m.channel = i % 3 == 0 ? v1::CHANNEL_EMAIL : v1::CHANNEL_PUBLIC_SOCIAL;
      const size_t who = i < customers ? i : (i * 2654435761u) % customers;
      if (m.channel == v1::CHANNEL_EMAIL) {
        m.sender = {v1::IDENTITY_KIND_EMAIL, "", absl::StrCat("customer", who, "@example.com")};
      } else {
        m.sender = {v1::IDENTITY_KIND_SOCIAL_HANDLE, "x", absl::StrCat("customer", who)};
      }
      m.external_id = absl::StrCat("m-", i);
      m.body = "My order 4411 has not arrived and nobody answers my emails.";
      auto r = (*engine)->IngestMessage("bench", m);
      if (!r.ok()) Die(r.status(), "ingest");
      clock.Advance(step);
      if (close_after == 0) continue;
      size_t& count = open_messages[r->conversation.value()];
      if (count++ == 0) opened.emplace_back(clock.Now(), r->conversation);
      if (count >= close_after) close(r->conversation);
      if (i % 64 == 0) {
        while (!opened.empty() && clock.Now() - opened.front().first > absl::Hours(8)) {
          if (open_messages.contains(opened.front().second.value())) close(opened.front().second);
          opened.pop_front();
        }
        for (;;) {
          auto fired = (*engine)->RunDueTimers("bench");
          if (!fired.ok()) Die(fired.status(), "timers");
          if (*fired == 0) break;
        }
      }
    }
    events = *(*engine)->LastSequence("bench");
  }

  ~Log() { std::filesystem::remove_all(dir); }

  std::unique_ptr<EventStore> OpenStore() {
    SqliteStoreOptions options;
    options.path = path;
    options.create_if_missing = false;
    auto store = OpenSqliteEventStore(options);
    if (!store.ok()) Die(store.status(), "reopen store");
    return *std::move(store);
  }
};

Log* the_log = nullptr;

Log& TheLog() {
  if (the_log == nullptr) the_log = new Log();
  return *the_log;
}

void BM_StartupFullReplay(benchmark::State& state) {
  Log& log = TheLog();
  auto store = log.OpenStore();
  for (auto _ : state) {
    auto engine = Engine::Open({.clock = &log.clock, .store = store.get()});
    if (!engine.ok()) Die(engine.status(), "open engine");
    benchmark::DoNotOptimize(engine);
  }
  state.counters["events"] = static_cast<double>(log.events);
  state.counters["events_per_s"] = benchmark::Counter(
      static_cast<double>(log.events) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StartupFullReplay)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Snapshot taken at the end of the log: start-up reads the snapshot only.
void BM_StartupFromSnapshot(benchmark::State& state) {
  Log& log = TheLog();
  auto store = log.OpenStore();
  {
    auto engine = Engine::Open({.clock = &log.clock, .store = store.get()});
    if (!engine.ok()) Die(engine.status(), "open engine");
    if (auto s = (*engine)->TakeSnapshot("bench"); !s.ok()) Die(s, "snapshot");
  }
  for (auto _ : state) {
    auto engine = Engine::Open({.clock = &log.clock, .store = store.get()});
    if (!engine.ok()) Die(engine.status(), "open engine");
    benchmark::DoNotOptimize(engine);
  }
  state.counters["events"] = static_cast<double>(log.events);
  // What the working set held: the snapshot's records.
  auto snapshot = store->LoadSnapshot("bench");
  if (!snapshot.ok()) Die(snapshot.status(), "load snapshot");
  v1::TenantSnapshot records;
  if (!records.ParseFromString(snapshot->state)) Die(absl::DataLossError("parse"), "snapshot");
  state.counters["snapshot_MB"] = static_cast<double>(snapshot->state.size()) / 1e6;
  state.counters["customers"] = records.customers_size();
  state.counters["conversations"] = records.conversations_size();
  state.counters["messages"] =
      records.messages_size() + records.message_columns().id_deltas_size();
  state.counters["tasks"] = records.routing().tasks_size();
}
BENCHMARK(BM_StartupFromSnapshot)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// A snapshot, then TailEvents() more events: start-up reads the snapshot
// and replays the tail.
void BM_StartupFromSnapshotAndTail(benchmark::State& state) {
  Log& log = TheLog();
  uint64_t tail = 0;
  {
    SqliteStoreOptions options;
    options.path = log.path;
    options.create_if_missing = false;
    options.durability = Durability::kNoSync;
    auto writer = OpenSqliteEventStore(options);
    if (!writer.ok()) Die(writer.status(), "reopen store");
    auto engine = Engine::Open({.clock = &log.clock, .store = writer->get()});
    if (!engine.ok()) Die(engine.status(), "open engine");
    if (auto s = (*engine)->TakeSnapshot("bench"); !s.ok()) Die(s, "snapshot");
    const uint64_t snapshot_at = *(*engine)->LastSequence("bench");
    for (size_t i = 0; tail < TailEvents(); ++i) {
      InboundMessage m;
      m.channel = v1::CHANNEL_EMAIL;
      // Even: a new customer (four events); odd: one of the log's.
      const std::string who = i % 2 == 0 ? absl::StrCat("tail", i) : absl::StrCat("customer", i);
      m.sender = {v1::IDENTITY_KIND_EMAIL, "", absl::StrCat(who, "@example.com")};
      m.external_id = absl::StrCat("t-", i);
      m.body = "Where is my refund? I sent the form twice.";
      auto r = (*engine)->IngestMessage("bench", m);
      if (!r.ok()) Die(r.status(), "ingest");
      log.clock.Advance(Step());
      tail = *(*engine)->LastSequence("bench") - snapshot_at;
    }
    log.events = *(*engine)->LastSequence("bench");
  }
  auto store = log.OpenStore();
  for (auto _ : state) {
    auto engine = Engine::Open({.clock = &log.clock, .store = store.get()});
    if (!engine.ok()) Die(engine.status(), "open engine");
    benchmark::DoNotOptimize(engine);
  }
  state.counters["events"] = static_cast<double>(log.events);
  state.counters["tail_events"] = static_cast<double>(tail);
}
BENCHMARK(BM_StartupFromSnapshotAndTail)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

}  // namespace
}  // namespace omniroute

int main(int argc, char** argv) {
  omniroute::base::RestartWithHugePageHeap(argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // The log and its temporary directory go with the benchmarks.
  delete omniroute::the_log;
  return 0;
}
