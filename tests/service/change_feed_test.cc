// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/change_feed.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::service {
namespace {

using ::omniroute::v1::Event;

std::vector<Event> Events(uint64_t first, uint64_t count) {
  std::vector<Event> events(count);
  for (uint64_t i = 0; i < count; ++i) {
    events[i].set_sequence(first + i);
    events[i].mutable_message_recorded()->set_body("Where is my parcel?");
  }
  return events;
}

// The sequences of what `subscription` holds, in order; *overflowed and
// *ended as Take set them.
std::vector<uint64_t> Sequences(Subscription& subscription, bool* overflowed = nullptr,
                                absl::Status* ended = nullptr) {
  bool o = false;
  absl::Status e;
  std::vector<uint64_t> out;
  for (const EventBatch& batch : subscription.Take(&o, &e)) {
    for (const Event& event : *batch) out.push_back(event.sequence());
  }
  if (overflowed != nullptr) *overflowed = o;
  if (ended != nullptr) *ended = e;
  return out;
}

TEST(ChangeFeedTest, EverySubscriberOfTheTenantGetsEveryCommitInOrder) {
  ChangeFeed feed;
  std::shared_ptr<Subscription> a = feed.Subscribe("acme");
  std::shared_ptr<Subscription> b = feed.Subscribe("acme");
  std::shared_ptr<Subscription> other = feed.Subscribe("globex");
  feed.Publish("acme", Events(1, 3));
  feed.Publish("acme", Events(4, 2));
  const std::vector<uint64_t> expected = {1, 2, 3, 4, 5};
  EXPECT_EQ(Sequences(*a), expected);
  EXPECT_EQ(Sequences(*b), expected);
  EXPECT_TRUE(Sequences(*other).empty());
  // Taken: nothing is left.
  EXPECT_TRUE(Sequences(*a).empty());
  EXPECT_EQ(feed.subscriber_count(), 3u);
}

TEST(ChangeFeedTest, ACommitIsCopiedOnceAndSharedBySubscribers) {
  ChangeFeed feed;
  std::shared_ptr<Subscription> a = feed.Subscribe("acme");
  std::shared_ptr<Subscription> b = feed.Subscribe("acme");
  const std::vector<Event> events = Events(1, 2);
  feed.Publish("acme", events);
  bool overflowed = false;
  absl::Status ended;
  std::deque<EventBatch> from_a = a->Take(&overflowed, &ended);
  std::deque<EventBatch> from_b = b->Take(&overflowed, &ended);
  ASSERT_EQ(from_a.size(), 1u);
  ASSERT_EQ(from_b.size(), 1u);
  EXPECT_EQ(from_a.front().get(), from_b.front().get());
  // A copy: the publisher's events may go away.
  EXPECT_NE(from_a.front()->data(), events.data());
  EXPECT_EQ(from_a.front()->at(1).message_recorded().body(), "Where is my parcel?");
}

TEST(ChangeFeedTest, AnInterestedWatcherIsNeitherSentNorWokenForCommitsItDoesNotWant) {
  ChangeFeed feed(/*max_buffered=*/2);
  // Wants even sequences only.
  std::shared_ptr<Subscription> even =
      feed.Subscribe("acme", [](const Event& event) { return event.sequence() % 2 == 0; });
  std::shared_ptr<Subscription> all = feed.Subscribe("acme");
  int wakes = 0;
  even->SetWake([&wakes] { ++wakes; });
  feed.Publish("acme", Events(1, 1));
  feed.Publish("acme", Events(3, 1));
  EXPECT_EQ(wakes, 0);
  // A commit with one wanted event comes whole, in order.
  feed.Publish("acme", Events(5, 2));
  EXPECT_EQ(wakes, 1);
  bool overflowed = true;
  EXPECT_EQ(Sequences(*even, &overflowed), (std::vector<uint64_t>{5, 6}));
  // The unwanted commits did not count against its limit.
  EXPECT_FALSE(overflowed);
  EXPECT_TRUE(Sequences(*all, &overflowed).empty());
  EXPECT_TRUE(overflowed);  // 4 events over a limit of 2
}

TEST(ChangeFeedTest, ASubscriberTooFarBehindIsToldAndHoldsNothing) {
  ChangeFeed feed(/*max_buffered=*/4);
  std::shared_ptr<Subscription> slow = feed.Subscribe("acme");
  feed.Publish("acme", Events(1, 3));
  feed.Publish("acme", Events(4, 1));  // 4 buffered: at the limit, kept
  bool overflowed = true;
  EXPECT_EQ(Sequences(*slow, &overflowed), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_FALSE(overflowed);
  feed.Publish("acme", Events(5, 3));
  feed.Publish("acme", Events(8, 2));  // 5 buffered: over
  feed.Publish("acme", Events(10, 1));
  EXPECT_TRUE(Sequences(*slow, &overflowed).empty());
  EXPECT_TRUE(overflowed);
}

TEST(ChangeFeedTest, UnsubscribedWatchersGetNothingAndWakesStop) {
  ChangeFeed feed;
  std::shared_ptr<Subscription> watcher = feed.Subscribe("acme");
  int wakes = 0;
  watcher->SetWake([&wakes] { ++wakes; });
  feed.Publish("acme", Events(1, 1));
  EXPECT_EQ(wakes, 1);
  feed.Unsubscribe("acme", watcher);
  feed.Publish("acme", Events(2, 1));
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(Sequences(*watcher), (std::vector<uint64_t>{1}));
  EXPECT_EQ(feed.subscriber_count(), 0u);
  // No subscriber at all: nothing to do, nothing kept.
  feed.Publish("nobody", Events(1, 1));
  EXPECT_EQ(feed.subscriber_count(), 0u);
}

TEST(ChangeFeedTest, EndReachesEveryWatcherAfterWhatWasPublished) {
  ChangeFeed feed;
  std::shared_ptr<Subscription> watcher = feed.Subscribe("acme");
  feed.Publish("acme", Events(1, 2));
  feed.End("acme", absl::UnavailableError("acme moved to node-2"));
  bool overflowed = false;
  absl::Status ended;
  EXPECT_EQ(Sequences(*watcher, &overflowed, &ended), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(ended.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ended.message(), "acme moved to node-2");
}

}  // namespace
}  // namespace omniroute::service
