// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Snapshots never stop the tenant: they are built by the engine's own thread
// (or TakeSnapshot's caller) from the store, off the tenant's lock. A store
// whose SaveSnapshot blocks until released shows the tenant's commands and
// reads going on meanwhile; snapshot plus tail rebuilds the same state as a
// full replay; destroying the engine during a snapshot is clean; a failed
// snapshot fails no call and is counted.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tenant/state_dump.h"
#include "tenant/tenant_state.h"
#include "engine/engine_test_helpers.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/routing.h"
#include "store/forwarding_event_store.h"

namespace omniroute {
namespace {

using testing_internal::EmailMessage;
using testing_internal::PublicPost;
namespace v1 = ::omniroute::v1;

// A memory store whose SaveSnapshot waits, once entered, until the test
// releases it (or fails when told to). Everything else goes straight through.
class GatedSnapshotStore final : public testing_internal::ForwardingEventStore {
 public:
  absl::Status SaveSnapshot(absl::string_view tenant_id, uint64_t sequence,
                            absl::string_view state) override {
    {
      absl::MutexLock lock(&mu_);
      entered_.push_back(sequence);
      mu_.Await(absl::Condition(&released_));
      if (!fail_with_.ok()) return fail_with_;
    }
    return inner().SaveSnapshot(tenant_id, sequence, state);
  }

  // Blocks until SaveSnapshot has been entered `n` times in all; returns the
  // sequence of the n-th.
  uint64_t WaitUntilEntered(size_t n) {
    absl::MutexLock lock(&mu_);
    auto entered = [this, n]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return entered_.size() >= n; };
    mu_.Await(absl::Condition(&entered));
    return entered_[n - 1];
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  // Every SaveSnapshot fails with `status` once released.
  void FailWith(absl::Status status) {
    absl::MutexLock lock(&mu_);
    fail_with_ = std::move(status);
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<uint64_t> entered_ ABSL_GUARDED_BY(mu_);
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status fail_with_ ABSL_GUARDED_BY(mu_);
};

// The dump of the state folded from the log's first `last` events.
std::string FoldedDump(const EventStore& store, absl::string_view tenant, uint64_t last) {
  tenant::TenantState state{std::string(tenant)};
  absl::Status applied;
  absl::Status read = store.Read(tenant, 1, [&](const v1::Event& event) {
    if (event.sequence() > last) return false;
    applied = state.Apply(event);
    return applied.ok();
  });
  EXPECT_TRUE(read.ok()) << read;
  EXPECT_TRUE(applied.ok()) << applied;
  return tenant::DumpState(state);
}

// The dump of the tenant's stored snapshot, rebuilt.
std::string SnapshotDump(const EventStore& store, absl::string_view tenant) {
  absl::StatusOr<EventStore::Snapshot> snapshot = store.LoadSnapshot(tenant);
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  if (!snapshot.ok()) return "";
  v1::TenantSnapshot proto;
  EXPECT_TRUE(proto.ParseFromString(snapshot->state));
  absl::StatusOr<tenant::TenantState> state = tenant::TenantState::FromSnapshot(proto);
  EXPECT_TRUE(state.ok()) << state.status();
  return state.ok() ? tenant::DumpState(*state) : "";
}

std::string Dump(const Engine& engine, absl::string_view tenant) {
  absl::StatusOr<std::string> dump = engine.DumpState(tenant);
  EXPECT_TRUE(dump.ok()) << dump.status();
  return dump.value_or("");
}

void IngestEmails(Engine& engine, int from, int count) {
  for (int i = from; i < from + count; ++i) {
    auto r = engine.IngestMessage(
        "acme", EmailMessage(absl::StrCat("c", i, "@example.com"), absl::StrCat("e", i)));
    ASSERT_TRUE(r.ok()) << r.status();
  }
}

TEST(BackgroundSnapshotTest, TheTenantIsNotStoppedWhileASnapshotIsSaved) {
  ManualClock clock;
  GatedSnapshotStore store;
  auto engine = Engine::Open({.clock = &clock, .store = &store, .snapshot_every_events = 5});
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)->CreateTenant("acme", {}).ok());
  ASSERT_NO_FATAL_FAILURE(IngestEmails(**engine, 0, 2));  // 1 + 2 × 4 events.
  const uint64_t asked = *(*engine)->LastSequence("acme");

  // The background thread is now inside SaveSnapshot, and stays there.
  const uint64_t first = store.WaitUntilEntered(1);
  EXPECT_GE(first, 5u);
  EXPECT_LE(first, asked);

  // Commands and reads of the same tenant go on.
  ASSERT_NO_FATAL_FAILURE(IngestEmails(**engine, 2, 5));
  auto mail = (*engine)->IngestMessage("acme", EmailMessage("c0@example.com", "e0-again"));
  ASSERT_TRUE(mail.ok()) << mail.status();
  EXPECT_TRUE((*engine)->GetConversation("acme", mail->conversation).ok());
  EXPECT_TRUE((*engine)->GetTimeline("acme", mail->conversation).ok());
  EXPECT_TRUE((*engine)->DumpState("acme").ok());
  const uint64_t last = *(*engine)->LastSequence("acme");
  EXPECT_GT(last, asked);
  EXPECT_EQ((*engine)->GetSnapshotStats().saved, 0u);

  store.Release();
  (*engine)->WaitForSnapshots();
  const SnapshotStats stats = (*engine)->GetSnapshotStats();
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_GE(stats.saved, 2u) << "the events stored meanwhile asked for another";
  auto saved = store.inner().LoadSnapshot("acme");
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->sequence, stats.last_sequence);
  EXPECT_GT(saved->sequence, first);
  EXPECT_LE(saved->sequence, last);
  // Of the stored state at its sequence, exactly.
  EXPECT_EQ(SnapshotDump(store.inner(), "acme"),
            FoldedDump(store.inner(), "acme", saved->sequence));

  const std::string before = Dump(**engine, "acme");
  engine->reset();
  auto reopened = Engine::Open({.clock = &clock, .store = &store.inner()});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(Dump(**reopened, "acme"), before);
}

TEST(BackgroundSnapshotTest, TakeSnapshotDoesNotStopTheTenant) {
  ManualClock clock;
  GatedSnapshotStore store;
  auto engine = Engine::Open({.clock = &clock, .store = &store});
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)->CreateTenant("acme", {}).ok());
  ASSERT_NO_FATAL_FAILURE(IngestEmails(**engine, 0, 3));
  const uint64_t asked = *(*engine)->LastSequence("acme");

  absl::Status taken = absl::UnknownError("not run");
  std::thread snapshot([&] { taken = (*engine)->TakeSnapshot("acme"); });
  EXPECT_EQ(store.WaitUntilEntered(1), asked) << "every event applied before the call";
  ASSERT_NO_FATAL_FAILURE(IngestEmails(**engine, 3, 3));
  EXPECT_TRUE((*engine)->DumpState("acme").ok());
  store.Release();
  snapshot.join();
  EXPECT_TRUE(taken.ok()) << taken;
  EXPECT_EQ(store.inner().LoadSnapshot("acme")->sequence, asked);
  EXPECT_EQ((*engine)->GetSnapshotStats().saved, 1u);
}

// Agents take, decline and let offers expire; conversations move channel and
// close; commitments fall due: the routing decisions are events too.
void PlayRouting(Engine& engine, ManualClock& clock) {
  ASSERT_TRUE(engine.CreateTenant("acme", {}).ok());
  QueueConfig queue;
  queue.id = "care";
  queue.channels = {v1::CHANNEL_EMAIL, v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL};
  queue.required_skills = {{"support", 1}};
  ASSERT_TRUE(engine.UpsertQueue("acme", queue).ok());
  RoutingSettings settings;
  settings.default_queue = "care";
  ASSERT_TRUE(engine.ConfigureRouting("acme", settings).ok());
  const std::vector<std::string> agents = {"ann", "bob", "cid"};
  for (const std::string& id : agents) {
    AgentConfig agent;
    agent.id = id;
    agent.channels = queue.channels;
    agent.skills = {{"support", 3}};
    agent.capacity = 2;
    ASSERT_TRUE(engine.UpsertAgent("acme", agent).ok());
    ASSERT_TRUE(engine.SetAgentPresence("acme", id, v1::AGENT_PRESENCE_AVAILABLE).ok());
  }
  for (int i = 0; i < 60; ++i) {
    const InboundMessage message =
        i % 4 == 0 ? PublicPost("x", absl::StrCat("h", i % 7), absl::StrCat("p", i))
                   : EmailMessage(absl::StrCat("c", i % 9, "@example.com"), absl::StrCat("e", i));
    auto r = engine.IngestMessage("acme", message);
    ASSERT_TRUE(r.ok()) << r.status();
    if (r->task.has_value()) {
      auto task = engine.GetTask("acme", *r->task);
      ASSERT_TRUE(task.ok()) << task.status();
      if (task->offer.has_value()) {
        const std::string agent = task->offer->agent;
        if (i % 3 == 0) {
          ASSERT_TRUE(engine.AcceptOffer("acme", *r->task, agent).ok());
          ASSERT_TRUE(engine.CompleteTask("acme", *r->task, agent).ok());
        } else if (i % 3 == 1) {
          ASSERT_TRUE(engine.DeclineOffer("acme", *r->task, agent, "busy").ok());
        }
      }
    }
    if (i % 10 == 5) {
      ASSERT_TRUE(engine
                      .SetConversationStatus("acme", r->conversation,
                                             v1::CONVERSATION_STATUS_RESOLVED, Actor::Agent("ann"))
                      .ok());
    }
    if (i % 15 == 7) {
      auto commitment = engine.RecordCommitment(
          "acme", {.conversation = r->conversation,
                   .kind = v1::COMMITMENT_KIND_FOLLOW_UP,
                   .description = "send the invoice",
                   .due_at = clock.Now() + absl::Minutes(2),
                   .deadline = clock.Now() + absl::Minutes(30),
                   .channel = v1::CHANNEL_EMAIL,
                   .actor = Actor::Agent("ann")});
      ASSERT_TRUE(commitment.ok()) << commitment.status();
    }
    clock.Advance(absl::Seconds(20));
    ASSERT_TRUE(engine.RunDueTimers("acme").ok());
  }
  clock.Advance(absl::Hours(1));
  ASSERT_TRUE(engine.RunDueTimers("acme").ok());
}

TEST(BackgroundSnapshotTest, SnapshotPlusTailEqualsFullReplay) {
  ManualClock clock;
  auto store = NewMemoryEventStore();
  std::string before;
  {
    auto engine = Engine::Open({.clock = &clock, .store = store.get(), .snapshot_every_events = 7});
    ASSERT_TRUE(engine.ok()) << engine.status();
    ASSERT_NO_FATAL_FAILURE(PlayRouting(**engine, clock));
    (*engine)->WaitForSnapshots();
    // Leave a tail after the last snapshot: one more event, too few to ask
    // for another (a request was just served, or the distance is short).
    for (int round = 0; store->LoadSnapshot("acme")->sequence == *store->LastSequence("acme");
         ++round) {
      ASSERT_LT(round, 3);
      ASSERT_TRUE((*engine)
                      ->SetAgentPresence("acme", round % 2 == 0 ? "ann" : "bob",
                                         round % 2 == 0 ? v1::AGENT_PRESENCE_AWAY
                                                        : v1::AGENT_PRESENCE_BUSY)
                      .ok());
      (*engine)->WaitForSnapshots();
    }
    const SnapshotStats stats = (*engine)->GetSnapshotStats();
    // Requests that arrive while one is waiting join it: fewer snapshots
    // than requests, each of everything stored when it ran.
    EXPECT_GE(stats.saved, 1u);
    EXPECT_EQ(stats.failed, 0u);
    before = Dump(**engine, "acme");
  }
  const uint64_t last = *store->LastSequence("acme");
  auto snapshot = store->LoadSnapshot("acme");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  ASSERT_GT(snapshot->sequence, last / 2);
  ASSERT_LT(snapshot->sequence, last);
  EXPECT_EQ(SnapshotDump(*store, "acme"), FoldedDump(*store, "acme", snapshot->sequence));

  auto from_snapshot = Engine::Open({.clock = &clock, .store = store.get()});
  ASSERT_TRUE(from_snapshot.ok()) << from_snapshot.status();
  EXPECT_EQ(Dump(**from_snapshot, "acme"), before);

  // The same log without its snapshot: a full replay.
  auto log_only = NewMemoryEventStore();
  std::vector<v1::Event> events;
  ASSERT_TRUE(store->Read("acme", 1, [&](const v1::Event& e) {
    events.push_back(e);
    return true;
  }).ok());
  ASSERT_TRUE(log_only->Append("acme", events).ok());
  auto replayed = Engine::Open({.clock = &clock, .store = log_only.get()});
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(Dump(**replayed, "acme"), before);

  // And both go on the same way.
  for (Engine* engine : {from_snapshot->get(), replayed->get()}) {
    auto r = engine->IngestMessage("acme", EmailMessage("new@example.com", "e-new"));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(Dump(**from_snapshot, "acme"), Dump(**replayed, "acme"));
}

TEST(BackgroundSnapshotTest, DestroyingTheEngineDuringASnapshotIsClean) {
  ManualClock clock;
  GatedSnapshotStore store;
  auto engine = Engine::Open({.clock = &clock, .store = &store, .snapshot_every_events = 5});
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)->CreateTenant("acme", {}).ok());
  ASSERT_NO_FATAL_FAILURE(IngestEmails(**engine, 0, 2));
  store.WaitUntilEntered(1);
  // Asks for another while the first is being saved.
  ASSERT_NO_FATAL_FAILURE(IngestEmails(**engine, 2, 2));
  const std::string before = Dump(**engine, "acme");
  const uint64_t last = *(*engine)->LastSequence("acme");

  // The destructor waits for the snapshot being saved and the one asked
  // for, whether it starts before or after the release.
  std::thread destroy([&] { engine->reset(); });
  store.Release();
  destroy.join();

  auto snapshot = store.inner().LoadSnapshot("acme");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->sequence, last) << "the snapshot asked for last was taken";
  auto reopened = Engine::Open({.clock = &clock, .store = &store.inner()});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(Dump(**reopened, "acme"), before);
}

TEST(BackgroundSnapshotTest, AFailedSnapshotFailsNobodyAndIsCounted) {
  ManualClock clock;
  GatedSnapshotStore store;
  store.FailWith(absl::UnavailableError("disk full"));
  store.Release();
  auto engine = Engine::Open({.clock = &clock, .store = &store, .snapshot_every_events = 3});
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)->CreateTenant("acme", {}).ok());
  ASSERT_NO_FATAL_FAILURE(IngestEmails(**engine, 0, 5));
  (*engine)->WaitForSnapshots();
  const SnapshotStats stats = (*engine)->GetSnapshotStats();
  EXPECT_EQ(stats.saved, 0u);
  EXPECT_GE(stats.failed, 1u);
  EXPECT_EQ(stats.last_failure.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(stats.last_failure.message().find("acme"), std::string::npos) << stats.last_failure;
  EXPECT_EQ((*engine)->TakeSnapshot("acme").code(), absl::StatusCode::kUnavailable);

  // Nothing was lost: a full replay.
  const std::string before = Dump(**engine, "acme");
  engine->reset();
  EXPECT_FALSE(store.inner().LoadSnapshot("acme").ok());
  auto reopened = Engine::Open({.clock = &clock, .store = &store.inner()});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(Dump(**reopened, "acme"), before);
}

TEST(BackgroundSnapshotTest, TakeSnapshotWithoutAStoreIsAFailedPrecondition) {
  ManualClock clock;
  auto engine = Engine::Open({.clock = &clock, .snapshot_every_events = 2});
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)->CreateTenant("acme", {}).ok());
  ASSERT_NO_FATAL_FAILURE(IngestEmails(**engine, 0, 3));
  EXPECT_EQ((*engine)->TakeSnapshot("acme").code(), absl::StatusCode::kFailedPrecondition);
  (*engine)->WaitForSnapshots();  // Returns at once: nothing to wait for.
  EXPECT_EQ((*engine)->GetSnapshotStats().saved, 0u);
}

}  // namespace
}  // namespace omniroute
