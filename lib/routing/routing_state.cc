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
#include "routing/routing_state_internal.h"

namespace omniroute::routing {
namespace internal {

absl::Status Misfit(const ::omniroute::v1::Event& event, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("event ", event.sequence(), " (",
                                          ::omniroute::v1::Event::descriptor()
                                              ->FindFieldByNumber(event.payload_case())
                                              ->name(),
                                          ") does not fit the routing state: ", why));
}

ChannelMask MaskOfChannels(const google::protobuf::RepeatedField<int>& channels) {
  ChannelMask mask = 0;
  for (int c : channels) {
    if (c != ::omniroute::v1::CHANNEL_UNSPECIFIED) mask |= MaskOf(static_cast<Channel>(c));
  }
  return mask;
}

bool Serves(const ::omniroute::v1::QueueConfig& queue, Channel channel) {
  return std::find(queue.channels().begin(), queue.channels().end(), channel) !=
         queue.channels().end();
}

}  // namespace internal

namespace {

namespace v1 = ::omniroute::v1;
using ::omniroute::v1::Event;
using internal::MaskOfChannels;

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

void RoutingState::SyncAgent(AgentState& a, absl::Time at) {
  a.activity.Move(at, a.presence != v1::AGENT_PRESENCE_OFFLINE,
                  !a.assigned.empty() || !a.wrapping_up.empty());
  ChannelMask active = 0;
  for (TaskId id : a.offered) active |= MaskOf(tasks_.at(id.value()).channel);
  for (TaskId id : a.assigned) active |= MaskOf(tasks_.at(id.value()).channel);
  a.active_channels = active;
  (void)matcher_.UpdateAgent(MatcherAgent(a));
}

void RoutingState::TakeCapacity(AgentState& a, TaskState& t, absl::Time at) {
  t.cost = a.costs[t.channel];
  a.load += t.cost;
  SyncAgent(a, at);
}

void RoutingState::ReleaseCapacity(AgentState& a, TaskState& t, absl::Time at,
                                   RoutingChanges* changes) {
  a.load -= t.cost;
  SyncAgent(a, at);
  changes->agents.insert(a.number.value());
}

int RoutingState::QueuePosition(const TaskState& t) const {
  if (t.status != v1::TASK_STATUS_WAITING || t.queue.empty() || t.held) return 0;
  const QueueState* q = queue(t.queue);
  if (q == nullptr) return 0;
  const int64_t priority = EffectivePriority(t);
  size_t ahead = 0;
  for (QueueId level : q->levels) {
    ahead += matcher_.CountAhead(level, t.channel, priority, t.id.value(), t.id);
  }
  return static_cast<int>(ahead) + 1;
}

QueueTally* RoutingState::QueueMinute(const TaskState& t, absl::Time at) {
  if (t.queue.empty()) return nullptr;
  return queues_[t.queue].activity[t.channel].At(MinuteOf(at));
}

void RoutingState::CountHandled(const TaskState& t, AgentState& a, absl::Time at) {
  const absl::Duration took =
      t.assigned_at == absl::InfinitePast() ? absl::ZeroDuration() : at - t.assigned_at;
  if (QueueTally* tally = QueueMinute(t, at)) {
    ++tally->handled;
    AddNanos(&tally->handle_nanos, took);
  }
  if (AgentTally* tally = a.activity.minutes.At(MinuteOf(at))) {
    ++tally->handled;
    AddNanos(&tally->handle_nanos, took);
  }
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
