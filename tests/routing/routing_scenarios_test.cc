// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The routing side of the scenarios of SCENARIOS.md, driven through the
// Engine on a ManualClock:
//   - 2: one agent keeps a conversation from a public post to a private
//     message to email; when they are full the handoff is held for them,
//     then goes to the queue; the SLA clock does not restart;
//   - 1: promises (a call-back, a courier pick-up, lab results) become routed
//     tasks when due and escalate when missed; resolving in private leaves a
//     task to close the loop in public.
// Scenario 4 is in routing_public_boost_test.cc.
//
// Expected values come from the configuration below and the rules at the top
// of include/omniroute/routing.h.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "routing/routing_fixture.h"

namespace omniroute {
namespace {

using ::omniroute::testing_internal::DirectMessage;
using ::omniroute::testing_internal::Email;
using ::omniroute::testing_internal::EmailMessage;
using ::omniroute::testing_internal::MakeAgent;
using ::omniroute::testing_internal::MakeQueue;
using ::omniroute::testing_internal::Phone;
using ::omniroute::testing_internal::PublicPost;
using ::omniroute::testing_internal::RoutingFixture;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace v1 = ::omniroute::v1;
using Event = v1::Event;

constexpr Channel kPublic = v1::CHANNEL_PUBLIC_SOCIAL;
constexpr Channel kPrivate = v1::CHANNEL_PRIVATE_SOCIAL;
constexpr Channel kEmail = v1::CHANNEL_EMAIL;
constexpr Channel kVoice = v1::CHANNEL_VOICE;

constexpr absl::Duration kPublicTarget = absl::Hours(1);
constexpr absl::Duration kPrivateTarget = absl::Hours(1);
constexpr absl::Duration kEmailTarget = absl::Hours(24);
constexpr absl::Duration kAsyncPreferredWait = absl::Minutes(10);
constexpr absl::Duration kVoicePreferredWait = absl::Seconds(30);
constexpr int kCareBase = 5;
constexpr int kBreachPoints = 35;
constexpr int kMissedPoints = 150;

class RoutingScenarioTest : public RoutingFixture {
 protected:
  void SetUp() override {
    TenantOptions options;
    options.first_response_targets[kPublic] = kPublicTarget;
    options.first_response_targets[kPrivate] = kPrivateTarget;
    options.first_response_targets[kEmail] = kEmailTarget;
    Start(options);
    QueueConfig care = MakeQueue("care", {kPublic, kPrivate, kEmail});
    care.base_priority = kCareBase;
    Queue(care);
    Queue(MakeQueue("callbacks", {kVoice}));
    RoutingSettings settings;
    settings.rules = {{.name = "calls", .channels = {kVoice}, .queue = "callbacks"}};
    settings.default_queue = "care";
    settings.sla_breach_points = kBreachPoints;
    settings.missed_commitment_points = kMissedPoints;
    for (Channel c : {kPublic, kPrivate, kEmail}) {
      settings.preferred_agent_waits[c] = kAsyncPreferredWait;
    }
    settings.preferred_agent_waits[kVoice] = kVoicePreferredWait;
    Configure(settings);
  }

  // The TaskAssigned events of `task` from index `from` on.
  std::vector<Event> AssignmentsOf(TaskId task, size_t from) {
    std::vector<Event> out;
    for (const Event& e : EventsOf(Event::kTaskAssigned, from)) {
      if (e.task_assigned().task_id() == task.value()) out.push_back(e);
    }
    return out;
  }
};

// ------------------------------------------------------------------ scenario 2

TEST_F(RoutingScenarioTest, Scenario2OneAgentKeepsTheConversationFromPostToMessageToEmail) {
  AddAgent(MakeAgent("ann", {kPublic, kPrivate, kEmail}));
  const absl::Time post_at = clock_.Now();
  const IngestResult post = Ingest(PublicPost("x", "phone_owner", "post-1", "@brand it died"));
  ASSERT_TRUE(post.task.has_value());
  const ConversationId conv = post.conversation;
  {
    const TaskView t = Task(*post.task);
    EXPECT_EQ(t.reason, v1::TASK_REASON_INBOUND);
    EXPECT_EQ(t.channel, kPublic);
    EXPECT_EQ(t.queue, "care");
    ASSERT_TRUE(t.offer.has_value());
    EXPECT_EQ(t.offer->agent, "ann");
  }
  Accept(*post.task, "ann");
  // Bob serves the same channels and is free: the handoffs must not go to him.
  AddAgent(MakeAgent("bob", {kPublic, kPrivate, kEmail}));
  clock_.Advance(absl::Minutes(5));
  Answer(conv, kPublic, "ann", "reply-1");

  // Public post → private message: ann keeps it, assigned to her at once.
  clock_.Advance(absl::Minutes(2));
  size_t mark = Mark();
  Handoff(conv, kPrivate, "ann");
  ConversationRouting routing = Routing(conv);
  ASSERT_EQ(routing.tasks.size(), 2u);
  EXPECT_EQ(routing.tasks[0], *post.task);
  const TaskId dm_task = routing.tasks[1];
  {
    const TaskView old = Task(*post.task);
    EXPECT_EQ(old.status, v1::TASK_STATUS_COMPLETED);
    EXPECT_EQ(old.end, v1::TASK_END_HANDED_OFF);
    const TaskView t = Task(dm_task);
    EXPECT_EQ(t.reason, v1::TASK_REASON_HANDOFF);
    EXPECT_EQ(t.channel, kPrivate);
    EXPECT_EQ(t.status, v1::TASK_STATUS_ASSIGNED);
    EXPECT_EQ(t.agent, "ann");
    EXPECT_EQ(t.previous_task, std::optional<TaskId>(*post.task));
    const std::vector<Event> assigned = AssignmentsOf(dm_task, mark);
    ASSERT_EQ(assigned.size(), 1u);
    EXPECT_EQ(assigned[0].task_assigned().agent_id(), "ann");
    EXPECT_TRUE(assigned[0].task_assigned().automatic());
    EXPECT_THAT(EventsOf(Event::kTaskOffered, mark), IsEmpty());
    // No wrap-up on a handoff: only the private message's unit is in use.
    const AgentView ann = Agent("ann");
    EXPECT_EQ(ann.load, TraitsOf(kPrivate).capacity_cost);
    EXPECT_THAT(ann.assigned_tasks, ElementsAre(dm_task));
    EXPECT_THAT(ann.wrapping_up_tasks, IsEmpty());
  }
  // The customer writes privately: same conversation, covered by ann's task.
  clock_.Advance(absl::Minutes(3));
  const IngestResult dm =
      Ingest(DirectMessage("x", "phone_owner", "dm-1", "serial 123", "dm-thread-1"));
  EXPECT_EQ(dm.conversation, conv);
  EXPECT_FALSE(dm.task.has_value());
  Answer(conv, kPrivate, "ann");
  absl::StatusOr<LinkResult> link = engine_->LinkIdentity(
      kTenant, post.customer, Email("owner@example.com"), Actor::Agent("ann"));
  ASSERT_TRUE(link.ok()) << link.status();

  // Private message → email for the documents: ann again.
  clock_.Advance(absl::Minutes(4));
  mark = Mark();
  Handoff(conv, kEmail, "ann");
  routing = Routing(conv);
  ASSERT_EQ(routing.tasks.size(), 3u);
  const TaskId email_task = routing.tasks[2];
  {
    EXPECT_EQ(Task(dm_task).end, v1::TASK_END_HANDED_OFF);
    const TaskView t = Task(email_task);
    EXPECT_EQ(t.reason, v1::TASK_REASON_HANDOFF);
    EXPECT_EQ(t.channel, kEmail);
    EXPECT_EQ(t.status, v1::TASK_STATUS_ASSIGNED);
    EXPECT_EQ(t.agent, "ann");
    const std::vector<Event> assigned = AssignmentsOf(email_task, mark);
    ASSERT_EQ(assigned.size(), 1u);
    EXPECT_TRUE(assigned[0].task_assigned().automatic());
    EXPECT_THAT(Agent("bob").offered_tasks, IsEmpty());
    EXPECT_THAT(Agent("bob").assigned_tasks, IsEmpty());
  }
  const IngestResult mail = Ingest(EmailMessage("owner@example.com", "<docs-1@example.com>"));
  EXPECT_EQ(mail.conversation, conv);
  EXPECT_FALSE(mail.task.has_value());

  // The brand can publish who looks after whom: ann, throughout.
  routing = Routing(conv);
  EXPECT_EQ(routing.owner, "ann");
  EXPECT_EQ(routing.handoffs, 2);
  EXPECT_EQ(routing.transfers, 0);
  EXPECT_EQ(routing.agents, 1);
  EXPECT_TRUE(routing.same_agent_throughout);
  const ConversationView view = Conversation(conv);
  EXPECT_EQ(view.first_response_due, post_at + kPublicTarget);
  EXPECT_THAT(view.channels_used, ElementsAre(kPublic, kPrivate, kEmail));

  // Closed off in public too: resolving leaves a task on the public channel
  // for ann, who is free again.
  Complete(email_task, "ann");
  ASSERT_TRUE(engine_
                  ->SetConversationStatus(kTenant, conv, v1::CONVERSATION_STATUS_RESOLVED,
                                          Actor::Agent("ann"))
                  .ok());
  routing = Routing(conv);
  ASSERT_EQ(routing.tasks.size(), 4u);
  const TaskView loop = Task(routing.tasks[3]);
  EXPECT_EQ(loop.reason, v1::TASK_REASON_CLOSE_PUBLIC_LOOP);
  EXPECT_EQ(loop.channel, kPublic);
  EXPECT_EQ(loop.preferred_agent, "ann");
  ASSERT_TRUE(loop.offer.has_value());
  EXPECT_EQ(loop.offer->agent, "ann");
}

TEST_F(RoutingScenarioTest, Scenario2AFullOwnerHasTheHandoffHeldForThemThenTheQueueTakesIt) {
  // Ann has 3 units; an email costs her 2.
  AgentConfig ann = MakeAgent("ann", {kPublic, kPrivate, kEmail}, 3);
  ann.channel_costs[kEmail] = 2;
  AddAgent(ann);
  const absl::Time post_at = clock_.Now();
  const IngestResult post = Ingest(PublicPost("x", "phone_owner", "post-1"));
  ASSERT_TRUE(post.task.has_value());
  Accept(*post.task, "ann");
  const IngestResult other = Ingest(EmailMessage("someone@example.com", "<other@example.com>"));
  ASSERT_TRUE(other.task.has_value());
  Accept(*other.task, "ann");
  ASSERT_EQ(Agent("ann").load, 1 + 2);
  AddAgent(MakeAgent("bob", {kPublic, kPrivate, kEmail}));
  Answer(post.conversation, kPublic, "ann");

  clock_.Advance(absl::Minutes(1));
  const absl::Time handoff_at = clock_.Now();
  Handoff(post.conversation, kEmail, "ann");
  // The post's unit is back, yet 2 of ann's 3 units are in use and the email
  // needs 2: it is held for her, and bob is not offered it.
  EXPECT_EQ(Agent("ann").load, 2);
  const TaskId email_task = LatestTaskOn(post.conversation, kEmail);
  ASSERT_TRUE(email_task.valid());
  TaskView held = Task(email_task);
  EXPECT_EQ(held.status, v1::TASK_STATUS_WAITING);
  EXPECT_EQ(held.preferred_agent, "ann");
  EXPECT_EQ(held.preferred_until, std::optional<absl::Time>(handoff_at + kAsyncPreferredWait));
  EXPECT_FALSE(held.offer.has_value());
  EXPECT_THAT(Agent("bob").offered_tasks, IsEmpty());

  AdvanceAndRun(kAsyncPreferredWait - absl::Seconds(1));
  EXPECT_EQ(Task(email_task).status, v1::TASK_STATUS_WAITING);
  EXPECT_THAT(Agent("bob").offered_tasks, IsEmpty());

  const size_t mark = Mark();
  AdvanceAndRun(absl::Seconds(1));
  const std::vector<Event> released = EventsOf(Event::kTaskReleased, mark);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].task_released().task_id(), email_task.value());
  held = Task(email_task);
  EXPECT_EQ(held.status, v1::TASK_STATUS_OFFERED);
  ASSERT_TRUE(held.offer.has_value());
  EXPECT_EQ(held.offer->agent, "bob");
  Accept(email_task, "bob");

  const ConversationRouting routing = Routing(post.conversation);
  EXPECT_EQ(routing.owner, "bob");
  EXPECT_EQ(routing.agents, 2);
  EXPECT_FALSE(routing.same_agent_throughout);
  EXPECT_EQ(routing.handoffs, 1);
  EXPECT_EQ(Conversation(post.conversation).first_response_due, post_at + kPublicTarget);
}

TEST_F(RoutingScenarioTest, Scenario2AHeldHandoffGoesToTheOwnerOnceTheyHaveRoom) {
  AgentConfig ann = MakeAgent("ann", {kPublic, kPrivate, kEmail}, 3);
  ann.channel_costs[kEmail] = 2;
  AddAgent(ann);
  const IngestResult post = Ingest(PublicPost("x", "phone_owner", "post-1"));
  Accept(*post.task, "ann");
  const IngestResult other = Ingest(EmailMessage("someone@example.com", "<other@example.com>"));
  Accept(*other.task, "ann");
  AddAgent(MakeAgent("bob", {kPublic, kPrivate, kEmail}));
  Handoff(post.conversation, kEmail, "ann");
  const TaskId email_task = LatestTaskOn(post.conversation, kEmail);
  ASSERT_EQ(Task(email_task).status, v1::TASK_STATUS_WAITING);

  // Within the wait, ann finishes the other email: the held task is hers.
  clock_.Advance(kAsyncPreferredWait / 2);
  Complete(*other.task, "ann");
  const TaskView t = Task(email_task);
  EXPECT_EQ(t.status, v1::TASK_STATUS_OFFERED);
  ASSERT_TRUE(t.offer.has_value());
  EXPECT_EQ(t.offer->agent, "ann");
  EXPECT_THAT(Agent("bob").offered_tasks, IsEmpty());
}

TEST_F(RoutingScenarioTest, Scenario2TheSlaClockRunsOnFromTheFirstPostAcrossHandoffs) {
  // Nobody serves email: the email task waits, unanswered.
  AddAgent(MakeAgent("ann", {kPublic, kPrivate}));
  const absl::Time post_at = clock_.Now();
  const IngestResult post = Ingest(PublicPost("x", "phone_owner", "post-1"));
  Accept(*post.task, "ann");
  clock_.Advance(absl::Minutes(10));
  Handoff(post.conversation, kPrivate, "ann");
  clock_.Advance(absl::Minutes(10));
  Handoff(post.conversation, kEmail, "ann");
  const TaskId dm_task = LatestTaskOn(post.conversation, kPrivate);
  const TaskId email_task = LatestTaskOn(post.conversation, kEmail);
  ASSERT_TRUE(email_task.valid());

  // The conversation's clock, not handoff time + the email target.
  const absl::Time due = post_at + kPublicTarget;
  EXPECT_EQ(Conversation(post.conversation).first_response_due, due);
  EXPECT_EQ(Task(email_task).first_response_due, std::optional<absl::Time>(due));
  if (Task(dm_task).first_response_due.has_value()) {
    EXPECT_EQ(*Task(dm_task).first_response_due, due);
  }
  EXPECT_EQ(Task(email_task).priority_points, kCareBase);

  clock_.AdvanceTo(due - absl::Seconds(1));
  RunTimers();
  EXPECT_THAT(EventsOf(Event::kTaskEscalated), IsEmpty());
  clock_.AdvanceTo(due);
  RunTimers();
  const std::vector<Event> escalated = EventsOf(Event::kTaskEscalated);
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].task_escalated().task_id(), email_task.value());
  EXPECT_EQ(escalated[0].task_escalated().reason(), v1::ESCALATION_REASON_SLA_BREACHED);
  EXPECT_EQ(escalated[0].task_escalated().added_points(), kBreachPoints);
  EXPECT_EQ(Task(email_task).priority_points, kCareBase + kBreachPoints);
  // Once only.
  AdvanceAndRun(absl::Hours(2));
  EXPECT_EQ(EventsOf(Event::kTaskEscalated).size(), 1u);
}

// ------------------------------------------------------------------ scenario 1

TEST_F(RoutingScenarioTest, Scenario1PromisesBecomeTasksWhenDueAndEscalateWhenMissed) {
  AddAgent(MakeAgent("ann", {kPublic, kPrivate, kEmail}));
  AddAgent(MakeAgent("victor", {kVoice}));
  const absl::Time day1 = clock_.Now();  // 19:00
  const IngestResult post = Ingest(PublicPost("x", "parent", "post-jar", "spoiled jar"));
  const ConversationId conv = post.conversation;
  Accept(*post.task, "ann");
  Answer(conv, kPublic, "ann", "reply-jar");
  Handoff(conv, kPrivate, "ann");
  Ingest(DirectMessage("x", "parent", "dm-jar", "my number is +33 6 12 34 56 78"));
  ASSERT_TRUE(
      engine_->LinkIdentity(kTenant, post.customer, Phone("+33 6 12 34 56 78"), Actor::Agent("ann"))
          .ok());

  // Two days later, 10:00: victor phones the parent and promises things.
  const absl::Time call_at = day1 + absl::Hours(48 + 15);
  clock_.AdvanceTo(call_at);
  CommitmentRequest callback;
  callback.conversation = conv;
  callback.kind = v1::COMMITMENT_KIND_CALLBACK;
  callback.description = "call back with the courier's time";
  callback.due_at = call_at + absl::Hours(2);
  callback.agent = "victor";
  callback.actor = Actor::Agent("victor");
  CommitmentRequest pickup;
  pickup.conversation = conv;
  pickup.kind = v1::COMMITMENT_KIND_PICKUP;
  pickup.description = "courier picks up the jar this afternoon";
  pickup.due_at = call_at + absl::Hours(4);
  pickup.deadline = call_at + absl::Hours(8);
  pickup.actor = Actor::Agent("victor");
  CommitmentRequest results;
  results.conversation = conv;
  results.kind = v1::COMMITMENT_KIND_FOLLOW_UP;
  results.description = "send the lab results";
  results.due_at = call_at + absl::Hours(24 * 7);
  results.actor = Actor::Agent("victor");
  absl::StatusOr<CommitmentId> c_callback = engine_->RecordCommitment(kTenant, callback);
  absl::StatusOr<CommitmentId> c_pickup = engine_->RecordCommitment(kTenant, pickup);
  absl::StatusOr<CommitmentId> c_results = engine_->RecordCommitment(kTenant, results);
  ASSERT_TRUE(c_callback.ok() && c_pickup.ok() && c_results.ok())
      << c_callback.status() << c_pickup.status() << c_results.status();

  EXPECT_EQ(Commitment(*c_callback).channel, kVoice);  // a call-back: voice
  EXPECT_EQ(Commitment(*c_pickup).channel, kPrivate);  // the conversation's
  EXPECT_EQ(Commitment(*c_results).deadline, results.due_at + absl::Hours(1));
  for (CommitmentId id : {*c_callback, *c_pickup, *c_results}) {
    EXPECT_EQ(Commitment(id).status, v1::COMMITMENT_STATUS_PENDING);
    EXPECT_FALSE(Commitment(id).task.has_value());
  }
  absl::StatusOr<std::vector<CommitmentView>> listed = engine_->ListCommitments(kTenant, conv);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].id, *c_callback);
  EXPECT_EQ((*listed)[2].id, *c_results);

  // 12:00, the call-back is due: a voice task in the callbacks queue, for
  // victor who promised it.
  clock_.AdvanceTo(callback.due_at - absl::Seconds(1));
  RunTimers();
  EXPECT_FALSE(Commitment(*c_callback).task.has_value());
  size_t mark = Mark();
  clock_.AdvanceTo(callback.due_at);
  RunTimers();
  ASSERT_EQ(EventsOf(Event::kCommitmentDue, mark).size(), 1u);
  CommitmentView cb = Commitment(*c_callback);
  EXPECT_EQ(cb.status, v1::COMMITMENT_STATUS_DUE);
  ASSERT_TRUE(cb.task.has_value());
  TaskView cb_task = Task(*cb.task);
  EXPECT_EQ(cb_task.reason, v1::TASK_REASON_COMMITMENT);
  EXPECT_EQ(cb_task.commitment, std::optional<CommitmentId>(*c_callback));
  EXPECT_EQ(cb_task.channel, kVoice);
  EXPECT_EQ(cb_task.queue, "callbacks");
  EXPECT_EQ(cb_task.preferred_agent, "victor");
  ASSERT_TRUE(cb_task.offer.has_value());
  EXPECT_EQ(cb_task.offer->agent, "victor");
  Accept(*cb.task, "victor");
  Complete(*cb.task, "victor");
  EXPECT_EQ(Commitment(*c_callback).status, v1::COMMITMENT_STATUS_FULFILLED);
  EXPECT_FALSE(Commitment(*c_callback).missed);

  // Ann leaves for the day; the courier's task waits, then is missed.
  SetPresence("ann", v1::AGENT_PRESENCE_BUSY);
  clock_.AdvanceTo(pickup.due_at);
  RunTimers();
  const CommitmentView pu = Commitment(*c_pickup);
  EXPECT_EQ(pu.status, v1::COMMITMENT_STATUS_DUE);
  ASSERT_TRUE(pu.task.has_value());
  TaskView pu_task = Task(*pu.task);
  EXPECT_EQ(pu_task.reason, v1::TASK_REASON_COMMITMENT);
  EXPECT_EQ(pu_task.queue, "care");
  EXPECT_EQ(pu_task.status, v1::TASK_STATUS_WAITING);
  EXPECT_EQ(pu_task.priority_points, kCareBase);

  clock_.AdvanceTo(pickup.deadline - absl::Seconds(1));
  RunTimers();
  EXPECT_THAT(EventsOf(Event::kCommitmentMissed), IsEmpty());
  mark = Mark();
  clock_.AdvanceTo(pickup.deadline);
  RunTimers();
  const std::vector<Event> missed = EventsOf(Event::kCommitmentMissed, mark);
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].commitment_missed().commitment_id(), c_pickup->value());
  const std::vector<Event> escalated = EventsOf(Event::kTaskEscalated, mark);
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].task_escalated().task_id(), pu.task->value());
  EXPECT_EQ(escalated[0].task_escalated().reason(), v1::ESCALATION_REASON_COMMITMENT_MISSED);
  EXPECT_EQ(escalated[0].task_escalated().added_points(), kMissedPoints);
  EXPECT_EQ(Task(*pu.task).priority_points, kCareBase + kMissedPoints);
  EXPECT_EQ(Commitment(*c_pickup).status, v1::COMMITMENT_STATUS_MISSED);
  EXPECT_TRUE(Commitment(*c_pickup).missed);

  // A week on, the lab results are due and missed too.
  clock_.AdvanceTo(results.due_at + absl::Hours(1));
  RunTimers();
  const CommitmentView lab = Commitment(*c_results);
  EXPECT_EQ(lab.status, v1::COMMITMENT_STATUS_MISSED);
  EXPECT_TRUE(lab.missed);
  ASSERT_TRUE(lab.task.has_value());
  EXPECT_EQ(Task(*lab.task).priority_points, kCareBase + kMissedPoints);

  // Ann is back: she keeps both promises late. They stay marked missed.
  SetPresence("ann", v1::AGENT_PRESENCE_AVAILABLE);
  for (int round = 0; round < 2; ++round) {
    for (TaskId offered : OffersTo("ann")) {
      Accept(offered, "ann");
      Complete(offered, "ann");
    }
  }
  for (CommitmentId id : {*c_pickup, *c_results}) {
    EXPECT_EQ(Commitment(id).status, v1::COMMITMENT_STATUS_FULFILLED) << id;
    EXPECT_TRUE(Commitment(id).missed) << id;
  }

  // The conversation began in public and is resolved in private: a task is
  // left to close the loop on the public post.
  const TaskId dm_task = [&] {
    for (TaskId id : Routing(conv).tasks) {
      if (Task(id).reason == v1::TASK_REASON_HANDOFF) return id;
    }
    return TaskId();
  }();
  if (Task(dm_task).status == v1::TASK_STATUS_ASSIGNED) Complete(dm_task, "ann");
  const size_t before_resolve = Routing(conv).tasks.size();
  ASSERT_TRUE(engine_
                  ->SetConversationStatus(kTenant, conv, v1::CONVERSATION_STATUS_RESOLVED,
                                          Actor::Agent("ann"))
                  .ok());
  const ConversationRouting routing = Routing(conv);
  ASSERT_EQ(routing.tasks.size(), before_resolve + 1);
  const TaskView loop = Task(routing.tasks.back());
  EXPECT_EQ(loop.reason, v1::TASK_REASON_CLOSE_PUBLIC_LOOP);
  EXPECT_EQ(loop.channel, kPublic);
  EXPECT_EQ(loop.queue, "care");
  EXPECT_EQ(loop.preferred_agent, "ann");
}

TEST_F(RoutingScenarioTest, Scenario1NoLoopTaskWhenTheTenantTurnsItOff) {
  TenantOptions options;
  options.close_public_loop = false;
  ASSERT_TRUE(engine_->CreateTenant("quiet", options).ok());
  ASSERT_TRUE(engine_->UpsertQueue("quiet", MakeQueue("care", {kPublic, kPrivate})).ok());
  RoutingSettings settings;
  settings.default_queue = "care";
  ASSERT_TRUE(engine_->ConfigureRouting("quiet", settings).ok());
  ASSERT_TRUE(engine_->UpsertAgent("quiet", MakeAgent("ann", {kPublic, kPrivate})).ok());
  ASSERT_TRUE(engine_->SetAgentPresence("quiet", "ann", v1::AGENT_PRESENCE_AVAILABLE).ok());
  auto post = engine_->IngestMessage("quiet", PublicPost("x", "parent", "p1"));
  ASSERT_TRUE(post.ok() && post->task.has_value());
  ASSERT_TRUE(engine_->AcceptOffer("quiet", *post->task, "ann").ok());
  ASSERT_TRUE(
      engine_->Handoff("quiet", post->conversation, kPrivate, "data", Actor::Agent("ann")).ok());
  const size_t tasks = engine_->GetConversationRouting("quiet", post->conversation)->tasks.size();
  ASSERT_TRUE(engine_
                  ->SetConversationStatus("quiet", post->conversation,
                                          v1::CONVERSATION_STATUS_RESOLVED, Actor::Agent("ann"))
                  .ok());
  EXPECT_EQ(engine_->GetConversationRouting("quiet", post->conversation)->tasks.size(), tasks);
}

}  // namespace
}  // namespace omniroute
