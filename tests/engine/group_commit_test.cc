// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Group commit: a tenant's commands are applied one at a time but written in
// batches; the commands that arrive while a batch is being written go into
// the next one. Nobody is answered before their events are stored, a failed
// write fails its batch and the one decided on top of it, and the log stays
// contiguous and replays to the same state.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "engine/engine_test_helpers.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/sqlite_event_store.h"
#include "store/forwarding_event_store.h"

namespace omniroute {
namespace {

using testing_internal::EmailMessage;
namespace v1 = ::omniroute::v1;

// A memory store whose next append can be held until the test releases it
// (and then made to fail), and which records every append it stored.
class GatedStore final : public testing_internal::ForwardingEventStore {
 public:
  void HoldNextAppend() {
    absl::MutexLock lock(&mu_);
    hold_next_ = true;
  }
  void WaitUntilHeld() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&held_));
  }
  void Release(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_held_ = fail;
    released_ = true;
  }
  // The external ids of the messages of each stored append, in order.
  std::vector<std::vector<std::string>> Appends() {
    absl::MutexLock lock(&mu_);
    return appends_;
  }

  absl::Status Append(absl::string_view tenant_id,
                      absl::Span<const v1::Event> events) override {
    absl::MutexLock lock(&mu_);
    if (hold_next_) {
      hold_next_ = false;
      held_ = true;
      mu_.Await(absl::Condition(&released_));
      held_ = false;
      released_ = false;
      if (fail_held_) return absl::UnavailableError("disk full");
    }
    if (absl::Status s = inner().Append(tenant_id, events); !s.ok()) return s;
    std::vector<std::string>& ids = appends_.emplace_back();
    for (const v1::Event& e : events) {
      if (e.has_message_recorded()) ids.push_back(e.message_recorded().external_id());
    }
    return absl::OkStatus();
  }

 private:
  absl::Mutex mu_;
  bool hold_next_ ABSL_GUARDED_BY(mu_) = false;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  bool fail_held_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::vector<std::string>> appends_ ABSL_GUARDED_BY(mu_);
};

// The outcome of an asynchronous call, once it arrives.
struct Answer {
  absl::Notification arrived;
  absl::StatusOr<IngestResult> result = absl::UnknownError("no answer");
  auto Callback() {
    return [this](absl::StatusOr<IngestResult> r) {
      result = std::move(r);
      arrived.Notify();
    };
  }
};

// Every stored sequence number of the tenant, in order.
std::vector<uint64_t> StoredSequences(const EventStore& store, absl::string_view tenant) {
  std::vector<uint64_t> sequences;
  EXPECT_TRUE(store
                  .Read(tenant, 1,
                        [&](const v1::Event& e) {
                          sequences.push_back(e.sequence());
                          return true;
                        })
                  .ok());
  return sequences;
}

void ExpectContiguous(const std::vector<uint64_t>& sequences) {
  for (size_t i = 0; i < sequences.size(); ++i) {
    ASSERT_EQ(sequences[i], i + 1) << "gap or repeat at position " << i;
  }
}

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = Engine::Open({.clock = &clock_, .store = &store_});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    ASSERT_TRUE(engine_->CreateTenant("acme", {}).ok());
  }

  // Starts an ingest on another thread whose append the store holds, and
  // returns once the store holds it.
  std::thread StartHeldIngest(absl::StatusOr<IngestResult>* out) {
    store_.HoldNextAppend();
    std::thread writer([this, out] {
      *out = engine_->IngestMessage("acme", EmailMessage("a@example.com", "m-a"));
    });
    store_.WaitUntilHeld();
    return writer;
  }

  ManualClock clock_;
  GatedStore store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(GroupCommitTest, CommandsArrivingDuringAWriteShareTheNextAppend) {
  absl::StatusOr<IngestResult> a = absl::UnknownError("not run");
  std::thread writer = StartHeldIngest(&a);
  const size_t appends_before = store_.Appends().size();

  // Applied at once, answered only once stored: the store is still held.
  Answer b, c;
  engine_->IngestMessageAsync("acme", EmailMessage("b@example.com", "m-b"), b.Callback());
  engine_->IngestMessageAsync("acme", EmailMessage("c@example.com", "m-c"), c.Callback());
  EXPECT_FALSE(b.arrived.HasBeenNotified());
  EXPECT_FALSE(c.arrived.HasBeenNotified());
  EXPECT_EQ(store_.Appends().size(), appends_before);

  store_.Release(/*fail=*/false);
  writer.join();
  b.arrived.WaitForNotification();
  c.arrived.WaitForNotification();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.result.ok()) << b.result.status();
  ASSERT_TRUE(c.result.ok()) << c.result.status();

  // a's append, then one append for both b and c.
  const auto appends = store_.Appends();
  ASSERT_EQ(appends.size(), appends_before + 2);
  EXPECT_EQ(appends[appends_before], std::vector<std::string>({"m-a"}));
  EXPECT_EQ(appends[appends_before + 1], std::vector<std::string>({"m-b", "m-c"}));
  EXPECT_NE(b.result->conversation, c.result->conversation);
  EXPECT_TRUE(engine_->GetConversation("acme", c.result->conversation).ok());
  ExpectContiguous(StoredSequences(store_, "acme"));
  EXPECT_EQ(*engine_->LastSequence("acme"), *store_.LastSequence("acme"));
}

TEST_F(GroupCommitTest, ARedeliveryIsAnsweredOnlyOnceTheOriginalIsStored) {
  absl::StatusOr<IngestResult> a = absl::UnknownError("not run");
  std::thread writer = StartHeldIngest(&a);

  Answer first, again;
  engine_->IngestMessageAsync("acme", EmailMessage("b@example.com", "m-b"), first.Callback());
  // No events of its own, but its answer names what the first one created.
  engine_->IngestMessageAsync("acme", EmailMessage("b@example.com", "m-b"), again.Callback());
  EXPECT_FALSE(again.arrived.HasBeenNotified());

  store_.Release(/*fail=*/false);
  writer.join();
  first.arrived.WaitForNotification();
  again.arrived.WaitForNotification();
  ASSERT_TRUE(first.result.ok()) << first.result.status();
  ASSERT_TRUE(again.result.ok()) << again.result.status();
  EXPECT_EQ(again.result->message, first.result->message);
  EXPECT_EQ(again.result->conversation, first.result->conversation);
}

TEST_F(GroupCommitTest, AFailedWriteFailsItsBatchAndTheCommandsDecidedOnTopOfIt) {
  ASSERT_TRUE(engine_->IngestMessage("acme", EmailMessage("z@example.com", "m-z")).ok());
  const std::string before = *engine_->DumpState("acme");

  absl::StatusOr<IngestResult> a = absl::UnknownError("not run");
  std::thread writer = StartHeldIngest(&a);
  Answer b;
  engine_->IngestMessageAsync("acme", EmailMessage("b@example.com", "m-b"), b.Callback());
  store_.Release(/*fail=*/true);
  writer.join();
  b.arrived.WaitForNotification();

  EXPECT_EQ(a.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(a.status().message().find("disk full"), std::string::npos) << a.status();
  EXPECT_EQ(b.result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(b.result.status().message().find("an earlier command of the tenant failed"),
            std::string::npos)
      << b.result.status();
  // Neither stayed applied.
  EXPECT_EQ(*engine_->DumpState("acme"), before);
  EXPECT_EQ(engine_->FindCustomer("acme", testing_internal::Email("b@example.com")).status().code(),
            absl::StatusCode::kNotFound);

  // The tenant goes on from what is stored, and its log stays contiguous.
  auto c = engine_->IngestMessage("acme", EmailMessage("b@example.com", "m-b"));
  ASSERT_TRUE(c.ok()) << c.status();
  // The lost message's key went with it: this is a new message, not a
  // redelivery of one that was never stored.
  EXPECT_FALSE(c->duplicate);
  ExpectContiguous(StoredSequences(store_, "acme"));
  auto reopened = Engine::Open({.clock = &clock_, .store = &store_});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(*(*reopened)->DumpState("acme"), *engine_->DumpState("acme"));
}

TEST_F(GroupCommitTest, AsyncCallsAnswerRefusalsAtOnce) {
  Answer unknown, bad;
  engine_->IngestMessageAsync("nobody", EmailMessage("b@example.com", "m-b"),
                              unknown.Callback());
  ASSERT_TRUE(unknown.arrived.HasBeenNotified());
  EXPECT_EQ(unknown.result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.result.status().message().find("tenant_id"), std::string::npos);

  InboundMessage no_channel = EmailMessage("b@example.com", "m-b");
  no_channel.channel = v1::CHANNEL_UNSPECIFIED;
  engine_->IngestMessageAsync("acme", no_channel, bad.Callback());
  ASSERT_TRUE(bad.arrived.HasBeenNotified());
  EXPECT_EQ(bad.result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.result.status().message().find("channel"), std::string::npos)
      << bad.result.status();

  const std::string before = *engine_->DumpState("acme");
  Answer oversize;
  InboundMessage big = EmailMessage("b@example.com", "m-big");
  big.body = std::string(TenantOptions{}.max_body_bytes + 1, 'b');
  engine_->IngestMessageAsync("acme", big, oversize.Callback());
  ASSERT_TRUE(oversize.arrived.HasBeenNotified());
  EXPECT_EQ(oversize.result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(oversize.result.status().message().find("body"), std::string::npos)
      << oversize.result.status();
  EXPECT_EQ(*engine_->DumpState("acme"), before);
}

TEST(GroupCommitWithoutStoreTest, AnAsyncIngestIsAnsweredBeforeItReturns) {
  ManualClock clock;
  auto engine = Engine::Open({.clock = &clock});
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE((*engine)->CreateTenant("acme", {}).ok());
  Answer answer;
  (*engine)->IngestMessageAsync("acme", EmailMessage("b@example.com", "m-b"), answer.Callback());
  ASSERT_TRUE(answer.arrived.HasBeenNotified());
  ASSERT_TRUE(answer.result.ok()) << answer.result.status();
  EXPECT_TRUE((*engine)->GetConversation("acme", answer.result->conversation).ok());
}

// Many threads, sync and async, on the real SQLite store: every command is
// answered, the log is contiguous, and a restart rebuilds the same state.
TEST(GroupCommitSqliteTest, ConcurrentCommandsAllLandAndReplayToTheSameState) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      absl::StrCat("group_commit_", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  SqliteStoreOptions options;
  options.path = (dir / "events.db").string();
  auto store = OpenSqliteEventStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  ManualClock clock;
  auto engine = Engine::Open({.clock = &clock, .store = store->get()});
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE((*engine)->CreateTenant("acme", {}).ok());

  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::unique_ptr<Answer>> answers;
      for (int i = 0; i < kPerThread; ++i) {
        // Ten customers per thread, each writing again and again.
        const std::string sender = absl::StrCat("c", t, "-", i % 10, "@example.com");
        const std::string id = absl::StrCat("m-", t, "-", i);
        if (i % 2 == 0) {
          if (!(*engine)->IngestMessage("acme", EmailMessage(sender, id)).ok()) ++failures;
        } else {
          auto& answer = answers.emplace_back(std::make_unique<Answer>());
          (*engine)->IngestMessageAsync("acme", EmailMessage(sender, id), answer->Callback());
        }
      }
      for (auto& answer : answers) {
        answer->arrived.WaitForNotification();
        if (!answer->result.ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  const std::vector<uint64_t> sequences = StoredSequences(**store, "acme");
  ExpectContiguous(sequences);
  EXPECT_EQ(sequences.size(), *(*engine)->LastSequence("acme"));
  const std::string state = *(*engine)->DumpState("acme");
  for (int t = 0; t < kThreads; ++t) {
    for (int c = 0; c < 10; ++c) {
      EXPECT_TRUE((*engine)
                      ->FindCustomer("acme", testing_internal::Email(
                                                 absl::StrCat("c", t, "-", c, "@example.com")))
                      .ok());
    }
  }
  engine->reset();
  auto reopened = Engine::Open({.clock = &clock, .store = store->get()});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(*(*reopened)->DumpState("acme"), state);
  reopened->reset();
  store->reset();
  std::filesystem::remove_all(dir);
}

// Messages are found by key in the store once stored, and before that among
// the batches in flight: a reply to a message still being written joins it.
TEST_F(GroupCommitTest, RepliesFindMessagesThatAreNotStoredYet) {
  absl::StatusOr<IngestResult> a = absl::UnknownError("not run");
  std::thread writer = StartHeldIngest(&a);

  Answer dm, email, reply, dm_again;
  engine_->IngestMessageAsync(
      "acme", testing_internal::DirectMessage("x", "ann", "dm-1", "hi", "thread-9"),
      dm.Callback());
  engine_->IngestMessageAsync("acme", EmailMessage("b@example.com", "m-b"), email.Callback());
  // Both reference what is in flight: by reference and by thread key.
  engine_->IngestMessageAsync("acme", EmailMessage("b@example.com", "m-c", "re", {"m-b"}),
                              reply.Callback());
  engine_->IngestMessageAsync(
      "acme", testing_internal::DirectMessage("x", "ann", "dm-2", "again", "thread-9"),
      dm_again.Callback());
  store_.Release(/*fail=*/false);
  writer.join();
  for (Answer* answer : {&dm, &email, &reply, &dm_again}) {
    answer->arrived.WaitForNotification();
    ASSERT_TRUE(answer->result.ok()) << answer->result.status();
  }
  EXPECT_EQ(reply.result->conversation, email.result->conversation);
  EXPECT_EQ(reply.result->outcome, v1::THREAD_OUTCOME_JOINED_BY_REFERENCE);
  EXPECT_EQ(dm_again.result->conversation, dm.result->conversation);
  EXPECT_EQ(dm_again.result->outcome, v1::THREAD_OUTCOME_JOINED_BY_REFERENCE);

  // Stored now: the store answers, and a new engine on it too.
  auto redelivered = engine_->IngestMessage("acme", EmailMessage("b@example.com", "m-c"));
  ASSERT_TRUE(redelivered.ok()) << redelivered.status();
  EXPECT_TRUE(redelivered->duplicate);
  EXPECT_EQ(redelivered->message, reply.result->message);
  auto reopened = Engine::Open({.clock = &clock_, .store = &store_});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto dm_later = (*reopened)->IngestMessage(
      "acme", testing_internal::DirectMessage("x", "ann", "dm-3", "later", "thread-9"));
  ASSERT_TRUE(dm_later.ok()) << dm_later.status();
  EXPECT_EQ(dm_later->conversation, dm.result->conversation);
}

}  // namespace
}  // namespace omniroute
