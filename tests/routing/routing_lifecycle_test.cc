// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Routing across a conversation's life, through the Engine: the owner is
// preferred for the next message and released on a decline, exclusive
// channels, re-ranking when a queue changes, first-response breaches only
// while unanswered, reopen, close and merge, closing a commitment, and the
// promise that a commitment's work is never silently dropped.
//
// Expected values come from the rules at the top of
// include/omniroute/routing.h and the calls' comments in engine.h.

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

using ::omniroute::testing_internal::Call;
using ::omniroute::testing_internal::EmailMessage;
using ::omniroute::testing_internal::MakeAgent;
using ::omniroute::testing_internal::MakeQueue;
using ::omniroute::testing_internal::PublicPost;
using ::omniroute::testing_internal::RoutingFixture;
using ::testing::IsEmpty;

namespace v1 = ::omniroute::v1;
using Event = v1::Event;

constexpr Channel kPublic = v1::CHANNEL_PUBLIC_SOCIAL;
constexpr Channel kPrivate = v1::CHANNEL_PRIVATE_SOCIAL;
constexpr Channel kEmail = v1::CHANNEL_EMAIL;
constexpr Channel kVoice = v1::CHANNEL_VOICE;
constexpr absl::Duration kWait = absl::Minutes(10);
constexpr absl::Duration kEmailTarget = absl::Hours(4);

class RoutingLifecycleTest : public RoutingFixture {
 protected:
  void SetUp() override {
    TenantOptions options;
    options.first_response_targets[kEmail] = kEmailTarget;
    Start(options);
    Queue(MakeQueue("care", {kPublic, kPrivate, kEmail, kVoice}));
    RoutingSettings settings;
    settings.default_queue = "care";
    for (Channel c : {kPublic, kPrivate, kEmail, kVoice}) settings.preferred_agent_waits[c] = kWait;
    Configure(settings);
  }

  void SetStatus(ConversationId c, ConversationStatus status) {
    absl::Status s = engine_->SetConversationStatus(kTenant, c, status, Actor::Agent("ann"));
    ASSERT_TRUE(s.ok()) << s;
  }

  // A conversation whose first email ann took and finished: she owns it.
  IngestResult Owned(absl::string_view address) {
    const IngestResult r = Ingest(EmailMessage(address, absl::StrCat("<first-", address, ">")));
    EXPECT_TRUE(r.task.has_value());
    if (!r.task.has_value()) return r;
    EXPECT_EQ(Task(*r.task).offer.value_or(OfferView{}).agent, "ann");
    Accept(*r.task, "ann");
    Answer(r.conversation, kEmail, "ann");
    Complete(*r.task, "ann");
    return r;
  }
};

TEST_F(RoutingLifecycleTest, TheNextMessagePrefersTheOwnerAndADeclineReleasesIt) {
  AddAgent(MakeAgent("ann", {kEmail}));
  const IngestResult first = Owned("c@example.com");
  AddAgent(MakeAgent("bob", {kEmail}));
  clock_.Advance(absl::Hours(1));
  const absl::Time at = clock_.Now();
  const IngestResult next = Ingest(EmailMessage("c@example.com", "<second>"));
  ASSERT_EQ(next.conversation, first.conversation);
  ASSERT_TRUE(next.task.has_value());
  TaskView t = Task(*next.task);
  EXPECT_EQ(t.preferred_agent, "ann");
  EXPECT_EQ(t.preferred_until, std::optional<absl::Time>(at + kWait));
  ASSERT_TRUE(t.offer.has_value());
  EXPECT_EQ(t.offer->agent, "ann");
  // Ann declines: released to the queue at once, and bob gets it.
  const size_t mark = Mark();
  Decline(*next.task, "ann");
  const std::vector<Event> released = EventsOf(Event::kTaskReleased, mark);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].task_released().task_id(), next.task->value());
  EXPECT_EQ(Task(*next.task).offer.value_or(OfferView{}).agent, "bob");
}

TEST_F(RoutingLifecycleTest, AnExpiredOfferToTheOwnerReleasesTheHeldTask) {
  AddAgent(MakeAgent("ann", {kEmail}));
  const IngestResult first = Owned("c@example.com");
  AddAgent(MakeAgent("bob", {kEmail}));
  const IngestResult next = Ingest(EmailMessage("c@example.com", "<second>"));
  ASSERT_EQ(Task(*next.task).offer.value_or(OfferView{}).agent, "ann");
  const size_t mark = Mark();
  AdvanceAndRun(RoutingSettings{}.default_offer_timeout);
  ASSERT_EQ(EventsOf(Event::kOfferExpired, mark).size(), 1u);
  const std::vector<Event> released = EventsOf(Event::kTaskReleased, mark);
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].task_released().task_id(), next.task->value());
  EXPECT_EQ(Task(*next.task).offer.value_or(OfferView{}).agent, "bob");
  // Released once: the end of the wait has nothing left to release.
  AdvanceAndRun(kWait);
  EXPECT_EQ(EventsOf(Event::kTaskReleased, mark).size(), 1u);
}

TEST_F(RoutingLifecycleTest, ATaskHeldForAnAbsentOwnerWaitsForThemThenFallsBack) {
  AddAgent(MakeAgent("ann", {kEmail}));
  const IngestResult first = Owned("c@example.com");
  SetPresence("ann", v1::AGENT_PRESENCE_OFFLINE);
  AddAgent(MakeAgent("bob", {kEmail}));
  const IngestResult next = Ingest(EmailMessage("c@example.com", "<second>"));
  ASSERT_TRUE(next.task.has_value());
  EXPECT_EQ(Task(*next.task).status, v1::TASK_STATUS_WAITING);
  EXPECT_THAT(Agent("bob").offered_tasks, IsEmpty());
  AdvanceAndRun(kWait);
  EXPECT_EQ(Task(*next.task).offer.value_or(OfferView{}).agent, "bob");
}

TEST_F(RoutingLifecycleTest, AnAgentOnAnExclusiveChannelTakesNothingElse) {
  AgentConfig dan = MakeAgent("dan", {kEmail, kVoice}, 10);
  dan.exclusive_channels = {kVoice};
  AddAgent(dan);
  const IngestResult call = Ingest(Call("+33 6 12 34 56 78", "call-1"));
  ASSERT_TRUE(call.task.has_value());
  Accept(*call.task, "dan");
  // 10 - 4 units left, but he is on a call.
  ASSERT_EQ(Agent("dan").load, TraitsOf(kVoice).capacity_cost);
  const IngestResult mail = Ingest(EmailMessage("e@example.com", "<e>"));
  EXPECT_EQ(Task(*mail.task).status, v1::TASK_STATUS_WAITING);
  EXPECT_THAT(Agent("dan").offered_tasks, IsEmpty());
  Complete(*call.task, "dan");
  EXPECT_EQ(Task(*mail.task).offer.value_or(OfferView{}).agent, "dan");
}

TEST_F(RoutingLifecycleTest, ChangingAQueueReranksItsWaitingTasks) {
  const IngestResult a = Ingest(EmailMessage("a@example.com", "<a>"));
  ASSERT_EQ(Task(*a.task).priority_points, 0);
  QueueConfig care = MakeQueue("care", {kPublic, kPrivate, kEmail, kVoice});
  care.base_priority = 40;
  Queue(care);
  EXPECT_EQ(Task(*a.task).priority_points, 40) << "the waiting task kept the old queue base";
  const IngestResult b = Ingest(EmailMessage("b@example.com", "<b>"));
  EXPECT_EQ(Task(*b.task).priority_points, 40);
}

TEST_F(RoutingLifecycleTest, AnAnsweredConversationIsNotEscalatedForItsFirstResponse) {
  const absl::Time start = clock_.Now();
  const IngestResult answered = Ingest(EmailMessage("a@example.com", "<a>"));
  const IngestResult silent = Ingest(EmailMessage("b@example.com", "<b>"));
  Answer(answered.conversation, kEmail, "ann");
  ASSERT_TRUE(Conversation(answered.conversation).first_responded_at.has_value());
  clock_.AdvanceTo(start + kEmailTarget);
  RunTimers();
  const std::vector<Event> escalated = EventsOf(Event::kTaskEscalated);
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].task_escalated().task_id(), silent.task->value());
  EXPECT_EQ(Task(*answered.task).priority_points, 0);
  EXPECT_EQ(Task(*silent.task).priority_points, RoutingSettings{}.sla_breach_points);
}

TEST_F(RoutingLifecycleTest, AReopenedConversationGetsAReopenTaskForTheOwner) {
  AddAgent(MakeAgent("ann", {kEmail}));
  const IngestResult r = Owned("c@example.com");
  SetStatus(r.conversation, v1::CONVERSATION_STATUS_RESOLVED);
  const size_t before = Routing(r.conversation).tasks.size();
  SetStatus(r.conversation, v1::CONVERSATION_STATUS_OPEN);
  const ConversationRouting routing = Routing(r.conversation);
  ASSERT_EQ(routing.tasks.size(), before + 1);
  const TaskView t = Task(routing.tasks.back());
  EXPECT_EQ(t.reason, v1::TASK_REASON_REOPEN);
  EXPECT_EQ(t.channel, kEmail);
  EXPECT_EQ(t.preferred_agent, "ann");
}

TEST_F(RoutingLifecycleTest, ResolvingInPublicLeavesNoLoopToClose) {
  AddAgent(MakeAgent("ann", {kPublic}));
  const IngestResult post = Ingest(PublicPost("x", "fan", "p1"));
  Accept(*post.task, "ann");
  Answer(post.conversation, kPublic, "ann");
  Complete(*post.task, "ann");
  SetStatus(post.conversation, v1::CONVERSATION_STATUS_RESOLVED);
  EXPECT_EQ(Routing(post.conversation).tasks.size(), 1u);
}

TEST_F(RoutingLifecycleTest, ClosingCancelsWhatIsNotAssignedAndKeepsWhatIs) {
  AddAgent(MakeAgent("ann", {kEmail}));
  const IngestResult r = Ingest(EmailMessage("c@example.com", "<1>"));
  Accept(*r.task, "ann");
  // A second piece of work on the conversation, waiting on voice: a call-back.
  CommitmentRequest request;
  request.conversation = r.conversation;
  request.kind = v1::COMMITMENT_KIND_CALLBACK;
  request.due_at = clock_.Now() + absl::Minutes(1);
  request.actor = Actor::Agent("ann");
  absl::StatusOr<CommitmentId> id = engine_->RecordCommitment(kTenant, request);
  ASSERT_TRUE(id.ok()) << id.status();
  AdvanceAndRun(absl::Minutes(1));
  ASSERT_TRUE(Commitment(*id).task.has_value());
  const TaskId voice = *Commitment(*id).task;
  ASSERT_EQ(Task(voice).status, v1::TASK_STATUS_WAITING);
  SetStatus(r.conversation, v1::CONVERSATION_STATUS_CLOSED);
  EXPECT_EQ(Task(voice).status, v1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(Task(voice).cancel_reason, v1::CANCEL_REASON_CONVERSATION_ENDED);
  EXPECT_EQ(Task(*r.task).status, v1::TASK_STATUS_ASSIGNED);
  EXPECT_EQ(Task(*r.task).agent, "ann");
}

TEST_F(RoutingLifecycleTest, ResolvingKeepsTheAssignedTaskUntilItsAgentCompletesIt) {
  AddAgent(MakeAgent("ann", {kEmail}));
  const IngestResult r = Ingest(EmailMessage("c@example.com", "<1>"));
  Accept(*r.task, "ann");
  SetStatus(r.conversation, v1::CONVERSATION_STATUS_RESOLVED);
  EXPECT_EQ(Task(*r.task).status, v1::TASK_STATUS_ASSIGNED);
  Complete(*r.task, "ann");
  EXPECT_EQ(Task(*r.task).status, v1::TASK_STATUS_COMPLETED);
}

TEST_F(RoutingLifecycleTest, MergingAConversationCancelsItsWaitingTasks) {
  const IngestResult a = Ingest(EmailMessage("c@example.com", "<1>"));
  clock_.Advance(absl::Hours(72));  // past the continuity window: a second thread
  const IngestResult b = Ingest(EmailMessage("c@example.com", "<2>"));
  ASSERT_NE(a.conversation, b.conversation);
  ASSERT_TRUE(
      engine_->MergeConversations(kTenant, a.conversation, b.conversation, Actor::Agent("ann"))
          .ok());
  EXPECT_EQ(Task(*b.task).status, v1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(Task(*b.task).cancel_reason, v1::CANCEL_REASON_CONVERSATION_ENDED);
  EXPECT_EQ(Task(*a.task).status, v1::TASK_STATUS_WAITING);
}

TEST_F(RoutingLifecycleTest, ClosingACommitmentCancelsItsUnassignedTask) {
  const IngestResult r = Ingest(EmailMessage("c@example.com", "<1>"));
  CommitmentRequest request;
  request.conversation = r.conversation;
  request.kind = v1::COMMITMENT_KIND_FOLLOW_UP;
  request.due_at = clock_.Now() + absl::Minutes(5);
  request.actor = Actor::Agent("ann");
  absl::StatusOr<CommitmentId> id = engine_->RecordCommitment(kTenant, request);
  ASSERT_TRUE(id.ok()) << id.status();
  AdvanceAndRun(absl::Minutes(5));
  const std::optional<TaskId> task = Commitment(*id).task;
  ASSERT_TRUE(task.has_value());
  ASSERT_TRUE(engine_
                  ->CloseCommitment(kTenant, *id, v1::COMMITMENT_STATUS_CANCELLED,
                                    Actor::Agent("ann"), "customer came by")
                  .ok());
  EXPECT_EQ(Commitment(*id).status, v1::COMMITMENT_STATUS_CANCELLED);
  EXPECT_EQ(Task(*task).status, v1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(Task(*task).cancel_reason, v1::CANCEL_REASON_COMMITMENT_CLOSED);
  EXPECT_EQ(engine_
                ->CloseCommitment(kTenant, *id, v1::COMMITMENT_STATUS_FULFILLED,
                                  Actor::Agent("ann"), "again")
                .code(),
            absl::StatusCode::kFailedPrecondition);
  // Nothing escalates a closed promise.
  AdvanceAndRun(absl::Hours(2));
  EXPECT_THAT(EventsOf(Event::kCommitmentMissed), IsEmpty());
}

// DESIGN.md: "Nothing promised is silently forgotten"; engine.h: a missed
// commitment's task gains missed_commitment_points and an event says so.
// The customer writing on another channel while the call-back waits moves
// the work to that channel (routing.h); the promise must travel with it.
TEST_F(RoutingLifecycleTest, ACommitmentKeepsLiveWorkWhenTheCustomerWritesElsewhere) {
  AddAgent(MakeAgent("ann", {kEmail}));
  const IngestResult r = Owned("c@example.com");
  CommitmentRequest request;
  request.conversation = r.conversation;
  request.kind = v1::COMMITMENT_KIND_CALLBACK;  // a voice task; nobody serves voice now
  request.description = "call back about the refund";
  request.due_at = clock_.Now() + absl::Minutes(5);
  request.actor = Actor::Agent("ann");
  absl::StatusOr<CommitmentId> id = engine_->RecordCommitment(kTenant, request);
  ASSERT_TRUE(id.ok()) << id.status();
  AdvanceAndRun(absl::Minutes(5));
  ASSERT_TRUE(Commitment(*id).task.has_value());
  ASSERT_EQ(Task(*Commitment(*id).task).channel, kVoice);

  // The customer emails meanwhile.
  Ingest(EmailMessage("c@example.com", "<meanwhile>"));
  bool live = false;
  for (TaskId t : Routing(r.conversation).tasks) {
    const TaskView v = Task(t);
    if (v.commitment == std::optional<CommitmentId>(*id) &&
        (v.status == v1::TASK_STATUS_WAITING || v.status == v1::TASK_STATUS_OFFERED ||
         v.status == v1::TASK_STATUS_ASSIGNED)) {
      live = true;
    }
  }
  EXPECT_TRUE(live) << "no live task carries the commitment; its task is "
                    << Task(*Commitment(*id).task).status << " ("
                    << Task(*Commitment(*id).task).cancel_reason << ")";

  // Missed: a live task of the commitment is escalated.
  const size_t mark = Mark();
  clock_.AdvanceTo(request.due_at + absl::Hours(1));
  RunTimers();
  EXPECT_EQ(EventsOf(Event::kCommitmentMissed, mark).size(), 1u);
  const std::vector<Event> escalated = EventsOf(Event::kTaskEscalated, mark);
  bool commitment_escalated = false;
  for (const Event& e : escalated) {
    if (e.task_escalated().reason() == v1::ESCALATION_REASON_COMMITMENT_MISSED) {
      commitment_escalated = true;
    }
  }
  EXPECT_TRUE(commitment_escalated) << "the missed promise escalated nothing";
}

}  // namespace
}  // namespace omniroute
