// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// lib/routing/activity.h: the minute of a time (floor, also before 1970),
// the series of minutes kept for the last hour (appending, finding, a late
// minute inserted in order, a minute too old refused, stale minutes
// dropped), window sums and their boundaries, the split of an agent's time
// across minutes, and an agent's activity with its open stretch.

#include "routing/activity.h"

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace omniroute::routing {
namespace {

// 2026-01-01 12:00:00 UTC, on a minute boundary.
const absl::Time kNoon = absl::FromUnixSeconds(1767225600) + absl::Hours(12);
const int64_t kNoonMinute = 1767225600 / 60 + 12 * 60;

template <typename Tally>
std::vector<int64_t> MinutesOf(const MinuteSeries<Tally>& series) {
  std::vector<int64_t> out;
  for (const auto& m : series.minutes()) out.push_back(m.minute);
  return out;
}

int64_t Nanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

// ------------------------------------------------------------ MinuteOf

TEST(MinuteOfTest, CountsWholeMinutesSinceTheEpoch) {
  EXPECT_EQ(MinuteOf(absl::UnixEpoch()), 0);
  EXPECT_EQ(MinuteOf(absl::UnixEpoch() + absl::Seconds(59)), 0);
  EXPECT_EQ(MinuteOf(absl::UnixEpoch() + absl::Minutes(1) - absl::Nanoseconds(1)), 0);
  EXPECT_EQ(MinuteOf(absl::UnixEpoch() + absl::Minutes(1)), 1);
  EXPECT_EQ(MinuteOf(kNoon), kNoonMinute);
  EXPECT_EQ(MinuteOf(kNoon + absl::Seconds(30)), kNoonMinute);
  EXPECT_EQ(MinuteOf(kNoon - absl::Nanoseconds(1)), kNoonMinute - 1);
}

TEST(MinuteOfTest, FloorsTimesBefore1970) {
  // Truncation toward zero would give minute 0 for all of these.
  EXPECT_EQ(MinuteOf(absl::UnixEpoch() - absl::Nanoseconds(1)), -1);
  EXPECT_EQ(MinuteOf(absl::UnixEpoch() - absl::Seconds(30)), -1);
  // An exact boundary before 1970 starts its own minute.
  EXPECT_EQ(MinuteOf(absl::UnixEpoch() - absl::Minutes(1)), -1);
  EXPECT_EQ(MinuteOf(absl::UnixEpoch() - absl::Minutes(1) - absl::Nanoseconds(1)), -2);
  EXPECT_EQ(MinuteOf(absl::UnixEpoch() - absl::Minutes(2)), -2);
  // 1960-01-01 00:00:30 UTC: -315619200 s, 30 s into minute -5260320.
  const absl::Time t = absl::FromUnixSeconds(-315619200 + 30);
  EXPECT_EQ(MinuteOf(t), -5260320);
  EXPECT_EQ(StartOfMinute(MinuteOf(t)), absl::FromUnixSeconds(-315619200));
}

TEST(MinuteOfTest, StartOfMinuteIsTheInverseOnBoundaries) {
  for (int64_t minute : {int64_t{-3}, int64_t{-1}, int64_t{0}, int64_t{1}, kNoonMinute}) {
    EXPECT_EQ(MinuteOf(StartOfMinute(minute)), minute) << minute;
    EXPECT_EQ(MinuteOf(StartOfMinute(minute) - absl::Nanoseconds(1)), minute - 1) << minute;
  }
  EXPECT_EQ(StartOfMinute(kNoonMinute), kNoon);
  EXPECT_EQ(StartOfMinute(-1), absl::UnixEpoch() - absl::Minutes(1));
}

// ------------------------------------------------------------ MinuteSeries::At

TEST(MinuteSeriesTest, AppendsANewMinuteAndFindsTheNewest) {
  MinuteSeries<QueueTally> series;
  EXPECT_TRUE(series.minutes().empty());
  QueueTally* first = series.At(100);
  ASSERT_NE(first, nullptr);
  first->offered = 1;
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{100}));
  // The same minute again: the same tally, nothing added.
  QueueTally* again = series.At(100);
  EXPECT_EQ(again, first);
  again->offered += 1;
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{100}));
  EXPECT_EQ(series.minutes()[0].tally.offered, 2);

  ASSERT_NE(series.At(103), nullptr);
  series.At(103)->answered = 5;
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{100, 103}));
  EXPECT_EQ(series.minutes()[1].tally.answered, 5);
  EXPECT_EQ(series.minutes()[1].tally.offered, 0);
}

TEST(MinuteSeriesTest, InsertsASlightlyOlderMinuteInOrderAndFindsOlderOnes) {
  MinuteSeries<QueueTally> series;
  series.At(100)->offered = 1;
  series.At(105)->offered = 2;
  series.At(110)->offered = 3;
  // A late event of minute 107, and of 101: inserted where they belong.
  QueueTally* late = series.At(107);
  ASSERT_NE(late, nullptr);
  late->offered = 40;
  series.At(101)->offered = 50;
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{100, 101, 105, 107, 110}));
  // An older minute already held is found, not duplicated.
  series.At(105)->offered += 20;
  series.At(100)->offered += 10;
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{100, 101, 105, 107, 110}));
  std::vector<int64_t> offered;
  for (const auto& m : series.minutes()) offered.push_back(m.tally.offered);
  EXPECT_EQ(offered, (std::vector<int64_t>{11, 50, 22, 40, 3}));
}

TEST(MinuteSeriesTest, RefusesAMinuteAnHourOrMoreBeforeTheNewest) {
  MinuteSeries<QueueTally> series;
  series.At(200)->offered = 1;
  // 60 minutes before the newest: no window reaches it.
  EXPECT_EQ(series.At(200 - kActivityMinutes), nullptr);
  EXPECT_EQ(series.At(200 - kActivityMinutes - 1), nullptr);
  EXPECT_EQ(series.At(0), nullptr);
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{200}));
  // 59 minutes before: still kept, inserted first.
  QueueTally* kept = series.At(200 - kActivityMinutes + 1);
  ASSERT_NE(kept, nullptr);
  kept->abandoned = 1;
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{141, 200}));
}

TEST(MinuteSeriesTest, DropsMinutesOlderThanTheHourWhenANewOneArrives) {
  MinuteSeries<QueueTally> series;
  for (int64_t m : {100, 101, 130, 159}) series.At(m)->offered = 1;
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{100, 101, 130, 159}));
  // 160: minute 100 is 60 before it, gone; 101 stays.
  series.At(160);
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{101, 130, 159, 160}));
  // 190: 101 and 130 are gone (130 = 190 - 60).
  series.At(190);
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{159, 160, 190}));
  // Far ahead: only the new minute is left.
  series.At(1000);
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{1000}));
}

// ------------------------------------------------------------ MinuteSeries::Sum

TEST(MinuteSeriesTest, SumsTheWindowEndingWithNow) {
  const int64_t now = 1000;
  MinuteSeries<QueueTally> series;
  // One bit per minute, so each sum says which minutes it took. Appended
  // as a snapshot restores them: At(now) would drop now-60.
  series.Append(now - 60, QueueTally{.offered = 1});
  series.Append(now - 59, QueueTally{.offered = 2});
  series.Append(now - 15, QueueTally{.offered = 4});
  series.Append(now - 14, QueueTally{.offered = 8});
  series.Append(now, QueueTally{.offered = 16});
  ASSERT_EQ(series.minutes().size(), 5u);

  // 15 minutes: now and the 14 before; now-15 is out.
  EXPECT_EQ(series.Sum(now, 15).offered, 8 + 16);
  // 60 minutes: now-59 is in, now-60 is out.
  EXPECT_EQ(series.Sum(now, 60).offered, 2 + 4 + 8 + 16);
  EXPECT_EQ(series.Sum(now, 1).offered, 16);
  // A window that ends before the newest minute ignores the minutes after
  // its end.
  EXPECT_EQ(series.Sum(now - 1, 15).offered, 4 + 8);
  EXPECT_EQ(series.Sum(now - 15, 1).offered, 4);
  EXPECT_EQ(series.Sum(now - 16, 15).offered, 0);
  // Later than every minute: only those within the window count.
  EXPECT_EQ(series.Sum(now + 14, 15).offered, 16);
  EXPECT_EQ(series.Sum(now + 15, 15).offered, 0);
  EXPECT_EQ(MinuteSeries<QueueTally>().Sum(now, 60), QueueTally{});
}

TEST(MinuteSeriesTest, IgnoresMinutesAfterNow) {
  MinuteSeries<QueueTally> series;
  series.At(500)->answered = 1;
  series.At(501)->answered = 10;
  series.At(502)->answered = 100;
  EXPECT_EQ(series.Sum(500, 60).answered, 1);
  EXPECT_EQ(series.Sum(501, 60).answered, 11);
  EXPECT_EQ(series.Sum(502, 60).answered, 111);
}

TEST(MinuteSeriesTest, SumAddsEveryFieldOfTheTallies) {
  MinuteSeries<QueueTally> series;
  *series.At(10) = QueueTally{1, 2, 3, 4, 5, 6, 7};
  *series.At(11) = QueueTally{10, 20, 30, 40, 50, 60, 70};
  EXPECT_EQ(series.Sum(11, 15), (QueueTally{11, 22, 33, 44, 55, 66, 77}));
  MinuteSeries<AgentTally> agent;
  *agent.At(10) = AgentTally{1, 2, 3, 4};
  *agent.At(12) = AgentTally{10, 20, 30, 40};
  EXPECT_EQ(agent.Sum(12, 15), (AgentTally{11, 22, 33, 44}));
  EXPECT_EQ(agent.Sum(12, 2), (AgentTally{10, 20, 30, 40}));
}

// ------------------------------------------------------------ AccrueTime

TEST(AccrueTimeTest, SplitsASpanAcrossMinuteBoundaries) {
  // 12:00:30 -> 12:02:15: 30 s, 60 s and 15 s.
  MinuteSeries<AgentTally> series;
  AccrueTime(kNoon + absl::Seconds(30), kNoon + absl::Minutes(2) + absl::Seconds(15),
             /*staffed=*/true, /*busy=*/false, &series);
  EXPECT_EQ(MinutesOf(series),
            (std::vector<int64_t>{kNoonMinute, kNoonMinute + 1, kNoonMinute + 2}));
  ASSERT_EQ(series.minutes().size(), 3u);
  EXPECT_EQ(series.minutes()[0].tally.staffed_nanos, Nanos(absl::Seconds(30)));
  EXPECT_EQ(series.minutes()[1].tally.staffed_nanos, Nanos(absl::Seconds(60)));
  EXPECT_EQ(series.minutes()[2].tally.staffed_nanos, Nanos(absl::Seconds(15)));
  for (const auto& m : series.minutes()) {
    EXPECT_EQ(m.tally.busy_nanos, 0) << m.minute;
    EXPECT_EQ(m.tally.handled, 0) << m.minute;
  }
}

TEST(AccrueTimeTest, BusyTimeIsCountedWithTheStaffedTime) {
  MinuteSeries<AgentTally> series;
  AccrueTime(kNoon + absl::Seconds(30), kNoon + absl::Minutes(2) + absl::Seconds(15),
             /*staffed=*/true, /*busy=*/true, &series);
  ASSERT_EQ(series.minutes().size(), 3u);
  const int64_t expected[] = {30, 60, 15};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(series.minutes()[i].tally.staffed_nanos, Nanos(absl::Seconds(expected[i]))) << i;
    EXPECT_EQ(series.minutes()[i].tally.busy_nanos, Nanos(absl::Seconds(expected[i]))) << i;
  }
  // Added to what the minutes held.
  AccrueTime(kNoon + absl::Minutes(2) + absl::Seconds(15),
             kNoon + absl::Minutes(2) + absl::Seconds(45),
             /*staffed=*/true, /*busy=*/false, &series);
  ASSERT_EQ(series.minutes().size(), 3u);
  EXPECT_EQ(series.minutes()[2].tally.staffed_nanos, Nanos(absl::Seconds(45)));
  EXPECT_EQ(series.minutes()[2].tally.busy_nanos, Nanos(absl::Seconds(15)));
}

TEST(AccrueTimeTest, ExactMinutesFillWholeMinutesOnly) {
  MinuteSeries<AgentTally> series;
  AccrueTime(kNoon, kNoon + absl::Minutes(2), true, false, &series);
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{kNoonMinute, kNoonMinute + 1}));
  EXPECT_EQ(series.Sum(kNoonMinute + 1, 60).staffed_nanos, Nanos(absl::Minutes(2)));
}

TEST(AccrueTimeTest, NothingWhenNotStaffedOrWhenTheSpanIsEmpty) {
  MinuteSeries<AgentTally> series;
  // Work held while signed out is not counted, busy or not.
  AccrueTime(kNoon, kNoon + absl::Minutes(5), /*staffed=*/false, /*busy=*/true, &series);
  AccrueTime(kNoon, kNoon + absl::Minutes(5), /*staffed=*/false, /*busy=*/false, &series);
  // Empty or backwards spans, and open-ended ones.
  AccrueTime(kNoon, kNoon, true, true, &series);
  AccrueTime(kNoon + absl::Minutes(1), kNoon, true, true, &series);
  AccrueTime(absl::InfinitePast(), kNoon, true, true, &series);
  AccrueTime(kNoon, absl::InfiniteFuture(), true, true, &series);
  EXPECT_TRUE(series.minutes().empty());
}

TEST(AccrueTimeTest, KeepsOnlyTheLastHourBeforeTheEnd) {
  // Two hours and 30 seconds: only minute 14:00 and the 59 before it.
  MinuteSeries<AgentTally> series;
  const absl::Time to = kNoon + absl::Hours(2) + absl::Seconds(30);
  AccrueTime(kNoon, to, true, true, &series);
  ASSERT_EQ(series.minutes().size(), 60u);
  EXPECT_EQ(series.minutes().front().minute, kNoonMinute + 61);
  EXPECT_EQ(series.minutes().back().minute, kNoonMinute + 120);
  EXPECT_EQ(series.minutes().front().tally.staffed_nanos, Nanos(absl::Minutes(1)));
  EXPECT_EQ(series.minutes().back().tally.staffed_nanos, Nanos(absl::Seconds(30)));
  const AgentTally sum = series.Sum(kNoonMinute + 120, 60);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Minutes(59) + absl::Seconds(30)));
  EXPECT_EQ(sum.busy_nanos, Nanos(absl::Minutes(59) + absl::Seconds(30)));
}

TEST(AccrueTimeTest, SkipsMinutesTheSeriesNoLongerKeeps) {
  // The series already reaches 13:00: a span of 11:59 - 12:02 keeps only
  // the minutes after 12:00 (13:00 - 60 minutes).
  MinuteSeries<AgentTally> series;
  series.At(kNoonMinute + 60)->handled = 1;
  AccrueTime(kNoon - absl::Minutes(1), kNoon + absl::Minutes(2), true, false, &series);
  EXPECT_EQ(MinutesOf(series), (std::vector<int64_t>{kNoonMinute + 1, kNoonMinute + 60}));
  EXPECT_EQ(series.minutes()[0].tally.staffed_nanos, Nanos(absl::Minutes(1)));
}

// ------------------------------------------------------------ AgentActivity

TEST(AgentActivityTest, MoveCountsEachStretchInTheStateHeldBefore) {
  AgentActivity activity;
  // Configured at 12:00, signed out: nothing before, nothing counted.
  activity.Move(kNoon, false, false);
  EXPECT_EQ(activity.since, kNoon);
  EXPECT_TRUE(activity.minutes.minutes().empty());
  // Signs in at 12:01: the signed-out minute is not staffed.
  activity.Move(kNoon + absl::Minutes(1), true, false);
  EXPECT_TRUE(activity.minutes.minutes().empty());
  EXPECT_EQ(activity.since, kNoon + absl::Minutes(1));
  EXPECT_TRUE(activity.staffed);
  EXPECT_FALSE(activity.busy);
  // Takes a task at 12:03:30: 2.5 minutes staffed, not busy.
  activity.Move(kNoon + absl::Minutes(3) + absl::Seconds(30), true, true);
  EXPECT_EQ(MinutesOf(activity.minutes),
            (std::vector<int64_t>{kNoonMinute + 1, kNoonMinute + 2, kNoonMinute + 3}));
  AgentTally sum = activity.minutes.Sum(kNoonMinute + 3, 60);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Seconds(150)));
  EXPECT_EQ(sum.busy_nanos, 0);

  // At 12:05 the open stretch (busy since 12:03:30) counts too.
  sum = activity.Sum(kNoon + absl::Minutes(5), 60);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Seconds(150 + 90)));
  EXPECT_EQ(sum.busy_nanos, Nanos(absl::Seconds(90)));
  // Reading changes nothing.
  EXPECT_EQ(activity.since, kNoon + absl::Minutes(3) + absl::Seconds(30));
  EXPECT_EQ(activity.minutes.Sum(kNoonMinute + 5, 60).staffed_nanos, Nanos(absl::Seconds(150)));

  // Done at 12:05, available until 12:10, then signs out.
  activity.Move(kNoon + absl::Minutes(5), true, false);
  sum = activity.Sum(kNoon + absl::Minutes(10), 60);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Seconds(240 + 300)));
  EXPECT_EQ(sum.busy_nanos, Nanos(absl::Seconds(90)));
  activity.Move(kNoon + absl::Minutes(10), false, false);
  // Signed out: the open stretch adds nothing.
  sum = activity.Sum(kNoon + absl::Minutes(30), 60);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Seconds(540)));
  EXPECT_EQ(sum.busy_nanos, Nanos(absl::Seconds(90)));
}

TEST(AgentActivityTest, SumSlidesWithNow) {
  AgentActivity activity;
  activity.Move(kNoon, true, false);
  activity.Move(kNoon + absl::Minutes(4), true, true);   // busy 12:04 - 12:05
  activity.Move(kNoon + absl::Minutes(5), true, false);  // available 12:05 - 12:10
  activity.Move(kNoon + absl::Minutes(10), false, false);
  activity.minutes.At(kNoonMinute + 5)->handled = 1;
  activity.minutes.At(kNoonMinute + 5)->handle_nanos = Nanos(absl::Minutes(1));

  // 13:03: the window is 12:04 - 13:03.
  AgentTally sum = activity.Sum(kNoon + absl::Minutes(63), 60);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Minutes(6)));
  EXPECT_EQ(sum.busy_nanos, Nanos(absl::Minutes(1)));
  EXPECT_EQ(sum.handled, 1);
  EXPECT_EQ(sum.handle_nanos, Nanos(absl::Minutes(1)));
  // 13:04: 12:05 - 13:04.
  sum = activity.Sum(kNoon + absl::Minutes(64), 60);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Minutes(5)));
  EXPECT_EQ(sum.busy_nanos, 0);
  EXPECT_EQ(sum.handled, 1);
  // 13:05: 12:06 - 13:05; the task was handled in minute 12:05.
  sum = activity.Sum(kNoon + absl::Minutes(65), 60);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Minutes(4)));
  EXPECT_EQ(sum.handled, 0);
  // 15 minutes at 12:10: 11:56 - 12:10.
  sum = activity.Sum(kNoon + absl::Minutes(10), 15);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Minutes(10)));
}

TEST(AgentActivityTest, TheOpenStretchIsClippedToTheWindow) {
  AgentActivity activity;
  activity.Move(kNoon, true, true);
  // Busy since noon, read two hours later: the window is 13:01 - 14:00.
  AgentTally sum = activity.Sum(kNoon + absl::Hours(2), 60);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Minutes(59)));
  EXPECT_EQ(sum.busy_nanos, Nanos(absl::Minutes(59)));
  sum = activity.Sum(kNoon + absl::Hours(2) + absl::Seconds(30), 60);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Minutes(59) + absl::Seconds(30)));
  // 15 minutes at 12:10:20: 11:56 - 12:10:20, of which 10:20 since noon.
  sum = activity.Sum(kNoon + absl::Minutes(10) + absl::Seconds(20), 15);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Minutes(10) + absl::Seconds(20)));
  // At or before `since`: nothing open yet.
  EXPECT_EQ(activity.Sum(kNoon, 60), AgentTally{});
  EXPECT_EQ(activity.Sum(kNoon - absl::Minutes(1), 60), AgentTally{});
  // Never moved: nothing at all.
  EXPECT_EQ(AgentActivity().Sum(kNoon, 60), AgentTally{});
}

TEST(AgentActivityTest, SumAddsTheOpenStretchToTheCountedMinutes) {
  // Counted minutes and the open stretch share a minute: 12:00 - 12:00:40
  // counted staffed, 12:00:40 - 12:01:10 open and busy.
  AgentActivity activity;
  activity.Move(kNoon, true, false);
  activity.Move(kNoon + absl::Seconds(40), true, true);
  const AgentTally sum = activity.Sum(kNoon + absl::Seconds(70), 60);
  EXPECT_EQ(sum.staffed_nanos, Nanos(absl::Seconds(70)));
  EXPECT_EQ(sum.busy_nanos, Nanos(absl::Seconds(30)));
}

}  // namespace
}  // namespace omniroute::routing
