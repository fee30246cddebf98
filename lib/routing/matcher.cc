// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/matcher.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/shrink_when_sparse.h"

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

// --- AgentTournament ---------------------------------------------------------

namespace matcher_internal {

// A leaf's eligible positions and positions_ hold every channel in a byte;
// EligibleLeaves reads the kFanOut leaves of a node as one word.
static_assert(kChannelCount <= 8);
static_assert(AgentTournament::kFanOut == 8);

AgentTournament::AgentTournament(ChannelMask channels)
    : width_(static_cast<uint32_t>(std::popcount(channels))), channels_(channels) {
  // positions_[m]: the channels of m as positions (bit j: the j-th channel).
  for (uint32_t m = 0; m < positions_.size(); ++m) {
    uint32_t j = 0;
    ForEachChannel(channels_, [&](int c) {
      positions_[m] |= static_cast<uint8_t>(((m >> c) & 1) << j);
      ++j;
    });
  }
}

uint32_t AgentTournament::Allocate() {
  if (!free_.empty()) {
    const uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }
  if (used_ == keys_.size()) Grow();
  return used_++;
}

void AgentTournament::Release(uint32_t slot) {
  Move(slot, kNone, 0);
  free_.push_back(slot);
}

uint32_t AgentTournament::EligibleLeaves(uint32_t first, uint32_t j) const {
  uint64_t bytes = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&bytes, &eligible_[first], sizeof(bytes));
  } else {
    for (uint32_t i = 0; i < kFanOut; ++i) bytes |= uint64_t{eligible_[first + i]} << (8 * i);
  }
  // Bit j of byte i to bit 56 + i: the bits land on distinct places, so the
  // product has no carries.
  const uint64_t bits = (bytes >> j) & 0x0101010101010101u;
  return static_cast<uint32_t>((bits * 0x0102040810204080u) >> 56);
}

AgentTournament::Key AgentTournament::ChildMin(uint32_t level, uint32_t index,
                                               uint32_t j) const {
  Key least = kNone;
  const uint32_t first = index * kFanOut;
  if (level == 1) {
    for (uint32_t bits = EligibleLeaves(first, j); bits != 0; bits &= bits - 1) {
      const Key& key = keys_[first + std::countr_zero(bits)];
      if (Less(key, least)) least = key;
    }
  } else {
    const Key* child = NodeAt(level - 1, first) + j;
    for (uint32_t i = 0; i < kFanOut; ++i, child += width_) {
      if (Less(*child, least)) least = *child;
    }
  }
  return least;
}

void AgentTournament::Grow() {
  const uint32_t leaves = keys_.empty() ? kFanOut : 2 * static_cast<uint32_t>(keys_.size());
  keys_.resize(leaves, kNone);
  eligible_.resize(leaves, 0);
  level_size_[0] = leaves;
  levels_ = 0;
  uint32_t total = 0;
  do {
    ++levels_;
    level_start_[levels_] = total;
    uint32_t size = (level_size_[levels_ - 1] + kFanOut - 1) / kFanOut;
    if (size > 1) size = (size + kFanOut - 1) / kFanOut * kFanOut;  // padded with kNone
    level_size_[levels_] = size;
    total += size;
  } while (level_size_[levels_] > 1);
  nodes_.assign(size_t{total} * width_, kNone);
  for (uint32_t level = 1; level <= levels_; ++level) {
    // The padding nodes have no children and stay kNone.
    const uint32_t real = std::max<uint32_t>(1, level_size_[level - 1] / kFanOut);
    for (uint32_t i = 0; i < real; ++i) {
      for (uint32_t j = 0; j < width_; ++j) NodeAt(level, i)[j] = ChildMin(level, i, j);
    }
  }
}

void AgentTournament::Move(uint32_t slot, Key key, uint32_t now) {
  // The agent, as the inner nodes know them.
  const uint64_t was = keys_[slot].id;
  const uint32_t before = eligible_[slot];
  const uint32_t both = before & now;
  // Positions where the agent improved (or became eligible), and where they
  // got worse (or became ineligible).
  uint32_t better = now & ~before;
  uint32_t worse = before & ~now;
  if (Less(key, keys_[slot])) better |= both;
  if (Less(keys_[slot], key)) worse |= both;
  keys_[slot] = key;
  eligible_[slot] = static_cast<uint8_t>(now);

  // Every node holds the smallest key of its children. Only the nodes above
  // the leaf can change, and only while the agent is or becomes their best.
  uint32_t index = slot;
  for (uint32_t level = 1; level <= levels_ && (better | worse) != 0; ++level) {
    index /= kFanOut;
    Key* node = NodeAt(level, index);
    uint32_t still = 0;
    for (uint32_t bits = better; bits != 0; bits &= bits - 1) {
      const uint32_t j = static_cast<uint32_t>(std::countr_zero(bits));
      if (node[j].id != was && !Less(key, node[j])) continue;  // another's best wins
      node[j] = key;
      still |= uint32_t{1} << j;
    }
    better = still;
    still = 0;
    for (uint32_t bits = worse; bits != 0; bits &= bits - 1) {
      const uint32_t j = static_cast<uint32_t>(std::countr_zero(bits));
      if (node[j].id != was) continue;  // the node's best was someone else
      node[j] = ChildMin(level, index, j);
      still |= uint32_t{1} << j;
    }
    worse = still;
  }
}

std::optional<AgentId> AgentTournament::Best(Channel c,
                                             const std::vector<AgentId>& excluded) const {
  if (levels_ == 0 || !Contains(channels_, c)) return std::nullopt;
  const uint32_t j = static_cast<uint32_t>(std::popcount(channels_ & (MaskOf(c) - 1)));
  auto is_excluded = [&](const Key& key) {
    return std::find(excluded.begin(), excluded.end(), AgentId(key.id + 1)) != excluded.end();
  };
  const Key root = NodeAt(levels_, 0)[j];
  if (root.id == kNone.id) return std::nullopt;
  if (!is_excluded(root)) return AgentId(root.id + 1);

  // Branch and bound, best child first: a subtree is entered only when its
  // best beats the best found so far, so each excluded agent ahead of the
  // answer costs one walk down.
  struct Pending {
    uint32_t level;
    uint32_t index;
    Key best;
  };
  Pending stack[kFanOut * kMaxLevels];
  int depth = 0;
  stack[depth++] = Pending{levels_, 0, root};
  Key found = kNone;
  while (depth > 0) {
    const Pending p = stack[--depth];
    if (!Less(p.best, found)) continue;
    const uint32_t first = p.index * kFanOut;
    if (p.level == 1) {
      for (uint32_t bits = EligibleLeaves(first, j); bits != 0; bits &= bits - 1) {
        const Key& key = keys_[first + std::countr_zero(bits)];
        if (Less(key, found) && !is_excluded(key)) found = key;
      }
      continue;
    }
    // The children that may beat `found`, pushed worst first.
    const int bottom = depth;
    for (uint32_t i = first; i < first + kFanOut; ++i) {
      const Key key = NodeAt(p.level - 1, i)[j];
      if (!Less(key, found)) continue;
      int k = depth++;
      while (k > bottom && Less(stack[k - 1].best, key)) {
        stack[k] = stack[k - 1];
        --k;
      }
      stack[k] = Pending{p.level - 1, i, key};
    }
  }
  if (found.id == kNone.id) return std::nullopt;
  return AgentId(found.id + 1);
}

}  // namespace matcher_internal

// --- Matcher -------------------------------------------------------------------

size_t Matcher::CountAhead(QueueId queue, Channel channel, int64_t priority, uint64_t arrival,
                           TaskId id) const {
  auto q = queue_index_.find(queue);
  if (q == queue_index_.end() || channel < 0 || channel >= kChannelCount) return 0;
  const TaskKey target{priority, arrival, id.value(), 0, false};
  const TaskOrder before;
  size_t count = 0;
  for (const TaskKey& key : queues_[q->second].tasks[channel]) {
    if (!before(key, target)) break;
    ++count;
  }
  return count;
}

Matcher::TaskKey Matcher::KeyOf(const Task& task, uint32_t slot) {
  return TaskKey{task.priority, task.arrival, task.id.value(), slot, !task.excluded.empty()};
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

uint64_t Matcher::Rank(SelectionStrategy strategy, const Agent& agent, int32_t skill_score) {
  // A signed value in unsigned order: the sign bit flipped.
  auto ordered = [](int64_t v) { return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63); };
  switch (strategy) {
    case SelectionStrategy::kLongestIdle:
      // Saturates: InfinitePast() ranks first, as "never worked".
      return ordered(absl::ToUnixNanos(agent.last_assignment_end));
    case SelectionStrategy::kMostSpareCapacity:
      return ordered(-(int64_t{agent.capacity} - agent.load));
    case SelectionStrategy::kRoundRobin:
      return agent.round_robin_counter;
    case SelectionStrategy::kBestSkillLevel:
      return ordered(-int64_t{skill_score});
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

std::vector<Matcher::Membership> Matcher::QualifyingQueues(const Agent& agent) const {
  std::vector<Membership> queues;
  for (uint32_t i = 0; i < queues_.size(); ++i) {
    const Queue& queue = queues_[i].queue;
    int32_t score = 0;
    if (Qualifies(agent, queue, &score)) {
      queues.push_back(Membership{i, 0, score, queue.channels, queue.strategy});
    }
  }
  return queues;
}

void Matcher::Reindex(uint32_t index, Agent next, bool skills_changed) {
  AgentRecord& record = agents_[index];
  const Agent& prev = record.agent;
  const ChannelMask new_eligible = EligibleChannels(next);
  const ChannelMask eligible_changed = record.eligible ^ new_eligible;

  if (!skills_changed) {
    // Which strategies rank the agent differently now (the skill score is
    // fixed while the skills are), and the new ranks of the others.
    constexpr int kIdle = static_cast<int>(SelectionStrategy::kLongestIdle);
    constexpr int kSpare = static_cast<int>(SelectionStrategy::kMostSpareCapacity);
    constexpr int kCounter = static_cast<int>(SelectionStrategy::kRoundRobin);
    std::array<bool, 4> moved = {};
    moved[kIdle] = prev.last_assignment_end != next.last_assignment_end;
    moved[kSpare] = int64_t{prev.capacity} - prev.load != int64_t{next.capacity} - next.load;
    moved[kCounter] = prev.round_robin_counter != next.round_robin_counter;
    std::array<uint64_t, 4> rank = {};
    rank[kIdle] = Rank(SelectionStrategy::kLongestIdle, next, 0);
    rank[kSpare] = Rank(SelectionStrategy::kMostSpareCapacity, next, 0);
    rank[kCounter] = Rank(SelectionStrategy::kRoundRobin, next, 0);
    // Whether the agent's leaf in queue m changes. An ineligible agent's
    // rank does not matter (their leaf gets it when they become eligible).
    const ChannelMask either = record.eligible | new_eligible;
    auto changes = [&](const Membership& m) {
      return (eligible_changed & m.channels) != 0 ||
             (moved[static_cast<int>(m.strategy)] && (either & m.channels) != 0);
    };
    // Two passes: the first starts fetching every leaf to change, so that
    // the cache misses of the queues overlap.
    for (const Membership& m : record.queues) {
      if (changes(m)) queues_[m.queue].agents.Prefetch(m.slot);
    }
    for (const Membership& m : record.queues) {
      if (!changes(m)) continue;
      const uint64_t r = m.strategy == SelectionStrategy::kBestSkillLevel
                             ? Rank(m.strategy, next, m.skill_score)
                             : rank[static_cast<int>(m.strategy)];
      queues_[m.queue].agents.Update(m.slot, r, next.id, new_eligible);
    }
    record.agent = std::move(next);
    record.eligible = new_eligible;
    return;
  }

  // Walks the old and the new queue lists (both ascending) together: queues
  // left free their slot, queues joined take one, the others are updated.
  std::vector<Membership> joined = QualifyingQueues(next);
  size_t i = 0;
  auto leave = [&](const Membership& m) { queues_[m.queue].agents.Release(m.slot); };
  for (Membership& m : joined) {
    while (i < record.queues.size() && record.queues[i].queue < m.queue) {
      leave(record.queues[i++]);
    }
    matcher_internal::AgentTournament& agents = queues_[m.queue].agents;
    if (i < record.queues.size() && record.queues[i].queue == m.queue) {
      m.slot = record.queues[i++].slot;
    } else {
      m.slot = agents.Allocate();
    }
    agents.Update(m.slot, Rank(m.strategy, next, m.skill_score), next.id, new_eligible);
  }
  while (i < record.queues.size()) leave(record.queues[i++]);
  record.agent = std::move(next);
  record.queues = std::move(joined);
  record.eligible = new_eligible;
}

absl::Status Matcher::AddAgent(Agent agent) {
  if (absl::Status s = ValidateAgent(agent); !s.ok()) return s;
  auto [it, inserted] = agent_index_.try_emplace(agent.id, 0);
  if (!inserted) {
    return absl::AlreadyExistsError(absl::StrCat(ToString(agent.id), " already exists"));
  }
  std::sort(agent.skills.begin(), agent.skills.end(), SkillLess);
  uint32_t index;
  if (!free_agent_indices_.empty()) {
    index = free_agent_indices_.back();
    free_agent_indices_.pop_back();
  } else {
    index = static_cast<uint32_t>(agents_.size());
    agents_.emplace_back();
  }
  it->second = index;
  AgentRecord& record = agents_[index];
  record.agent.id = agent.id;
  Reindex(index, std::move(agent), /*skills_changed=*/true);
  return absl::OkStatus();
}

absl::Status Matcher::UpdateAgent(Agent agent) {
  // The lookup first, so that the agent's record and queue list are on their
  // way to the cache while the new values are checked.
  auto it = agent_index_.find(agent.id);
  if (it != agent_index_.end()) {
    const char* record = reinterpret_cast<const char*>(&agents_[it->second]);
    for (size_t at = 0; at < sizeof(AgentRecord); at += 64) __builtin_prefetch(record + at);
  }
  if (absl::Status s = ValidateAgent(agent); !s.ok()) return s;
  if (it == agent_index_.end()) {
    return absl::NotFoundError(absl::StrCat(ToString(agent.id), " not found"));
  }
  const uint32_t index = it->second;
  const std::vector<Membership>& queues = agents_[index].queues;
  for (size_t m = 0; m < queues.size(); m += 64 / sizeof(Membership)) {
    __builtin_prefetch(&queues[m]);
  }
  if (!std::is_sorted(agent.skills.begin(), agent.skills.end(), SkillLess)) {
    std::sort(agent.skills.begin(), agent.skills.end(), SkillLess);
  }
  const bool skills_changed = agent.skills != agents_[index].agent.skills;
  Reindex(index, std::move(agent), skills_changed);
  return absl::OkStatus();
}

absl::Status Matcher::RemoveAgent(AgentId id) {
  auto it = agent_index_.find(id);
  if (it == agent_index_.end()) {
    return absl::NotFoundError(absl::StrCat(ToString(id), " not found"));
  }
  const uint32_t index = it->second;
  AgentRecord& record = agents_[index];
  for (const Membership& m : record.queues) queues_[m.queue].agents.Release(m.slot);
  record = AgentRecord();  // an invalid id marks the index free
  free_agent_indices_.push_back(index);
  agent_index_.erase(it);
  return absl::OkStatus();
}

absl::Status Matcher::AddQueue(Queue queue) {
  if (absl::Status s = ValidateQueue(queue); !s.ok()) return s;
  if (queue_index_.contains(queue.id)) {
    return absl::AlreadyExistsError(absl::StrCat(ToString(queue.id), " already exists"));
  }
  const uint32_t qi = static_cast<uint32_t>(queues_.size());
  queue_index_[queue.id] = qi;
  QueueRecord& q = queues_.emplace_back();
  q.agents = matcher_internal::AgentTournament(queue.channels);
  q.queue = std::move(queue);
  // The new index is the largest, so appending keeps each agent's queue list
  // ascending. The answers do not depend on the order agents are visited in
  // (only the slots do).
  for (uint32_t index = 0; index < agents_.size(); ++index) {
    AgentRecord& record = agents_[index];
    int32_t score = 0;
    if (!record.agent.id.valid() || !Qualifies(record.agent, q.queue, &score)) continue;
    const uint32_t slot = q.agents.Allocate();
    record.queues.push_back(Membership{qi, slot, score, q.queue.channels, q.queue.strategy});
    q.agents.Update(slot, Rank(q.queue.strategy, record.agent, score), record.agent.id,
                    record.eligible);
  }
  return absl::OkStatus();
}

void Matcher::Inserted(QueueRecord& queue, Channel c, const TaskKey& key) {
  if (!Contains(queue.nonempty, c) || TaskOrder()(key, queue.front[c])) {
    queue.front[c] = key;
    queue.nonempty |= MaskOf(c);
  }
}

void Matcher::Erased(QueueRecord& queue, Channel c, const TaskKey& key) {
  if (queue.front[c].id != key.id) return;
  const TaskTree& tree = queue.tasks[c];
  if (tree.empty()) {
    queue.nonempty &= ~MaskOf(c);
  } else {
    queue.front[c] = *tree.begin();
  }
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
  auto [index, inserted] = task_index_.try_emplace(task.id, 0);
  if (!inserted) {
    return absl::AlreadyExistsError(absl::StrCat(ToString(task.id), " is already waiting"));
  }
  uint32_t slot;
  if (!free_task_slots_.empty()) {
    slot = free_task_slots_.back();
    free_task_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(task_slab_.size());
    task_slab_.emplace_back();
  }
  index->second = slot;
  const TaskKey key = KeyOf(task, slot);
  queue.tasks[task.channel].insert(key);
  Inserted(queue, task.channel, key);
  if (task.preferred_agent.has_value()) preferred_[*task.preferred_agent].insert(key);
  TaskRecord& record = task_slab_[slot];
  record.task = std::move(task);
  record.queue_index = q->second;
  return absl::OkStatus();
}

absl::Status Matcher::Cancel(TaskId id) {
  auto it = task_index_.find(id);
  if (it == task_index_.end()) {
    return absl::NotFoundError(absl::StrCat(ToString(id), " is not waiting"));
  }
  const uint32_t slot = it->second;
  task_index_.erase(it);
  TaskRecord& record = task_slab_[slot];
  Task& task = record.task;
  const TaskKey key = KeyOf(task, slot);
  QueueRecord& queue = queues_[record.queue_index];
  queue.tasks[task.channel].erase(key);
  Erased(queue, task.channel, key);
  if (task.preferred_agent.has_value()) {
    auto p = preferred_.find(*task.preferred_agent);
    p->second.erase(key);
    if (p->second.empty()) preferred_.erase(p);
  }
  // The slot keeps its vector's buffer for the next task.
  task.excluded.clear();
  task.preferred_agent.reset();
  free_task_slots_.push_back(slot);
  CompactTasksWhenSparse();
  return absl::OkStatus();
}

void Matcher::CompactTasksWhenSparse() {
  constexpr size_t kSmall = 1024;
  if (task_slab_.size() <= kSmall || task_index_.size() * 8 >= task_slab_.size()) return;
  // Slots are carried in the keys but not compared (TaskOrder), so the
  // trees are rebuilt in the same order with the new slots.
  std::vector<uint32_t> moved_to(task_slab_.size(), 0);
  std::vector<TaskRecord> slab;
  slab.reserve(task_index_.size());
  for (auto& [id, slot] : task_index_) {
    moved_to[slot] = static_cast<uint32_t>(slab.size());
    slab.push_back(std::move(task_slab_[slot]));
    slot = moved_to[slot];
  }
  auto rekey = [&](TaskTree& tree) {
    TaskTree rebuilt;
    for (TaskKey key : tree) {
      key.slot = moved_to[key.slot];
      rebuilt.insert(rebuilt.end(), key);
    }
    tree = std::move(rebuilt);
  };
  for (QueueRecord& queue : queues_) {
    for (int c = 0; c < kChannelCount; ++c) {
      rekey(queue.tasks[c]);
      if (Contains(queue.nonempty, static_cast<Channel>(c))) {
        queue.front[c].slot = moved_to[queue.front[c].slot];
      }
    }
  }
  for (auto& [agent, tree] : preferred_) rekey(tree);
  task_slab_ = std::move(slab);
  free_task_slots_ = {};
  core::ShrinkWhenSparse(task_index_);
}

absl::Status Matcher::ExcludeAgent(TaskId id, AgentId agent) {
  if (!agent.valid()) return absl::InvalidArgumentError("agent: must not be 0");
  auto it = task_index_.find(id);
  if (it == task_index_.end()) {
    return absl::NotFoundError(absl::StrCat(ToString(id), " is not waiting"));
  }
  const uint32_t slot = it->second;
  TaskRecord& record = task_slab_[slot];
  Task& task = record.task;
  if (Excludes(task, agent)) return absl::OkStatus();
  const bool first = task.excluded.empty();
  task.excluded.push_back(agent);
  if (first) {
    // The key's has_exclusions flag changes; its place in the order does
    // not, so erase and insert land on the same spot.
    const TaskKey key = KeyOf(task, slot);
    QueueRecord& queue = queues_[record.queue_index];
    TaskTree& tree = queue.tasks[task.channel];
    tree.erase(key);
    tree.insert(key);
    if (queue.front[task.channel].id == key.id) queue.front[task.channel] = key;
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
  auto m = std::lower_bound(
      record.queues.begin(), record.queues.end(), task.queue_index,
      [](const Membership& a, uint32_t queue) { return a.queue < queue; });
  if (m == record.queues.end() || m->queue != task.queue_index) return false;
  return !Excludes(task.task, record.agent.id);
}

std::optional<Assignment> Matcher::BestAgentFor(TaskId id) const {
  auto it = task_index_.find(id);
  if (it == task_index_.end()) return std::nullopt;
  const TaskRecord& task = task_slab_[it->second];
  if (task.task.preferred_agent.has_value()) {
    auto a = agent_index_.find(*task.task.preferred_agent);
    if (a != agent_index_.end() && CanTake(agents_[a->second], task)) {
      return Assignment{id, a->first};
    }
  }
  std::optional<AgentId> agent =
      queues_[task.queue_index].agents.Best(task.task.channel, task.task.excluded);
  if (!agent.has_value()) return std::nullopt;
  return Assignment{id, *agent};
}

std::optional<Assignment> Matcher::BestTaskFor(AgentId id) const {
  auto a = agent_index_.find(id);
  if (a == agent_index_.end()) return std::nullopt;
  const AgentRecord& record = agents_[a->second];
  if (record.eligible == 0) return std::nullopt;

  // Tasks that prefer this agent come first, best first.
  if (!preferred_.empty()) {
    if (auto p = preferred_.find(id); p != preferred_.end()) {
      for (const TaskKey& key : p->second) {
        const TaskRecord& task = task_slab_[key.slot];
        if (CanTake(record, task)) return Assignment{task.task.id, id};
      }
    }
  }

  const TaskOrder before;
  const TaskKey* best = nullptr;
  for (const Membership& m : record.queues) {
    const QueueRecord& q = queues_[m.queue];
    ForEachChannel(q.nonempty & record.eligible, [&](int c) {
      const TaskKey& front = q.front[c];
      // Everything in this tree is worse than `front`.
      if (best != nullptr && !before(front, *best)) return;
      if (!front.has_exclusions || !Excludes(task_slab_[front.slot].task, id)) {
        best = &front;
        return;
      }
      for (const TaskKey& key : q.tasks[c]) {
        if (best != nullptr && !before(key, *best)) return;
        if (key.has_exclusions && Excludes(task_slab_[key.slot].task, id)) continue;
        best = &key;
        return;
      }
    });
  }
  if (best == nullptr) return std::nullopt;
  return Assignment{TaskId(best->id), id};
}

const Agent* Matcher::FindAgent(AgentId id) const {
  auto it = agent_index_.find(id);
  return it == agent_index_.end() ? nullptr : &agents_[it->second].agent;
}

const Queue* Matcher::FindQueue(QueueId id) const {
  auto it = queue_index_.find(id);
  return it == queue_index_.end() ? nullptr : &queues_[it->second].queue;
}

const Task* Matcher::FindTask(TaskId id) const {
  auto it = task_index_.find(id);
  return it == task_index_.end() ? nullptr : &task_slab_[it->second].task;
}

}  // namespace omniroute::routing
