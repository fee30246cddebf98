// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Tenants are isolated workspaces: ids are numbered per tenant, so the same
// number exists in several tenants, and no call made on one tenant may read
// or change another's data.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

using ::omniroute::testing_internal::Email;
using ::omniroute::testing_internal::EmailMessage;
using ::omniroute::testing_internal::Handle;
using ::omniroute::testing_internal::MessageIds;
using ::omniroute::testing_internal::Outbound;
using ::omniroute::testing_internal::PublicPost;
using ::testing::ElementsAre;

namespace v1 = ::omniroute::v1;

constexpr char kAlpha[] = "alpha";
constexpr char kBeta[] = "beta";

// What one "shape" of tenant data holds: a post from x:<name> and an email
// from <name>@example.com (two customers, two conversations), an answer to
// the post, and a third customer by email.
struct Shape {
  IngestResult post;
  MessageId answer;
  IngestResult email;
  IngestResult third;
};

class TenantIsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = Engine::Open({.clock = &clock_});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    ASSERT_TRUE(engine_->CreateTenant(kAlpha, TenantOptions{}).ok());
    ASSERT_TRUE(engine_->CreateTenant(kBeta, TenantOptions{}).ok());
  }

  IngestResult Ingest(const std::string& tenant, const InboundMessage& m) {
    auto r = engine_->IngestMessage(tenant, m);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : IngestResult{};
  }

  // Fills `tenant` with the shape; every text carries `tag`, so that whose
  // data a view shows can be read off it.
  Shape Fill(const std::string& tenant, const std::string& name, const std::string& tag) {
    Shape s;
    InboundMessage post = PublicPost("x", name, "post-1", absl::StrCat(tag, " public post"));
    post.profile.display_name = absl::StrCat(tag, " poster");
    s.post = Ingest(tenant, post);
    clock_.Advance(absl::Minutes(1));
    auto answer = engine_->RecordOutbound(
        tenant, Outbound(s.post.conversation, v1::CHANNEL_PUBLIC_SOCIAL, "post-2", "cm",
                         absl::StrCat(tag, " answer")));
    EXPECT_TRUE(answer.ok()) << answer.status();
    s.answer = answer.ok() ? *answer : MessageId();
    clock_.Advance(absl::Minutes(1));
    s.email = Ingest(tenant, EmailMessage(absl::StrCat(name, "@example.com"), "<m1@example.com>",
                                          absl::StrCat(tag, " email")));
    clock_.Advance(absl::Minutes(1));
    s.third = Ingest(tenant, EmailMessage(absl::StrCat("third-", name, "@example.com"),
                                          "<m2@example.com>", absl::StrCat(tag, " third")));
    clock_.Advance(absl::Minutes(1));
    return s;
  }

  std::string Dump(const std::string& tenant) {
    auto r = engine_->DumpState(tenant);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : "";
  }

  uint64_t Sequence(const std::string& tenant) {
    auto r = engine_->LastSequence(tenant);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : 0;
  }

  ManualClock clock_;
  std::unique_ptr<Engine> engine_;
};

// Every command of the engine, aimed at one tenant with ids that may come
// from another; each entry is (name, call).
std::vector<std::pair<std::string, std::function<absl::Status(Engine&)>>> CommandsOn(
    const std::string& tenant, CustomerId customer, CustomerId other_customer,
    ConversationId conversation, ConversationId other_conversation, MessageId message) {
  const Actor agent = Actor::Agent("intruder");
  return {
      {"RecordOutbound",
       [=](Engine& e) {
         return e
             .RecordOutbound(tenant, Outbound(conversation, v1::CHANNEL_PUBLIC_SOCIAL,
                                              "intrusion", "intruder", "intrusion"))
             .status();
       }},
      {"Handoff",
       [=](Engine& e) {
         return e.Handoff(tenant, conversation, v1::CHANNEL_VOICE, "intrusion", agent);
       }},
      {"SetConversationStatus",
       [=](Engine& e) {
         return e.SetConversationStatus(tenant, conversation, v1::CONVERSATION_STATUS_CLOSED,
                                        agent);
       }},
      {"LinkIdentity",
       [=](Engine& e) {
         return e.LinkIdentity(tenant, customer, Email("intruder@example.com"), agent).status();
       }},
      {"MergeCustomers",
       [=](Engine& e) { return e.MergeCustomers(tenant, customer, other_customer, agent).status(); }},
      {"UnmergeCustomer", [=](Engine& e) { return e.UnmergeCustomer(tenant, customer, agent); }},
      {"MergeConversations",
       [=](Engine& e) {
         return e.MergeConversations(tenant, other_conversation, conversation, agent);
       }},
      {"SplitConversation",
       [=](Engine& e) {
         return e
             .SplitConversation(tenant, conversation, std::vector<MessageId>{message}, agent)
             .status();
       }},
  };
}

TEST_F(TenantIsolationTest, IdsOfALargerTenantAreNotFoundInASmallerOne) {
  const Shape alpha = Fill(kAlpha, "ann", "ALPHA");
  // Beta holds a single customer, conversation and message.
  const IngestResult beta = Ingest(kBeta, EmailMessage("bob@example.com", "<b1@example.com>"));
  ASSERT_EQ(beta.customer, CustomerId(1));
  ASSERT_EQ(beta.conversation, ConversationId(1));
  ASSERT_EQ(beta.message, MessageId(1));
  ASSERT_EQ(alpha.third.customer, CustomerId(3));

  const std::string alpha_dump = Dump(kAlpha);
  const std::string beta_dump = Dump(kBeta);
  const CustomerId a_customer = alpha.third.customer;
  const ConversationId a_conversation = alpha.third.conversation;
  const MessageId a_message = alpha.third.message;

  EXPECT_EQ(engine_->GetCustomer(kBeta, a_customer).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->GetConversation(kBeta, a_conversation).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->GetTimeline(kBeta, a_conversation).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->ListConversations(kBeta, a_customer).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->FindCustomer(kBeta, Email("third-ann@example.com")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->FindCustomer(kBeta, Handle("x", "ann")).status().code(),
            absl::StatusCode::kNotFound);

  // Commands with alpha's ids on beta: NOT_FOUND, and neither tenant changes.
  for (const auto& [name, call] :
       CommandsOn(kBeta, a_customer, beta.customer, a_conversation, beta.conversation,
                  a_message)) {
    const absl::Status status = call(*engine_);
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << name << ": " << status;
    EXPECT_EQ(Dump(kAlpha), alpha_dump) << name;
    EXPECT_EQ(Dump(kBeta), beta_dump) << name;
  }
  // Beta's own conversation with alpha's message id: not found either.
  const absl::Status split =
      engine_
          ->SplitConversation(kBeta, beta.conversation, std::vector<MessageId>{a_message},
                              Actor::Agent("intruder"))
          .status();
  EXPECT_FALSE(split.ok());
  EXPECT_EQ(Dump(kAlpha), alpha_dump);
  EXPECT_EQ(Dump(kBeta), beta_dump);
}

TEST_F(TenantIsolationTest, SameIdNumbersInAnotherTenantShowThatTenantsOwnData) {
  const Shape alpha = Fill(kAlpha, "ann", "ALPHA");
  const Shape beta = Fill(kBeta, "bob", "BETA");
  // Same shapes, so the same numbers.
  ASSERT_EQ(alpha.post.customer, beta.post.customer);
  ASSERT_EQ(alpha.post.conversation, beta.post.conversation);
  ASSERT_EQ(alpha.email.message, beta.email.message);

  const std::string alpha_dump = Dump(kAlpha);
  const uint64_t alpha_sequence = Sequence(kAlpha);
  EXPECT_THAT(Dump(kBeta), ::testing::Not(::testing::HasSubstr("ALPHA")));
  EXPECT_THAT(alpha_dump, ::testing::Not(::testing::HasSubstr("BETA")));

  // Reads on beta with the numbers alpha returned give beta's data.
  for (const IngestResult* r : {&alpha.post, &alpha.email, &alpha.third}) {
    auto customer = engine_->GetCustomer(kBeta, r->customer);
    ASSERT_TRUE(customer.ok()) << customer.status();
    for (const Identity& identity : customer->identities) {
      EXPECT_THAT(identity.value, ::testing::HasSubstr("bob")) << identity.value;
    }
    EXPECT_FALSE(absl::StrContains(customer->display_name, "ALPHA"));

    auto timeline = engine_->GetTimeline(kBeta, r->conversation);
    ASSERT_TRUE(timeline.ok()) << timeline.status();
    ASSERT_FALSE(timeline->empty());
    for (const TimelineEntry& entry : *timeline) {
      if (!entry.message) continue;
      EXPECT_TRUE(absl::StartsWith(entry.message->body, "BETA")) << entry.message->body;
    }
    auto list = engine_->ListConversations(kBeta, r->customer);
    ASSERT_TRUE(list.ok()) << list.status();
    for (const ConversationView& c : *list) {
      auto t = engine_->GetTimeline(kBeta, c.id);
      ASSERT_TRUE(t.ok());
      for (const TimelineEntry& entry : *t) {
        if (entry.message) EXPECT_FALSE(absl::StrContains(entry.message->body, "ALPHA"));
      }
    }
  }
  auto by_handle = engine_->FindCustomer(kBeta, Handle("x", "bob"));
  ASSERT_TRUE(by_handle.ok());
  EXPECT_EQ(by_handle->display_name, "BETA poster");
  EXPECT_EQ(engine_->FindCustomer(kBeta, Handle("x", "ann")).status().code(),
            absl::StatusCode::kNotFound);

  // Redelivering alpha's external ids to beta is no duplicate of alpha's.
  const uint64_t beta_sequence = Sequence(kBeta);
  const IngestResult beta_new = Ingest(kBeta, EmailMessage("carl@example.com", "<new@x>", "BETA"));
  EXPECT_FALSE(beta_new.duplicate);
  EXPECT_GT(Sequence(kBeta), beta_sequence);

  // Every command on beta with numbers alpha also uses: it acts on beta's
  // objects (it may succeed or fail) and alpha never changes.
  for (const auto& [name, call] :
       CommandsOn(kBeta, beta.email.customer, beta.post.customer, beta.post.conversation,
                  beta.email.conversation, beta.answer)) {
    const absl::Status status = call(*engine_);
    (void)status;
    EXPECT_EQ(Dump(kAlpha), alpha_dump) << name;
    EXPECT_EQ(Sequence(kAlpha), alpha_sequence) << name;
  }
  EXPECT_GT(Sequence(kBeta), beta_sequence + 1);
  EXPECT_THAT(Dump(kBeta), ::testing::Not(::testing::HasSubstr("ALPHA")));
}

TEST_F(TenantIsolationTest, IdenticalIdentitiesAreDifferentCustomersPerTenant) {
  // Alpha has someone else first, so the same person gets other numbers.
  Ingest(kAlpha, EmailMessage("zoe@example.com", "<z1@example.com>", "ALPHA zoe"));
  clock_.Advance(absl::Minutes(1));
  InboundMessage alpha_mail = EmailMessage("ann@example.com", "<m1@example.com>", "ALPHA ann");
  alpha_mail.profile.display_name = "Ann at Alpha";
  const IngestResult in_alpha = Ingest(kAlpha, alpha_mail);
  InboundMessage beta_mail = EmailMessage("ann@example.com", "<m1@example.com>", "BETA ann");
  beta_mail.profile.display_name = "Ann at Beta";
  const IngestResult in_beta = Ingest(kBeta, beta_mail);

  // The same channel and external id in two tenants are two messages.
  EXPECT_TRUE(in_alpha.customer_created);
  EXPECT_TRUE(in_beta.customer_created);
  EXPECT_FALSE(in_beta.duplicate);
  EXPECT_EQ(in_alpha.customer, CustomerId(2));
  EXPECT_EQ(in_beta.customer, CustomerId(1));

  auto found_alpha = engine_->FindCustomer(kAlpha, Email("ANN@example.com"));
  auto found_beta = engine_->FindCustomer(kBeta, Email("ann@EXAMPLE.com"));
  ASSERT_TRUE(found_alpha.ok() && found_beta.ok());
  EXPECT_EQ(found_alpha->id, in_alpha.customer);
  EXPECT_EQ(found_alpha->display_name, "Ann at Alpha");
  EXPECT_EQ(found_beta->id, in_beta.customer);
  EXPECT_EQ(found_beta->display_name, "Ann at Beta");

  // A later message in beta threads within beta only.
  clock_.Advance(absl::Minutes(5));
  const IngestResult again = Ingest(kBeta, EmailMessage("ann@example.com", "<m2@example.com>",
                                                        "BETA again", {"<m1@example.com>"}));
  EXPECT_EQ(again.customer, in_beta.customer);
  EXPECT_EQ(again.conversation, in_beta.conversation);
  auto alpha_conversation = engine_->GetConversation(kAlpha, in_alpha.conversation);
  ASSERT_TRUE(alpha_conversation.ok());
  EXPECT_EQ(alpha_conversation->message_count, 1);
}

TEST_F(TenantIsolationTest, AMergeInOneTenantNeverChangesTheOther) {
  const Shape alpha = Fill(kAlpha, "ann", "ALPHA");
  const Shape beta = Fill(kBeta, "ann", "BETA");  // The very same identities.
  const std::string alpha_dump = Dump(kAlpha);
  const uint64_t alpha_sequence = Sequence(kAlpha);

  // In beta, the agent links ann's email to ann's social account.
  auto link = engine_->LinkIdentity(kBeta, beta.post.customer, Email("ann@example.com"),
                                    Actor::Agent("beta-agent"));
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->absorbed, std::optional<CustomerId>(beta.email.customer));
  EXPECT_EQ(link->merged_threads.size(), 1u);
  auto merged = engine_->MergeCustomers(kBeta, beta.post.customer, beta.third.customer,
                                        Actor::Agent("beta-agent"));
  ASSERT_TRUE(merged.ok()) << merged.status();

  EXPECT_EQ(Dump(kAlpha), alpha_dump);
  EXPECT_EQ(Sequence(kAlpha), alpha_sequence);
  // In alpha, ann's email and ann's handle are still two customers with
  // their own conversations.
  auto by_email = engine_->FindCustomer(kAlpha, Email("ann@example.com"));
  auto by_handle = engine_->FindCustomer(kAlpha, Handle("x", "ann"));
  ASSERT_TRUE(by_email.ok() && by_handle.ok());
  EXPECT_EQ(by_email->id, alpha.email.customer);
  EXPECT_EQ(by_handle->id, alpha.post.customer);
  EXPECT_NE(by_email->id, by_handle->id);
  EXPECT_FALSE(by_email->merged_into.has_value());
  auto alpha_email_conversation = engine_->GetConversation(kAlpha, alpha.email.conversation);
  ASSERT_TRUE(alpha_email_conversation.ok());
  EXPECT_EQ(alpha_email_conversation->status, v1::CONVERSATION_STATUS_OPEN);
  EXPECT_FALSE(alpha_email_conversation->merged_into.has_value());
  auto alpha_timeline = engine_->GetTimeline(kAlpha, alpha.post.conversation);
  ASSERT_TRUE(alpha_timeline.ok());
  EXPECT_THAT(MessageIds(*alpha_timeline), ElementsAre(alpha.post.message, alpha.answer));

  // And unmerging in beta leaves alpha alone too.
  ASSERT_TRUE(
      engine_->UnmergeCustomer(kBeta, beta.email.customer, Actor::Agent("beta-agent")).ok());
  EXPECT_EQ(Dump(kAlpha), alpha_dump);
  // The reverse: a merge in alpha leaves beta's state alone.
  const std::string beta_dump = Dump(kBeta);
  ASSERT_TRUE(engine_
                  ->LinkIdentity(kAlpha, alpha.post.customer, Email("ann@example.com"),
                                 Actor::Agent("alpha-agent"))
                  .ok());
  EXPECT_EQ(Dump(kBeta), beta_dump);
  EXPECT_NE(Dump(kAlpha), alpha_dump);
}

TEST_F(TenantIsolationTest, ATenantsDumpNamesOnlyItself) {
  // A name that no enum or keyword of the dump contains.
  Fill(kAlpha, "quentin", "ALPHA");
  EXPECT_THAT(engine_->ListTenants(), ElementsAre(kAlpha, kBeta));
  const std::string beta = Dump(kBeta);
  EXPECT_FALSE(absl::StrContains(beta, "quentin")) << beta;
  EXPECT_FALSE(absl::StrContains(beta, "ALPHA")) << beta;
  EXPECT_TRUE(absl::StartsWith(beta, "tenant beta ")) << beta;
  EXPECT_GT(Sequence(kAlpha), Sequence(kBeta));
  auto beta_list = engine_->ListConversations(kBeta, CustomerId(1));
  EXPECT_EQ(beta_list.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace omniroute
