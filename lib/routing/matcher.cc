// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/matcher.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

namespace omniroute::routing {
namespace {

bool SkillLess(const SkillLevel& a, const SkillLevel& b) { return a.skill < b.skill; }

// Calls fn(channel) for each channel of `mask`, lowest value first.
template <typename Fn>
void ForEachChannel(ChannelMask mask, Fn fn) {
  while (mask != 0) {
    const int c = std::countr_zero(mask);
    mask &= mask - 1;
    fn(c);
  }
}

}  // namespace

Matcher::TaskKey Matcher::KeyOf(const Task& task) {
  return TaskKey{task.priority, task.arrival, task.id.value(), !task.excluded.empty()};
}

ChannelMask Matcher::EligibleChannels(const Agent& agent) {
  if (agent.presence != Presence::kAvailable) return 0;
  if ((agent.active_channels & agent.exclusive_channels) != 0) return 0;
  // In 64 bits: capacity and load are ints and their difference may not fit.
  const int64_t spare = int64_t{agent.capacity} - agent.load;
  ChannelMask mask = 0;
  ForEachChannel(agent.channels & kAllChannels, [&](int c) {
    if (agent.costs[c] <= spare) mask |= ChannelMask{1} << c;
  });
  return mask;
}

int64_t Matcher::Rank(SelectionStrategy strategy, const Agent& agent, int32_t skill_score) {
  switch (strategy) {
    case SelectionStrategy::kLongestIdle:
      // Saturates: InfinitePast() ranks first, as "never worked".
      return absl::ToUnixNanos(agent.last_assignment_end);
    case SelectionStrategy::kMostSpareCapacity:
      return -(int64_t{agent.capacity} - agent.load);
    case SelectionStrategy::kRoundRobin:
      return static_cast<int64_t>(std::min<uint64_t>(
          agent.round_robin_counter, std::numeric_limits<int64_t>::max()));
    case SelectionStrategy::kBestSkillLevel:
      return -int64_t{skill_score};
  }
  return 0;
}

bool Matcher::Qualifies(const Agent& agent, const Queue& queue, int32_t* skill_score) {
  int32_t score = 0;
  for (const SkillLevel& required : queue.required_skills) {
    auto it = std::lower_bound(agent.skills.begin(), agent.skills.end(), required, SkillLess);
    if (it == agent.skills.end() || it->skill != required.skill || it->level < required.level) {
      return false;
    }
    score += it->level;
  }
  *skill_score = score;
  return true;
}

bool Matcher::Excludes(const Task& task, AgentId agent) {
  return std::find(task.excluded.begin(), task.excluded.end(), agent) != task.excluded.end();
}

void Matcher::QualifyingQueues(const Agent& agent, std::vector<uint32_t>* queues,
                               std::vector<int32_t>* scores) const {
  for (uint32_t i = 0; i < queues_.size(); ++i) {
    int32_t score = 0;
    if (Qualifies(agent, queues_[i].queue, &score)) {
      queues->push_back(i);
      scores->push_back(score);
    }
  }
}

void Matcher::Reindex(AgentRecord& record, Agent next, bool skills_changed) {
  // Unchanged skills keep the queue list: the walk below then pairs each
  // queue with itself.
  std::vector<uint32_t> qualifying;
  std::vector<int32_t> qualifying_scores;
  if (skills_changed) QualifyingQueues(next, &qualifying, &qualifying_scores);
  const std::vector<uint32_t>& old_queues = record.queues;
  const std::vector<uint32_t>& new_queues = skills_changed ? qualifying : record.queues;
  const std::vector<int32_t>& new_scores =
      skills_changed ? qualifying_scores : record.skill_scores;
  const ChannelMask new_eligible = EligibleChannels(next);
  const uint64_t id = next.id.value();

  // Walks the union of the old and the new queue lists (both ascending).
  size_t i = 0;
  size_t j = 0;
  while (i < old_queues.size() || j < new_queues.size()) {
    const bool take_old = i < old_queues.size() &&
                          (j == new_queues.size() || old_queues[i] <= new_queues[j]);
    const bool take_new = j < new_queues.size() &&
                          (i == old_queues.size() || new_queues[j] <= old_queues[i]);
    const uint32_t qi = take_old ? old_queues[i] : new_queues[j];
    QueueRecord& q = queues_[qi];
    const SelectionStrategy strategy = q.queue.strategy;
    const ChannelMask old_mask = take_old ? record.eligible & q.queue.channels : 0;
    const ChannelMask new_mask = take_new ? new_eligible & q.queue.channels : 0;
    const int64_t old_rank =
        take_old ? Rank(strategy, record.agent, record.skill_scores[i]) : 0;
    const int64_t new_rank = take_new ? Rank(strategy, next, new_scores[j]) : 0;
    if (old_mask != new_mask || old_rank != new_rank) {
      // A changed rank moves the agent in every tree; otherwise only the
      // trees whose membership changed are touched.
      const bool moved = old_rank != new_rank;
      ForEachChannel(moved ? old_mask : old_mask & ~new_mask,
                     [&](int c) { q.agents[c].erase(AgentKey{old_rank, id}); });
      ForEachChannel(moved ? new_mask : new_mask & ~old_mask,
                     [&](int c) { q.agents[c].insert(AgentKey{new_rank, id}); });
    }
    if (take_old) ++i;
    if (take_new) ++j;
  }

  record.agent = std::move(next);
  if (skills_changed) {
    record.queues = std::move(qualifying);
    record.skill_scores = std::move(qualifying_scores);
  }
  record.eligible = new_eligible;
}

absl::Status Matcher::AddAgent(Agent agent) {
  if (absl::Status s = ValidateAgent(agent); !s.ok()) return s;
  if (agents_.contains(agent.id)) {
    return absl::AlreadyExistsError(absl::StrCat(ToString(agent.id), " already exists"));
  }
  std::sort(agent.skills.begin(), agent.skills.end(), SkillLess);
  AgentRecord& record = agents_[agent.id];
  record.agent.id = agent.id;
  Reindex(record, std::move(agent), /*skills_changed=*/true);
  return absl::OkStatus();
}

absl::Status Matcher::UpdateAgent(Agent agent) {
  if (absl::Status s = ValidateAgent(agent); !s.ok()) return s;
  auto it = agents_.find(agent.id);
  if (it == agents_.end()) {
    return absl::NotFoundError(absl::StrCat(ToString(agent.id), " not found"));
  }
  std::sort(agent.skills.begin(), agent.skills.end(), SkillLess);
  const bool skills_changed = agent.skills != it->second.agent.skills;
  Reindex(it->second, std::move(agent), skills_changed);
  return absl::OkStatus();
}

absl::Status Matcher::RemoveAgent(AgentId id) {
  auto it = agents_.find(id);
  if (it == agents_.end()) {
    return absl::NotFoundError(absl::StrCat(ToString(id), " not found"));
  }
  // Offline and skilled for nothing: Reindex takes the agent out of every
  // tree.
  Agent gone = it->second.agent;
  gone.presence = Presence::kOffline;
  gone.skills.clear();
  Reindex(it->second, std::move(gone), /*skills_changed=*/true);
  agents_.erase(it);
  return absl::OkStatus();
}

absl::Status Matcher::AddQueue(Queue queue) {
  if (absl::Status s = ValidateQueue(queue); !s.ok()) return s;
  if (queue_index_.contains(queue.id)) {
    return absl::AlreadyExistsError(absl::StrCat(ToString(queue.id), " already exists"));
  }
  const uint32_t qi = static_cast<uint32_t>(queues_.size());
  queue_index_[queue.id] = qi;
  queues_.push_back(QueueRecord{std::move(queue), {}, {}});
  QueueRecord& q = queues_.back();
  // The new index is the largest, so appending keeps each agent's queue list
  // ascending. The trees do not depend on the order agents are visited in.
  for (auto& [id, record] : agents_) {
    int32_t score = 0;
    if (!Qualifies(record.agent, q.queue, &score)) continue;
    record.queues.push_back(qi);
    record.skill_scores.push_back(score);
    const AgentKey key{Rank(q.queue.strategy, record.agent, score), id.value()};
    ForEachChannel(record.eligible & q.queue.channels,
                   [&](int c) { q.agents[c].insert(key); });
  }
  return absl::OkStatus();
}

absl::Status Matcher::Enqueue(Task task) {
  if (absl::Status s = ValidateTask(task); !s.ok()) return s;
  auto q = queue_index_.find(task.queue);
  if (q == queue_index_.end()) {
    return absl::NotFoundError(absl::StrCat("task.queue: ", ToString(task.queue), " not found"));
  }
  QueueRecord& queue = queues_[q->second];
  if (!Contains(queue.queue.channels, task.channel)) {
    return absl::InvalidArgumentError(absl::StrCat("task.channel: ", ToString(task.queue),
                                                   " does not serve ",
                                                   ChannelName(task.channel)));
  }
  if (tasks_.contains(task.id)) {
    return absl::AlreadyExistsError(absl::StrCat(ToString(task.id), " is already waiting"));
  }
  const TaskKey key = KeyOf(task);
  queue.tasks[task.channel].insert(key);
  if (task.preferred_agent.has_value()) preferred_[*task.preferred_agent].insert(key);
  const TaskId id = task.id;
  tasks_.emplace(id, TaskRecord{std::move(task), q->second});
  return absl::OkStatus();
}

absl::Status Matcher::Cancel(TaskId id) {
  auto it = tasks_.find(id);
  if (it == tasks_.end()) {
    return absl::NotFoundError(absl::StrCat(ToString(id), " is not waiting"));
  }
  const Task& task = it->second.task;
  const TaskKey key = KeyOf(task);
  queues_[it->second.queue_index].tasks[task.channel].erase(key);
  if (task.preferred_agent.has_value()) {
    auto p = preferred_.find(*task.preferred_agent);
    p->second.erase(key);
    if (p->second.empty()) preferred_.erase(p);
  }
  tasks_.erase(it);
  return absl::OkStatus();
}

absl::Status Matcher::ExcludeAgent(TaskId id, AgentId agent) {
  if (!agent.valid()) return absl::InvalidArgumentError("agent: must not be 0");
  auto it = tasks_.find(id);
  if (it == tasks_.end()) {
    return absl::NotFoundError(absl::StrCat(ToString(id), " is not waiting"));
  }
  Task& task = it->second.task;
  if (Excludes(task, agent)) return absl::OkStatus();
  const bool first = task.excluded.empty();
  task.excluded.push_back(agent);
  if (first) {
    // The key's has_exclusions flag changes; its place in the order does
    // not, so erase and insert land on the same spot.
    const TaskKey key = KeyOf(task);
    TaskTree& tree = queues_[it->second.queue_index].tasks[task.channel];
    tree.erase(key);
    tree.insert(key);
    if (task.preferred_agent.has_value()) {
      TaskTree& preferred = preferred_[*task.preferred_agent];
      preferred.erase(key);
      preferred.insert(key);
    }
  }
  return absl::OkStatus();
}

bool Matcher::CanTake(const AgentRecord& record, const TaskRecord& task) const {
  if (!Contains(record.eligible, task.task.channel)) return false;
  if (!std::binary_search(record.queues.begin(), record.queues.end(), task.queue_index)) {
    return false;
  }
  return !Excludes(task.task, record.agent.id);
}

std::optional<Assignment> Matcher::BestAgentFor(TaskId id) const {
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return std::nullopt;
  const TaskRecord& task = it->second;
  if (task.task.preferred_agent.has_value()) {
    auto a = agents_.find(*task.task.preferred_agent);
    if (a != agents_.end() && CanTake(a->second, task)) {
      return Assignment{id, a->first};
    }
  }
  const AgentTree& candidates = queues_[task.queue_index].agents[task.task.channel];
  for (const AgentKey& key : candidates) {
    const AgentId agent(key.id);
    if (!Excludes(task.task, agent)) return Assignment{id, agent};
  }
  return std::nullopt;
}

std::optional<Assignment> Matcher::BestTaskFor(AgentId id) const {
  auto a = agents_.find(id);
  if (a == agents_.end()) return std::nullopt;
  const AgentRecord& record = a->second;
  if (record.eligible == 0) return std::nullopt;

  // Tasks that prefer this agent come first, best first.
  if (auto p = preferred_.find(id); p != preferred_.end()) {
    for (const TaskKey& key : p->second) {
      const TaskRecord& task = tasks_.find(TaskId(key.id))->second;
      if (CanTake(record, task)) return Assignment{task.task.id, id};
    }
  }

  const TaskOrder before;
  const TaskKey* best = nullptr;
  for (uint32_t qi : record.queues) {
    const QueueRecord& q = queues_[qi];
    ForEachChannel(q.queue.channels & record.eligible, [&](int c) {
      for (const TaskKey& key : q.tasks[c]) {
        // Everything further in this tree is worse than `key`.
        if (best != nullptr && !before(key, *best)) return;
        if (key.has_exclusions && Excludes(tasks_.find(TaskId(key.id))->second.task, id)) {
          continue;
        }
        best = &key;
        return;
      }
    });
  }
  if (best == nullptr) return std::nullopt;
  return Assignment{TaskId(best->id), id};
}

const Agent* Matcher::FindAgent(AgentId id) const {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : &it->second.agent;
}

const Queue* Matcher::FindQueue(QueueId id) const {
  auto it = queue_index_.find(id);
  return it == queue_index_.end() ? nullptr : &queues_[it->second].queue;
}

const Task* Matcher::FindTask(TaskId id) const {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second.task;
}

}  // namespace omniroute::routing
