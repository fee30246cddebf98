// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Routing behaviour through the Engine, one rule of include/omniroute/
// routing.h at a time: offers (decline, expiry, agents set away), auto-accept,
// wrap-up, transfers, the four selection strategies, expansion steps, the
// routing rules, and the change feed of routing decisions.

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "routing/routing_fixture.h"

namespace omniroute {
namespace {

using ::omniroute::testing_internal::Call;
using ::omniroute::testing_internal::DirectMessage;
using ::omniroute::testing_internal::EmailMessage;
using ::omniroute::testing_internal::Inbound;
using ::omniroute::testing_internal::MakeAgent;
using ::omniroute::testing_internal::MakeQueue;
using ::omniroute::testing_internal::Phone;
using ::omniroute::testing_internal::PublicPost;
using ::omniroute::testing_internal::RoutingFixture;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

namespace v1 = ::omniroute::v1;
using Event = v1::Event;

constexpr Channel kPublic = v1::CHANNEL_PUBLIC_SOCIAL;
constexpr Channel kPrivate = v1::CHANNEL_PRIVATE_SOCIAL;
constexpr Channel kEmail = v1::CHANNEL_EMAIL;
constexpr Channel kVoice = v1::CHANNEL_VOICE;
constexpr Channel kSms = v1::CHANNEL_SMS;

class RoutingBehaviourTest : public RoutingFixture {
 protected:
  // A tenant whose email tasks go to `queue`.
  void StartWith(const QueueConfig& queue, RoutingSettings settings = {}) {
    Start();
    Queue(queue);
    settings.default_queue = queue.id;
    Configure(settings);
  }

  // A new customer's email; returns its task.
  TaskId NewEmail() {
    ++emails_;
    const IngestResult r = Ingest(EmailMessage(absl::StrCat("c", emails_, "@example.com"),
                                               absl::StrCat("<m", emails_, "@example.com>")));
    EXPECT_TRUE(r.task.has_value());
    return r.task.value_or(TaskId());
  }

  // The agent a task is offered to; "" if none.
  std::string OfferedTo(TaskId task) {
    const TaskView t = Task(task);
    return t.offer.has_value() ? t.offer->agent : "";
  }

  int emails_ = 0;
};

// ------------------------------------------------------------------ offers

TEST_F(RoutingBehaviourTest, ADeclinedTaskIsReofferedToSomeoneElseNeverToTheDecliner) {
  StartWith(MakeQueue("mail", {kEmail}));
  for (const char* id : {"ann", "bob", "cara"}) AddAgent(MakeAgent(id, {kEmail}));
  const TaskId task = NewEmail();
  std::set<std::string> decliners;
  for (int i = 0; i < 3; ++i) {
    const std::string to = OfferedTo(task);
    ASSERT_FALSE(to.empty()) << "offer " << i;
    EXPECT_FALSE(decliners.contains(to)) << to << " declined it before";
    Decline(task, to);
    decliners.insert(to);
    // Capacity reserved by the offer is given back.
    EXPECT_EQ(Agent(to).load, 0);
  }
  // Everyone declined: it waits, and nobody is offered it.
  const TaskView t = Task(task);
  EXPECT_EQ(t.status, v1::TASK_STATUS_WAITING);
  EXPECT_THAT(t.excluded_agents, UnorderedElementsAre("ann", "bob", "cara"));
  for (const Event& e : EventsOf(Event::kTaskOffered)) {
    EXPECT_EQ(e.task_offered().task_id(), task.value());
  }
  EXPECT_EQ(EventsOf(Event::kTaskOffered).size(), 3u);
  EXPECT_EQ(EventsOf(Event::kOfferDeclined).size(), 3u);
  // Declining twice is refused.
  EXPECT_EQ(engine_->DeclineOffer(kTenant, task, "ann", "again").code(),
            absl::StatusCode::kFailedPrecondition);
  // A newcomer gets it.
  AddAgent(MakeAgent("dan", {kEmail}));
  EXPECT_EQ(OfferedTo(task), "dan");
}

TEST_F(RoutingBehaviourTest, AnOfferExpiresAfterTheQueueTimeoutAndIsRerouted) {
  QueueConfig queue = MakeQueue("mail", {kEmail});
  queue.offer_timeout = absl::Seconds(45);
  StartWith(queue);
  AddAgent(MakeAgent("ann", {kEmail}));
  AddAgent(MakeAgent("bob", {kEmail}));
  const absl::Time offered_at = clock_.Now();
  const TaskId task = NewEmail();
  const std::string first = OfferedTo(task);
  ASSERT_FALSE(first.empty());
  const std::string second = first == "ann" ? "bob" : "ann";
  ASSERT_TRUE(Task(task).offer.has_value());
  EXPECT_EQ(Task(task).offer->offered_at, offered_at);
  EXPECT_EQ(Task(task).offer->expires_at, offered_at + absl::Seconds(45));

  AdvanceAndRun(absl::Seconds(44));
  EXPECT_EQ(OfferedTo(task), first);
  const size_t mark = Mark();
  AdvanceAndRun(absl::Seconds(1));
  const std::vector<Event> expired = EventsOf(Event::kOfferExpired, mark);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].offer_expired().agent_id(), first);
  EXPECT_EQ(OfferedTo(task), second);
  EXPECT_THAT(Task(task).excluded_agents, ElementsAre(first));
  EXPECT_EQ(Agent(first).consecutive_expiries, 1);
  EXPECT_EQ(Agent(first).load, 0);
  // Too late to accept the expired offer.
  EXPECT_EQ(engine_->AcceptOffer(kTenant, task, first).code(),
            absl::StatusCode::kFailedPrecondition);
  Accept(task, second);
}

TEST_F(RoutingBehaviourTest, ExpiriesInARowSetTheAgentAwayAnAcceptBreaksTheRow) {
  RoutingSettings settings;
  settings.max_consecutive_expiries = 2;
  settings.default_offer_timeout = absl::Seconds(20);
  StartWith(MakeQueue("mail", {kEmail}), settings);
  AddAgent(MakeAgent("ann", {kEmail}, 1));

  const TaskId t1 = NewEmail();
  EXPECT_EQ(Task(t1).offer->expires_at, clock_.Now() + absl::Seconds(20));
  AdvanceAndRun(absl::Seconds(20));
  EXPECT_EQ(Agent("ann").consecutive_expiries, 1);
  EXPECT_EQ(Agent("ann").presence, v1::AGENT_PRESENCE_AVAILABLE);
  // t1 excludes ann now; a new task is offered to her and accepted.
  const TaskId t2 = NewEmail();
  ASSERT_EQ(OfferedTo(t2), "ann");
  Accept(t2, "ann");
  EXPECT_EQ(Agent("ann").consecutive_expiries, 0);
  Complete(t2, "ann");
  const TaskId t3 = NewEmail();
  ASSERT_EQ(OfferedTo(t3), "ann");
  AdvanceAndRun(absl::Seconds(20));
  EXPECT_EQ(Agent("ann").consecutive_expiries, 1);
  EXPECT_EQ(Agent("ann").presence, v1::AGENT_PRESENCE_AVAILABLE);
  const TaskId t4 = NewEmail();
  ASSERT_EQ(OfferedTo(t4), "ann");
  const size_t mark = Mark();
  AdvanceAndRun(absl::Seconds(20));
  EXPECT_EQ(Agent("ann").presence, v1::AGENT_PRESENCE_AWAY);
  const std::vector<Event> presence = EventsOf(Event::kAgentPresenceChanged, mark);
  ASSERT_EQ(presence.size(), 1u);
  EXPECT_EQ(presence[0].agent_presence_changed().to_presence(), v1::AGENT_PRESENCE_AWAY);
  EXPECT_FALSE(presence[0].agent_presence_changed().reason().empty());
  // Away: offered nothing more.
  const TaskId t5 = NewEmail();
  EXPECT_EQ(Task(t5).status, v1::TASK_STATUS_WAITING);
  EXPECT_THAT(Agent("ann").offered_tasks, IsEmpty());
}

TEST_F(RoutingBehaviourTest, LeavingAvailableWithdrawsThePendingOffer) {
  StartWith(MakeQueue("mail", {kEmail}));
  AddAgent(MakeAgent("ann", {kEmail}));
  const TaskId task = NewEmail();
  ASSERT_EQ(OfferedTo(task), "ann");
  const size_t mark = Mark();
  SetPresence("ann", v1::AGENT_PRESENCE_BUSY);
  const std::vector<Event> withdrawn = EventsOf(Event::kOfferWithdrawn, mark);
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].offer_withdrawn().reason(), v1::OFFER_WITHDRAWAL_AGENT_UNAVAILABLE);
  EXPECT_EQ(Task(task).status, v1::TASK_STATUS_WAITING);
  EXPECT_EQ(Agent("ann").load, 0);
  AddAgent(MakeAgent("bob", {kEmail}));
  EXPECT_EQ(OfferedTo(task), "bob");
}

TEST_F(RoutingBehaviourTest, AnAutoAcceptQueueAssignsWithoutAnAnswer) {
  QueueConfig queue = MakeQueue("mail", {kEmail});
  queue.auto_accept = true;
  StartWith(queue);
  AddAgent(MakeAgent("ann", {kEmail}));
  const size_t mark = Mark();
  const TaskId task = NewEmail();
  const TaskView t = Task(task);
  EXPECT_EQ(t.status, v1::TASK_STATUS_ASSIGNED);
  EXPECT_EQ(t.agent, "ann");
  const std::vector<Event> assigned = EventsOf(Event::kTaskAssigned, mark);
  ASSERT_EQ(assigned.size(), 1u);
  EXPECT_TRUE(assigned[0].task_assigned().automatic());
  EXPECT_THAT(Agent("ann").assigned_tasks, ElementsAre(task));
  // No offer is left to time out.
  AdvanceAndRun(absl::Minutes(5));
  EXPECT_EQ(Task(task).status, v1::TASK_STATUS_ASSIGNED);
  EXPECT_THAT(EventsOf(Event::kOfferExpired), IsEmpty());
}

TEST_F(RoutingBehaviourTest, WrapUpKeepsTheCapacityUntilItEnds) {
  StartWith(MakeQueue("mail", {kEmail}));
  AgentConfig ann = MakeAgent("ann", {kEmail}, 1);
  ann.wrap_up = absl::Minutes(3);
  AddAgent(ann);
  const TaskId t1 = NewEmail();
  Accept(t1, "ann");
  const absl::Time done_at = clock_.Now();
  const size_t mark = Mark();
  Complete(t1, "ann");
  const std::vector<Event> ended = EventsOf(Event::kTaskEnded, mark);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].task_ended().end(), v1::TASK_END_DONE);
  AgentView view = Agent("ann");
  EXPECT_EQ(view.load, 1);
  EXPECT_THAT(view.wrapping_up_tasks, ElementsAre(t1));
  EXPECT_THAT(view.assigned_tasks, IsEmpty());
  EXPECT_EQ(Task(t1).status, v1::TASK_STATUS_COMPLETED);
  // Her one unit is still in use: the next task waits.
  const TaskId t2 = NewEmail();
  EXPECT_EQ(Task(t2).status, v1::TASK_STATUS_WAITING);
  AdvanceAndRun(absl::Minutes(3) - absl::Seconds(1));
  EXPECT_EQ(Task(t2).status, v1::TASK_STATUS_WAITING);
  AdvanceAndRun(absl::Seconds(1));
  EXPECT_EQ(EventsOf(Event::kWrapUpEnded, mark).size(), 1u);
  view = Agent("ann");
  EXPECT_THAT(view.wrapping_up_tasks, IsEmpty());
  EXPECT_EQ(OfferedTo(t2), "ann");
  EXPECT_EQ(view.load, 1);  // now reserved by the offer of t2
  ASSERT_TRUE(view.last_assignment_end.has_value());
  EXPECT_GE(*view.last_assignment_end, done_at);
}

// ------------------------------------------------------------------ transfers

TEST_F(RoutingBehaviourTest, TransfersAreCountedPerConversationAndCarryTheWorkOn) {
  Start();
  Queue(MakeQueue("front", {kEmail}));
  Queue(MakeQueue("billing", {kEmail}, {{"billing", 1}}));
  RoutingSettings settings;
  settings.default_queue = "front";
  Configure(settings);
  AddAgent(MakeAgent("ann", {kEmail}));
  AddAgent(MakeAgent("bill", {kEmail}, 4, {{"billing", 5}}), v1::AGENT_PRESENCE_BUSY);
  AddAgent(MakeAgent("carl", {kEmail}, 4, {{"billing", 5}}), v1::AGENT_PRESENCE_BUSY);
  const IngestResult r = Ingest(EmailMessage("c@example.com", "<m1@example.com>"));
  ASSERT_EQ(OfferedTo(*r.task), "ann");
  Accept(*r.task, "ann");

  // Ann sends it to billing, where nobody is available yet.
  absl::StatusOr<TaskId> to_billing =
      engine_->TransferTask(kTenant, *r.task, {.queue = "billing"}, Actor::Agent("ann"));
  ASSERT_TRUE(to_billing.ok()) << to_billing.status();
  TaskView old = Task(*r.task);
  EXPECT_EQ(old.status, v1::TASK_STATUS_COMPLETED);
  EXPECT_EQ(old.end, v1::TASK_END_TRANSFERRED);
  TaskView t = Task(*to_billing);
  EXPECT_EQ(t.reason, v1::TASK_REASON_TRANSFER);
  EXPECT_EQ(t.queue, "billing");
  EXPECT_EQ(t.channel, kEmail);
  EXPECT_EQ(t.conversation, r.conversation);
  EXPECT_EQ(t.previous_task, std::optional<TaskId>(*r.task));
  EXPECT_EQ(t.status, v1::TASK_STATUS_WAITING);
  EXPECT_EQ(Agent("ann").load, 0);
  EXPECT_EQ(Routing(r.conversation).transfers, 1);

  // Offered to bill, it is sent on to carl by name.
  SetPresence("bill", v1::AGENT_PRESENCE_AVAILABLE);
  ASSERT_EQ(OfferedTo(*to_billing), "bill");
  SetPresence("carl", v1::AGENT_PRESENCE_AVAILABLE);
  absl::StatusOr<TaskId> to_carl =
      engine_->TransferTask(kTenant, *to_billing, {.agent = "carl"}, Actor::Agent("ann"));
  ASSERT_TRUE(to_carl.ok()) << to_carl.status();
  old = Task(*to_billing);
  EXPECT_EQ(old.status, v1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(old.cancel_reason, v1::CANCEL_REASON_TRANSFERRED);
  EXPECT_THAT(Agent("bill").offered_tasks, IsEmpty());
  EXPECT_EQ(Agent("bill").load, 0);
  t = Task(*to_carl);
  EXPECT_EQ(t.reason, v1::TASK_REASON_TRANSFER);
  EXPECT_EQ(t.preferred_agent, "carl");
  EXPECT_EQ(OfferedTo(*to_carl), "carl");
  Accept(*to_carl, "carl");

  const ConversationRouting routing = Routing(r.conversation);
  EXPECT_EQ(routing.transfers, 2);
  EXPECT_EQ(routing.handoffs, 0);
  EXPECT_THAT(routing.tasks, ElementsAre(*r.task, *to_billing, *to_carl));
  EXPECT_EQ(routing.owner, "carl");
  EXPECT_EQ(routing.agents, 2);
  EXPECT_FALSE(routing.same_agent_throughout);
  // A finished task cannot be transferred.
  Complete(*to_carl, "carl");
  EXPECT_EQ(engine_->TransferTask(kTenant, *to_carl, {.queue = "front"}, Actor::Agent("carl"))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Routing(r.conversation).transfers, 2);
}

// ------------------------------------------------------------------ strategies

class SelectionStrategyTest : public RoutingBehaviourTest {
 protected:
  void StartWithStrategy(SelectionStrategy strategy, std::vector<Skill> required = {}) {
    QueueConfig queue = MakeQueue("mail", {kEmail}, std::move(required));
    queue.strategy = strategy;
    StartWith(queue);
  }
};

TEST_F(SelectionStrategyTest, LongestIdleChoosesWhoFinishedLongestAgo) {
  StartWithStrategy(v1::SELECTION_STRATEGY_LONGEST_IDLE, {{"support", 1}});
  // Each takes one task, one at a time; they finish a minute apart, cara
  // first, then ann, then bob.
  std::map<std::string, TaskId> first;
  for (const char* id : {"ann", "bob", "cara"}) {
    AddAgent(MakeAgent(id, {kEmail}, 1));
    const TaskId t = NewEmail();
    ASSERT_EQ(OfferedTo(t), id);
    Accept(t, id);
    first[id] = t;
  }
  for (const char* id : {"cara", "ann", "bob"}) {
    clock_.Advance(absl::Minutes(1));
    Complete(first[id], id);
  }
  clock_.Advance(absl::Minutes(1));
  const TaskId a = NewEmail();
  EXPECT_EQ(OfferedTo(a), "cara");
  Accept(a, "cara");
  const TaskId b = NewEmail();
  EXPECT_EQ(OfferedTo(b), "ann");
  Accept(b, "ann");
  const TaskId c = NewEmail();
  EXPECT_EQ(OfferedTo(c), "bob");
}

TEST_F(SelectionStrategyTest, MostSpareCapacityChoosesWhoHasTheMostUnitsLeft) {
  StartWithStrategy(v1::SELECTION_STRATEGY_MOST_SPARE_CAPACITY, {{"support", 1}});
  // Bob, 8 units, is given two tasks first: 6 left. Ann has 5, cara 4.
  AddAgent(MakeAgent("bob", {kEmail}, 8));
  for (int i = 0; i < 2; ++i) {
    const TaskId t = NewEmail();
    ASSERT_EQ(OfferedTo(t), "bob");
    Accept(t, "bob");
  }
  AddAgent(MakeAgent("ann", {kEmail}, 5));
  AddAgent(MakeAgent("cara", {kEmail}, 4));
  ASSERT_EQ(Agent("bob").load, 2);
  const TaskId t = NewEmail();
  EXPECT_EQ(OfferedTo(t), "bob");
  // Declined by bob: ann (5 left) before cara (4).
  Decline(t, "bob");
  EXPECT_EQ(OfferedTo(t), "ann");
}

TEST_F(SelectionStrategyTest, RoundRobinTakesTurns) {
  StartWithStrategy(v1::SELECTION_STRATEGY_ROUND_ROBIN, {{"support", 1}});
  for (const char* id : {"ann", "bob", "cara"}) AddAgent(MakeAgent(id, {kEmail}, 10));
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    const TaskId t = NewEmail();
    order.push_back(OfferedTo(t));
    Accept(t, order.back());
  }
  EXPECT_THAT(std::vector<std::string>(order.begin(), order.begin() + 3),
              UnorderedElementsAre("ann", "bob", "cara"));
  EXPECT_EQ(std::vector<std::string>(order.begin() + 3, order.end()),
            std::vector<std::string>(order.begin(), order.begin() + 3));
}

TEST_F(SelectionStrategyTest, BestSkillLevelChoosesTheHighestSumOverTheQueueSkills) {
  StartWithStrategy(v1::SELECTION_STRATEGY_BEST_SKILL_LEVEL, {{"billing", 3}, {"french", 2}});
  AddAgent(MakeAgent("ann", {kEmail}, 4, {{"billing", 9}, {"french", 2}}));    // 11
  AddAgent(MakeAgent("bob", {kEmail}, 4, {{"billing", 5}, {"french", 8}}));    // 13
  AddAgent(MakeAgent("cara", {kEmail}, 4, {{"billing", 10}, {"french", 1}}));  // not skilled
  AddAgent(MakeAgent("dan", {kEmail}, 4, {{"billing", 4}, {"french", 4}, {"german", 10}}));  // 8
  const TaskId t = NewEmail();
  EXPECT_EQ(OfferedTo(t), "bob");
  Decline(t, "bob");
  EXPECT_EQ(OfferedTo(t), "ann");
  Decline(t, "ann");
  EXPECT_EQ(OfferedTo(t), "dan");
  Decline(t, "dan");
  // Cara lacks the french level: never offered it.
  EXPECT_EQ(Task(t).status, v1::TASK_STATUS_WAITING);
  for (const Event& e : EventsOf(Event::kTaskOffered)) {
    EXPECT_NE(e.task_offered().agent_id(), "cara");
  }
}

// ------------------------------------------------------------------ expansion

TEST_F(RoutingBehaviourTest, AnExpansionStepRelaxesTheLevelsAfterTheWait) {
  QueueConfig queue = MakeQueue("experts", {kEmail}, {{"support", 5}, {"law", 2}});
  queue.expansion_steps = {{.after = absl::Minutes(2), .relax_levels = 2}};
  StartWith(queue);
  AddAgent(MakeAgent("junior", {kEmail}, 4, {{"support", 3}, {"law", 1}}));
  const absl::Time created = clock_.Now();
  const TaskId t = NewEmail();
  EXPECT_EQ(Task(t).status, v1::TASK_STATUS_WAITING);
  EXPECT_EQ(Task(t).expansion_step, 0);
  AdvanceAndRun(absl::Minutes(2) - absl::Seconds(1));
  EXPECT_EQ(Task(t).status, v1::TASK_STATUS_WAITING);
  clock_.AdvanceTo(created + absl::Minutes(2));
  RunTimers();
  const std::vector<Event> expanded = EventsOf(Event::kTaskExpanded);
  ASSERT_EQ(expanded.size(), 1u);
  EXPECT_EQ(expanded[0].task_expanded().step(), 0);
  EXPECT_EQ(expanded[0].task_expanded().queue_id(), "experts");
  EXPECT_EQ(Task(t).expansion_step, 1);
  // 5 - 2 = 3 support and max(1, 2 - 2) = 1 law: junior qualifies now.
  EXPECT_EQ(OfferedTo(t), "junior");
}

TEST_F(RoutingBehaviourTest, AnExpansionStepOverflowsToAnotherQueue) {
  Start();
  Queue(MakeQueue("tier2", {kEmail}, {{"support", 1}}));
  QueueConfig tier1 = MakeQueue("tier1", {kEmail}, {{"tier1", 1}});
  tier1.expansion_steps = {{.after = absl::Minutes(5), .overflow_queue = "tier2"}};
  Queue(tier1);
  RoutingSettings settings;
  settings.default_queue = "tier1";
  Configure(settings);
  AddAgent(MakeAgent("bob", {kEmail}));  // support only
  const TaskId t = NewEmail();
  EXPECT_EQ(Task(t).queue, "tier1");
  EXPECT_EQ(Task(t).status, v1::TASK_STATUS_WAITING);
  AdvanceAndRun(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_EQ(Task(t).queue, "tier1");
  AdvanceAndRun(absl::Seconds(1));
  const std::vector<Event> expanded = EventsOf(Event::kTaskExpanded);
  ASSERT_EQ(expanded.size(), 1u);
  EXPECT_EQ(expanded[0].task_expanded().step(), 0);
  EXPECT_EQ(expanded[0].task_expanded().queue_id(), "tier2");
  EXPECT_EQ(Task(t).queue, "tier2");
  EXPECT_EQ(OfferedTo(t), "bob");
  EXPECT_EQ(Stats("tier1").waiting, 0);
  EXPECT_EQ(Stats("tier2").offered, 1);
}

// ------------------------------------------------------------------ rules

TEST_F(RoutingBehaviourTest, RulesChooseTheQueueInOrderFirstMatchWins) {
  Start();
  const std::vector<Channel> all = {kPublic, kPrivate, kEmail, kVoice, kSms};
  for (const char* id : {"vip", "recall", "french", "calls", "public", "general"}) {
    Queue(MakeQueue(id, all));
  }
  RoutingSettings settings;
  settings.rules = {
      {.name = "vip", .min_tier = 1, .queue = "vip"},
      {.name = "recall", .tags = {"recall", "baby-food"}, .queue = "recall"},
      {.name = "french", .language = "fr", .queue = "french"},
      {.name = "calls", .channels = {kVoice}, .queue = "calls"},
      {.name = "public", .visibility = v1::VISIBILITY_PUBLIC, .queue = "public"},
  };
  settings.default_queue = "general";
  Configure(settings);

  struct Case {
    InboundMessage message;
    std::string queue;
  };
  auto tagged = [](InboundMessage m, std::vector<std::string> tags) {
    m.tags = std::move(tags);
    return m;
  };
  auto speaking = [](InboundMessage m, std::string language) {
    m.profile.language = std::move(language);
    return m;
  };
  auto visible = [](InboundMessage m, Visibility v) {
    m.visibility = v;
    return m;
  };
  const std::vector<Case> cases = {
      // Tier 0 customers: the vip rule never matches.
      {tagged(EmailMessage("a@example.com", "<a>"), {"baby-food", "x", "recall"}), "recall"},
      {tagged(EmailMessage("b@example.com", "<b>"), {"recall"}), "general"},
      {speaking(DirectMessage("x", "claire", "dm-c"), "fr"), "french"},
      {speaking(Call("+33 6 11 22 33 44", "call-f"), "fr"), "french"},
      {Call("+44 20 7946 0000", "call-e"), "calls"},
      {PublicPost("x", "dave", "post-d"), "public"},
      {tagged(PublicPost("x", "erin", "post-e"), {"recall", "baby-food"}), "recall"},
      {visible(PublicPost("x", "fay", "post-f"), v1::VISIBILITY_PRIVATE), "general"},
      {Inbound(kSms, Phone("+33 6 99 88 77 66"), "sms-1"), "general"},
  };
  for (const Case& c : cases) {
    const IngestResult r = Ingest(c.message);
    ASSERT_TRUE(r.task.has_value()) << c.message.external_id;
    EXPECT_EQ(Task(*r.task).queue, c.queue) << c.message.external_id;
  }

  // Without a default queue a task that matches no rule waits unrouted,
  // until it is transferred to a queue.
  settings.default_queue.clear();
  Configure(settings);
  const IngestResult lost = Ingest(EmailMessage("g@example.com", "<g>"));
  ASSERT_TRUE(lost.task.has_value());
  EXPECT_EQ(Task(*lost.task).queue, "");
  EXPECT_EQ(Task(*lost.task).status, v1::TASK_STATUS_WAITING);
  AddAgent(MakeAgent("ann", all));
  EXPECT_EQ(Task(*lost.task).status, v1::TASK_STATUS_WAITING);
  absl::StatusOr<TaskId> moved =
      engine_->TransferTask(kTenant, *lost.task, {.queue = "general"}, Actor::System());
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(Task(*moved).queue, "general");
}

// ------------------------------------------------------------------ change feed

TEST_F(RoutingBehaviourTest, OnCommitSeesEveryRoutingDecisionInSequenceOrder) {
  StartWith(MakeQueue("mail", {kEmail}));
  AddAgent(MakeAgent("ann", {kEmail}));
  AddAgent(MakeAgent("bob", {kEmail}));
  const TaskId t = NewEmail();
  const std::string first = OfferedTo(t);
  Decline(t, first);
  const std::string second = OfferedTo(t);
  ASSERT_FALSE(second.empty());
  Accept(t, second);
  Complete(t, second);
  const TaskId u = NewEmail();
  AdvanceAndRun(absl::Seconds(30));  // u's offer expires and is re-routed
  ASSERT_FALSE(OfferedTo(u).empty());

  // Every event, numbered 1, 2, 3, ... without a gap, as the store has them.
  ASSERT_EQ(events_.size(), Sequence());
  std::vector<Event> stored;
  ASSERT_TRUE(store_
                  ->Read(kTenant, 1,
                         [&](const Event& e) {
                           stored.push_back(e);
                           return true;
                         })
                  .ok());
  ASSERT_EQ(stored.size(), events_.size());
  for (size_t i = 0; i < events_.size(); ++i) {
    EXPECT_EQ(events_[i].sequence(), i + 1);
    EXPECT_EQ(events_[i].tenant_id(), kTenant);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(events_[i], stored[i]))
        << "event " << i + 1;
  }

  // Task t's story, in order.
  std::vector<std::string> story;
  for (const Event& e : events_) {
    switch (e.payload_case()) {
      case Event::kTaskCreated:
        if (e.task_created().task_id() == t.value()) story.push_back("created");
        break;
      case Event::kTaskOffered:
        if (e.task_offered().task_id() == t.value()) {
          story.push_back("offered " + e.task_offered().agent_id());
        }
        break;
      case Event::kOfferDeclined:
        if (e.offer_declined().task_id() == t.value()) {
          story.push_back("declined " + e.offer_declined().agent_id());
        }
        break;
      case Event::kTaskAssigned:
        if (e.task_assigned().task_id() == t.value()) {
          story.push_back("assigned " + e.task_assigned().agent_id());
        }
        break;
      case Event::kTaskEnded:
        if (e.task_ended().task_id() == t.value()) {
          story.push_back("ended " + e.task_ended().agent_id());
        }
        break;
      default:
        break;
    }
  }
  EXPECT_THAT(story, ElementsAre("created", "offered " + first, "declined " + first,
                                 "offered " + second, "assigned " + second, "ended " + second));
  // The expiry of u is an event too, stamped with the clock's time.
  const std::vector<Event> expired = EventsOf(Event::kOfferExpired);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].offer_expired().task_id(), u.value());
  EXPECT_EQ(expired[0].time().seconds(), absl::ToUnixSeconds(clock_.Now()));
}

}  // namespace
}  // namespace omniroute
