// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// LoadStoredState (lib/engine/stored_state.cc): the snapshot, then the
// events after it, read ahead on a second thread up to a limit and the rest
// as the fold goes. Whatever the limit, the state is the fold of the whole
// log; an event of the tail that does not fit fails the load; a read ahead
// that fails is read again.

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/engine_test_helpers.h"
#include "engine/stored_state.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "store/forwarding_event_store.h"
#include "tenant/state_dump.h"

namespace omniroute {
namespace {

using testing_internal::EmailMessage;
namespace v1 = ::omniroute::v1;

// Fails the first `failures` reads that start after sequence 1, then
// passes them through.
class FlakyTailStore : public testing_internal::ForwardingEventStore {
 public:
  explicit FlakyTailStore(EventStore& inner) : ForwardingEventStore(inner) {}

  absl::Status Read(
      absl::string_view tenant_id, uint64_t from_sequence,
      const std::function<bool(const v1::Event&)>& visitor) const override {
    if (from_sequence > 1 && failures_.fetch_sub(1) > 0) {
      return absl::UnavailableError("the disk went away for a moment");
    }
    return ForwardingEventStore::Read(tenant_id, from_sequence, visitor);
  }

  mutable std::atomic<int> failures_{0};
};

class StoredStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = Engine::Open({.clock = &clock_, .store = store_.get()});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    ASSERT_TRUE(engine_->CreateTenant("acme", {}).ok());
    Ingest(0, 10);
    ASSERT_TRUE(engine_->TakeSnapshot("acme").ok());
    snapshot_sequence_ = store_->LoadSnapshot("acme")->sequence;
    // The tail: new customers (four events each) and known ones (one).
    Ingest(10, 25);
    Ingest(0, 10);
    ASSERT_GT(*engine_->LastSequence("acme"), snapshot_sequence_ + 40);
  }

  void Ingest(int from, int to) {
    for (int i = from; i < to; ++i) {
      auto r = engine_->IngestMessage(
          "acme", EmailMessage(absl::StrCat("c", i, "@example.com"), absl::StrCat("m", ++sent_)));
      ASSERT_TRUE(r.ok()) << r.status();
      clock_.Advance(absl::Seconds(3));
    }
  }

  ManualClock clock_;
  std::unique_ptr<EventStore> store_ = NewMemoryEventStore();
  std::unique_ptr<Engine> engine_;
  uint64_t snapshot_sequence_ = 0;
  int sent_ = 0;
};

TEST_F(StoredStateTest, ATailLongerOrShorterThanTheReadAheadGivesTheWholeFold) {
  const std::string expected = *engine_->DumpState("acme");
  for (size_t limit : {size_t{0}, size_t{1}, size_t{7}, kDefaultPrefetchEvents}) {
    absl::StatusOr<StoredState> loaded = LoadStoredState(*store_, "acme", limit);
    ASSERT_TRUE(loaded.ok()) << loaded.status() << " read ahead " << limit;
    EXPECT_EQ(loaded->snapshot_sequence, snapshot_sequence_) << "read ahead " << limit;
    EXPECT_EQ(loaded->state.last_sequence(), *engine_->LastSequence("acme"));
    EXPECT_EQ(tenant::DumpState(loaded->state), expected) << "read ahead " << limit;
  }
}

TEST_F(StoredStateTest, AnEventOfTheTailThatDoesNotFitFailsTheLoad) {
  // A message into a conversation that does not exist, stored after the
  // rest.
  v1::Event misfit;
  misfit.set_sequence(*engine_->LastSequence("acme") + 1);
  misfit.set_tenant_id("acme");
  auto* m = misfit.mutable_message_recorded();
  m->set_message_id(1'000'000);
  m->set_conversation_id(999'999);
  m->set_channel(v1::CHANNEL_EMAIL);
  ASSERT_TRUE(store_->Append("acme", {misfit}).ok());
  // Found among the events read ahead, and among those read after.
  for (size_t limit : {kDefaultPrefetchEvents, size_t{3}}) {
    absl::StatusOr<StoredState> loaded = LoadStoredState(*store_, "acme", limit);
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss)
        << loaded.status() << " read ahead " << limit;
  }
}

TEST_F(StoredStateTest, AReadAheadThatFailsIsReadAgain) {
  FlakyTailStore flaky(*store_);
  flaky.failures_ = 1;
  absl::StatusOr<StoredState> loaded = LoadStoredState(flaky, "acme");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(tenant::DumpState(loaded->state), *engine_->DumpState("acme"));
  // A store that keeps failing fails the load with its error.
  flaky.failures_ = 2;
  EXPECT_EQ(LoadStoredState(flaky, "acme").status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace omniroute
