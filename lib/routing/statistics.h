// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The real-time statistics of queues and agents, and the estimated wait of
// a waiting task (include/omniroute/routing.h says what each figure means),
// read from the routing state and its minutes of activity
// (routing/activity.h) as of `now`.

#ifndef OMNIROUTE_LIB_ROUTING_STATISTICS_H_
#define OMNIROUTE_LIB_ROUTING_STATISTICS_H_

#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "omniroute/routing.h"
#include "routing/routing_state.h"

namespace omniroute::routing {

// The figures of each of `queues`, in that order (a queue listed twice comes
// twice); one walk of the working set's tasks, and of the agents per queue.
std::vector<QueueStatistics> StatisticsOf(const RoutingState& routing,
                                          absl::Span<const QueueState* const> queues,
                                          absl::Time now);
AgentStatistics StatisticsOf(const AgentState& agent, absl::Time now);
// Set only for a task waiting in a queue.
std::optional<WaitEstimate> WaitEstimateOf(const RoutingState& routing, const TaskState& task,
                                           absl::Time now);

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_STATISTICS_H_
