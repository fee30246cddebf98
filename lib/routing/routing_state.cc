// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/routing_state.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "core/shrink_when_sparse.h"
#include "routing/routing_config.h"
#include "routing/routing_records.h"

namespace omniroute::routing {
namespace {

namespace v1 = ::omniroute::v1;
using ::omniroute::v1::Event;

absl::Status Misfit(const Event& event, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("event ", event.sequence(), " (",
                                          Event::descriptor()
                                              ->FindFieldByNumber(event.payload_case())
                                              ->name(),
                                          ") does not fit the routing state: ", why));
}

ChannelMask MaskOfChannels(const google::protobuf::RepeatedField<int>& channels) {
  ChannelMask mask = 0;
  // CHANNEL_UNSPECIFIED marks an empty list (routing_config.cc), no channel.
  for (int c : channels) {
    if (c != ::omniroute::v1::CHANNEL_UNSPECIFIED) mask |= MaskOf(static_cast<Channel>(c));
  }
  return mask;
}

SelectionStrategy ToMatcherStrategy(::omniroute::v1::SelectionStrategy s) {
  switch (s) {
    case v1::SELECTION_STRATEGY_MOST_SPARE_CAPACITY:
      return SelectionStrategy::kMostSpareCapacity;
    case v1::SELECTION_STRATEGY_ROUND_ROBIN:
      return SelectionStrategy::kRoundRobin;
    case v1::SELECTION_STRATEGY_BEST_SKILL_LEVEL:
      return SelectionStrategy::kBestSkillLevel;
    default:
      return SelectionStrategy::kLongestIdle;
  }
}

Presence ToMatcherPresence(AgentPresence p) {
  switch (p) {
    case v1::AGENT_PRESENCE_AVAILABLE:
      return Presence::kAvailable;
    case v1::AGENT_PRESENCE_BUSY:
      return Presence::kBusy;
    case v1::AGENT_PRESENCE_AWAY:
      return Presence::kAway;
    default:
      return Presence::kOffline;
  }
}

bool Serves(const v1::QueueConfig& queue, Channel channel) {
  return std::find(queue.channels().begin(), queue.channels().end(), channel) !=
         queue.channels().end();
}

}  // namespace

RoutingState::RoutingState() : settings_(DefaultRoutingSettingsProto()) {
  settings_view_ = FromProto(settings_);
}

const AgentState* RoutingState::agent(absl::string_view id) const {
  auto it = agent_index_.find(id);
  return it == agent_index_.end() ? nullptr : &agents_[it->second];
}

const AgentState* RoutingState::agent(AgentId number) const {
  if (number.value() == 0 || number.value() > agents_.size()) return nullptr;
  return &agents_[number.value() - 1];
}

AgentState& RoutingState::mutable_agent(absl::string_view id) {
  return agents_[agent_index_.find(id)->second];
}

const QueueState* RoutingState::queue(absl::string_view id) const {
  auto it = queues_.find(id);
  return it == queues_.end() ? nullptr : &it->second;
}

const TaskState* RoutingState::task(TaskId id) const {
  auto it = tasks_.find(id.value());
  return it == tasks_.end() ? nullptr : &it->second;
}

const CommitmentState* RoutingState::commitment(CommitmentId id) const {
  auto it = commitments_.find(id.value());
  return it == commitments_.end() ? nullptr : &it->second;
}

bool RoutingState::Archivable(ConversationId conversation) const {
  const ConversationRoutingState* c = this->conversation(conversation);
  if (c == nullptr) return true;
  for (TaskId id : c->tasks) {
    const TaskState* t = task(id);
    if (t == nullptr) continue;
    if (t->live() || t->wrapping_up || task_timers_.contains(id.value())) return false;
  }
  for (CommitmentId id : c->commitments) {
    const CommitmentState* m = commitment(id);
    if (m == nullptr) continue;
    if (m->open() || commitment_timers_.contains(id.value())) return false;
  }
  return true;
}

void RoutingState::Archive(absl::Span<const ConversationId> conversations) {
  for (ConversationId id : conversations) {
    auto it = conversations_.find(id);
    if (it == conversations_.end()) continue;
    for (TaskId t : it->second.tasks) tasks_.erase(t.value());
    for (CommitmentId m : it->second.commitments) commitments_.erase(m.value());
    conversations_.erase(it);
  }
  core::ShrinkWhenSparse(conversations_);
}

void RoutingState::ToArchive(ConversationId conversation,
                             ::omniroute::v1::ConversationArchive* archive) const {
  const ConversationRoutingState* c = this->conversation(conversation);
  if (c == nullptr) return;
  // The record of the archived conversation itself (listed first), then
  // those of the conversations merged into it.
  if (archive->conversations_size() > 0 &&
      archive->conversations(0).id() == conversation.value()) {
    ConversationRoutingToRecord(conversation, *c, archive->mutable_routing());
  } else {
    ConversationRoutingToRecord(conversation, *c, archive->add_merged_routing());
  }
  for (TaskId id : c->tasks) {
    if (const TaskState* t = task(id)) TaskToRecord(*t, archive->add_tasks());
  }
  for (CommitmentId id : c->commitments) {
    if (const CommitmentState* m = commitment(id)) CommitmentToRecord(*m, archive->add_commitments());
  }
}

const ConversationRoutingState* RoutingState::conversation(ConversationId id) const {
  auto it = conversations_.find(id);
  return it == conversations_.end() ? nullptr : &it->second;
}

int64_t RoutingState::EffectivePriority(const TaskState& task) const {
  const int64_t per_point = absl::ToInt64Microseconds(settings_view_.aging_per_point);
  return task.points * per_point - absl::ToUnixMicros(task.created_at);
}

std::vector<TaskId> RoutingState::HeldFor(absl::string_view agent) const {
  std::vector<TaskId> ids;
  auto it = held_.find(agent);
  if (it == held_.end()) return ids;
  for (const auto& [priority, id] : it->second) ids.push_back(TaskId(id));
  return ids;
}

std::optional<Timer> RoutingState::NextTimer() const {
  if (timers_.empty()) return std::nullopt;
  return *timers_.begin();
}

// ------------------------------------------------------------ helpers

const TaskState* RoutingState::TaskIn(uint64_t id,
                                      std::initializer_list<TaskStatus> statuses) const {
  const TaskState* t = task(TaskId(id));
  if (t == nullptr) return nullptr;
  for (TaskStatus s : statuses) {
    if (t->status == s) return t;
  }
  return nullptr;
}

// ------------------------------------------------------------ RoutingConfigured

absl::Status RoutingState::CheckRoutingConfigured(const Event& event,
                                                  const core::CoreState& core) const {
  for (const v1::RoutingRule& rule : event.routing_configured().settings().rules()) {
    if (!queues_.contains(rule.queue_id())) return Misfit(event, "a rule's queue is unknown");
  }
  const std::string& fallback = event.routing_configured().settings().default_queue_id();
  if (!fallback.empty() && !queues_.contains(fallback)) {
    return Misfit(event, "the default queue is unknown");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyRoutingConfigured(const Event& event, absl::Time at,
                                          RoutingChanges* changes) {
  settings_ = event.routing_configured().settings();
  settings_view_ = FromProto(settings_);
  Reindex();
  for (const auto& [id, t] : tasks_) {
    if (t.status == v1::TASK_STATUS_WAITING) changes->tasks.insert(t.id.value());
  }
}

// ------------------------------------------------------------ QueueConfigured

absl::Status RoutingState::CheckQueueConfigured(const Event& event,
                                                const core::CoreState& core) const {
  const v1::QueueConfig& q = event.queue_configured().queue();
  if (q.queue_id().empty() || q.channels().empty()) return Misfit(event, "malformed queue");
  for (const v1::ExpansionStep& s : q.expansion_steps()) {
    if (s.has_overflow_queue_id() && s.overflow_queue_id() != q.queue_id() &&
        !queues_.contains(s.overflow_queue_id())) {
      return Misfit(event, "an overflow queue is unknown");
    }
  }
  return absl::OkStatus();
}

void RoutingState::ApplyQueueConfigured(const Event& event, absl::Time at,
                                        RoutingChanges* changes) {
  const v1::QueueConfig& config = event.queue_configured().queue();
  auto [it, inserted] = queues_.try_emplace(config.queue_id());
  if (inserted) queue_order_.push_back(config.queue_id());
  // The queue's base is part of its live tasks' points: re-rank them.
  const int64_t delta =
      int64_t{config.base_priority()} - (inserted ? 0 : it->second.config.base_priority());
  if (delta != 0) {
    for (auto& [id, t] : tasks_) {
      if (t.live() && t.queue == config.queue_id()) t.points += delta;
    }
  }
  it->second.config = config;
  queue_configs_[config.queue_id()] = config;
  Reindex();
  for (const auto& [id, t] : tasks_) {
    if (t.status == v1::TASK_STATUS_WAITING && t.queue == config.queue_id()) {
      changes->tasks.insert(t.id.value());
    }
  }
}

// ------------------------------------------------------------ AgentConfigured

absl::Status RoutingState::CheckAgentConfigured(const Event& event,
                                                const core::CoreState& core) const {
  if (event.agent_configured().agent().agent_id().empty()) return Misfit(event, "no agent id");
  return absl::OkStatus();
}

void RoutingState::ApplyAgentConfigured(const Event& event, absl::Time at,
                                        RoutingChanges* changes) {
  const v1::AgentConfig& config = event.agent_configured().agent();
  auto [it, inserted] = agent_index_.try_emplace(config.agent_id(), agents_.size());
  if (inserted) {
    AgentState& a = agents_.emplace_back();
    a.number = AgentId(agents_.size());
  }
  AgentState& a = agents_[it->second];
  a.config = config;
  a.channels = MaskOfChannels(config.channels());
  a.exclusive_channels = MaskOfChannels(config.exclusive_channels());
  a.costs = DefaultChannelCosts();
  for (const v1::ChannelCost& cost : config.channel_costs()) a.costs[cost.channel()] = cost.units();
  if (inserted) {
    (void)matcher_.AddAgent(MatcherAgent(a));
  } else {
    SyncAgent(a);
  }
  changes->agents.insert(a.number.value());
}

// ------------------------------------------------------------ AgentPresenceChanged

absl::Status RoutingState::CheckAgentPresenceChanged(const Event& event,
                                                     const core::CoreState& core) const {
  const auto& e = event.agent_presence_changed();
  const AgentState* a = agent(e.agent_id());
  if (a == nullptr) return Misfit(event, "unknown agent");
  if (e.to_presence() != v1::AGENT_PRESENCE_AVAILABLE && !a->offered.empty()) {
    return Misfit(event, "the agent still holds offers");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyAgentPresenceChanged(const Event& event, absl::Time at,
                                             RoutingChanges* changes) {
  const auto& e = event.agent_presence_changed();
  AgentState& a = mutable_agent(e.agent_id());
  a.presence = e.to_presence();
  if (a.presence == v1::AGENT_PRESENCE_AVAILABLE) {
    a.consecutive_expiries = 0;
    changes->agents.insert(a.number.value());
  }
  SyncAgent(a);
}

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
  TakeCapacity(a, t);
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
    TakeCapacity(a, t);
  }
  t.status = v1::TASK_STATUS_ASSIGNED;
  t.agent = e.agent_id();
  a.consecutive_expiries = 0;
  ++a.round_robin_counter;
  SyncAgent(a);
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
  ReleaseCapacity(a, t, changes);
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
    SyncAgent(a);
  } else {
    a.last_assignment_end = at;
    ReleaseCapacity(a, t, changes);
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
  ReleaseCapacity(a, t, changes);
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

// ------------------------------------------------------------ CommitmentRecorded

absl::Status RoutingState::CheckCommitmentRecorded(const Event& event,
                                                   const core::CoreState& core) const {
  const auto& e = event.commitment_recorded();
  if (e.commitment_id() != next_commitment_id_) {
    return Misfit(event, "commitment ids must follow each other");
  }
  if (core.conversation(ConversationId(e.conversation_id())) == nullptr) {
    return Misfit(event, "unknown conversation");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyCommitmentRecorded(const Event& event, absl::Time at,
                                           RoutingChanges* changes) {
  const auto& e = event.commitment_recorded();
  CommitmentState& c = commitments_[e.commitment_id()];
  ++next_commitment_id_;
  c.id = CommitmentId(e.commitment_id());
  c.conversation = ConversationId(e.conversation_id());
  c.kind = e.kind();
  c.description = e.description();
  c.due_at = core::FromProto(e.due_at());
  c.deadline = core::FromProto(e.deadline());
  c.channel = e.channel();
  c.queue = e.queue_id();
  c.agent = e.agent_id();
  c.actor = core::FromProto(e.actor());
  conversations_[c.conversation].commitments.push_back(c.id);
  RefreshTimers(c);
}

// ------------------------------------------------------------ CommitmentDue

absl::Status RoutingState::CheckCommitmentDue(const Event& event,
                                              const core::CoreState& core) const {
  const CommitmentState* c = commitment(CommitmentId(event.commitment_due().commitment_id()));
  if (c == nullptr || c->status != v1::COMMITMENT_STATUS_PENDING) {
    return Misfit(event, "the commitment is not pending");
  }
  if (task(TaskId(event.commitment_due().task_id())) == nullptr) {
    return Misfit(event, "unknown task");
  }
  return absl::OkStatus();
}

void RoutingState::ApplyCommitmentDue(const Event& event, absl::Time at,
                                      RoutingChanges* changes) {
  CommitmentState& c = mutable_commitment(event.commitment_due().commitment_id());
  c.status = v1::COMMITMENT_STATUS_DUE;
  c.task = TaskId(event.commitment_due().task_id());
  RefreshTimers(c);
}

// ------------------------------------------------------------ CommitmentMissed

absl::Status RoutingState::CheckCommitmentMissed(const Event& event,
                                                 const core::CoreState& core) const {
  const CommitmentState* c = commitment(CommitmentId(event.commitment_missed().commitment_id()));
  if (c == nullptr || !c->open() || c->missed) return Misfit(event, "the commitment is not open");
  return absl::OkStatus();
}

void RoutingState::ApplyCommitmentMissed(const Event& event, absl::Time at,
                                         RoutingChanges* changes) {
  CommitmentState& c = mutable_commitment(event.commitment_missed().commitment_id());
  c.missed = true;
  c.status = v1::COMMITMENT_STATUS_MISSED;
  RefreshTimers(c);
}

// ------------------------------------------------------------ CommitmentClosed

absl::Status RoutingState::CheckCommitmentClosed(const Event& event,
                                                 const core::CoreState& core) const {
  const CommitmentState* c = commitment(CommitmentId(event.commitment_closed().commitment_id()));
  if (c == nullptr || !c->open()) return Misfit(event, "the commitment is not open");
  return absl::OkStatus();
}

void RoutingState::ApplyCommitmentClosed(const Event& event, absl::Time at,
                                         RoutingChanges* changes) {
  CommitmentState& c = mutable_commitment(event.commitment_closed().commitment_id());
  c.status = event.commitment_closed().status();
  RefreshTimers(c);
}

// ------------------------------------------------------------ derived

SkillId RoutingState::SkillIdOf(const std::string& name) {
  auto [it, inserted] = skill_ids_.try_emplace(name, static_cast<SkillId>(skill_ids_.size()));
  return it->second;
}

Agent RoutingState::MatcherAgent(const AgentState& a) {
  Agent agent;
  agent.id = a.number;
  for (const v1::SkillLevel& s : a.config.skills()) {
    agent.skills.push_back({SkillIdOf(s.skill()), s.level()});
  }
  agent.channels = a.channels;
  agent.capacity = a.config.capacity();
  agent.load = a.load;
  agent.costs = a.costs;
  agent.exclusive_channels = a.exclusive_channels;
  agent.active_channels = a.active_channels;
  agent.presence = ToMatcherPresence(a.presence);
  agent.last_assignment_end = a.last_assignment_end;
  agent.round_robin_counter = a.round_robin_counter;
  return agent;
}

void RoutingState::SyncAgent(AgentState& a) {
  ChannelMask active = 0;
  for (TaskId id : a.offered) active |= MaskOf(tasks_.at(id.value()).channel);
  for (TaskId id : a.assigned) active |= MaskOf(tasks_.at(id.value()).channel);
  a.active_channels = active;
  (void)matcher_.UpdateAgent(MatcherAgent(a));
}

void RoutingState::TakeCapacity(AgentState& a, TaskState& t) {
  t.cost = a.costs[t.channel];
  a.load += t.cost;
  SyncAgent(a);
}

void RoutingState::ReleaseCapacity(AgentState& a, TaskState& t, RoutingChanges* changes) {
  a.load -= t.cost;
  SyncAgent(a);
  changes->agents.insert(a.number.value());
}

void RoutingState::Insert(std::vector<TaskId>& ids, TaskId id) {
  ids.insert(std::lower_bound(ids.begin(), ids.end(), id), id);
}

void RoutingState::Erase(std::vector<TaskId>& ids, TaskId id) {
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it != ids.end() && *it == id) ids.erase(it);
}

void RoutingState::AddQueueLevels(QueueState& q) {
  q.levels.clear();
  Queue base;
  base.channels = MaskOfChannels(q.config.channels());
  base.base_priority = q.config.base_priority();
  base.strategy = ToMatcherStrategy(q.config.strategy());
  for (const v1::SkillLevel& s : q.config.required_skills()) {
    base.required_skills.push_back({SkillIdOf(s.skill()), s.level()});
  }
  auto add = [&](Queue queue) {
    queue.id = QueueId(next_matcher_queue_++);
    q.levels.push_back(queue.id);
    (void)matcher_.AddQueue(std::move(queue));
  };
  add(base);
  for (const v1::ExpansionStep& step : q.config.expansion_steps()) {
    if (step.has_overflow_queue_id()) continue;
    for (SkillLevel& s : base.required_skills) {
      s.level = std::max(kMinSkillLevel, s.level - step.relax_levels());
    }
    add(base);
  }
}

void RoutingState::Reindex() {
  matcher_ = Matcher();
  next_matcher_queue_ = 1;
  held_.clear();
  timers_.clear();
  task_timers_.clear();
  commitment_timers_.clear();
  for (const std::string& id : queue_order_) AddQueueLevels(queues_[id]);
  for (const AgentState& a : agents_) (void)matcher_.AddAgent(MatcherAgent(a));
  for (const auto& [id, t] : tasks_) {
    if (t.live() || t.wrapping_up) {
      Place(t);
      RefreshTimers(t);
    }
  }
  for (const auto& [id, c] : commitments_) RefreshTimers(c);
}

void RoutingState::Unplace(const TaskState& t) {
  (void)matcher_.Cancel(t.id);
  if (!t.preferred_agent.empty()) {
    auto it = held_.find(t.preferred_agent);
    if (it != held_.end()) {
      it->second.erase({-EffectivePriority(t), t.id.value()});
      if (it->second.empty()) held_.erase(it);
    }
  }
}

void RoutingState::Place(const TaskState& t) {
  if (t.status != v1::TASK_STATUS_WAITING || t.queue.empty()) return;
  if (t.held) {
    held_[t.preferred_agent].insert({-EffectivePriority(t), t.id.value()});
    return;
  }
  const QueueState& q = queues_[t.queue];
  Task task;
  task.id = t.id;
  task.queue = q.levels[std::min<size_t>(t.relax_level, q.levels.size() - 1)];
  task.channel = t.channel;
  task.priority = EffectivePriority(t);
  task.arrival = t.id.value();
  for (const std::string& excluded : t.excluded) {
    if (const AgentState* a = agent(excluded)) task.excluded.push_back(a->number);
  }
  if (const AgentState* a = t.preferred_agent.empty() ? nullptr : agent(t.preferred_agent)) {
    task.preferred_agent = a->number;
  }
  (void)matcher_.Enqueue(std::move(task));
}

void RoutingState::RemoveTimers(TimerKind kind, uint64_t id) {
  auto& registry = (kind == TimerKind::kCommitmentDue || kind == TimerKind::kCommitmentDeadline)
                       ? commitment_timers_
                       : task_timers_;
  auto it = registry.find(id);
  if (it == registry.end()) return;
  for (const Timer& timer : it->second) timers_.erase(timer);
  registry.erase(it);
  core::ShrinkWhenSparse(registry);
}

void RoutingState::RefreshTimers(const TaskState& t) {
  // Any task kind selects the task registry.
  RemoveTimers(TimerKind::kOfferExpiry, t.id.value());
  std::vector<Timer> wanted;
  const uint64_t id = t.id.value();
  if (t.status == v1::TASK_STATUS_OFFERED) {
    wanted.push_back({t.offer_expires_at, TimerKind::kOfferExpiry, id});
  }
  if (t.status == v1::TASK_STATUS_WAITING) {
    if (t.held) wanted.push_back({t.preferred_until, TimerKind::kPreferenceEnd, id});
    if (!t.held && !t.queue.empty()) {
      const v1::QueueConfig& config = queues_[t.queue].config;
      if (t.expansion_step < config.expansion_steps_size()) {
        wanted.push_back({t.entered_queue_at + ToDuration(config.expansion_steps(t.expansion_step).after()),
                          TimerKind::kExpansion, id});
      }
    }
    if (!t.sla_escalated && t.first_response_due != absl::InfiniteFuture()) {
      wanted.push_back({t.first_response_due, TimerKind::kFirstResponseBreach, id});
    }
  }
  if (t.wrapping_up) wanted.push_back({t.wrap_up_until, TimerKind::kWrapUpEnd, id});
  if (wanted.empty()) return;
  for (const Timer& timer : wanted) timers_.insert(timer);
  task_timers_[id] = std::move(wanted);
}

void RoutingState::RefreshTimers(const CommitmentState& c) {
  RemoveTimers(TimerKind::kCommitmentDue, c.id.value());
  std::vector<Timer> wanted;
  if (c.status == v1::COMMITMENT_STATUS_PENDING) {
    wanted.push_back({c.due_at, TimerKind::kCommitmentDue, c.id.value()});
  }
  if (c.open() && !c.missed) {
    wanted.push_back({c.deadline, TimerKind::kCommitmentDeadline, c.id.value()});
  }
  if (wanted.empty()) return;
  for (const Timer& timer : wanted) timers_.insert(timer);
  commitment_timers_[c.id.value()] = std::move(wanted);
}

}  // namespace omniroute::routing
