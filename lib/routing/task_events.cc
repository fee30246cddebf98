// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// RoutingState: the tasks' events (created, offered, assigned, offer ended,
// ended, wrap-up ended, cancelled, released, expanded, escalated, first
// response met), each checked, then applied.

#include "routing/routing_state.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/proto_convert.h"
#include "routing/routing_config.h"
#include "routing/routing_state_internal.h"

namespace omniroute::routing {

namespace v1 = ::omniroute::v1;
using ::omniroute::v1::Event;
using internal::MaskOfChannels;
using internal::Misfit;
using internal::Serves;

// ------------------------------------------------------------ TaskCreated

absl::Status RoutingState::CheckTaskCreated(const Event& event,
                                            const core::CoreState& core) const {
  const auto& e = event.task_created();
  if (e.task_id() != next_task_id_) return Misfit(event, "task ids must follow each other");
  if (core.conversation(ConversationId(e.conversation_id())) == nullptr) {
    return Misfit(event, "unknown conversation");
  }
  if (!e.queue_id().empty()) {
    const QueueState* q = queue(e.queue_id());
    if (q == nullptr || !Serves(q->config, e.channel())) {
      return Misfit(event, "the queue is unknown or does not serve the channel");
    }
  }
  if (e.commitment_id() != 0 && commitment(CommitmentId(e.commitment_id())) == nullptr) {
    return Misfit(event, "unknown commitment");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyTaskCreated(const Event& event, absl::Time at,
                                    RoutingChanges* changes) {
  const auto& e = event.task_created();
  TaskState& t = tasks_[e.task_id()];
  ++next_task_id_;
  t.id = TaskId(e.task_id());
  t.conversation = ConversationId(e.conversation_id());
  t.queue = e.queue_id();
  t.channel = e.channel();
  t.reason = e.reason();
  t.created_at = at;
  t.entered_queue_at = at;
  t.points = e.priority_points();
  t.preferred_agent = e.preferred_agent_id();
  if (e.has_preferred_until()) t.preferred_until = core::FromProto(e.preferred_until());
  t.held = !t.preferred_agent.empty() && t.preferred_until > at;
  if (e.has_first_response_due()) t.first_response_due = core::FromProto(e.first_response_due());
  t.commitment = CommitmentId(e.commitment_id());
  t.previous = TaskId(e.previous_task_id());
  ConversationRoutingState& c = conversations_[t.conversation];
  c.tasks.push_back(t.id);
  if (t.reason == v1::TASK_REASON_TRANSFER) ++c.transfers;
  if (!t.queue.empty()) ++queues_[t.queue].counters.entered;
  if (QueueTally* tally = QueueMinute(t, at)) ++tally->offered;
  Place(t);
  RefreshTimers(t);
  changes->tasks.insert(t.id.value());
  changes->created.push_back(t.id);
}

// ------------------------------------------------------------ TaskOffered

absl::Status RoutingState::CheckTaskOffered(const Event& event,
                                            const core::CoreState& core) const {
  const auto& e = event.task_offered();
  const TaskState* t = TaskIn(e.task_id(), {v1::TASK_STATUS_WAITING});
  if (t == nullptr || t->queue.empty()) return Misfit(event, "the task is not waiting in a queue");
  const AgentState* a = agent(e.agent_id());
  if (a == nullptr || a->presence != v1::AGENT_PRESENCE_AVAILABLE) {
    return Misfit(event, "the agent is unknown or not available");
  }
  if (std::find(t->excluded.begin(), t->excluded.end(), e.agent_id()) != t->excluded.end()) {
    return Misfit(event, "the task excludes the agent");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyTaskOffered(const Event& event, absl::Time at,
                                    RoutingChanges* changes) {
  const auto& e = event.task_offered();
  TaskState& t = mutable_task(e.task_id());
  Unplace(t);
  t.status = v1::TASK_STATUS_OFFERED;
  t.agent = e.agent_id();
  t.offered_at = at;
  t.offer_expires_at = core::FromProto(e.expires_at());
  AgentState& a = mutable_agent(e.agent_id());
  Insert(a.offered, t.id);
  TakeCapacity(a, t, at);
  RefreshTimers(t);
}

// ------------------------------------------------------------ TaskAssigned

absl::Status RoutingState::CheckTaskAssigned(const Event& event,
                                             const core::CoreState& core) const {
  const auto& e = event.task_assigned();
  const TaskState* t = TaskIn(e.task_id(), {v1::TASK_STATUS_WAITING, v1::TASK_STATUS_OFFERED});
  if (t == nullptr) return Misfit(event, "the task is neither waiting nor offered");
  if (t->status == v1::TASK_STATUS_OFFERED && t->agent != e.agent_id()) {
    return Misfit(event, "the task is offered to another agent");
  }
  if (agent(e.agent_id()) == nullptr) return Misfit(event, "unknown agent");
  return absl::OkStatus();
}

void RoutingState::ApplyTaskAssigned(const Event& event, absl::Time at,
                                     RoutingChanges* changes) {
  const auto& e = event.task_assigned();
  TaskState& t = mutable_task(e.task_id());
  AgentState& a = mutable_agent(e.agent_id());
  if (t.status == v1::TASK_STATUS_OFFERED) {
    Erase(a.offered, t.id);
    Insert(a.assigned, t.id);
  } else {
    Unplace(t);
    Insert(a.assigned, t.id);
    TakeCapacity(a, t, at);
  }
  t.status = v1::TASK_STATUS_ASSIGNED;
  t.agent = e.agent_id();
  t.assigned_at = at;
  a.consecutive_expiries = 0;
  ++a.round_robin_counter;
  SyncAgent(a, at);
  ConversationRoutingState& c = conversations_[t.conversation];
  c.owner = t.agent;
  ++c.assignments;
  if (std::find(c.agents.begin(), c.agents.end(), t.agent) == c.agents.end()) {
    c.agents.push_back(t.agent);
  }
  if (!t.queue.empty()) {
    QueueCounters& counters = queues_[t.queue].counters;
    ++counters.assigned;
    if (at <= t.first_response_due) ++counters.assigned_within_target;
  }
  if (QueueTally* tally = QueueMinute(t, at)) {
    ++tally->answered;
    if (at <= t.first_response_due) ++tally->answered_within_target;
    AddNanos(&tally->wait_nanos, at - t.entered_queue_at);
  }
  RefreshTimers(t);
}

// ------------------------------------------------------------ offer ended
// OfferDeclined, OfferExpired and OfferWithdrawn.

absl::Status RoutingState::CheckOfferEnded(const Event& event,
                                           const core::CoreState& core) const {
  const uint64_t id = event.has_offer_declined()  ? event.offer_declined().task_id()
                      : event.has_offer_expired() ? event.offer_expired().task_id()
                                                  : event.offer_withdrawn().task_id();
  const std::string& agent_id = event.has_offer_declined()  ? event.offer_declined().agent_id()
                                : event.has_offer_expired() ? event.offer_expired().agent_id()
                                                            : event.offer_withdrawn().agent_id();
  const TaskState* t = TaskIn(id, {v1::TASK_STATUS_OFFERED});
  if (t == nullptr || t->agent != agent_id) return Misfit(event, "no such offer");
  return absl::OkStatus();
}

void RoutingState::ApplyOfferEnded(const Event& event, absl::Time at,
                                   RoutingChanges* changes) {
  const uint64_t id = event.has_offer_declined()  ? event.offer_declined().task_id()
                      : event.has_offer_expired() ? event.offer_expired().task_id()
                                                  : event.offer_withdrawn().task_id();
  TaskState& t = mutable_task(id);
  AgentState& a = mutable_agent(t.agent);
  Erase(a.offered, t.id);
  ReleaseCapacity(a, t, at, changes);
  // A held task stays held until its TaskReleased, which the router
  // sends with a decline or an expiry by the preferred agent.
  if (!event.has_offer_withdrawn()) t.excluded.push_back(t.agent);
  if (event.has_offer_expired()) ++a.consecutive_expiries;
  t.status = v1::TASK_STATUS_WAITING;
  t.agent.clear();
  Place(t);
  RefreshTimers(t);
  changes->tasks.insert(t.id.value());
}

// ------------------------------------------------------------ TaskEnded

absl::Status RoutingState::CheckTaskEnded(const Event& event,
                                          const core::CoreState& core) const {
  const auto& e = event.task_ended();
  const TaskState* t = TaskIn(e.task_id(), {v1::TASK_STATUS_ASSIGNED});
  if (t == nullptr || t->agent != e.agent_id()) {
    return Misfit(event, "the task is not assigned to the agent");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyTaskEnded(const Event& event, absl::Time at,
                                  RoutingChanges* changes) {
  const auto& e = event.task_ended();
  TaskState& t = mutable_task(e.task_id());
  AgentState& a = mutable_agent(e.agent_id());
  Erase(a.assigned, t.id);
  t.status = v1::TASK_STATUS_COMPLETED;
  t.end = e.end();
  if (e.has_wrap_up_until() && core::FromProto(e.wrap_up_until()) > at) {
    t.wrapping_up = true;
    t.wrap_up_until = core::FromProto(e.wrap_up_until());
    Insert(a.wrapping_up, t.id);
    SyncAgent(a, at);
  } else {
    a.last_assignment_end = at;
    CountHandled(t, a, at);
    ReleaseCapacity(a, t, at, changes);
  }
  RefreshTimers(t);
}

// ------------------------------------------------------------ WrapUpEnded

absl::Status RoutingState::CheckWrapUpEnded(const Event& event,
                                            const core::CoreState& core) const {
  const TaskState* t = task(TaskId(event.wrap_up_ended().task_id()));
  if (t == nullptr || !t->wrapping_up) return Misfit(event, "the task is not in wrap-up");
  return absl::OkStatus();
}

void RoutingState::ApplyWrapUpEnded(const Event& event, absl::Time at,
                                    RoutingChanges* changes) {
  TaskState& t = mutable_task(event.wrap_up_ended().task_id());
  AgentState& a = mutable_agent(t.agent);
  Erase(a.wrapping_up, t.id);
  t.wrapping_up = false;
  a.last_assignment_end = at;
  CountHandled(t, a, at);
  ReleaseCapacity(a, t, at, changes);
  RefreshTimers(t);
}

// ------------------------------------------------------------ TaskCancelled

absl::Status RoutingState::CheckTaskCancelled(const Event& event,
                                              const core::CoreState& core) const {
  if (TaskIn(event.task_cancelled().task_id(), {v1::TASK_STATUS_WAITING}) == nullptr) {
    return Misfit(event, "only a waiting task can be cancelled");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyTaskCancelled(const Event& event, absl::Time at,
                                      RoutingChanges* changes) {
  TaskState& t = mutable_task(event.task_cancelled().task_id());
  Unplace(t);
  t.status = v1::TASK_STATUS_CANCELLED;
  t.cancel_reason = event.task_cancelled().reason();
  t.held = false;
  if (!t.queue.empty()) ++queues_[t.queue].counters.cancelled;
  if (t.cancel_reason == v1::CANCEL_REASON_ABANDONED) {
    if (QueueTally* tally = QueueMinute(t, at)) ++tally->abandoned;
  }
  RefreshTimers(t);
}

// ------------------------------------------------------------ TaskReleased

absl::Status RoutingState::CheckTaskReleased(const Event& event,
                                             const core::CoreState& core) const {
  const TaskState* t = TaskIn(event.task_released().task_id(), {v1::TASK_STATUS_WAITING});
  if (t == nullptr || !t->held) return Misfit(event, "the task is not held");
  return absl::OkStatus();
}

void RoutingState::ApplyTaskReleased(const Event& event, absl::Time at,
                                     RoutingChanges* changes) {
  TaskState& t = mutable_task(event.task_released().task_id());
  Unplace(t);
  t.held = false;
  Place(t);
  RefreshTimers(t);
  changes->tasks.insert(t.id.value());
}

// ------------------------------------------------------------ TaskExpanded

absl::Status RoutingState::CheckTaskExpanded(const Event& event,
                                             const core::CoreState& core) const {
  const auto& e = event.task_expanded();
  const TaskState* t = TaskIn(e.task_id(), {v1::TASK_STATUS_WAITING});
  if (t == nullptr || t->queue.empty()) return Misfit(event, "the task is not waiting in a queue");
  const QueueState* current = queue(t->queue);
  if (e.step() < 0 || e.step() >= current->config.expansion_steps_size()) {
    return Misfit(event, "no such expansion step");
  }
  const QueueState* next = queue(e.queue_id());
  if (next == nullptr || !Serves(next->config, t->channel)) {
    return Misfit(event, "the queue is unknown or does not serve the channel");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyTaskExpanded(const Event& event, absl::Time at,
                                     RoutingChanges* changes) {
  const auto& e = event.task_expanded();
  TaskState& t = mutable_task(e.task_id());
  Unplace(t);
  const v1::ExpansionStep& step = queues_[t.queue].config.expansion_steps(e.step());
  if (step.has_overflow_queue_id() && e.queue_id() != t.queue) {
    t.queue = e.queue_id();
    t.expansion_step = 0;
    t.relax_level = 0;
    t.entered_queue_at = at;
    ++queues_[t.queue].counters.entered;
    if (QueueTally* tally = QueueMinute(t, at)) ++tally->offered;
  } else {
    // A relax step, or an overflow the router skipped (its queue does
    // not serve the task's channel).
    t.expansion_step = e.step() + 1;
    if (!step.has_overflow_queue_id()) ++t.relax_level;
  }
  ++t.expansions_total;
  Place(t);
  RefreshTimers(t);
  changes->tasks.insert(t.id.value());
}

// ------------------------------------------------------------ TaskEscalated

absl::Status RoutingState::CheckTaskEscalated(const Event& event,
                                              const core::CoreState& core) const {
  if (task(TaskId(event.task_escalated().task_id())) == nullptr) {
    return Misfit(event, "unknown task");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyTaskEscalated(const Event& event, absl::Time at,
                                      RoutingChanges* changes) {
  const auto& e = event.task_escalated();
  TaskState& t = mutable_task(e.task_id());
  Unplace(t);
  t.points += e.added_points();
  if (e.reason() == v1::ESCALATION_REASON_SLA_BREACHED) t.sla_escalated = true;
  Place(t);
  RefreshTimers(t);
}

// ------------------------------------------------------------ TaskFirstResponseMet

absl::Status RoutingState::CheckTaskFirstResponseMet(const Event& event,
                                                     const core::CoreState& core) const {
  if (task(TaskId(event.task_first_response_met().task_id())) == nullptr) {
    return Misfit(event, "unknown task");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyTaskFirstResponseMet(const Event& event, absl::Time at,
                                             RoutingChanges* changes) {
  TaskState& t = mutable_task(event.task_first_response_met().task_id());
  t.first_response_due = absl::InfiniteFuture();
  RefreshTimers(t);
}

}  // namespace omniroute::routing
