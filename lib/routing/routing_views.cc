// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/routing_views.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
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

namespace {

// The queue's counters, without the live counts.
QueueStats CountersOf(const QueueState& q) {
  QueueStats stats;
  stats.queue = q.config.queue_id();
  stats.entered = q.counters.entered;
  stats.assigned_total = q.counters.assigned;
  stats.cancelled_total = q.counters.cancelled;
  stats.assigned_within_target = q.counters.assigned_within_target;
  return stats;
}

// Adds a task of the queue to its live counts.
void CountLive(const TaskState& t, QueueStats& stats) {
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

}  // namespace

QueueStats StatsOf(const RoutingState& routing, const QueueState& q) {
  QueueStats stats = CountersOf(q);
  // Live counts walk the tasks: statistics are read rarely, tasks change
  // often, so they are not kept up to date on every decision.
  for (const auto& [id, t] : routing.tasks()) {
    if (t.queue != stats.queue) continue;
    CountLive(t, stats);
  }
  return stats;
}

RoutingOverview OverviewOf(const RoutingState& routing) {
  RoutingOverview overview;
  absl::flat_hash_map<absl::string_view, size_t> index;
  overview.queues.reserve(routing.queue_order().size());
  for (const std::string& id : routing.queue_order()) {
    const QueueState* q = routing.queue(id);
    if (q == nullptr) continue;
    index.emplace(q->config.queue_id(), overview.queues.size());
    overview.queues.push_back(CountersOf(*q));
  }
  for (const auto& [id, t] : routing.tasks()) {
    if (t.status == v1::TASK_STATUS_OFFERED) ++overview.offers_pending;
    const auto it = index.find(t.queue);
    if (it == index.end()) continue;
    QueueStats& stats = overview.queues[it->second];
    CountLive(t, stats);
  }
  constexpr AgentPresence kPresences[] = {v1::AGENT_PRESENCE_AVAILABLE, v1::AGENT_PRESENCE_BUSY,
                                          v1::AGENT_PRESENCE_AWAY, v1::AGENT_PRESENCE_OFFLINE};
  for (AgentPresence presence : kPresences) overview.agents_by_presence.emplace_back(presence, 0);
  for (const AgentState& agent : routing.agents()) {
    for (auto& [presence, count] : overview.agents_by_presence) {
      if (presence == agent.presence) ++count;
    }
    if (!agent.assigned.empty()) ++overview.agents_with_assigned_work;
    if (!agent.wrapping_up.empty()) ++overview.agents_wrapping_up;
  }
  return overview;
}

}  // namespace omniroute::routing
