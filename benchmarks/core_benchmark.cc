// Benchmarks of the domain core on a store in memory: identity lookup, link
// and merge, and ingest into an existing and into a new conversation, with
// one tenant of 1M customers loaded (OMNIROUTE_BENCH_CUSTOMERS overrides).
// Each command's events are appended to the store, which keeps the history
// and the message keys that ingest looks up (redeliveries, references).
//
//   build/release/benchmarks/omniroute_core_benchmark
//
// Results and the machine they were measured on: benchmarks/README.md.

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "base/huge_page_heap.h"
#include "benchmark/benchmark.h"
#include "core/tenant_core.h"
#include "engine/pending_message_keys.h"
#include "omniroute/clock.h"
#include "omniroute/event_store.h"
#include "tenant/tenant_state.h"

namespace omniroute {
namespace {

using core::Events;
using core::TenantCore;

size_t CustomerCount() {
  const char* env = std::getenv("OMNIROUTE_BENCH_CUSTOMERS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 1'000'000;
}

std::string EmailOf(size_t i) { return absl::StrCat("customer", i, "@example.com"); }

// Whether a benchmarked command's events are appended to the store after
// they are applied. kNo measures the core alone (decide, stamp, apply; the
// redelivery and reference checks still look up the store's indexes), as
// this benchmark did before the history moved to the store; the store's own
// cost is omniroute_store_benchmark's.
enum class Append { kYes, kNo };

// Decides, stamps and applies one command; aborts on error (a benchmark
// measures the path that works).
template <typename Decide>
void Run(tenant::TenantState& state, EventStore& store, absl::Time now, Events& events,
         Decide decide, Append append = Append::kYes) {
  events.clear();
  auto result = decide(events);
  if (!result.ok()) {
    std::fprintf(stderr, "benchmark command failed: %s\n", result.status().ToString().c_str());
    std::abort();
  }
  state.Stamp(absl::MakeSpan(events), now);
  for (const ::omniroute::v1::Event& event : events) {
    if (absl::Status s = state.Apply(event); !s.ok()) std::abort();
  }
  if (append == Append::kNo) return;
  if (absl::Status s = store.Append(state.tenant_id(), events); !s.ok()) std::abort();
}

// One tenant with N customers, each with an email identity and one open
// conversation of one message. Built once and shared by every benchmark.
struct World {
  ManualClock clock;
  tenant::TenantState state{"bench"};
  // Decides on `state`'s core.
  TenantCore core{state.core()};
  std::unique_ptr<EventStore> store = NewMemoryEventStore();
  // Every command's events are stored before the next: nothing is pending.
  engine_internal::PendingMessageKeys keys{*store, "bench"};
  size_t customers = CustomerCount();
  std::vector<Identity> identities;
  uint64_t next_external_id = 0;

  World() {
    Events events;
    TenantOptions options;
    options.default_continuity_window = absl::Hours(24 * 365);
    Run(state, *store, clock.Now(), events, [&](Events& e) {
      return absl::StatusOr<bool>(core.DecideConfigure(options, &e).ok());
    });
    identities.reserve(customers);
    for (size_t i = 0; i < customers; ++i) {
      InboundMessage m;
      m.channel = v1::CHANNEL_EMAIL;
      m.sender = {v1::IDENTITY_KIND_EMAIL, "", EmailOf(i)};
      m.external_id = absl::StrCat("seed-", i);
      m.body = "My order has not arrived.";
      Run(state, *store, clock.Now(), events, [&](Events& e) { return core.DecideIngest(m, clock.Now(), keys, &e); });
      identities.push_back({v1::IDENTITY_KIND_EMAIL, "", EmailOf(i)});
    }
  }
};

World& TheWorld() {
  static World* world = new World();
  return *world;
}

// The lookup a message's sender goes through: the key is built from the
// message (here: written into a reused buffer, as a parser would), then looked
// up among all customers. Customers are picked at random over the whole
// population so that the table misses caches as it would in production.
void IdentityLookup(benchmark::State& state, size_t population) {
  World& w = TheWorld();
  population = std::min(population, w.customers);
  absl::BitGen gen;
  std::vector<uint32_t> order(1 << 16);
  for (auto& i : order) i = absl::Uniform<uint32_t>(gen, 0, population);
  Identity key{v1::IDENTITY_KIND_EMAIL, "", ""};
  key.value.reserve(64);
  size_t k = 0;
  for (auto _ : state) {
    key.value.clear();
    absl::StrAppend(&key.value, "customer", order[k++ & 0xffff], "@example.com");
    const CustomerId owner = w.core.state().OwnerOf(key);
    benchmark::DoNotOptimize(owner);
  }
  state.counters["customers"] = static_cast<double>(population);
}

void BM_IdentityLookup(benchmark::State& state) {
  IdentityLookup(state, std::numeric_limits<size_t>::max());
}
BENCHMARK(BM_IdentityLookup);

// The same over 10k customers, whose part of the table stays in cache: the
// cost of the lookup itself, without the trip to memory.
void BM_IdentityLookupHotSet(benchmark::State& state) { IdentityLookup(state, 10'000); }
BENCHMARK(BM_IdentityLookupHotSet);

void BM_NormalizeAndLookup(benchmark::State& state) {
  World& w = TheWorld();
  absl::BitGen gen;
  std::vector<RawIdentity> raws(1 << 12);
  for (auto& raw : raws) {
    raw = {v1::IDENTITY_KIND_EMAIL, "",
           absl::StrCat("  Customer", absl::Uniform<uint32_t>(gen, 0, w.customers),
                        "@Example.com ")};
  }
  size_t k = 0;
  for (auto _ : state) {
    absl::StatusOr<Identity> id = NormalizeIdentity(raws[k++ & 0xfff], "");
    benchmark::DoNotOptimize(w.core.state().OwnerOf(*id));
  }
}
BENCHMARK(BM_NormalizeAndLookup);

void BM_LinkNewIdentity(benchmark::State& state) {
  World& w = TheWorld();
  absl::BitGen gen;
  Events events;
  static uint64_t n = 0;  // Numbers linked stay linked across runs.
  for (auto _ : state) {
    const CustomerId customer(absl::Uniform<uint64_t>(gen, 1, w.customers + 1));
    const RawIdentity phone{v1::IDENTITY_KIND_PHONE, "", absl::StrCat("+1", 2000000000 + n++)};
    Run(w.state, *w.store, w.clock.Now(), events, [&](Events& e) {
      return w.core.DecideLink(customer, phone, Actor::System(), LinkMode::kExplicit,
                               w.clock.Now(), &e);
    });
  }
}
BENCHMARK(BM_LinkNewIdentity);

// Each iteration links the email of one customer to another: a merge of two
// customers with their conversations (threads joined).
void BM_LinkThatMerges(benchmark::State& state) {
  World& w = TheWorld();
  Events events;
  static size_t next = 0;  // Customers already merged stay merged across runs.
  for (auto _ : state) {
    if (next + 1 >= w.customers) {
      state.SkipWithError("ran out of unmerged customers");
      break;
    }
    const CustomerId survivor(next + 1);
    const RawIdentity other{v1::IDENTITY_KIND_EMAIL, "", EmailOf(next + 1)};
    next += 2;
    Run(w.state, *w.store, w.clock.Now(), events, [&](Events& e) {
      return w.core.DecideLink(survivor, other, Actor::Agent("a1"), LinkMode::kExplicit,
                               w.clock.Now(), &e);
    });
  }
}
BENCHMARK(BM_LinkThatMerges)->Iterations(200'000);

// Each message is from a known customer, picked at random over the whole
// population, and joins that customer's open conversation.
void IngestIntoExistingConversation(benchmark::State& state, Append append) {
  World& w = TheWorld();
  absl::BitGen gen;
  Events events;
  InboundMessage m;
  m.channel = v1::CHANNEL_EMAIL;
  m.body = "Any news about my order? It still has not arrived.";
  m.sender.kind = v1::IDENTITY_KIND_EMAIL;
  for (auto _ : state) {
    m.sender.value = EmailOf(absl::Uniform<size_t>(gen, 0, w.customers));
    m.external_id = absl::StrCat("x-", w.next_external_id++);
    Run(
        w.state, *w.store, w.clock.Now(), events,
        [&](Events& e) { return w.core.DecideIngest(m, w.clock.Now(), w.keys, &e); }, append);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_IngestIntoExistingConversation(benchmark::State& state) {
  IngestIntoExistingConversation(state, Append::kYes);
}
BENCHMARK(BM_IngestIntoExistingConversation);

// Each message is from a new customer on a public channel: a customer, an
// identity, a conversation and the message.
void IngestIntoNewConversation(benchmark::State& state, Append append) {
  World& w = TheWorld();
  Events events;
  InboundMessage m;
  m.channel = v1::CHANNEL_PUBLIC_SOCIAL;
  m.body = "Your support never answers. Three weeks without my order!";
  m.sender.kind = v1::IDENTITY_KIND_SOCIAL_HANDLE;
  m.sender.network = "x";
  for (auto _ : state) {
    const uint64_t n = w.next_external_id++;
    m.sender.value = absl::StrCat("newcomer", n);
    m.external_id = absl::StrCat("p-", n);
    Run(
        w.state, *w.store, w.clock.Now(), events,
        [&](Events& e) { return w.core.DecideIngest(m, w.clock.Now(), w.keys, &e); }, append);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_IngestIntoNewConversation(benchmark::State& state) {
  IngestIntoNewConversation(state, Append::kYes);
}
BENCHMARK(BM_IngestIntoNewConversation);

// The same two without the store's append: the core alone.
void BM_CoreOnlyIngestIntoExistingConversation(benchmark::State& state) {
  IngestIntoExistingConversation(state, Append::kNo);
}
BENCHMARK(BM_CoreOnlyIngestIntoExistingConversation);

void BM_CoreOnlyIngestIntoNewConversation(benchmark::State& state) {
  IngestIntoNewConversation(state, Append::kNo);
}
BENCHMARK(BM_CoreOnlyIngestIntoNewConversation);

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
