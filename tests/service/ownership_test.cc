// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Ownership rounds driven by hand (service/ownership.h): two nodes on a real
// PostgreSQL, each with a clock of its own, so that one node's heartbeats
// can lapse while the other still sees it alive (a pause as long as the
// lease, as a node sees it on waking, before the others notice).

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/postgres_event_store.h"
#include "omniroute/tenant_lease.h"
#include "service/cluster_fixture.h"
#include "service/ownership.h"
#include "service/placement.h"

namespace omniroute::service_test {
namespace {

constexpr absl::Duration kRoundLease = absl::Seconds(2);

// One node: its leases, ownership, fenced store and engine, on its clock.
struct Node {
  std::unique_ptr<ManualClock> clock;
  std::unique_ptr<TenantLeases> leases;
  std::unique_ptr<service::Ownership> ownership;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<Engine> engine;
};

class OwnershipTest : public ClusterFixture {
 protected:
  void Start(Node& node, const std::string& id) {
    node.clock = std::make_unique<ManualClock>(start_);
    absl::StatusOr<std::unique_ptr<TenantLeases>> leases =
        OpenPostgresTenantLeases({.conninfo = conninfo_});
    ASSERT_TRUE(leases.ok()) << leases.status();
    node.leases = *std::move(leases);
    service::OwnershipOptions options;
    options.node_id = id;
    options.address = id + ":1";
    options.lease = kRoundLease;
    options.clock = node.clock.get();
    options.run_thread = false;
    node.ownership = std::make_unique<service::Ownership>(options, *node.leases);
    PostgresStoreOptions store_options;
    store_options.conninfo = conninfo_;
    store_options.fence = node.ownership.get();
    absl::StatusOr<std::unique_ptr<EventStore>> store = OpenPostgresEventStore(store_options);
    ASSERT_TRUE(store.ok()) << store.status();
    node.store = *std::move(store);
    service::Ownership* ownership = node.ownership.get();
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(
        {.clock = node.clock.get(),
         .store = node.store.get(),
         .open_tenants = false,
         .absent_tenant = [ownership](absl::string_view t) { return ownership->NotHere(t); }});
    ASSERT_TRUE(engine.ok()) << engine.status();
    node.engine = *std::move(engine);
    ASSERT_TRUE(node.ownership->Start(*node.engine, *node.store).ok());
  }

  void TearDown() override {
    for (Node* node : {&a_, &b_}) {
      if (node->ownership != nullptr) node->ownership->Stop(/*hand_off=*/false);
    }
  }

  static bool Holds(const Node& node, const std::string& tenant) {
    const std::vector<std::string> held = node.ownership->Held();
    return std::find(held.begin(), held.end(), tenant) != held.end();
  }

  const absl::Time start_ = absl::FromUnixSeconds(1'800'000'000);
  Node a_;
  Node b_;
};

TEST_F(OwnershipTest, ANodeWhoseHeartbeatsLapsedGivesUpTheLeasesOfTenantsPlacedElsewhere) {
  ASSERT_NO_FATAL_FAILURE(Start(a_, "a"));
  const std::vector<std::string> tenants = TenantNames(8);
  // Alone, a creates and holds every tenant.
  for (const std::string& tenant : tenants) {
    ASSERT_TRUE(a_.ownership->CreateTenant(tenant, TenantOptions{}).ok()) << tenant;
  }
  ASSERT_NO_FATAL_FAILURE(Start(b_, "b"));
  std::vector<std::string> on_b;
  for (const std::string& tenant : tenants) {
    if (service::PlaceTenant(tenant, {"a", "b"}) == "b") on_b.push_back(tenant);
  }
  ASSERT_FALSE(on_b.empty());

  // b, half a lease on: a is alive, so b waits for a to hand off.
  b_.clock->Advance(kRoundLease / 2);
  ASSERT_TRUE(b_.ownership->Tick().ok());
  // a wakes a whole lease on (it was paused): its heartbeats lapsed, so it
  // lets every tenant go and takes back those placed on it; the rows of
  // the others, which still name it, it gives up.
  a_.clock->Advance(kRoundLease);
  ASSERT_TRUE(a_.ownership->Tick().ok());
  for (const std::string& tenant : on_b) EXPECT_FALSE(Holds(a_, tenant)) << tenant;
  // b's next round takes them: a is alive but no longer names itself.
  b_.clock->Advance(absl::Milliseconds(10));
  ASSERT_TRUE(b_.ownership->Tick().ok());
  for (const std::string& tenant : tenants) {
    const bool placed_on_b = std::find(on_b.begin(), on_b.end(), tenant) != on_b.end();
    EXPECT_EQ(Holds(b_, tenant), placed_on_b) << tenant;
    EXPECT_EQ(Holds(a_, tenant), !placed_on_b) << tenant;
  }
}

TEST_F(OwnershipTest, TheNextRoundComesJustAfterAnotherNodesHeartbeatLapses) {
  ASSERT_NO_FATAL_FAILURE(Start(a_, "a"));
  ASSERT_NO_FATAL_FAILURE(Start(b_, "b"));
  const absl::Duration tick = kRoundLease / 4;
  ASSERT_TRUE(a_.ownership->Tick().ok());
  ASSERT_TRUE(b_.ownership->Tick().ok());
  // a's row, as b read it, lapses a whole lease after a's beat: far off.
  EXPECT_EQ(b_.ownership->NextRoundIn(), tick);

  // a stops beating (it died); b's clock moves on to 100 ms before the
  // lapse, and b's round there reads a's row unchanged.
  b_.clock->Advance(kRoundLease - absl::Milliseconds(100));
  ASSERT_TRUE(b_.ownership->Tick().ok());
  EXPECT_EQ(b_.ownership->NextRoundIn(), absl::Milliseconds(101));

  // Once a's row has lapsed, it no longer shortens the wait.
  b_.clock->Advance(absl::Milliseconds(101));
  EXPECT_EQ(b_.ownership->NextRoundIn(), tick);
}

}  // namespace
}  // namespace omniroute::service_test
