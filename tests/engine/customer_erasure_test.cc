// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// EraseCustomer: a customer's data (and that of the customers merged into
// it) leaves memory, the stored events, the message index and snapshots;
// conversations stay, closed; the redacted log replays to the same state;
// refusals (unknown, absorbed, work in progress) change nothing; a second
// erasure records nothing more. On a real SQLite file, no byte of the
// erased data is left in the database, its write-ahead log or its index.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "engine/engine_test_helpers.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/sqlite_event_store.h"
#include "omniroute/v1/export.pb.h"
#include "store/sqlite_test_files.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_internal::EmailMessage;

constexpr char kTenant[] = "acme";

// Every event of the tenant in `store`.
std::vector<v1::Event> ReadLog(const EventStore& store) {
  std::vector<v1::Event> events;
  EXPECT_TRUE(store
                  .Read(kTenant, 1,
                        [&](const v1::Event& e) {
                          events.push_back(e);
                          return true;
                        })
                  .ok());
  return events;
}

// The dump of the state folded from scratch from `store`'s events (copied
// into a fresh store, so no snapshot is used).
std::string ReplayedDump(const EventStore& store) {
  std::unique_ptr<EventStore> copy = NewMemoryEventStore();
  EXPECT_TRUE(copy->Append(kTenant, ReadLog(store)).ok());
  auto engine = Engine::Open({.store = copy.get()});
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (!engine.ok()) return "";
  auto dump = (*engine)->DumpState(kTenant);
  EXPECT_TRUE(dump.ok()) << dump.status();
  return dump.ok() ? *dump : "";
}

class CustomerErasureTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(NewMemoryEventStore()); }

  void Open(std::unique_ptr<EventStore> store, uint64_t snapshot_every_events = 0) {
    engine_.reset();
    store_ = std::move(store);
    auto engine = Engine::Open({.clock = &clock_,
                                .store = store_.get(),
                                .snapshot_every_events = snapshot_every_events,
                                .on_commit = [this](absl::string_view,
                                                    absl::Span<const v1::Event> events) {
                                  committed_.insert(committed_.end(), events.begin(), events.end());
                                }});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    ASSERT_TRUE(engine_->CreateTenant(kTenant, {}).ok());
  }

  // Ingests and gives up the task it made, so that the customer has no
  // work in progress.
  IngestResult Ingest(const InboundMessage& message) {
    auto result = engine_->IngestMessage(kTenant, message);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return {};
    if (result->task.has_value()) {
      EXPECT_TRUE(engine_->AbandonTask(kTenant, *result->task).ok());
    }
    clock_.Advance(absl::Minutes(1));
    return *result;
  }

  // A (social, named) absorbs B (email); C is someone else.
  void MakeCustomers() {
    InboundMessage post = testing_internal::PublicPost("x", "ann_marker", "p-1",
                                                       "ann-body-marker spoiled jar");
    post.profile.display_name = "Ann Display Marker";
    a_ = Ingest(post);
    b_ = Ingest(EmailMessage("ann.marker@example.com", "e-1", "ann-email-marker photo"));
    c_ = Ingest(EmailMessage("cy.keeper@example.com", "c-1", "cy-body-keeper"));
    auto linked = engine_->LinkIdentity(kTenant, a_.customer,
                                        testing_internal::Email("ann.marker@example.com"),
                                        Actor::Agent("camille"));
    ASSERT_TRUE(linked.ok()) << linked.status();
    ASSERT_EQ(linked->customer, a_.customer);
  }

  std::vector<v1::CustomerExportRecord> Export(CustomerId customer) {
    std::vector<v1::CustomerExportRecord> records;
    absl::Status s = engine_->ExportCustomer(kTenant, customer, [&](absl::string_view line) {
      v1::CustomerExportRecord& record = records.emplace_back();
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &record).ok());
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return records;
  }

  std::string Bodies(ConversationId conversation) {
    auto timeline = engine_->GetTimeline(kTenant, conversation);
    EXPECT_TRUE(timeline.ok()) << timeline.status();
    std::string out;
    if (!timeline.ok()) return out;
    for (const TimelineEntry& entry : *timeline) {
      if (entry.message.has_value()) out += entry.message->body + "|";
    }
    return out;
  }

  ManualClock clock_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<Engine> engine_;
  std::vector<v1::Event> committed_;
  IngestResult a_, b_, c_;
};

TEST_F(CustomerErasureTest, ErasingTheSurvivorErasesWhatWasMergedIntoIt) {
  MakeCustomers();
  ASSERT_TRUE(engine_->EraseCustomer(kTenant, a_.customer, Actor::Agent("dpo")).ok());

  for (CustomerId id : {a_.customer, b_.customer}) {
    auto customer = engine_->GetCustomer(kTenant, id);
    ASSERT_TRUE(customer.ok()) << customer.status();
    EXPECT_TRUE(customer->erased);
    EXPECT_EQ(customer->display_name, "");
    EXPECT_THAT(customer->identities, IsEmpty());
  }
  EXPECT_EQ(engine_->FindCustomer(kTenant, testing_internal::Email("ann.marker@example.com"))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine_->FindCustomer(kTenant, testing_internal::Handle("x", "ann_marker"))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  // The conversations stay (the merge joined them into one thread), closed,
  // with their messages' records and no text.
  auto thread = engine_->GetConversation(kTenant, a_.conversation);
  ASSERT_TRUE(thread.ok()) << thread.status();
  EXPECT_EQ(thread->status, v1::CONVERSATION_STATUS_CLOSED);
  EXPECT_EQ(Bodies(a_.conversation), "||");
  auto joined = engine_->GetConversation(kTenant, b_.conversation);
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->status, v1::CONVERSATION_STATUS_MERGED);
  // The other customer is untouched.
  auto other = engine_->FindCustomer(kTenant, testing_internal::Email("cy.keeper@example.com"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_FALSE(other->erased);
  EXPECT_EQ(Bodies(c_.conversation), "cy-body-keeper|");
  auto other_conversation = engine_->GetConversation(kTenant, c_.conversation);
  ASSERT_TRUE(other_conversation.ok());
  EXPECT_EQ(other_conversation->status, v1::CONVERSATION_STATUS_OPEN);

  // Nothing of the erased data is left in any stored event.
  for (const v1::Event& event : ReadLog(*store_)) {
    const std::string bytes = event.SerializeAsString();
    for (const char* marker : {"ann-body-marker", "ann-email-marker", "Ann Display Marker",
                               "ann.marker@example.com", "ann_marker", "p-1", "e-1"}) {
      EXPECT_FALSE(absl::StrContains(bytes, marker))
          << marker << " in event " << event.sequence();
    }
  }
  EXPECT_EQ(engine_->GetTimeline(kTenant, c_.conversation)->size(), 1u);
}

TEST_F(CustomerErasureTest, TheRedactedLogReplaysToTheSameState) {
  MakeCustomers();
  ASSERT_TRUE(engine_->EraseCustomer(kTenant, a_.customer, Actor::System()).ok());
  auto live = engine_->DumpState(kTenant);
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(ReplayedDump(*store_), *live);
  EXPECT_FALSE(absl::StrContains(*live, "ann_marker"));
  EXPECT_FALSE(absl::StrContains(*live, "Ann Display Marker"));
}

TEST_F(CustomerErasureTest, TheChangeFeedCarriesTheErasureWithoutData) {
  MakeCustomers();
  committed_.clear();
  ASSERT_TRUE(engine_->EraseCustomer(kTenant, a_.customer, Actor::Agent("dpo")).ok());
  ASSERT_FALSE(committed_.empty());
  const v1::Event& last = committed_.back();
  ASSERT_TRUE(last.has_customer_erased());
  EXPECT_EQ(last.customer_erased().customer_id(), a_.customer.value());
  EXPECT_THAT(last.customer_erased().erased_with_customer_ids(),
              ElementsAre(b_.customer.value()));
  EXPECT_THAT(last.customer_erased().conversation_ids(),
              ElementsAre(a_.conversation.value(), b_.conversation.value()));
  for (size_t i = 0; i + 1 < committed_.size(); ++i) {
    EXPECT_TRUE(committed_[i].has_conversation_status_changed());
    EXPECT_EQ(committed_[i].conversation_status_changed().reason(), "customer erased");
  }
}

TEST_F(CustomerErasureTest, AnErasedCustomerExportsOnlyTheErasure) {
  MakeCustomers();
  ASSERT_TRUE(engine_->EraseCustomer(kTenant, a_.customer, Actor::System()).ok());
  for (CustomerId asked : {a_.customer, b_.customer}) {
    const std::vector<v1::CustomerExportRecord> records = Export(asked);
    ASSERT_EQ(records.size(), 1u);
    ASSERT_TRUE(records[0].has_erasure());
    EXPECT_EQ(records[0].erasure().customer_id(), a_.customer.value());
    EXPECT_THAT(records[0].erasure().erased_with_customer_ids(), ElementsAre(b_.customer.value()));
    EXPECT_TRUE(records[0].erasure().has_erased_at());
  }
}

TEST_F(CustomerErasureTest, ErasingTwiceRecordsNothingMore) {
  MakeCustomers();
  ASSERT_TRUE(engine_->EraseCustomer(kTenant, a_.customer, Actor::System()).ok());
  auto last = engine_->LastSequence(kTenant);
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(engine_->EraseCustomer(kTenant, a_.customer, Actor::System()).ok());
  EXPECT_TRUE(engine_->EraseCustomer(kTenant, b_.customer, Actor::System()).ok());
  EXPECT_EQ(*engine_->LastSequence(kTenant), *last);
}

TEST_F(CustomerErasureTest, RefusalsNameTheReasonAndChangeNothing) {
  MakeCustomers();
  auto before = engine_->LastSequence(kTenant);
  ASSERT_TRUE(before.ok());

  absl::Status unknown = engine_->EraseCustomer(kTenant, CustomerId(99), Actor::System());
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("customer/99"));

  absl::Status absorbed = engine_->EraseCustomer(kTenant, b_.customer, Actor::System());
  EXPECT_EQ(absorbed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(absorbed.message(), HasSubstr(ToString(a_.customer)));
  EXPECT_THAT(absorbed.message(), HasSubstr("unmerge"));

  absl::Status no_actor = engine_->EraseCustomer(
      kTenant, a_.customer, Actor{v1::ACTOR_KIND_UNSPECIFIED, ""});
  EXPECT_EQ(no_actor.code(), absl::StatusCode::kInvalidArgument);

  // A message that waits for an answer is work in progress.
  auto waiting = engine_->IngestMessage(kTenant, EmailMessage("ann.marker@example.com", "e-2",
                                                              "any news?"));
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  ASSERT_TRUE(waiting->task.has_value());
  before = engine_->LastSequence(kTenant);
  absl::Status live = engine_->EraseCustomer(kTenant, a_.customer, Actor::System());
  EXPECT_EQ(live.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(live.message(), HasSubstr(ToString(*waiting->task)));
  EXPECT_EQ(*engine_->LastSequence(kTenant), *before);
  auto customer = engine_->GetCustomer(kTenant, a_.customer);
  ASSERT_TRUE(customer.ok());
  EXPECT_FALSE(customer->erased);

  ASSERT_TRUE(engine_->AbandonTask(kTenant, *waiting->task).ok());
  EXPECT_TRUE(engine_->EraseCustomer(kTenant, a_.customer, Actor::System()).ok());
}

TEST_F(CustomerErasureTest, AnErasedCustomerCannotBeUnmergedNorLinked) {
  MakeCustomers();
  ASSERT_TRUE(engine_->EraseCustomer(kTenant, a_.customer, Actor::System()).ok());
  absl::Status unmerge = engine_->UnmergeCustomer(kTenant, b_.customer, Actor::System());
  EXPECT_EQ(unmerge.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(unmerge.message(), HasSubstr("erased"));
  auto link = engine_->LinkIdentity(kTenant, a_.customer, testing_internal::Email("x@example.com"),
                                    Actor::System());
  EXPECT_EQ(link.status().code(), absl::StatusCode::kFailedPrecondition);
  auto merge = engine_->MergeCustomers(kTenant, a_.customer, c_.customer, Actor::System());
  EXPECT_EQ(merge.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CustomerErasureTest, TheSamePersonWritingAgainIsANewCustomer) {
  MakeCustomers();
  ASSERT_TRUE(engine_->EraseCustomer(kTenant, a_.customer, Actor::System()).ok());
  // The erased message's external id is forgotten too: not a redelivery.
  IngestResult again = Ingest(EmailMessage("ann.marker@example.com", "e-1", "hello again"));
  EXPECT_NE(again.customer, a_.customer);
  EXPECT_NE(again.customer, b_.customer);
  EXPECT_NE(again.conversation, b_.conversation);
  auto live = engine_->DumpState(kTenant);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(ReplayedDump(*store_), *live);
}

TEST_F(CustomerErasureTest, SnapshotsBeforeTheErasureAreReplaced) {
  Open(NewMemoryEventStore(), /*snapshot_every_events=*/1000);
  MakeCustomers();
  ASSERT_TRUE(engine_->TakeSnapshot(kTenant).ok());
  ASSERT_TRUE(absl::StrContains(store_->LoadSnapshot(kTenant)->state, "Ann Display Marker"));
  ASSERT_TRUE(engine_->EraseCustomer(kTenant, a_.customer, Actor::System()).ok());
  auto snapshot = store_->LoadSnapshot(kTenant);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->sequence, *engine_->LastSequence(kTenant));
  for (const char* marker : {"Ann Display Marker", "ann.marker@example.com", "ann_marker"}) {
    EXPECT_FALSE(absl::StrContains(snapshot->state, marker)) << marker;
  }
  // Recovery from the new snapshot gives the live state.
  auto live = engine_->DumpState(kTenant);
  ASSERT_TRUE(live.ok());
  auto reopened = Engine::Open({.clock = &clock_, .store = store_.get()});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(*(*reopened)->DumpState(kTenant), *live);
}

// The whole content of a file, or "" if it does not exist.
std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(CustomerErasureSqliteTest, NoByteOfTheErasedCustomerIsLeftInTheFiles) {
  testing_internal::ScratchDir dir;
  const std::string path = dir.File("events.db");
  auto store = OpenSqliteEventStore({.path = path});
  ASSERT_TRUE(store.ok()) << store.status();
  ManualClock clock;
  auto engine = Engine::Open({.clock = &clock, .store = store->get(),
                              .snapshot_every_events = 5});
  ASSERT_TRUE(engine.ok()) << engine.status();
  Engine& e = **engine;
  ASSERT_TRUE(e.CreateTenant(kTenant, {}).ok());

  auto ingest = [&](const InboundMessage& m) {
    auto r = e.IngestMessage(kTenant, m);
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok() && r->task.has_value()) EXPECT_TRUE(e.AbandonTask(kTenant, *r->task).ok());
    clock.Advance(absl::Minutes(1));
    return r.ok() ? *r : IngestResult{};
  };
  InboundMessage post = testing_internal::PublicPost("x", "zq_erased_handle", "zq-post-1",
                                                     "zqErasedBodyMarker jar spoiled");
  post.profile.display_name = "Zq Erased Name";
  const IngestResult erased = ingest(post);
  ingest(EmailMessage("zq.erased.mail@example.com", "zq-mail-1", "zqErasedMailMarker photo"));
  ASSERT_TRUE(e.LinkIdentity(kTenant, erased.customer,
                             testing_internal::Email("zq.erased.mail@example.com"),
                             Actor::Agent("camille"))
                  .ok());
  InboundMessage kept_post =
      testing_internal::PublicPost("x", "zq_kept_handle", "zq-kept-1", "zqKeptBodyMarker hello");
  kept_post.profile.display_name = "Zq Kept Name";
  ingest(kept_post);
  ASSERT_TRUE(e.TakeSnapshot(kTenant).ok());
  e.WaitForSnapshots();

  ASSERT_TRUE(e.EraseCustomer(kTenant, erased.customer, Actor::Agent("dpo")).ok());

  const std::string files = FileBytes(path) + FileBytes(path + "-wal") + FileBytes(path + "-shm");
  ASSERT_FALSE(files.empty());
  for (const char* marker : {"zqErasedBodyMarker", "zqErasedMailMarker", "Zq Erased Name",
                             "zq_erased_handle", "zq.erased.mail@example.com", "zq-post-1",
                             "zq-mail-1"}) {
    EXPECT_FALSE(absl::StrContains(files, marker)) << marker << " is still in the files";
  }
  for (const char* marker : {"zqKeptBodyMarker", "Zq Kept Name", "zq_kept_handle"}) {
    EXPECT_TRUE(absl::StrContains(files, marker)) << marker << " is missing";
  }
  // And in the snapshot the engine saved after the erasure.
  auto snapshot = (*store)->LoadSnapshot(kTenant);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_FALSE(absl::StrContains(snapshot->state, "Zq Erased Name"));
  EXPECT_FALSE(absl::StrContains(snapshot->state, "zq_erased_handle"));
  EXPECT_TRUE(absl::StrContains(snapshot->state, "Zq Kept Name"));
}

}  // namespace
}  // namespace omniroute
