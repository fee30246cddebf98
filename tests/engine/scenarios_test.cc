// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Library-level tests of the scenarios of SCENARIOS.md (1, 2 and 4) and of the
// threading, merge and split behaviour DESIGN.md promises. Every test runs on
// a ManualClock: time moves only when the test says so.
//
// Expected values come from DESIGN.md, SCENARIOS.md and the public headers.

#include <map>
#include <optional>
#include <tuple>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/engine_test_helpers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/conversation.h"
#include "omniroute/engine.h"
#include "omniroute/tenant_options.h"

namespace omniroute {
namespace {

using ::omniroute::testing_internal::Call;
using ::omniroute::testing_internal::DirectMessage;
using ::omniroute::testing_internal::Email;
using ::omniroute::testing_internal::EmailMessage;
using ::omniroute::testing_internal::Handle;
using ::omniroute::testing_internal::Inbound;
using ::omniroute::testing_internal::Keys;
using ::omniroute::testing_internal::MessageIds;
using ::omniroute::testing_internal::MessagePlacements;
using ::omniroute::testing_internal::Outbound;
using ::omniroute::testing_internal::Phone;
using ::omniroute::testing_internal::PublicPost;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

namespace v1 = ::omniroute::v1;

constexpr char kTenant[] = "brand";

class ScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open({.clock = &clock_});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }

  void Create(const TenantOptions& options) {
    ASSERT_TRUE(engine_->CreateTenant(kTenant, options).ok());
  }

  IngestResult Ingest(const InboundMessage& message) {
    absl::StatusOr<IngestResult> r = engine_->IngestMessage(kTenant, message);
    EXPECT_TRUE(r.ok()) << message.external_id << ": " << r.status();
    return r.ok() ? *r : IngestResult{};
  }

  MessageId Answer(const OutboundMessage& message) {
    absl::StatusOr<MessageId> r = engine_->RecordOutbound(kTenant, message);
    EXPECT_TRUE(r.ok()) << message.external_id << ": " << r.status();
    return r.ok() ? *r : MessageId();
  }

  LinkResult Link(CustomerId customer, const RawIdentity& identity,
                  const Actor& actor = Actor::Agent("agent")) {
    absl::StatusOr<LinkResult> r = engine_->LinkIdentity(kTenant, customer, identity, actor);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : LinkResult{};
  }

  ConversationView Conversation(ConversationId id) {
    absl::StatusOr<ConversationView> r = engine_->GetConversation(kTenant, id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ConversationView{};
  }

  CustomerView Customer(CustomerId id) {
    absl::StatusOr<CustomerView> r = engine_->GetCustomer(kTenant, id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : CustomerView{};
  }

  CustomerId Find(const RawIdentity& identity) {
    absl::StatusOr<CustomerView> r = engine_->FindCustomer(kTenant, identity);
    EXPECT_TRUE(r.ok()) << identity.value << ": " << r.status();
    return r.ok() ? r->id : CustomerId();
  }

  std::vector<TimelineEntry> Timeline(ConversationId id) {
    absl::StatusOr<std::vector<TimelineEntry>> r = engine_->GetTimeline(kTenant, id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<TimelineEntry>{};
  }

  std::vector<ConversationId> ConversationsOf(CustomerId customer) {
    absl::StatusOr<std::vector<ConversationView>> r =
        engine_->ListConversations(kTenant, customer);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<ConversationId> ids;
    if (r.ok()) {
      for (const ConversationView& v : *r) ids.push_back(v.id);
    }
    return ids;
  }

  uint64_t Sequence() {
    absl::StatusOr<uint64_t> r = engine_->LastSequence(kTenant);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : 0;
  }

  std::string Dump() {
    absl::StatusOr<std::string> r = engine_->DumpState(kTenant);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : "";
  }

  std::map<MessageId, ConversationId> Placements() {
    return MessagePlacements(*engine_, kTenant);
  }

  // 2026-01-01 19:00 UTC, an evening.
  ManualClock clock_{absl::FromUnixSeconds(1767225600) + absl::Hours(19)};
  std::unique_ptr<Engine> engine_;
};

// ------------------------------------------------------------------ scenario 1

TEST_F(ScenarioTest, SpoiledBabyFoodPostAndEmailBecomeOneThreadThePhoneAgentSees) {
  TenantOptions options;
  options.first_response_targets[v1::CHANNEL_PUBLIC_SOCIAL] = absl::Hours(2);
  options.first_response_targets[v1::CHANNEL_EMAIL] = absl::Hours(24);
  options.first_response_targets[v1::CHANNEL_PRIVATE_SOCIAL] = absl::Minutes(30);
  options.first_response_targets[v1::CHANNEL_VOICE] = absl::Minutes(1);
  Create(options);

  // 19:00 — the public post: customer A, conversation 1.
  const absl::Time post_at = clock_.Now();
  const IngestResult post =
      Ingest(PublicPost("x", "@Parent", "post-881", "Sealed jar of baby food, spoiled."));
  EXPECT_TRUE(post.customer_created);
  EXPECT_EQ(post.outcome, v1::THREAD_OUTCOME_OPENED);
  const absl::Time due = post_at + absl::Hours(2);
  EXPECT_EQ(Conversation(post.conversation).first_response_due, due);

  // 19:20 — the email, which nothing links to the post yet: customer B.
  clock_.Advance(absl::Minutes(20));
  const IngestResult email = Ingest(
      EmailMessage(" Parent@Example.com ", "<cafe01@example.com>", "Batch 4411 spoiled."));
  EXPECT_TRUE(email.customer_created);
  EXPECT_EQ(email.outcome, v1::THREAD_OUTCOME_OPENED);
  EXPECT_NE(email.customer, post.customer);
  EXPECT_NE(email.conversation, post.conversation);
  EXPECT_EQ(Conversation(email.conversation).first_response_due,
            clock_.Now() + absl::Hours(24));

  // 20:05 — the community manager answers the public post.
  clock_.Advance(absl::Minutes(45));
  const absl::Time reply_at = clock_.Now();
  const MessageId reply = Answer(Outbound(post.conversation, v1::CHANNEL_PUBLIC_SOCIAL,
                                          "post-882", "cm-claire",
                                          "So sorry! Please DM us your contact details.",
                                          {"post-881"}));
  EXPECT_EQ(Conversation(post.conversation).first_responded_at, reply_at);

  // 20:30 — the private message joins conversation 1 by continuity; the
  // customer moved the conversation to PRIVATE_SOCIAL.
  clock_.Advance(absl::Minutes(25));
  const absl::Time dm_at = clock_.Now();
  const IngestResult dm = Ingest(DirectMessage(
      "x", "parent", "dm-5531", "My email is parent@example.com", "dm-thread-77"));
  EXPECT_FALSE(dm.customer_created);
  EXPECT_EQ(dm.customer, post.customer);
  EXPECT_EQ(dm.conversation, post.conversation);
  EXPECT_EQ(dm.outcome, v1::THREAD_OUTCOME_JOINED_BY_CONTINUITY);
  {
    const ConversationView c = Conversation(post.conversation);
    EXPECT_EQ(c.channel, v1::CHANNEL_PRIVATE_SOCIAL);
    ASSERT_EQ(c.handoffs.size(), 1u);
    EXPECT_EQ(c.handoffs[0].from_channel, v1::CHANNEL_PUBLIC_SOCIAL);
    EXPECT_EQ(c.handoffs[0].to_channel, v1::CHANNEL_PRIVATE_SOCIAL);
    EXPECT_EQ(c.handoffs[0].actor.kind, v1::ACTOR_KIND_CUSTOMER);
    EXPECT_EQ(c.handoffs[0].at, dm_at);
    EXPECT_EQ(c.first_response_due, due);
  }

  // 20:32 — the agent links the email to the social account: A (older)
  // absorbs B and the two open conversations become one thread.
  clock_.Advance(absl::Minutes(2));
  const LinkResult link =
      Link(post.customer, Email("parent@example.com"), Actor::Agent("cm-claire"));
  EXPECT_EQ(link.customer, post.customer);
  EXPECT_EQ(link.absorbed, std::optional<CustomerId>(email.customer));
  EXPECT_THAT(link.merged_threads, ElementsAre(Pair(post.conversation, email.conversation)));

  EXPECT_EQ(Find(Email("PARENT@example.com")), post.customer);
  EXPECT_EQ(Find(Handle("X", "@parent")), post.customer);
  {
    const CustomerView a = Customer(post.customer);
    EXPECT_FALSE(a.merged_into.has_value());
    EXPECT_EQ(a.identities.size(), 2u);
    EXPECT_THAT(a.conversations,
                UnorderedElementsAre(post.conversation, email.conversation));
    const CustomerView b = Customer(email.customer);
    EXPECT_EQ(b.merged_into, std::optional<CustomerId>(post.customer));
    EXPECT_THAT(b.identities, IsEmpty());
  }
  {
    const ConversationView absorbed = Conversation(email.conversation);
    EXPECT_EQ(absorbed.status, v1::CONVERSATION_STATUS_MERGED);
    EXPECT_EQ(absorbed.merged_into, std::optional<ConversationId>(post.conversation));
  }
  EXPECT_THAT(ConversationsOf(post.customer), ElementsAre(post.conversation));

  // Two days later the phone agent takes the conversation to VOICE and calls.
  clock_.Advance(absl::Hours(48));
  const absl::Time handoff_at = clock_.Now();
  ASSERT_TRUE(engine_
                  ->Handoff(kTenant, post.conversation, v1::CHANNEL_VOICE,
                            "call the parent back", Actor::Agent("phone-paul"))
                  .ok());
  EXPECT_EQ(Conversation(post.conversation).first_response_due, due);
  clock_.Advance(absl::Minutes(1));
  const MessageId call = Answer(Outbound(post.conversation, v1::CHANNEL_VOICE, "call-1",
                                         "phone-paul", "Courier this afternoon."));

  const ConversationView c = Conversation(post.conversation);
  EXPECT_EQ(c.customer, post.customer);
  EXPECT_EQ(c.status, v1::CONVERSATION_STATUS_OPEN);
  EXPECT_EQ(c.first_channel, v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_EQ(c.channel, v1::CHANNEL_VOICE);
  EXPECT_TRUE(c.began_in_public);
  EXPECT_EQ(c.opened_at, post_at);
  EXPECT_EQ(c.first_response_due, due);
  EXPECT_EQ(c.first_responded_at, reply_at);
  EXPECT_EQ(c.message_count, 5);
  EXPECT_THAT(c.channels_used, ElementsAre(v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_EMAIL,
                                           v1::CHANNEL_PRIVATE_SOCIAL, v1::CHANNEL_VOICE));
  ASSERT_EQ(c.handoffs.size(), 2u);
  EXPECT_EQ(c.handoffs[0].to_channel, v1::CHANNEL_PRIVATE_SOCIAL);
  EXPECT_EQ(c.handoffs[1].from_channel, v1::CHANNEL_PRIVATE_SOCIAL);
  EXPECT_EQ(c.handoffs[1].to_channel, v1::CHANNEL_VOICE);
  EXPECT_EQ(c.handoffs[1].actor.kind, v1::ACTOR_KIND_AGENT);
  EXPECT_EQ(c.handoffs[1].actor.id, "phone-paul");
  EXPECT_EQ(c.handoffs[1].reason, "call the parent back");
  EXPECT_EQ(c.handoffs[1].at, handoff_at);

  // What the phone agent sees: the post, the email and the DM, on their
  // channels, in order, each once; and both handoffs.
  const std::vector<TimelineEntry> timeline = Timeline(post.conversation);
  ASSERT_EQ(timeline.size(), 7u);
  for (size_t i = 1; i < timeline.size(); ++i) {
    EXPECT_LE(timeline[i - 1].at, timeline[i].at) << i;
  }
  EXPECT_THAT(MessageIds(timeline),
              ElementsAre(post.message, email.message, reply, dm.message, call));
  ASSERT_TRUE(timeline[0].message.has_value());
  EXPECT_EQ(timeline[0].message->channel, v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_EQ(timeline[0].message->visibility, v1::VISIBILITY_PUBLIC);
  EXPECT_EQ(timeline[0].message->direction, v1::DIRECTION_INBOUND);
  EXPECT_EQ(timeline[0].message->body, "Sealed jar of baby food, spoiled.");
  ASSERT_TRUE(timeline[1].message.has_value());
  EXPECT_EQ(timeline[1].message->channel, v1::CHANNEL_EMAIL);
  EXPECT_EQ(timeline[1].message->sender.value, "parent@example.com");
  EXPECT_EQ(timeline[1].message->conversation, post.conversation);
  ASSERT_TRUE(timeline[2].message.has_value());
  EXPECT_EQ(timeline[2].message->direction, v1::DIRECTION_OUTBOUND);
  EXPECT_EQ(timeline[2].message->agent_id, "cm-claire");
  ASSERT_TRUE(timeline[3].message.has_value());
  EXPECT_EQ(timeline[3].message->channel, v1::CHANNEL_PRIVATE_SOCIAL);
  ASSERT_TRUE(timeline[4].handoff.has_value());
  EXPECT_EQ(timeline[4].handoff->to_channel, v1::CHANNEL_PRIVATE_SOCIAL);
  ASSERT_TRUE(timeline[5].handoff.has_value());
  EXPECT_EQ(timeline[5].handoff->to_channel, v1::CHANNEL_VOICE);
  ASSERT_TRUE(timeline[6].message.has_value());
  EXPECT_EQ(timeline[6].message->channel, v1::CHANNEL_VOICE);

  // The absorbed conversation's id leads to the same thread.
  EXPECT_EQ(MessageIds(Timeline(email.conversation)), MessageIds(timeline));
  // Across the tenant, every message is stored exactly once, in that thread.
  const auto placements = Placements();
  EXPECT_EQ(placements.size(), 5u);
  for (const auto& [message, conversation] : placements) {
    EXPECT_EQ(conversation, post.conversation) << message;
  }
}

// ------------------------------------------------------------------ scenario 2

// Public post → DM → email with one agent; the customer's email joins by
// continuity or, after a long gap, by In-Reply-To to the agent's email.
class MicroblogScenarioTest : public ScenarioTest,
                              public ::testing::WithParamInterface<bool> {
 protected:
  void Run(bool by_reference) {
    const absl::Time post_at = clock_.Now();
    const IngestResult post = Ingest(PublicPost("x", "@PhoneOwner", "tw-1", "My new phone died."));
    const ConversationId id = post.conversation;
    const absl::Time due = post_at + absl::Hours(1);
    EXPECT_EQ(Conversation(id).first_response_due, due);

    clock_.Advance(absl::Minutes(10));
    const absl::Time first_answer_at = clock_.Now();
    Answer(Outbound(id, v1::CHANNEL_PUBLIC_SOCIAL, "tw-2", "agent-ana", "Sorry! DM us?",
                    {"tw-1"}));

    clock_.Advance(absl::Minutes(2));
    ASSERT_TRUE(engine_
                    ->Handoff(kTenant, id, v1::CHANNEL_PRIVATE_SOCIAL, "take personal data",
                             Actor::Agent("agent-ana"))
                    .ok());
    EXPECT_EQ(Conversation(id).first_response_due, due);

    clock_.Advance(absl::Minutes(8));
    const IngestResult dm = Ingest(DirectMessage("x", "phoneowner", "dm-1", "Order 12345"));
    EXPECT_EQ(dm.conversation, id);
    EXPECT_EQ(dm.outcome, v1::THREAD_OUTCOME_JOINED_BY_CONTINUITY);

    clock_.Advance(absl::Minutes(5));
    Answer(Outbound(id, v1::CHANNEL_PRIVATE_SOCIAL, "dm-2", "agent-ana", "Please email us."));

    clock_.Advance(absl::Minutes(5));
    ASSERT_TRUE(engine_
                    ->Handoff(kTenant, id, v1::CHANNEL_EMAIL, "documents needed",
                             Actor::Agent("agent-ana"))
                    .ok());
    EXPECT_EQ(Conversation(id).first_response_due, due);

    // The agent links the email address the customer gave: no one else owns
    // it, so nothing merges.
    absl::StatusOr<LinkResult> link = engine_->LinkIdentity(
        kTenant, post.customer, Email("owner@example.com"), Actor::Agent("agent-ana"));
    ASSERT_TRUE(link.ok()) << link.status();
    EXPECT_EQ(link->customer, post.customer);
    EXPECT_FALSE(link->absorbed.has_value());

    clock_.Advance(absl::Minutes(1));
    Answer(Outbound(id, v1::CHANNEL_EMAIL, "<case-1@brand.example>", "agent-ana",
                    "Send us the invoice, please."));

    IngestResult reply;
    if (by_reference) {
      ASSERT_TRUE(engine_
                      ->SetConversationStatus(kTenant, id, v1::CONVERSATION_STATUS_PENDING_CUSTOMER,
                                             Actor::Agent("agent-ana"))
                      .ok());
      // Five days later, far beyond every continuity window.
      clock_.Advance(absl::Hours(24 * 5));
      reply = Ingest(EmailMessage("Owner@Example.com", "<r1@example.com>", "Invoice attached.",
                                  {"<case-1@brand.example>"}));
      EXPECT_EQ(reply.outcome, v1::THREAD_OUTCOME_JOINED_BY_REFERENCE);
    } else {
      clock_.Advance(absl::Hours(3));
      reply = Ingest(EmailMessage("Owner@Example.com", "<r1@example.com>", "Invoice attached."));
      EXPECT_EQ(reply.outcome, v1::THREAD_OUTCOME_JOINED_BY_CONTINUITY);
    }
    EXPECT_FALSE(reply.customer_created);
    EXPECT_EQ(reply.customer, post.customer);
    EXPECT_EQ(reply.conversation, id);

    EXPECT_THAT(ConversationsOf(post.customer), ElementsAre(id));
    const ConversationView c = Conversation(id);
    EXPECT_EQ(c.status, v1::CONVERSATION_STATUS_OPEN);
    EXPECT_EQ(c.message_count, 6);
    EXPECT_EQ(c.first_channel, v1::CHANNEL_PUBLIC_SOCIAL);
    EXPECT_EQ(c.channel, v1::CHANNEL_EMAIL);
    EXPECT_THAT(c.channels_used, ElementsAre(v1::CHANNEL_PUBLIC_SOCIAL,
                                             v1::CHANNEL_PRIVATE_SOCIAL, v1::CHANNEL_EMAIL));
    ASSERT_EQ(c.handoffs.size(), 2u);
    EXPECT_EQ(c.handoffs[0].from_channel, v1::CHANNEL_PUBLIC_SOCIAL);
    EXPECT_EQ(c.handoffs[0].to_channel, v1::CHANNEL_PRIVATE_SOCIAL);
    EXPECT_EQ(c.handoffs[0].actor.kind, v1::ACTOR_KIND_AGENT);
    EXPECT_EQ(c.handoffs[0].actor.id, "agent-ana");
    EXPECT_EQ(c.handoffs[0].reason, "take personal data");
    EXPECT_EQ(c.handoffs[1].from_channel, v1::CHANNEL_PRIVATE_SOCIAL);
    EXPECT_EQ(c.handoffs[1].to_channel, v1::CHANNEL_EMAIL);
    EXPECT_EQ(c.handoffs[1].actor.id, "agent-ana");
    EXPECT_LT(c.handoffs[0].at, c.handoffs[1].at);
    EXPECT_EQ(c.first_response_due, due);
    EXPECT_EQ(c.first_responded_at, first_answer_at);
    EXPECT_TRUE(c.began_in_public);
    EXPECT_EQ(c.opened_at, post_at);
  }
};

TEST_P(MicroblogScenarioTest, PublicThenPrivateThenEmailIsOneConversation) {
  TenantOptions options;
  options.first_response_targets[v1::CHANNEL_PUBLIC_SOCIAL] = absl::Hours(1);
  options.first_response_targets[v1::CHANNEL_EMAIL] = absl::Hours(8);
  options.continuity_windows[v1::CHANNEL_EMAIL] = absl::Hours(6);
  Create(options);
  Run(GetParam());
  if (HasFatalFailure()) return;
  EXPECT_EQ(Placements().size(), 6u);
}

INSTANTIATE_TEST_SUITE_P(JoinBy, MicroblogScenarioTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "InReplyToReference" : "Continuity";
                         });

// ------------------------------------------------------------------ scenario 4

class PhoneRefusedTest : public ScenarioTest {
 protected:
  void SetUp() override {
    ScenarioTest::SetUp();
    TenantOptions options;
    options.default_country_code = "44";
    options.first_response_targets[v1::CHANNEL_VOICE] = absl::Minutes(1);
    options.first_response_targets[v1::CHANNEL_PUBLIC_SOCIAL] = absl::Hours(2);
    Create(options);
  }

  // The refused call, then after `gap` the public post and the DM that gives
  // the phone number; returns (call, post, dm).
  std::tuple<IngestResult, IngestResult, IngestResult> CallThenPost(absl::Duration gap) {
    const IngestResult call =
        Ingest(Call("+44 20 7946 0000", "call-77", "Cancel the add-on? Too late, sorry."));
    clock_.Advance(absl::Minutes(5));
    Answer(Outbound(call.conversation, v1::CHANNEL_VOICE, "", "phone-agent",
                    "It is too late to cancel."));
    clock_.Advance(gap);
    InboundMessage post = PublicPost("x", "@Angry", "post-9", "Charged a whole year. @brand");
    post.profile.reach = 12000;
    const IngestResult on_post = Ingest(post);
    clock_.Advance(absl::Hours(1));
    Answer(Outbound(on_post.conversation, v1::CHANNEL_PUBLIC_SOCIAL, "post-10", "social-sam",
                    "Please DM us.", {"post-9"}));
    clock_.Advance(absl::Minutes(30));
    const IngestResult dm =
        Ingest(DirectMessage("x", "angry", "dm-9", "My number is 020 7946 0000"));
    return {call, on_post, dm};
  }
};

TEST_F(PhoneRefusedTest, NationalAndInternationalFormsResolveToTheCallersCustomer) {
  const IngestResult call = Ingest(Call("+44 20 7946 0000", "call-1"));
  EXPECT_TRUE(call.customer_created);
  EXPECT_EQ(Find(Phone("020 7946 0000")), call.customer);
  EXPECT_EQ(Find(Phone("0044 (0)20 7946-0000")), call.customer);
  EXPECT_EQ(Find(Phone("+44.20.7946.0000")), call.customer);
  // A later call from the national form is the same customer.
  clock_.Advance(absl::Hours(1));
  const IngestResult again = Ingest(Call("020 7946 0000", "call-2"));
  EXPECT_FALSE(again.customer_created);
  EXPECT_EQ(again.customer, call.customer);
}

TEST_F(PhoneRefusedTest, InsideTheThreadMergeWindowTheCallAndThePostBecomeOneThread) {
  const absl::Time call_at = clock_.Now();
  auto [call, post, dm] = CallThenPost(absl::Hours(24 * 3));
  if (HasFailure()) return;
  EXPECT_NE(post.customer, call.customer);
  EXPECT_NE(post.conversation, call.conversation);
  EXPECT_EQ(dm.conversation, post.conversation);

  // The DM gave the number: the agent links it (national form).
  const LinkResult link =
      Link(post.customer, Phone("020 7946 0000"), Actor::Agent("social-sam"));
  EXPECT_EQ(link.customer, call.customer);  // The caller is the older customer.
  EXPECT_EQ(link.absorbed, std::optional<CustomerId>(post.customer));
  EXPECT_THAT(link.merged_threads, ElementsAre(Pair(call.conversation, post.conversation)));
  EXPECT_EQ(Find(Handle("x", "@ANGRY")), call.customer);

  // The social agent's view of the conversation it works on shows the call.
  const std::vector<TimelineEntry> timeline = Timeline(post.conversation);
  const std::vector<MessageId> ids = MessageIds(timeline);
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(ids.front(), call.message);
  ASSERT_TRUE(timeline.front().message.has_value());
  EXPECT_EQ(timeline.front().message->channel, v1::CHANNEL_VOICE);
  EXPECT_EQ(timeline.front().message->sender.value, "+442079460000");
  EXPECT_EQ(timeline.front().at, call_at);

  EXPECT_THAT(ConversationsOf(call.customer), ElementsAre(call.conversation));
  const ConversationView c = Conversation(call.conversation);
  EXPECT_EQ(c.first_channel, v1::CHANNEL_VOICE);
  EXPECT_EQ(c.opened_at, call_at);
  EXPECT_THAT(c.channels_used, ElementsAre(v1::CHANNEL_VOICE, v1::CHANNEL_PUBLIC_SOCIAL,
                                           v1::CHANNEL_PRIVATE_SOCIAL));
  EXPECT_EQ(c.first_response_due, call_at + absl::Minutes(1));
  EXPECT_EQ(c.message_count, 5);
  const auto placements = Placements();
  EXPECT_EQ(placements.size(), 5u);
  for (const auto& [message, conversation] : placements) {
    EXPECT_EQ(conversation, call.conversation) << message;
  }
}

// After the merge the customer is still talking in private messages: the
// merged thread must not be put back on the channel of a three-day-old call,
// or the social agent can no longer answer the DM without a handoff nobody
// asked for ("the customer's channel is kept unless they or the agent ask for
// a handoff").
TEST_F(PhoneRefusedTest, MergedThreadStaysOnTheChannelTheCustomerIsUsing) {
  auto [call, post, dm] = CallThenPost(absl::Hours(24 * 3));
  if (HasFailure()) return;
  const LinkResult link = Link(post.customer, Phone("+442079460000"));
  ASSERT_EQ(link.merged_threads.size(), 1u);
  const ConversationId thread = link.merged_threads[0].first;
  EXPECT_EQ(Conversation(thread).channel, v1::CHANNEL_PRIVATE_SOCIAL);
  absl::StatusOr<MessageId> answer = engine_->RecordOutbound(
      kTenant, Outbound(thread, v1::CHANNEL_PRIVATE_SOCIAL, "dm-10", "social-sam",
                        "Thanks, we are looking at your refund."));
  EXPECT_TRUE(answer.ok()) << answer.status();
}

TEST_F(PhoneRefusedTest, OutsideTheThreadMergeWindowTheyStayTwoConversationsOfOneCustomer) {
  // Eight days between the call and the post; the default window is 7 days.
  auto [call, post, dm] = CallThenPost(absl::Hours(24 * 8));
  if (HasFailure()) return;
  const LinkResult link = Link(post.customer, Phone("020 7946 0000"));
  EXPECT_EQ(link.customer, call.customer);
  EXPECT_EQ(link.absorbed, std::optional<CustomerId>(post.customer));
  EXPECT_THAT(link.merged_threads, IsEmpty());

  // The social agent lists the customer's conversations and sees the call.
  EXPECT_THAT(ConversationsOf(call.customer),
              UnorderedElementsAre(call.conversation, post.conversation));
  const ConversationView on_post = Conversation(post.conversation);
  EXPECT_EQ(on_post.customer, call.customer);
  EXPECT_EQ(on_post.status, v1::CONVERSATION_STATUS_OPEN);
  EXPECT_EQ(on_post.message_count, 3);
  const ConversationView on_call = Conversation(call.conversation);
  EXPECT_EQ(on_call.customer, call.customer);
  EXPECT_EQ(on_call.status, v1::CONVERSATION_STATUS_OPEN);
  EXPECT_THAT(MessageIds(Timeline(call.conversation)), ElementsAre(call.message, MessageId(2)));
  EXPECT_THAT(MessageIds(Timeline(post.conversation)),
              ElementsAre(post.message, MessageId(4), dm.message));
  EXPECT_EQ(Placements().size(), 5u);
}

TEST_F(ScenarioTest, ThreadMergeWindowIsATenantOption) {
  TenantOptions options;
  options.default_country_code = "44";
  options.thread_merge_window = absl::Hours(24);
  Create(options);
  const IngestResult call = Ingest(Call("+44 20 7946 0000", "call-1"));
  clock_.Advance(absl::Hours(30));  // Past the 24 h window, well inside 7 days.
  const IngestResult post = Ingest(PublicPost("x", "angry", "post-1"));
  const LinkResult link = Link(post.customer, Phone("020 7946 0000"));
  EXPECT_EQ(link.absorbed, std::optional<CustomerId>(post.customer));
  EXPECT_THAT(link.merged_threads, IsEmpty());
  EXPECT_THAT(ConversationsOf(call.customer),
              UnorderedElementsAre(call.conversation, post.conversation));
}

TEST_F(ScenarioTest, ThreadsDoNotMergeWhenTheTenantTurnsItOff) {
  TenantOptions options;
  options.merge_threads_on_customer_merge = false;
  Create(options);
  const IngestResult post = Ingest(PublicPost("x", "ann", "post-1"));
  clock_.Advance(absl::Minutes(5));
  const IngestResult email = Ingest(EmailMessage("ann@example.com", "<m1@example.com>"));
  const LinkResult link = Link(post.customer, Email("ann@example.com"));
  EXPECT_EQ(link.absorbed, std::optional<CustomerId>(email.customer));
  EXPECT_THAT(link.merged_threads, IsEmpty());
  EXPECT_THAT(ConversationsOf(post.customer),
              UnorderedElementsAre(post.conversation, email.conversation));
  EXPECT_EQ(Conversation(email.conversation).status, v1::CONVERSATION_STATUS_OPEN);
}

// ------------------------------------------------------------------ threading

TEST_F(ScenarioTest, ContinuityWindowIsPerChannel) {
  TenantOptions options;
  options.default_country_code = "33";
  options.continuity_windows[v1::CHANNEL_SMS] = absl::Minutes(10);
  Create(options);
  const RawIdentity phone = Phone("+33 6 12 34 56 78");

  const IngestResult first = Ingest(Inbound(v1::CHANNEL_SMS, phone, "sms-1"));
  EXPECT_EQ(first.outcome, v1::THREAD_OUTCOME_OPENED);
  clock_.Advance(absl::Minutes(9));
  const IngestResult second = Ingest(Inbound(v1::CHANNEL_SMS, phone, "sms-2"));
  EXPECT_EQ(second.conversation, first.conversation);
  EXPECT_EQ(second.outcome, v1::THREAD_OUTCOME_JOINED_BY_CONTINUITY);

  // Eleven minutes after the last message: past the SMS window.
  clock_.Advance(absl::Minutes(11));
  const IngestResult third = Ingest(Inbound(v1::CHANNEL_SMS, phone, "sms-3"));
  EXPECT_NE(third.conversation, first.conversation);
  EXPECT_EQ(third.outcome, v1::THREAD_OUTCOME_OPENED);
  EXPECT_EQ(third.customer, first.customer);

  // The same gap on a channel with the default 48 h window joins the
  // customer's most recently active conversation.
  clock_.Advance(absl::Minutes(11));
  const IngestResult call = Ingest(Inbound(v1::CHANNEL_VOICE, phone, "call-1"));
  EXPECT_EQ(call.conversation, third.conversation);
  EXPECT_EQ(call.outcome, v1::THREAD_OUTCOME_JOINED_BY_CONTINUITY);

  // The default window: 47 h later joins, 49 h after that opens a new one.
  clock_.Advance(absl::Hours(47));
  const IngestResult later = Ingest(Inbound(v1::CHANNEL_VOICE, phone, "call-2"));
  EXPECT_EQ(later.conversation, third.conversation);
  clock_.Advance(absl::Hours(49));
  const IngestResult much_later = Ingest(Inbound(v1::CHANNEL_VOICE, phone, "call-3"));
  EXPECT_EQ(much_later.outcome, v1::THREAD_OUTCOME_OPENED);
  EXPECT_NE(much_later.conversation, third.conversation);
  EXPECT_NE(much_later.conversation, first.conversation);
  EXPECT_EQ(ConversationsOf(first.customer).size(), 3u);
}

// A zero default window means "never join by continuity". The option is
// accepted, so it must be honoured (or else be refused at CreateTenant).
TEST_F(ScenarioTest, ZeroDefaultContinuityWindowIsHonoured) {
  TenantOptions options;
  options.default_continuity_window = absl::ZeroDuration();
  const absl::Status created = engine_->CreateTenant(kTenant, options);
  if (!created.ok()) {
    EXPECT_EQ(created.code(), absl::StatusCode::kInvalidArgument) << created;
    return;
  }
  const IngestResult first = Ingest(EmailMessage("ann@example.com", "<m1@example.com>"));
  clock_.Advance(absl::Minutes(1));
  const IngestResult second = Ingest(EmailMessage("ann@example.com", "<m2@example.com>"));
  EXPECT_EQ(second.outcome, v1::THREAD_OUTCOME_OPENED);
  EXPECT_NE(second.conversation, first.conversation);
}

TEST_F(ScenarioTest, ExplicitReferenceJoinsAcrossALongGap) {
  Create(TenantOptions{});
  const IngestResult first = Ingest(EmailMessage("ann@example.com", "<m1@example.com>"));
  clock_.Advance(absl::Hours(1));
  Answer(Outbound(first.conversation, v1::CHANNEL_EMAIL, "<a1@brand.example>", "agent"));

  // Thirty days later, In-Reply-To the agent's email.
  clock_.Advance(absl::Hours(24 * 30));
  const IngestResult reply = Ingest(EmailMessage("ann@example.com", "<m2@example.com>",
                                                 "Still broken", {"<a1@brand.example>"}));
  EXPECT_EQ(reply.conversation, first.conversation);
  EXPECT_EQ(reply.outcome, v1::THREAD_OUTCOME_JOINED_BY_REFERENCE);

  // Thirty days later again, no reference: a new conversation.
  clock_.Advance(absl::Hours(24 * 30));
  const IngestResult fresh = Ingest(EmailMessage("ann@example.com", "<m3@example.com>"));
  EXPECT_EQ(fresh.outcome, v1::THREAD_OUTCOME_OPENED);
  EXPECT_NE(fresh.conversation, first.conversation);

  // A reference to the customer's own first email (References header) beats
  // continuity with the fresher conversation.
  clock_.Advance(absl::Hours(1));
  const IngestResult old_thread = Ingest(EmailMessage(
      "ann@example.com", "<m4@example.com>", "About the first case", {"<m1@example.com>"}));
  EXPECT_EQ(old_thread.conversation, first.conversation);
  EXPECT_EQ(old_thread.outcome, v1::THREAD_OUTCOME_JOINED_BY_REFERENCE);
  EXPECT_EQ(Conversation(first.conversation).message_count, 4);
  EXPECT_EQ(Conversation(fresh.conversation).message_count, 1);
}

TEST_F(ScenarioTest, ThreadKeyJoinsAcrossALongGap) {
  Create(TenantOptions{});
  const IngestResult first = Ingest(DirectMessage("x", "ann", "dm-1", "hi", "thread-42"));
  clock_.Advance(absl::Hours(24 * 10));
  const IngestResult again = Ingest(DirectMessage("x", "ann", "dm-2", "hello?", "thread-42"));
  EXPECT_EQ(again.conversation, first.conversation);
  EXPECT_EQ(again.outcome, v1::THREAD_OUTCOME_JOINED_BY_REFERENCE);
  clock_.Advance(absl::Hours(24 * 10));
  const IngestResult other = Ingest(DirectMessage("x", "ann", "dm-3", "new", "thread-43"));
  EXPECT_EQ(other.outcome, v1::THREAD_OUTCOME_OPENED);
}

TEST_F(ScenarioTest, RedeliveryIsRecognisedAndStoredOnce) {
  Create(TenantOptions{});
  const IngestResult first = Ingest(EmailMessage("ann@example.com", "<m1@example.com>", "a"));
  const uint64_t sequence = Sequence();
  const std::string dump = Dump();

  clock_.Advance(absl::Minutes(3));
  InboundMessage redelivered = EmailMessage("ann@example.com", "<m1@example.com>", "a");
  const IngestResult again = Ingest(redelivered);
  EXPECT_TRUE(again.duplicate);
  EXPECT_FALSE(again.customer_created);
  EXPECT_EQ(again.customer, first.customer);
  EXPECT_EQ(again.conversation, first.conversation);
  EXPECT_EQ(again.message, first.message);
  EXPECT_EQ(Sequence(), sequence);
  EXPECT_EQ(Dump(), dump);
  EXPECT_EQ(Conversation(first.conversation).message_count, 1);

  // The same external id on another channel is another message.
  const IngestResult elsewhere =
      Ingest(Inbound(v1::CHANNEL_CHAT, Email("ann@example.com"), "<m1@example.com>"));
  EXPECT_FALSE(elsewhere.duplicate);
  EXPECT_NE(elsewhere.message, first.message);
  EXPECT_GT(Sequence(), sequence);
}

TEST_F(ScenarioTest, RedeliveryAfterAMergeAnswersWhereTheMessageIsNow) {
  Create(TenantOptions{});
  const IngestResult post = Ingest(PublicPost("x", "ann", "post-1"));
  clock_.Advance(absl::Minutes(5));
  const IngestResult email = Ingest(EmailMessage("ann@example.com", "<m1@example.com>"));
  const LinkResult link = Link(post.customer, Email("ann@example.com"));
  ASSERT_EQ(link.merged_threads.size(), 1u);
  const uint64_t sequence = Sequence();

  const IngestResult again = Ingest(EmailMessage("ann@example.com", "<m1@example.com>"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.message, email.message);
  EXPECT_EQ(again.conversation, post.conversation);
  EXPECT_EQ(again.customer, post.customer);
  EXPECT_EQ(Sequence(), sequence);
}

TEST_F(ScenarioTest, ResolvedConversationReopensByReferenceOnly) {
  Create(TenantOptions{});
  const IngestResult first = Ingest(EmailMessage("ann@example.com", "<m1@example.com>"));
  clock_.Advance(absl::Hours(1));
  Answer(Outbound(first.conversation, v1::CHANNEL_EMAIL, "<a1@brand.example>", "agent"));
  clock_.Advance(absl::Minutes(1));
  const absl::Time resolved_at = clock_.Now();
  ASSERT_TRUE(engine_
                  ->SetConversationStatus(kTenant, first.conversation,
                                          v1::CONVERSATION_STATUS_RESOLVED, Actor::Agent("agent"))
                  .ok());
  EXPECT_EQ(Conversation(first.conversation).status, v1::CONVERSATION_STATUS_RESOLVED);
  EXPECT_EQ(Conversation(first.conversation).resolved_at, resolved_at);

  // Without a reference, a resolved conversation is not "open": a new one.
  clock_.Advance(absl::Minutes(30));
  const IngestResult unrelated =
      Ingest(EmailMessage("ann@example.com", "<m2@example.com>", "Another question"));
  EXPECT_EQ(unrelated.outcome, v1::THREAD_OUTCOME_OPENED);
  EXPECT_NE(unrelated.conversation, first.conversation);
  EXPECT_EQ(Conversation(first.conversation).status, v1::CONVERSATION_STATUS_RESOLVED);

  // A reply to the agent's email, three days later, reopens it.
  clock_.Advance(absl::Hours(72));
  const IngestResult reply = Ingest(EmailMessage("ann@example.com", "<m3@example.com>",
                                                 "It broke again", {"<a1@brand.example>"}));
  EXPECT_EQ(reply.conversation, first.conversation);
  EXPECT_EQ(reply.outcome, v1::THREAD_OUTCOME_REOPENED);
  const ConversationView c = Conversation(first.conversation);
  EXPECT_EQ(c.status, v1::CONVERSATION_STATUS_OPEN);
  EXPECT_FALSE(c.resolved_at.has_value());
  EXPECT_EQ(c.message_count, 3);
}

TEST_F(ScenarioTest, ClosedConversationIsNeverJoined) {
  Create(TenantOptions{});
  const IngestResult first = Ingest(EmailMessage("ann@example.com", "<m1@example.com>"));
  Answer(Outbound(first.conversation, v1::CHANNEL_EMAIL, "<a1@brand.example>", "agent"));
  ASSERT_TRUE(engine_
                  ->SetConversationStatus(kTenant, first.conversation,
                                          v1::CONVERSATION_STATUS_CLOSED, Actor::Agent("agent"))
                  .ok());
  clock_.Advance(absl::Minutes(1));
  const IngestResult by_reference = Ingest(EmailMessage(
      "ann@example.com", "<m2@example.com>", "Re: your answer", {"<a1@brand.example>"}));
  EXPECT_NE(by_reference.conversation, first.conversation);
  EXPECT_EQ(by_reference.outcome, v1::THREAD_OUTCOME_OPENED);
  clock_.Advance(absl::Minutes(1));
  const IngestResult by_continuity = Ingest(EmailMessage("ann@example.com", "<m3@example.com>"));
  EXPECT_EQ(by_continuity.conversation, by_reference.conversation);

  const ConversationView closed = Conversation(first.conversation);
  EXPECT_EQ(closed.status, v1::CONVERSATION_STATUS_CLOSED);
  EXPECT_EQ(closed.message_count, 2);
  // And it stays closed.
  EXPECT_EQ(engine_
                ->SetConversationStatus(kTenant, first.conversation,
                                        v1::CONVERSATION_STATUS_OPEN, Actor::Agent("agent"))
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Conversation(first.conversation).status, v1::CONVERSATION_STATUS_CLOSED);
}

TEST_F(ScenarioTest, PendingCustomerOpensAgainWhenTheCustomerReplies) {
  Create(TenantOptions{});
  const IngestResult first = Ingest(EmailMessage("ann@example.com", "<m1@example.com>"));
  clock_.Advance(absl::Minutes(10));
  Answer(Outbound(first.conversation, v1::CHANNEL_EMAIL, "<a1@brand.example>", "agent",
                  "Which model is it?"));
  ASSERT_TRUE(engine_
                  ->SetConversationStatus(kTenant, first.conversation,
                                          v1::CONVERSATION_STATUS_PENDING_CUSTOMER,
                                          Actor::Agent("agent"))
                  .ok());
  EXPECT_EQ(Conversation(first.conversation).status, v1::CONVERSATION_STATUS_PENDING_CUSTOMER);
  clock_.Advance(absl::Hours(2));
  const IngestResult reply = Ingest(EmailMessage("ann@example.com", "<m2@example.com>", "X200"));
  EXPECT_EQ(reply.conversation, first.conversation);
  EXPECT_EQ(reply.outcome, v1::THREAD_OUTCOME_JOINED_BY_CONTINUITY);
  EXPECT_EQ(Conversation(first.conversation).status, v1::CONVERSATION_STATUS_OPEN);
}

// ------------------------------------------------------------------ merges

TEST_F(ScenarioTest, UnmergeRestoresIdentitiesConversationsAndMessages) {
  Create(TenantOptions{});
  const IngestResult post = Ingest(PublicPost("x", "ann", "post-1"));
  clock_.Advance(absl::Minutes(10));
  const MessageId reply =
      Answer(Outbound(post.conversation, v1::CHANNEL_PUBLIC_SOCIAL, "post-2", "cm"));
  clock_.Advance(absl::Minutes(10));
  const IngestResult email = Ingest(EmailMessage("ann@example.com", "<m1@example.com>"));
  clock_.Advance(absl::Minutes(10));
  const IngestResult email2 = Ingest(EmailMessage("ann@example.com", "<m2@example.com>"));
  ASSERT_EQ(email2.conversation, email.conversation);

  const auto before = Placements();
  ASSERT_EQ(before.size(), 4u);
  const ConversationView a_before = Conversation(post.conversation);
  const ConversationView b_before = Conversation(email.conversation);

  clock_.Advance(absl::Minutes(10));
  const LinkResult link = Link(post.customer, Email("ann@example.com"));
  ASSERT_EQ(link.absorbed, std::optional<CustomerId>(email.customer));
  ASSERT_THAT(link.merged_threads, ElementsAre(Pair(post.conversation, email.conversation)));
  const auto merged = Placements();
  EXPECT_EQ(Keys(merged), Keys(before));
  EXPECT_THAT(MessageIds(Timeline(post.conversation)),
              ElementsAre(post.message, reply, email.message, email2.message));

  clock_.Advance(absl::Minutes(10));
  ASSERT_TRUE(engine_->UnmergeCustomer(kTenant, email.customer, Actor::Agent("supervisor")).ok());

  // Every message is back where it was, exactly once.
  EXPECT_EQ(Placements(), before);
  // Identities.
  EXPECT_EQ(Find(Email("ann@example.com")), email.customer);
  EXPECT_EQ(Find(Handle("x", "ann")), post.customer);
  const CustomerView a = Customer(post.customer);
  const CustomerView b = Customer(email.customer);
  EXPECT_FALSE(b.merged_into.has_value());
  EXPECT_EQ(b.identities.size(), 1u);
  EXPECT_EQ(a.identities.size(), 1u);
  EXPECT_THAT(a.conversations, ElementsAre(post.conversation));
  EXPECT_THAT(b.conversations, ElementsAre(email.conversation));
  EXPECT_THAT(ConversationsOf(email.customer), ElementsAre(email.conversation));
  // Conversations, with their own clocks.
  for (const auto& [id, was] : {std::pair{post.conversation, a_before},
                                std::pair{email.conversation, b_before}}) {
    const ConversationView now = Conversation(id);
    EXPECT_EQ(now.customer, was.customer) << id;
    EXPECT_EQ(now.status, was.status) << id;
    EXPECT_FALSE(now.merged_into.has_value()) << id;
    EXPECT_EQ(now.channel, was.channel) << id;
    EXPECT_EQ(now.first_channel, was.first_channel) << id;
    EXPECT_EQ(now.opened_at, was.opened_at) << id;
    EXPECT_EQ(now.first_response_due, was.first_response_due) << id;
    EXPECT_EQ(now.first_responded_at, was.first_responded_at) << id;
    EXPECT_EQ(now.channels_used, was.channels_used) << id;
    EXPECT_EQ(now.began_in_public, was.began_in_public) << id;
    EXPECT_EQ(now.message_count, was.message_count) << id;
  }
  // The restored customer writes again: it is theirs, not the other's.
  clock_.Advance(absl::Minutes(10));
  const IngestResult after = Ingest(EmailMessage("ann@example.com", "<m3@example.com>"));
  EXPECT_EQ(after.customer, email.customer);
  EXPECT_EQ(after.conversation, email.conversation);
}

// DESIGN.md: "Unmerge restores the absorbed customer with its own identities
// and the conversations and messages that came from them." A message the
// absorbed customer's own address sent while merged came from them.
TEST_F(ScenarioTest, UnmergeReturnsMessagesTheAbsorbedIdentitySentWhileMerged) {
  Create(TenantOptions{});
  const IngestResult post = Ingest(PublicPost("x", "ann", "post-1"));
  clock_.Advance(absl::Minutes(10));
  const IngestResult email = Ingest(EmailMessage("bob@example.com", "<m1@example.com>"));
  clock_.Advance(absl::Minutes(10));
  // The agent links the wrong address.
  const LinkResult link = Link(post.customer, Email("bob@example.com"));
  ASSERT_EQ(link.merged_threads.size(), 1u);
  clock_.Advance(absl::Minutes(10));
  const IngestResult while_merged = Ingest(EmailMessage("bob@example.com", "<m2@example.com>"));
  EXPECT_EQ(while_merged.conversation, post.conversation);

  ASSERT_TRUE(engine_->UnmergeCustomer(kTenant, email.customer, Actor::Agent("sup")).ok());
  const auto placements = Placements();
  EXPECT_EQ(placements.size(), 3u);
  EXPECT_EQ(placements.at(email.message), email.conversation);
  ASSERT_TRUE(placements.contains(while_merged.message));
  const ConversationView holder = Conversation(placements.at(while_merged.message));
  EXPECT_EQ(holder.customer, email.customer)
      << "bob's email sent while merged stayed in ann's " << holder.id;
  EXPECT_THAT(MessageIds(Timeline(post.conversation)), ElementsAre(post.message));
}

TEST_F(ScenarioTest, MergeConversationsThenSplitRoundTrip) {
  Create(TenantOptions{});
  const IngestResult e1 = Ingest(EmailMessage("ann@example.com", "<m1@example.com>"));
  clock_.Advance(absl::Hours(1));
  const MessageId o1 = Answer(Outbound(e1.conversation, v1::CHANNEL_EMAIL, "<a1@b>", "agent"));
  clock_.Advance(absl::Hours(72));  // Past the 48 h window: a second conversation.
  const absl::Time e2_at = clock_.Now();
  const IngestResult e2 = Ingest(EmailMessage("ann@example.com", "<m2@example.com>"));
  ASSERT_NE(e2.conversation, e1.conversation);
  clock_.Advance(absl::Hours(1));
  const MessageId o2 = Answer(Outbound(e2.conversation, v1::CHANNEL_EMAIL, "<a2@b>", "agent"));
  const ConversationView c1_before = Conversation(e1.conversation);
  const ConversationView c2_before = Conversation(e2.conversation);

  clock_.Advance(absl::Minutes(5));
  uint64_t sequence = Sequence();
  ASSERT_TRUE(
      engine_->MergeConversations(kTenant, e1.conversation, e2.conversation, Actor::Agent("a"))
          .ok());
  EXPECT_GT(Sequence(), sequence);
  EXPECT_EQ(Conversation(e2.conversation).status, v1::CONVERSATION_STATUS_MERGED);
  EXPECT_EQ(Conversation(e2.conversation).merged_into,
            std::optional<ConversationId>(e1.conversation));
  EXPECT_THAT(MessageIds(Timeline(e1.conversation)),
              ElementsAre(e1.message, o1, e2.message, o2));
  EXPECT_EQ(Conversation(e1.conversation).first_response_due, c1_before.first_response_due);
  EXPECT_THAT(ConversationsOf(e1.customer), ElementsAre(e1.conversation));
  EXPECT_EQ(Placements().size(), 4u);

  clock_.Advance(absl::Minutes(5));
  sequence = Sequence();
  const std::vector<MessageId> moving = {o2, e2.message};  // Any order.
  absl::StatusOr<ConversationId> split =
      engine_->SplitConversation(kTenant, e1.conversation, moving, Actor::Agent("a"));
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_GT(Sequence(), sequence);
  EXPECT_NE(*split, e1.conversation);
  EXPECT_NE(*split, e2.conversation);

  const auto placements = Placements();
  EXPECT_EQ(placements.size(), 4u);
  EXPECT_EQ(placements.at(e1.message), e1.conversation);
  EXPECT_EQ(placements.at(o1), e1.conversation);
  EXPECT_EQ(placements.at(e2.message), *split);
  EXPECT_EQ(placements.at(o2), *split);

  const ConversationView c3 = Conversation(*split);
  EXPECT_EQ(c3.customer, e1.customer);
  EXPECT_EQ(c3.status, v1::CONVERSATION_STATUS_OPEN);
  EXPECT_EQ(c3.first_channel, v1::CHANNEL_EMAIL);
  EXPECT_EQ(c3.first_response_due, e2_at + absl::Hours(24));
  EXPECT_EQ(c3.first_response_due, c2_before.first_response_due);
  EXPECT_EQ(c3.message_count, 2);
  EXPECT_THAT(ConversationsOf(e1.customer), UnorderedElementsAre(e1.conversation, *split));

  const ConversationView c1 = Conversation(e1.conversation);
  EXPECT_EQ(c1.message_count, 2);
  EXPECT_EQ(c1.first_response_due, c1_before.first_response_due);
  EXPECT_EQ(c1.opened_at, c1_before.opened_at);
  EXPECT_EQ(c1.first_responded_at, c1_before.first_responded_at);
}

// Merging an older conversation into a newer one: the thread's SLA clock is
// the one its first message started; it does not restart with the newer one.
TEST_F(ScenarioTest, MergeIntoTheNewerConversationKeepsTheEarliestClock) {
  TenantOptions options;
  options.first_response_targets[v1::CHANNEL_PUBLIC_SOCIAL] = absl::Hours(2);
  options.first_response_targets[v1::CHANNEL_PRIVATE_SOCIAL] = absl::Hours(5);
  Create(options);
  const absl::Time post_at = clock_.Now();
  const IngestResult post = Ingest(PublicPost("x", "ann", "post-1"));
  clock_.Advance(absl::Minutes(30));
  const absl::Time answer_at = clock_.Now();
  Answer(Outbound(post.conversation, v1::CHANNEL_PUBLIC_SOCIAL, "post-2", "cm"));
  clock_.Advance(absl::Hours(72));
  const IngestResult dm = Ingest(DirectMessage("x", "ann", "dm-1"));
  ASSERT_NE(dm.conversation, post.conversation);

  ASSERT_TRUE(
      engine_->MergeConversations(kTenant, dm.conversation, post.conversation, Actor::Agent("a"))
          .ok());
  const ConversationView merged = Conversation(dm.conversation);
  EXPECT_EQ(merged.first_channel, v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_EQ(merged.channel, v1::CHANNEL_PRIVATE_SOCIAL);
  EXPECT_TRUE(merged.began_in_public);
  EXPECT_EQ(merged.opened_at, post_at);
  EXPECT_EQ(merged.first_response_due, post_at + absl::Hours(2));
  EXPECT_EQ(merged.first_responded_at, answer_at);
  EXPECT_EQ(merged.message_count, 3);
  EXPECT_THAT(merged.channels_used,
              ElementsAre(v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL));
  EXPECT_THAT(MessageIds(Timeline(post.conversation)),
              ElementsAre(post.message, MessageId(2), dm.message));
  EXPECT_EQ(Placements().size(), 3u);
}

// The same round trip with the older conversation merged into the newer one:
// once the older conversation's messages are split off again, the newer one
// must show its own clock, first channel and visibility again, not those of
// messages it no longer holds.
TEST_F(ScenarioTest, SplitUndoesTheClocksAMergeIntoTheNewerConversationBrought) {
  TenantOptions options;
  options.first_response_targets[v1::CHANNEL_PUBLIC_SOCIAL] = absl::Hours(2);
  options.first_response_targets[v1::CHANNEL_PRIVATE_SOCIAL] = absl::Hours(5);
  Create(options);
  const absl::Time post_at = clock_.Now();
  const IngestResult post = Ingest(PublicPost("x", "ann", "post-1"));
  clock_.Advance(absl::Hours(72));
  const IngestResult dm = Ingest(DirectMessage("x", "ann", "dm-1"));
  ASSERT_NE(dm.conversation, post.conversation);
  const ConversationView dm_before = Conversation(dm.conversation);
  EXPECT_FALSE(dm_before.began_in_public);
  EXPECT_EQ(dm_before.first_response_due, clock_.Now() + absl::Hours(5));

  ASSERT_TRUE(
      engine_->MergeConversations(kTenant, dm.conversation, post.conversation, Actor::Agent("a"))
          .ok());
  {
    const ConversationView merged = Conversation(dm.conversation);
    EXPECT_TRUE(merged.began_in_public);
    EXPECT_EQ(merged.opened_at, post_at);
    EXPECT_EQ(merged.first_response_due, post_at + absl::Hours(2));
  }
  absl::StatusOr<ConversationId> split = engine_->SplitConversation(
      kTenant, dm.conversation, std::vector<MessageId>{post.message}, Actor::Agent("a"));
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(Placements().size(), 2u);
  EXPECT_EQ(Conversation(*split).first_response_due, post_at + absl::Hours(2));

  const ConversationView private_part = Conversation(dm.conversation);
  EXPECT_EQ(private_part.message_count, 1);
  EXPECT_EQ(private_part.first_channel, dm_before.first_channel);
  EXPECT_EQ(private_part.opened_at, dm_before.opened_at);
  EXPECT_EQ(private_part.first_response_due, dm_before.first_response_due);
  EXPECT_EQ(private_part.began_in_public, dm_before.began_in_public);
}

// A conversation split off with a public post as its first message began in
// public (and so needs its loop closed in public when resolved).
TEST_F(ScenarioTest, SplitOffConversationThatStartsWithAPublicPostBeganInPublic) {
  Create(TenantOptions{});
  const IngestResult email = Ingest(EmailMessage("ann@example.com", "<m1@example.com>"));
  const LinkResult link = Link(email.customer, Handle("x", "ann"));
  EXPECT_FALSE(link.absorbed.has_value());
  clock_.Advance(absl::Minutes(10));
  // The customer also posts in public; it joins the email's conversation.
  const IngestResult post = Ingest(PublicPost("x", "ann", "post-1"));
  ASSERT_EQ(post.conversation, email.conversation);
  ASSERT_THAT(MessageIds(Timeline(email.conversation)), ElementsAre(email.message, post.message));
  EXPECT_FALSE(Conversation(email.conversation).began_in_public);
  absl::StatusOr<ConversationId> split = engine_->SplitConversation(
      kTenant, email.conversation, std::vector<MessageId>{post.message}, Actor::Agent("a"));
  ASSERT_TRUE(split.ok()) << split.status();
  const ConversationView c = Conversation(*split);
  EXPECT_EQ(c.first_channel, v1::CHANNEL_PUBLIC_SOCIAL);
  EXPECT_THAT(c.channels_used, ElementsAre(v1::CHANNEL_PUBLIC_SOCIAL));
  EXPECT_TRUE(c.began_in_public);
}

}  // namespace
}  // namespace omniroute
