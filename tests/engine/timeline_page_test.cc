// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Timelines and conversation lists read a page at a time: bodies come from
// the store's history, handoffs from the working set, and the pages put
// together are the whole list, once each, whatever the page size.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/engine_test_helpers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"

namespace omniroute {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing_internal::EmailMessage;
namespace v1 = ::omniroute::v1;

// What a timeline entry is, in a form the test writes down itself.
std::string Describe(const TimelineEntry& entry) {
  if (entry.message.has_value()) return absl::StrCat("message ", entry.message->body);
  return absl::StrCat("handoff to ", ChannelName(entry.handoff->to_channel));
}

class TimelinePageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = NewMemoryEventStore();
    auto engine = Engine::Open({.clock = &clock_, .store = store_.get()});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    ASSERT_TRUE(engine_->CreateTenant("acme", {}).ok());
    ASSERT_TRUE(engine_->CreateTenant("other", {}).ok());
  }

  // Ingests `count` emails of one customer, a minute apart; every
  // `handoff_every`-th is followed by a handoff. Returns the conversation
  // and appends what the timeline must show to `expected`.
  ConversationId Thread(absl::string_view tenant, absl::string_view address, int count,
                        int handoff_every, std::vector<std::string>* expected) {
    ConversationId conversation;
    Channel channel = v1::CHANNEL_EMAIL;
    for (int i = 0; i < count; ++i) {
      clock_.Advance(absl::Minutes(1));
      InboundMessage m = EmailMessage(address, absl::StrCat(address, "-", i),
                                      absl::StrCat(address, " #", i));
      m.channel = channel;
      auto r = engine_->IngestMessage(tenant, m);
      EXPECT_TRUE(r.ok()) << r.status();
      conversation = r->conversation;
      expected->push_back(absl::StrCat("message ", address, " #", i));
      if (handoff_every > 0 && i % handoff_every == handoff_every - 1) {
        // The same instant as the message: a message sorts before a handoff.
        channel = channel == v1::CHANNEL_EMAIL ? v1::CHANNEL_CHAT : v1::CHANNEL_EMAIL;
        EXPECT_TRUE(engine_
                        ->Handoff(tenant, conversation, channel, "moving on",
                                  Actor::Agent("camille"))
                        .ok());
        expected->push_back(absl::StrCat("handoff to ", ChannelName(channel)));
      }
    }
    return conversation;
  }

  std::vector<std::string> ReadAll(ConversationId conversation, int page_size, int* pages) {
    std::vector<std::string> seen;
    PageRequest request;
    request.page_size = page_size;
    *pages = 0;
    do {
      absl::StatusOr<TimelinePage> page = engine_->GetTimelinePage("acme", conversation, request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      ++*pages;
      EXPECT_LE(page->entries.size(), static_cast<size_t>(page_size));
      for (const TimelineEntry& e : page->entries) seen.push_back(Describe(e));
      request.page_token = page->next_page_token;
    } while (!request.page_token.empty());
    return seen;
  }

  ManualClock clock_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(TimelinePageTest, PagesPutTogetherAreTheWholeTimelineAtAnyPageSize) {
  std::vector<std::string> expected;
  const ConversationId c = Thread("acme", "ann@example.com", 53, 5, &expected);
  ASSERT_EQ(expected.size(), 53u + 10u);
  for (int page_size : {1, 2, 7, 10, 62, 63, 64, 1000}) {
    int pages = 0;
    EXPECT_THAT(ReadAll(c, page_size, &pages), ElementsAreArray(expected))
        << "page_size " << page_size;
    EXPECT_EQ(pages, (63 + page_size - 1) / page_size) << "page_size " << page_size;
  }
  // The whole list, and the default page.
  auto whole = engine_->GetTimeline("acme", c);
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_EQ(whole->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(Describe((*whole)[i]), expected[i]);
  auto first = engine_->GetTimelinePage("acme", c, {});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->entries.size(), expected.size());
  EXPECT_TRUE(first->next_page_token.empty());
}

TEST_F(TimelinePageTest, WhatArrivesBetweenPagesComesLaterAndNothingRepeats) {
  std::vector<std::string> expected;
  const ConversationId c = Thread("acme", "ann@example.com", 4, 0, &expected);
  PageRequest request;
  request.page_size = 3;
  auto first = engine_->GetTimelinePage("acme", c, request);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->entries.size(), 3u);
  // Two more messages, in the same conversation, after the first page.
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(engine_->IngestMessage("acme", EmailMessage("ann@example.com", "late-1", "late 1")).ok());
  ASSERT_TRUE(engine_->IngestMessage("acme", EmailMessage("ann@example.com", "late-2", "late 2")).ok());
  request.page_token = first->next_page_token;
  auto second = engine_->GetTimelinePage("acme", c, request);
  ASSERT_TRUE(second.ok()) << second.status();
  std::vector<std::string> rest;
  for (const TimelineEntry& e : second->entries) rest.push_back(Describe(e));
  EXPECT_THAT(rest, ElementsAreArray({expected[3], std::string("message late 1"),
                                      std::string("message late 2")}));
  EXPECT_TRUE(second->next_page_token.empty());
}

TEST_F(TimelinePageTest, MessagesCarryWhatTheStoreKeeps) {
  clock_.Advance(absl::Minutes(1));
  InboundMessage m = EmailMessage("ann@example.com", "<m1@mail>", "the jar was spoiled",
                                  {"<earlier@mail>"});
  auto in = engine_->IngestMessage("acme", m);
  ASSERT_TRUE(in.ok()) << in.status();
  OutboundMessage answer = testing_internal::Outbound(in->conversation, v1::CHANNEL_EMAIL,
                                                      "<a1@brand>", "camille", "sorry",
                                                      {"<m1@mail>"});
  auto out = engine_->RecordOutbound("acme", answer);
  ASSERT_TRUE(out.ok()) << out.status();
  auto page = engine_->GetTimelinePage("acme", in->conversation, {});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->entries.size(), 2u);
  const MessageView& first = *page->entries[0].message;
  EXPECT_EQ(first.id, in->message);
  EXPECT_EQ(first.conversation, in->conversation);
  EXPECT_EQ(first.body, "the jar was spoiled");
  EXPECT_EQ(first.external_id, "<m1@mail>");
  EXPECT_THAT(first.references, ElementsAreArray({std::string("<earlier@mail>")}));
  EXPECT_EQ(first.sender.value, "ann@example.com");
  EXPECT_EQ(first.direction, v1::DIRECTION_INBOUND);
  EXPECT_EQ(first.recorded_at, clock_.Now());
  const MessageView& second = *page->entries[1].message;
  EXPECT_EQ(second.id, *out);
  EXPECT_EQ(second.agent_id, "camille");
  EXPECT_EQ(second.body, "sorry");
  EXPECT_EQ(second.direction, v1::DIRECTION_OUTBOUND);
}

TEST_F(TimelinePageTest, AMergedConversationIsReadWhereItsThreadLivesNow) {
  std::vector<std::string> expected;
  const ConversationId a = Thread("acme", "ann@example.com", 3, 0, &expected);
  clock_.Advance(absl::Minutes(1));
  auto other = engine_->IngestMessage("acme", testing_internal::PublicPost("x", "ann", "p-1", "post"));
  ASSERT_TRUE(other.ok());
  ASSERT_NE(other->conversation, a);
  auto linked = engine_->LinkIdentity("acme", other->customer, testing_internal::Email("ann@example.com"),
                                      Actor::Agent("camille"));
  ASSERT_TRUE(linked.ok()) << linked.status();
  auto target = engine_->GetTimeline("acme", a);
  auto source = engine_->GetTimeline("acme", other->conversation);
  ASSERT_TRUE(target.ok() && source.ok());
  ASSERT_EQ(target->size(), source->size());
  ASSERT_EQ(target->size(), 4u);
  for (size_t i = 0; i < target->size(); ++i) EXPECT_EQ(Describe((*target)[i]), Describe((*source)[i]));
}

TEST_F(TimelinePageTest, BadPageRequestsNameTheField) {
  std::vector<std::string> expected;
  const ConversationId c = Thread("acme", "ann@example.com", 5, 0, &expected);
  const ConversationId d = Thread("acme", "bob@example.com", 5, 0, &expected);
  const ConversationId elsewhere = Thread("other", "ann@example.com", 5, 0, &expected);
  PageRequest request;
  request.page_size = 2;
  auto page_of_c = engine_->GetTimelinePage("acme", c, request);
  auto page_of_elsewhere = engine_->GetTimelinePage("other", elsewhere, request);
  ASSERT_TRUE(page_of_c.ok() && page_of_elsewhere.ok());
  ASSERT_FALSE(page_of_c->next_page_token.empty());

  auto expect_invalid = [&](absl::string_view tenant, ConversationId id, const PageRequest& r,
                            absl::string_view field) {
    auto page = engine_->GetTimelinePage(tenant, id, r);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << page.status();
    EXPECT_THAT(std::string(page.status().message()), HasSubstr(field));
  };
  for (int size : {-1, kMaxPageSize + 1}) {
    PageRequest r;
    r.page_size = size;
    expect_invalid("acme", c, r, "page_size");
  }
  for (const std::string& token :
       {std::string("garbage"), std::string("AAAA"), std::string("!!!"),
        page_of_c->next_page_token.substr(1)}) {
    PageRequest r;
    r.page_token = token;
    expect_invalid("acme", c, r, "page_token");
  }
  // Another conversation's token, another tenant's.
  PageRequest r;
  r.page_token = page_of_c->next_page_token;
  expect_invalid("acme", d, r, "page_token");
  r.page_token = page_of_elsewhere->next_page_token;
  expect_invalid("acme", elsewhere, r, "page_token");
  // Its own token works, and unknown things are NOT_FOUND.
  r.page_token = page_of_c->next_page_token;
  EXPECT_TRUE(engine_->GetTimelinePage("acme", c, r).ok());
  EXPECT_EQ(engine_->GetTimelinePage("acme", ConversationId(999), {}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->GetTimelinePage("nobody", c, {}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TimelinePageTest, ConversationsOfACustomerComePageByPage) {
  std::vector<ConversationId> opened;
  CustomerId ann;
  for (int i = 0; i < 5; ++i) {
    // A day apart: each email opens a conversation of its own.
    clock_.Advance(absl::Hours(24 * 30));
    auto r = engine_->IngestMessage("acme", EmailMessage("ann@example.com", absl::StrCat("e", i)));
    ASSERT_TRUE(r.ok()) << r.status();
    opened.push_back(r->conversation);
    ann = r->customer;
  }
  std::vector<ConversationId> seen;
  PageRequest request;
  request.page_size = 2;
  int pages = 0;
  do {
    auto page = engine_->ListConversationsPage("acme", ann, request);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    for (const ConversationView& v : page->conversations) seen.push_back(v.id);
    request.page_token = page->next_page_token;
  } while (!request.page_token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAreArray(opened));

  auto bob = engine_->IngestMessage("acme", EmailMessage("bob@example.com", "b0"));
  ASSERT_TRUE(bob.ok());
  request.page_token.clear();
  auto first = engine_->ListConversationsPage("acme", ann, request);
  ASSERT_TRUE(first.ok());
  request.page_token = first->next_page_token;
  EXPECT_EQ(engine_->ListConversationsPage("acme", bob->customer, request).status().code(),
            absl::StatusCode::kInvalidArgument);
  request.page_token.clear();
  request.page_size = -3;
  EXPECT_EQ(engine_->ListConversationsPage("acme", ann, request).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->ListConversationsPage("acme", CustomerId(999), {}).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace omniroute
