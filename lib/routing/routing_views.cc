// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/routing_views.h"

#include <algorithm>

#include "routing/routing_config.h"

namespace omniroute::routing {
namespace {
namespace v1 = ::omniroute::v1;
}  // namespace

TaskView ToView(const TaskState& t) {
  TaskView view;
  view.id = t.id;
  view.conversation = t.conversation;
  view.queue = t.queue;
  view.channel = t.channel;
  view.reason = t.reason;
  view.status = t.status;
  view.created_at = t.created_at;
  view.priority_points = t.points;
  if (t.first_response_due != absl::InfiniteFuture()) view.first_response_due = t.first_response_due;
  view.preferred_agent = t.preferred_agent;
  if (t.held) view.preferred_until = t.preferred_until;
  if (t.status == v1::TASK_STATUS_OFFERED) {
    view.offer = OfferView{t.agent, t.offered_at, t.offer_expires_at};
  } else {
    view.agent = t.agent;
  }
  view.excluded_agents = t.excluded;
  view.expansion_step = t.expansions_total;
  if (t.commitment.valid()) view.commitment = t.commitment;
  if (t.previous.valid()) view.previous_task = t.previous;
  view.end = t.end;
  view.cancel_reason = t.cancel_reason;
  return view;
}

AgentView ToView(const AgentState& a) {
  AgentView view;
  view.config = FromProto(a.config);
  view.presence = a.presence;
  view.load = a.load;
  view.offered_tasks = a.offered;
  view.assigned_tasks = a.assigned;
  view.wrapping_up_tasks = a.wrapping_up;
  view.consecutive_expiries = a.consecutive_expiries;
  if (a.last_assignment_end != absl::InfinitePast()) {
    view.last_assignment_end = a.last_assignment_end;
  }
  return view;
}

CommitmentView ToView(const CommitmentState& c) {
  CommitmentView view;
  view.id = c.id;
  view.conversation = c.conversation;
  view.kind = c.kind;
  view.description = c.description;
  view.due_at = c.due_at;
  view.deadline = c.deadline;
  view.channel = c.channel;
  view.queue = c.queue;
  view.agent = c.agent;
  view.status = c.status;
  if (c.task.valid()) view.task = c.task;
  view.missed = c.missed;
  return view;
}

QueueStats StatsOf(const RoutingState& routing, const QueueState& q) {
  QueueStats stats;
  stats.queue = q.config.queue_id();
  stats.entered = q.counters.entered;
  stats.assigned_total = q.counters.assigned;
  stats.cancelled_total = q.counters.cancelled;
  stats.assigned_within_target = q.counters.assigned_within_target;
  // Live counts walk the tasks: statistics are read rarely, tasks change
  // often, so they are not kept up to date on every decision.
  for (const auto& [id, t] : routing.tasks()) {
    if (t.queue != stats.queue) continue;
    switch (t.status) {
      case v1::TASK_STATUS_WAITING:
        ++stats.waiting;
        if (!stats.oldest_waiting_since.has_value() || t.created_at < *stats.oldest_waiting_since) {
          stats.oldest_waiting_since = t.created_at;
        }
        break;
      case v1::TASK_STATUS_OFFERED:
        ++stats.offered;
        break;
      case v1::TASK_STATUS_ASSIGNED:
        ++stats.assigned;
        break;
      default:
        break;
    }
  }
  return stats;
}

}  // namespace omniroute::routing
