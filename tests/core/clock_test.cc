// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "omniroute/clock.h"

#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace omniroute {
namespace {

TEST(ManualClockTest, StartsAtTheFixedDefault) {
  ManualClock clock;
  EXPECT_EQ(clock.Now(),
            absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), absl::UTCTimeZone()));
}

TEST(ManualClockTest, StartsWhereToldToTheNanosecond) {
  const absl::Time start = absl::FromUnixSeconds(1000) + absl::Nanoseconds(7);
  ManualClock clock(start);
  EXPECT_EQ(clock.Now(), start);
}

TEST(ManualClockTest, StandsStillUntilAdvanced) {
  ManualClock clock;
  const absl::Time start = clock.Now();
  EXPECT_EQ(clock.Now(), start);
  EXPECT_EQ(clock.Now(), start);
}

TEST(ManualClockTest, AdvanceMovesForward) {
  ManualClock clock;
  const absl::Time start = clock.Now();
  clock.Advance(absl::Minutes(5));
  EXPECT_EQ(clock.Now(), start + absl::Minutes(5));
  clock.Advance(absl::Nanoseconds(1));
  EXPECT_EQ(clock.Now(), start + absl::Minutes(5) + absl::Nanoseconds(1));
}

TEST(ManualClockTest, AdvanceIgnoresNegativeAndZero) {
  ManualClock clock;
  const absl::Time start = clock.Now();
  clock.Advance(absl::Seconds(-1));
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(-absl::InfiniteDuration());
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(absl::ZeroDuration());
  EXPECT_EQ(clock.Now(), start);
}

TEST(ManualClockTest, AdvanceToMovesForward) {
  ManualClock clock;
  const absl::Time target = clock.Now() + absl::Hours(3);
  clock.AdvanceTo(target);
  EXPECT_EQ(clock.Now(), target);
  clock.AdvanceTo(target);  // The same time again: nothing to do.
  EXPECT_EQ(clock.Now(), target);
}

TEST(ManualClockTest, AdvanceToIgnoresEarlierTimes) {
  ManualClock clock;
  const absl::Time start = clock.Now();
  clock.AdvanceTo(start - absl::Nanoseconds(1));
  EXPECT_EQ(clock.Now(), start);
  clock.AdvanceTo(absl::UnixEpoch());
  EXPECT_EQ(clock.Now(), start);
  clock.AdvanceTo(absl::InfinitePast());
  EXPECT_EQ(clock.Now(), start);
}

TEST(ManualClockTest, HugeAdvanceNeverWrapsBackwards) {
  ManualClock clock;
  const absl::Time start = clock.Now();
  clock.Advance(absl::Hours(24 * 365 * 300));  // Past the year 2262.
  const absl::Time far = clock.Now();
  EXPECT_GT(far, start);
  clock.Advance(absl::Hours(1));
  EXPECT_GE(clock.Now(), far);
  clock.Advance(absl::InfiniteDuration());
  EXPECT_GE(clock.Now(), far);
}

TEST(ManualClockTest, ConcurrentAdvancesAllCount) {
  ManualClock clock;
  const absl::Time start = clock.Now();
  constexpr int kThreads = 4;
  constexpr int kSteps = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&clock] {
      for (int i = 0; i < kSteps; ++i) clock.Advance(absl::Milliseconds(1));
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(clock.Now(), start + absl::Milliseconds(kThreads * kSteps));
}

TEST(ManualClockTest, ConcurrentAdvanceToKeepsTheLatestAndNeverGoesBack) {
  ManualClock clock;
  const absl::Time start = clock.Now();
  constexpr int kThreads = 4;
  constexpr int kSteps = 20000;
  std::vector<std::thread> threads;
  // Each writer walks forward on its own schedule, so the writers race each
  // other back and forth; the reader checks that no race shows.
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&clock, start, t] {
      for (int i = 0; i <= kSteps; ++i) clock.AdvanceTo(start + absl::Microseconds(i * (t + 1)));
    });
  }
  bool went_back = false;
  threads.emplace_back([&clock, &went_back] {
    absl::Time last = clock.Now();
    for (int i = 0; i < kSteps; ++i) {
      const absl::Time now = clock.Now();
      if (now < last) went_back = true;
      last = now;
    }
  });
  for (std::thread& thread : threads) thread.join();
  EXPECT_FALSE(went_back);
  EXPECT_EQ(clock.Now(), start + absl::Microseconds(kSteps * kThreads));
}

TEST(SystemClockTest, IsOneObjectReadingTheWallClock) {
  Clock& clock = SystemClock();
  EXPECT_EQ(&clock, &SystemClock());
  const absl::Time before = absl::Now();
  const absl::Time now = clock.Now();
  const absl::Time after = absl::Now();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

}  // namespace
}  // namespace omniroute
