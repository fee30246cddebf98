// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// History reads: one page of 100 entries of a conversation's timeline
// (Engine::GetTimelinePage), for a closed conversation archived out of
// memory (read from the store's archive and message index) and, for
// comparison, for an open conversation of the working set. Target: a page
// of 100 messages of a closed conversation in a tenant of 1M customers,
// p99 ≤ 2 ms in-process.
//
//   build/dev/benchmarks/omniroute_history_benchmark
//   OMNIROUTE_BENCH_CUSTOMERS=10000 build/dev/benchmarks/omniroute_history_benchmark
//
// The tenant is built once per run on a SQLite store (Durability::kNoSync
// while building) in a temporary directory, removed at the end:
//
//   1 n customers (OMNIROUTE_BENCH_CUSTOMERS, default 1,000,000) each write
//     one email with a body of about 60 bytes.
//   2 L = min(1,000, n / 10) of them ("long") and L / 10 more ("open long")
//     exchange 199 more messages in their conversation, alternately the
//     customer's and an agent's, round by round across all of them, so that
//     one conversation's messages are spread over the whole log as in a
//     real tenant.
//   3 Every conversation is closed except those of the open long customers
//     and a tenth of the others; the clock passes closed_retention (one
//     minute) and RunDueTimers archives every closed conversation.
//   4 The store is closed and opened again with the default durability
//     (kSyncEachCommit), and an engine started on it: reads are measured on
//     a tenant as a server would hold it after a restart.
//
// Each benchmark reads pages of random conversations of its kind and times
// every call (std::chrono::steady_clock), reporting p50, p99, p99.9 and max
// in microseconds as counters (the Time column is the mean). "first" is the
// first page; "second" is the page after it, from the first page's token
// (read outside the timing). Every page is checked to hold 100 entries.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
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

constexpr char kTenant[] = "history";
constexpr int kPageSize = 100;
constexpr int kLongMessages = 200;
constexpr absl::Duration kClosedRetention = absl::Minutes(1);

uint64_t CustomerCount() {
  const char* env = std::getenv("OMNIROUTE_BENCH_CUSTOMERS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 1'000'000;
}

[[noreturn]] void Die(const absl::Status& status, const char* what) {
  std::fprintf(stderr, "history benchmark: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}
void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) Die(s, what);
}
template <typename T>
T Check(absl::StatusOr<T> s, const char* what) {
  Check(s.status(), what);
  return *std::move(s);
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct World {
  World();
  ~World() {
    engine.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }

  std::filesystem::path dir;
  uint64_t customers = 0;
  uint64_t events = 0;
  ManualClock clock;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<Engine> engine;
  std::vector<ConversationId> archived_long;  // closed and archived, 200 messages
  std::vector<ConversationId> open_long;      // open, 200 messages
};

World::World() : customers(CustomerCount()) {
  char pattern[] = "/tmp/omniroute-history-XXXXXX";
  if (mkdtemp(pattern) == nullptr) std::abort();
  dir = pattern;
  const std::string path = (dir / "events.db").string();
  const uint64_t long_count = std::min<uint64_t>(1'000, customers / 10);
  const uint64_t open_long_count = std::max<uint64_t>(1, long_count / 10);
  if (customers < long_count + open_long_count || long_count == 0) {
    std::fprintf(stderr, "history benchmark: OMNIROUTE_BENCH_CUSTOMERS must be at least 20\n");
    std::exit(1);
  }
  {
    auto build_store = Check(OpenSqliteEventStore({.path = path,
                                                   .durability = Durability::kNoSync}),
                             "open store");
    auto build = Check(Engine::Open({.clock = &clock, .store = build_store.get()}),
                       "open engine");
    TenantOptions options;
    options.closed_retention = kClosedRetention;
    Check(build->CreateTenant(kTenant, options), "create tenant");

    auto start = std::chrono::steady_clock::now();
    std::vector<ConversationId> conversations(customers);
    for (uint64_t i = 0; i < customers; ++i) {
      InboundMessage m;
      m.channel = v1::CHANNEL_EMAIL;
      m.sender = {v1::IDENTITY_KIND_EMAIL, "", absl::StrCat("customer", i, "@example.com")};
      m.external_id = absl::StrCat("m-", i, "-0");
      m.body = absl::StrCat("My order ", 4411 + i, " has not arrived and nobody answers me.");
      conversations[i] = Check(build->IngestMessage(kTenant, m), "ingest").conversation;
      clock.Advance(absl::Milliseconds(10));
    }
    std::fprintf(stderr, "  %llu customers: %.1f s\n",
                 static_cast<unsigned long long>(customers), Seconds(start));

    // The long conversations: customers [0, long_count + open_long_count).
    start = std::chrono::steady_clock::now();
    const uint64_t long_total = long_count + open_long_count;
    for (int round = 1; round < kLongMessages; ++round) {
      for (uint64_t i = 0; i < long_total; ++i) {
        if (round % 2 == 1) {
          OutboundMessage out;
          out.conversation = conversations[i];
          out.channel = v1::CHANNEL_EMAIL;
          out.agent_id = "agent-1";
          out.body = absl::StrCat("Reply ", round, ": we are looking into order ", 4411 + i, ".");
          Check(build->RecordOutbound(kTenant, out).status(), "record outbound");
        } else {
          InboundMessage m;
          m.channel = v1::CHANNEL_EMAIL;
          m.sender = {v1::IDENTITY_KIND_EMAIL, "", absl::StrCat("customer", i, "@example.com")};
          m.external_id = absl::StrCat("m-", i, "-", round);
          m.body = absl::StrCat("Message ", round, " about order ", 4411 + i, ": still waiting.");
          const IngestResult r = Check(build->IngestMessage(kTenant, m), "ingest");
          if (r.conversation != conversations[i]) {
            std::fprintf(stderr, "history benchmark: a long conversation was split\n");
            std::exit(1);
          }
        }
        clock.Advance(absl::Milliseconds(1));
      }
    }
    std::fprintf(stderr, "  %llu long conversations of %d messages: %.1f s\n",
                 static_cast<unsigned long long>(long_total), kLongMessages, Seconds(start));

    start = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < customers; ++i) {
      const bool open = (i >= long_count && i < long_total) || (i >= long_total && i % 10 == 0);
      if (open) continue;
      Check(build->SetConversationStatus(kTenant, conversations[i],
                                         v1::CONVERSATION_STATUS_CLOSED, Actor::System()),
            "close");
    }
    clock.Advance(kClosedRetention + absl::Seconds(1));
    uint64_t archived = 0;
    for (;;) {
      const int done = Check(build->RunDueTimers(kTenant), "run timers");
      if (done <= 0) break;
      archived += static_cast<uint64_t>(done);
    }
    std::fprintf(stderr, "  closed and archived (%llu archived or timers): %.1f s\n",
                 static_cast<unsigned long long>(archived), Seconds(start));
    archived_long.assign(conversations.begin(), conversations.begin() + long_count);
    open_long.assign(conversations.begin() + long_count, conversations.begin() + long_total);
    events = Check(build->LastSequence(kTenant), "last sequence");
  }
  // Restart on the same file, with syncs, as a server would.
  store = Check(OpenSqliteEventStore({.path = path, .create_if_missing = false}), "reopen store");
  auto start = std::chrono::steady_clock::now();
  engine = Check(Engine::Open({.clock = &clock, .store = store.get()}), "reopen engine");
  std::fprintf(stderr, "  %llu events; restart: %.1f s; file %llu MB\n",
               static_cast<unsigned long long>(events), Seconds(start),
               static_cast<unsigned long long>(std::filesystem::file_size(path) >> 20));
  // The archived conversations are out of memory: GetConversation answers
  // from the store and says CLOSED.
  const ConversationView view = Check(engine->GetConversation(kTenant, archived_long[0]),
                                      "get archived conversation");
  if (view.status != v1::CONVERSATION_STATUS_CLOSED) {
    std::fprintf(stderr, "history benchmark: an archived conversation is not closed\n");
    std::exit(1);
  }
}

World* the_world = nullptr;

World& TheWorld() {
  if (the_world == nullptr) the_world = new World();
  return *the_world;
}

enum class Page { kFirst, kSecond };

void ReportPercentiles(benchmark::State& state, std::vector<double>& micros) {
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) {
    return micros[std::min(micros.size() - 1, static_cast<size_t>(q * micros.size()))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.counters["p999_us"] = at(0.999);
  state.counters["max_us"] = micros.back();
}

void ReadPages(benchmark::State& state, const std::vector<ConversationId>& pool, Page which) {
  World& w = TheWorld();
  absl::BitGen gen;
  std::vector<double> micros;
  micros.reserve(static_cast<size_t>(state.max_iterations));
  for (auto _ : state) {
    const ConversationId c = pool[absl::Uniform<size_t>(gen, 0, pool.size())];
    PageRequest request{.page_size = kPageSize};
    if (which == Page::kSecond) {
      state.PauseTiming();
      request.page_token = Check(w.engine->GetTimelinePage(kTenant, c, request), "first page")
                               .next_page_token;
      state.ResumeTiming();
    }
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<TimelinePage> page = w.engine->GetTimelinePage(kTenant, c, request);
    micros.push_back(std::chrono::duration<double, std::micro>(
                         std::chrono::steady_clock::now() - start)
                         .count());
    if (!page.ok()) Die(page.status(), "timeline page");
    if (page->entries.size() != static_cast<size_t>(kPageSize) || !page->entries[0].message ||
        page->entries[0].message->body.empty()) {
      state.SkipWithError("a page without 100 messages with bodies");
      break;
    }
    benchmark::DoNotOptimize(page);
  }
  ReportPercentiles(state, micros);
  state.counters["customers"] = static_cast<double>(w.customers);
  state.counters["events"] = static_cast<double>(w.events);
  state.counters["conversations"] = static_cast<double>(pool.size());
}

void BM_ArchivedTimelinePage_First(benchmark::State& state) {
  ReadPages(state, TheWorld().archived_long, Page::kFirst);
}
void BM_ArchivedTimelinePage_Second(benchmark::State& state) {
  ReadPages(state, TheWorld().archived_long, Page::kSecond);
}
void BM_OpenTimelinePage_First(benchmark::State& state) {
  ReadPages(state, TheWorld().open_long, Page::kFirst);
}

BENCHMARK(BM_ArchivedTimelinePage_First)->Iterations(20'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ArchivedTimelinePage_Second)->Iterations(20'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OpenTimelinePage_First)->Iterations(20'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace omniroute

int main(int argc, char** argv) {
  omniroute::base::RestartWithHugePageHeap(argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // The world and its temporary directory go with the benchmarks.
  delete omniroute::the_world;
  return 0;
}
