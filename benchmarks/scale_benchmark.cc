// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The engine at scale, through its public API (on a ManualClock): how much
// memory a tenant holds, and how the cost of the common operations grows
// from 10k to 1M customers.
//
// The engine keeps its events and their history (message bodies included)
// in a store. To measure the tenant's working set and not the history, the
// store is a SQLite file without syncs in a temporary directory
// (OMNIROUTE_SCALE_STORE=memory: a store in memory, whose events then count
// in the heap figures too); SQLite's page cache is bounded (a few MB).
//
// Each population n (the benchmark argument: 10k, 100k, 1M) is one tenant
// built in phases, the heap measured around each (glibc mallinfo2: bytes in
// use in the heap plus mmapped blocks; VmRSS beside it):
//
//   1 ingest       n customers each write one email (empty body): a
//                  customer, its email identity, a conversation, a message
//                  and a task waiting in the "email" queue (no agent yet).
//   2 link         a phone identity linked to each customer.
//   3 close        90% of the conversations closed (their tasks cancelled):
//                  the dormant customers most of a tenant is made of.
//   3b archive     the clock passes the tenant's closed_retention (1 minute
//                  here) and RunDueTimers archives every closed
//                  conversation: they, their messages' records and their
//                  tasks leave memory for the store.
//   4 assign       n/10,000 email agents of 900 units each come online and
//                  accept the oldest tasks until full: of the n/10 open
//                  conversations, 90% are assigned and n/100 tasks wait.
//   This is the state the operation benchmarks run on. Then, on k = n/10
//   dormant customers, to attribute the figures:
//   5 reopen       each writes again: a new open conversation, its message
//                  and a waiting task.
//   6 abandon      those tasks are abandoned (they leave the queue).
//   7 new task     one more message in each: a new waiting task and a
//                  message.
//   8 message      one more message in each: a message only (the waiting
//                  task covers it).
//   9 close        those conversations are closed again.
//
// Derived figures (the counters of BM_Memory):
//   bytes_per_customer            phases 1 + 2 per customer + phases 3 and
//                                 3b per closed conversation: a customer
//                                 with two identities whose conversations
//                                 are archived.
//   bytes_freed_per_archived_conversation   phase 3b per conversation: a
//                                 closed conversation of one message, with
//                                 its cancelled task, leaving memory.
//   bytes_per_identity            phase 2 per customer.
//   bytes_per_open_conversation   phase 5 per conversation: conversation,
//                                 one message, one waiting task.
//   bytes_per_waiting_task        phase 7 - phase 8.
//   bytes_per_message             phase 8 (empty body).
// A hash table that doubles inside a phase is charged to that phase: its
// new slots are initialized, so they are real memory. Each phase's heap and RSS change is printed on stderr.
//
// The operations (BM_FindCustomer, BM_IngestIntoOpenConversation,
// BM_LinkIdentity, BM_IngestFromNewCustomer, BM_RoutingCycle) run on the
// world of phase 9 for their n; the world is built once per n, and the
// benchmarks of one n run together.
//
//   build/release/benchmarks/omniroute_scale_benchmark

#include <malloc.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/huge_page_heap.h"
#include "benchmark/benchmark.h"
#include "core/core_state.h"
#include "core/identity_index.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "routing/routing_state.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;

constexpr char kTenant[] = "scale";
constexpr int kAgentCapacity = 900;
constexpr absl::Duration kClosedRetention = absl::Minutes(1);

// ---------------------------------------------------------------- memory

// Bytes the allocator has handed out and not been given back: chunks in use
// in every arena plus blocks mmapped directly (the big tables).
int64_t HeapBytes() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

int64_t RssBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

// Bytes of an absl::flat_hash_map with n entries grown by insertion: a
// capacity of 2^k - 1 slots, grown before it is 7/8 full, one control byte
// per slot plus a group of cloned ones.
int64_t FlatHashMapBytes(uint64_t n, size_t slot_bytes) {
  uint64_t capacity = 15;
  while (n > capacity - capacity / 8) capacity = capacity * 2 + 1;
  return static_cast<int64_t>(capacity * (slot_bytes + 1) + 16);
}

// Bytes of the identity index with n entries (lib/core/identity_index.h):
// it doubles before it is 7/8 full; an 8-byte slot each.
int64_t IdentityIndexBytes(uint64_t n) {
  uint64_t slots = 16;
  while (8 * n > 7 * slots) slots *= 2;
  return static_cast<int64_t>(slots * 8);
}

// What glibc takes for a heap block of `bytes`: the size word, rounded to 16,
// at least 32.
int64_t ChunkBytes(size_t bytes) {
  return static_cast<int64_t>(std::max<size_t>(32, (bytes + 8 + 15) / 16 * 16));
}

// ---------------------------------------------------------------- world

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

std::string EmailOf(uint64_t i) { return absl::StrCat("customer", i, "@example.com"); }
std::string PhoneOf(uint64_t i) { return absl::StrCat("+1", 2'000'000'000 + i); }

struct Phase {
  const char* name;
  int64_t heap = 0;  // change
  int64_t rss = 0;   // change
  double seconds = 0;
  int64_t net() const { return heap; }
};

// One tenant of n customers, built as the file comment says.
struct World {
  explicit World(uint64_t population);

  InboundMessage Email(uint64_t customer, Channel channel = v1::CHANNEL_EMAIL) {
    InboundMessage m;
    m.channel = channel;
    m.sender = {v1::IDENTITY_KIND_EMAIL, "", EmailOf(customer)};
    m.external_id = absl::StrCat("m", next_external_id++);
    return m;
  }
  IngestResult Ingest(const InboundMessage& m) {
    IngestResult r = Check(engine->IngestMessage(kTenant, m), "IngestMessage");
    if (r.task.has_value()) tasks = std::max(tasks, r.task->value());
    return r;
  }
  // Runs `body` as a measured phase.
  template <typename Body>
  const Phase& Measure(const char* name, Body body) {
    Phase p{name};
    const int64_t heap = HeapBytes();
    const int64_t rss = RssBytes();
    const auto start = std::chrono::steady_clock::now();
    body();
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    p.heap = HeapBytes() - heap;
    p.rss = RssBytes() - rss;
    phases.push_back(p);
    std::fprintf(stderr, "  n=%llu %-9s %8.2f s  heap %+14lld B  rss %+14lld B\n",
                 static_cast<unsigned long long>(n), name, p.seconds,
                 static_cast<long long>(p.heap), static_cast<long long>(p.rss));
    return phases.back();
  }

  const uint64_t n;
  const uint64_t open;     // n / 10 customers keep their conversation open
  const uint64_t waiting;  // n / 100 of those tasks wait
  ManualClock clock;
  std::string store_dir;  // Empty for a store in memory.
  std::unique_ptr<EventStore> store;
  std::unique_ptr<Engine> engine;
  std::vector<CustomerId> customers;
  std::vector<Phase> phases;
  int64_t heap_before = 0;     // before the engine was opened
  int64_t heap_recipe = 0;     // after phase 4, engine included
  int64_t rss_before = 0;
  int64_t rss_recipe = 0;
  uint64_t tasks = 0;          // the highest task id so far: tasks created
  uint64_t next_external_id = 0;
  uint64_t next_phone = 0;
  uint64_t next_newcomer = 0;
  uint64_t next_cycle_customer;  // dormant customers not used by the cycle yet
};

World::World(uint64_t population)
    : n(population), open(population / 10), waiting(population / 100) {
  heap_before = HeapBytes();
  rss_before = RssBytes();
  const char* store_kind = std::getenv("OMNIROUTE_SCALE_STORE");
  if (store_kind != nullptr && std::string(store_kind) == "memory") {
    store = NewMemoryEventStore();
  } else {
    char dir[] = "/tmp/omniroute-scale-XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    store_dir = dir;
    store = Check(OpenSqliteEventStore({.path = store_dir + "/events.db",
                                        .durability = Durability::kNoSync}),
                  "OpenSqliteEventStore");
  }
  engine = Check(Engine::Open({.clock = &clock, .store = store.get()}), "Engine::Open");
  TenantOptions options;
  options.closed_retention = kClosedRetention;
  Check(engine->CreateTenant(kTenant, options), "CreateTenant");
  Check(engine->UpsertQueue(kTenant, {.id = "email", .channels = {v1::CHANNEL_EMAIL}}),
        "UpsertQueue");
  Check(engine->UpsertQueue(kTenant, {.id = "chat", .channels = {v1::CHANNEL_CHAT}}),
        "UpsertQueue");
  Check(engine->ConfigureRouting(
            kTenant, {.rules = {{.channels = {v1::CHANNEL_EMAIL}, .queue = "email"},
                                {.channels = {v1::CHANNEL_CHAT}, .queue = "chat"}}}),
        "ConfigureRouting");
  // The routing cycle's agent: chat only, so the waiting email work never
  // reaches them.
  Check(engine->UpsertAgent(kTenant, {.id = "chat-1", .channels = {v1::CHANNEL_CHAT}}),
        "UpsertAgent");
  Check(engine->SetAgentPresence(kTenant, "chat-1", v1::AGENT_PRESENCE_AVAILABLE),
        "SetAgentPresence");

  std::vector<ConversationId> conversations(n);
  customers.resize(n);
  Measure("ingest", [&] {
    for (uint64_t i = 0; i < n; ++i) {
      const IngestResult r = Ingest(Email(i));
      if (!r.customer_created || !r.task.has_value()) std::abort();
      customers[i] = r.customer;
      conversations[i] = r.conversation;
    }
  });
  Measure("link", [&] {
    for (uint64_t i = 0; i < n; ++i) {
      Check(engine->LinkIdentity(kTenant, customers[i], {v1::IDENTITY_KIND_PHONE, "", PhoneOf(i)},
                                 Actor::System()),
            "LinkIdentity");
    }
    next_phone = n;
  });
  Measure("close", [&] {
    for (uint64_t i = open; i < n; ++i) {
      Check(engine->SetConversationStatus(kTenant, conversations[i],
                                          v1::CONVERSATION_STATUS_CLOSED, Actor::System()),
            "SetConversationStatus");
    }
  });
  Measure("archive", [&] {
    clock.Advance(kClosedRetention + absl::Seconds(1));
    while (Check(engine->RunDueTimers(kTenant), "RunDueTimers") > 0) {
    }
  });
  Measure("assign", [&] {
    const uint64_t agents = std::max<uint64_t>(1, (open - waiting) / kAgentCapacity);
    for (uint64_t a = 0; a < agents; ++a) {
      const std::string id = absl::StrCat("email-", a);
      Check(engine->UpsertAgent(kTenant, {.id = id,
                                          .channels = {v1::CHANNEL_EMAIL},
                                          .capacity = kAgentCapacity}),
            "UpsertAgent");
      Check(engine->SetAgentPresence(kTenant, id, v1::AGENT_PRESENCE_AVAILABLE),
            "SetAgentPresence");
      const AgentView agent = Check(engine->GetAgent(kTenant, id), "GetAgent");
      for (TaskId task : agent.offered_tasks) Check(engine->AcceptOffer(kTenant, task, id), "AcceptOffer");
    }
  });
  const QueueStats stats = Check(engine->GetQueueStats(kTenant, "email"), "GetQueueStats");
  if (static_cast<uint64_t>(stats.waiting) != waiting) {
    std::fprintf(stderr, "expected %llu waiting tasks, found %d\n",
                 static_cast<unsigned long long>(waiting), stats.waiting);
    std::abort();
  }
  heap_recipe = HeapBytes() - heap_before;
  rss_recipe = RssBytes() - rss_before;

  // Attribution, on k dormant customers.
  const uint64_t k = open;
  std::vector<ConversationId> reopened(k);
  std::vector<TaskId> reopened_tasks(k);
  Measure("reopen", [&] {
    for (uint64_t i = 0; i < k; ++i) {
      const IngestResult r = Ingest(Email(open + i));
      if (r.outcome != v1::THREAD_OUTCOME_OPENED || !r.task.has_value()) std::abort();
      reopened[i] = r.conversation;
      reopened_tasks[i] = *r.task;
    }
  });
  Measure("abandon", [&] {
    for (TaskId task : reopened_tasks) Check(engine->AbandonTask(kTenant, task), "AbandonTask");
  });
  Measure("new task", [&] {
    for (uint64_t i = 0; i < k; ++i) {
      if (!Ingest(Email(open + i)).task.has_value()) std::abort();
    }
  });
  Measure("message", [&] {
    for (uint64_t i = 0; i < k; ++i) {
      if (Ingest(Email(open + i)).task.has_value()) std::abort();
    }
  });
  Measure("close", [&] {
    for (ConversationId c : reopened) {
      Check(engine->SetConversationStatus(kTenant, c, v1::CONVERSATION_STATUS_CLOSED,
                                          Actor::System()),
            "SetConversationStatus");
    }
  });
  next_cycle_customer = open;
}

// The world of the population being measured; building another frees it
// first, so that only one is in memory.
std::unique_ptr<World>& CurrentWorld() {
  static auto* world = new std::unique_ptr<World>();
  return *world;
}

World& WorldOf(uint64_t n) {
  std::unique_ptr<World>& world = CurrentWorld();
  if (world == nullptr || world->n != n) {
    world.reset();
    world = std::make_unique<World>(n);
  }
  return *world;
}

// ---------------------------------------------------------------- benchmarks

void BM_Memory(benchmark::State& state) {
  const uint64_t n = state.range(0);
  for (auto _ : state) WorldOf(n);
  const World& w = WorldOf(n);
  const Phase& ingest = w.phases[0];
  const Phase& link = w.phases[1];
  const Phase& close = w.phases[2];
  const Phase& archive = w.phases[3];
  const Phase& assign = w.phases[4];
  const Phase& reopen = w.phases[5];
  const Phase& abandon = w.phases[6];
  const Phase& new_task = w.phases[7];
  const Phase& message = w.phases[8];
  const double dn = static_cast<double>(n);
  const double closed = static_cast<double>(n - w.open);
  const double k = static_cast<double>(w.open);
  auto& c = state.counters;
  c["customers"] = dn;
  c["open_conversations"] = static_cast<double>(w.open);
  c["waiting_tasks"] = static_cast<double>(w.waiting);
  c["assigned_tasks"] = static_cast<double>(w.open - w.waiting);

  // The tenant as built (phase 4), everything included.
  c["heap_bytes"] = static_cast<double>(w.heap_recipe);
  c["rss_bytes"] = static_cast<double>(w.rss_recipe);
  c["heap_bytes_per_customer_all_in"] = w.heap_recipe / dn;
  c["rss_bytes_per_customer_all_in"] = w.rss_recipe / dn;

  c["bytes_per_customer"] =
      ingest.net() / dn + link.net() / dn + (close.net() + archive.net()) / closed;
  c["rss_per_customer"] = ingest.rss / dn + link.rss / dn + (close.rss + archive.rss) / closed;
  c["bytes_freed_per_archived_conversation"] = -archive.net() / closed;
  c["bytes_per_identity"] = link.net() / dn;
  c["bytes_freed_per_closed_conversation"] = -close.net() / closed;
  c["bytes_per_assignment"] = assign.net() / static_cast<double>(w.open - w.waiting);
  c["bytes_per_open_conversation"] = reopen.net() / k;
  c["bytes_per_waiting_task"] = (new_task.net() - message.net()) / k;
  c["bytes_per_message"] = message.net() / k;
  c["bytes_per_open_conversation_without_task"] =
      (reopen.net() - (new_task.net() - message.net())) / k;
  c["bytes_freed_when_task_leaves_queue"] = -abandon.net() / k;

  // The state structures, for the explanation of the figures.
  c["sizeof_customer_state"] = sizeof(core::CustomerState);
  c["sizeof_identity"] = sizeof(Identity);
  c["sizeof_conversation_state"] = sizeof(core::ConversationState);
  c["sizeof_message_state"] = sizeof(core::MessageState);
  c["sizeof_task_state"] = sizeof(routing::TaskState);
  c["sizeof_conversation_routing_state"] = sizeof(routing::ConversationRoutingState);
  // Index sizes at the recipe state: 2n identities, n conversations with
  // routing records; per customer.
  c["est_identity_index_per_customer"] = IdentityIndexBytes(2 * n) / dn;
  c["est_conversation_routing_map_per_customer"] =
      FlatHashMapBytes(n, sizeof(std::pair<const ConversationId, routing::ConversationRoutingState>)) / dn;
  // The heap block of one dormant customer outside the tables: its profile
  // (no name or language here; an email and a phone number).
  c["est_profile_block_per_customer"] = static_cast<double>(ChunkBytes(
      8 + 2 + (3 + EmailOf(n).size()) + (3 + PhoneOf(n).size())));
  state.SetLabel("see the counters; bodies empty");
}

// Random identities of the population, half emails, half phones, built as a
// parser would (raw, then normalized by the engine).
void BM_FindCustomer(benchmark::State& state) {
  World& w = WorldOf(state.range(0));
  absl::BitGen gen;
  std::vector<RawIdentity> keys(1 << 14);
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint64_t c = absl::Uniform<uint64_t>(gen, 0, w.n);
    keys[i] = i % 2 == 0 ? RawIdentity{v1::IDENTITY_KIND_EMAIL, "", EmailOf(c)}
                         : RawIdentity{v1::IDENTITY_KIND_PHONE, "", PhoneOf(c)};
  }
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<CustomerView> found = w.engine->FindCustomer(kTenant, keys[i++ & 0x3fff]);
    if (!found.ok()) std::abort();
    benchmark::DoNotOptimize(found);
  }
  state.counters["customers"] = static_cast<double>(w.n);
}

// A customer writes again into their open conversation (assigned or
// waiting): a message, no new task.
void BM_IngestIntoOpenConversation(benchmark::State& state) {
  World& w = WorldOf(state.range(0));
  absl::BitGen gen;
  for (auto _ : state) {
    const IngestResult r = w.Ingest(w.Email(absl::Uniform<uint64_t>(gen, 0, w.open)));
    if (r.outcome != v1::THREAD_OUTCOME_JOINED_BY_CONTINUITY) std::abort();
  }
  state.counters["customers"] = static_cast<double>(w.n);
}

// A new phone number linked to a random customer.
void BM_LinkIdentity(benchmark::State& state) {
  World& w = WorldOf(state.range(0));
  absl::BitGen gen;
  for (auto _ : state) {
    const CustomerId customer = w.customers[absl::Uniform<uint64_t>(gen, 0, w.n)];
    Check(w.engine->LinkIdentity(kTenant, customer,
                                 {v1::IDENTITY_KIND_PHONE, "", PhoneOf(w.next_phone++)},
                                 Actor::System()),
          "LinkIdentity");
  }
  state.counters["customers"] = static_cast<double>(w.n);
}

// Someone unknown writes: a customer, a conversation, a waiting task.
void BM_IngestFromNewCustomer(benchmark::State& state) {
  World& w = WorldOf(state.range(0));
  for (auto _ : state) {
    InboundMessage m = w.Email(0);
    m.sender.value = absl::StrCat("newcomer", w.next_newcomer++, "@example.org");
    if (!w.Ingest(m).customer_created) std::abort();
  }
  state.counters["customers"] = static_cast<double>(w.n);
}

// A dormant customer starts a chat: the task is created and offered to the
// chat agent in the same command, who accepts it and completes it. The
// conversation is then closed, outside the timing, so that the next customer
// finds the agent free and the open conversations stay as they were.
void BM_RoutingCycle(benchmark::State& state) {
  World& w = WorldOf(state.range(0));
  for (auto _ : state) {
    if (w.next_cycle_customer >= w.n) {
      state.SkipWithError("ran out of dormant customers");
      break;
    }
    const IngestResult r = w.Ingest(w.Email(w.next_cycle_customer++, v1::CHANNEL_CHAT));
    if (!r.task.has_value()) std::abort();
    Check(w.engine->AcceptOffer(kTenant, *r.task, "chat-1"), "AcceptOffer");
    Check(w.engine->CompleteTask(kTenant, *r.task, "chat-1"), "CompleteTask");
    state.PauseTiming();
    Check(w.engine->SetConversationStatus(kTenant, r.conversation, v1::CONVERSATION_STATUS_CLOSED,
                                          Actor::System()),
          "SetConversationStatus");
    state.ResumeTiming();
  }
  state.counters["customers"] = static_cast<double>(w.n);
}

void RegisterAll() {
  // The benchmarks of one population run together, so that each world is
  // built once; the mutating ones have fixed iteration counts so that they
  // change it by the same amount at every size.
  for (int64_t n : {10'000, 100'000, 1'000'000}) {
    benchmark::RegisterBenchmark("BM_Memory", BM_Memory)->Arg(n)->Iterations(1)->Unit(
        benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_FindCustomer", BM_FindCustomer)
        ->Arg(n)
        ->MinTime(0.5)
        ->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark("BM_IngestIntoOpenConversation", BM_IngestIntoOpenConversation)
        ->Arg(n)
        ->Iterations(20'000)
        ->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark("BM_LinkIdentity", BM_LinkIdentity)
        ->Arg(n)
        ->Iterations(20'000)
        ->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark("BM_RoutingCycle", BM_RoutingCycle)
        ->Arg(n)
        ->Iterations(5'000)
        ->Unit(benchmark::kNanosecond);
    benchmark::RegisterBenchmark("BM_IngestFromNewCustomer", BM_IngestFromNewCustomer)
        ->Arg(n)
        ->Iterations(5'000)
        ->Unit(benchmark::kNanosecond);
  }
}

}  // namespace
}  // namespace omniroute

int main(int argc, char** argv) {
  omniroute::base::RestartWithHugePageHeap(argv);
  omniroute::RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
