// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// RoutingState <-> RoutingSnapshot, and the canonical dump (the snapshot's
// records, one per line). Derived indexes are rebuilt on restore.

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "routing/routing_config.h"
#include "routing/routing_records.h"
#include "routing/routing_state.h"

namespace omniroute::routing {
namespace {

namespace v1 = ::omniroute::v1;

void TimeToProto(absl::Time t, google::protobuf::Timestamp* proto) { core::ToProto(t, proto); }

// Unset stands for `absent` (never, or none); `field` makes the field only
// when there is a time to put in it.
template <typename MutableField>
void OptionalTimeToProto(absl::Time t, absl::Time absent, MutableField field) {
  if (t != absent) core::ToProto(t, field());
}

absl::Time OptionalTimeFromProto(bool has, const google::protobuf::Timestamp& proto,
                                 absl::Time absent) {
  return has ? core::FromProto(proto) : absent;
}

void QueueActivityToRecord(const QueueState& q, v1::QueueRecord* r) {
  // Minute order, then channel order: one canonical form.
  std::vector<v1::QueueActivityMinute> minutes;
  for (const auto& [channel, series] : q.activity) {
    for (const auto& m : series.minutes()) {
      v1::QueueActivityMinute& out = minutes.emplace_back();
      out.set_minute(m.minute);
      out.set_channel(channel);
      out.set_offered(m.tally.offered);
      out.set_answered(m.tally.answered);
      out.set_answered_within_target(m.tally.answered_within_target);
      out.set_wait_nanos(m.tally.wait_nanos);
      out.set_abandoned(m.tally.abandoned);
      out.set_handled(m.tally.handled);
      out.set_handle_nanos(m.tally.handle_nanos);
    }
  }
  std::stable_sort(minutes.begin(), minutes.end(),
                   [](const auto& a, const auto& b) { return a.minute() < b.minute(); });
  for (auto& m : minutes) *r->add_activity() = std::move(m);
}

absl::Status QueueActivityFromRecord(const v1::QueueRecord& r, QueueState* q) {
  for (const v1::QueueActivityMinute& m : r.activity()) {
    if (!v1::Channel_IsValid(m.channel()))
      return absl::DataLossError("routing: bad activity channel");
    auto& series = q->activity[m.channel()];
    if (!series.minutes().empty() && series.minutes().back().minute >= m.minute()) {
      return absl::DataLossError("routing: queue activity minutes out of order");
    }
    series.Append(m.minute(),
                  QueueTally{m.offered(), m.answered(), m.answered_within_target(), m.wait_nanos(),
                             m.abandoned(), m.handled(), m.handle_nanos()});
  }
  return absl::OkStatus();
}

void AgentActivityToRecord(const AgentActivity& activity, v1::AgentRecord* r) {
  for (const auto& m : activity.minutes.minutes()) {
    v1::AgentActivityMinute* out = r->add_activity();
    out->set_minute(m.minute);
    out->set_staffed_nanos(m.tally.staffed_nanos);
    out->set_busy_nanos(m.tally.busy_nanos);
    out->set_handled(m.tally.handled);
    out->set_handle_nanos(m.tally.handle_nanos);
  }
  OptionalTimeToProto(activity.since, absl::InfinitePast(),
                      [&] { return r->mutable_activity_since(); });
}

absl::Status AgentActivityFromRecord(const v1::AgentRecord& r, AgentActivity* activity) {
  for (const v1::AgentActivityMinute& m : r.activity()) {
    const auto& minutes = activity->minutes.minutes();
    if (!minutes.empty() && minutes.back().minute >= m.minute()) {
      return absl::DataLossError("routing: agent activity minutes out of order");
    }
    activity->minutes.Append(
        m.minute(), AgentTally{m.staffed_nanos(), m.busy_nanos(), m.handled(), m.handle_nanos()});
  }
  activity->since =
      OptionalTimeFromProto(r.has_activity_since(), r.activity_since(), absl::InfinitePast());
  return absl::OkStatus();
}

}  // namespace

void TaskToRecord(const TaskState& t, v1::TaskRecord* r) {
  r->set_id(t.id.value());
  r->set_conversation_id(t.conversation.value());
  r->set_queue_id(t.queue);
  r->set_channel(t.channel);
  r->set_reason(t.reason);
  r->set_status(t.status);
  TimeToProto(t.created_at, r->mutable_created_at());
  TimeToProto(t.entered_queue_at, r->mutable_entered_queue_at());
  r->set_points(t.points);
  r->set_preferred_agent_id(t.preferred_agent);
  OptionalTimeToProto(t.preferred_until, absl::InfinitePast(), [&] { return r->mutable_preferred_until(); });
  r->set_held(t.held);
  OptionalTimeToProto(t.first_response_due, absl::InfiniteFuture(), [&] { return r->mutable_first_response_due(); });
  r->set_sla_escalated(t.sla_escalated);
  r->set_agent_id(t.agent);
  if (!t.agent.empty()) {
    TimeToProto(t.offered_at, r->mutable_offered_at());
    TimeToProto(t.offer_expires_at, r->mutable_offer_expires_at());
  }
  OptionalTimeToProto(t.assigned_at, absl::InfinitePast(),
                      [&] { return r->mutable_assigned_at(); });
  for (const std::string& e : t.excluded) r->add_excluded_agent_ids(e);
  r->set_expansion_step(t.expansion_step);
  r->set_relax_level(t.relax_level);
  r->set_expansions_total(t.expansions_total);
  r->set_commitment_id(t.commitment.value());
  r->set_previous_task_id(t.previous.value());
  r->set_end(t.end);
  r->set_cancel_reason(t.cancel_reason);
  OptionalTimeToProto(t.wrap_up_until, absl::InfinitePast(), [&] { return r->mutable_wrap_up_until(); });
  r->set_wrapping_up(t.wrapping_up);
  r->set_cost(t.cost);
}

void CommitmentToRecord(const CommitmentState& c, v1::CommitmentRecordProto* r) {
  r->set_id(c.id.value());
  r->set_conversation_id(c.conversation.value());
  r->set_kind(c.kind);
  r->set_description(c.description);
  TimeToProto(c.due_at, r->mutable_due_at());
  TimeToProto(c.deadline, r->mutable_deadline());
  r->set_channel(c.channel);
  r->set_queue_id(c.queue);
  r->set_agent_id(c.agent);
  core::ToProto(c.actor, r->mutable_actor());
  r->set_status(c.status);
  r->set_task_id(c.task.value());
  r->set_missed(c.missed);
}

void ConversationRoutingToRecord(ConversationId id, const ConversationRoutingState& c,
                                 v1::ConversationRoutingRecord* r) {
  r->set_conversation_id(id.value());
  r->set_owner(c.owner);
  for (TaskId t : c.tasks) r->add_task_ids(t.value());
  for (CommitmentId m : c.commitments) r->add_commitment_ids(m.value());
  r->set_transfers(c.transfers);
  r->set_assignments(c.assignments);
  for (const std::string& a : c.agents) r->add_agent_ids(a);
}

TaskState TaskFromRecord(const v1::TaskRecord& r) {
  TaskState t;
  t.id = TaskId(r.id());
  t.conversation = ConversationId(r.conversation_id());
  t.queue = r.queue_id();
  t.channel = r.channel();
  t.reason = r.reason();
  t.status = r.status();
  t.created_at = core::FromProto(r.created_at());
  t.entered_queue_at = core::FromProto(r.entered_queue_at());
  t.points = r.points();
  t.preferred_agent = r.preferred_agent_id();
  t.preferred_until =
      OptionalTimeFromProto(r.has_preferred_until(), r.preferred_until(), absl::InfinitePast());
  t.held = r.held();
  t.first_response_due = OptionalTimeFromProto(r.has_first_response_due(),
                                               r.first_response_due(), absl::InfiniteFuture());
  t.sla_escalated = r.sla_escalated();
  t.agent = r.agent_id();
  if (r.has_offered_at()) t.offered_at = core::FromProto(r.offered_at());
  if (r.has_offer_expires_at()) t.offer_expires_at = core::FromProto(r.offer_expires_at());
  t.assigned_at = OptionalTimeFromProto(r.has_assigned_at(), r.assigned_at(), absl::InfinitePast());
  t.excluded.assign(r.excluded_agent_ids().begin(), r.excluded_agent_ids().end());
  t.expansion_step = r.expansion_step();
  t.relax_level = r.relax_level();
  t.expansions_total = r.expansions_total();
  t.commitment = CommitmentId(r.commitment_id());
  t.previous = TaskId(r.previous_task_id());
  t.end = r.end();
  t.cancel_reason = r.cancel_reason();
  t.wrap_up_until =
      OptionalTimeFromProto(r.has_wrap_up_until(), r.wrap_up_until(), absl::InfinitePast());
  t.wrapping_up = r.wrapping_up();
  t.cost = r.cost();
  return t;
}

CommitmentState CommitmentFromRecord(const v1::CommitmentRecordProto& r) {
  CommitmentState c;
  c.id = CommitmentId(r.id());
  c.conversation = ConversationId(r.conversation_id());
  c.kind = r.kind();
  c.description = r.description();
  c.due_at = core::FromProto(r.due_at());
  c.deadline = core::FromProto(r.deadline());
  c.channel = r.channel();
  c.queue = r.queue_id();
  c.agent = r.agent_id();
  c.actor = core::FromProto(r.actor());
  c.status = r.status();
  c.task = TaskId(r.task_id());
  c.missed = r.missed();
  return c;
}

ConversationRoutingState ConversationRoutingFromRecord(const v1::ConversationRoutingRecord& r) {
  ConversationRoutingState c;
  c.owner = r.owner();
  for (uint64_t t : r.task_ids()) c.tasks.push_back(TaskId(t));
  for (uint64_t m : r.commitment_ids()) c.commitments.push_back(CommitmentId(m));
  c.transfers = r.transfers();
  c.assignments = r.assignments();
  c.agents.assign(r.agent_ids().begin(), r.agent_ids().end());
  return c;
}

void RoutingState::ToSnapshot(v1::RoutingSnapshot* snapshot) const {
  *snapshot->mutable_settings() = settings_;
  for (const std::string& id : queue_order_) {
    const QueueState& q = queues_.at(id);
    v1::QueueRecord* r = snapshot->add_queues();
    *r->mutable_config() = q.config;
    r->set_entered(q.counters.entered);
    r->set_assigned(q.counters.assigned);
    r->set_cancelled(q.counters.cancelled);
    r->set_assigned_within_target(q.counters.assigned_within_target);
    QueueActivityToRecord(q, r);
  }
  for (const AgentState& a : agents_) {
    v1::AgentRecord* r = snapshot->add_agents();
    *r->mutable_config() = a.config;
    r->set_presence(a.presence);
    r->set_consecutive_expiries(a.consecutive_expiries);
    OptionalTimeToProto(a.last_assignment_end, absl::InfinitePast(), [&] { return r->mutable_last_assignment_end(); });
    r->set_round_robin_counter(a.round_robin_counter);
    AgentActivityToRecord(a.activity, r);
  }
  for (const auto& [id, t] : tasks_) TaskToRecord(t, snapshot->add_tasks());
  for (const auto& [id, c] : commitments_) CommitmentToRecord(c, snapshot->add_commitments());
  snapshot->set_next_task_id(next_task_id_);
  snapshot->set_next_commitment_id(next_commitment_id_);
  std::vector<ConversationId> ids;
  ids.reserve(conversations_.size());
  for (const auto& [id, record] : conversations_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (ConversationId id : ids) {
    ConversationRoutingToRecord(id, conversations_.at(id), snapshot->add_conversations());
  }
}

absl::StatusOr<RoutingState> RoutingState::FromSnapshot(const v1::RoutingSnapshot& snapshot) {
  RoutingState state;
  if (snapshot.has_settings()) state.settings_ = snapshot.settings();
  state.settings_view_ = FromProto(state.settings_);
  for (const v1::QueueRecord& r : snapshot.queues()) {
    const std::string& id = r.config().queue_id();
    if (id.empty() || state.queues_.contains(id)) return absl::DataLossError("routing: bad queue");
    state.queue_order_.push_back(id);
    QueueState& q = state.queues_[id];
    q.config = r.config();
    q.counters = {r.entered(), r.assigned(), r.cancelled(), r.assigned_within_target()};
    if (absl::Status s = QueueActivityFromRecord(r, &q); !s.ok()) return s;
    state.queue_configs_[id] = r.config();
  }
  for (const v1::AgentRecord& r : snapshot.agents()) {
    const std::string& id = r.config().agent_id();
    if (id.empty() || state.agent_index_.contains(id)) return absl::DataLossError("routing: bad agent");
    state.agent_index_[id] = static_cast<uint32_t>(state.agents_.size());
    AgentState& a = state.agents_.emplace_back();
    a.number = AgentId(state.agents_.size());
    a.config = r.config();
    a.presence = r.presence();
    a.consecutive_expiries = r.consecutive_expiries();
    a.last_assignment_end = OptionalTimeFromProto(r.has_last_assignment_end(),
                                                  r.last_assignment_end(), absl::InfinitePast());
    a.round_robin_counter = r.round_robin_counter();
    if (absl::Status s = AgentActivityFromRecord(r, &a.activity); !s.ok()) return s;
    for (int c : a.config.channels()) a.channels |= MaskOf(static_cast<Channel>(c));
    for (int c : a.config.exclusive_channels()) {
      if (c != v1::CHANNEL_UNSPECIFIED) a.exclusive_channels |= MaskOf(static_cast<Channel>(c));
    }
    a.costs = DefaultChannelCosts();
    for (const v1::ChannelCost& cost : a.config.channel_costs()) a.costs[cost.channel()] = cost.units();
  }
  uint64_t last_task = 0;
  for (const v1::TaskRecord& r : snapshot.tasks()) {
    if (r.id() <= last_task) return absl::DataLossError("routing: task ids out of order");
    last_task = r.id();
    // Ascending ids: each goes at the end.
    TaskState& t = state.tasks_.emplace_hint(state.tasks_.end(), r.id(), TaskFromRecord(r))->second;
    if (!t.queue.empty() && !state.queues_.contains(t.queue)) {
      return absl::DataLossError(absl::StrCat("routing: ", ToString(t.id), " has an unknown queue"));
    }
    // The agents' lists and loads are rebuilt from the tasks.
    const bool holds_agent = t.status == v1::TASK_STATUS_OFFERED ||
                             t.status == v1::TASK_STATUS_ASSIGNED || t.wrapping_up;
    if (holds_agent) {
      auto it = state.agent_index_.find(t.agent);
      if (it == state.agent_index_.end()) {
        return absl::DataLossError(absl::StrCat("routing: ", ToString(t.id), " has an unknown agent"));
      }
      AgentState& a = state.agents_[it->second];
      a.load += t.cost;
      if (t.status == v1::TASK_STATUS_OFFERED) a.offered.push_back(t.id);
      if (t.status == v1::TASK_STATUS_ASSIGNED) a.assigned.push_back(t.id);
      if (t.wrapping_up) a.wrapping_up.push_back(t.id);
      if (t.status != v1::TASK_STATUS_COMPLETED) a.active_channels |= MaskOf(t.channel);
    }
  }
  uint64_t last_commitment = 0;
  for (const v1::CommitmentRecordProto& r : snapshot.commitments()) {
    if (r.id() <= last_commitment) {
      return absl::DataLossError("routing: commitment ids out of order");
    }
    last_commitment = r.id();
    state.commitments_.emplace_hint(state.commitments_.end(), r.id(), CommitmentFromRecord(r));
  }
  state.conversations_.reserve(snapshot.conversations_size());
  for (const v1::ConversationRoutingRecord& r : snapshot.conversations()) {
    state.conversations_[ConversationId(r.conversation_id())] = ConversationRoutingFromRecord(r);
  }
  // Ids are never reused: archived tasks and commitments keep theirs.
  if (snapshot.next_task_id() <= last_task || snapshot.next_commitment_id() <= last_commitment) {
    return absl::DataLossError("routing: next ids behind the ids in use");
  }
  // What the agents' open stretch of activity counts as: their state now.
  for (AgentState& a : state.agents_) {
    a.activity.staffed = a.presence != v1::AGENT_PRESENCE_OFFLINE;
    a.activity.busy = !a.assigned.empty() || !a.wrapping_up.empty();
  }
  state.next_task_id_ = snapshot.next_task_id();
  state.next_commitment_id_ = snapshot.next_commitment_id();
  state.Reindex();
  return state;
}

std::string RoutingState::Dump() const {
  v1::RoutingSnapshot snapshot;
  ToSnapshot(&snapshot);
  std::string out = absl::StrCat("routing settings ", snapshot.settings().ShortDebugString(), "\n");
  for (const auto& r : snapshot.queues()) absl::StrAppend(&out, "queue ", r.ShortDebugString(), "\n");
  for (const auto& r : snapshot.agents()) absl::StrAppend(&out, "agent ", r.ShortDebugString(), "\n");
  for (const auto& r : snapshot.tasks()) absl::StrAppend(&out, "task ", r.ShortDebugString(), "\n");
  for (const auto& r : snapshot.commitments()) {
    absl::StrAppend(&out, "commitment ", r.ShortDebugString(), "\n");
  }
  for (const auto& r : snapshot.conversations()) {
    absl::StrAppend(&out, "routing ", r.ShortDebugString(), "\n");
  }
  // The derived state a replay must rebuild too: load and pending timers.
  for (const AgentState& a : agents_) {
    absl::StrAppend(&out, "load ", a.config.agent_id(), "=", a.load, "\n");
  }
  for (const Timer& t : timers_) {
    absl::StrAppend(&out, "timer ", absl::ToUnixMicros(t.at), " ", static_cast<int>(t.kind), " ",
                    t.id, "\n");
  }
  return out;
}

}  // namespace omniroute::routing
