// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The archive of EventStore (omniroute/event_store.h, "archive"), run over
// every store: FindArchive finds the ConversationArchived event of each
// conversation, merged conversation, task and commitment it archived, by
// kind and tenant; ListArchivedConversations lists a customer's archived
// conversations by id, in pages; the index is visible exactly when its event
// is; a redaction of an archived customer leaves nothing of theirs in the
// archive. Then what only the SQLite store has: a failure inside the
// transaction, reopening, damage, and the upgrade of a version-2 file.

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/arena.h"
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
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_internal::ExecSql;
using testing_internal::FlipPayloadByte;
using testing_internal::QueryInt64;
using testing_internal::ScratchDir;
using testing_internal::StoreKind;

using Kind = EventStore::ArchivedKind;

constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr uint64_t kUint64Max = std::numeric_limits<uint64_t>::max();

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

// What one ConversationArchived event archives.
struct ArchiveSpec {
  uint64_t conversation = 0;
  uint64_t customer = 0;
  // The conversations merged into it: (id, the customer it was opened for).
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  std::vector<uint64_t> tasks;
  std::vector<uint64_t> commitments;
  // Its messages' records: (message id, conversation), each with
  // `fingerprint` as its sender's.
  std::vector<std::pair<uint64_t, uint64_t>> messages;
  uint64_t fingerprint = 0;
};

// Builds one tenant's log: each call makes the next event.
class LogBuilder {
 public:
  explicit LogBuilder(std::string tenant) : tenant_(std::move(tenant)) {}

  Event Archived(const ArchiveSpec& spec) {
    Event event = Next();
    v1::ConversationArchived* e = event.mutable_conversation_archived();
    e->set_conversation_id(spec.conversation);
    v1::ConversationArchive* archive = e->mutable_archive();
    auto add_conversation = [&](uint64_t id, uint64_t customer, uint64_t merged_into) {
      v1::ConversationRecord* c = archive->add_conversations();
      c->set_id(id);
      c->set_customer_id(customer);
      c->set_status(merged_into == 0 ? v1::CONVERSATION_STATUS_CLOSED
                                     : v1::CONVERSATION_STATUS_MERGED);
      c->set_merged_into(merged_into);
      c->set_channel(v1::CHANNEL_EMAIL);
      *c->mutable_closed_at() = event.time();
    };
    add_conversation(spec.conversation, spec.customer, 0);
    for (const auto& [id, customer] : spec.merged)
      add_conversation(id, customer, spec.conversation);
    for (const auto& [id, conversation] : spec.messages) {
      v1::MessageRecord* m = archive->add_messages();
      m->set_id(id);
      m->set_conversation_id(conversation);
      m->set_channel(v1::CHANNEL_EMAIL);
      m->set_direction(v1::DIRECTION_INBOUND);
      m->set_sender_fingerprint(spec.fingerprint);
      *m->mutable_recorded_at() = event.time();
    }
    v1::ConversationRoutingRecord* routing = archive->mutable_routing();
    routing->set_conversation_id(spec.conversation);
    for (uint64_t id : spec.tasks) {
      routing->add_task_ids(id);
      v1::TaskRecord* t = archive->add_tasks();
      t->set_id(id);
      t->set_conversation_id(spec.conversation);
      t->set_queue_id("support");
      t->set_status(v1::TASK_STATUS_COMPLETED);
    }
    for (uint64_t id : spec.commitments) {
      routing->add_commitment_ids(id);
      v1::CommitmentRecordProto* c = archive->add_commitments();
      c->set_id(id);
      c->set_conversation_id(spec.conversation);
      c->set_status(v1::COMMITMENT_STATUS_FULFILLED);
    }
    *archive->mutable_closed_at() = event.time();
    return event;
  }
  Event CustomerCreated(uint64_t customer, const std::string& display_name) {
    Event event = Next();
    v1::CustomerCreated* e = event.mutable_customer_created();
    e->set_customer_id(customer);
    e->set_display_name(display_name);
    e->set_language("fr");
    return event;
  }
  Event IdentityLinked(uint64_t customer, const v1::Identity& identity) {
    Event event = Next();
    event.mutable_identity_linked()->set_customer_id(customer);
    *event.mutable_identity_linked()->mutable_identity() = identity;
    return event;
  }
  Event Opened(uint64_t conversation, uint64_t customer) {
    Event event = Next();
    v1::ConversationOpened* e = event.mutable_conversation_opened();
    e->set_conversation_id(conversation);
    e->set_customer_id(customer);
    e->set_channel(v1::CHANNEL_EMAIL);
    return event;
  }
  Event Message(uint64_t id, uint64_t conversation, const std::string& body,
                const v1::Identity& sender, const std::string& external_id = "",
                const std::string& thread_key = "") {
    Event event = Next();
    v1::MessageRecorded* m = event.mutable_message_recorded();
    m->set_message_id(id);
    m->set_conversation_id(conversation);
    m->set_channel(v1::CHANNEL_EMAIL);
    m->set_direction(v1::DIRECTION_INBOUND);
    m->set_body(body);
    *m->mutable_sender() = sender;
    m->set_external_id(external_id);
    m->set_thread_key(thread_key);
    return event;
  }
  Event ConversationsMerged(uint64_t source, uint64_t target, std::vector<uint64_t> ids) {
    Event event = Next();
    v1::ConversationsMerged* e = event.mutable_conversations_merged();
    e->set_source_conversation_id(source);
    e->set_target_conversation_id(target);
    for (uint64_t id : ids) e->add_message_ids(id);
    return event;
  }
  Event Closed(uint64_t conversation) {
    Event event = Next();
    v1::ConversationStatusChanged* e = event.mutable_conversation_status_changed();
    e->set_conversation_id(conversation);
    e->set_from_status(v1::CONVERSATION_STATUS_RESOLVED);
    e->set_to_status(v1::CONVERSATION_STATUS_CLOSED);
    return event;
  }
  Event CustomerErased(uint64_t customer, std::vector<uint64_t> conversations) {
    Event event = Next();
    v1::CustomerErased* e = event.mutable_customer_erased();
    e->set_customer_id(customer);
    for (uint64_t id : conversations) e->add_conversation_ids(id);
    return event;
  }
  // An event that has nothing to do with the archive.
  Event Other() {
    Event event = Next();
    event.mutable_tenant_configured();
    return event;
  }

  uint64_t next_sequence() const { return next_; }
  void Skip(uint64_t count) { next_ += count; }
  void Rewind(uint64_t count) { next_ -= count; }

 private:
  Event Next() {
    Event event;
    event.set_sequence(next_);
    event.set_tenant_id(tenant_);
    event.mutable_time()->set_seconds(absl::ToUnixSeconds(kStart) + static_cast<int64_t>(next_));
    ++next_;
    return event;
  }

  const std::string tenant_;
  uint64_t next_ = 1;
};

// An item FindArchive must find, and the event it must return.
struct Archived {
  Kind kind;
  uint64_t id;
  Event event;
};

// Every item that `specs` archive, with its event (events[i] archives
// specs[i]).
std::vector<Archived> ItemsOf(const std::vector<ArchiveSpec>& specs,
                              const std::vector<Event>& events) {
  std::vector<Archived> items;
  for (size_t i = 0; i < specs.size(); ++i) {
    items.push_back({Kind::kConversation, specs[i].conversation, events[i]});
    for (const auto& [id, customer] : specs[i].merged) {
      items.push_back({Kind::kConversation, id, events[i]});
    }
    for (uint64_t id : specs[i].tasks) items.push_back({Kind::kTask, id, events[i]});
    for (uint64_t id : specs[i].commitments) items.push_back({Kind::kCommitment, id, events[i]});
  }
  return items;
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kConversation:
      return "conversation";
    case Kind::kTask:
      return "task";
    case Kind::kCommitment:
      return "commitment";
  }
  return "?";
}

// FindArchive's answer, expected to be OK.
std::optional<Event> Find(const EventStore& store, absl::string_view tenant, Kind kind,
                          uint64_t id) {
  absl::StatusOr<std::optional<Event>> found = store.FindArchive(tenant, kind, id);
  EXPECT_TRUE(found.ok()) << tenant << " " << KindName(kind) << " " << id << ": " << found.status();
  return found.ok() ? *found : std::nullopt;
}

// Expects FindArchive to return `want` byte for byte.
void ExpectFinds(const EventStore& store, absl::string_view tenant, Kind kind, uint64_t id,
                 const Event& want) {
  std::optional<Event> found = Find(store, tenant, kind, id);
  ASSERT_TRUE(found.has_value()) << tenant << " " << KindName(kind) << " " << id
                                 << " not found; archived by event " << want.sequence();
  EXPECT_EQ(found->sequence(), want.sequence()) << tenant << " " << KindName(kind) << " " << id;
  EXPECT_TRUE(found->SerializeAsString() == want.SerializeAsString())
      << tenant << " " << KindName(kind) << " " << id << ": not the event as appended";
  // The same, parsed into an event on an arena.
  google::protobuf::Arena arena;
  Event* into = google::protobuf::Arena::CreateMessage<Event>(&arena);
  absl::StatusOr<bool> parsed = store.FindArchiveInto(tenant, kind, id, *into);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(*parsed) << tenant << " " << KindName(kind) << " " << id;
  EXPECT_TRUE(into->SerializeAsString() == want.SerializeAsString())
      << tenant << " " << KindName(kind) << " " << id << ": FindArchiveInto differs";
}

void ExpectFindsNothing(const EventStore& store, absl::string_view tenant, Kind kind, uint64_t id) {
  std::optional<Event> found = Find(store, tenant, kind, id);
  EXPECT_FALSE(found.has_value()) << tenant << " " << KindName(kind) << " " << id
                                  << " found in event " << found->sequence();
  // FindArchiveInto says no and leaves the event alone.
  Event into;
  into.set_sequence(77);
  absl::StatusOr<bool> parsed = store.FindArchiveInto(tenant, kind, id, into);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(*parsed) << tenant << " " << KindName(kind) << " " << id;
  EXPECT_EQ(into.sequence(), 77u);
}

std::vector<uint64_t> List(const EventStore& store, absl::string_view tenant,
                           std::vector<uint64_t> customers, uint64_t after, size_t limit) {
  std::vector<CustomerId> ids;
  for (uint64_t c : customers) ids.push_back(CustomerId(c));
  absl::StatusOr<std::vector<ConversationId>> listed =
      store.ListArchivedConversations(tenant, ids, ConversationId(after), limit);
  EXPECT_TRUE(listed.ok()) << listed.status();
  std::vector<uint64_t> out;
  if (listed.ok()) {
    for (ConversationId id : *listed) out.push_back(id.value());
  }
  return out;
}

// Every archived conversation of `customers`, walked in pages of `page`
// until an empty page: each page must be full but the last.
std::vector<uint64_t> ListAll(const EventStore& store, absl::string_view tenant,
                              const std::vector<uint64_t>& customers, size_t page) {
  std::vector<uint64_t> all;
  uint64_t after = 0;
  for (int pages = 0; pages < 1000; ++pages) {
    std::vector<uint64_t> chunk = List(store, tenant, customers, after, page);
    if (chunk.empty()) return all;
    EXPECT_LE(chunk.size(), page);
    if (chunk.size() < page) {
      // A short page must be the last one.
      EXPECT_THAT(List(store, tenant, customers, chunk.back(), page), IsEmpty())
          << "after a short page ending at " << chunk.back();
    }
    after = chunk.back();
    all.insert(all.end(), chunk.begin(), chunk.end());
  }
  ADD_FAILURE() << "the listing does not end";
  return all;
}

// ------------------------------------------------------------ the story

// acme's archives, in the order they are appended (not by id). Customer 1:
// 10 (with 11 and 12 merged into it; 12 was opened for customer 3), 30, 35,
// 50 and 60 (with 13 of customer 2 merged into it); customer 2: 20, 25;
// customer 3: 45. Conversations 10 to 60, tasks 100 to 104 and commitments
// 200 to 202: no id is used by two kinds.
std::vector<ArchiveSpec> AcmeArchives() {
  return {
      {.conversation = 50, .customer = 1, .tasks = {104}},
      {.conversation = 10,
       .customer = 1,
       .merged = {{11, 1}, {12, 3}},
       .tasks = {100, 101},
       .commitments = {200},
       .messages = {{1, 10}, {2, 11}}},
      {.conversation = 20, .customer = 2, .tasks = {102}},
      {.conversation = 30, .customer = 1, .commitments = {201, 202}},
      {.conversation = 45, .customer = 3, .tasks = {103}},
      {.conversation = 35, .customer = 1},
      {.conversation = 25, .customer = 2},
      {.conversation = 60, .customer = 1, .merged = {{13, 2}}},
  };
}

// globex reuses acme's ids for other things.
ArchiveSpec GlobexArchive() {
  return {.conversation = 10, .customer = 1, .tasks = {900}, .commitments = {901}};
}

// The story in a store: acme's archives over three appends among other
// events (conversation 40 of customer 1 is opened and never archived), and
// globex's one archive.
struct Story {
  std::vector<ArchiveSpec> acme_specs = AcmeArchives();
  std::vector<Event> acme_archives;  // acme_archives[i] archives acme_specs[i].
  Event globex_archive;
  uint64_t acme_last = 0;

  absl::Status WriteTo(EventStore& store) {
    LogBuilder acme("acme");
    acme_archives.clear();
    for (const ArchiveSpec& spec : acme_specs) acme_archives.push_back(Event());
    auto archive = [&](size_t i) {
      acme_archives[i] = acme.Archived(acme_specs[i]);
      return acme_archives[i];
    };
    std::vector<Event> first = {acme.Other(), acme.Opened(40, 1), archive(0), archive(1)};
    std::vector<Event> second = {archive(2), acme.Other(), archive(3), archive(4)};
    std::vector<Event> third = {archive(5), archive(6), archive(7), acme.Other()};
    acme_last = acme.next_sequence() - 1;
    for (const std::vector<Event>* batch : {&first, &second, &third}) {
      if (absl::Status s = store.Append("acme", *batch); !s.ok()) return s;
    }
    LogBuilder globex("globex");
    const Event configured = globex.Other();
    globex_archive = globex.Archived(GlobexArchive());
    return store.Append("globex", {configured, globex_archive});
  }
};

// Expects `store` to answer every lookup and listing of the story.
void ExpectStoryAnswers(const EventStore& store, const Story& story) {
  for (const Archived& item : ItemsOf(story.acme_specs, story.acme_archives)) {
    ExpectFinds(store, "acme", item.kind, item.id, item.event);
  }
  ExpectFinds(store, "globex", Kind::kConversation, 10, story.globex_archive);
  ExpectFinds(store, "globex", Kind::kTask, 900, story.globex_archive);
  ExpectFinds(store, "globex", Kind::kCommitment, 901, story.globex_archive);
  ExpectFindsNothing(store, "acme", Kind::kConversation, 40);
  ExpectFindsNothing(store, "acme", Kind::kTask, 900);
  ExpectFindsNothing(store, "globex", Kind::kTask, 100);
  EXPECT_THAT(List(store, "acme", {1}, 0, 100), ElementsAre(10, 30, 35, 50, 60));
  EXPECT_THAT(List(store, "acme", {2}, 0, 100), ElementsAre(20, 25));
  EXPECT_THAT(List(store, "acme", {3}, 0, 100), ElementsAre(45));
  EXPECT_THAT(List(store, "globex", {1}, 0, 100), ElementsAre(10));
}


SqliteStoreOptions OptionsAt(const std::string& path) {
  SqliteStoreOptions options;
  options.path = path;
  options.durability = Durability::kNoSync;
  return options;
}

class ArchiveIndexTest : public testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    store_ = testing_internal::OpenEmptyStore(GetParam(), dir_);
    ASSERT_NE(store_, nullptr);
  }

  void WriteStory() {
    absl::Status s = story_.WriteTo(*store_);
    ASSERT_TRUE(s.ok()) << s;
  }

  ScratchDir dir_;
  std::unique_ptr<EventStore> store_;
  Story story_;
};

INSTANTIATE_TEST_SUITE_P(AllStores, ArchiveIndexTest, testing_internal::AllStoreKinds(),
                         testing_internal::StoreKindName);

TEST_P(ArchiveIndexTest, FindArchiveFindsTheEventOfEveryArchivedItemByKind) {
  WriteStory();
  const std::vector<Archived> items = ItemsOf(story_.acme_specs, story_.acme_archives);
  // 8 conversations, 3 merged ones, 5 tasks and 3 commitments.
  ASSERT_EQ(items.size(), 19u);
  for (const Archived& item : items) ExpectFinds(*store_, "acme", item.kind, item.id, item.event);
  // The merged conversations lead to the event of the one they were merged
  // into, whoever they were opened for.
  std::optional<Event> merged = Find(*store_, "acme", Kind::kConversation, 12);
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(merged->conversation_archived().conversation_id(), 10u);
}

TEST_P(ArchiveIndexTest, FindArchiveFindsNothingForOtherIdsKindsAndTenants) {
  WriteStory();
  // Never archived: the open conversation, ids never used, id 0.
  for (uint64_t id : {40u, 99u, 0u, 14u}) {
    ExpectFindsNothing(*store_, "acme", Kind::kConversation, id);
  }
  ExpectFindsNothing(*store_, "acme", Kind::kTask, 105);
  ExpectFindsNothing(*store_, "acme", Kind::kCommitment, 203);
  // An archived id under another kind.
  for (uint64_t conversation : {10u, 11u, 30u, 60u}) {
    ExpectFindsNothing(*store_, "acme", Kind::kTask, conversation);
    ExpectFindsNothing(*store_, "acme", Kind::kCommitment, conversation);
  }
  for (uint64_t task : {100u, 104u}) {
    ExpectFindsNothing(*store_, "acme", Kind::kConversation, task);
    ExpectFindsNothing(*store_, "acme", Kind::kCommitment, task);
  }
  for (uint64_t commitment : {200u, 202u}) {
    ExpectFindsNothing(*store_, "acme", Kind::kConversation, commitment);
    ExpectFindsNothing(*store_, "acme", Kind::kTask, commitment);
  }
  // Tenants: globex's conversation 10 is its own, and acme's other ids are
  // not globex's (nor globex's acme's).
  ExpectFinds(*store_, "globex", Kind::kConversation, 10, story_.globex_archive);
  ExpectFinds(*store_, "globex", Kind::kTask, 900, story_.globex_archive);
  ExpectFinds(*store_, "globex", Kind::kCommitment, 901, story_.globex_archive);
  for (const auto& [kind, id] : std::vector<std::pair<Kind, uint64_t>>{{Kind::kConversation, 11},
                                                                       {Kind::kConversation, 50},
                                                                       {Kind::kTask, 100},
                                                                       {Kind::kCommitment, 200}}) {
    ExpectFindsNothing(*store_, "globex", kind, id);
  }
  ExpectFindsNothing(*store_, "acme", Kind::kTask, 900);
  ExpectFindsNothing(*store_, "acme", Kind::kCommitment, 901);
  // Unknown tenants, the empty one included, and a tenant whose name
  // prefixes another's.
  for (absl::string_view tenant : {"initech", "", "acm", "acme "}) {
    ExpectFindsNothing(*store_, tenant, Kind::kConversation, 10);
    ExpectFindsNothing(*store_, tenant, Kind::kTask, 100);
  }
}

TEST_P(ArchiveIndexTest, FindArchiveTellsApartIdsAtTheTopOfTheRange) {
  // Each in an event of its own, so that finding one for another shows.
  LogBuilder log("acme");
  const ArchiveSpec a = {.conversation = kInt64Max - 1, .customer = 1, .tasks = {kInt64Max}};
  const ArchiveSpec b = {.conversation = kInt64Max + 1,
                         .customer = 1,
                         .merged = {{kUint64Max, 1}},
                         .tasks = {kInt64Max + 1}};
  const ArchiveSpec c = {.conversation = kUint64Max - 1,
                         .customer = 1,
                         .tasks = {kUint64Max},
                         .commitments = {kUint64Max}};
  const std::vector<Event> events = {log.Archived(a), log.Archived(b), log.Archived(c)};
  ASSERT_TRUE(store_->Append("acme", events).ok());
  for (const Archived& item : ItemsOf({a, b, c}, events)) {
    ExpectFinds(*store_, "acme", item.kind, item.id, item.event);
  }
  ExpectFindsNothing(*store_, "acme", Kind::kConversation, kInt64Max);
  ExpectFindsNothing(*store_, "acme", Kind::kCommitment, kInt64Max);
  ExpectFindsNothing(*store_, "acme", Kind::kCommitment, kInt64Max + 1);
  ExpectFindsNothing(*store_, "acme", Kind::kTask, kUint64Max - 1);
}

TEST_P(ArchiveIndexTest, ListsTheArchivedConversationsOfTheCustomersById) {
  WriteStory();
  // By id, not in the order they were archived; without the conversations
  // merged into others (11, 12 and 13), whoever they were opened for.
  EXPECT_THAT(List(*store_, "acme", {1}, 0, 100), ElementsAre(10, 30, 35, 50, 60));
  EXPECT_THAT(List(*store_, "acme", {2}, 0, 100), ElementsAre(20, 25));
  EXPECT_THAT(List(*store_, "acme", {3}, 0, 100), ElementsAre(45));
  // Several customers: one list, merged by id, in any order of customers.
  EXPECT_THAT(List(*store_, "acme", {3, 1}, 0, 100), ElementsAre(10, 30, 35, 45, 50, 60));
  EXPECT_THAT(List(*store_, "acme", {2, 3, 1}, 0, 100),
              ElementsAre(10, 20, 25, 30, 35, 45, 50, 60));
  // A customer named twice is listed once.
  EXPECT_THAT(List(*store_, "acme", {2, 2}, 0, 100), ElementsAre(20, 25));
  // Customers without archives (4 has none, 0 is no customer).
  EXPECT_THAT(List(*store_, "acme", {4}, 0, 100), IsEmpty());
  EXPECT_THAT(List(*store_, "acme", {0}, 0, 100), IsEmpty());
  EXPECT_THAT(List(*store_, "acme", {}, 0, 100), IsEmpty());
  EXPECT_THAT(List(*store_, "acme", {4, 2}, 0, 100), ElementsAre(20, 25));
  // Each tenant its own.
  EXPECT_THAT(List(*store_, "globex", {1}, 0, 100), ElementsAre(10));
  EXPECT_THAT(List(*store_, "globex", {2, 3}, 0, 100), IsEmpty());
}

TEST_P(ArchiveIndexTest, PagesResumeStrictlyAfterAndHoldAtMostTheLimit) {
  WriteStory();
  const std::vector<uint64_t> one = {10, 30, 35, 50, 60};
  const std::vector<uint64_t> all = {10, 20, 25, 30, 35, 45, 50, 60};
  for (size_t page : {1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 100u}) {
    EXPECT_THAT(ListAll(*store_, "acme", {1}, page), ElementsAreArray(one)) << "page " << page;
    EXPECT_THAT(ListAll(*store_, "acme", {1, 2, 3}, page), ElementsAreArray(all))
        << "page " << page;
  }
  // `after` need not be listed itself, and is excluded when it is.
  EXPECT_THAT(List(*store_, "acme", {1}, 30, 100), ElementsAre(35, 50, 60));
  EXPECT_THAT(List(*store_, "acme", {1}, 31, 100), ElementsAre(35, 50, 60));
  EXPECT_THAT(List(*store_, "acme", {1}, 9, 100), ElementsAre(10, 30, 35, 50, 60));
  EXPECT_THAT(List(*store_, "acme", {1}, 11, 2), ElementsAre(30, 35));  // 11 was merged.
  EXPECT_THAT(List(*store_, "acme", {1, 2}, 20, 3), ElementsAre(25, 30, 35));
  EXPECT_THAT(List(*store_, "acme", {1}, 60, 100), IsEmpty());
  EXPECT_THAT(List(*store_, "acme", {1}, kInt64Max, 100), IsEmpty());
  EXPECT_THAT(List(*store_, "acme", {1}, kInt64Max + 1, 100), IsEmpty());
  EXPECT_THAT(List(*store_, "acme", {1}, kUint64Max, 100), IsEmpty());
}

// What the implementations promise for arguments at the edges: no error,
// an empty (or whole) answer. Both stores must agree on it.
TEST_P(ArchiveIndexTest, EdgeArgumentsGiveEmptyOrWholeAnswersNotErrors) {
  WriteStory();
  // A limit of 0 lists nothing; the largest limit (what a negative one
  // becomes as a size_t) lists everything.
  EXPECT_THAT(List(*store_, "acme", {1}, 0, 0), IsEmpty());
  EXPECT_THAT(List(*store_, "acme", {1, 2}, 20, 0), IsEmpty());
  EXPECT_THAT(List(*store_, "acme", {1}, 0, static_cast<size_t>(-1)),
              ElementsAre(10, 30, 35, 50, 60));
  EXPECT_THAT(List(*store_, "acme", {1, 2}, 0, std::numeric_limits<size_t>::max() - 1),
              ElementsAre(10, 20, 25, 30, 35, 50, 60));
  // Unknown tenants, the empty one included, have nothing archived.
  for (absl::string_view tenant : {"initech", "", "acm"}) {
    EXPECT_THAT(List(*store_, tenant, {1, 2, 3}, 0, 100), IsEmpty()) << "'" << tenant << "'";
    absl::StatusOr<std::optional<Event>> found =
        store_->FindArchive(tenant, Kind::kConversation, 10);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_FALSE(found->has_value());
  }
}

TEST_P(ArchiveIndexTest, AStoreWithoutArchivesFindsAndListsNothing) {
  LogBuilder log("acme");
  ASSERT_TRUE(store_->Append("acme", {log.Other(), log.Opened(10, 1), log.Closed(10)}).ok());
  ExpectFindsNothing(*store_, "acme", Kind::kConversation, 10);
  EXPECT_THAT(List(*store_, "acme", {1}, 0, 100), IsEmpty());
}

TEST_P(ArchiveIndexTest, TheFirstArchiveOfAnIdStands) {
  WriteStory();
  // Archived again (a log the engine did not write): 20 now for customer 1,
  // with task 102 again and a new task 106, and 45 again as merged into 20.
  LogBuilder log("acme");
  log.Skip(story_.acme_last);
  const Event again =
      log.Archived({.conversation = 20, .customer = 1, .merged = {{45, 3}}, .tasks = {102, 106}});
  ASSERT_TRUE(store_->Append("acme", {again}).ok());
  ExpectFinds(*store_, "acme", Kind::kConversation, 20, story_.acme_archives[2]);
  ExpectFinds(*store_, "acme", Kind::kTask, 102, story_.acme_archives[2]);
  ExpectFinds(*store_, "acme", Kind::kConversation, 45, story_.acme_archives[4]);
  ExpectFinds(*store_, "acme", Kind::kTask, 106, again);  // New: indexed.
  EXPECT_THAT(List(*store_, "acme", {1}, 0, 100), ElementsAre(10, 30, 35, 50, 60));
  EXPECT_THAT(List(*store_, "acme", {2}, 0, 100), ElementsAre(20, 25));
  EXPECT_THAT(List(*store_, "acme", {3}, 0, 100), ElementsAre(45));
}

TEST_P(ArchiveIndexTest, ARefusedAppendLeavesNoArchive) {
  WriteStory();
  const ArchiveSpec spec = {
      .conversation = 70, .customer = 1, .merged = {{71, 1}}, .tasks = {110}, .commitments = {210}};
  // A gap: the batch is contiguous but does not continue the log.
  LogBuilder gap("acme");
  gap.Skip(story_.acme_last + 1);
  EXPECT_EQ(store_->Append("acme", {gap.Archived(spec), gap.Other()}).code(),
            absl::StatusCode::kFailedPrecondition);
  // An overlap: starts at the stored event 1.
  LogBuilder overlap("acme");
  EXPECT_EQ(store_->Append("acme", {overlap.Archived(spec)}).code(),
            absl::StatusCode::kFailedPrecondition);
  // A batch that skips a sequence inside itself.
  LogBuilder hole("acme");
  hole.Skip(story_.acme_last);
  const Event first = hole.Other();
  hole.Skip(1);
  EXPECT_EQ(store_->Append("acme", {first, hole.Archived(spec)}).code(),
            absl::StatusCode::kFailedPrecondition);

  for (const auto& [kind, id] : std::vector<std::pair<Kind, uint64_t>>{{Kind::kConversation, 70},
                                                                       {Kind::kConversation, 71},
                                                                       {Kind::kTask, 110},
                                                                       {Kind::kCommitment, 210}}) {
    ExpectFindsNothing(*store_, "acme", kind, id);
  }
  EXPECT_THAT(List(*store_, "acme", {1}, 0, 100), ElementsAre(10, 30, 35, 50, 60));
  ASSERT_TRUE(store_->LastSequence("acme").ok());
  EXPECT_EQ(*store_->LastSequence("acme"), story_.acme_last);
  ExpectStoryAnswers(*store_, story_);

  // The log goes on as if nothing happened.
  LogBuilder next("acme");
  next.Skip(story_.acme_last);
  const Event archived = next.Archived(spec);
  ASSERT_TRUE(store_->Append("acme", {archived}).ok());
  ExpectFinds(*store_, "acme", Kind::kConversation, 71, archived);
  ExpectFinds(*store_, "acme", Kind::kCommitment, 210, archived);
  EXPECT_THAT(List(*store_, "acme", {1}, 0, 100), ElementsAre(10, 30, 35, 50, 60, 70));
}

// A reader racing the appends never sees an archive without its event nor
// an event without its archive: each pair of reads is ordered so that a
// split would show.
TEST_P(ArchiveIndexTest, AnArchiveIsVisibleExactlyWhenItsEventIs) {
  constexpr int kArchives = 40;
  LogBuilder log("acme");
  std::vector<Event> events;
  for (int i = 0; i < kArchives; ++i) {
    const uint64_t id = 1000 + static_cast<uint64_t>(i);
    events.push_back(log.Archived({.conversation = id, .customer = 7, .tasks = {id}}));
  }
  // Event i has sequence i + 1 and archives conversation and task 1000 + i.
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (const Event& event : events) {
      absl::Status s = store_->Append("acme", {event});
      EXPECT_TRUE(s.ok()) << s;
      if (!s.ok()) break;
    }
    done = true;
  });
  int rounds = 0;
  for (bool last_round = false; !last_round; ++rounds) {
    last_round = done.load();
    // Stored events, then archives: every stored event has its archive.
    absl::StatusOr<uint64_t> stored = store_->LastSequence("acme");
    if (!stored.ok()) {
      ADD_FAILURE() << stored.status();
      break;
    }
    if (*stored > 0) {
      const uint64_t newest = 1000 + *stored - 1;
      ExpectFinds(*store_, "acme", Kind::kTask, newest, events[*stored - 1]);
      EXPECT_GE(List(*store_, "acme", {7}, 0, 1000).size(), *stored);
    }
    // Archives, then stored events: every archive found has its event.
    const uint64_t probe = 1000 + static_cast<uint64_t>(rounds % kArchives);
    const bool found = Find(*store_, "acme", Kind::kConversation, probe).has_value();
    const std::vector<uint64_t> listed = List(*store_, "acme", {7}, 0, 1000);
    stored = store_->LastSequence("acme");
    if (!stored.ok()) {
      ADD_FAILURE() << stored.status();
      break;
    }
    if (found)
      EXPECT_GE(*stored, probe - 1000 + 1) << "archive of " << probe << " before its event";
    EXPECT_LE(listed.size(), *stored);
    for (size_t i = 0; i < listed.size(); ++i) EXPECT_EQ(listed[i], 1000 + i);
  }
  writer.join();
  EXPECT_EQ(*store_->LastSequence("acme"), static_cast<uint64_t>(kArchives));
  EXPECT_EQ(List(*store_, "acme", {7}, 0, 1000).size(), static_cast<size_t>(kArchives));
}

// ------------------------------------------------------------ redaction

v1::Identity MakeIdentity(v1::IdentityKind kind, const std::string& value) {
  v1::Identity identity;
  identity.set_kind(kind);
  identity.set_value(value);
  return identity;
}

constexpr uint64_t kAnnFingerprint = 0xA11CE5EED0000001;
constexpr uint64_t kBobFingerprint = 0xB0B5EED000000002;

// Ann's data, none of which may be left once she is erased.
const std::vector<std::string>& AnnMarkers() {
  static const auto* markers = new std::vector<std::string>{"Ann Marker",
                                                            "ann@example.com",
                                                            "ann-body-marker",
                                                            "ann-merged-marker",
                                                            "ann-live-marker",
                                                            "e-ann",
                                                            "t-ann"};
  return *markers;
}

// Ann (customer 1) had conversation 10, into which 11 was merged, archived
// with task 100 and commitment 200, and conversation 30 still in the
// working set; Bob (customer 2) had 20, archived with task 101. Then Ann is
// erased.
struct RedactionStory {
  std::vector<Event> log;
  size_t ann_archive = 0;  // Indexes into log.
  size_t bob_archive = 0;
  uint64_t erased_at = 0;

  RedactionStory() {
    LogBuilder b("acme");
    const v1::Identity ann = MakeIdentity(v1::IDENTITY_KIND_EMAIL, "ann@example.com");
    const v1::Identity bob = MakeIdentity(v1::IDENTITY_KIND_EMAIL, "bob@example.com");
    log = {b.CustomerCreated(1, "Ann Marker"),
           b.IdentityLinked(1, ann),
           b.CustomerCreated(2, "Bob Keeper"),
           b.IdentityLinked(2, bob),
           b.Opened(10, 1),
           b.Message(1, 10, "ann-body-marker", ann, "e-ann", "t-ann"),
           b.Opened(11, 1),
           b.Message(2, 11, "ann-merged-marker", ann),
           b.ConversationsMerged(11, 10, {2}),
           b.Closed(10),
           b.Opened(20, 2),
           b.Message(3, 20, "bob-body-marker", bob, "e-bob", "t-bob"),
           b.Closed(20)};
    ann_archive = log.size();
    log.push_back(b.Archived({.conversation = 10,
                              .customer = 1,
                              .merged = {{11, 1}},
                              .tasks = {100},
                              .commitments = {200},
                              .messages = {{1, 10}, {2, 10}},
                              .fingerprint = kAnnFingerprint}));
    bob_archive = log.size();
    log.push_back(b.Archived({.conversation = 20,
                              .customer = 2,
                              .tasks = {101},
                              .messages = {{3, 20}},
                              .fingerprint = kBobFingerprint}));
    log.push_back(b.Opened(30, 1));
    log.push_back(b.Message(4, 30, "ann-live-marker", ann));
    // The engine's CustomerErased lists the conversations of the working set.
    log.push_back(b.CustomerErased(1, {30}));
    erased_at = log.back().sequence();
  }
};

TEST_P(ArchiveIndexTest, RedactingAnArchivedCustomerLeavesNothingOfTheirsInTheArchive) {
  const RedactionStory story;
  ASSERT_TRUE(store_->Append("acme", story.log).ok());
  // The redaction as the engine makes it: the conversations of the event,
  // and those the archive lists for the erased customers.
  EventStore::CustomerRedaction redaction;
  redaction.customers = {CustomerId(1)};
  redaction.conversations = {ConversationId(30)};
  redaction.erased_at_sequence = story.erased_at;
  const std::vector<uint64_t> archived = List(*store_, "acme", {1}, 0, 100);
  ASSERT_THAT(archived, ElementsAre(10));
  for (uint64_t id : archived) redaction.conversations.push_back(ConversationId(id));
  // Before: Ann's archive is there, with her senders' fingerprints.
  ExpectFinds(*store_, "acme", Kind::kConversation, 10, story.log[story.ann_archive]);

  ASSERT_TRUE(store_->RedactCustomer("acme", redaction).ok());

  // Every item of Ann's archive still leads to one event, that of the
  // archive, which holds the same records without her data.
  const Event& appended = story.log[story.ann_archive];
  for (const auto& [kind, id] : std::vector<std::pair<Kind, uint64_t>>{{Kind::kConversation, 10},
                                                                       {Kind::kConversation, 11},
                                                                       {Kind::kTask, 100},
                                                                       {Kind::kCommitment, 200}}) {
    std::optional<Event> found = Find(*store_, "acme", kind, id);
    ASSERT_TRUE(found.has_value()) << KindName(kind) << " " << id;
    EXPECT_EQ(found->sequence(), appended.sequence());
    const v1::ConversationArchive& archive = found->conversation_archived().archive();
    const std::string bytes = found->SerializeAsString();
    for (const std::string& marker : AnnMarkers()) {
      EXPECT_EQ(bytes.find(marker), std::string::npos)
          << marker << " in " << KindName(kind) << " " << id;
    }
    ASSERT_EQ(archive.messages_size(), 2);
    for (const v1::MessageRecord& m : archive.messages()) {
      EXPECT_EQ(m.sender_fingerprint(), 0u) << "message " << m.id() << " keeps Ann's sender";
    }
    // The records themselves stay.
    EXPECT_EQ(archive.conversations_size(), 2);
    EXPECT_EQ(archive.conversations(0).id(), 10u);
    EXPECT_EQ(archive.conversations(1).id(), 11u);
    EXPECT_EQ(archive.messages(0).id(), 1u);
    EXPECT_EQ(archive.messages(1).id(), 2u);
    ASSERT_EQ(archive.tasks_size(), 1);
    EXPECT_EQ(archive.tasks(0).id(), 100u);
    ASSERT_EQ(archive.commitments_size(), 1);
    EXPECT_EQ(archive.commitments(0).id(), 200u);
  }
  // The messages of the archived conversation are redacted too, the merged
  // one's included.
  absl::StatusOr<std::vector<EventStore::StoredMessage>> messages =
      store_->ReadConversationMessages("acme", ConversationId(10), std::nullopt, 10);
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), 2u);
  for (const EventStore::StoredMessage& m : *messages) {
    const std::string bytes = m.event.SerializeAsString();
    for (const std::string& marker : AnnMarkers()) {
      EXPECT_EQ(bytes.find(marker), std::string::npos) << marker << " in message " << m.id;
    }
    EXPECT_EQ(m.event.message_recorded().sender().value(), "erased:1:1");
  }
  // Nothing of Ann anywhere in the log.
  ASSERT_TRUE(store_
                  ->Read("acme", 1,
                         [&](const Event& event) {
                           const std::string bytes = event.SerializeAsString();
                           for (const std::string& marker : AnnMarkers()) {
                             EXPECT_EQ(bytes.find(marker), std::string::npos)
                                 << marker << " in event " << event.sequence();
                           }
                           return true;
                         })
                  .ok());

  // Bob's archive and messages are untouched, byte for byte.
  ExpectFinds(*store_, "acme", Kind::kConversation, 20, story.log[story.bob_archive]);
  ExpectFinds(*store_, "acme", Kind::kTask, 101, story.log[story.bob_archive]);
  absl::StatusOr<EventStore::StoredMessage> bob = store_->ReadMessage("acme", MessageId(3));
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ(bob->event.SerializeAsString(), story.log[11].SerializeAsString());
  // The listing is the same.
  EXPECT_THAT(List(*store_, "acme", {1}, 0, 100), ElementsAre(10));
  EXPECT_THAT(List(*store_, "acme", {2}, 0, 100), ElementsAre(20));

  // A second redaction changes nothing more.
  std::vector<std::string> once;
  ASSERT_TRUE(store_
                  ->Read("acme", 1,
                         [&](const Event& e) {
                           once.push_back(e.SerializeAsString());
                           return true;
                         })
                  .ok());
  ASSERT_TRUE(store_->RedactCustomer("acme", redaction).ok());
  std::vector<std::string> twice;
  ASSERT_TRUE(store_
                  ->Read("acme", 1,
                         [&](const Event& e) {
                           twice.push_back(e.SerializeAsString());
                           return true;
                         })
                  .ok());
  EXPECT_TRUE(once == twice) << "the second redaction changed the log";
}

// ------------------------------------------------------------ SQLite only

std::unique_ptr<store::SqliteEventStore> MustOpen(const SqliteStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<store::SqliteEventStore>> store =
      store::SqliteEventStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

class SqliteArchiveTest : public testing::Test {
 protected:
  std::string Path() const { return dir_.File("events.db"); }
  ScratchDir dir_;
};

// Makes SQLite fail the insert of archive rows for item `id`, as a full disk
// or an I/O error would fail a statement midway through a transaction.
void FailArchiveRowsOf(const std::string& path, uint64_t id) {
  ExecSql(path, absl::StrCat("CREATE TRIGGER fail_archive BEFORE INSERT ON archive WHEN "
                             "NEW.item_id = ",
                             id, " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"));
}

TEST_F(SqliteArchiveTest, AFailureWhileIndexingRollsBackTheEventsAndTheEarlierRows) {
  std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  Story story;
  ASSERT_TRUE(story.WriteTo(*store).ok());
  // Conversation 70 and task 110 are indexed before task 666 fails.
  FailArchiveRowsOf(Path(), 666);
  LogBuilder log("acme");
  log.Skip(story.acme_last);
  const v1::Identity ann = MakeIdentity(v1::IDENTITY_KIND_EMAIL, "ann@example.com");
  const std::vector<Event> batch = {
      log.Message(500, 70, "body", ann, "e-500"),
      log.Archived({.conversation = 70, .customer = 1, .tasks = {110, 666}})};
  absl::Status s = store->Append("acme", batch);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("injected failure"));

  EXPECT_EQ(*store->LastSequence("acme"), story.acme_last);
  ExpectFindsNothing(*store, "acme", Kind::kConversation, 70);
  ExpectFindsNothing(*store, "acme", Kind::kTask, 110);
  ExpectFindsNothing(*store, "acme", Kind::kTask, 666);
  EXPECT_THAT(List(*store, "acme", {1}, 0, 100), ElementsAre(10, 30, 35, 50, 60));
  EXPECT_EQ(store->ReadMessage("acme", MessageId(500)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(QueryInt64(Path(), "SELECT count(*) FROM archive WHERE item_id IN (70, 110, 666)"), 0);
  ExpectStoryAnswers(*store, story);

  // Once the medium is well again, the same batch lands whole.
  ExecSql(Path(), "DROP TRIGGER fail_archive");
  ASSERT_TRUE(store->Append("acme", batch).ok());
  ExpectFinds(*store, "acme", Kind::kConversation, 70, batch[1]);
  ExpectFinds(*store, "acme", Kind::kTask, 666, batch[1]);
  EXPECT_THAT(List(*store, "acme", {1}, 0, 100), ElementsAre(10, 30, 35, 50, 60, 70));
}

TEST_F(SqliteArchiveTest, AFailedWriteInAGroupLeavesNoArchiveAndTheOthersKeepTheirs) {
  std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  FailArchiveRowsOf(Path(), 666);
  // Three writes in one commit: the middle one fails while indexing.
  store->HoldNextLeaderForTesting(3);
  LogBuilder a("a");
  LogBuilder b("b");
  LogBuilder c("c");
  const std::vector<Event> batch_a = {a.Archived({.conversation = 1, .customer = 1, .tasks = {5}})};
  const std::vector<Event> batch_b = {
      b.Archived({.conversation = 1, .customer = 1, .tasks = {5, 666}})};
  const std::vector<Event> batch_c = {c.Archived({.conversation = 1, .customer = 1, .tasks = {5}})};
  absl::Status status_a;
  absl::Status status_b;
  absl::Status status_c;
  std::thread ta([&] { status_a = store->Append("a", batch_a); });
  std::thread tb([&] { status_b = store->Append("b", batch_b); });
  std::thread tc([&] { status_c = store->Append("c", batch_c); });
  ta.join();
  tb.join();
  tc.join();
  EXPECT_TRUE(status_a.ok()) << status_a;
  EXPECT_FALSE(status_b.ok());
  EXPECT_TRUE(status_c.ok()) << status_c;
  EXPECT_EQ(store->Stats().commits, 1);
  ExpectFinds(*store, "a", Kind::kTask, 5, batch_a[0]);
  ExpectFinds(*store, "c", Kind::kTask, 5, batch_c[0]);
  ExpectFindsNothing(*store, "b", Kind::kConversation, 1);
  ExpectFindsNothing(*store, "b", Kind::kTask, 5);
  EXPECT_THAT(List(*store, "b", {1}, 0, 10), IsEmpty());
  EXPECT_EQ(*store->LastSequence("b"), 0u);
  EXPECT_THAT(List(*store, "a", {1}, 0, 10), ElementsAre(1));
}

TEST_F(SqliteArchiveTest, TheArchiveSurvivesAReopen) {
  Story story;
  {
    std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(story.WriteTo(*store).ok());
  }
  {
    std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
    ASSERT_NE(store, nullptr);
    ExpectStoryAnswers(*store, story);
    EXPECT_THAT(ListAll(*store, "acme", {1, 2, 3}, 3), ElementsAre(10, 20, 25, 30, 35, 45, 50, 60));
    // And it goes on from there.
    LogBuilder log("acme");
    log.Skip(story.acme_last);
    ASSERT_TRUE(store->Append("acme", {log.Archived({.conversation = 70, .customer = 4})}).ok());
  }
  SqliteStoreOptions read_only = OptionsAt(Path());
  read_only.read_only = true;
  std::unique_ptr<store::SqliteEventStore> store = MustOpen(read_only);
  ASSERT_NE(store, nullptr);
  ExpectStoryAnswers(*store, story);
  EXPECT_THAT(List(*store, "acme", {4, 2}, 0, 100), ElementsAre(20, 25, 70));
}

TEST_F(SqliteArchiveTest, ADamagedOrMissingArchiveEventIsDataLoss) {
  std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  Story story;
  ASSERT_TRUE(story.WriteTo(*store).ok());
  // acme_archives[1] archives conversation 10, acme_archives[2] 20.
  const uint64_t damaged = story.acme_archives[1].sequence();
  FlipPayloadByte(Path(), "acme", damaged);
  absl::StatusOr<std::optional<Event>> found = store->FindArchive("acme", Kind::kTask, 101);
  EXPECT_EQ(found.status().code(), absl::StatusCode::kDataLoss) << found.status();
  EXPECT_THAT(std::string(found.status().message()),
              AllOf(HasSubstr("acme"), HasSubstr(absl::StrCat("sequence ", damaged))));
  Event into;
  absl::StatusOr<bool> parsed = store->FindArchiveInto("acme", Kind::kTask, 101, into);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kDataLoss) << parsed.status();
  // The others are still served.
  ExpectFinds(*store, "acme", Kind::kConversation, 20, story.acme_archives[2]);

  const uint64_t missing = story.acme_archives[2].sequence();
  ExecSql(Path(),
          absl::StrCat("DELETE FROM events WHERE tenant = 'acme' AND sequence = ", missing));
  found = store->FindArchive("acme", Kind::kConversation, 20);
  EXPECT_EQ(found.status().code(), absl::StatusCode::kDataLoss) << found.status();
  EXPECT_THAT(std::string(found.status().message()),
              AllOf(HasSubstr(absl::StrCat("sequence ", missing)), HasSubstr("missing")));

  // A row that points at an event that archives nothing (event 1).
  ExecSql(Path(), "UPDATE archive SET sequence = 1 WHERE tenant = 'acme' AND item_id = 30");
  found = store->FindArchive("acme", Kind::kConversation, 30);
  EXPECT_EQ(found.status().code(), absl::StatusCode::kDataLoss) << found.status();
  EXPECT_THAT(std::string(found.status().message()), HasSubstr("sequence 1"));
}

// --------------------------------------------------- upgrade of version 2

int64_t UserVersion(const std::string& path) { return QueryInt64(path, "PRAGMA user_version"); }

// Whether the file's schema has a table or an index of that name.
bool HasSchemaObject(const std::string& path, const std::string& name) {
  return QueryInt64(path,
                  absl::StrCat("SELECT count(*) FROM sqlite_schema WHERE name = '", name, "'")) > 0;
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The schema of version 2, as omniroute wrote it before the archive: that
// of version 1 and the message history.
constexpr char kVersion2Schema[] = R"sql(
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
CREATE TABLE messages (
  tenant TEXT NOT NULL,
  message_id INTEGER NOT NULL,
  conversation_id INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  channel INTEGER NOT NULL,
  external_id TEXT NOT NULL,
  thread_key TEXT NOT NULL,
  PRIMARY KEY (tenant, message_id)
) WITHOUT ROWID;
CREATE INDEX messages_by_conversation
  ON messages (tenant, conversation_id, recorded_at, message_id);
CREATE INDEX messages_by_external_id
  ON messages (tenant, channel, external_id) WHERE external_id <> '';
CREATE INDEX messages_by_thread_key
  ON messages (tenant, channel, thread_key, message_id) WHERE thread_key <> '';
PRAGMA application_id = 1332564596;
PRAGMA user_version = 2;
)sql";

// A message row as version 2 wrote it for a MessageRecorded event, with its
// conversation now (after the moves of the log).
struct Version2Row {
  const Event* event;
  uint64_t conversation_now;
};

// Writes a genuine version-2 store at `path`: `logs` (tenant, events), the
// message rows, and a snapshot of acme.
void WriteVersion2Store(const std::string& path,
                        const std::vector<std::pair<std::string, std::vector<Event>>>& logs,
                        const std::vector<std::pair<std::string, Version2Row>>& rows,
                        uint64_t snapshot_sequence, const std::string& snapshot) {
  ASSERT_EQ(store::kSqliteApplicationId, 1332564596);  // What kVersion2Schema says.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, kVersion2Schema, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  auto prepare = [&](const char* sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db);
    return statement;
  };
  auto bind_text = [](sqlite3_stmt* s, int i, const std::string& text) {
    sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  };
  sqlite3_stmt* insert =
      prepare("INSERT INTO events (tenant, sequence, payload, crc) VALUES (?1, ?2, ?3, ?4)");
  for (const auto& [tenant, events] : logs) {
    for (const Event& event : events) {
      const std::string payload = event.SerializeAsString();
      bind_text(insert, 1, tenant);
      sqlite3_bind_int64(insert, 2, static_cast<int64_t>(event.sequence()));
      sqlite3_bind_blob(insert, 3, payload.data(), static_cast<int>(payload.size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_int64(insert, 4, store::Crc32c(payload));
      EXPECT_EQ(sqlite3_step(insert), SQLITE_DONE) << sqlite3_errmsg(db);
      sqlite3_reset(insert);
    }
  }
  sqlite3_finalize(insert);
  sqlite3_stmt* row = prepare(
      "INSERT INTO messages (tenant, message_id, conversation_id, recorded_at, sequence, "
      "channel, external_id, thread_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  for (const auto& [tenant, r] : rows) {
    const v1::MessageRecorded& m = r.event->message_recorded();
    bind_text(row, 1, tenant);
    sqlite3_bind_int64(row, 2, static_cast<int64_t>(m.message_id()));
    sqlite3_bind_int64(row, 3, static_cast<int64_t>(r.conversation_now));
    sqlite3_bind_int64(row, 4, r.event->time().seconds() * 1000000000 + r.event->time().nanos());
    sqlite3_bind_int64(row, 5, static_cast<int64_t>(r.event->sequence()));
    sqlite3_bind_int(row, 6, static_cast<int>(m.channel()));
    bind_text(row, 7, m.external_id());
    bind_text(row, 8, m.thread_key());
    EXPECT_EQ(sqlite3_step(row), SQLITE_DONE) << sqlite3_errmsg(db);
    sqlite3_reset(row);
  }
  sqlite3_finalize(row);
  sqlite3_stmt* save =
      prepare("INSERT INTO snapshots (tenant, sequence, state, crc) VALUES ('acme', ?1, ?2, ?3)");
  sqlite3_bind_int64(save, 1, static_cast<int64_t>(snapshot_sequence));
  sqlite3_bind_blob(save, 2, snapshot.data(), static_cast<int>(snapshot.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(save, 3, store::Crc32c(snapshot));
  EXPECT_EQ(sqlite3_step(save), SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(save);
  sqlite3_close_v2(db);
}

class SqliteArchiveUpgradeTest : public SqliteArchiveTest {
 protected:
  // acme: customer 1's conversation 10 with two messages and 11 merged into
  // it, closed (what archival would take away today, but version 2 predates
  // it), and customer 2's open conversation 20; globex: one message.
  void WriteStory() {
    LogBuilder acme("acme");
    const v1::Identity ann = MakeIdentity(v1::IDENTITY_KIND_EMAIL, "ann@example.com");
    const v1::Identity bob = MakeIdentity(v1::IDENTITY_KIND_EMAIL, "bob@example.com");
    acme_ = {acme.CustomerCreated(1, "Ann"),             // 1
             acme.Opened(10, 1),                         // 2
             acme.Message(1, 10, "first", ann, "e-1"),   // 3
             acme.Opened(11, 1),                         // 4
             acme.Message(2, 11, "second", ann),         // 5
             acme.ConversationsMerged(11, 10, {2}),      // 6
             acme.Closed(10),                            // 7
             acme.CustomerCreated(2, "Bob"),             // 8
             acme.Opened(20, 2),                         // 9
             acme.Message(3, 20, "third", bob, "e-3")};  // 10
    acme_next_ = acme.next_sequence();
    LogBuilder globex("globex");
    globex_ = {globex.Message(1, 5, "globex's", ann, "e-1")};
    WriteVersion2Store(Path(), {{"acme", acme_}, {"globex", globex_}},
                       {{"acme", {&acme_[2], 10}},
                        {"acme", {&acme_[4], 10}},
                        {"acme", {&acme_[9], 20}},
                        {"globex", {&globex_[0], 5}}},
                       7, "acme's state after event 7");
    ASSERT_EQ(UserVersion(Path()), 2);
    ASSERT_FALSE(HasSchemaObject(Path(), "archive"));
  }

  // Every event of the story reads back as written.
  void ExpectEventsAsWritten(const EventStore& store) {
    for (const auto& [tenant, events] :
         std::vector<std::pair<std::string, const std::vector<Event>*>>{{"acme", &acme_},
                                                                        {"globex", &globex_}}) {
      std::vector<std::string> read;
      absl::Status s = store.Read(tenant, 1, [&](const Event& e) {
        read.push_back(e.SerializeAsString());
        return true;
      });
      ASSERT_TRUE(s.ok()) << s;
      ASSERT_GE(read.size(), events->size()) << tenant;
      for (size_t i = 0; i < events->size(); ++i) {
        EXPECT_EQ(read[i], (*events)[i].SerializeAsString()) << tenant << " event " << i + 1;
      }
    }
  }

  std::vector<uint64_t> TimelineIds(const EventStore& store, absl::string_view tenant,
                                    uint64_t conversation) {
    absl::StatusOr<std::vector<EventStore::StoredMessage>> timeline =
        store.ReadConversationMessages(tenant, ConversationId(conversation), std::nullopt, 100);
    EXPECT_TRUE(timeline.ok()) << timeline.status();
    std::vector<uint64_t> ids;
    if (timeline.ok()) {
      for (const auto& m : *timeline) ids.push_back(m.id.value());
    }
    return ids;
  }

  std::vector<Event> acme_;
  std::vector<Event> globex_;
  uint64_t acme_next_ = 0;
};

TEST_F(SqliteArchiveUpgradeTest, AWritableOpenUpgradesAVersion2StoreAndArchivesFromThenOn) {
  WriteStory();
  {
    std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
    ASSERT_NE(store, nullptr);
    ExpectEventsAsWritten(*store);
    EXPECT_EQ(*store->LastSequence("acme"), acme_.size());
    absl::StatusOr<EventStore::Snapshot> snapshot = store->LoadSnapshot("acme");
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    EXPECT_EQ(snapshot->sequence, 7u);
    EXPECT_EQ(snapshot->state, "acme's state after event 7");
    // The history of version 2 is kept as it was.
    EXPECT_THAT(TimelineIds(*store, "acme", 10), ElementsAre(1, 2));
    EXPECT_THAT(TimelineIds(*store, "acme", 20), ElementsAre(3));
    EXPECT_THAT(TimelineIds(*store, "globex", 5), ElementsAre(1));
    absl::StatusOr<std::optional<EventStore::MessageLocation>> found =
        store->FindMessageByExternalId("acme", v1::CHANNEL_EMAIL, "e-3");
    ASSERT_TRUE(found.ok() && found->has_value()) << found.status();
    EXPECT_EQ((*found)->id, MessageId(3));
    // Nothing was archived before: the archive is empty, not an error.
    ExpectFindsNothing(*store, "acme", Kind::kConversation, 10);
    ExpectFindsNothing(*store, "acme", Kind::kConversation, 11);
    EXPECT_THAT(List(*store, "acme", {1, 2}, 0, 100), IsEmpty());

    // From now on conversations are archived and found.
    LogBuilder log("acme");
    log.Skip(acme_next_ - 1);
    const Event archived = log.Archived({.conversation = 10,
                                         .customer = 1,
                                         .merged = {{11, 1}},
                                         .tasks = {1},
                                         .messages = {{1, 10}, {2, 10}}});
    ASSERT_TRUE(store->Append("acme", {archived}).ok());
    ExpectFinds(*store, "acme", Kind::kConversation, 10, archived);
    ExpectFinds(*store, "acme", Kind::kConversation, 11, archived);
    ExpectFinds(*store, "acme", Kind::kTask, 1, archived);
    ExpectFindsNothing(*store, "globex", Kind::kConversation, 10);
    EXPECT_THAT(List(*store, "acme", {1, 2}, 0, 100), ElementsAre(10));
  }
  EXPECT_EQ(UserVersion(Path()), store::kSqliteSchemaVersion);
  EXPECT_TRUE(HasSchemaObject(Path(), "archive"));
  EXPECT_TRUE(HasSchemaObject(Path(), "archive_by_customer"));
  // A second open finds nothing to upgrade and the same answers.
  std::unique_ptr<store::SqliteEventStore> store = MustOpen(OptionsAt(Path()));
  ASSERT_NE(store, nullptr);
  ExpectEventsAsWritten(*store);
  EXPECT_EQ(*store->LastSequence("acme"), acme_.size() + 1);
  EXPECT_THAT(List(*store, "acme", {1}, 0, 100), ElementsAre(10));
  std::optional<Event> found = Find(*store, "acme", Kind::kTask, 1);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->sequence(), acme_next_);
  EXPECT_THAT(TimelineIds(*store, "acme", 10), ElementsAre(1, 2));
}

TEST_F(SqliteArchiveUpgradeTest, AReadOnlyOpenReadsAVersion2StoreButHasNoArchive) {
  WriteStory();
  const std::string before = FileBytes(Path());
  SqliteStoreOptions options = OptionsAt(Path());
  options.read_only = true;
  {
    std::unique_ptr<store::SqliteEventStore> store = MustOpen(options);
    ASSERT_NE(store, nullptr);
    ExpectEventsAsWritten(*store);
    // Version 2 has the history.
    EXPECT_THAT(TimelineIds(*store, "acme", 10), ElementsAre(1, 2));
    // But no archive: a clear error, not an empty answer.
    absl::StatusOr<std::optional<Event>> found =
        store->FindArchive("acme", Kind::kConversation, 10);
    EXPECT_EQ(found.status().code(), absl::StatusCode::kFailedPrecondition) << found.status();
    EXPECT_THAT(std::string(found.status().message()),
                AllOf(HasSubstr(Path()), HasSubstr("version 2"), HasSubstr("writable")));
    absl::StatusOr<std::vector<ConversationId>> listed =
        store->ListArchivedConversations("acme", {CustomerId(1)}, ConversationId(), 10);
    EXPECT_EQ(listed.status().code(), absl::StatusCode::kFailedPrecondition) << listed.status();
    EXPECT_THAT(std::string(listed.status().message()),
                AllOf(HasSubstr(Path()), HasSubstr("version 2"), HasSubstr("writable")));
  }
  EXPECT_EQ(UserVersion(Path()), 2);
  EXPECT_FALSE(HasSchemaObject(Path(), "archive"));
  EXPECT_TRUE(FileBytes(Path()) == before) << "the file was changed";
}

TEST_F(SqliteArchiveUpgradeTest, AVersion3FileWithoutTheArchiveTableIsRefusedAndLeftAlone) {
  WriteStory();
  ExecSql(Path(), "PRAGMA user_version = 3");
  const std::string before = FileBytes(Path());
  absl::Status s = store::SqliteEventStore::Open(OptionsAt(Path())).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr(Path()), HasSubstr("schema version 3"), HasSubstr("archive")));
  EXPECT_TRUE(FileBytes(Path()) == before) << "the file was changed";
  EXPECT_FALSE(HasSchemaObject(Path(), "archive"));
}

}  // namespace
}  // namespace omniroute
