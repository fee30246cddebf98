// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Builds an IntervalReport (include/omniroute/routing.h) from a tenant's
// routing events, read in log order: the tasks' queue, channel and times are
// followed from their creation, and each figure counted in the 15-minute
// interval, queue and channel it belongs to when its event falls in the
// report's span. Events before the span only build that state.
//
// Thread-compatible.

#ifndef OMNIROUTE_LIB_ROUTING_INTERVAL_REPORT_H_
#define OMNIROUTE_LIB_ROUTING_INTERVAL_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "omniroute/routing.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::routing {

// `t` rounded down, and up, to a multiple of kReportInterval.
absl::Time IntervalStart(absl::Time t);
absl::Time IntervalEnd(absl::Time t);

class IntervalReportBuilder {
 public:
  // For the span [from, to), both multiples of kReportInterval.
  IntervalReportBuilder(absl::Time from, absl::Time to);

  // The next event of the log.
  void Add(const ::omniroute::v1::Event& event);

  IntervalReport Finish() &&;

 private:
  struct Task {
    std::string queue;
    Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
    uint64_t conversation = 0;
    absl::Time entered;
    absl::Time first_response_due = absl::InfiniteFuture();
    absl::Time assigned_at = absl::InfinitePast();
  };
  using RowKey = std::tuple<int64_t, std::string, int>;

  // The row of the task's queue and channel for the interval holding `at`;
  // nullptr outside the span or for an unrouted task.
  IntervalFigures* Row(const Task& task, absl::Time at);
  // The task is finished (ended without wrap-up, or wrap-up over).
  void Handled(uint64_t id, absl::Time at);

  const absl::Time from_;
  const absl::Time to_;
  absl::flat_hash_map<uint64_t, Task> tasks_;
  // Conversation -> the agent of its latest answer.
  absl::flat_hash_map<uint64_t, std::string> last_agent_;
  std::map<RowKey, IntervalFigures> rows_;
  // Per row: total waits and handle times, in nanoseconds, and how many.
  std::map<RowKey, std::pair<int64_t, int64_t>> waits_;
  std::map<RowKey, int64_t> handle_nanos_;
  int64_t events_ = 0;
};

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_INTERVAL_REPORT_H_
