// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The history contract of EventStore (omniroute/event_store.h), run over
// every store: timelines in order and paged, every event that moves
// messages, the external-id and thread-key lookups, all-or-nothing appends
// and tenant isolation. Then what only the SQLite store has: damage,
// reopening, and the upgrade of a file written before the history existed.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "omniroute/v1/events.pb.h"
#include "store/crc32c.h"
#include "store/sqlite_event_store_internal.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_test_files.h"
#include "store/store_kinds.h"

namespace omniroute {
namespace {

using ::omniroute::v1::Event;
using testing_internal::ExecSql;
using testing_internal::FlipPayloadByte;
using testing_internal::QueryInt64;
using testing_internal::ScratchDir;
using testing_internal::StoreKind;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using StoredMessage = EventStore::StoredMessage;
using MessageCursor = EventStore::MessageCursor;
using MessageLocation = EventStore::MessageLocation;

constexpr Channel kEmail = v1::CHANNEL_EMAIL;
constexpr Channel kChat = v1::CHANNEL_CHAT;
constexpr Channel kSms = v1::CHANNEL_SMS;

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

// Builds one tenant's log: each call makes the next event.
class LogBuilder {
 public:
  explicit LogBuilder(std::string tenant) : tenant_(std::move(tenant)) {}

  // A MessageRecorded event; the body names the message so reads can be
  // checked by content.
  Event Message(uint64_t id, uint64_t conversation, absl::Time at, Channel channel = kEmail,
                absl::string_view external_id = "", absl::string_view thread_key = "") {
    Event event = Next(at);
    v1::MessageRecorded* m = event.mutable_message_recorded();
    m->set_message_id(id);
    m->set_conversation_id(conversation);
    m->set_channel(channel);
    m->set_direction(v1::DIRECTION_INBOUND);
    m->set_external_id(std::string(external_id));
    m->set_thread_key(std::string(thread_key));
    m->set_body(absl::StrCat("body of message ", id, " in ", tenant_));
    return event;
  }
  Event ConversationsMerged(uint64_t source, uint64_t target, std::vector<uint64_t> ids) {
    Event event = Next(kStart);
    v1::ConversationsMerged* e = event.mutable_conversations_merged();
    e->set_source_conversation_id(source);
    e->set_target_conversation_id(target);
    for (uint64_t id : ids) e->add_message_ids(id);
    return event;
  }
  Event ConversationSplit(uint64_t source, uint64_t target, std::vector<uint64_t> ids) {
    Event event = Next(kStart);
    v1::ConversationSplit* e = event.mutable_conversation_split();
    e->set_source_conversation_id(source);
    e->set_target_conversation_id(target);
    for (uint64_t id : ids) e->add_message_ids(id);
    return event;
  }
  // A customer merge whose threads move (source, target, ids) each.
  struct Thread {
    uint64_t source;
    uint64_t target;
    std::vector<uint64_t> ids;
  };
  Event CustomersMerged(const std::vector<Thread>& threads) {
    Event event = Next(kStart);
    v1::CustomersMerged* e = event.mutable_customers_merged();
    e->set_survivor_id(1);
    e->set_absorbed_id(2);
    for (const Thread& t : threads) {
      v1::ThreadMerge* merge = e->add_thread_merges();
      merge->set_source_conversation_id(t.source);
      merge->set_target_conversation_id(t.target);
      for (uint64_t id : t.ids) merge->add_message_ids(id);
    }
    return event;
  }
  // Undoes CustomersMerged(threads): the same ThreadMerge records.
  Event CustomerUnmerged(const std::vector<Thread>& threads) {
    Event event = Next(kStart);
    v1::CustomerUnmerged* e = event.mutable_customer_unmerged();
    e->set_customer_id(2);
    e->set_from_customer_id(1);
    for (const Thread& t : threads) {
      v1::ThreadMerge* merge = e->add_restored_threads();
      merge->set_source_conversation_id(t.source);
      merge->set_target_conversation_id(t.target);
      for (uint64_t id : t.ids) merge->add_message_ids(id);
    }
    return event;
  }
  // An event that has nothing to do with messages.
  Event Other() {
    Event event = Next(kStart);
    event.mutable_customer_created()->set_customer_id(next_);
    return event;
  }

  // The sequence the next event will get.
  uint64_t next_sequence() const { return next_; }
  // Makes the next event skip `count` sequences (to build a gap).
  void Skip(uint64_t count) { next_ += count; }
  // Forgets the last `count` events (after a refused append).
  void Rewind(uint64_t count) { next_ -= count; }

 private:
  Event Next(absl::Time at) {
    Event event;
    event.set_sequence(next_++);
    event.set_tenant_id(tenant_);
    event.mutable_time()->set_seconds(absl::ToUnixSeconds(at));
    event.mutable_time()->set_nanos(
        static_cast<int32_t>((at - absl::FromUnixSeconds(absl::ToUnixSeconds(at))) /
                             absl::Nanoseconds(1)));
    return event;
  }

  const std::string tenant_;
  uint64_t next_ = 1;
};

absl::Time TimeOf(const StoredMessage& message) {
  return absl::FromUnixSeconds(message.event.time().seconds()) +
         absl::Nanoseconds(message.event.time().nanos());
}

std::vector<uint64_t> Ids(const std::vector<StoredMessage>& messages) {
  std::vector<uint64_t> ids;
  for (const StoredMessage& m : messages) ids.push_back(m.id.value());
  return ids;
}

class MessageHistoryTest : public testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store_ = testing_internal::OpenEmptyStore(GetParam(), dir_);
    ASSERT_NE(store_, nullptr);
  }

  std::string Path() const { return dir_.File("events.db"); }

  void MustAppend(absl::string_view tenant, std::vector<Event> events) {
    absl::Status s = store_->Append(tenant, events);
    ASSERT_TRUE(s.ok()) << s;
  }

  // Every message of the conversation, read in pages of `page`.
  std::vector<StoredMessage> Timeline(absl::string_view tenant, uint64_t conversation,
                                      size_t page = 1000) {
    std::vector<StoredMessage> all;
    std::optional<MessageCursor> after;
    for (;;) {
      absl::StatusOr<std::vector<StoredMessage>> chunk =
          store_->ReadConversationMessages(tenant, ConversationId(conversation), after, page);
      EXPECT_TRUE(chunk.ok()) << chunk.status();
      if (!chunk.ok()) return all;
      EXPECT_LE(chunk->size(), page);
      if (chunk->empty()) return all;
      after = MessageCursor{TimeOf(chunk->back()), chunk->back().id};
      for (StoredMessage& m : *chunk) all.push_back(std::move(m));
      if (all.size() > 10000) {
        ADD_FAILURE() << "the timeline does not end";
        return all;
      }
    }
  }
  std::vector<uint64_t> TimelineIds(absl::string_view tenant, uint64_t conversation,
                                    size_t page = 1000) {
    return Ids(Timeline(tenant, conversation, page));
  }

  // Where the message is now, according to ReadMessage.
  uint64_t ConversationOf(absl::string_view tenant, uint64_t message) {
    absl::StatusOr<StoredMessage> m = store_->ReadMessage(tenant, MessageId(message));
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? m->conversation.value() : 0;
  }

  std::optional<uint64_t> ByExternalId(absl::string_view tenant, Channel channel,
                                       absl::string_view external_id) {
    absl::StatusOr<std::optional<MessageLocation>> found =
        store_->FindMessageByExternalId(tenant, channel, external_id);
    EXPECT_TRUE(found.ok()) << found.status();
    if (!found.ok() || !found->has_value()) return std::nullopt;
    return (*found)->id.value();
  }
  std::optional<uint64_t> ByThreadKey(absl::string_view tenant, Channel channel,
                                      absl::string_view thread_key) {
    absl::StatusOr<std::optional<MessageLocation>> found =
        store_->FindLatestMessageByThreadKey(tenant, channel, thread_key);
    EXPECT_TRUE(found.ok()) << found.status();
    if (!found.ok() || !found->has_value()) return std::nullopt;
    return (*found)->id.value();
  }

  ScratchDir dir_;
  std::unique_ptr<EventStore> store_;
};

INSTANTIATE_TEST_SUITE_P(AllStores, MessageHistoryTest, testing_internal::AllStoreKinds(),
                         testing_internal::StoreKindName);

TEST_P(MessageHistoryTest, ATimelineIsOrderedByRecordedTimeThenById) {
  LogBuilder log("acme");
  // Recorded out of order, two at the same second, one of them a
  // nanosecond apart from a third, and a message of another conversation
  // in between.
  MustAppend("acme", {log.Message(1, 10, kStart + absl::Seconds(3)),
                      log.Message(2, 10, kStart + absl::Seconds(1)),
                      log.Other(),
                      log.Message(3, 20, kStart),
                      log.Message(4, 10, kStart + absl::Seconds(1))});
  MustAppend("acme", {log.Message(6, 10, kStart + absl::Seconds(1)),
                      log.Message(5, 10, kStart + absl::Seconds(1)),
                      log.Message(7, 10, kStart + absl::Seconds(1) - absl::Nanoseconds(1)),
                      log.Message(8, 10, kStart + absl::Seconds(2))});
  // At 1s: 2, 4, 5, 6 by id; 7 a nanosecond before them; 8 at 2s, 1 at 3s.
  EXPECT_THAT(TimelineIds("acme", 10), ElementsAre(7, 2, 4, 5, 6, 8, 1));
  EXPECT_THAT(TimelineIds("acme", 20), ElementsAre(3));
  EXPECT_THAT(TimelineIds("acme", 30), IsEmpty());
  EXPECT_THAT(TimelineIds("globex", 10), IsEmpty());
}

TEST_P(MessageHistoryTest, PagesResumeStrictlyAfterTheCursor) {
  LogBuilder log("acme");
  std::vector<Event> events;
  // Ten messages over five instants, two per instant, ids against time.
  for (uint64_t id = 1; id <= 10; ++id) {
    events.push_back(log.Message(id, 7, kStart + absl::Seconds(static_cast<int64_t>((10 - id) / 2))));
  }
  MustAppend("acme", events);
  // Time (10 - id) / 2: ids 9, 10 at 0s; 7, 8 at 1s; 5, 6; 3, 4; 1, 2 at 4s.
  const std::vector<uint64_t> expected = {9, 10, 7, 8, 5, 6, 3, 4, 1, 2};
  EXPECT_THAT(TimelineIds("acme", 7), ElementsAreArray(expected));
  for (size_t page : {1u, 2u, 3u, 4u, 9u, 10u, 11u}) {
    EXPECT_THAT(TimelineIds("acme", 7, page), ElementsAreArray(expected)) << "page " << page;
  }

  // A cursor between two messages of one instant: strictly after (1s, 7).
  absl::StatusOr<std::vector<StoredMessage>> rest = store_->ReadConversationMessages(
      "acme", ConversationId(7), MessageCursor{kStart + absl::Seconds(1), MessageId(7)}, 3);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_THAT(Ids(*rest), ElementsAre(8, 5, 6));
  // A cursor that is no message: (1s, 0) is before message 7.
  rest = store_->ReadConversationMessages(
      "acme", ConversationId(7), MessageCursor{kStart + absl::Seconds(1), MessageId()}, 2);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_THAT(Ids(*rest), ElementsAre(7, 8));
  // Past the last message, and a limit of 0.
  rest = store_->ReadConversationMessages("acme", ConversationId(7),
                                          MessageCursor{kStart + absl::Seconds(4), MessageId(2)},
                                          5);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_THAT(*rest, IsEmpty());
  rest = store_->ReadConversationMessages("acme", ConversationId(7), std::nullopt, 0);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_THAT(*rest, IsEmpty());
}

// A store may parse every visited message into the same event: what the
// visitor sees must still be each message whole, nothing of the one before
// (message 2 has no external id or thread key after message 1's).
TEST_P(MessageHistoryTest, VisitingGivesEachMessageOfAReadWholeAndStopsWhenAsked) {
  LogBuilder log("acme");
  MustAppend("acme", {log.Message(1, 10, kStart, kChat, "a-long-external-id-of-message-1",
                                  "a-long-thread-key-of-message-1"),
                      log.Message(2, 10, kStart + absl::Seconds(1)), log.Other(),
                      log.Message(3, 20, kStart),
                      log.Message(4, 10, kStart + absl::Seconds(2), kSms, "s-4")});
  absl::StatusOr<std::vector<StoredMessage>> read =
      store_->ReadConversationMessages("acme", ConversationId(10), std::nullopt, 10);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 3u);

  std::vector<StoredMessage> visited;
  absl::Status s = store_->VisitConversationMessages("acme", ConversationId(10), std::nullopt, 10,
                                                     [&](const StoredMessage& m) {
                                                       visited.push_back(m);
                                                       return true;
                                                     });
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(visited.size(), read->size());
  for (size_t i = 0; i < visited.size(); ++i) {
    EXPECT_EQ(visited[i].id, (*read)[i].id);
    EXPECT_EQ(visited[i].conversation, (*read)[i].conversation);
    EXPECT_EQ(visited[i].event.SerializeAsString(), (*read)[i].event.SerializeAsString()) << i;
  }
  EXPECT_EQ(visited[1].event.message_recorded().external_id(), "");
  EXPECT_EQ(visited[1].event.message_recorded().thread_key(), "");
  EXPECT_EQ(visited[1].event.message_recorded().body(), "body of message 2 in acme");

  // From a cursor, and stopped by the visitor after the first.
  std::vector<uint64_t> ids;
  s = store_->VisitConversationMessages("acme", ConversationId(10),
                                        MessageCursor{kStart, MessageId(1)}, 10,
                                        [&](const StoredMessage& m) {
                                          ids.push_back(m.id.value());
                                          return false;
                                        });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(ids, ElementsAre(2));
  // A limit, a limit of 0, an unknown conversation.
  ids.clear();
  auto collect = [&](const StoredMessage& m) {
    ids.push_back(m.id.value());
    return true;
  };
  ASSERT_TRUE(
      store_->VisitConversationMessages("acme", ConversationId(10), std::nullopt, 2, collect).ok());
  EXPECT_THAT(ids, ElementsAre(1, 2));
  ids.clear();
  ASSERT_TRUE(
      store_->VisitConversationMessages("acme", ConversationId(10), std::nullopt, 0, collect).ok());
  ASSERT_TRUE(
      store_->VisitConversationMessages("acme", ConversationId(99), std::nullopt, 9, collect).ok());
  EXPECT_THAT(ids, IsEmpty());
}

TEST_P(MessageHistoryTest, AStoredMessageIsItsEventAsAppended) {
  LogBuilder log("acme");
  const Event first = log.Message(1, 5, kStart + absl::Nanoseconds(123456789), kChat, "c-1", "t");
  const Event other = log.Other();
  const Event second = log.Message(2, 5, kStart + absl::Seconds(1), kSms, "s-2");
  MustAppend("acme", {first, other, second});

  for (const Event& event : {first, second}) {
    const uint64_t id = event.message_recorded().message_id();
    absl::StatusOr<StoredMessage> m = store_->ReadMessage("acme", MessageId(id));
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->id, MessageId(id));
    EXPECT_EQ(m->conversation, ConversationId(5));
    EXPECT_EQ(m->event.SerializeAsString(), event.SerializeAsString());
  }
  std::vector<StoredMessage> timeline = Timeline("acme", 5);
  ASSERT_EQ(timeline.size(), 2u);
  EXPECT_EQ(timeline[0].event.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(timeline[1].event.SerializeAsString(), second.SerializeAsString());

  absl::StatusOr<StoredMessage> missing = store_->ReadMessage("acme", MessageId(3));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_EQ(store_->ReadMessage("globex", MessageId(1)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(MessageHistoryTest, EveryMoveEventMovesTheMessagesAndUnmergeMovesThemBack) {
  LogBuilder log("acme");
  MustAppend("acme", {log.Message(1, 10, kStart, kEmail, "e-1"),
                      log.Message(2, 20, kStart + absl::Seconds(1), kEmail, "e-2"),
                      log.Message(3, 20, kStart + absl::Seconds(2)),
                      log.Message(4, 30, kStart + absl::Seconds(3)),
                      log.Message(5, 40, kStart + absl::Seconds(4)),
                      log.Message(6, 40, kStart + absl::Seconds(5))});

  // A customer merge joins thread 20 into 10 and 40 into 30.
  const std::vector<LogBuilder::Thread> threads = {{20, 10, {2, 3}}, {40, 30, {5, 6}}};
  MustAppend("acme", {log.CustomersMerged(threads)});
  EXPECT_THAT(TimelineIds("acme", 10), ElementsAre(1, 2, 3));
  EXPECT_THAT(TimelineIds("acme", 20), IsEmpty());
  EXPECT_THAT(TimelineIds("acme", 30), ElementsAre(4, 5, 6));
  EXPECT_THAT(TimelineIds("acme", 40), IsEmpty());
  EXPECT_EQ(ConversationOf("acme", 2), 10u);
  absl::StatusOr<std::optional<MessageLocation>> found =
      store_->FindMessageByExternalId("acme", kEmail, "e-2");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->conversation, ConversationId(10));

  // Unmerged: each thread's messages go back where they came from.
  MustAppend("acme", {log.CustomerUnmerged(threads)});
  EXPECT_THAT(TimelineIds("acme", 10), ElementsAre(1));
  EXPECT_THAT(TimelineIds("acme", 20), ElementsAre(2, 3));
  EXPECT_THAT(TimelineIds("acme", 30), ElementsAre(4));
  EXPECT_THAT(TimelineIds("acme", 40), ElementsAre(5, 6));
  found = store_->FindMessageByExternalId("acme", kEmail, "e-2");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->conversation, ConversationId(20));

  // An explicit merge, then a split of part of the merged thread into a new
  // conversation, in one append.
  MustAppend("acme", {log.ConversationsMerged(20, 10, {2, 3}),
                      log.ConversationSplit(10, 50, {1, 3})});
  EXPECT_THAT(TimelineIds("acme", 10), ElementsAre(2));
  EXPECT_THAT(TimelineIds("acme", 20), IsEmpty());
  EXPECT_THAT(TimelineIds("acme", 50), ElementsAre(1, 3));
  EXPECT_EQ(ConversationOf("acme", 1), 50u);
  EXPECT_EQ(ConversationOf("acme", 3), 50u);
  EXPECT_EQ(ConversationOf("acme", 2), 10u);
  for (uint64_t id : {4u, 5u, 6u}) {
    EXPECT_EQ(ConversationOf("acme", id), id == 4 ? 30u : 40u) << id;
  }
}

TEST_P(MessageHistoryTest, AMoveInTheSameAppendAsTheRecordApplies) {
  LogBuilder log("acme");
  MustAppend("acme", {log.Message(1, 10, kStart), log.Message(2, 10, kStart),
                      log.ConversationSplit(10, 11, {2}), log.Message(3, 10, kStart)});
  EXPECT_THAT(TimelineIds("acme", 10), ElementsAre(1, 3));
  EXPECT_THAT(TimelineIds("acme", 11), ElementsAre(2));
}

TEST_P(MessageHistoryTest, UnknownIdsInAMoveAreIgnoredAndTheAppendStands) {
  LogBuilder log("acme");
  MustAppend("acme", {log.Message(1, 10, kStart)});
  MustAppend("acme", {log.ConversationsMerged(10, 20, {1, 99})});
  EXPECT_THAT(TimelineIds("acme", 20), ElementsAre(1));
  EXPECT_EQ(store_->ReadMessage("acme", MessageId(99)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(*store_->LastSequence("acme"), 2u);
}

TEST_P(MessageHistoryTest, ARepeatedMessageIdKeepsItsFirstRecord) {
  LogBuilder log("acme");
  const Event first = log.Message(1, 10, kStart, kEmail, "e-1");
  MustAppend("acme", {first, log.Message(1, 20, kStart, kEmail, "e-1b")});
  EXPECT_EQ(*store_->LastSequence("acme"), 2u);
  absl::StatusOr<StoredMessage> m = store_->ReadMessage("acme", MessageId(1));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->event.SerializeAsString(), first.SerializeAsString());
  EXPECT_THAT(TimelineIds("acme", 20), IsEmpty());
  EXPECT_EQ(ByExternalId("acme", kEmail, "e-1b"), std::nullopt);
}

TEST_P(MessageHistoryTest, FindsAMessageByChannelAndExternalId) {
  LogBuilder log("acme");
  MustAppend("acme", {log.Message(1, 10, kStart, kEmail, "<a@mail>"),
                      log.Message(2, 10, kStart, kChat, "<a@mail>"),
                      log.Message(3, 20, kStart, kEmail, ""),
                      log.Message(4, 20, kStart, kEmail, "<b@mail>")});
  EXPECT_EQ(ByExternalId("acme", kEmail, "<a@mail>"), 1u);
  EXPECT_EQ(ByExternalId("acme", kChat, "<a@mail>"), 2u);  // The channel matters.
  EXPECT_EQ(ByExternalId("acme", kSms, "<a@mail>"), std::nullopt);
  EXPECT_EQ(ByExternalId("acme", kEmail, "<b@mail>"), 4u);
  EXPECT_EQ(ByExternalId("acme", kEmail, "<B@mail>"), std::nullopt);  // Exact match.
  EXPECT_EQ(ByExternalId("acme", kEmail, ""), std::nullopt);  // Never matches message 3.
  EXPECT_EQ(ByExternalId("globex", kEmail, "<a@mail>"), std::nullopt);

  absl::StatusOr<std::optional<MessageLocation>> found =
      store_->FindMessageByExternalId("acme", kEmail, "<b@mail>");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->conversation, ConversationId(20));
}

TEST_P(MessageHistoryTest, FindsTheLatestMessageOfAThreadKey) {
  LogBuilder log("acme");
  // The highest id wins, whatever the order of the records and their times.
  MustAppend("acme", {log.Message(2, 10, kStart + absl::Seconds(5), kChat, "", "dm-1"),
                      log.Message(5, 10, kStart, kChat, "", "dm-1"),
                      log.Message(3, 10, kStart + absl::Seconds(9), kChat, "", "dm-1"),
                      log.Message(4, 20, kStart, kSms, "", "dm-1"),
                      log.Message(6, 30, kStart, kChat, "", "")});
  EXPECT_EQ(ByThreadKey("acme", kChat, "dm-1"), 5u);
  EXPECT_EQ(ByThreadKey("acme", kSms, "dm-1"), 4u);  // The channel matters.
  EXPECT_EQ(ByThreadKey("acme", kEmail, "dm-1"), std::nullopt);
  EXPECT_EQ(ByThreadKey("acme", kChat, ""), std::nullopt);  // Never matches message 6.
  EXPECT_EQ(ByThreadKey("acme", kChat, "dm-2"), std::nullopt);
  EXPECT_EQ(ByThreadKey("globex", kChat, "dm-1"), std::nullopt);

  // A later message takes over; a move changes where the key leads.
  MustAppend("acme", {log.Message(7, 40, kStart, kChat, "", "dm-1")});
  EXPECT_EQ(ByThreadKey("acme", kChat, "dm-1"), 7u);
  MustAppend("acme", {log.ConversationsMerged(40, 10, {7})});
  absl::StatusOr<std::optional<MessageLocation>> found =
      store_->FindLatestMessageByThreadKey("acme", kChat, "dm-1");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->id, MessageId(7));
  EXPECT_EQ((*found)->conversation, ConversationId(10));
}

TEST_P(MessageHistoryTest, ARefusedAppendLeavesNoHistory) {
  LogBuilder log("acme");
  MustAppend("acme", {log.Message(1, 10, kStart, kEmail, "e-1", "k")});

  // A gap: the batch is contiguous but does not continue the log.
  log.Skip(1);
  std::vector<Event> gap = {log.Message(2, 10, kStart, kEmail, "e-2", "k"),
                            log.ConversationSplit(10, 20, {1})};
  EXPECT_EQ(store_->Append("acme", gap).code(), absl::StatusCode::kFailedPrecondition);
  log.Rewind(3);
  // An overlap: starts at the stored event 1.
  LogBuilder overlap("acme");
  std::vector<Event> again = {overlap.Message(3, 30, kStart, kEmail, "e-3", "k"),
                              overlap.Message(4, 30, kStart)};
  EXPECT_EQ(store_->Append("acme", again).code(), absl::StatusCode::kFailedPrecondition);

  for (uint64_t id : {2u, 3u, 4u}) {
    EXPECT_EQ(store_->ReadMessage("acme", MessageId(id)).status().code(),
              absl::StatusCode::kNotFound)
        << id;
  }
  EXPECT_THAT(TimelineIds("acme", 10), ElementsAre(1));  // Not split away.
  EXPECT_THAT(TimelineIds("acme", 20), IsEmpty());
  EXPECT_THAT(TimelineIds("acme", 30), IsEmpty());
  EXPECT_EQ(ByExternalId("acme", kEmail, "e-2"), std::nullopt);
  EXPECT_EQ(ByExternalId("acme", kEmail, "e-3"), std::nullopt);
  EXPECT_EQ(ByThreadKey("acme", kEmail, "k"), 1u);

  // The log continues as if nothing happened.
  MustAppend("acme", {log.Message(2, 10, kStart, kEmail, "e-2", "k")});
  EXPECT_EQ(ByThreadKey("acme", kEmail, "k"), 2u);
}

TEST_P(MessageHistoryTest, TenantsHaveTheirOwnHistory) {
  LogBuilder acme("acme");
  LogBuilder globex("globex");
  // The same ids and keys in both tenants, in different conversations.
  MustAppend("acme", {acme.Message(1, 10, kStart, kEmail, "x", "k"),
                      acme.Message(2, 10, kStart, kEmail, "y", "k")});
  MustAppend("globex", {globex.Message(1, 20, kStart, kEmail, "x", "k")});
  MustAppend("globex", {globex.ConversationsMerged(20, 10, {1, 2})});

  EXPECT_THAT(TimelineIds("acme", 10), ElementsAre(1, 2));
  EXPECT_THAT(TimelineIds("globex", 10), ElementsAre(1));
  EXPECT_THAT(TimelineIds("globex", 20), IsEmpty());
  EXPECT_EQ(ByThreadKey("acme", kEmail, "k"), 2u);
  EXPECT_EQ(ByThreadKey("globex", kEmail, "k"), 1u);
  EXPECT_EQ(ByExternalId("globex", kEmail, "y"), std::nullopt);
  absl::StatusOr<StoredMessage> m = store_->ReadMessage("globex", MessageId(1));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->event.tenant_id(), "globex");
  EXPECT_EQ(store_->ReadMessage("globex", MessageId(2)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(MessageHistoryTest, ConcurrentAppendersToManyTenantsKeepEveryMessage) {
  constexpr int kTenants = 4;
  constexpr uint64_t kBatches = 20;
  std::vector<std::thread> threads;
  for (int t = 0; t < kTenants; ++t) {
    threads.emplace_back([this, t] {
      const std::string tenant = absl::StrCat("tenant-", t);
      LogBuilder log(tenant);
      for (uint64_t b = 0; b < kBatches; ++b) {
        std::vector<Event> batch = {log.Message(2 * b + 1, 1, kStart + absl::Seconds(b)),
                                    log.Message(2 * b + 2, 2, kStart + absl::Seconds(b))};
        EXPECT_TRUE(store_->Append(tenant, batch).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<uint64_t> odd;
  std::vector<uint64_t> even;
  for (uint64_t b = 0; b < kBatches; ++b) {
    odd.push_back(2 * b + 1);
    even.push_back(2 * b + 2);
  }
  for (int t = 0; t < kTenants; ++t) {
    const std::string tenant = absl::StrCat("tenant-", t);
    EXPECT_THAT(TimelineIds(tenant, 1, 7), ElementsAreArray(odd)) << tenant;
    EXPECT_THAT(TimelineIds(tenant, 2, 7), ElementsAreArray(even)) << tenant;
  }
}

// ------------------------------------------------------------ SQLite only

SqliteStoreOptions OptionsAt(const std::string& path) {
  SqliteStoreOptions options;
  options.path = path;
  options.durability = Durability::kNoSync;
  return options;
}

std::unique_ptr<store::SqliteEventStore> MustOpen(const SqliteStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<store::SqliteEventStore>> store =
      store::SqliteEventStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

class SqliteMessageHistoryTest : public testing::Test {
 protected:
  std::string Path() const { return dir_.File("events.db"); }
  ScratchDir dir_;
};

TEST_F(SqliteMessageHistoryTest, TheHistorySurvivesAReopen) {
  LogBuilder log("acme");
  {
    std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store
                    ->Append("acme", {log.Message(1, 10, kStart, kEmail, "e-1", "k"),
                                      log.Message(2, 20, kStart, kEmail, "e-2", "k"),
                                      log.ConversationsMerged(20, 10, {2})})
                    .ok());
  }
  std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::vector<StoredMessage>> timeline =
      store->ReadConversationMessages("acme", ConversationId(10), std::nullopt, 10);
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  EXPECT_THAT(Ids(*timeline), ElementsAre(1, 2));
  absl::StatusOr<std::optional<MessageLocation>> found =
      store->FindMessageByExternalId("acme", kEmail, "e-2");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->conversation, ConversationId(10));
  found = store->FindLatestMessageByThreadKey("acme", kEmail, "k");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
  EXPECT_EQ((*found)->id, MessageId(2));
  // And it goes on from there.
  ASSERT_TRUE(store->Append("acme", {log.ConversationSplit(10, 30, {1})}).ok());
  timeline = store->ReadConversationMessages("acme", ConversationId(30), std::nullopt, 10);
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  EXPECT_THAT(Ids(*timeline), ElementsAre(1));
}

TEST_F(SqliteMessageHistoryTest, ADamagedRecordIsDataLossNamingTenantAndSequence) {
  std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  LogBuilder log("acme");
  std::vector<Event> events = {log.Message(1, 10, kStart), log.Message(2, 10, kStart),
                               log.Message(3, 10, kStart)};
  ASSERT_TRUE(store->Append("acme", events).ok());
  FlipPayloadByte(Path(), "acme", 2);

  absl::StatusOr<std::vector<StoredMessage>> timeline =
      store->ReadConversationMessages("acme", ConversationId(10), std::nullopt, 10);
  EXPECT_EQ(timeline.status().code(), absl::StatusCode::kDataLoss) << timeline.status();
  EXPECT_THAT(std::string(timeline.status().message()),
              AllOf(HasSubstr("acme"), HasSubstr("sequence 2"), HasSubstr("checksum")));
  absl::StatusOr<StoredMessage> message = store->ReadMessage("acme", MessageId(2));
  EXPECT_EQ(message.status().code(), absl::StatusCode::kDataLoss) << message.status();
  EXPECT_THAT(std::string(message.status().message()),
              AllOf(HasSubstr("acme"), HasSubstr("sequence 2")));
  // Visited, the sound message before it is seen, then the same error.
  std::vector<uint64_t> visited;
  absl::Status visit = store->VisitConversationMessages("acme", ConversationId(10), std::nullopt,
                                                        10, [&](const StoredMessage& m) {
                                                          visited.push_back(m.id.value());
                                                          return true;
                                                        });
  EXPECT_EQ(visit.code(), absl::StatusCode::kDataLoss) << visit;
  EXPECT_THAT(std::string(visit.message()), AllOf(HasSubstr("acme"), HasSubstr("sequence 2")));
  EXPECT_THAT(visited, ElementsAre(1));
  // The sound messages are still served.
  EXPECT_TRUE(store->ReadMessage("acme", MessageId(3)).ok());
  timeline = store->ReadConversationMessages(
      "acme", ConversationId(10), MessageCursor{kStart, MessageId(2)}, 10);
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  EXPECT_THAT(Ids(*timeline), ElementsAre(3));
}

TEST_F(SqliteMessageHistoryTest, AnIndexedMessageWithoutItsEventIsDataLoss) {
  std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  LogBuilder log("acme");
  ASSERT_TRUE(store->Append("acme", {log.Message(1, 10, kStart), log.Message(2, 10, kStart)}).ok());
  ExecSql(Path(), "DELETE FROM events WHERE tenant = 'acme' AND sequence = 2");
  absl::StatusOr<StoredMessage> message = store->ReadMessage("acme", MessageId(2));
  EXPECT_EQ(message.status().code(), absl::StatusCode::kDataLoss) << message.status();
  EXPECT_THAT(std::string(message.status().message()),
              AllOf(HasSubstr("acme"), HasSubstr("sequence 2"), HasSubstr("missing")));
  // A row that points at another message's event.
  ExecSql(Path(), "UPDATE messages SET sequence = 1 WHERE tenant = 'acme' AND message_id = 2");
  message = store->ReadMessage("acme", MessageId(2));
  EXPECT_EQ(message.status().code(), absl::StatusCode::kDataLoss) << message.status();
  EXPECT_THAT(std::string(message.status().message()),
              AllOf(HasSubstr("acme"), HasSubstr("sequence 1"), HasSubstr("message 2")));
}

TEST_F(SqliteMessageHistoryTest, AFailedWriteInAGroupLeavesNoRowsAndTheOthersKeepTheirs) {
  std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  // Three writes in one commit: the middle one does not continue its log.
  store->HoldNextLeaderForTesting(3);
  LogBuilder good_a("a");
  LogBuilder bad("b");
  LogBuilder good_c("c");
  bad.Skip(1);
  const std::vector<Event> a = {good_a.Message(1, 10, kStart, kEmail, "x")};
  const std::vector<Event> b = {bad.Message(1, 10, kStart, kEmail, "x")};
  const std::vector<Event> c = {good_c.Message(1, 10, kStart, kEmail, "x")};
  absl::Status status_a;
  absl::Status status_b;
  absl::Status status_c;
  std::thread ta([&] { status_a = store->Append("a", a); });
  std::thread tb([&] { status_b = store->Append("b", b); });
  std::thread tc([&] { status_c = store->Append("c", c); });
  ta.join();
  tb.join();
  tc.join();
  EXPECT_TRUE(status_a.ok()) << status_a;
  EXPECT_EQ(status_b.code(), absl::StatusCode::kFailedPrecondition) << status_b;
  EXPECT_TRUE(status_c.ok()) << status_c;
  EXPECT_EQ(store->Stats().commits, 1);
  EXPECT_TRUE(store->ReadMessage("a", MessageId(1)).ok());
  EXPECT_EQ(store->ReadMessage("b", MessageId(1)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->ReadMessage("c", MessageId(1)).ok());
}

// --------------------------------------------------- upgrade of version 1

// The schema of version 1, as omniroute wrote it before the history.
constexpr char kVersion1Schema[] = R"sql(
PRAGMA journal_mode = WAL;
CREATE TABLE events (
  tenant TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  payload BLOB NOT NULL,
  crc INTEGER NOT NULL,
  PRIMARY KEY (tenant, sequence)
) WITHOUT ROWID;
CREATE TABLE snapshots (
  tenant TEXT NOT NULL PRIMARY KEY,
  sequence INTEGER NOT NULL,
  state BLOB NOT NULL,
  crc INTEGER NOT NULL
);
PRAGMA application_id = 1332564596;
PRAGMA user_version = 1;
)sql";

// Writes a genuine version-1 store at `path` holding `logs` (tenant, events).
void WriteVersion1Store(const std::string& path,
                        const std::vector<std::pair<std::string, std::vector<Event>>>& logs) {
  ASSERT_EQ(store::kSqliteApplicationId, 1332564596);  // What kVersion1Schema says.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, kVersion1Schema, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_stmt* insert = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(
                db, "INSERT INTO events (tenant, sequence, payload, crc) VALUES (?1, ?2, ?3, ?4)",
                -1, &insert, nullptr),
            SQLITE_OK);
  for (const auto& [tenant, events] : logs) {
    for (const Event& event : events) {
      const std::string payload = event.SerializeAsString();
      sqlite3_bind_text(insert, 1, tenant.data(), static_cast<int>(tenant.size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_int64(insert, 2, static_cast<int64_t>(event.sequence()));
      sqlite3_bind_blob(insert, 3, payload.data(), static_cast<int>(payload.size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_int64(insert, 4, store::Crc32c(payload));
      EXPECT_EQ(sqlite3_step(insert), SQLITE_DONE) << sqlite3_errmsg(db);
      sqlite3_reset(insert);
    }
  }
  sqlite3_finalize(insert);
  sqlite3_close_v2(db);
}

int64_t UserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr), SQLITE_OK);
  int64_t version = -1;
  if (sqlite3_step(statement) == SQLITE_ROW) version = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close_v2(db);
  return version;
}

class SqliteUpgradeTest : public SqliteMessageHistoryTest {
 protected:
  // acme: messages, a customer merge, its unmerge, a conversation merge and
  // a split; globex: one message with acme's ids.
  void WriteStory() {
    LogBuilder acme("acme");
    const std::vector<LogBuilder::Thread> threads = {{20, 10, {3}}};
    acme_ = {acme.Other(),
             acme.Message(1, 10, kStart + absl::Seconds(2), kEmail, "e-1", "k"),
             acme.Message(2, 10, kStart + absl::Seconds(1), kEmail, "e-2", "k"),
             acme.Message(3, 20, kStart, kChat, "c-3", "k"),
             acme.CustomersMerged(threads),
             acme.CustomerUnmerged(threads),
             acme.ConversationsMerged(20, 10, {3}),
             acme.ConversationSplit(10, 30, {1})};
    LogBuilder globex("globex");
    globex_ = {globex.Message(1, 99, kStart, kEmail, "e-1", "k")};
    WriteVersion1Store(Path(), {{"acme", acme_}, {"globex", globex_}});
  }

  std::vector<uint64_t> TimelineIds(EventStore& store, absl::string_view tenant,
                                    uint64_t conversation) {
    absl::StatusOr<std::vector<StoredMessage>> timeline =
        store.ReadConversationMessages(tenant, ConversationId(conversation), std::nullopt, 100);
    EXPECT_TRUE(timeline.ok()) << timeline.status();
    return timeline.ok() ? Ids(*timeline) : std::vector<uint64_t>();
  }

  std::vector<Event> acme_;
  std::vector<Event> globex_;
};

TEST_F(SqliteUpgradeTest, AWritableOpenUpgradesAVersion1StoreWithItsHistory) {
  WriteStory();
  ASSERT_EQ(UserVersion(Path()), 1);
  {
    std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
    ASSERT_NE(store, nullptr);
    // Message 3 went to 10, back to 20, and to 10 again; 1 was split to 30.
    // In 10: 3 at 0s, 2 at 1s.
    EXPECT_THAT(TimelineIds(*store, "acme", 10), ElementsAre(3, 2));
    EXPECT_THAT(TimelineIds(*store, "acme", 20), IsEmpty());
    EXPECT_THAT(TimelineIds(*store, "acme", 30), ElementsAre(1));
    EXPECT_THAT(TimelineIds(*store, "globex", 99), ElementsAre(1));
    absl::StatusOr<StoredMessage> m = store->ReadMessage("acme", MessageId(2));
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->event.SerializeAsString(), acme_[2].SerializeAsString());
    absl::StatusOr<std::optional<MessageLocation>> found =
        store->FindMessageByExternalId("acme", kChat, "c-3");
    ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
    EXPECT_EQ((*found)->conversation, ConversationId(10));
    found = store->FindLatestMessageByThreadKey("acme", kEmail, "k");
    ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
    EXPECT_EQ((*found)->id, MessageId(2));

    // New appends are indexed as usual.
    LogBuilder log("acme");
    log.Skip(acme_.size());
    ASSERT_TRUE(store->Append("acme", {log.Message(4, 30, kStart, kEmail, "e-4", "k")}).ok());
    EXPECT_THAT(TimelineIds(*store, "acme", 30), ElementsAre(4, 1));
  }
  EXPECT_EQ(UserVersion(Path()), store::kSqliteSchemaVersion);
  // A second open finds nothing to upgrade and the same history.
  std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(TimelineIds(*store, "acme", 30), ElementsAre(4, 1));
  EXPECT_THAT(TimelineIds(*store, "acme", 10), ElementsAre(3, 2));
}

TEST_F(SqliteUpgradeTest, AReadOnlyOpenReadsTheEventsOfAVersion1StoreAndLeavesItAlone) {
  WriteStory();
  SqliteStoreOptions options = OptionsAt(Path());
  options.read_only = true;
  {
    std::unique_ptr<store::SqliteEventStore> store = MustOpen(options);
    ASSERT_NE(store, nullptr);
    std::vector<uint64_t> sequences;
    ASSERT_TRUE(store
                    ->Read("acme", 1,
                           [&](const Event& e) {
                             sequences.push_back(e.sequence());
                             return true;
                           })
                    .ok());
    EXPECT_EQ(sequences.size(), acme_.size());
    absl::StatusOr<StoredMessage> m = store->ReadMessage("acme", MessageId(1));
    EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition) << m.status();
    EXPECT_THAT(std::string(m.status().message()),
                AllOf(HasSubstr(Path()), HasSubstr("writable"), HasSubstr("version 1")));
    EXPECT_EQ(store->ReadConversationMessages("acme", ConversationId(10), std::nullopt, 5)
                  .status()
                  .code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(store->FindMessageByExternalId("acme", kEmail, "e-1").status().code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(store->FindLatestMessageByThreadKey("acme", kEmail, "k").status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(UserVersion(Path()), 1);
}

TEST_F(SqliteUpgradeTest, ADamagedEventFailsTheUpgradeAndLeavesTheFileAtVersion1) {
  WriteStory();
  FlipPayloadByte(Path(), "acme", 3);
  absl::Status s = store::SqliteEventStore::Open(OptionsAt(Path())).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr(Path()), HasSubstr("acme"), HasSubstr("sequence 3")));
  EXPECT_EQ(UserVersion(Path()), 1);
  // Nothing half-done: once repaired (here: the event rewritten whole), the
  // upgrade runs.
  const std::string payload = acme_[2].SerializeAsString();
  ExecSql(Path(), absl::StrCat("UPDATE events SET payload = x'",
                               absl::BytesToHexString(payload), "', crc = ",
                               store::Crc32c(payload),
                               " WHERE tenant = 'acme' AND sequence = 3"));
  std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(TimelineIds(*store, "acme", 10), ElementsAre(3, 2));
}

// Version 6 put `sequence` in messages_by_conversation (a page joins each
// message's event from the index alone). A version-5 store has the index
// without it: read-only it is read as it is, writable it gets the new one.
TEST_F(SqliteUpgradeTest, AVersion5StoreGetsTheConversationIndexWithTheSequence) {
  const std::string kSequenceInIndex =
      "SELECT count(*) FROM pragma_index_info('messages_by_conversation') "
      "WHERE name = 'sequence'";
  WriteStory();
  ASSERT_NE(MustOpen(OptionsAt(Path())), nullptr);
  ASSERT_EQ(UserVersion(Path()), store::kSqliteSchemaVersion);
  EXPECT_EQ(QueryInt64(Path(), kSequenceInIndex), 1);
  // What version 5 had.
  ExecSql(Path(),
          "DROP INDEX messages_by_conversation; "
          "CREATE INDEX messages_by_conversation "
          "ON messages (tenant, conversation_id, recorded_at, message_id); "
          "PRAGMA user_version = 5");
  ASSERT_EQ(QueryInt64(Path(), kSequenceInIndex), 0);
  {
    SqliteStoreOptions options = OptionsAt(Path());
    options.read_only = true;
    std::unique_ptr<store::SqliteEventStore> store = MustOpen(options);
    ASSERT_NE(store, nullptr);
    EXPECT_THAT(TimelineIds(*store, "acme", 10), ElementsAre(3, 2));
    EXPECT_THAT(TimelineIds(*store, "acme", 30), ElementsAre(1));
  }
  EXPECT_EQ(UserVersion(Path()), 5);
  EXPECT_EQ(QueryInt64(Path(), kSequenceInIndex), 0);

  std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(UserVersion(Path()), store::kSqliteSchemaVersion);
  EXPECT_EQ(QueryInt64(Path(), kSequenceInIndex), 1);
  EXPECT_EQ(
      QueryInt64(Path(), "SELECT count(*) FROM pragma_index_info('messages_by_conversation')"), 5);
  EXPECT_THAT(TimelineIds(*store, "acme", 10), ElementsAre(3, 2));
  EXPECT_THAT(TimelineIds(*store, "acme", 30), ElementsAre(1));
  EXPECT_THAT(TimelineIds(*store, "globex", 99), ElementsAre(1));
  // Paged from a cursor, through the new index.
  absl::StatusOr<std::vector<StoredMessage>> after = store->ReadConversationMessages(
      "acme", ConversationId(10), EventStore::MessageCursor{kStart, MessageId(3)}, 100);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_THAT(Ids(*after), ElementsAre(2));
}

}  // namespace
}  // namespace omniroute
