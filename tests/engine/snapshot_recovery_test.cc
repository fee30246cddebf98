// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Snapshots: the state written and read back is the same state, start-up from
// a snapshot plus the tail equals start-up from the whole log (on the memory
// store and on a real PostgreSQL database), and a snapshot that cannot be
// used costs a full replay, never the tenant.

#include <memory>
#include <string>
#include <vector>

#include "tenant/state_dump.h"
#include "tenant/tenant_state.h"
#include "engine/engine_test_helpers.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/postgres_event_store.h"
#include "store/postgres_test_server.h"

namespace omniroute {
namespace {

using testing_internal::DirectMessage;
using testing_internal::Email;
using testing_internal::EmailMessage;
using testing_internal::PublicPost;
namespace v1 = ::omniroute::v1;

// A history with every kind of event: customers, links, a merge that joins
// threads, an unmerge, handoffs, outbound, status changes, a split.
void PlayHistory(Engine& engine, ManualClock& clock) {
  ASSERT_TRUE(engine.CreateTenant("acme", TenantOptions{}).ok());
  auto post = engine.IngestMessage("acme", PublicPost("x", "ann", "p1", "broken phone"));
  ASSERT_TRUE(post.ok()) << post.status();
  clock.Advance(absl::Minutes(5));
  auto mail = engine.IngestMessage("acme", EmailMessage("ann@example.com", "e1", "invoice"));
  ASSERT_TRUE(mail.ok()) << mail.status();
  clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(engine
                  .RecordOutbound("acme", {.conversation = post->conversation,
                                           .channel = v1::CHANNEL_PUBLIC_SOCIAL,
                                           .external_id = "p2",
                                           .body = "DM us",
                                           .agent_id = "agent-1"})
                  .ok());
  ASSERT_TRUE(engine
                  .Handoff("acme", post->conversation, v1::CHANNEL_PRIVATE_SOCIAL, "personal data",
                           Actor::Agent("agent-1"))
                  .ok());
  clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(engine.IngestMessage("acme", DirectMessage("x", "ann", "d1", "my email")).ok());
  auto link = engine.LinkIdentity("acme", post->customer, Email("ann@example.com"),
                                  Actor::Agent("agent-1"));
  ASSERT_TRUE(link.ok()) << link.status();
  ASSERT_TRUE(engine.IngestMessage("acme", PublicPost("x", "bob", "p3", "me too")).ok());
  auto bob = engine.IngestMessage("acme", EmailMessage("bob@example.com", "e2", "hello"));
  ASSERT_TRUE(bob.ok());
  ASSERT_TRUE(engine.MergeCustomers("acme", CustomerId(3), bob->customer, Actor::Agent("a2")).ok());
  ASSERT_TRUE(engine.UnmergeCustomer("acme", bob->customer, Actor::Agent("a2")).ok());
  clock.Advance(absl::Hours(1));
  ASSERT_TRUE(engine
                  .SetConversationStatus("acme", post->conversation,
                                         v1::CONVERSATION_STATUS_RESOLVED, Actor::Agent("agent-1"))
                  .ok());
  auto timeline = engine.GetTimeline("acme", post->conversation);
  ASSERT_TRUE(timeline.ok());
  ASSERT_TRUE(engine
                  .SplitConversation("acme", post->conversation, {timeline->front().message->id},
                                     Actor::Agent("agent-1"))
                  .ok());
}

TEST(SnapshotTest, RoundTripGivesTheSameState) {
  ManualClock clock;
  auto store = NewMemoryEventStore();
  auto engine = Engine::Open({.clock = &clock, .store = store.get()});
  ASSERT_TRUE(engine.ok());
  ASSERT_NO_FATAL_FAILURE(PlayHistory(**engine, clock));

  // Fold the log into a state, snapshot it, restore it: same dump.
  tenant::TenantState folded("acme");
  ASSERT_TRUE(store->Read("acme", 1, [&](const v1::Event& e) { return folded.Apply(e).ok(); }).ok());
  v1::TenantSnapshot proto;
  folded.ToSnapshot(&proto);
  std::string bytes;
  ASSERT_TRUE(proto.SerializeToString(&bytes));
  v1::TenantSnapshot parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  auto restored = tenant::TenantState::FromSnapshot(parsed);
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(tenant::DumpState(*restored), tenant::DumpState(folded));
  EXPECT_EQ(tenant::DumpState(*restored), *(*engine)->DumpState("acme"));
  // The restored indexes answer like the originals.
  EXPECT_EQ(restored->OwnerOf({v1::IDENTITY_KIND_EMAIL, "", "ann@example.com"}),
            folded.OwnerOf({v1::IDENTITY_KIND_EMAIL, "", "ann@example.com"}));
}

TEST(SnapshotTest, StartupFromSnapshotAndTailEqualsFullReplay) {
  ManualClock clock;
  auto store = NewMemoryEventStore();
  std::string before;
  {
    auto engine =
        Engine::Open({.clock = &clock, .store = store.get(), .snapshot_every_events = 4});
    ASSERT_TRUE(engine.ok());
    ASSERT_NO_FATAL_FAILURE(PlayHistory(**engine, clock));
    before = *(*engine)->DumpState("acme");
  }
  auto snapshot = store->LoadSnapshot("acme");
  ASSERT_TRUE(snapshot.ok()) << "periodic snapshots were taken";
  ASSERT_GT(snapshot->sequence, 0u);
  auto reopened = Engine::Open({.clock = &clock, .store = store.get()});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(*(*reopened)->DumpState("acme"), before);

  // The recovered engine goes on where the old one stopped.
  auto next = (*reopened)->IngestMessage("acme", EmailMessage("carol@example.com", "e9"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->customer, CustomerId(5));
}

TEST(SnapshotTest, UnusableSnapshotFallsBackToFullReplay) {
  ManualClock clock;
  auto store = NewMemoryEventStore();
  std::string before;
  {
    auto engine = Engine::Open({.clock = &clock, .store = store.get()});
    ASSERT_TRUE(engine.ok());
    ASSERT_NO_FATAL_FAILURE(PlayHistory(**engine, clock));
    before = *(*engine)->DumpState("acme");
  }
  const uint64_t last = *store->LastSequence("acme");
  for (const std::string& garbage : {std::string("not a snapshot"), std::string("\x08\x63", 2)}) {
    ASSERT_TRUE(store->SaveSnapshot("acme", last, garbage).ok());
    auto reopened = Engine::Open({.clock = &clock, .store = store.get()});
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    EXPECT_EQ(*(*reopened)->DumpState("acme"), before);
  }
}

// The same restart on the shared store: the engine's state is written to a
// real PostgreSQL database (the test binary's server) and read back from it
// by a new engine on a new store, with a snapshot and its tail, then by a
// full replay of the log alone.
TEST(SnapshotTest, ARestartOnTheSamePostgresDatabaseGivesTheSameState) {
  const std::string conninfo = testing_internal::NewPostgresDatabase();
  ASSERT_FALSE(conninfo.empty());
  auto open_store = [&] {
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        OpenPostgresEventStore({.conninfo = conninfo});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  };
  ManualClock clock;
  std::string before;
  {
    std::unique_ptr<EventStore> store = open_store();
    ASSERT_NE(store, nullptr);
    auto engine =
        Engine::Open({.clock = &clock, .store = store.get(), .snapshot_every_events = 4});
    ASSERT_TRUE(engine.ok()) << engine.status();
    ASSERT_NO_FATAL_FAILURE(PlayHistory(**engine, clock));
    before = *(*engine)->DumpState("acme");
  }
  std::unique_ptr<EventStore> store = open_store();
  ASSERT_NE(store, nullptr);
  auto snapshot = store->LoadSnapshot("acme");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  ASSERT_GT(snapshot->sequence, 0u);
  {
    auto reopened = Engine::Open({.clock = &clock, .store = store.get()});
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    EXPECT_EQ(*(*reopened)->DumpState("acme"), before);
    // Its timeline is read from the store's history.
    auto timeline = (*reopened)->GetTimeline("acme", ConversationId(1));
    ASSERT_TRUE(timeline.ok()) << timeline.status();
    EXPECT_FALSE(timeline->empty());
  }
  // Without the snapshot: the log alone folds to the same state.
  std::unique_ptr<EventStore> copy = NewMemoryEventStore();
  std::vector<v1::Event> log;
  ASSERT_TRUE(store->Read("acme", 1, [&](const v1::Event& e) {
                     log.push_back(e);
                     return true;
                   }).ok());
  ASSERT_TRUE(copy->Append("acme", log).ok());
  auto replayed = Engine::Open({.clock = &clock, .store = copy.get()});
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(*(*replayed)->DumpState("acme"), before);
}

TEST(SnapshotTest, TakeSnapshotNeedsAStoreAndATenant) {
  ManualClock clock;
  auto without_store = Engine::Open({.clock = &clock});
  ASSERT_TRUE(without_store.ok());
  ASSERT_TRUE((*without_store)->CreateTenant("acme", {}).ok());
  EXPECT_EQ((*without_store)->TakeSnapshot("acme").code(), absl::StatusCode::kFailedPrecondition);

  auto store = NewMemoryEventStore();
  auto engine = Engine::Open({.clock = &clock, .store = store.get()});
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ((*engine)->TakeSnapshot("nobody").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE((*engine)->CreateTenant("acme", {}).ok());
  ASSERT_TRUE((*engine)->TakeSnapshot("acme").ok());
  auto snapshot = store->LoadSnapshot("acme");
  ASSERT_TRUE(snapshot.ok());
  EXPECT_EQ(snapshot->sequence, 1u);
}

TEST(SnapshotTest, InconsistentSnapshotIsRefused) {
  v1::TenantSnapshot proto;
  proto.set_format_version(3);
  proto.set_tenant_id("acme");
  proto.set_next_conversation_id(1);
  proto.set_next_message_id(1);
  proto.mutable_routing()->set_next_task_id(1);
  proto.mutable_routing()->set_next_commitment_id(1);
  auto* c = proto.add_customers();
  c->set_id(2);  // Ids must start at 1.
  EXPECT_EQ(tenant::TenantState::FromSnapshot(proto).status().code(), absl::StatusCode::kDataLoss);
  proto.mutable_customers(0)->set_id(1);
  proto.mutable_customers(0)->add_conversation_ids(7);  // No such conversation.
  EXPECT_EQ(tenant::TenantState::FromSnapshot(proto).status().code(), absl::StatusCode::kDataLoss);
  proto.set_format_version(99);
  EXPECT_EQ(tenant::TenantState::FromSnapshot(proto).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Version 1 kept message bodies in the snapshot; this build reads none
  // and replays instead.
  proto.set_format_version(1);
  EXPECT_EQ(tenant::TenantState::FromSnapshot(proto).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Version 2 had dense ids and no next ids (nothing was ever archived).
  proto.set_format_version(2);
  EXPECT_EQ(tenant::TenantState::FromSnapshot(proto).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace omniroute
