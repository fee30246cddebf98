// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Leases and fencing on a real PostgreSQL (omniroute/tenant_lease.h): who
// may take a tenant and when (by a ManualClock, never by waiting), and that
// an owner whose lease was taken by another node can never append again:
// its append is refused, counted and stores nothing, and an engine on such
// a store lets the tenant go.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/postgres_event_store.h"
#include "omniroute/tenant_lease.h"
#include "store/event_log_builders.h"
#include "store/postgres_event_store_internal.h"
#include "store/postgres_test_server.h"

namespace omniroute {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A node's fence as a test sets it.
class TestFence final : public AppendFence {
 public:
  explicit TestFence(std::string node) : node_(std::move(node)) {}
  const std::string& node_id() const override { return node_; }
  std::optional<uint64_t> HeldEpoch(absl::string_view tenant) const override {
    auto it = epochs_.find(std::string(tenant));
    if (it == epochs_.end()) return std::nullopt;
    return it->second;
  }
  void Refused(absl::string_view, const absl::Status& why) override {
    ++refused;
    last_refusal = why;
  }
  void Hold(const std::string& tenant, uint64_t epoch) { epochs_[tenant] = epoch; }

  int refused = 0;
  absl::Status last_refusal;

 private:
  const std::string node_;
  std::map<std::string, uint64_t> epochs_;
};

class PostgresLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = testing_internal::NewPostgresDatabase();
    ASSERT_FALSE(conninfo_.empty());
    absl::StatusOr<std::unique_ptr<TenantLeases>> leases =
        OpenPostgresTenantLeases({.conninfo = conninfo_});
    ASSERT_TRUE(leases.ok()) << leases.status();
    leases_ = *std::move(leases);
  }

  std::unique_ptr<store::PostgresEventStore> OpenStore(AppendFence* fence) {
    PostgresStoreOptions options;
    options.conninfo = conninfo_;
    options.fence = fence;
    absl::StatusOr<std::unique_ptr<store::PostgresEventStore>> store =
        store::PostgresEventStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  void Heartbeat(const std::string& node, absl::Time until) {
    ASSERT_TRUE(leases_->Heartbeat({.id = node, .address = node + ":1", .expires_at = until}).ok());
  }

  std::string conninfo_;
  std::unique_ptr<TenantLeases> leases_;
  ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
};

TEST_F(PostgresLeaseTest, ALeaseIsTakenOnlyWhenFreeOrItsOwnerIsDeadAndEachTakeBumpsTheEpoch) {
  const absl::Time now = clock_.Now();
  absl::StatusOr<TenantLease> created = leases_->CreateLease("acme", "a");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->epoch, 1u);
  EXPECT_EQ(leases_->CreateLease("acme", "b").status().code(), absl::StatusCode::kAlreadyExists);
  Heartbeat("a", now + absl::Seconds(3));

  // a is alive: b cannot take it.
  absl::StatusOr<std::optional<TenantLease>> taken = leases_->Acquire("acme", "b", now);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_FALSE(taken->has_value());
  // a's row expired (by b's clock): b takes it, one epoch later.
  taken = leases_->Acquire("acme", "b", now + absl::Seconds(3));
  ASSERT_TRUE(taken.ok()) << taken.status();
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ((*taken)->epoch, 2u);
  // A release keeps the epoch; the next taker goes one past it.
  ASSERT_TRUE(leases_->Release("acme", "a", 1).ok());  // Not a's any more: no effect.
  Heartbeat("b", now + absl::Seconds(30));
  taken = leases_->Acquire("acme", "a", now);
  ASSERT_TRUE(taken.ok());
  EXPECT_FALSE(taken->has_value());
  ASSERT_TRUE(leases_->Release("acme", "b", 2).ok());
  taken = leases_->Acquire("acme", "a", now);
  ASSERT_TRUE(taken.ok());
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ((*taken)->epoch, 3u);

  absl::StatusOr<std::vector<TenantLease>> rows = leases_->Leases();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].owner, "a");
  EXPECT_EQ((*rows)[0].epoch, 3u);
}

TEST_F(PostgresLeaseTest, ADeposedOwnersAppendIsRefusedCountedAndStoresNothing) {
  TestFence fence_a("a");
  TestFence fence_b("b");
  std::unique_ptr<store::PostgresEventStore> store_a = OpenStore(&fence_a);
  std::unique_ptr<store::PostgresEventStore> store_b = OpenStore(&fence_b);
  ASSERT_NE(store_a, nullptr);
  ASSERT_NE(store_b, nullptr);

  ASSERT_TRUE(leases_->CreateLease("acme", "a").ok());
  fence_a.Hold("acme", 1);
  ASSERT_TRUE(store_a->Append("acme", testing_internal::MakeEvents("acme", 1, 2)).ok());

  // b, which holds no lease, may not write.
  absl::Status refused = store_b->Append("acme", testing_internal::MakeEvents("acme", 3, 3));
  EXPECT_TRUE(IsNotOwnerError(refused)) << refused;

  // a is paused past its lease; b takes the tenant.
  Heartbeat("a", clock_.Now() + absl::Seconds(3));
  clock_.Advance(absl::Seconds(4));
  absl::StatusOr<std::optional<TenantLease>> taken = leases_->Acquire("acme", "b", clock_.Now());
  ASSERT_TRUE(taken.ok() && taken->has_value());
  fence_b.Hold("acme", (*taken)->epoch);

  // a wakes up and appends, still believing it owns the tenant.
  refused = store_a->Append("acme", testing_internal::MakeEvents("acme", 3, 3));
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(IsNotOwnerError(refused));
  EXPECT_THAT(refused.message(), HasSubstr("acme"));
  EXPECT_THAT(refused.message(), HasSubstr("lost its lease (epoch 1)"));
  EXPECT_THAT(refused.message(), HasSubstr("node b holds it now at epoch 2"));
  EXPECT_EQ(store_a->Stats().refused_not_owner, 1);
  EXPECT_EQ(fence_a.refused, 1);
  absl::StatusOr<uint64_t> last = store_b->LastSequence("acme");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 2u);  // Nothing of a's stored.

  // The new owner continues the log.
  EXPECT_TRUE(store_b->Append("acme", testing_internal::MakeEvents("acme", 3, 3)).ok());
  EXPECT_EQ(store_b->Stats().refused_not_owner, 1);  // Its own earlier refusal.
}

TEST_F(PostgresLeaseTest, AnEngineWhoseLeaseWasTakenFailsTheCommandAndLetsTheTenantGo) {
  TestFence fence_a("a");
  std::unique_ptr<store::PostgresEventStore> store_a = OpenStore(&fence_a);
  ASSERT_NE(store_a, nullptr);
  ASSERT_TRUE(leases_->CreateLease("acme", "a").ok());
  fence_a.Hold("acme", 1);
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Open({.clock = &clock_, .store = store_a.get(), .open_tenants = false});
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)->CreateTenant("acme", TenantOptions{}).ok());
  InboundMessage message;
  message.channel = ::omniroute::v1::CHANNEL_EMAIL;
  message.sender = RawIdentity{::omniroute::v1::IDENTITY_KIND_EMAIL, "", "ann@example.com"};
  message.external_id = "m1";
  message.body = "hello";
  ASSERT_TRUE((*engine)->IngestMessage("acme", message).ok());
  absl::StatusOr<uint64_t> before = store_a->LastSequence("acme");
  ASSERT_TRUE(before.ok());

  // Another node takes the tenant while this one is paused.
  Heartbeat("a", clock_.Now());
  absl::StatusOr<std::optional<TenantLease>> taken =
      leases_->Acquire("acme", "b", clock_.Now() + absl::Seconds(1));
  ASSERT_TRUE(taken.ok() && taken->has_value());

  message.external_id = "m2";
  absl::StatusOr<IngestResult> refused = (*engine)->IngestMessage("acme", message);
  // UNAVAILABLE: the command may be retried where the tenant is now.
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("tenant_id: \"acme\": node a lost its lease"));
  EXPECT_THAT(refused.status().message(), HasSubstr("node b holds it now"));
  EXPECT_EQ(fence_a.refused, 1);
  EXPECT_EQ(*store_a->LastSequence("acme"), *before);
  // Dropped from memory: no longer listed, and calls say so.
  EXPECT_THAT((*engine)->ListTenants(), IsEmpty());
  absl::StatusOr<uint64_t> after = (*engine)->LastSequence("acme");
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable) << after.status();
  EXPECT_THAT(after.status().message(), HasSubstr("no longer served by this node"));

  // Taken back later (a new epoch), it is read again from the store.
  ASSERT_TRUE(leases_->Release("acme", "b", (*taken)->epoch).ok());
  taken = leases_->Acquire("acme", "a", clock_.Now());
  ASSERT_TRUE(taken.ok() && taken->has_value());
  fence_a.Hold("acme", (*taken)->epoch);
  ASSERT_TRUE((*engine)->AdoptTenant("acme").ok());
  EXPECT_EQ(*(*engine)->LastSequence("acme"), *before);
  message.external_id = "m3";
  EXPECT_TRUE((*engine)->IngestMessage("acme", message).ok());
  EXPECT_EQ((*engine)->AdoptTenant("acme").code(), absl::StatusCode::kAlreadyExists);
  // A release drains and lets go; a second one is harmless.
  EXPECT_TRUE((*engine)->ReleaseTenant("acme").ok());
  EXPECT_TRUE((*engine)->ReleaseTenant("acme").ok());
  EXPECT_THAT((*engine)->ListTenants(), IsEmpty());
}

TEST_F(PostgresLeaseTest, TheLeaseConnectionComesBackAfterTheDatabaseWasDownForSeveralHeartbeats) {
  const absl::Time now = clock_.Now();
  Heartbeat("a", now + absl::Seconds(3));
  testing_internal::PostgresTestServer* server = testing_internal::SharedPostgresServer();
  ASSERT_NE(server, nullptr);
  // While the database is down, every heartbeat (and each reconnect it
  // tries first) fails UNAVAILABLE, naming what it was for.
  ASSERT_TRUE(server
                  ->Restart([&] {
                    for (int beat = 0; beat < 3; ++beat) {
                      absl::Status s = leases_->Heartbeat(
                          {.id = "a", .address = "a:1", .expires_at = now + absl::Seconds(4)});
                      EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
                      EXPECT_THAT(s.message(), HasSubstr("heartbeat of node a")) << s;
                    }
                  })
                  .ok());
  // Once it is back, the next heartbeat reconnects, and every call works.
  Heartbeat("a", now + absl::Seconds(5));
  absl::StatusOr<std::vector<ClusterNode>> nodes = leases_->Nodes();
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_EQ(nodes->size(), 1u);
  EXPECT_EQ((*nodes)[0].expires_at, now + absl::Seconds(5));
}

}  // namespace
}  // namespace omniroute
