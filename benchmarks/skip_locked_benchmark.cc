// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// omniroute's routing next to what teams build instead: waiting tasks in a
// PostgreSQL table claimed with SELECT ... FOR UPDATE SKIP LOCKED
// (benchmarks/skip_locked/baseline.sql says what it models), on the same
// workload (routing_workload.h: 10,000 agents, 200 queues, 50 skills) and
// the same machine, at each --waiting size:
//
//   omniroute    one thread drives the matcher (lib/routing/matcher.h): an
//                available agent with spare capacity asks for the best task
//                it may take (BestTaskFor), takes it (the task leaves the
//                queue, the agent's load goes up); then, untimed, the agent
//                ends it (load back down) and a new task arrives in the same
//                queue, on the same channel, with the same priority, so that
//                the waiting tasks stay the same in number and in kind (with
//                random arrivals, the tasks few agents may take would pile
//                up, faster on the faster side, and the two sides would no
//                longer be matching the same pool). The timed part is the
//                claim.
//   skip_locked  --connections threads, each with its own connection and
//                its own share of the same agents, do the same with the
//                baseline's statements: claim (one statement, its own
//                transaction), complete, enqueue a new task.
//
// Reported per side: claims per second (successful ones; an agent that may
// take nothing counts as an attempt), and the latency of a claim, p50 and
// p99 in µs; then omniroute ÷ skip_locked of the claims per second. The
// matcher side is in memory on one core with no durability; the baseline's
// claims are durable commits (fsync on) unless --durable=false: the ratio
// compares the decision a team would otherwise put in the database.
//
//   build/release/benchmarks/omniroute_skip_locked_benchmark
//       [--waiting=1000,100000] [--connections=16] [--seconds=5]
//       [--durable=true] [--sql=benchmarks/skip_locked/baseline.sql]
//       [--postgres_bin_dir=/usr/lib/postgresql/15/bin]
//
// The PostgreSQL server is started by the program (initdb in a temporary
// directory, a unix socket there, no TCP; as the "postgres" user when run
// as root: tests/store/postgres_test_server.h) and removed at the end.
// Exits 1 with the reason when the server cannot start or a statement
// fails, 2 on bad flags.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "routing/matcher.h"
#include "routing_workload.h"
#include "skip_locked/skip_locked_queue.h"
#include "store/postgres_test_server.h"

ABSL_FLAG(std::string, waiting, "1000,100000", "waiting task counts, comma-separated");
ABSL_FLAG(int, connections, 16, "baseline: connections (one thread each)");
ABSL_FLAG(double, seconds, 5, "timed seconds per side and size");
ABSL_FLAG(bool, durable, true, "baseline: PostgreSQL with fsync on (false: fsync off)");
ABSL_FLAG(std::string, sql, OMNIROUTE_BASELINE_SQL, "the baseline's SQL file");
ABSL_FLAG(std::string, postgres_bin_dir, ::omniroute::testing_internal::DefaultPostgresBinDir(),
          "where the PostgreSQL server's initdb and postgres are");

namespace omniroute::routing {
namespace {

using Clock = std::chrono::steady_clock;
using ::omniroute::baseline::BaselineSql;
using ::omniroute::baseline::SkipLockedQueue;
using ::omniroute::testing_internal::PostgresTestServer;
using ::omniroute::testing_internal::PostgresTestServerOptions;

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "omniroute_skip_locked_benchmark: " << message << "\n";
  std::exit(1);
}

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) Die(absl::StrCat(what, ": ", s.ToString()));
}

// Ids of the tasks that arrive during a run: above every initial one, and
// apart per thread.
constexpr uint64_t kArrivalIdBase = uint64_t{1} << 40;
constexpr uint64_t kArrivalIdsPerThread = uint64_t{1} << 32;

struct Side {
  int64_t claims = 0;
  int64_t attempts = 0;
  double seconds = 0;
  std::vector<int64_t> latencies_ns;  // of the successful claims
  bool sorted = false;

  double PerSecond() const { return seconds > 0 ? claims / seconds : 0; }
  double PercentileUs(double p) {
    if (latencies_ns.empty()) return 0;
    if (!sorted) std::sort(latencies_ns.begin(), latencies_ns.end());
    sorted = true;
    const size_t rank = static_cast<size_t>(p * (latencies_ns.size() - 1) + 0.5);
    return latencies_ns[rank] / 1000.0;
  }
};

// The agents that claim: available, with spare capacity (the full ones can
// take nothing until they free some).
std::vector<AgentId> Claimers(const RoutingWorkload& workload) {
  std::vector<AgentId> claimers;
  for (const Agent& agent : workload.agents) {
    if (agent.presence == Presence::kAvailable && agent.load < agent.capacity) {
      claimers.push_back(agent.id);
    }
  }
  return claimers;
}

Side RunOmniroute(int64_t waiting, double seconds) {
  RoutingWorkload workload;
  Matcher matcher;
  for (const Queue& queue : workload.queues) Check(matcher.AddQueue(queue), "AddQueue");
  for (const Agent& agent : workload.agents) Check(matcher.AddAgent(agent), "AddAgent");
  for (int64_t i = 0; i < waiting; ++i) {
    Check(matcher.Enqueue(workload.RandomTask(i + 1, i + 1)), "Enqueue");
  }
  const std::vector<AgentId> claimers = Claimers(workload);
  std::mt19937_64 pick(7);
  uint64_t next_id = kArrivalIdBase;
  uint64_t next_arrival = static_cast<uint64_t>(waiting) + 1;
  Side side;
  side.latencies_ns.reserve(1 << 22);
  const Clock::time_point start = Clock::now();
  const Clock::time_point end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  Clock::time_point now = start;
  while (now < end) {
    const AgentId id = claimers[pick() % claimers.size()];
    ++side.attempts;
    const Clock::time_point t0 = Clock::now();
    std::optional<Assignment> a = matcher.BestTaskFor(id);
    if (!a.has_value()) {
      now = Clock::now();
      continue;
    }
    Task task = *matcher.FindTask(a->task);
    Check(matcher.Cancel(task.id), "Cancel");
    Agent agent = *matcher.FindAgent(id);
    const Agent before = agent;
    agent.load += agent.costs[task.channel];
    agent.active_channels |= MaskOf(task.channel);
    Check(matcher.UpdateAgent(std::move(agent)), "UpdateAgent");
    now = Clock::now();
    side.latencies_ns.push_back(std::chrono::nanoseconds(now - t0).count());
    ++side.claims;
    // Untimed: the task ends, a new one arrives.
    Check(matcher.UpdateAgent(before), "UpdateAgent");
    task.id = TaskId(next_id++);
    task.arrival = next_arrival++;
    Check(matcher.Enqueue(std::move(task)), "Enqueue");
  }
  side.seconds = std::chrono::duration<double>(now - start).count();
  return side;
}

Side RunSkipLocked(const std::string& conninfo, const BaselineSql& sql, int64_t waiting,
                   int connections, double seconds) {
  RoutingWorkload workload;
  {
    absl::StatusOr<std::unique_ptr<SkipLockedQueue>> setup =
        SkipLockedQueue::CreateSchema(conninfo, sql);
    Check(setup.status(), "schema");
    std::vector<Task> tasks;
    tasks.reserve(waiting);
    for (int64_t i = 0; i < waiting; ++i) tasks.push_back(workload.RandomTask(i + 1, i + 1));
    Check((*setup)->InTransaction([&]() -> absl::Status {
      for (const Queue& queue : workload.queues) {
        if (absl::Status s = (*setup)->AddQueue(queue); !s.ok()) return s;
      }
      for (const Agent& agent : workload.agents) {
        if (absl::Status s = (*setup)->AddAgent(agent); !s.ok()) return s;
      }
      return absl::OkStatus();
    }),
          "queues and agents");
    Check((*setup)->EnqueueAll(tasks), "waiting tasks");
    // As autovacuum would have by then: the planner knows the tables.
    Check((*setup)->Execute("VACUUM ANALYZE"), "VACUUM ANALYZE");
  }
  const std::vector<AgentId> claimers = Claimers(workload);
  std::atomic<uint64_t> next_arrival{static_cast<uint64_t>(waiting) + 1};
  std::atomic<bool> timing{false};
  std::atomic<bool> stop{false};
  std::vector<Side> sides(connections);
  std::vector<std::thread> threads;
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      absl::StatusOr<std::unique_ptr<SkipLockedQueue>> queue =
          SkipLockedQueue::Connect(conninfo, sql);
      Check(queue.status(), "connect");
      std::mt19937_64 pick(7 + t);
      uint64_t next_id = kArrivalIdBase + t * kArrivalIdsPerThread;
      Side& side = sides[t];
      side.latencies_ns.reserve(1 << 16);
      // Agent i belongs to thread i % connections: no two threads claim for
      // one agent.
      const size_t share = (claimers.size() - t + connections - 1) / connections;
      while (!stop.load(std::memory_order_relaxed)) {
        const AgentId agent = claimers[t + (pick() % share) * connections];
        const bool timed = timing.load(std::memory_order_relaxed);
        const Clock::time_point t0 = Clock::now();
        absl::StatusOr<std::optional<SkipLockedQueue::Claimed>> claimed = (*queue)->Claim(agent);
        const Clock::time_point t1 = Clock::now();
        Check(claimed.status(), "claim");
        if (timed) ++side.attempts;
        if (!claimed->has_value()) continue;
        if (timed) {
          ++side.claims;
          side.latencies_ns.push_back(std::chrono::nanoseconds(t1 - t0).count());
        }
        Check((*queue)->Complete(agent, (*claimed)->task), "complete");
        Task fresh;
        fresh.id = TaskId(next_id++);
        fresh.queue = (*claimed)->queue;
        fresh.channel = (*claimed)->channel;
        fresh.priority = (*claimed)->priority;
        fresh.arrival = next_arrival.fetch_add(1);
        Check((*queue)->Enqueue(fresh), "enqueue");
      }
    });
  }
  // Half a second untimed: connections open, plans cached.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  timing.store(true);
  const Clock::time_point start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  timing.store(false);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  Side all;
  all.seconds = elapsed;
  for (Side& side : sides) {
    all.claims += side.claims;
    all.attempts += side.attempts;
    all.latencies_ns.insert(all.latencies_ns.end(), side.latencies_ns.begin(),
                            side.latencies_ns.end());
  }
  return all;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "omniroute's matcher next to a PostgreSQL SKIP LOCKED task table on the same workload");
  absl::ParseCommandLine(argc, argv);
  std::vector<int64_t> sizes;
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_waiting), ',')) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 1 || n > 10'000'000) {
      std::cerr << "omniroute_skip_locked_benchmark: --waiting: \"" << part
                << "\" is not a count from 1 to 10,000,000\n";
      return 2;
    }
    sizes.push_back(n);
  }
  const int connections = absl::GetFlag(FLAGS_connections);
  if (connections < 1 || connections > 50) {
    std::cerr << "omniroute_skip_locked_benchmark: --connections: must be from 1 to 50, got "
              << connections << "\n";
    return 2;
  }
  const double seconds = absl::GetFlag(FLAGS_seconds);
  if (!(seconds > 0 && seconds <= 3600)) {
    std::cerr << "omniroute_skip_locked_benchmark: --seconds: must be above 0 and at most 3600\n";
    return 2;
  }
  absl::StatusOr<BaselineSql> sql = baseline::ReadBaselineSql(absl::GetFlag(FLAGS_sql));
  if (!sql.ok()) {
    std::cerr << "omniroute_skip_locked_benchmark: --sql: " << sql.status().message() << "\n";
    return 2;
  }

  PostgresTestServerOptions options;
  options.durable = absl::GetFlag(FLAGS_durable);
  options.max_connections = connections + 10;
  options.shared_buffers = "256MB";
  options.bin_dir = absl::GetFlag(FLAGS_postgres_bin_dir);
  absl::StatusOr<std::unique_ptr<PostgresTestServer>> server = PostgresTestServer::Start(options);
  if (!server.ok()) Die(absl::StrCat("PostgreSQL did not start: ", server.status().ToString()));
  absl::StatusOr<std::string> conninfo = (*server)->CreateDatabase();
  if (!conninfo.ok()) Die(absl::StrCat("PostgreSQL: ", conninfo.status().ToString()));

  std::printf("%-9s %-12s %8s %14s %10s %10s %10s\n", "waiting", "side", "threads", "claims/s",
              "matched", "p50 us", "p99 us");
  for (int64_t waiting : sizes) {
    Side mine = RunOmniroute(waiting, seconds);
    Side theirs = RunSkipLocked(*conninfo, *sql, waiting, connections, seconds);
    for (auto [name, side, threads] :
         {std::tuple<const char*, Side*, int>{"omniroute", &mine, 1},
          std::tuple<const char*, Side*, int>{"skip_locked", &theirs, connections}}) {
      std::printf("%-9lld %-12s %8d %14.0f %10.3f %10.2f %10.2f\n", static_cast<long long>(waiting),
                  name, threads, side->PerSecond(),
                  side->attempts > 0 ? static_cast<double>(side->claims) / side->attempts : 0.0,
                  side->PercentileUs(0.50), side->PercentileUs(0.99));
    }
    std::printf("ratio %lld omniroute/skip_locked %.1f\n", static_cast<long long>(waiting),
                theirs.PerSecond() > 0 ? mine.PerSecond() / theirs.PerSecond() : 0.0);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace omniroute::routing

int main(int argc, char** argv) { return omniroute::routing::Main(argc, argv); }
