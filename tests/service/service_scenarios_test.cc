// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Scenarios 1 and 2 of SCENARIOS.md driven only through the omniroute.v1
// API over a real gRPC channel (scenario 4 is in
// phone_refused_scenario_test.cc): the tenant, its queues, agents and
// routing settings are created by RPC, messages are ingested by RPC, and
// every check reads what a client would read. The server runs on a
// ManualClock and fires timers only when RunDueTimers is called.
//
// Expected values follow the rules of include/omniroute/routing.h, the
// calls of include/omniroute/engine.h and proto/omniroute/v1/service.proto,
// and the configuration each test sets.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/service_test_support.h"

namespace omniroute::service_test {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kTenant[] = "brand";

class ScenarioTest : public ServiceTest {
 protected:
  // A brand with a social desk, an email desk and a phone desk: the
  // configuration of examples/config/acme.textproto, sent by RPC.
  void SetUpBrand() {
    v1::TenantSettings settings;
    settings.set_default_country_code("33");
    settings.set_merge_threads_on_customer_merge(true);
    *settings.mutable_thread_merge_window() = ToDurationProto(absl::Hours(24 * 7));
    settings.set_close_public_loop(true);
    auto target = [&](v1::Channel channel, absl::Duration d) {
      v1::ChannelSettings* c = settings.add_channels();
      c->set_channel(channel);
      *c->mutable_first_response_target() = ToDurationProto(d);
    };
    target(v1::CHANNEL_PUBLIC_SOCIAL, absl::Hours(2));
    target(v1::CHANNEL_PRIVATE_SOCIAL, absl::Minutes(30));
    target(v1::CHANNEL_EMAIL, absl::Hours(24));
    target(v1::CHANNEL_VOICE, absl::Minutes(1));
    CreateTenant(kTenant, &settings);

    v1::QueueConfig social =
        Queue("social", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL}, {{"social", 3}});
    *social.mutable_offer_timeout() = ToDurationProto(absl::Seconds(60));
    UpsertQueue(kTenant, social);
    UpsertQueue(kTenant, Queue("email", {v1::CHANNEL_EMAIL}, {{"complaints", 2}}));
    UpsertQueue(kTenant, Queue("phone", {v1::CHANNEL_VOICE}));

    v1::RoutingSettings routing;
    *routing.add_rules() =
        Rule("social", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL}, "social");
    *routing.add_rules() = Rule("email", {v1::CHANNEL_EMAIL}, "email");
    *routing.add_rules() = Rule("voice", {v1::CHANNEL_VOICE}, "phone");
    routing.set_missed_commitment_points(100);
    *routing.mutable_default_offer_timeout() = ToDurationProto(absl::Seconds(30));
    auto wait = [&](v1::Channel channel, absl::Duration d) {
      v1::PreferredAgentWait* w = routing.add_preferred_agent_waits();
      w->set_channel(channel);
      *w->mutable_wait() = ToDurationProto(d);
    };
    wait(v1::CHANNEL_VOICE, absl::Seconds(30));
    wait(v1::CHANNEL_PUBLIC_SOCIAL, absl::Minutes(10));
    wait(v1::CHANNEL_EMAIL, absl::Minutes(10));
    ConfigureRouting(kTenant, routing);

    UpsertAgent(kTenant, AgentWith("camille",
                                   {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL,
                                    v1::CHANNEL_EMAIL},
                                   {{"social", 5}, {"complaints", 3}}));
    UpsertAgent(kTenant,
                AgentWith("paul", {v1::CHANNEL_VOICE, v1::CHANNEL_EMAIL}, {{"complaints", 2}}));
  }

  v1::Commitment RecordCommitment(const v1::RecordCommitmentRequest& r) {
    return MustInvoke(*commitments_, &v1::CommitmentService::Stub::RecordCommitment, r);
  }
  v1::Commitment GetCommitment(uint64_t id) {
    v1::GetCommitmentRequest r;
    r.set_tenant_id(kTenant);
    r.set_commitment_id(id);
    return MustInvoke(*commitments_, &v1::CommitmentService::Stub::GetCommitment, r);
  }
  v1::HandoffResponse Handoff(uint64_t conversation, v1::Channel to, absl::string_view reason,
                              absl::string_view agent) {
    return ServiceTest::Handoff(kTenant, conversation, to, reason, agent);
  }
  void SetStatus(uint64_t conversation, v1::ConversationStatus status, absl::string_view agent) {
    ServiceTest::SetStatus(kTenant, conversation, status, agent);
  }
  void Accept(uint64_t task, absl::string_view agent) { ServiceTest::Accept(kTenant, task, agent); }
  void Complete(uint64_t task, absl::string_view agent) {
    ServiceTest::Complete(kTenant, task, agent);
  }
};

// ------------------------------------------------------------------ scenario 1

// The public post and the email become one thread once the email is linked
// to the social account, and the phone agent who takes the conversation two
// days later sees both.
TEST_F(ScenarioTest, SpoiledBabyFoodPostAndEmailBecomeOneThreadThePhoneAgentSees) {
  SetUpBrand();
  SetPresence(kTenant, "camille", v1::AGENT_PRESENCE_AVAILABLE);
  const absl::Time post_at = clock_.Now();
  const absl::Time due = post_at + absl::Hours(2);

  // 19:00 — the public post: a new customer, a new conversation, a task in
  // the social queue offered to the only available agent.
  const v1::IngestMessageResponse post =
      Ingest(PublicPost(kTenant, "@Parent", "post-881", "Sealed jar of baby food, spoiled."));
  EXPECT_TRUE(post.customer_created());
  EXPECT_EQ(post.outcome(), v1::THREAD_OUTCOME_OPENED);
  ASSERT_TRUE(post.has_task());
  EXPECT_EQ(post.task().reason(), v1::TASK_REASON_INBOUND);
  EXPECT_EQ(post.task().queue_id(), "social");
  EXPECT_EQ(post.task().channel(), v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_EQ(post.task().status(), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(post.task().offer().agent_id(), "camille");
  EXPECT_EQ(FromTimestamp(post.task().offer().expires_at()), post_at + absl::Seconds(60));
  EXPECT_EQ(FromTimestamp(post.task().first_response_due()), due);
  Accept(post.task().task_id(), "camille");

  // 19:20 — the email, which nothing links to the post yet.
  clock_.Advance(absl::Minutes(20));
  const v1::IngestMessageResponse email = Ingest(
      EmailMessage(kTenant, " Parent@Example.com ", "<cafe01@example.com>", "Batch 4411 spoiled."));
  EXPECT_TRUE(email.customer_created());
  EXPECT_NE(email.customer_id(), post.customer_id());
  EXPECT_NE(email.conversation_id(), post.conversation_id());
  ASSERT_TRUE(email.has_task());
  EXPECT_EQ(email.task().queue_id(), "email");
  EXPECT_EQ(email.task().status(), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(email.task().offer().agent_id(), "camille");

  // 20:05 — the community manager answers the public post.
  clock_.Advance(absl::Minutes(45));
  const absl::Time reply_at = clock_.Now();
  v1::RecordOutboundRequest answer =
      Outbound(kTenant, post.conversation_id(), v1::CHANNEL_PUBLIC_SOCIAL, "post-882", "camille",
               "So sorry! Please send us your contact details.");
  answer.add_references("post-881");
  const uint64_t reply = Answer(answer);

  // 20:10 — she enters the email the parent gave: the older customer
  // absorbs the other and their two open conversations become one thread.
  clock_.Advance(absl::Minutes(5));
  const v1::LinkIdentityResponse link =
      Link(kTenant, post.customer_id(), EmailId("parent@example.com"), "camille");
  EXPECT_EQ(link.customer_id(), post.customer_id());
  EXPECT_EQ(link.absorbed_customer_id(), email.customer_id());
  ASSERT_EQ(link.merged_threads_size(), 1);
  EXPECT_EQ(link.merged_threads(0).target_conversation_id(), post.conversation_id());
  EXPECT_EQ(link.merged_threads(0).source_conversation_id(), email.conversation_id());

  EXPECT_EQ(Find(kTenant, EmailId("PARENT@example.com")).customer_id(), post.customer_id());
  EXPECT_EQ(Find(kTenant, HandleId("x", "parent")).customer_id(), post.customer_id());
  EXPECT_EQ(GetCustomer(kTenant, email.customer_id()).merged_into_customer_id(),
            post.customer_id());
  EXPECT_THAT(ConversationsOf(kTenant, post.customer_id()), ElementsAre(post.conversation_id()));
  const v1::Conversation absorbed = GetConversation(kTenant, email.conversation_id());
  EXPECT_EQ(absorbed.status(), v1::CONVERSATION_STATUS_MERGED);
  EXPECT_EQ(absorbed.merged_into_conversation_id(), post.conversation_id());
  // Merging a conversation cancels its tasks that are not assigned.
  const v1::Task email_task = GetTask(kTenant, email.task().task_id());
  EXPECT_EQ(email_task.status(), v1::TASK_STATUS_CANCELLED);
  EXPECT_EQ(email_task.cancel_reason(), v1::CANCEL_REASON_CONVERSATION_ENDED);
  // Its offer is taken back from the agent.
  EXPECT_THAT(GetAgent(kTenant, "camille").offered_task_ids(),
              Not(Contains(email.task().task_id())));

  // Two days later the phone desk takes the conversation to the phone. The
  // owner does not serve voice: the task is held for her for the voice
  // wait, then falls back to the phone queue.
  clock_.Advance(absl::Hours(48));
  SetPresence(kTenant, "paul", v1::AGENT_PRESENCE_AVAILABLE);
  const absl::Time handoff_at = clock_.Now();
  const v1::HandoffResponse handoff =
      Handoff(post.conversation_id(), v1::CHANNEL_VOICE, "call the parent back", "paul");
  EXPECT_EQ(handoff.routing().owner_agent_id(), "camille");
  EXPECT_EQ(handoff.routing().handoffs(), 1);
  const v1::Task public_task = GetTask(kTenant, post.task().task_id());
  EXPECT_EQ(public_task.status(), v1::TASK_STATUS_COMPLETED);
  EXPECT_EQ(public_task.end(), v1::TASK_END_HANDED_OFF);
  const v1::Task voice = TaskFor(handoff.routing(), v1::TASK_REASON_HANDOFF);
  EXPECT_EQ(voice.channel(), v1::CHANNEL_VOICE);
  EXPECT_EQ(voice.queue_id(), "phone");
  EXPECT_EQ(voice.status(), v1::TASK_STATUS_WAITING);
  EXPECT_EQ(voice.preferred_agent_id(), "camille");
  EXPECT_EQ(FromTimestamp(voice.preferred_until()), handoff_at + absl::Seconds(30));
  // The SLA clock belongs to the conversation and does not restart.
  ExpectConversationClock(voice, due);
  EXPECT_THAT(GetAgent(kTenant, "paul").offered_task_ids(), IsEmpty());

  clock_.Advance(absl::Seconds(30));
  EXPECT_GE(RunDueTimers(kTenant), 1);
  const v1::Task released = GetTask(kTenant, voice.task_id());
  EXPECT_EQ(released.status(), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(released.offer().agent_id(), "paul");
  Accept(voice.task_id(), "paul");

  // What the phone agent sees: the post, the email and the public answer,
  // each once and in order, then the handoff to the phone.
  const std::vector<v1::TimelineEntry> timeline = Timeline(kTenant, post.conversation_id());
  EXPECT_THAT(MessageIds(timeline), ElementsAre(post.message_id(), email.message_id(), reply));
  ASSERT_EQ(timeline.size(), 4u);
  for (size_t i = 1; i < timeline.size(); ++i) {
    EXPECT_LE(FromTimestamp(timeline[i - 1].at()), FromTimestamp(timeline[i].at())) << i;
  }
  EXPECT_EQ(timeline[0].message().channel(), v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_EQ(timeline[0].message().visibility(), v1::VISIBILITY_PUBLIC);
  EXPECT_EQ(timeline[0].message().body(), "Sealed jar of baby food, spoiled.");
  EXPECT_EQ(timeline[1].message().channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(timeline[1].message().sender().value(), "parent@example.com");
  EXPECT_EQ(timeline[1].message().conversation_id(), post.conversation_id());
  EXPECT_EQ(timeline[2].message().direction(), v1::DIRECTION_OUTBOUND);
  EXPECT_EQ(timeline[2].message().agent_id(), "camille");
  ASSERT_TRUE(timeline[3].has_handoff());
  EXPECT_EQ(timeline[3].handoff().from_channel(), v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_EQ(timeline[3].handoff().to_channel(), v1::CHANNEL_VOICE);
  EXPECT_EQ(timeline[3].handoff().actor().id(), "paul");
  // The absorbed conversation's id leads to the same thread.
  EXPECT_EQ(MessageIds(Timeline(kTenant, email.conversation_id())), MessageIds(timeline));

  const v1::Conversation c = GetConversation(kTenant, post.conversation_id());
  EXPECT_EQ(c.customer_id(), post.customer_id());
  EXPECT_EQ(c.first_channel(), v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_EQ(c.channel(), v1::CHANNEL_VOICE);
  EXPECT_TRUE(c.began_in_public());
  EXPECT_EQ(FromTimestamp(c.first_response_due()), due);
  EXPECT_EQ(FromTimestamp(c.first_responded_at()), reply_at);
  EXPECT_EQ(c.message_count(), 3);
}

// "A courier this afternoon" and "the lab results": commitments that become
// routed tasks when due and escalate when missed; resolving the conversation
// that began in public leaves a task to close the loop there.
TEST_F(ScenarioTest, SpoiledBabyFoodCommitmentsBecomeTasksAndEscalateWhenMissed) {
  SetUpBrand();
  SetPresence(kTenant, "camille", v1::AGENT_PRESENCE_AVAILABLE);
  SetPresence(kTenant, "paul", v1::AGENT_PRESENCE_AVAILABLE);
  const v1::IngestMessageResponse post =
      Ingest(PublicPost(kTenant, "@Parent", "post-881", "Sealed jar of baby food, spoiled."));
  const uint64_t conversation = post.conversation_id();
  Accept(post.task().task_id(), "camille");
  clock_.Advance(absl::Minutes(30));
  Answer(Outbound(kTenant, conversation, v1::CHANNEL_PUBLIC_SOCIAL, "post-882", "camille",
                  "Please send us your details."));

  // Day 3, 10:00: the phone desk calls the parent back.
  clock_.AdvanceTo(Start() + absl::Hours(39));
  Handoff(conversation, v1::CHANNEL_VOICE, "call the parent back", "paul");
  clock_.Advance(absl::Seconds(30));
  RunDueTimers(kTenant);
  const v1::Task call = TaskFor(Routing(kTenant, conversation), v1::TASK_REASON_HANDOFF);
  Accept(call.task_id(), "paul");
  Answer(Outbound(kTenant, conversation, v1::CHANNEL_VOICE, "call-1", "paul",
                  "A courier picks up the jar this afternoon; we will send the lab results."));

  const absl::Time call_at = clock_.Now();
  v1::RecordCommitmentRequest pickup;
  pickup.set_tenant_id(kTenant);
  pickup.set_conversation_id(conversation);
  pickup.set_kind(v1::COMMITMENT_KIND_PICKUP);
  pickup.set_description("courier pick-up of the jar");
  *pickup.mutable_due_at() = ToTimestamp(call_at + absl::Hours(4));
  *pickup.mutable_deadline() = ToTimestamp(call_at + absl::Hours(7));
  pickup.set_agent_id("paul");
  *pickup.mutable_actor() = AgentActor("paul");
  const v1::Commitment courier = RecordCommitment(pickup);
  EXPECT_EQ(courier.status(), v1::COMMITMENT_STATUS_PENDING);
  EXPECT_EQ(courier.kind(), v1::COMMITMENT_KIND_PICKUP);
  // Not a call-back: its task is on the conversation's channel.
  EXPECT_EQ(courier.channel(), v1::CHANNEL_VOICE);
  EXPECT_EQ(courier.task_id(), 0u);
  EXPECT_FALSE(courier.missed());

  v1::RecordCommitmentRequest results;
  results.set_tenant_id(kTenant);
  results.set_conversation_id(conversation);
  results.set_kind(v1::COMMITMENT_KIND_FOLLOW_UP);
  results.set_description("send the lab results");
  *results.mutable_due_at() = ToTimestamp(call_at + absl::Hours(24 * 7));
  results.set_channel(v1::CHANNEL_EMAIL);
  results.set_agent_id("paul");
  *results.mutable_actor() = AgentActor("paul");
  const v1::Commitment lab = RecordCommitment(results);
  // No deadline given: due_at + 1 hour.
  EXPECT_EQ(FromTimestamp(lab.deadline()), call_at + absl::Hours(24 * 7 + 1));
  EXPECT_EQ(lab.channel(), v1::CHANNEL_EMAIL);

  Complete(call.task_id(), "paul");
  // Paul leaves for the afternoon: the courier's task will wait for him.
  SetPresence(kTenant, "paul", v1::AGENT_PRESENCE_BUSY);

  // 14:00: due, the promise becomes a routed task that prefers who made it.
  clock_.AdvanceTo(call_at + absl::Hours(4));
  EXPECT_GE(RunDueTimers(kTenant), 1);
  const v1::Commitment courier_due = GetCommitment(courier.commitment_id());
  EXPECT_EQ(courier_due.status(), v1::COMMITMENT_STATUS_DUE);
  ASSERT_NE(courier_due.task_id(), 0u);
  const v1::Task courier_task = GetTask(kTenant, courier_due.task_id());
  EXPECT_EQ(courier_task.reason(), v1::TASK_REASON_COMMITMENT);
  EXPECT_EQ(courier_task.commitment_id(), courier.commitment_id());
  EXPECT_EQ(courier_task.conversation_id(), conversation);
  EXPECT_EQ(courier_task.channel(), v1::CHANNEL_VOICE);
  EXPECT_EQ(courier_task.queue_id(), "phone");
  EXPECT_EQ(courier_task.preferred_agent_id(), "paul");
  EXPECT_EQ(courier_task.status(), v1::TASK_STATUS_WAITING);
  // Phone queue base 0, tier 0, not public, the conversation was answered.
  EXPECT_EQ(courier_task.priority_points(), 0);

  // 17:00: the deadline passes unfulfilled: missed, and its task escalates.
  const uint64_t before_deadline = LastSequence(kTenant);
  clock_.AdvanceTo(call_at + absl::Hours(7));
  EXPECT_GE(RunDueTimers(kTenant), 1);
  const v1::Commitment courier_missed = GetCommitment(courier.commitment_id());
  EXPECT_EQ(courier_missed.status(), v1::COMMITMENT_STATUS_MISSED);
  EXPECT_TRUE(courier_missed.missed());
  const v1::Task escalated = GetTask(kTenant, courier_due.task_id());
  EXPECT_EQ(escalated.priority_points(), 100);
  EXPECT_EQ(escalated.status(), v1::TASK_STATUS_WAITING);
  // Supervisors see it in the change feed.
  bool missed_event = false, escalated_event = false;
  for (const v1::Event& e : ReadEvents(kTenant, before_deadline + 1, LastSequence(kTenant))) {
    if (e.has_commitment_missed()) missed_event = true;
    if (e.has_task_escalated() && e.task_escalated().task_id() == courier_due.task_id()) {
      escalated_event = true;
      EXPECT_EQ(e.task_escalated().reason(), v1::ESCALATION_REASON_COMMITMENT_MISSED);
      EXPECT_EQ(e.task_escalated().added_points(), 100);
    }
  }
  EXPECT_TRUE(missed_event);
  EXPECT_TRUE(escalated_event);

  // Paul is back; the late pick-up is done, which fulfils the commitment.
  clock_.Advance(absl::Minutes(30));
  SetPresence(kTenant, "paul", v1::AGENT_PRESENCE_AVAILABLE);
  const v1::Task offered = GetTask(kTenant, courier_due.task_id());
  EXPECT_EQ(offered.status(), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(offered.offer().agent_id(), "paul");
  Accept(courier_due.task_id(), "paul");
  Complete(courier_due.task_id(), "paul");
  const v1::Commitment courier_done = GetCommitment(courier.commitment_id());
  EXPECT_EQ(courier_done.status(), v1::COMMITMENT_STATUS_FULFILLED);
  EXPECT_TRUE(courier_done.missed());

  // A week later the lab results are due: an email task offered to Paul.
  clock_.AdvanceTo(call_at + absl::Hours(24 * 7));
  EXPECT_GE(RunDueTimers(kTenant), 1);
  const v1::Commitment lab_due = GetCommitment(lab.commitment_id());
  EXPECT_EQ(lab_due.status(), v1::COMMITMENT_STATUS_DUE);
  const v1::Task lab_task = GetTask(kTenant, lab_due.task_id());
  EXPECT_EQ(lab_task.reason(), v1::TASK_REASON_COMMITMENT);
  EXPECT_EQ(lab_task.channel(), v1::CHANNEL_EMAIL);
  EXPECT_EQ(lab_task.queue_id(), "email");
  EXPECT_EQ(lab_task.status(), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(lab_task.offer().agent_id(), "paul");
  Accept(lab_due.task_id(), "paul");
  Complete(lab_due.task_id(), "paul");
  const v1::Commitment lab_done = GetCommitment(lab.commitment_id());
  EXPECT_EQ(lab_done.status(), v1::COMMITMENT_STATUS_FULFILLED);
  EXPECT_FALSE(lab_done.missed());

  // Resolved on the phone (private) after beginning in public: a task to
  // close the loop in public, preferring the owner (Paul, who serves no
  // public channel: held for him, then the social queue).
  const absl::Time resolved_at = clock_.Now();
  SetStatus(conversation, v1::CONVERSATION_STATUS_RESOLVED, "paul");
  const v1::ConversationRouting routing = Routing(kTenant, conversation);
  EXPECT_EQ(routing.owner_agent_id(), "paul");
  ASSERT_EQ(CountTasks(routing, v1::TASK_REASON_CLOSE_PUBLIC_LOOP), 1);
  const v1::Task loop = TaskFor(routing, v1::TASK_REASON_CLOSE_PUBLIC_LOOP);
  EXPECT_EQ(loop.channel(), v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_EQ(loop.queue_id(), "social");
  EXPECT_EQ(loop.preferred_agent_id(), "paul");
  EXPECT_EQ(loop.status(), v1::TASK_STATUS_WAITING);
  EXPECT_EQ(FromTimestamp(loop.preferred_until()), resolved_at + absl::Minutes(10));
  clock_.Advance(absl::Minutes(10));
  EXPECT_GE(RunDueTimers(kTenant), 1);
  const v1::Task loop_offered = GetTask(kTenant, loop.task_id());
  EXPECT_EQ(loop_offered.status(), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(loop_offered.offer().agent_id(), "camille");
  Accept(loop.task_id(), "camille");
}

// The close-the-loop task goes to the owner when they serve the public
// channel; resolving in public, or a conversation that began in private,
// leaves none.
TEST_F(ScenarioTest, CloseTheLoopTaskOnlyForPublicConversationsResolvedInPrivate) {
  SetUpBrand();
  SetPresence(kTenant, "camille", v1::AGENT_PRESENCE_AVAILABLE);

  const v1::IngestMessageResponse moved = Ingest(PublicPost(kTenant, "@one", "p-1", "broken"));
  Accept(moved.task().task_id(), "camille");
  const v1::HandoffResponse to_dm =
      Handoff(moved.conversation_id(), v1::CHANNEL_PRIVATE_SOCIAL, "personal data", "camille");
  // The owner serves the new channel and has capacity: assigned at once.
  const v1::Task dm = TaskFor(to_dm.routing(), v1::TASK_REASON_HANDOFF);
  EXPECT_EQ(dm.status(), v1::TASK_STATUS_ASSIGNED);
  EXPECT_EQ(dm.agent_id(), "camille");
  SetStatus(moved.conversation_id(), v1::CONVERSATION_STATUS_RESOLVED, "camille");
  const v1::Task loop =
      TaskFor(Routing(kTenant, moved.conversation_id()), v1::TASK_REASON_CLOSE_PUBLIC_LOOP);
  EXPECT_EQ(loop.channel(), v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_EQ(loop.preferred_agent_id(), "camille");
  EXPECT_EQ(loop.status(), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(loop.offer().agent_id(), "camille");

  const v1::IngestMessageResponse in_public = Ingest(PublicPost(kTenant, "@two", "p-2", "meh"));
  Accept(in_public.task().task_id(), "camille");
  Answer(Outbound(kTenant, in_public.conversation_id(), v1::CHANNEL_PUBLIC_SOCIAL, "p-3", "camille",
                  "Fixed, thanks!"));
  SetStatus(in_public.conversation_id(), v1::CONVERSATION_STATUS_RESOLVED, "camille");
  EXPECT_EQ(
      CountTasks(Routing(kTenant, in_public.conversation_id()), v1::TASK_REASON_CLOSE_PUBLIC_LOOP),
      0);

  const v1::IngestMessageResponse in_private =
      Ingest(EmailMessage(kTenant, "three@example.com", "<e-3@example.com>", "help"));
  SetStatus(in_private.conversation_id(), v1::CONVERSATION_STATUS_RESOLVED, "camille");
  EXPECT_EQ(
      CountTasks(Routing(kTenant, in_private.conversation_id()), v1::TASK_REASON_CLOSE_PUBLIC_LOOP),
      0);
}

// TenantSettings.merge_threads_on_customer_merge: "Default true (see
// options)". A client that sends settings without it (here only the
// country code) keeps that default: the parent's two open conversations
// still become one thread when the email is linked.
TEST_F(ScenarioTest, ThreadMergeOnCustomerMergeDefaultsToTrueWhenSettingsOmitIt) {
  v1::TenantSettings settings;
  settings.set_default_country_code("33");
  CreateTenant("partial", &settings);
  const v1::IngestMessageResponse post = Ingest(PublicPost("partial", "@parent", "p-1", "spoiled"));
  const v1::IngestMessageResponse email =
      Ingest(EmailMessage("partial", "parent@example.com", "<e-1@example.com>", "spoiled"));
  const v1::LinkIdentityResponse link =
      Link("partial", post.customer_id(), EmailId("parent@example.com"), "camille");
  EXPECT_EQ(link.absorbed_customer_id(), email.customer_id());
  ASSERT_EQ(link.merged_threads_size(), 1) << link.ShortDebugString();
  EXPECT_EQ(link.merged_threads(0).target_conversation_id(), post.conversation_id());
  EXPECT_EQ(link.merged_threads(0).source_conversation_id(), email.conversation_id());
}

// ------------------------------------------------------------------ scenario 2

constexpr char kMicro[] = "micro";

class MicroblogTest : public ScenarioTest {
 protected:
  // A brand on a microblog: one social queue (public and private), one
  // email queue; Ana on `ana_channels` with `capacity` units and email
  // tasks costing `email_cost`; Bob on email only. Everyone starts OFFLINE.
  // The preferred-agent wait is 5 minutes: the tenant's default, or (with
  // `email_wait`) the email channel's own.
  void SetUpMicroblog(std::vector<v1::Channel> ana_channels, int capacity, int email_cost,
                      bool email_wait = false) {
    v1::TenantSettings settings;
    settings.set_merge_threads_on_customer_merge(true);
    *settings.mutable_thread_merge_window() = ToDurationProto(absl::Hours(24 * 7));
    settings.set_close_public_loop(true);
    v1::ChannelSettings* public_target = settings.add_channels();
    public_target->set_channel(v1::CHANNEL_PUBLIC_SOCIAL);
    *public_target->mutable_first_response_target() = ToDurationProto(absl::Hours(1));
    CreateTenant(kMicro, &settings);
    UpsertQueue(kMicro, Queue("social", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL}));
    UpsertQueue(kMicro, Queue("email", {v1::CHANNEL_EMAIL}));
    v1::RoutingSettings routing;
    *routing.add_rules() =
        Rule("social", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL}, "social");
    *routing.add_rules() = Rule("email", {v1::CHANNEL_EMAIL}, "email");
    if (email_wait) {
      v1::PreferredAgentWait* wait = routing.add_preferred_agent_waits();
      wait->set_channel(v1::CHANNEL_EMAIL);
      *wait->mutable_wait() = ToDurationProto(absl::Minutes(5));
    } else {
      *routing.mutable_default_preferred_agent_wait() = ToDurationProto(absl::Minutes(5));
    }
    ConfigureRouting(kMicro, routing);
    v1::AgentConfig ana = AgentWith("ana", std::move(ana_channels), {}, capacity);
    v1::ChannelCost* cost = ana.add_channel_costs();
    cost->set_channel(v1::CHANNEL_EMAIL);
    cost->set_units(email_cost);
    UpsertAgent(kMicro, ana);
    UpsertAgent(kMicro, AgentWith("bob", {v1::CHANNEL_EMAIL}));
  }

  v1::IngestMessageResponse Post(absl::string_view handle, absl::string_view id) {
    return Ingest(PublicPost(kMicro, handle, id, "My new phone died. @brand"));
  }
};

TEST_F(MicroblogTest, PublicThenPrivateThenEmailAreHandoffsOfOneConversationWithOneAgent) {
  SetUpMicroblog({v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL, v1::CHANNEL_EMAIL}, 4, 1);
  SetPresence(kMicro, "ana", v1::AGENT_PRESENCE_AVAILABLE);
  const absl::Time post_at = clock_.Now();
  const absl::Time due = post_at + absl::Hours(1);
  const v1::IngestMessageResponse post = Post("@PhoneOwner", "tw-1");
  const uint64_t id = post.conversation_id();
  ASSERT_EQ(post.task().offer().agent_id(), "ana");
  ServiceTest::Accept(kMicro, post.task().task_id(), "ana");

  clock_.Advance(absl::Minutes(10));
  const absl::Time answered_at = clock_.Now();
  Answer(Outbound(kMicro, id, v1::CHANNEL_PUBLIC_SOCIAL, "tw-2", "ana", "Sorry! DM us?"));

  // Public → private: Ana serves it and has room, so she keeps it.
  clock_.Advance(absl::Minutes(2));
  const v1::HandoffResponse to_dm =
      ServiceTest::Handoff(kMicro, id, v1::CHANNEL_PRIVATE_SOCIAL, "take personal data", "ana");
  const v1::Task dm_task =
      TaskOn(to_dm.routing(), v1::TASK_REASON_HANDOFF, v1::CHANNEL_PRIVATE_SOCIAL);
  EXPECT_EQ(dm_task.status(), v1::TASK_STATUS_ASSIGNED);
  EXPECT_EQ(dm_task.agent_id(), "ana");
  ExpectConversationClock(dm_task, due);
  EXPECT_EQ(GetTask(kMicro, post.task().task_id()).end(), v1::TASK_END_HANDED_OFF);

  // The customer's DM joins the conversation; its work is already Ana's.
  clock_.Advance(absl::Minutes(8));
  const v1::IngestMessageResponse dm =
      Ingest(DirectMessage(kMicro, "phoneowner", "dm-1", "Order 12345"));
  EXPECT_EQ(dm.conversation_id(), id);
  EXPECT_EQ(dm.outcome(), v1::THREAD_OUTCOME_JOINED_BY_CONTINUITY);
  EXPECT_FALSE(dm.has_task());
  clock_.Advance(absl::Minutes(5));
  Answer(Outbound(kMicro, id, v1::CHANNEL_PRIVATE_SOCIAL, "dm-2", "ana", "Please email us."));

  // Private → email, for the documents.
  clock_.Advance(absl::Minutes(5));
  const v1::HandoffResponse to_email =
      ServiceTest::Handoff(kMicro, id, v1::CHANNEL_EMAIL, "documents needed", "ana");
  const v1::Task email_task =
      TaskOn(to_email.routing(), v1::TASK_REASON_HANDOFF, v1::CHANNEL_EMAIL);
  EXPECT_EQ(email_task.status(), v1::TASK_STATUS_ASSIGNED);
  EXPECT_EQ(email_task.agent_id(), "ana");
  ExpectConversationClock(email_task, due);
  EXPECT_EQ(GetTask(kMicro, dm_task.task_id()).end(), v1::TASK_END_HANDED_OFF);
  const v1::LinkIdentityResponse link =
      Link(kMicro, post.customer_id(), EmailId("owner@example.com"), "ana");
  EXPECT_EQ(link.customer_id(), post.customer_id());
  EXPECT_EQ(link.absorbed_customer_id(), 0u);
  clock_.Advance(absl::Minutes(1));
  Answer(Outbound(kMicro, id, v1::CHANNEL_EMAIL, "<case-1@brand.example>", "ana",
                  "Send us the invoice, please."));
  clock_.Advance(absl::Hours(3));
  const v1::IngestMessageResponse reply =
      Ingest(EmailMessage(kMicro, "Owner@Example.com", "<r1@example.com>", "Invoice attached."));
  EXPECT_EQ(reply.conversation_id(), id);
  EXPECT_FALSE(reply.customer_created());
  EXPECT_FALSE(reply.has_task());

  const v1::Conversation c = GetConversation(kMicro, id);
  EXPECT_THAT(c.channels_used(), ElementsAre(v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL,
                                             v1::CHANNEL_EMAIL));
  ASSERT_EQ(c.handoffs_size(), 2);
  EXPECT_EQ(c.handoffs(0).reason(), "take personal data");
  EXPECT_EQ(c.handoffs(1).reason(), "documents needed");
  // The SLA clock runs on from the first public post.
  EXPECT_EQ(FromTimestamp(c.first_response_due()), due);
  EXPECT_EQ(FromTimestamp(c.first_responded_at()), answered_at);
  EXPECT_EQ(c.message_count(), 6);
  const v1::ConversationRouting routing = Routing(kMicro, id);
  EXPECT_EQ(routing.owner_agent_id(), "ana");
  EXPECT_EQ(routing.handoffs(), 2);
  EXPECT_EQ(routing.transfers(), 0);
  EXPECT_EQ(routing.agents(), 1);
  EXPECT_TRUE(routing.same_agent_throughout());

  // The answer found is closed off in public too, by Ana.
  ServiceTest::SetStatus(kMicro, id, v1::CONVERSATION_STATUS_RESOLVED, "ana");
  const v1::Task loop = TaskFor(Routing(kMicro, id), v1::TASK_REASON_CLOSE_PUBLIC_LOOP);
  EXPECT_EQ(loop.channel(), v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_EQ(loop.preferred_agent_id(), "ana");
  EXPECT_EQ(loop.status(), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(loop.offer().agent_id(), "ana");
}

// With the wait set as the tenant's default (parameter false) or for the
// email channel (true).
class MicroblogFallbackTest : public MicroblogTest, public ::testing::WithParamInterface<bool> {};

TEST_P(MicroblogFallbackTest, HandoffToAChannelTheOwnerDoesNotServePrefersThemThenFallsBack) {
  SetUpMicroblog({v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL}, 4, 1, GetParam());
  v1::GetRoutingSettingsRequest get;
  get.set_tenant_id(kMicro);
  const v1::RoutingSettings settings =
      MustInvoke(*routing_, &v1::RoutingService::Stub::GetRoutingSettings, get);
  if (!GetParam()) {
    EXPECT_EQ(settings.default_preferred_agent_wait().seconds(), 300)
        << settings.ShortDebugString();
  }
  SetPresence(kMicro, "ana", v1::AGENT_PRESENCE_AVAILABLE);
  SetPresence(kMicro, "bob", v1::AGENT_PRESENCE_AVAILABLE);
  const v1::IngestMessageResponse post = Post("@PhoneOwner", "tw-1");
  const uint64_t id = post.conversation_id();
  const absl::Time due = FromTimestamp(GetConversation(kMicro, id).first_response_due());
  ServiceTest::Accept(kMicro, post.task().task_id(), "ana");

  clock_.Advance(absl::Minutes(10));
  const absl::Time handoff_at = clock_.Now();
  const v1::HandoffResponse to_email =
      ServiceTest::Handoff(kMicro, id, v1::CHANNEL_EMAIL, "documents needed", "ana");
  const v1::Task held = TaskOn(to_email.routing(), v1::TASK_REASON_HANDOFF, v1::CHANNEL_EMAIL);
  EXPECT_EQ(held.status(), v1::TASK_STATUS_WAITING);
  EXPECT_EQ(held.preferred_agent_id(), "ana");
  EXPECT_EQ(FromTimestamp(held.preferred_until()), handoff_at + absl::Minutes(5));
  EXPECT_EQ(FromTimestamp(held.first_response_due()), due);
  EXPECT_THAT(GetAgent(kMicro, "bob").offered_task_ids(), IsEmpty());

  clock_.Advance(absl::Minutes(5));
  EXPECT_GE(RunDueTimers(kMicro), 1);
  const v1::Task fallen_back = GetTask(kMicro, held.task_id());
  EXPECT_EQ(fallen_back.status(), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(fallen_back.offer().agent_id(), "bob");
  ServiceTest::Accept(kMicro, held.task_id(), "bob");
  const v1::ConversationRouting routing = Routing(kMicro, id);
  EXPECT_EQ(routing.owner_agent_id(), "bob");
  EXPECT_EQ(routing.agents(), 2);
  EXPECT_FALSE(routing.same_agent_throughout());
  EXPECT_EQ(FromTimestamp(GetConversation(kMicro, id).first_response_due()), due);
}

INSTANTIATE_TEST_SUITE_P(PreferredAgentWait, MicroblogFallbackTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "SetForEmail" : "TenantDefault";
                         });

TEST_F(MicroblogTest, HandoffWaitsForTheOwnerUntilTheyHaveCapacity) {
  // Ana: 2 units, an email costs her 2.
  SetUpMicroblog({v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL, v1::CHANNEL_EMAIL}, 2, 2);
  SetPresence(kMicro, "ana", v1::AGENT_PRESENCE_AVAILABLE);
  SetPresence(kMicro, "bob", v1::AGENT_PRESENCE_AVAILABLE);
  const v1::IngestMessageResponse first = Post("@first", "tw-1");
  const v1::IngestMessageResponse second = Post("@second", "tw-2");
  ASSERT_EQ(first.task().offer().agent_id(), "ana");
  ASSERT_EQ(second.task().offer().agent_id(), "ana");
  ServiceTest::Accept(kMicro, first.task().task_id(), "ana");
  ServiceTest::Accept(kMicro, second.task().task_id(), "ana");

  // The handoff frees one unit; the email needs two: held for Ana, not
  // offered to Bob.
  const v1::HandoffResponse to_email = ServiceTest::Handoff(
      kMicro, second.conversation_id(), v1::CHANNEL_EMAIL, "documents needed", "ana");
  const v1::Task held = TaskOn(to_email.routing(), v1::TASK_REASON_HANDOFF, v1::CHANNEL_EMAIL);
  EXPECT_EQ(held.status(), v1::TASK_STATUS_WAITING);
  EXPECT_EQ(held.preferred_agent_id(), "ana");
  EXPECT_EQ(GetAgent(kMicro, "ana").load(), 1);
  EXPECT_THAT(GetAgent(kMicro, "bob").offered_task_ids(), IsEmpty());

  // Ana finishes the other conversation (no wrap-up): now she can.
  clock_.Advance(absl::Minutes(2));
  ServiceTest::Complete(kMicro, first.task().task_id(), "ana");
  const v1::Task offered = GetTask(kMicro, held.task_id());
  EXPECT_EQ(offered.status(), v1::TASK_STATUS_OFFERED);
  EXPECT_EQ(offered.offer().agent_id(), "ana");
  ServiceTest::Accept(kMicro, held.task_id(), "ana");
  const v1::ConversationRouting routing = Routing(kMicro, second.conversation_id());
  EXPECT_EQ(routing.agents(), 1);
  EXPECT_TRUE(routing.same_agent_throughout());
  EXPECT_EQ(routing.handoffs(), 1);
}

}  // namespace
}  // namespace omniroute::service_test
