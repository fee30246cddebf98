// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// An erasure interrupted between its durable CustomerErased event and the
// store's redaction is finished by Engine::Open, before the tenant serves:
// the store lists it (EventStore::ListUnredactedErasures) until a redaction
// of it completes. On a real SQLite file, a redaction that fails once, then
// a restart on the same file, leaves no byte of the erased customer's data
// in the files; a clean start-up redacts nothing.

#include <fstream>
#include <iterator>
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
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "store/forwarding_event_store.h"
#include "store/sqlite_test_files.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_internal::EmailMessage;

constexpr char kTenant[] = "acme";

// The erased customer's data, each string unique to it.
constexpr const char* kErasedMarkers[] = {
    "zrArchivedBodyMarker", "zrOpenBodyMarker", "Zr Erased Name",
    "zr.erased.mail@example.com", "zr-mail-1", "zr-mail-2"};
// Another customer's, which must stay.
constexpr const char* kKeptMarkers[] = {"zrKeptBodyMarker", "zr.kept.mail@example.com"};

// Passes everything to the store under it, except that the next
// `failures` redactions fail (UNAVAILABLE) without reaching it. Counts the
// redactions asked for.
class FailingRedactionStore final : public testing_internal::ForwardingEventStore {
 public:
  FailingRedactionStore(EventStore& inner, int failures)
      : ForwardingEventStore(inner), failures_(failures) {}

  absl::Status RedactCustomer(absl::string_view tenant_id,
                              const CustomerRedaction& redaction) override {
    ++redactions_;
    if (failures_ > 0) {
      --failures_;
      return absl::UnavailableError("the disk went away (injected)");
    }
    return ForwardingEventStore::RedactCustomer(tenant_id, redaction);
  }

  int redactions() const { return redactions_; }

 private:
  int failures_;
  int redactions_ = 0;
};

// The whole content of a file, or "" if it does not exist.
std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The database, its write-ahead log and its shared-memory index.
std::string StoreFiles(const std::string& path) {
  return FileBytes(path) + FileBytes(path + "-wal") + FileBytes(path + "-shm");
}

std::unique_ptr<EventStore> OpenStore(const std::string& path) {
  auto store = OpenSqliteEventStore({.path = path});
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// What the erasure test leaves: the erased customer, their archived and
// their open conversation, and the kept customer's conversation.
struct Tenant {
  CustomerId erased;
  ConversationId archived_conversation;
  ConversationId open_conversation;
  ConversationId kept_conversation;
};

// Builds the tenant: the erased customer writes, their conversation is
// closed and archived (closed_retention zero), they write again (a new
// open conversation); another customer writes too.
Tenant MakeTenant(Engine& engine, ManualClock& clock) {
  Tenant t;
  TenantOptions options;
  options.closed_retention = absl::ZeroDuration();
  EXPECT_TRUE(engine.CreateTenant(kTenant, options).ok());
  auto ingest = [&](const InboundMessage& m) {
    auto r = engine.IngestMessage(kTenant, m);
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok() && r->task.has_value()) EXPECT_TRUE(engine.AbandonTask(kTenant, *r->task).ok());
    clock.Advance(absl::Minutes(1));
    return r.ok() ? *r : IngestResult{};
  };
  InboundMessage first =
      EmailMessage("zr.erased.mail@example.com", "zr-mail-1", "zrArchivedBodyMarker jar");
  first.profile.display_name = "Zr Erased Name";
  const IngestResult archived = ingest(first);
  t.erased = archived.customer;
  t.archived_conversation = archived.conversation;
  EXPECT_TRUE(engine
                  .SetConversationStatus(kTenant, archived.conversation,
                                         v1::CONVERSATION_STATUS_CLOSED, Actor::Agent("camille"))
                  .ok());
  auto fired = engine.RunDueTimers(kTenant);
  EXPECT_TRUE(fired.ok()) << fired.status();
  EXPECT_GE(fired.value_or(0), 1) << "the closed conversation was not archived";
  // Out of memory: the customer no longer lists it.
  auto customer = engine.GetCustomer(kTenant, t.erased);
  EXPECT_TRUE(customer.ok() && customer->conversations.empty());

  const IngestResult open =
      ingest(EmailMessage("zr.erased.mail@example.com", "zr-mail-2", "zrOpenBodyMarker photo"));
  EXPECT_EQ(open.customer, t.erased);
  EXPECT_NE(open.conversation, t.archived_conversation);
  t.open_conversation = open.conversation;
  t.kept_conversation =
      ingest(EmailMessage("zr.kept.mail@example.com", "zr-kept-1", "zrKeptBodyMarker hello"))
          .conversation;
  return t;
}

std::string Bodies(const Engine& engine, ConversationId conversation) {
  auto timeline = engine.GetTimeline(kTenant, conversation);
  EXPECT_TRUE(timeline.ok()) << timeline.status();
  std::string out;
  if (!timeline.ok()) return out;
  for (const TimelineEntry& entry : *timeline) {
    if (entry.message.has_value()) out += entry.message->body + "|";
  }
  return out;
}

// The sequence of the tenant's only CustomerErased event, 0 if none.
uint64_t ErasureSequence(const EventStore& store) {
  uint64_t sequence = 0;
  EXPECT_TRUE(store
                  .Read(kTenant, 1,
                        [&](const v1::Event& e) {
                          if (e.has_customer_erased()) {
                            EXPECT_EQ(sequence, 0u) << "two CustomerErased events";
                            sequence = e.sequence();
                          }
                          return true;
                        })
                  .ok());
  return sequence;
}

TEST(ErasureResumeSqliteTest, RestartFinishesARedactionThatFailed) {
  testing_internal::ScratchDir dir;
  const std::string path = dir.File("events.db");
  ManualClock clock;
  Tenant t;
  uint64_t erased_at = 0;
  {
    std::unique_ptr<EventStore> sqlite = OpenStore(path);
    ASSERT_NE(sqlite, nullptr);
    FailingRedactionStore store(*sqlite, /*failures=*/1);
    auto engine = Engine::Open({.clock = &clock, .store = &store});
    ASSERT_TRUE(engine.ok()) << engine.status();
    t = MakeTenant(**engine, clock);
    ASSERT_FALSE(::testing::Test::HasFailure());

    const absl::Status erased = (*engine)->EraseCustomer(kTenant, t.erased, Actor::Agent("dpo"));
    EXPECT_EQ(erased.code(), absl::StatusCode::kUnavailable) << erased;
    EXPECT_EQ(store.redactions(), 1);
    // The erasure is recorded and listed as not redacted; the data is still
    // in the store.
    erased_at = ErasureSequence(store);
    ASSERT_GT(erased_at, 0u);
    auto pending = store.ListUnredactedErasures(kTenant);
    ASSERT_TRUE(pending.ok()) << pending.status();
    EXPECT_THAT(*pending, ElementsAre(erased_at));
    EXPECT_THAT(Bodies(**engine, t.archived_conversation), HasSubstr("zrArchivedBodyMarker"));
  }
  // Stopped (the store closed cleanly): the data is in the file.
  {
    const std::string files = StoreFiles(path);
    for (const char* marker : kErasedMarkers) {
      EXPECT_TRUE(absl::StrContains(files, marker)) << marker << " is not in the files before";
    }
  }

  // The restart, on the same file: Open redacts before it returns.
  {
    std::unique_ptr<EventStore> sqlite = OpenStore(path);
    ASSERT_NE(sqlite, nullptr);
    FailingRedactionStore store(*sqlite, /*failures=*/0);
    auto engine = Engine::Open({.clock = &clock, .store = &store});
    ASSERT_TRUE(engine.ok()) << engine.status();
    EXPECT_EQ(store.redactions(), 1);
    auto pending = store.ListUnredactedErasures(kTenant);
    ASSERT_TRUE(pending.ok()) << pending.status();
    EXPECT_THAT(*pending, IsEmpty());

    // While the engine and the store are open.
    const std::string files = StoreFiles(path);
    for (const char* marker : kErasedMarkers) {
      EXPECT_FALSE(absl::StrContains(files, marker)) << marker << " is still in the files";
    }
    for (const char* marker : kKeptMarkers) {
      EXPECT_TRUE(absl::StrContains(files, marker)) << marker << " is missing";
    }
    // The reads say the same: bodies gone, the kept customer's intact.
    EXPECT_EQ(Bodies(**engine, t.archived_conversation), "|");
    EXPECT_EQ(Bodies(**engine, t.open_conversation), "|");
    EXPECT_EQ(Bodies(**engine, t.kept_conversation), "zrKeptBodyMarker hello|");
    // Nothing more was recorded: the erasure is still the one event.
    EXPECT_EQ(ErasureSequence(store), erased_at);
  }
  {
    const std::string files = StoreFiles(path);
    for (const char* marker : kErasedMarkers) {
      EXPECT_FALSE(absl::StrContains(files, marker)) << marker << " is back in the files";
    }
  }

  // A clean start-up redacts nothing.
  {
    std::unique_ptr<EventStore> sqlite = OpenStore(path);
    ASSERT_NE(sqlite, nullptr);
    FailingRedactionStore store(*sqlite, /*failures=*/0);
    auto engine = Engine::Open({.clock = &clock, .store = &store});
    ASSERT_TRUE(engine.ok()) << engine.status();
    EXPECT_EQ(store.redactions(), 0);
  }
}

// A redaction that fails again at start-up fails Open with an error that
// names the tenant, the customer and the event; the next Open finishes it.
TEST(ErasureResumeSqliteTest, OpenFailsWhileTheRedactionFailsAndFinishesItLater) {
  testing_internal::ScratchDir dir;
  const std::string path = dir.File("events.db");
  ManualClock clock;
  Tenant t;
  {
    std::unique_ptr<EventStore> sqlite = OpenStore(path);
    ASSERT_NE(sqlite, nullptr);
    FailingRedactionStore store(*sqlite, /*failures=*/1);
    auto engine = Engine::Open({.clock = &clock, .store = &store});
    ASSERT_TRUE(engine.ok()) << engine.status();
    t = MakeTenant(**engine, clock);
    EXPECT_FALSE((*engine)->EraseCustomer(kTenant, t.erased, Actor::Agent("dpo")).ok());
  }
  std::unique_ptr<EventStore> sqlite = OpenStore(path);
  ASSERT_NE(sqlite, nullptr);
  const uint64_t erased_at = ErasureSequence(*sqlite);
  ASSERT_GT(erased_at, 0u);
  {
    FailingRedactionStore store(*sqlite, /*failures=*/1);
    auto engine = Engine::Open({.clock = &clock, .store = &store});
    ASSERT_FALSE(engine.ok());
    EXPECT_EQ(engine.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(engine.status().message(),
                HasSubstr(absl::StrCat("tenant ", kTenant, ": finishing the erasure of customer ",
                                       t.erased.value(), " (event ", erased_at, ")")));
    EXPECT_THAT(engine.status().message(), HasSubstr("injected"));
    EXPECT_EQ(store.redactions(), 1);
  }
  EXPECT_TRUE(absl::StrContains(StoreFiles(path), "zrOpenBodyMarker"));
  {
    FailingRedactionStore store(*sqlite, /*failures=*/0);
    auto engine = Engine::Open({.clock = &clock, .store = &store});
    ASSERT_TRUE(engine.ok()) << engine.status();
    EXPECT_EQ(store.redactions(), 1);
    EXPECT_EQ(Bodies(**engine, t.open_conversation), "|");
  }
  const std::string files = StoreFiles(path);
  for (const char* marker : kErasedMarkers) {
    EXPECT_FALSE(absl::StrContains(files, marker)) << marker << " is still in the files";
  }
}

// The list itself, on both stores: an erasure is listed from its event
// until a redaction of it succeeds (a retry of EraseCustomer too), and a
// completed erasure is not listed at all.
class UnredactedErasuresTest : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<EventStore> NewStore() {
    if (!GetParam()) return NewMemoryEventStore();
    return OpenStore(dir_.File("events.db"));
  }
  testing_internal::ScratchDir dir_;
};

TEST_P(UnredactedErasuresTest, ListedUntilARedactionSucceeds) {
  std::unique_ptr<EventStore> inner = NewStore();
  ASSERT_NE(inner, nullptr);
  FailingRedactionStore store(*inner, /*failures=*/1);
  ManualClock clock;
  auto engine = Engine::Open({.clock = &clock, .store = &store});
  ASSERT_TRUE(engine.ok()) << engine.status();
  const Tenant t = MakeTenant(**engine, clock);
  auto before = store.ListUnredactedErasures(kTenant);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_THAT(*before, IsEmpty());
  auto unknown = store.ListUnredactedErasures("nobody");
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_THAT(*unknown, IsEmpty());

  EXPECT_FALSE((*engine)->EraseCustomer(kTenant, t.erased, Actor::Agent("dpo")).ok());
  const uint64_t erased_at = ErasureSequence(store);
  auto failed = store.ListUnredactedErasures(kTenant);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_THAT(*failed, ElementsAre(erased_at));

  // The retry, by the caller: the erasure is no longer listed.
  ASSERT_TRUE((*engine)->EraseCustomer(kTenant, t.erased, Actor::Agent("dpo")).ok());
  auto retried = store.ListUnredactedErasures(kTenant);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_THAT(*retried, IsEmpty());

  // Another erasure that succeeds at once is never left listed.
  auto other = (*engine)->FindCustomer(kTenant, testing_internal::Email("zr.kept.mail@example.com"));
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*engine)->EraseCustomer(kTenant, other->id, Actor::Agent("dpo")).ok());
  auto done = store.ListUnredactedErasures(kTenant);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_THAT(*done, IsEmpty());
  EXPECT_EQ(store.redactions(), 3);
}

INSTANTIATE_TEST_SUITE_P(Stores, UnredactedErasuresTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Sqlite" : "Memory";
                         });

}  // namespace
}  // namespace omniroute
