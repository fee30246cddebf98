// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Time is injected: every timer of omniroute reads a Clock, so tests and the
// simulator run on virtual time, deterministically.

#ifndef OMNIROUTE_CLOCK_H_
#define OMNIROUTE_CLOCK_H_

#include <atomic>

#include "absl/time/time.h"

namespace omniroute {

// A source of the current time.
//
// Thread-safety: implementations must allow Now() from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock. The returned object lives for the whole program; do not
// delete it.
Clock& SystemClock();

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  // Starts at `start` (by default 2026-01-01T00:00:00Z, a fixed point so that
  // test output does not depend on the day it runs).
  explicit ManualClock(absl::Time start = absl::FromUnixSeconds(1767225600));

  absl::Time Now() const override;

  // Moves the clock forward by `d`. A negative `d` is ignored: time never
  // runs backwards.
  void Advance(absl::Duration d);

  // Sets the clock to `t` if `t` is not before the current time.
  void AdvanceTo(absl::Time t);

 private:
  std::atomic<int64_t> now_nanos_;
};

}  // namespace omniroute

#endif  // OMNIROUTE_CLOCK_H_
