// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The engine's M/M/c sample path against FIFO M/M/c itself. Fed the same
// random draws, c identical servers taking calls in arrival order give every
// call's wait by the Kiefer-Wolfowitz recursion (a call starts when it
// arrives or when the earliest server frees, whichever is later). If the
// engine routes exactly so (first come first served, never an agent idle
// while a call waits, never two calls on one agent), the simulator counts
// the same calls, the same waiting calls and the same calls answered within
// 20 s, and the same mean wait to within clock resolution: no statistics
// involved.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/v1/simulation.pb.h"
#include "sim/sampling.h"
#include "sim/scenario.h"
#include "sim/scenario_builders.h"
#include "sim/simulator.h"

namespace omniroute::sim {
namespace {

namespace v1 = ::omniroute::v1;

struct PathFigures {
  int64_t calls = 0;
  int64_t waited = 0;
  int64_t within_threshold = 0;
  absl::Duration total_wait;
};

// The recursion over the replications of MmcScenario(agents, aht, load, ...)
// with the simulator's random streams (sim/replication.cc numbers them:
// arrivals 1 + channel, handle times 100), handle times drawn in the order
// calls start, which FIFO makes the order they arrive.
PathFigures Recursion(int agents, absl::Duration aht, double load, absl::Duration duration,
                      absl::Duration warm_up, int replications, bool antithetic, uint64_t seed) {
  // As the simulator derives it from the scenario's arrivals per hour.
  const double per_second = load / absl::ToDoubleHours(aht) / 3600.0;
  PathFigures f;
  for (int i = 0; i < replications; ++i) {
    const uint32_t pair = static_cast<uint32_t>(antithetic ? i / 2 : i);
    const bool mirrored = antithetic && i % 2 == 1;
    RandomStream arrivals(seed, pair, 1 + v1::CHANNEL_VOICE, mirrored);
    RandomStream handle(seed, pair, 100, mirrored);
    const absl::Time start = ManualClock().Now();
    std::priority_queue<absl::Time, std::vector<absl::Time>, std::greater<>> free;
    for (int a = 0; a < agents; ++a) free.push(start);
    absl::Time t = start;
    while (true) {
      t += arrivals.Exponential(absl::Seconds(1.0 / per_second));
      if (t >= start + duration) break;
      const absl::Time begins = std::max(t, free.top());
      free.pop();
      free.push(begins + handle.Exponential(aht));
      if (t < start + warm_up) continue;
      const absl::Duration wait = begins - t;
      ++f.calls;
      if (wait > absl::ZeroDuration()) ++f.waited;
      if (wait <= absl::Seconds(20)) ++f.within_threshold;
      f.total_wait += wait;
    }
  }
  return f;
}

TEST(SamplePathTest, EngineIsExactlyFifoMmc) {
  for (bool antithetic : {false, true}) {
    for (int agents : {1, 3, 8}) {
      SCOPED_TRACE(testing::Message() << agents << " agents, antithetic " << antithetic);
      const double load = 0.85 * agents;
      v1::Scenario s = testing_internal::MmcScenario(agents, absl::Minutes(4), load,
                                                     absl::Hours(200), absl::Hours(2), 4, 99);
      s.set_antithetic(antithetic);
      absl::StatusOr<v1::SimulationReport> report = Simulate(s, {.threads = 2});
      ASSERT_TRUE(report.ok()) << report.status();
      const v1::WaitFigures& w = report->channels(0).tasks();
      const PathFigures f = Recursion(agents, absl::Minutes(4), load, absl::Hours(200),
                                      absl::Hours(2), 4, antithetic, 99);
      EXPECT_EQ(w.answered(), f.calls);
      // The engine's clock and event times count whole nanoseconds where
      // the recursion's times are exact, so the two drift apart by parts of
      // a nanosecond per call: waits agree to well under a microsecond.
      EXPECT_LT(absl::AbsDuration(FromProto(w.average_speed_of_answer()) - f.total_wait / f.calls),
                absl::Microseconds(1));
      EXPECT_DOUBLE_EQ(w.probability_of_waiting(),
                       static_cast<double>(f.waited) / static_cast<double>(f.calls));
      EXPECT_DOUBLE_EQ(w.service_level(),
                       static_cast<double>(f.within_threshold) / static_cast<double>(f.calls));
    }
  }
}

}  // namespace
}  // namespace omniroute::sim
