// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Several omniroute servers on one real PostgreSQL (service/ownership.h):
// tenants spread over the nodes with exactly one owner each; a call to a
// node that does not own its tenant is answered UNAVAILABLE with the
// owner's address in the trailing metadata "omniroute-owner"; a node that
// joins takes its share by clean handoff, and one that shuts down hands
// every tenant off, with no failed acknowledged call; a node killed with
// SIGKILL (a real omniroute-server process) loses its tenants to another
// node within its lease plus the catch-up, with every acknowledged message
// in the log exactly once and a state equal to a replay.
//
// Servers bind 127.0.0.1 port 0. Waits poll a condition until a deadline;
// the client's retry of an UNAVAILABLE call (what any client of a cluster
// does) is its only pause.

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "omniroute/engine.h"
#include "omniroute/postgres_event_store.h"
#include "omniroute/tenant_lease.h"
#include "service/cluster_fixture.h"
#include "service/server.h"
#include "service/server_process.h"
#include "service/service_test_support.h"
#include "store/postgres_test_server.h"
#include "store/sqlite_test_files.h"

namespace omniroute::service_test {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing_internal::ScratchDir;
using service::kOwnerMetadataKey;

// A client of the cluster: sends each tenant's calls to the node it last
// heard owns it, follows "omniroute-owner" hints, and retries UNAVAILABLE
// (the same external id, so a message stored but not acknowledged is
// recognised as a redelivery, never stored twice), and CANCELLED from a
// node that shuts down.
class ClusterClient {
 public:
  explicit ClusterClient(std::vector<std::string> addresses) : addresses_(std::move(addresses)) {}

  void AddAddress(const std::string& address) {
    absl::MutexLock lock(&mu_);
    addresses_.push_back(address);
  }

  // Calls until OK or a status other than UNAVAILABLE or CANCELLED, or
  // `within` passes.
  template <typename Call>
  grpc::Status Send(const std::string& tenant, Call call, absl::Duration within = kWait) {
    const absl::Time deadline = absl::Now() + within;
    grpc::Status status;
    for (int attempt = 0;; ++attempt) {
      const std::string address = AddressFor(tenant, attempt);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      status = call(Channel(address), context);
      // A node that is shutting down cancels the calls it received but had
      // not started (after handing its tenants off, no command runs there):
      // a retry goes elsewhere, as for UNAVAILABLE.
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
          status.error_code() != grpc::StatusCode::CANCELLED) {
        return status;
      }
      auto hint = context.GetServerTrailingMetadata().find(kOwnerMetadataKey);
      absl::MutexLock lock(&mu_);
      if (hint != context.GetServerTrailingMetadata().end()) {
        guess_[tenant] = std::string(hint->second.data(), hint->second.size());
        ++hints_followed_;
      } else {
        guess_.erase(tenant);
      }
      if (absl::Now() > deadline) return status;
      mu_.Unlock();
      absl::SleepFor(absl::Milliseconds(2));  // The client's retry backoff.
      mu_.Lock();
    }
  }

  grpc::Status Ingest(const std::string& tenant, const std::string& external_id,
                      v1::IngestMessageResponse* response) {
    return Send(tenant, [&](const std::shared_ptr<grpc::Channel>& channel,
                            grpc::ClientContext& context) {
      return v1::ConversationService::NewStub(channel)->IngestMessage(
          &context, EmailMessage(tenant, absl::StrCat(tenant, "@example.com"), external_id, "hi"),
          response);
    });
  }

  grpc::Status CreateTenant(const std::string& tenant) {
    return Send(tenant, [&](const std::shared_ptr<grpc::Channel>& channel,
                            grpc::ClientContext& context) {
      v1::CreateTenantRequest request;
      request.set_tenant_id(tenant);
      v1::CreateTenantResponse response;
      return v1::TenantService::NewStub(channel)->CreateTenant(&context, request, &response);
    });
  }

  int hints_followed() {
    absl::MutexLock lock(&mu_);
    return hints_followed_;
  }

 private:
  std::string AddressFor(const std::string& tenant, int attempt) {
    absl::MutexLock lock(&mu_);
    if (auto it = guess_.find(tenant); it != guess_.end()) return it->second;
    return addresses_[attempt % addresses_.size()];
  }
  std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<grpc::Channel>& channel = channels_[address];
    if (channel == nullptr) {
      channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    }
    return channel;
  }

  absl::Mutex mu_;
  std::vector<std::string> addresses_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> guess_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(mu_);
  int hints_followed_ ABSL_GUARDED_BY(mu_) = 0;
};

// Ingests messages with fresh external ids into `tenants`, round robin,
// until stopped; remembers every acknowledged one and any call that failed
// for good.
class Traffic {
 public:
  Traffic(ClusterClient& client, std::vector<std::string> tenants)
      : client_(client), tenants_(std::move(tenants)), thread_([this] { Run(); }) {}
  ~Traffic() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t acknowledged() const { return acknowledged_count_; }
  // External ids acknowledged, by tenant.
  std::map<std::string, std::set<std::string>> acked() {
    absl::MutexLock lock(&mu_);
    return acked_;
  }
  std::vector<std::string> failures() {
    absl::MutexLock lock(&mu_);
    return failures_;
  }

 private:
  void Run() {
    for (int i = 0; !stop_; ++i) {
      const std::string& tenant = tenants_[i % tenants_.size()];
      const std::string external_id = absl::StrCat("m", i);
      v1::IngestMessageResponse response;
      grpc::Status status = client_.Ingest(tenant, external_id, &response);
      absl::MutexLock lock(&mu_);
      if (status.ok()) {
        acked_[tenant].insert(external_id);
        ++acknowledged_count_;
      } else {
        failures_.push_back(absl::StrCat(tenant, " ", external_id, ": ", Describe(status)));
      }
    }
  }

  ClusterClient& client_;
  const std::vector<std::string> tenants_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acknowledged_count_{0};
  absl::Mutex mu_;
  std::map<std::string, std::set<std::string>> acked_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> failures_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

class ClusterTest : public ClusterFixture {
 protected:
  // Every acknowledged message is in the log exactly once, and nothing else.
  void ExpectExactlyTheAcknowledged(const std::map<std::string, std::set<std::string>>& acked) {
    std::unique_ptr<EventStore> store = Reader();
    ASSERT_NE(store, nullptr);
    for (const auto& [tenant, ids] : acked) {
      const std::multiset<std::string> stored = StoredMessages(*store, tenant);
      EXPECT_EQ(stored, std::multiset<std::string>(ids.begin(), ids.end())) << tenant;
    }
  }
};

TEST_F(ClusterTest, TenantsSpreadOverTwoNodesEachOwnedByExactlyOneAndOthersPointToIt) {
  std::unique_ptr<service::Server> a = StartNode("a");
  std::unique_ptr<service::Server> b = StartNode("b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  // Both nodes see each other before tenants are placed.
  ASSERT_TRUE(Eventually([&] {
    return a->ownership()->OwnerOf("x").has_value() && b->ownership()->OwnerOf("x").has_value() &&
           a->ownership()->OwnerOf("x")->node_id == b->ownership()->OwnerOf("x")->node_id;
  }));
  ClusterClient client({Address(*a), Address(*b)});
  const std::vector<std::string> tenants = TenantNames(12);
  for (const std::string& tenant : tenants) {
    grpc::Status created = client.CreateTenant(tenant);
    ASSERT_TRUE(created.ok()) << tenant << ": " << Describe(created);
  }
  ASSERT_TRUE(Eventually([&] { return ExactlyOneOwnerEach(tenants, {a.get(), b.get()}); }));
  EXPECT_THAT(a->ownership()->Held(), Not(IsEmpty()));
  EXPECT_THAT(b->ownership()->Held(), Not(IsEmpty()));
  EXPECT_EQ(a->engine().ListTenants(), a->ownership()->Held());

  // A call to the node that does not own the tenant: UNAVAILABLE with the
  // owner's address, in the message and the trailing metadata.
  const std::string tenant = b->ownership()->Held().front();
  auto stub = v1::EventService::NewStub(
      grpc::CreateChannel(Address(*a), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  SetDeadline(context);
  v1::GetLastSequenceRequest request;
  request.set_tenant_id(tenant);
  v1::GetLastSequenceResponse response;
  grpc::Status status = stub->GetLastSequence(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("served by node b at " + Address(*b)));
  auto hint = context.GetServerTrailingMetadata().find(kOwnerMetadataKey);
  ASSERT_NE(hint, context.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(hint->second.data(), hint->second.size()), Address(*b));

  // Creating an existing tenant, wherever: ALREADY_EXISTS.
  EXPECT_EQ(client.CreateTenant(tenant).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_GT(client.hints_followed(), 0);
}

TEST_F(ClusterTest, AJoiningNodeTakesItsShareByCleanHandoffWithNoFailedCall) {
  std::unique_ptr<service::Server> a = StartNode("a");
  ASSERT_NE(a, nullptr);
  ClusterClient client({Address(*a)});
  const std::vector<std::string> tenants = TenantNames(8);
  for (const std::string& tenant : tenants) ASSERT_TRUE(client.CreateTenant(tenant).ok());
  EXPECT_EQ(a->ownership()->Held(), std::vector<std::string>(tenants.begin(), tenants.end()));

  Traffic traffic(client, tenants);
  ASSERT_TRUE(Eventually([&] { return traffic.acknowledged() >= 20; }));
  std::unique_ptr<service::Server> b = StartNode("b");
  ASSERT_NE(b, nullptr);
  client.AddAddress(Address(*b));
  ASSERT_TRUE(Eventually([&] {
    return !b->ownership()->Held().empty() && ExactlyOneOwnerEach(tenants, {a.get(), b.get()});
  }));
  // Traffic goes on to the moved tenants.
  const int64_t at_move = traffic.acknowledged();
  ASSERT_TRUE(Eventually([&] { return traffic.acknowledged() >= at_move + 40; }));
  traffic.Stop();
  EXPECT_THAT(traffic.failures(), IsEmpty());
  EXPECT_GT(client.hints_followed(), 0);
  ExpectExactlyTheAcknowledged(traffic.acked());
}

TEST_F(ClusterTest, ShutdownHandsEveryTenantToTheOtherNodeWithNoFailedCall) {
  std::unique_ptr<service::Server> a = StartNode("a");
  std::unique_ptr<service::Server> b = StartNode("b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ClusterClient client({Address(*a), Address(*b)});
  const std::vector<std::string> tenants = TenantNames(8);
  ASSERT_TRUE(Eventually([&] { return a->ownership()->OwnerOf("x").has_value() &&
                                      b->ownership()->OwnerOf("x").has_value(); }));
  for (const std::string& tenant : tenants) ASSERT_TRUE(client.CreateTenant(tenant).ok());
  ASSERT_TRUE(Eventually([&] { return ExactlyOneOwnerEach(tenants, {a.get(), b.get()}); }));
  ASSERT_FALSE(a->ownership()->Held().empty());

  Traffic traffic(client, tenants);
  ASSERT_TRUE(Eventually([&] { return traffic.acknowledged() >= 20; }));
  a->Shutdown();  // What SIGTERM does.
  ASSERT_TRUE(Eventually([&] { return ExactlyOneOwnerEach(tenants, {b.get()}); }));
  const int64_t after = traffic.acknowledged();
  ASSERT_TRUE(Eventually([&] { return traffic.acknowledged() >= after + 40; }));
  traffic.Stop();
  EXPECT_THAT(traffic.failures(), IsEmpty());
  ExpectExactlyTheAcknowledged(traffic.acked());
}

// Node "a" as a real omniroute-server process and node "b" in this process,
// both seen by b, with eight tenants created through the client and some
// of them on a.
class ClusterProcessTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    if (HasFatalFailure()) return;
    const std::string uri = absl::StrCat(
        "postgresql:///", testing_internal::DatabaseOf(conninfo_),
        "?user=omniroute&host=", testing_internal::SharedPostgresServer()->socket_dir());
    victim_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{
            "--listen=127.0.0.1:0", absl::StrCat("--store=", uri), "--node_id=a",
            // Refusals rather than forwarding, so that a
            // call to a shows where a points to.
            "--forward=false", absl::StrCat("--lease_ms=", absl::ToInt64Milliseconds(kLease)),
            absl::StrCat("--port_file=", dir_.File("port"))},
        dir_.File("a.log"));
    std::optional<int> port = victim_->WaitForPort(dir_.File("port"));
    ASSERT_TRUE(port.has_value());
    victim_address_ = absl::StrCat("127.0.0.1:", *port);
    b_ = StartNode("b");
    ASSERT_NE(b_, nullptr);
    client_ = std::make_unique<ClusterClient>(
        std::vector<std::string>{victim_address_, Address(*b_)});
    tenants_ = TenantNames(8);
    ASSERT_TRUE(Eventually([&] {
      return std::any_of(tenants_.begin(), tenants_.end(), [&](const std::string& t) {
        std::optional<service::Ownership::Owner> o = b_->ownership()->OwnerOf(t);
        return o.has_value() && o->node_id == "a";
      });
    }));
    for (const std::string& tenant : tenants_) {
      grpc::Status created = client_->CreateTenant(tenant);
      ASSERT_TRUE(created.ok()) << tenant << ": " << Describe(created);
    }
    for (const std::string& tenant : tenants_) {
      if (b_->ownership()->OwnerOf(tenant)->node_id == "a") on_a_.push_back(tenant);
    }
    ASSERT_FALSE(on_a_.empty());
  }

  // Whether a call to node a for `tenant` is turned away to b.
  bool APointsToB(const std::string& tenant) {
    auto stub = v1::EventService::NewStub(
        grpc::CreateChannel(victim_address_, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    SetDeadline(context);
    v1::GetLastSequenceRequest request;
    request.set_tenant_id(tenant);
    v1::GetLastSequenceResponse response;
    grpc::Status status = stub->GetLastSequence(&context, request, &response);
    auto hint = context.GetServerTrailingMetadata().find(kOwnerMetadataKey);
    return status.error_code() == grpc::StatusCode::UNAVAILABLE &&
           hint != context.GetServerTrailingMetadata().end() &&
           std::string(hint->second.data(), hint->second.size()) == Address(*b_);
  }

  // b's state of each of a's former tenants is the replay of the log.
  // `only_held`: of those b still holds (a node that came back to life is
  // given back the tenants placed on it, read afresh from the store).
  void ExpectStatesEqualReplays(bool only_held = false) {
    std::unique_ptr<EventStore> store = Reader();
    ASSERT_NE(store, nullptr);
    absl::StatusOr<std::unique_ptr<Engine>> replay = Engine::Open({.store = store.get()});
    ASSERT_TRUE(replay.ok()) << replay.status();
    const std::vector<std::string> held = b_->ownership()->Held();
    int compared = 0;
    for (const std::string& tenant : on_a_) {
      if (only_held && std::find(held.begin(), held.end(), tenant) == held.end()) continue;
      ++compared;
      absl::StatusOr<std::string> live = b_->engine().DumpState(tenant);
      absl::StatusOr<std::string> replayed = (*replay)->DumpState(tenant);
      ASSERT_TRUE(live.ok() && replayed.ok());
      EXPECT_EQ(*live, *replayed) << tenant;
    }
    if (!only_held) EXPECT_EQ(compared, static_cast<int>(on_a_.size()));
  }

  ScratchDir dir_;
  std::unique_ptr<ServerProcess> victim_;
  std::string victim_address_;
  std::unique_ptr<service::Server> b_;
  std::unique_ptr<ClusterClient> client_;
  std::vector<std::string> tenants_;
  std::vector<std::string> on_a_;
};

TEST_F(ClusterProcessTest, AKilledOwnersTenantsAreServedByAnotherNodeWithinTheLease) {
  Traffic traffic(*client_, tenants_);
  ASSERT_TRUE(Eventually([&] { return traffic.acknowledged() >= 50; }));
  ASSERT_EQ(kill(victim_->pid(), SIGKILL), 0);
  const absl::Time killed = absl::Now();
  ASSERT_TRUE(Eventually([&] { return ExactlyOneOwnerEach(tenants_, {b_.get()}); }));
  const absl::Duration failover = absl::Now() - killed;
  // The lease, a tick of b's, and the catch-up of small tenants.
  EXPECT_LT(failover, kLease + absl::Seconds(2)) << failover;
  std::cerr << "failover of " << on_a_.size() << " tenants took " << failover << "\n";
  const int64_t after = traffic.acknowledged();
  ASSERT_TRUE(Eventually([&] { return traffic.acknowledged() >= after + 40; }));
  traffic.Stop();
  EXPECT_THAT(traffic.failures(), IsEmpty());
  ExpectExactlyTheAcknowledged(traffic.acked());
  ExpectStatesEqualReplays();
}

TEST_F(ClusterProcessTest, SigtermHandsEveryTenantOffBeforeExiting) {
  Traffic traffic(*client_, tenants_);
  ASSERT_TRUE(Eventually([&] { return traffic.acknowledged() >= 50; }));
  std::optional<int> code = victim_->Terminate();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << victim_->log();
  // Released before it exited: b takes them on its next tick, without
  // waiting for a lease to lapse.
  ASSERT_TRUE(Eventually([&] { return ExactlyOneOwnerEach(tenants_, {b_.get()}); },
                         kLease - absl::Milliseconds(100)));
  const int64_t after = traffic.acknowledged();
  ASSERT_TRUE(Eventually([&] { return traffic.acknowledged() >= after + 40; }));
  traffic.Stop();
  EXPECT_THAT(traffic.failures(), IsEmpty());
  ExpectExactlyTheAcknowledged(traffic.acked());
  ExpectStatesEqualReplays();
}

TEST_F(ClusterProcessTest, APausedOwnerLosesItsTenantsAndServesNoneOfThemWhenItWakes) {
  Traffic traffic(*client_, tenants_);
  ASSERT_TRUE(Eventually([&] { return traffic.acknowledged() >= 50; }));
  ASSERT_EQ(kill(victim_->pid(), SIGSTOP), 0);
  ASSERT_TRUE(Eventually([&] { return ExactlyOneOwnerEach(tenants_, {b_.get()}); }));
  const int64_t after = traffic.acknowledged();
  ASSERT_EQ(kill(victim_->pid(), SIGCONT), 0);
  // Awake, a still believes for a moment that it owns them: whatever it
  // tries to write is refused by the fence; then it lets them go and points
  // to b.
  ASSERT_TRUE(Eventually([&] {
    return std::all_of(on_a_.begin(), on_a_.end(),
                       [&](const std::string& t) { return APointsToB(t); });
  }));
  ASSERT_TRUE(Eventually([&] { return traffic.acknowledged() >= after + 40; }));
  traffic.Stop();
  EXPECT_THAT(traffic.failures(), IsEmpty());
  ExpectExactlyTheAcknowledged(traffic.acked());
  // a is alive again, so b hands a's tenants back to it on one of its next
  // rounds (every lease / 4): those b still holds are compared; a's own
  // are checked by ExpectExactlyTheAcknowledged, and what a served after
  // waking by APointsToB.
  ExpectStatesEqualReplays(/*only_held=*/true);
}

TEST_F(ClusterTest, ConfigurationFilesCreateEachTenantOnceOnItsNodeAndFollowItToTheNext) {
  ScratchDir dir;
  const std::string config_dir = dir.File("config");
  std::filesystem::create_directories(config_dir);
  const std::vector<std::string> tenants = TenantNames(4);
  for (const std::string& tenant : tenants) {
    WriteFile(absl::StrCat(config_dir, "/", tenant, ".textproto"),
              absl::StrCat("tenant_id: \"", tenant, "\"\n",
                           "queues { queue_id: \"mail\" channels: [ CHANNEL_EMAIL ] }\n",
                           "agents { agent_id: \"ann\" channels: [ CHANNEL_EMAIL ] }\n"));
  }
  auto start = [&](const std::string& id) {
    service::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.postgres_conninfo = conninfo_;
    options.node_id = id;
    options.lease = kLease;
    options.config_dir = config_dir;
    absl::StatusOr<std::unique_ptr<service::Server>> server = service::Server::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  };
  // The same files on both nodes, as a deployment has them.
  std::unique_ptr<service::Server> a = start("a");
  ASSERT_NE(a, nullptr);
  std::unique_ptr<service::Server> b = start("b");
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(Eventually([&] { return ExactlyOneOwnerEach(tenants, {a.get(), b.get()}); }));
  // Each tenant was created once, with its queue and agent, by one node:
  // its log holds one TenantConfigured and one QueueConfigured.
  std::unique_ptr<EventStore> store = Reader();
  ASSERT_NE(store, nullptr);
  auto count = [&](const std::string& tenant) {
    std::map<std::string, int> events;
    EXPECT_TRUE(store
                    ->Read(tenant, 1,
                           [&](const ::omniroute::v1::Event& event) {
                             if (event.has_tenant_configured()) ++events["tenant"];
                             if (event.has_queue_configured()) ++events["queue"];
                             if (event.has_agent_configured()) ++events["agent"];
                             return true;
                           })
                    .ok());
    return events;
  };
  for (const std::string& tenant : tenants) {
    EXPECT_EQ(count(tenant),
              (std::map<std::string, int>{{"agent", 1}, {"queue", 1}, {"tenant", 1}}))
        << tenant;
  }
  // A node that leaves hands its tenants to the other, which applies the
  // same files again: nothing differs, so nothing is written.
  ASSERT_FALSE(a->ownership()->Held().empty());
  a->Shutdown();
  ASSERT_TRUE(Eventually([&] { return ExactlyOneOwnerEach(tenants, {b.get()}); }));
  for (const std::string& tenant : tenants) {
    EXPECT_EQ(count(tenant),
              (std::map<std::string, int>{{"agent", 1}, {"queue", 1}, {"tenant", 1}}))
        << tenant;
    absl::StatusOr<QueueConfig> queue = b->engine().GetQueue(tenant, "mail");
    EXPECT_TRUE(queue.ok()) << tenant << ": " << queue.status();
  }
}

TEST_F(ClusterTest, BadClusterOptionsAndAnUnreachableDatabaseGiveClearErrors) {
  service::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.node_id = "a";
  absl::StatusOr<std::unique_ptr<service::Server>> server = service::Server::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("needs the shared PostgreSQL store"));

  options.postgres_conninfo = conninfo_;
  options.lease = absl::Milliseconds(10);
  server = service::Server::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("lease: must be at least 100ms"));

  options.lease = absl::Seconds(1);
  options.listen_address = "0.0.0.0:0";
  options.insecure = true;  // Plain text on every interface, so that the address is the error.
  server = service::Server::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server.status().message(), HasSubstr("advertise_address: required"));
  EXPECT_THAT(server.status().message(), HasSubstr("0.0.0.0:0"));

  options.listen_address = "127.0.0.1:0";
  options.postgres_conninfo = "host=/nonexistent/omniroute dbname=nowhere connect_timeout=2";
  server = service::Server::Start(options);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(server.status().message(), HasSubstr("/nonexistent/omniroute"));
}

TEST_F(ClusterTest, TheServerBinaryRefusesWrongClusterFlags) {
  ScratchDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--node_id=a"}, "--node_id: a cluster node needs --store=postgresql://"},
      {{"--lease_ms=500"}, "--advertise, --lease_ms and --forward are for a cluster node"},
      {{"--forward=false"}, "--advertise, --lease_ms and --forward are for a cluster node"},
      {{"--node_id=a", "--store=postgresql:///x?host=/nonexistent", "--lease_ms=5"},
       "--lease_ms: must be at least 100, got 5"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::vector<std::string> args = {"--listen=127.0.0.1:0"};
    args.insert(args.end(), cases[i].args.begin(), cases[i].args.end());
    ServerProcess server(args, dir.File(absl::StrCat("bad", i, ".log")));
    std::optional<int> status = server.WaitForExit(kStartTimeout);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << server.log();
    EXPECT_THAT(server.log(), HasSubstr(cases[i].says));
  }
}

}  // namespace
}  // namespace omniroute::service_test
