// Snapshots while the tenant works: how long commands wait while snapshots
// are taken, and what one background snapshot costs when the folded state
// is rebuilt each time or kept between snapshots.
//
//   build/dev/benchmarks/omniroute_snapshot_benchmark
//   OMNIROUTE_BENCH_MESSAGES=1000000 build/dev/benchmarks/omniroute_snapshot_benchmark
//
// A tenant of OMNIROUTE_BENCH_MESSAGES messages (default 200,000; a new
// customer's first message is four events) is built once per run on SQLite
// (Durability::kNoSync, so that the figures are the snapshots' and not the
// disk's syncs) in a temporary directory, removed at the end.
//
// BM_IngestLatency/<every>: one thread ingests 20,000 more messages, one at
// a time, with snapshot_every_events = <every> (0: none), and records each
// call's time: p50, p99 and the longest, in microseconds.
// BM_IngestLatencyWithTakeSnapshot: the same with another thread calling
// TakeSnapshot in a loop.
// BM_BackgroundSnapshot/keep_states: one snapshot of the tenant after 20,000
// more events, as the snapshotter takes it: rebuilt from the last snapshot
// (0) or folded on from the kept state (1); kept_mb is the heap the kept
// state holds between snapshots.
//
// The latency benchmarks use the public API only, so that they build on an
// engine from before background snapshots (copy this file into that tree)
// for a before/after comparison.

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/sqlite_event_store.h"
#ifdef OMNIROUTE_BENCH_SNAPSHOTTER
#include "base/huge_page_heap.h"
#include "engine/snapshotter.h"
#endif

namespace omniroute {
namespace {

constexpr char kTenant[] = "bench";
constexpr size_t kMeasuredMessages = 20'000;

size_t MessageCount() {
  const char* env = std::getenv("OMNIROUTE_BENCH_MESSAGES");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 200'000;
}

[[noreturn]] void Die(const absl::Status& status, const char* what) {
  std::fprintf(stderr, "snapshot benchmark: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

InboundMessage Message(size_t i, size_t customers) {
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
  return m;
}

// The tenant's log, built once; each benchmark works on a copy of it.
struct Log {
  std::filesystem::path dir;
  std::string path;
  size_t messages = 0;
  ManualClock clock;

  Log() {
    char pattern[] = "/tmp/omniroute-snapshot-XXXXXX";
    dir = mkdtemp(pattern);
    path = (dir / "events.db").string();
    auto store = Open(path);
    auto engine = Engine::Open({.clock = &clock, .store = store.get()});
    if (!engine.ok()) Die(engine.status(), "open engine");
    if (auto s = (*engine)->CreateTenant(kTenant, {}); !s.ok()) Die(s, "create tenant");
    messages = MessageCount();
    for (size_t i = 0; i < messages; ++i) {
      auto r = (*engine)->IngestMessage(kTenant, Message(i, messages / 4 + 1));
      if (!r.ok()) Die(r.status(), "ingest");
      clock.Advance(absl::Milliseconds(10));
    }
    // Start-up then reads a snapshot and a short tail, as a long-lived
    // server's would.
    if (auto s = (*engine)->TakeSnapshot(kTenant); !s.ok()) Die(s, "snapshot");
  }
  ~Log() { std::filesystem::remove_all(dir); }

  static std::unique_ptr<EventStore> Open(const std::string& path) {
    SqliteStoreOptions options;
    options.path = path;
    options.durability = Durability::kNoSync;
    auto store = OpenSqliteEventStore(options);
    if (!store.ok()) Die(store.status(), "open store");
    return *std::move(store);
  }

  // A fresh copy of the log (the benchmarks add to it).
  std::string Copy(absl::string_view name) {
    const std::filesystem::path copy = dir / absl::StrCat(name, ".db");
    std::filesystem::remove(copy);
    std::filesystem::copy_file(path, copy);
    return copy.string();
  }
};

Log& TheLog() {
  static Log* log = new Log();
  return *log;
}

double Percentile(std::vector<double>& sorted, double p) {
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

void ReportLatencies(benchmark::State& state, std::vector<double>& micros) {
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = Percentile(micros, 0.50);
  state.counters["p99_us"] = Percentile(micros, 0.99);
  state.counters["p999_us"] = Percentile(micros, 0.999);
  state.counters["max_us"] = micros.back();
}

// Ingests kMeasuredMessages more messages; returns each call's time in µs.
std::vector<double> IngestTimed(Engine& engine, Log& log) {
  std::vector<double> micros;
  micros.reserve(kMeasuredMessages);
  const size_t customers = log.messages / 4 + 1;
  for (size_t i = log.messages; i < log.messages + kMeasuredMessages; ++i) {
    const InboundMessage m = Message(i, customers);
    const absl::Time start = absl::Now();
    auto r = engine.IngestMessage(kTenant, m);
    micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
    if (!r.ok()) Die(r.status(), "ingest");
  }
  return micros;
}

void BM_IngestLatency(benchmark::State& state) {
  Log& log = TheLog();
  for (auto _ : state) {
    state.PauseTiming();
    auto store = Log::Open(log.Copy("latency"));
    auto engine =
        Engine::Open({.clock = &log.clock,
                      .store = store.get(),
                      .snapshot_every_events = static_cast<uint64_t>(state.range(0))});
    if (!engine.ok()) Die(engine.status(), "open engine");
    state.ResumeTiming();
    std::vector<double> micros = IngestTimed(**engine, log);
    ReportLatencies(state, micros);
    state.PauseTiming();
    engine->reset();  // Waits for the snapshots asked for: not timed.
    state.ResumeTiming();
  }
}
BENCHMARK(BM_IngestLatency)
    ->Arg(0)
    ->Arg(10'000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

void BM_IngestLatencyWithTakeSnapshot(benchmark::State& state) {
  Log& log = TheLog();
  for (auto _ : state) {
    state.PauseTiming();
    auto store = Log::Open(log.Copy("take"));
    auto engine = Engine::Open({.clock = &log.clock, .store = store.get()});
    if (!engine.ok()) Die(engine.status(), "open engine");
    state.ResumeTiming();
    std::atomic<bool> done = false;
    int snapshots = 0;
    std::thread snapshotter([&] {
      while (!done.load()) {
        if (auto s = (*engine)->TakeSnapshot(kTenant); !s.ok()) Die(s, "snapshot");
        ++snapshots;
      }
    });
    std::vector<double> micros = IngestTimed(**engine, log);
    done = true;
    snapshotter.join();
    ReportLatencies(state, micros);
    state.counters["snapshots"] = snapshots;
  }
}
BENCHMARK(BM_IngestLatencyWithTakeSnapshot)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

#ifdef OMNIROUTE_BENCH_SNAPSHOTTER
size_t HeapBytes() { return mallinfo2().uordblks; }

void BM_BackgroundSnapshot(benchmark::State& state) {
  Log& log = TheLog();
  const bool keep = state.range(0) != 0;
  auto store = Log::Open(log.Copy("background"));
  auto engine = Engine::Open({.clock = &log.clock, .store = store.get()});
  if (!engine.ok()) Die(engine.status(), "open engine");
  const size_t heap_before = HeapBytes();
  Snapshotter snapshotter(*store, {.background = false, .keep_states = keep});
  // The first snapshot builds the state from the stored snapshot either way.
  if (auto s = snapshotter.Take(kTenant); !s.ok()) Die(s.status(), "first snapshot");
  state.counters["kept_mb"] = (static_cast<double>(HeapBytes()) - heap_before) / (1 << 20);
  size_t next = log.messages + kMeasuredMessages;
  uint64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // 20,000 more events (about five per message of a known customer or
    // four of a new one).
    const uint64_t from = *(*engine)->LastSequence(kTenant);
    while (*(*engine)->LastSequence(kTenant) < from + 20'000) {
      auto r = (*engine)->IngestMessage(kTenant, Message(next++, log.messages / 4 + 1));
      if (!r.ok()) Die(r.status(), "ingest");
    }
    events = *(*engine)->LastSequence(kTenant);
    state.ResumeTiming();
    auto saved = snapshotter.Take(kTenant);
    if (!saved.ok()) Die(saved.status(), "snapshot");
  }
  state.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_BackgroundSnapshot)
    ->ArgName("keep_states")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
#endif

}  // namespace
}  // namespace omniroute

int main(int argc, char** argv) {
  // The heap on huge pages, as omniroute-server's (base/huge_page_heap.h).
  omniroute::base::RestartWithHugePageHeap(argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
