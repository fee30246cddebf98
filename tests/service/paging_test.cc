// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Lists read a page at a time over the wire: ConversationService.GetTimeline
// and CustomerService.ListConversations with page_size and page_token, as
// service.proto documents them. A list read page after page holds every item
// the test itself recorded, in order, once; a page_size out of range, and a
// page_token that is forged or belongs to another list or another tenant,
// are INVALID_ARGUMENT naming the field.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/service_test_support.h"

namespace omniroute::service_test {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using Code = grpc::StatusCode;

constexpr char kTenant[] = "acme";
constexpr char kOther[] = "globex";
// As service.proto documents them.
constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

// An entry as the test names it: "message 12" or "handoff EMAIL>CHAT".
std::string Name(const v1::TimelineEntry& entry) {
  if (entry.has_message()) return absl::StrCat("message ", entry.message().message_id());
  if (entry.has_handoff()) {
    return absl::StrCat("handoff ", v1::Channel_Name(entry.handoff().from_channel()), ">",
                        v1::Channel_Name(entry.handoff().to_channel()));
  }
  return "empty entry";
}

// The same token with one character in its middle changed.
std::string Tampered(std::string token) {
  if (token.empty()) return "x";
  char& c = token[token.size() / 2];
  c = c == 'A' ? 'B' : 'A';
  return token;
}

class PagingTest : public ServiceTest {
 protected:
  Reply<v1::GetTimelineResponse> TimelinePage(absl::string_view tenant, uint64_t conversation,
                                              int32_t page_size,
                                              const std::string& page_token = "") {
    v1::GetTimelineRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_conversation_id(conversation);
    r.set_page_size(page_size);
    r.set_page_token(page_token);
    return Invoke(*conversations_, &v1::ConversationService::Stub::GetTimeline, r);
  }

  Reply<v1::ListConversationsResponse> ConversationsPage(absl::string_view tenant,
                                                         uint64_t customer, int32_t page_size,
                                                         const std::string& page_token = "") {
    v1::ListConversationsRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_customer_id(customer);
    r.set_page_size(page_size);
    r.set_page_token(page_token);
    return Invoke(*customers_, &v1::CustomerService::Stub::ListConversations, r);
  }

  // Every page of the timeline with `page_size`, each checked: no more
  // entries than asked, none empty but a last one.
  std::vector<v1::TimelineEntry> ReadTimeline(absl::string_view tenant, uint64_t conversation,
                                              int32_t page_size, int* pages) {
    const size_t most = page_size == 0 ? kDefaultPageSize : page_size;
    std::vector<v1::TimelineEntry> entries;
    std::string token;
    *pages = 0;
    do {
      Reply<v1::GetTimelineResponse> page = TimelinePage(tenant, conversation, page_size, token);
      if (!page.ok()) {
        ADD_FAILURE() << "page " << *pages + 1 << ": " << Describe(page.status);
        break;
      }
      ++*pages;
      EXPECT_LE(static_cast<size_t>(page.value.entries_size()), most) << "page " << *pages;
      // Only a last page may be empty (when the one before was full).
      if (!page.value.next_page_token().empty() || *pages == 1) {
        EXPECT_GT(page.value.entries_size(), 0) << "page " << *pages;
      }
      entries.insert(entries.end(), page.value.entries().begin(), page.value.entries().end());
      token = page.value.next_page_token();
      if (*pages > 1000) {
        ADD_FAILURE() << "the pages never end";
        break;
      }
    } while (!token.empty());
    return entries;
  }

  // `n` emails of the customer ann@example.com, one second apart, in one
  // conversation; their message ids in the order sent.
  std::vector<uint64_t> Emails(absl::string_view tenant, int n, uint64_t* conversation) {
    std::vector<uint64_t> ids;
    for (int i = 0; i < n; ++i) {
      clock_.Advance(absl::Seconds(1));
      const v1::IngestMessageResponse in =
          Ingest(EmailMessage(tenant, "ann@example.com", absl::StrCat("<m", i, "@example.com>"),
                              absl::StrCat("email ", i)));
      if (i == 0) *conversation = in.conversation_id();
      EXPECT_EQ(in.conversation_id(), *conversation) << "email " << i;
      ids.push_back(in.message_id());
    }
    return ids;
  }

  // A customer (bob@example.com) with `n` conversations: each is closed
  // before the next email opens another. Their ids, in the order opened.
  std::vector<uint64_t> Conversations(absl::string_view tenant, int n, uint64_t* customer) {
    std::vector<uint64_t> ids;
    for (int i = 0; i < n; ++i) {
      clock_.Advance(absl::Seconds(1));
      const v1::IngestMessageResponse in =
          Ingest(EmailMessage(tenant, "bob@example.com", absl::StrCat("<b", i, "@example.com>"),
                              absl::StrCat("problem ", i)));
      EXPECT_EQ(in.outcome(), v1::THREAD_OUTCOME_OPENED) << "email " << i;
      if (i == 0) *customer = in.customer_id();
      EXPECT_EQ(in.customer_id(), *customer);
      ids.push_back(in.conversation_id());
      SetStatus(tenant, in.conversation_id(), v1::CONVERSATION_STATUS_CLOSED, "ann");
    }
    return ids;
  }

  void SetUp() override {
    ServiceTest::SetUp();
    if (HasFatalFailure()) return;
    CreateTenant(kTenant);
    CreateTenant(kOther);
  }
};

// ------------------------------------------------------------ timeline

TEST_F(PagingTest, ATimelineReadPageAfterPageHasEveryEntryOnceInOrder) {
  // Ten emails, the agent moves the conversation to chat, fifteen chat
  // messages: 26 entries, each a second after the one before.
  std::vector<std::string> expected;
  uint64_t conversation = 0;
  for (uint64_t id : Emails(kTenant, 10, &conversation)) {
    expected.push_back(absl::StrCat("message ", id));
  }
  clock_.Advance(absl::Seconds(1));
  Handoff(kTenant, conversation, v1::CHANNEL_CHAT, "quicker on chat", "ann");
  expected.push_back("handoff CHANNEL_EMAIL>CHANNEL_CHAT");
  for (int i = 0; i < 15; ++i) {
    clock_.Advance(absl::Seconds(1));
    const v1::IngestMessageResponse in =
        Ingest(Inbound(kTenant, v1::CHANNEL_CHAT, EmailId("ann@example.com"),
                       absl::StrCat("chat-", i), absl::StrCat("chat ", i)));
    ASSERT_EQ(in.conversation_id(), conversation) << "chat " << i;
    expected.push_back(absl::StrCat("message ", in.message_id()));
  }
  ASSERT_THAT(expected, SizeIs(26));

  for (int32_t page_size : {1, 7, 13, 25, 26, 27, 0, kMaxPageSize}) {
    SCOPED_TRACE(absl::StrCat("page_size ", page_size));
    int pages = 0;
    const std::vector<v1::TimelineEntry> entries =
        ReadTimeline(kTenant, conversation, page_size, &pages);
    std::vector<std::string> read;
    for (const v1::TimelineEntry& e : entries) read.push_back(Name(e));
    EXPECT_THAT(read, ElementsAreArray(expected));
    const int size = page_size == 0 ? kDefaultPageSize : page_size;
    // Full pages but the last, so no more pages than needed, and at most
    // one more (an empty last page) than the items fill.
    EXPECT_GE(pages, (26 + size - 1) / size);
    EXPECT_LE(pages, 26 / size + 1);
  }

  // The bodies travel with their pages.
  int pages = 0;
  const std::vector<v1::TimelineEntry> entries = ReadTimeline(kTenant, conversation, 4, &pages);
  ASSERT_THAT(entries, SizeIs(26));
  EXPECT_EQ(entries[0].message().body(), "email 0");
  EXPECT_EQ(entries[9].message().body(), "email 9");
  EXPECT_EQ(entries[11].message().body(), "chat 0");
  EXPECT_EQ(entries[25].message().body(), "chat 14");
}

TEST_F(PagingTest, WithoutAPageSizeAPageHoldsTheDocumentedDefault) {
  uint64_t conversation = 0;
  const std::vector<uint64_t> ids = Emails(kTenant, kDefaultPageSize + 30, &conversation);

  Reply<v1::GetTimelineResponse> first = TimelinePage(kTenant, conversation, 0);
  ASSERT_TRUE(first.ok()) << Describe(first.status);
  ASSERT_THAT(first.value.entries(), SizeIs(kDefaultPageSize));
  ASSERT_THAT(first.value.next_page_token(), Not(IsEmpty()));
  Reply<v1::GetTimelineResponse> second =
      TimelinePage(kTenant, conversation, 0, first.value.next_page_token());
  ASSERT_TRUE(second.ok()) << Describe(second.status);
  EXPECT_THAT(second.value.entries(), SizeIs(30));
  EXPECT_THAT(second.value.next_page_token(), IsEmpty());

  std::vector<uint64_t> read = MessageIds({first.value.entries().begin(),
                                           first.value.entries().end()});
  for (uint64_t id : MessageIds({second.value.entries().begin(), second.value.entries().end()})) {
    read.push_back(id);
  }
  EXPECT_THAT(read, ElementsAreArray(ids));

  // The whole thread fits one page of the maximum size.
  Reply<v1::GetTimelineResponse> all = TimelinePage(kTenant, conversation, kMaxPageSize);
  ASSERT_TRUE(all.ok()) << Describe(all.status);
  EXPECT_THAT(MessageIds({all.value.entries().begin(), all.value.entries().end()}),
              ElementsAreArray(ids));
  EXPECT_THAT(all.value.next_page_token(), IsEmpty());
}

TEST_F(PagingTest, APageSizeOutOfRangeIsRefusedNamingIt) {
  uint64_t conversation = 0;
  Emails(kTenant, 3, &conversation);
  for (int32_t page_size : {-1, -1000, kMaxPageSize + 1, 1 << 30}) {
    SCOPED_TRACE(page_size);
    Reply<v1::GetTimelineResponse> page = TimelinePage(kTenant, conversation, page_size);
    EXPECT_EQ(page.status.error_code(), Code::INVALID_ARGUMENT) << Describe(page.status);
    EXPECT_THAT(page.status.error_message(), HasSubstr("page_size"));
  }
}

TEST_F(PagingTest, ATimelineTokenOnlyReadsTheListThatGaveIt) {
  uint64_t conversation = 0;
  Emails(kTenant, 5, &conversation);
  // Another conversation of the same tenant (another customer's).
  clock_.Advance(absl::Seconds(1));
  const uint64_t elsewhere =
      Ingest(EmailMessage(kTenant, "carol@example.com", "<c0@example.com>", "hello"))
          .conversation_id();
  ASSERT_NE(elsewhere, conversation);
  // The same conversation id in another tenant, with as many messages.
  uint64_t other_conversation = 0;
  Emails(kOther, 5, &other_conversation);
  ASSERT_EQ(other_conversation, conversation);

  Reply<v1::GetTimelineResponse> first = TimelinePage(kTenant, conversation, 2);
  ASSERT_TRUE(first.ok()) << Describe(first.status);
  const std::string token = first.value.next_page_token();
  ASSERT_THAT(token, Not(IsEmpty()));
  // The token works where it came from.
  ASSERT_TRUE(TimelinePage(kTenant, conversation, 2, token).ok());

  // A token of the customer's list of conversations.
  uint64_t customer = 0;
  Conversations(kTenant, 3, &customer);
  Reply<v1::ListConversationsResponse> list = ConversationsPage(kTenant, customer, 1);
  ASSERT_TRUE(list.ok()) << Describe(list.status);
  ASSERT_THAT(list.value.next_page_token(), Not(IsEmpty()));

  struct Case {
    std::string name;
    std::string tenant;
    uint64_t conversation;
    std::string token;
  };
  const Case cases[] = {
      {"forged", kTenant, conversation, "not-a-page-token"},
      {"tampered", kTenant, conversation, Tampered(token)},
      {"another conversation", kTenant, elsewhere, token},
      {"another tenant", kOther, other_conversation, token},
      {"another list", kTenant, conversation, list.value.next_page_token()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Reply<v1::GetTimelineResponse> page = TimelinePage(c.tenant, c.conversation, 2, c.token);
    EXPECT_EQ(page.status.error_code(), Code::INVALID_ARGUMENT) << Describe(page.status);
    EXPECT_THAT(page.status.error_message(), HasSubstr("page_token"));
  }
}

TEST_F(PagingTest, AnUnknownConversationOrTenantIsNotFoundWhateverThePage) {
  Reply<v1::GetTimelineResponse> unknown = TimelinePage(kTenant, 999, 10);
  EXPECT_EQ(unknown.status.error_code(), Code::NOT_FOUND) << Describe(unknown.status);
  Reply<v1::GetTimelineResponse> nobody = TimelinePage("nobody", 1, 10);
  EXPECT_EQ(nobody.status.error_code(), Code::NOT_FOUND) << Describe(nobody.status);
  Reply<v1::ListConversationsResponse> no_customer = ConversationsPage(kTenant, 999, 10);
  EXPECT_EQ(no_customer.status.error_code(), Code::NOT_FOUND) << Describe(no_customer.status);
}

// ------------------------------------------------------------ conversations

TEST_F(PagingTest, ACustomersConversationsReadPageAfterPageAreEachThereOnceById) {
  uint64_t customer = 0;
  const std::vector<uint64_t> ids = Conversations(kTenant, 12, &customer);
  // Another customer's conversation in between is not in the list.
  Ingest(EmailMessage(kTenant, "carol@example.com", "<c0@example.com>", "hello"));
  // Opened one after the other, so in the order of their ids.
  ASSERT_TRUE(std::is_sorted(ids.begin(), ids.end()));

  for (int32_t page_size : {1, 5, 11, 12, 13, 0}) {
    SCOPED_TRACE(absl::StrCat("page_size ", page_size));
    const size_t most = page_size == 0 ? kDefaultPageSize : page_size;
    std::vector<uint64_t> read;
    std::string token;
    int pages = 0;
    do {
      Reply<v1::ListConversationsResponse> page =
          ConversationsPage(kTenant, customer, page_size, token);
      ASSERT_TRUE(page.ok()) << Describe(page.status);
      ASSERT_LT(++pages, 100) << "the pages never end";
      EXPECT_LE(static_cast<size_t>(page.value.conversations_size()), most);
      for (const v1::Conversation& c : page.value.conversations()) {
        EXPECT_EQ(c.customer_id(), customer);
        read.push_back(c.conversation_id());
      }
      token = page.value.next_page_token();
    } while (!token.empty());
    EXPECT_THAT(read, ElementsAreArray(ids));
    EXPECT_LE(pages, 12 / static_cast<int>(most) + 1);
  }
  // A request without paging fields gets a page of the default size, which
  // holds them all.
  v1::ListConversationsRequest plain;
  plain.set_tenant_id(kTenant);
  plain.set_customer_id(customer);
  const v1::ListConversationsResponse all =
      MustInvoke(*customers_, &v1::CustomerService::Stub::ListConversations, plain);
  EXPECT_THAT(all.next_page_token(), IsEmpty());
  EXPECT_THAT(all.conversations(), SizeIs(ids.size()));
}

TEST_F(PagingTest, AConversationsTokenOnlyReadsTheListThatGaveIt) {
  uint64_t customer = 0;
  Conversations(kTenant, 4, &customer);
  uint64_t second_customer = 0;
  {
    // Another customer of the same tenant, with conversations of their own.
    clock_.Advance(absl::Seconds(1));
    const v1::IngestMessageResponse in =
        Ingest(EmailMessage(kTenant, "dan@example.com", "<d0@example.com>", "one"));
    second_customer = in.customer_id();
    SetStatus(kTenant, in.conversation_id(), v1::CONVERSATION_STATUS_CLOSED, "ann");
    Ingest(EmailMessage(kTenant, "dan@example.com", "<d1@example.com>", "two"));
  }
  ASSERT_NE(second_customer, customer);
  uint64_t other_customer = 0;
  Conversations(kOther, 4, &other_customer);
  ASSERT_EQ(other_customer, customer);

  Reply<v1::ListConversationsResponse> first = ConversationsPage(kTenant, customer, 1);
  ASSERT_TRUE(first.ok()) << Describe(first.status);
  const std::string token = first.value.next_page_token();
  ASSERT_THAT(token, Not(IsEmpty()));
  ASSERT_TRUE(ConversationsPage(kTenant, customer, 1, token).ok());

  uint64_t conversation = 0;
  Emails(kTenant, 3, &conversation);
  Reply<v1::GetTimelineResponse> timeline = TimelinePage(kTenant, conversation, 1);
  ASSERT_TRUE(timeline.ok()) << Describe(timeline.status);
  ASSERT_THAT(timeline.value.next_page_token(), Not(IsEmpty()));

  struct Case {
    std::string name;
    std::string tenant;
    uint64_t customer;
    std::string token;
  };
  const Case cases[] = {
      {"forged", kTenant, customer, "not-a-page-token"},
      {"tampered", kTenant, customer, Tampered(token)},
      {"another customer", kTenant, second_customer, token},
      {"another tenant", kOther, other_customer, token},
      {"another list", kTenant, customer, timeline.value.next_page_token()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Reply<v1::ListConversationsResponse> page =
        ConversationsPage(c.tenant, c.customer, 1, c.token);
    EXPECT_EQ(page.status.error_code(), Code::INVALID_ARGUMENT) << Describe(page.status);
    EXPECT_THAT(page.status.error_message(), HasSubstr("page_token"));
  }
  for (int32_t page_size : {-1, kMaxPageSize + 1}) {
    SCOPED_TRACE(page_size);
    Reply<v1::ListConversationsResponse> page = ConversationsPage(kTenant, customer, page_size);
    EXPECT_EQ(page.status.error_code(), Code::INVALID_ARGUMENT) << Describe(page.status);
    EXPECT_THAT(page.status.error_message(), HasSubstr("page_size"));
  }
}

}  // namespace
}  // namespace omniroute::service_test
