// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Copies of the routing state for readers (include/omniroute/routing.h).

#ifndef OMNIROUTE_LIB_ROUTING_ROUTING_VIEWS_H_
#define OMNIROUTE_LIB_ROUTING_ROUTING_VIEWS_H_

#include "omniroute/routing.h"
#include "routing/routing_state.h"

namespace omniroute::routing {

TaskView ToView(const TaskState& task);
AgentView ToView(const AgentState& agent);
CommitmentView ToView(const CommitmentState& commitment);
QueueStats StatsOf(const RoutingState& routing, const QueueState& queue);
// Every queue's StatsOf and the agents by state, in one walk of the tasks.
RoutingOverview OverviewOf(const RoutingState& routing);

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_ROUTING_VIEWS_H_
