// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Chaos on a cluster: three real omniroute-server processes on one real
// PostgreSQL, under load, while nodes are killed (SIGKILL) and restarted,
// paused past their lease (SIGSTOP, then SIGCONT) and the database itself
// is restarted. The load: clients that ingest messages with fresh external
// ids through any node (retrying UNAVAILABLE, CANCELLED and deadlines, as
// a client of a cluster does: a redelivery is recognised), watchers of the
// change feed that resume on any node from their last sequence + 1, and
// omniroute-load's mixed workload (agents streaming, accepting and
// completing offers) on a tenant of its own. At the end:
//   - every acknowledged message is in the log exactly once, and no message
//     is in it twice;
//   - each tenant's live state (DiagnosticsService.GetStateFingerprint, at
//     its owner) equals a replay of its log;
//   - every feed watcher saw sequences 1, 2, 3, ... with no gap and no
//     repeat across its resumes;
//   - the appends the fence refused to deposed owners are counted (nodes'
//     GetNodeStatus) and reported.
//
// OMNIROUTE_CHAOS_CYCLES (default 5) and OMNIROUTE_CHAOS_SEED (default
// 20261206) set the run; tools/chaos.sh runs many cycles. Nodes bind
// 127.0.0.1 (port 0 first, then the same port on restart); the database
// listens on a unix socket only. Waits poll conditions with deadlines.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "omniroute/engine.h"
#include "omniroute/postgres_event_store.h"
#include "omniroute/v1/service.grpc.pb.h"
#include "service/server_process.h"
#include "service/service_test_support.h"
#include "service/state_fingerprint.h"
#include "store/postgres_test_server.h"
#include "store/sqlite_test_files.h"

namespace omniroute::service_test {
namespace {

using testing_internal::ScratchDir;

constexpr int kLeaseMs = 1000;
// How long a step may take to show its effect (failover, restart, catch-up)
// on a loaded 2-core machine; each wait ends as soon as its condition holds.
constexpr absl::Duration kStepDeadline = absl::Seconds(60);
// A call's own deadline: short, so that a call stuck on a paused node is
// retried elsewhere.
constexpr std::chrono::milliseconds kCallDeadline{2000};
const std::vector<std::string> kTenants = {"chaos-0", "chaos-1", "chaos-2",
                                           "chaos-3", "chaos-4", "chaos-5"};
constexpr char kMixedTenant[] = "chaos-mixed";

int64_t EnvOr(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  int64_t parsed = 0;
  if (value == nullptr || !absl::SimpleAtoi(value, &parsed)) return fallback;
  return parsed;
}

template <typename Condition>
bool Eventually(Condition condition, absl::Duration within = kStepDeadline) {
  const absl::Time deadline = absl::Now() + within;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

bool Retryable(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::CANCELLED ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// Channels to every node; calls go to any of them (each forwards to the
// tenant's owner) and move on to the next on a retryable failure.
class Cluster {
 public:
  explicit Cluster(std::vector<std::string> addresses) {
    for (const std::string& address : addresses) {
      channels_.push_back(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    }
  }

  const std::shared_ptr<grpc::Channel>& channel(size_t i) const {
    return channels_[i % channels_.size()];
  }
  size_t size() const { return channels_.size(); }

  // Calls `call` on node after node until it answers other than retryably
  // or `stop` is set; the last status.
  template <typename Call>
  grpc::Status Retry(Call call, const std::atomic<bool>& stop, size_t start = 0) {
    grpc::Status status;
    for (size_t attempt = 0;; ++attempt) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
      status = call(channel(start + attempt), context);
      if (!Retryable(status) || stop) return status;
      // A client's backoff between attempts.
      absl::SleepFor(absl::Milliseconds(std::min<int64_t>(5 << std::min<size_t>(attempt, 5), 100)));
    }
  }

 private:
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

// Ingests messages with fresh external ids into the tenants, round robin,
// each retried until acknowledged; remembers the acknowledged ones.
class Ingesters {
 public:
  Ingesters(Cluster& cluster, int threads) : cluster_(cluster) {
    for (int t = 0; t < threads; ++t) threads_.emplace_back([this, t] { Run(t); });
  }
  ~Ingesters() { Stop(); }

  void Stop() {
    stop_ = true;
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  int64_t acknowledged() const { return acknowledged_; }
  std::map<std::string, std::set<std::string>> acked() {
    absl::MutexLock lock(&mu_);
    return acked_;
  }
  std::vector<std::string> failures() {
    absl::MutexLock lock(&mu_);
    return failures_;
  }
  // What each thread is sending now, and the last answer it got.
  std::string Describe() {
    absl::MutexLock lock(&mu_);
    std::string out;
    for (const auto& [thread, what] : current_)
      absl::StrAppend(&out, "ingester ", thread, ": ", what, "\n");
    return out;
  }

 private:
  void Run(int thread) {
    for (int i = 0; !stop_; ++i) {
      const std::string& tenant = kTenants[i % kTenants.size()];
      const std::string external_id = absl::StrCat("w", thread, "-", i);
      const v1::IngestMessageRequest request =
          EmailMessage(tenant, absl::StrCat("c", i % 50, "@example.com"), external_id, "chaos");
      v1::IngestMessageResponse response;
      grpc::Status status = cluster_.Retry(
          [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context) {
            grpc::Status s = v1::ConversationService::NewStub(channel)->IngestMessage(
                &context, request, &response);
            absl::MutexLock lock(&mu_);
            current_[thread] =
                absl::StrCat(tenant, " ", external_id, " via ", channel->GetState(false), ": code ",
                             s.error_code(), " ", s.error_message());
            return s;
          },
          stop_, static_cast<size_t>(thread + i));
      absl::MutexLock lock(&mu_);
      if (status.ok()) {
        acked_[tenant].insert(external_id);
        ++acknowledged_;
      } else if (!Retryable(status)) {
        failures_.push_back(absl::StrCat(tenant, " ", external_id, ": ", status.error_message()));
      }
    }
  }

  Cluster& cluster_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acknowledged_{0};
  absl::Mutex mu_;
  std::map<std::string, std::set<std::string>> acked_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> failures_ ABSL_GUARDED_BY(mu_);
  std::map<int, std::string> current_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

// Follows one tenant's change feed through any node, resuming from the
// last sequence + 1 whenever the stream ends; checks every event is the
// next sequence.
class FeedWatcher {
 public:
  FeedWatcher(Cluster& cluster, std::string tenant)
      : cluster_(cluster), tenant_(std::move(tenant)), thread_([this] { Run(); }) {}
  ~FeedWatcher() { Stop(); }

  void Stop() {
    stop_ = true;
    {
      absl::MutexLock lock(&mu_);
      if (context_ != nullptr) context_->TryCancel();
    }
    if (thread_.joinable()) thread_.join();
  }
  uint64_t last() const { return next_ - 1; }
  int64_t resumes() const { return resumes_; }
  std::vector<std::string> violations() {
    absl::MutexLock lock(&mu_);
    return violations_;
  }

 private:
  void Run() {
    for (size_t attempt = 0; !stop_; ++attempt) {
      grpc::ClientContext context;
      // A stream on a paused node ends at its deadline and resumes
      // elsewhere.
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
        context_ = &context;
      }
      v1::WatchEventsRequest request;
      request.set_tenant_id(tenant_);
      request.set_from_sequence(next_);
      auto stream =
          v1::EventService::NewStub(cluster_.channel(attempt))->WatchEvents(&context, request);
      v1::Event event;
      bool delivered = false;
      while (stream->Read(&event)) {
        delivered = true;
        if (event.sequence() != next_) {
          absl::MutexLock lock(&mu_);
          violations_.push_back(absl::StrCat(tenant_, ": expected sequence ", next_.load(),
                                             ", got ", event.sequence()));
        }
        next_ = event.sequence() + 1;
      }
      (void)stream->Finish();
      {
        absl::MutexLock lock(&mu_);
        context_ = nullptr;
      }
      // A stream that delivered events and ended (its node died, paused or
      // let the tenant go): the next one resumes where it stopped.
      if (delivered && !stop_) ++resumes_;
      if (!stop_) absl::SleepFor(absl::Milliseconds(20));
    }
  }

  Cluster& cluster_;
  const std::string tenant_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> next_{1};
  std::atomic<int64_t> resumes_{0};
  absl::Mutex mu_;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::vector<std::string> violations_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// omniroute-load's mixed workload on its own tenant, through every node,
// until killed at the end of the run (its --duration bounds it anyway).
class MixedLoad {
 public:
  MixedLoad(const std::string& targets, absl::Duration bound, const std::string& log) {
    std::vector<std::string> args = {OMNIROUTE_LOAD_PATH,
                                     absl::StrCat("--target=", targets),
                                     "--workload=mixed",
                                     "--concurrency=4",
                                     "--agents=4",
                                     "--warmup=0s",
                                     absl::StrCat("--duration=", absl::ToInt64Seconds(bound), "s"),
                                     "--max_error_ratio=1",
                                     "--rpc_timeout=2s",
                                     absl::StrCat("--tenant=", kMixedTenant)};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~MixedLoad() { Stop(); }
  bool started() const { return pid_ > 0; }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

class ClusterChaosTest : public ::testing::Test {
 protected:
  struct Node {
    std::string id;
    int port = 0;
    int runs = 0;
    std::unique_ptr<ServerProcess> process;
  };

  void SetUp() override {
    pg_ = testing_internal::SharedPostgresServer();
    ASSERT_NE(pg_, nullptr);
    conninfo_ = testing_internal::NewPostgresDatabase();
    ASSERT_FALSE(conninfo_.empty());
    uri_ = absl::StrCat("postgresql:///", testing_internal::DatabaseOf(conninfo_),
                        "?user=omniroute&host=", pg_->socket_dir());
    for (const char* id : {"a", "b", "c"}) {
      Node& node = nodes_.emplace_back();
      node.id = id;
      ASSERT_NO_FATAL_FAILURE(StartNode(node));
    }
  }

  void StartNode(Node& node) {
    const std::string port_file = dir_.File(absl::StrCat(node.id, ".port"));
    std::filesystem::remove(port_file);
    node.process = std::make_unique<ServerProcess>(
        std::vector<std::string>{
            absl::StrCat("--listen=127.0.0.1:", node.port), absl::StrCat("--store=", uri_),
            absl::StrCat("--node_id=", node.id), absl::StrCat("--lease_ms=", kLeaseMs),
            absl::StrCat("--port_file=", port_file)},
        dir_.File(absl::StrCat(node.id, "-", node.runs++, ".log")));
    std::optional<int> port = node.process->WaitForPort(port_file);
    ASSERT_TRUE(port.has_value());
    node.port = *port;
  }

  std::string Address(const Node& node) const { return absl::StrCat("127.0.0.1:", node.port); }

  std::vector<std::string> Addresses() const {
    std::vector<std::string> out;
    for (const Node& node : nodes_) out.push_back(Address(node));
    return out;
  }

  // The node's status, or nullopt if it does not answer within a second.
  std::optional<v1::NodeStatus> StatusOf(const Node& node) {
    auto stub = v1::DiagnosticsService::NewStub(
        grpc::CreateChannel(Address(node), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    v1::NodeStatus status;
    if (!stub->GetNodeStatus(&context, v1::GetNodeStatusRequest(), &status).ok()) {
      return std::nullopt;
    }
    return status;
  }

  // Adds what a node's fence refused so far to the run's count (before the
  // node is killed, and at the end).
  void CountRefusals(const Node& node) {
    if (std::optional<v1::NodeStatus> status = StatusOf(node)) {
      refused_stale_appends_ += status->refused_stale_appends();
    }
  }

  // Waits until the ingesters have `more` acknowledgements more than now.
  ::testing::AssertionResult Progress(Ingesters& ingesters, int64_t more, absl::string_view after) {
    const int64_t target = ingesters.acknowledged() + more;
    if (Eventually([&] { return ingesters.acknowledged() >= target; })) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "cycle " << cycle_ << ": no progress within " << kStepDeadline << " after " << after
           << " (acknowledged " << ingesters.acknowledged() << ", wanted " << target << ")\n"
           << ingesters.Describe() << Diagnose();
  }

  // What the nodes and the lease table say, and the end of each node's log:
  // what a failed step is reported with.
  std::string Diagnose() {
    std::string out;
    for (const Node& node : nodes_) {
      std::optional<v1::NodeStatus> status = StatusOf(node);
      absl::StrAppend(&out, "node ", node.id, " at ", Address(node), ": ",
                      status.has_value() ? status->ShortDebugString() : "does not answer", "\n");
    }
    absl::StatusOr<std::vector<std::vector<std::string>>> rows =
        pg_->Query(testing_internal::DatabaseOf(conninfo_),
                   "SELECT l.tenant, l.owner, l.epoch, n.expires_at, n.draining, "
                   "(extract(epoch from now()) * 1000000)::bigint FROM omniroute.leases l "
                   "LEFT JOIN omniroute.nodes n ON n.id = l.owner ORDER BY 1");
    if (rows.ok()) {
      for (const auto& row : *rows) absl::StrAppend(&out, "lease ", absl::StrJoin(row, " "), "\n");
    } else {
      absl::StrAppend(&out, "leases: ", rows.status().ToString(), "\n");
    }
    for (const Node& node : nodes_) {
      const std::string log = node.process->log();
      absl::StrAppend(&out, "--- end of node ", node.id, "'s log ---\n",
                      log.size() > 3000 ? log.substr(log.size() - 3000) : log, "\n");
    }
    return out;
  }

  // Whether every tenant of `tenants` is held by exactly one live node.
  bool ExactlyOneOwnerEach(const std::vector<std::string>& tenants) {
    std::map<std::string, int> owners;
    for (const Node& node : nodes_) {
      std::optional<v1::NodeStatus> status = StatusOf(node);
      if (!status.has_value()) return false;
      for (const std::string& t : status->held_tenant_ids()) ++owners[t];
    }
    for (const std::string& t : tenants) {
      if (owners[t] != 1) return false;
    }
    return true;
  }

  ScratchDir dir_;
  testing_internal::PostgresTestServer* pg_ = nullptr;
  std::string conninfo_;
  std::string uri_;
  std::vector<Node> nodes_;
  int64_t refused_stale_appends_ = 0;
  int64_t cycle_ = -1;
};

TEST_F(ClusterChaosTest, AcknowledgedCommandsSurviveKillsPausesAndDatabaseRestartsExactlyOnce) {
  const int64_t cycles = EnvOr("OMNIROUTE_CHAOS_CYCLES", 5);
  std::mt19937_64 random(static_cast<uint64_t>(EnvOr("OMNIROUTE_CHAOS_SEED", 20261206)));
  Cluster cluster(Addresses());
  std::atomic<bool> never{false};
  for (const std::string& tenant : kTenants) {
    grpc::Status created = cluster.Retry(
        [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context) {
          v1::CreateTenantRequest request;
          request.set_tenant_id(tenant);
          v1::CreateTenantResponse response;
          return v1::TenantService::NewStub(channel)->CreateTenant(&context, request, &response);
        },
        never);
    ASSERT_TRUE(created.ok()) << tenant << ": " << created.error_message();
  }

  Ingesters ingesters(cluster, 2);
  FeedWatcher watch_first(cluster, kTenants[0]);
  FeedWatcher watch_second(cluster, kTenants[1]);
  MixedLoad mixed(absl::StrJoin(Addresses(), ","), absl::Seconds(30 + 20 * cycles),
                  dir_.File("load.log"));
  ASSERT_TRUE(mixed.started());
  ASSERT_TRUE(Progress(ingesters, 50, "start"));

  int kills = 0, pauses = 0, database_restarts = 0;
  for (int64_t cycle = 0; cycle < cycles; ++cycle) {
    cycle_ = cycle;
    Node& node = nodes_[random() % nodes_.size()];
    if (cycle % 5 == 2) {
      ASSERT_TRUE(pg_->Restart().ok());
      ++database_restarts;
      ASSERT_TRUE(Progress(ingesters, 20, "a database restart"));
    } else if (random() % 2 == 0) {
      CountRefusals(node);
      ASSERT_EQ(kill(node.process->pid(), SIGKILL), 0);
      ++kills;
      ASSERT_TRUE(Progress(ingesters, 20, absl::StrCat("killing node ", node.id)));
      node.process->WaitForExit(kStopTimeout);
      ASSERT_NO_FATAL_FAILURE(StartNode(node));
    } else {
      std::optional<v1::NodeStatus> before = StatusOf(node);
      ASSERT_EQ(kill(node.process->pid(), SIGSTOP), 0);
      ++pauses;
      // Paused past its lease: another node serves its tenants.
      ASSERT_TRUE(Progress(ingesters, 20, absl::StrCat("pausing node ", node.id)));
      if (before.has_value() && before->held_tenant_ids_size() > 0) {
        const std::string taken = before->held_tenant_ids(0);
        ASSERT_TRUE(Eventually([&] {
          for (const Node& other : nodes_) {
            if (&other == &node) continue;
            std::optional<v1::NodeStatus> s = StatusOf(other);
            if (s.has_value()) {
              for (const std::string& t : s->held_tenant_ids()) {
                if (t == taken) return true;
              }
            }
          }
          return false;
        })) << taken
            << " was not taken from the paused node " << node.id;
      }
      ASSERT_EQ(kill(node.process->pid(), SIGCONT), 0);
      ASSERT_TRUE(Eventually([&] { return StatusOf(node).has_value(); }));
    }
    ASSERT_TRUE(Progress(ingesters, 20, absl::StrCat("cycle ", cycle)));
  }

  mixed.Stop();
  ingesters.Stop();
  watch_first.Stop();
  watch_second.Stop();
  EXPECT_THAT(ingesters.failures(), ::testing::IsEmpty());
  std::vector<std::string> all_tenants = kTenants;
  all_tenants.push_back(kMixedTenant);
  ASSERT_TRUE(Eventually([&] { return ExactlyOneOwnerEach(all_tenants); }));
  for (const Node& node : nodes_) CountRefusals(node);

  // Every acknowledged message exactly once; no message twice.
  PostgresStoreOptions reader_options;
  reader_options.conninfo = conninfo_;
  absl::StatusOr<std::unique_ptr<EventStore>> reader = OpenPostgresEventStore(reader_options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  const std::map<std::string, std::set<std::string>> acked = ingesters.acked();
  int64_t lost = 0, duplicated = 0, acknowledged = 0;
  for (const std::string& tenant : kTenants) {
    std::map<std::string, int> stored;
    ASSERT_TRUE((*reader)
                    ->Read(tenant, 1,
                           [&](const v1::Event& event) {
                             if (event.has_message_recorded()) {
                               ++stored[event.message_recorded().external_id()];
                             }
                             return true;
                           })
                    .ok());
    for (const auto& [id, count] : stored) duplicated += count > 1 ? count - 1 : 0;
    auto it = acked.find(tenant);
    if (it == acked.end()) continue;
    acknowledged += it->second.size();
    for (const std::string& id : it->second) lost += stored.contains(id) ? 0 : 1;
  }
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(duplicated, 0);

  // Each tenant's live state equals a replay of its log. Timers may still
  // append (offers of the mixed workload expiring), so the two are taken
  // again until they are at the same sequence.
  for (const std::string& tenant : all_tenants) {
    bool same_sequence = false;
    for (int attempt = 0; attempt < 10 && !same_sequence; ++attempt) {
      v1::StateFingerprint live;
      grpc::Status status = cluster.Retry(
          [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext& context) {
            v1::GetStateFingerprintRequest request;
            request.set_tenant_id(tenant);
            return v1::DiagnosticsService::NewStub(channel)->GetStateFingerprint(&context, request,
                                                                                 &live);
          },
          never);
      ASSERT_TRUE(status.ok()) << tenant << ": " << status.error_message();
      absl::StatusOr<std::unique_ptr<Engine>> replay = Engine::Open({.store = reader->get()});
      ASSERT_TRUE(replay.ok()) << replay.status();
      absl::StatusOr<std::string> dump = (*replay)->DumpState(tenant);
      ASSERT_TRUE(dump.ok()) << dump.status();
      absl::StatusOr<uint64_t> replayed_sequence = (*replay)->LastSequence(tenant);
      ASSERT_TRUE(replayed_sequence.ok());
      if (*replayed_sequence != live.sequence()) continue;
      same_sequence = true;
      EXPECT_EQ(service::StateFingerprint(*dump), live.fingerprint())
          << tenant << " at sequence " << live.sequence();
    }
    EXPECT_TRUE(same_sequence) << tenant << ": the live state and the log never settled";
  }

  // The feeds: gap-free and repeat-free across every resume.
  EXPECT_THAT(watch_first.violations(), ::testing::IsEmpty());
  EXPECT_THAT(watch_second.violations(), ::testing::IsEmpty());
  EXPECT_GT(watch_first.last(), 0u);

  std::printf(
      "chaos test: %lld cycles (%d kills, %d pauses, %d database restarts), %lld messages "
      "acknowledged, %lld lost, %lld duplicated, %lld stale appends refused by the fence, feeds "
      "followed to sequences %llu and %llu over %lld resumes with no gap or repeat\n",
      static_cast<long long>(cycles), kills, pauses, database_restarts,
      static_cast<long long>(acknowledged), static_cast<long long>(lost),
      static_cast<long long>(duplicated), static_cast<long long>(refused_stale_appends_),
      static_cast<unsigned long long>(watch_first.last()),
      static_cast<unsigned long long>(watch_second.last()),
      static_cast<long long>(watch_first.resumes() + watch_second.resumes()));
}

}  // namespace
}  // namespace omniroute::service_test
