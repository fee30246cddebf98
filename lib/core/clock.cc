// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "omniroute/clock.h"

#include <cstdint>
#include <limits>

#include "absl/time/clock.h"

namespace omniroute {
namespace {

class WallClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// Adds without wrapping: a clock pushed past the end of representable time
// stays there instead of jumping back to 1677.
int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) {
    return std::numeric_limits<int64_t>::max();
  }
  return a + b;
}

}  // namespace

Clock& SystemClock() {
  // Leaked on purpose: the clock must stay usable from other static
  // destructors and from threads still running at exit.
  static Clock* const clock = new WallClock();
  return *clock;
}

ManualClock::ManualClock(absl::Time start) : now_nanos_(absl::ToUnixNanos(start)) {}

absl::Time ManualClock::Now() const { return absl::FromUnixNanos(now_nanos_.load()); }

void ManualClock::Advance(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  const int64_t step = absl::ToInt64Nanoseconds(d);
  // A compare-and-swap loop rather than fetch_add, so that the saturation is
  // applied to the value actually replaced when threads advance together.
  int64_t current = now_nanos_.load();
  while (!now_nanos_.compare_exchange_weak(current, SaturatingAdd(current, step))) {
  }
}

void ManualClock::AdvanceTo(absl::Time t) {
  const int64_t target = absl::ToUnixNanos(t);
  int64_t current = now_nanos_.load();
  // Stops as soon as another thread has moved the clock to or past `target`.
  while (current < target && !now_nanos_.compare_exchange_weak(current, target)) {
  }
}

}  // namespace omniroute
