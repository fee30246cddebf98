// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The router's basic flows through the engine: a message becomes a task, the
// task is offered to one agent, accepted, completed, wrapped up; a decline
// re-routes; a handoff keeps the owner; the log replays to the same state.

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "engine/engine_test_helpers.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/routing.h"

namespace omniroute {
namespace {

using testing_internal::EmailMessage;
using testing_internal::PublicPost;
namespace v1 = ::omniroute::v1;

constexpr char kTenant[] = "acme";

AgentConfig Agent(std::string id, std::vector<Channel> channels, int capacity = 4) {
  AgentConfig a;
  a.id = std::move(id);
  a.channels = std::move(channels);
  a.capacity = capacity;
  a.skills = {{"support", 5}};
  return a;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = NewMemoryEventStore();
    Open();
    ASSERT_TRUE(engine_->CreateTenant(kTenant, {}).ok());
    QueueConfig q;
    q.id = "support";
    q.channels = {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL, v1::CHANNEL_EMAIL};
    q.required_skills = {{"support", 3}};
    ASSERT_TRUE(engine_->UpsertQueue(kTenant, q).ok());
    RoutingSettings settings;
    settings.default_queue = "support";
    ASSERT_TRUE(engine_->ConfigureRouting(kTenant, settings).ok());
  }

  void Open() {
    engine_.reset();
    auto engine = Engine::Open({.clock = &clock_, .store = store_.get()});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }

  void AddAvailable(const AgentConfig& a) {
    ASSERT_TRUE(engine_->UpsertAgent(kTenant, a).ok());
    ASSERT_TRUE(engine_->SetAgentPresence(kTenant, a.id, v1::AGENT_PRESENCE_AVAILABLE).ok());
  }

  TaskView Task(TaskId id) {
    auto t = engine_->GetTask(kTenant, id);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : TaskView{};
  }

  ManualClock clock_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(RouterTest, AMessageBecomesATaskOfferedToTheAgentAcceptedAndCompleted) {
  AgentConfig ann = Agent("ann", {v1::CHANNEL_EMAIL});
  ann.wrap_up = absl::Minutes(2);
  AddAvailable(ann);
  auto ingested = engine_->IngestMessage(kTenant, EmailMessage("c@example.com", "e1"));
  ASSERT_TRUE(ingested.ok()) << ingested.status();
  ASSERT_TRUE(ingested->task.has_value());
  TaskView t = Task(*ingested->task);
  EXPECT_EQ(t.queue, "support");
  EXPECT_EQ(t.status, v1::TASK_STATUS_OFFERED);
  ASSERT_TRUE(t.offer.has_value());
  EXPECT_EQ(t.offer->agent, "ann");
  EXPECT_EQ(t.offer->expires_at, clock_.Now() + absl::Seconds(30));

  ASSERT_TRUE(engine_->AcceptOffer(kTenant, t.id, "ann").ok());
  EXPECT_EQ(Task(t.id).status, v1::TASK_STATUS_ASSIGNED);
  EXPECT_EQ(engine_->GetAgent(kTenant, "ann")->load, 1);

  ASSERT_TRUE(engine_->CompleteTask(kTenant, t.id, "ann").ok());
  EXPECT_EQ(Task(t.id).status, v1::TASK_STATUS_COMPLETED);
  // Wrap-up keeps the unit until it ends.
  EXPECT_EQ(engine_->GetAgent(kTenant, "ann")->load, 1);
  EXPECT_EQ(**engine_->NextTimer(kTenant), clock_.Now() + absl::Minutes(2));
  clock_.Advance(absl::Minutes(2));
  EXPECT_EQ(*engine_->RunDueTimers(kTenant), 1);
  EXPECT_EQ(engine_->GetAgent(kTenant, "ann")->load, 0);
  auto routing = engine_->GetConversationRouting(kTenant, ingested->conversation);
  EXPECT_EQ(routing->owner, "ann");

  const std::string before = *engine_->DumpState(kTenant);
  Open();
  EXPECT_EQ(*engine_->DumpState(kTenant), before);
}

TEST_F(RouterTest, ADeclinedOfferGoesToAnotherAgentNeverBackToTheFirst) {
  AddAvailable(Agent("ann", {v1::CHANNEL_EMAIL}));
  AddAvailable(Agent("bob", {v1::CHANNEL_EMAIL}));
  auto ingested = engine_->IngestMessage(kTenant, EmailMessage("c@example.com", "e1"));
  ASSERT_TRUE(ingested.ok());
  const TaskView first = Task(*ingested->task);
  ASSERT_TRUE(first.offer.has_value());
  const std::string other = first.offer->agent == "ann" ? "bob" : "ann";
  ASSERT_TRUE(engine_->DeclineOffer(kTenant, first.id, first.offer->agent, "busy").ok());
  const TaskView second = Task(first.id);
  ASSERT_TRUE(second.offer.has_value());
  EXPECT_EQ(second.offer->agent, other);
  ASSERT_TRUE(engine_->DeclineOffer(kTenant, first.id, other, "busy").ok());
  const TaskView third = Task(first.id);
  EXPECT_EQ(third.status, v1::TASK_STATUS_WAITING);
  EXPECT_EQ(third.excluded_agents.size(), 2u);
  EXPECT_EQ(engine_->AcceptOffer(kTenant, first.id, other).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(RouterTest, AnExpiredOfferIsReroutedAndRepeatedExpiriesSetTheAgentAway) {
  AddAvailable(Agent("ann", {v1::CHANNEL_EMAIL}, 10));
  for (int i = 0; i < 3; ++i) {
    auto ingested = engine_->IngestMessage(
        kTenant, EmailMessage(absl::StrCat("c", i, "@example.com"), absl::StrCat("e", i)));
    ASSERT_TRUE(ingested.ok());
    EXPECT_EQ(Task(*ingested->task).status, v1::TASK_STATUS_OFFERED);
  }
  clock_.Advance(absl::Seconds(30));
  auto fired = engine_->RunDueTimers(kTenant);
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, 3);
  auto ann = engine_->GetAgent(kTenant, "ann");
  EXPECT_EQ(ann->presence, v1::AGENT_PRESENCE_AWAY);
  EXPECT_EQ(ann->load, 0);
  EXPECT_EQ(Task(TaskId(1)).status, v1::TASK_STATUS_WAITING);
}

TEST_F(RouterTest, AHandoffByTheOwnerKeepsTheConversationWithThem) {
  AddAvailable(Agent("ann", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL,
                             v1::CHANNEL_EMAIL}));
  auto post = engine_->IngestMessage(kTenant, PublicPost("x", "parent", "p1"));
  ASSERT_TRUE(post.ok());
  ASSERT_TRUE(engine_->AcceptOffer(kTenant, *post->task, "ann").ok());
  ASSERT_TRUE(engine_->Handoff(kTenant, post->conversation, v1::CHANNEL_PRIVATE_SOCIAL,
                               "personal data", Actor::Agent("ann"))
                  .ok());
  auto routing = engine_->GetConversationRouting(kTenant, post->conversation);
  ASSERT_EQ(routing->tasks.size(), 2u);
  const TaskView dm = Task(routing->tasks[1]);
  EXPECT_EQ(dm.status, v1::TASK_STATUS_ASSIGNED);
  EXPECT_EQ(dm.agent, "ann");
  EXPECT_EQ(dm.channel, v1::CHANNEL_PRIVATE_SOCIAL);
  EXPECT_EQ(Task(routing->tasks[0]).end, v1::TASK_END_HANDED_OFF);
  EXPECT_EQ(engine_->GetAgent(kTenant, "ann")->load, 1);
}

}  // namespace
}  // namespace omniroute
