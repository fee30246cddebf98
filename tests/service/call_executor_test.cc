// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/call_executor.h"

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace omniroute::service {
namespace {

TEST(CallExecutorTest, OneThreadRunsCallsInArrivalOrder) {
  std::vector<int> order;
  {
    CallExecutor executor(1);
    for (int i = 0; i < 100; ++i) executor.Submit([&order, i] { order.push_back(i); });
  }  // The destructor runs what was submitted, then joins.
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

// Each call blocks until all of them have started: this finishes only if
// the executor runs that many calls at the same time.
TEST(CallExecutorTest, RunsAsManyBlockedCallsAtOnceAsItHasThreads) {
  constexpr int kThreads = 16;
  absl::Mutex mu;
  int started = 0;
  int finished = 0;
  {
    CallExecutor executor(kThreads);
    for (int i = 0; i < kThreads; ++i) {
      executor.Submit([&] {
        absl::MutexLock lock(&mu);
        ++started;
        mu.Await(absl::Condition(+[](int* n) { return *n == kThreads; }, &started));
        ++finished;
      });
    }
  }
  EXPECT_EQ(finished, kThreads);
}

TEST(CallExecutorTest, CallsMayOwnWhatTheyCapture) {
  int seen = 0;
  {
    CallExecutor executor(2);
    auto value = std::make_unique<int>(42);
    executor.Submit([value = std::move(value), &seen] { seen = *value; });
  }
  EXPECT_EQ(seen, 42);
}

}  // namespace
}  // namespace omniroute::service
