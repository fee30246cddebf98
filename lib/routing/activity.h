// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What happened in a queue, or to an agent, minute by minute over the last
// hour: the source of the sliding-window statistics (service level, speed
// of answer, handle time, occupancy) and of the estimated waiting time.
// Fed by the routing fold (routing_state.h) with each event's time, so a
// replay, a snapshot and the live state hold the same minutes.
//
// Minutes are whole minutes since the Unix epoch, by event time. A window of
// k minutes at time `now` is now's minute and the k - 1 before it, so it
// covers between k - 1 and k minutes of activity.
//
// Thread-compatible.

#ifndef OMNIROUTE_LIB_ROUTING_ACTIVITY_H_
#define OMNIROUTE_LIB_ROUTING_ACTIVITY_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace omniroute::routing {

// Minutes kept: the longest window asked for.
inline constexpr int kActivityMinutes = 60;

// a + b, held at the int64 bounds instead of overflowing: event times come
// from the log, and a tally must not wrap on an absurd one.
int64_t SaturatingAdd(int64_t a, int64_t b);
// Adds `d` in nanoseconds to `*total` (negative durations count as zero).
void AddNanos(int64_t* total, absl::Duration d);

// The minute holding `t` (floor, also before 1970).
int64_t MinuteOf(absl::Time t);
absl::Time StartOfMinute(int64_t minute);

// One minute of one channel of a queue.
struct QueueTally {
  // Tasks that entered the queue.
  int64_t offered = 0;
  // Assigned to an agent; within the task's first-response target; their
  // waiting time in the queue, in nanoseconds.
  int64_t answered = 0;
  int64_t answered_within_target = 0;
  int64_t wait_nanos = 0;
  // Cancelled while waiting because the customer gave up.
  int64_t abandoned = 0;
  // Assigned tasks finished, wrap-up included, and their time from
  // assignment to the end of wrap-up, in nanoseconds.
  int64_t handled = 0;
  int64_t handle_nanos = 0;

  void Add(const QueueTally& other);
  friend bool operator==(const QueueTally&, const QueueTally&) = default;
};

// One minute of an agent.
struct AgentTally {
  // Signed in (any presence but offline), and of that holding assigned or
  // wrapping-up work, in nanoseconds of the minute.
  int64_t staffed_nanos = 0;
  int64_t busy_nanos = 0;
  int64_t handled = 0;
  int64_t handle_nanos = 0;

  void Add(const AgentTally& other);
  friend bool operator==(const AgentTally&, const AgentTally&) = default;
};

// Tallies of the minutes with activity, oldest first, at most the last
// kActivityMinutes of them before the newest.
template <typename Tally>
class MinuteSeries {
 public:
  struct Minute {
    int64_t minute = 0;
    Tally tally;
  };

  // The tally of `minute`, added if new; nullptr when the minute is older
  // than the series keeps (events are applied in log order, and their times
  // may step back a little: a late one is dropped, not misfiled).
  Tally* At(int64_t minute);
  // The sum over the window of `minutes` minutes ending with `now_minute`.
  Tally Sum(int64_t now_minute, int minutes) const;
  const std::vector<Minute>& minutes() const { return minutes_; }
  // For a snapshot's records, oldest first.
  void Append(int64_t minute, const Tally& tally) { minutes_.push_back({minute, tally}); }

 private:
  std::vector<Minute> minutes_;
};

// An agent's minutes, and the state they have been in since `since`, not yet
// counted in the minutes.
struct AgentActivity {
  MinuteSeries<AgentTally> minutes;
  absl::Time since = absl::InfinitePast();
  bool staffed = false;
  bool busy = false;

  // Counts [since, at) in the state held so far, then holds the new state
  // from `at`.
  void Move(absl::Time at, bool staffed_now, bool busy_now);
  // The window's sum as of `now`, the part since `since` included.
  AgentTally Sum(absl::Time now, int minutes) const;
};

// Adds [from, to) to the staffed time (and busy time, if busy) of the
// minutes it spans (those `series` still keeps); nothing when not staffed.
void AccrueTime(absl::Time from, absl::Time to, bool staffed, bool busy,
                MinuteSeries<AgentTally>* series);

// ------------------------------------------------------------ inline

template <typename Tally>
Tally* MinuteSeries<Tally>::At(int64_t minute) {
  if (!minutes_.empty()) {
    if (minutes_.back().minute == minute) return &minutes_.back().tally;
    if (minute < minutes_.back().minute) {
      if (minute <= minutes_.back().minute - kActivityMinutes) return nullptr;
      // A time a little behind the newest: find or insert its minute.
      auto it = minutes_.end();
      while (it != minutes_.begin() && (it - 1)->minute >= minute) --it;
      if (it != minutes_.end() && it->minute == minute) return &it->tally;
      return &minutes_.insert(it, Minute{minute, Tally{}})->tally;
    }
  }
  minutes_.push_back({minute, Tally{}});
  // Drop what no window reaches any more.
  size_t stale = 0;
  while (minutes_[stale].minute <= minute - kActivityMinutes) ++stale;
  if (stale > 0) minutes_.erase(minutes_.begin(), minutes_.begin() + stale);
  return &minutes_.back().tally;
}

template <typename Tally>
Tally MinuteSeries<Tally>::Sum(int64_t now_minute, int minutes) const {
  Tally sum;
  for (auto it = minutes_.rbegin(); it != minutes_.rend(); ++it) {
    if (it->minute > now_minute) continue;
    if (it->minute <= now_minute - minutes) break;
    sum.Add(it->tally);
  }
  return sum;
}

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_ACTIVITY_H_
