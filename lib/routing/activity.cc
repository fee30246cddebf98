// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/activity.h"

#include <algorithm>
#include <limits>

namespace omniroute::routing {

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

void AddNanos(int64_t* total, absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  *total = SaturatingAdd(*total, absl::ToInt64Nanoseconds(d));
}

int64_t MinuteOf(absl::Time t) {
  // IDivDuration truncates toward zero; a minute starts at its floor.
  absl::Duration rem;
  int64_t minute = absl::IDivDuration(t - absl::UnixEpoch(), absl::Minutes(1), &rem);
  if (rem < absl::ZeroDuration()) --minute;
  return minute;
}

absl::Time StartOfMinute(int64_t minute) { return absl::UnixEpoch() + absl::Minutes(minute); }

void QueueTally::Add(const QueueTally& o) {
  offered += o.offered;
  answered += o.answered;
  answered_within_target += o.answered_within_target;
  wait_nanos = SaturatingAdd(wait_nanos, o.wait_nanos);
  abandoned += o.abandoned;
  handled += o.handled;
  handle_nanos = SaturatingAdd(handle_nanos, o.handle_nanos);
}

void AgentTally::Add(const AgentTally& o) {
  staffed_nanos = SaturatingAdd(staffed_nanos, o.staffed_nanos);
  busy_nanos = SaturatingAdd(busy_nanos, o.busy_nanos);
  handled += o.handled;
  handle_nanos = SaturatingAdd(handle_nanos, o.handle_nanos);
}

void AccrueTime(absl::Time from, absl::Time to, bool staffed, bool busy,
                MinuteSeries<AgentTally>* series) {
  // Work held while signed out is not occupancy: busy counts within staffed.
  if (!staffed) return;
  if (from == absl::InfinitePast() || to == absl::InfiniteFuture() || to <= from) return;
  // Only the last hour before `to` can be kept.
  from = std::max(from, StartOfMinute(MinuteOf(to) - kActivityMinutes + 1));
  while (from < to) {
    const int64_t minute = MinuteOf(from);
    const absl::Time end = std::min(to, StartOfMinute(minute + 1));
    const int64_t nanos = absl::ToInt64Nanoseconds(end - from);
    if (AgentTally* tally = series->At(minute)) {
      tally->staffed_nanos = SaturatingAdd(tally->staffed_nanos, nanos);
      if (busy) tally->busy_nanos = SaturatingAdd(tally->busy_nanos, nanos);
    }
    from = end;
  }
}

void AgentActivity::Move(absl::Time at, bool staffed_now, bool busy_now) {
  if (since != absl::InfinitePast() && at > since) AccrueTime(since, at, staffed, busy, &minutes);
  if (since == absl::InfinitePast() || at > since) since = at;
  staffed = staffed_now;
  busy = busy_now;
}

AgentTally AgentActivity::Sum(absl::Time now, int window) const {
  const int64_t now_minute = MinuteOf(now);
  AgentTally sum = minutes.Sum(now_minute, window);
  if (since == absl::InfinitePast() || now <= since) return sum;
  // The open stretch since the last change, clipped to the window.
  MinuteSeries<AgentTally> open;
  AccrueTime(std::max(since, StartOfMinute(now_minute - window + 1)), now, staffed, busy, &open);
  sum.Add(open.Sum(now_minute, window));
  return sum;
}

}  // namespace omniroute::routing
