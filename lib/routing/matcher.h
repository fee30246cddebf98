// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Matcher: the in-memory index that matches waiting tasks to eligible agents,
// kept up to date incrementally so that a routing decision costs a few tree
// lookups instead of a scan of every task or agent.
//
// Eligibility. An agent may take a task when all of these hold:
//   - presence is kAvailable;
//   - no active task on one of the agent's exclusive channels (a call);
//   - the agent has every skill the task's queue requires, at its level or
//     above;
//   - the agent serves the task's channel (the queue does, by Enqueue's check);
//   - capacity - load >= the agent's cost for that channel;
//   - the agent is not in the task's `excluded` list.
// Taking a voice call while holding asynchronous work is governed by capacity
// alone (voice costs 4, so with 4 units it needs an idle agent).
//
// Ordering.
//   - Tasks: effective priority descending, then arrival ascending, then id.
//   - BestAgentFor(task): the task's preferred agent when eligible; otherwise
//     the first eligible agent in the queue's strategy order (model.h), ties
//     broken by agent id. last_assignment_end is compared in nanoseconds
//     since the Unix epoch, saturated: times more than 292 years away from
//     1970 (InfinitePast(), InfiniteFuture()) compare as the ends of that
//     range.
//   - BestTaskFor(agent): the best eligible task (in task order) among those
//     whose preferred agent is this agent; otherwise the best eligible task of
//     every queue. A preference does not reserve a task: another agent may
//     take it when the preferred one is not eligible. Holding the task for
//     its preferred agent during a window is left to the caller (it can keep
//     the task out of the matcher until then).
//
// Index. Per queue:
//   - per channel, the waiting tasks in task order (a B-tree), and a copy of
//     the first one;
//   - the agents skilled for the queue in a tournament tree
//     (matcher_internal::AgentTournament below, 8 children per node): an
//     agent holds one leaf with their strategy rank, id and the queue's
//     channels they can take now (exclusions aside); each node holds, per
//     channel, the best such agent below it, so the root holds the answer.
// An agent holds a leaf in every queue they are skilled for, whatever their
// presence or load: UpdateAgent rewrites only the leaves whose rank or
// eligible channels changed (a load change under kLongestIdle or
// kBestSkillLevel changes eligibility only, and only for the channels whose
// cost crosses the spare capacity), and walks up from a leaf only while the
// agent is, or becomes, the best of a node. Per agent, the tasks that prefer
// them.
//
// Complexity (T = waiting tasks of one (queue, channel), A = agents, Aq =
// agents skilled for one queue, d = log8(Aq) + 1 levels, Q = queues, Qa =
// queues an agent is skilled for, C = channels of a queue, r = required
// skills of a queue, s = skills of an agent):
//   - Enqueue, Cancel, ExcludeAgent: O(log T) and one hash lookup.
//   - BestAgentFor: O(1) and one hash lookup when the best agent is not
//     excluded; O(e * 8 * d) more when e excluded agents rank ahead of the
//     answer.
//   - BestTaskFor: O(Qa * C + p + x): one look at the first task of each of
//     the agent's (queue, channel) pairs (a copy kept beside the queue),
//     plus p preferred tasks and x first tasks skipped because they exclude
//     this agent.
//   - UpdateAgent: O(Qa) to find the leaves that change; per changed leaf
//     O(C) when the agent neither was nor becomes the best of the leaf's
//     parent (the common case), O(C * 8 * d) at worst (the agent was the
//     best of the queue and no longer is). Plus O(Q * r * log s) when skills
//     change.
//   - AddAgent: O(Q * r * log s + Qa * C * 8 * d), amortized (a queue's tree
//     doubles, O(Aq * C), when full); RemoveAgent: O(Qa * C * 8 * d).
//   - AddQueue: O(A * r * log s + A * C * 8 * d), amortized likewise.
// Measured figures: benchmarks/README.md ("Routing matcher").
//
// Deterministic: every choice is a function of the values passed in, never
// of insertion order, hashing or addresses.
//
// Thread-compatible: one tenant's matcher is owned by its single-threaded
// executor. Movable, not copyable.

#ifndef OMNIROUTE_LIB_ROUTING_MATCHER_H_
#define OMNIROUTE_LIB_ROUTING_MATCHER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "base/incremental_hash_map.h"
#include "routing/model.h"

namespace omniroute::routing {
namespace matcher_internal {

// A tournament tree over the agents skilled for one queue: each agent holds
// a leaf with their key (rank in the queue's strategy, then id) and the
// queue's channels they are eligible for; each inner node holds, for each of
// the queue's channels, the smallest key among the eligible agents below it.
// The root thus names the best agent per channel.
//
// Nodes have kFanOut children, so that the tree is shallow (4 inner levels
// for 1k agents) and the leaves of a node share a cache line or two. Moving
// an agent rewrites their leaf and goes up only while they are, or become,
// the best of a node: usually a level or two, log A / log kFanOut at worst,
// plus a look at the children of each node they were the best of and no
// longer are (at level 1 only the eligible ones). Slots are reused; the tree
// doubles (and is rebuilt, O(A)) when full.
//
// Thread-compatible.
class AgentTournament {
 public:
  static constexpr uint32_t kFanOut = 8;

  AgentTournament() = default;
  // For a queue serving `channels`.
  explicit AgentTournament(ChannelMask channels);

  // A free slot; its agent is eligible for nothing until Update.
  uint32_t Allocate();
  // Frees `slot`.
  void Release(uint32_t slot);
  // The agent in `slot` has `rank` (smaller first) and `id`, and is eligible
  // for the channels of `eligible` (others are ignored).
  void Update(uint32_t slot, uint64_t rank, AgentId id, ChannelMask eligible) {
    Move(slot, Key{rank, id.value() - 1}, positions_[eligible & (positions_.size() - 1)]);
  }
  // Asks the processor to fetch what Update(slot, ...) reads first, so that
  // the updates of one agent in many queues overlap their cache misses.
  void Prefetch(uint32_t slot) const {
    __builtin_prefetch(&keys_[slot], /*rw=*/1);
    __builtin_prefetch(&eligible_[slot], /*rw=*/1);
    uint32_t index = slot;
    for (uint32_t level = 1; level <= levels_ && level <= 3; ++level) {
      index /= kFanOut;
      __builtin_prefetch(NodeAt(level, index), /*rw=*/1);
    }
  }
  // The first agent eligible for channel `c` (one of the queue's) in (rank,
  // id) order that `excluded` does not list; nullopt when there is none.
  // O(1) when the first one is not excluded, O((1 + e) * kFanOut * depth)
  // when e agents ahead of the answer are.
  std::optional<AgentId> Best(Channel c, const std::vector<AgentId>& excluded) const;

 private:
  // (rank, id - 1) as one ordered pair of words. kNone, above every agent's
  // key, stands for "not eligible".
  struct Key {
    uint64_t rank;
    uint64_t id;
  };
  static constexpr Key kNone = {~uint64_t{0}, ~uint64_t{0}};
  static bool Less(const Key& a, const Key& b) {
    return a.rank < b.rank || (a.rank == b.rank && a.id < b.id);
  }

  // Node `index` of inner level `level` (1 = parents of leaves): width_
  // keys, one per channel.
  Key* NodeAt(uint32_t level, uint32_t index) {
    return &nodes_[(size_t{level_start_[level]} + index) * width_];
  }
  const Key* NodeAt(uint32_t level, uint32_t index) const {
    return &nodes_[(size_t{level_start_[level]} + index) * width_];
  }
  // Bit i: leaf first + i is eligible for channel position j.
  uint32_t EligibleLeaves(uint32_t first, uint32_t j) const;
  // The smallest key of channel position j among the children of node
  // `index` of inner level `level`.
  Key ChildMin(uint32_t level, uint32_t index, uint32_t j) const;
  // Sets leaf `slot` to `key`, eligible for the channel positions of `now`,
  // and the inner nodes above it to match. The leaf's agent keeps their id,
  // or the leaf becomes free (kNone).
  void Move(uint32_t slot, Key key, uint32_t now);
  // Doubles the number of leaves (slot s is leaf s), keeping every slot, and
  // rebuilds the inner levels.
  void Grow();

  // Leaves, a power of two of them (or none): keys, and eligible channel
  // positions (bit j: the queue's j-th channel).
  std::vector<Key> keys_;
  std::vector<uint8_t> eligible_;
  // Inner nodes, level 1 first. Level l has level_size_[l] nodes starting at
  // node level_start_[l]; levels_ holds the root alone; every level below
  // it has a multiple of kFanOut nodes (padded with kNone).
  std::vector<Key> nodes_;
  uint32_t width_ = 0;  // the queue's channels: keys per node
  uint32_t levels_ = 0;
  static constexpr int kMaxLevels = 12;  // enough for 2^32 leaves
  std::array<uint32_t, kMaxLevels> level_start_ = {};
  std::array<uint32_t, kMaxLevels> level_size_ = {};
  uint32_t used_ = 0;  // slots ever handed out
  std::vector<uint32_t> free_;
  ChannelMask channels_ = 0;
  // positions_[m]: channel mask m as channel positions.
  std::array<uint8_t, 1 << kChannelCount> positions_ = {};
};

// A hash of task ids for the matcher's index of waiting tasks. Callers number
// tasks in order (ids.h), so the tasks that come and go fastest (arrived
// and assigned at once) have neighbouring ids: blocks of 16 consecutive ids
// share one group of the table (a few cache lines), and the blocks are
// scattered by a multiplicative hash, so that other id patterns still
// spread. The low 7 bits (the table's per-slot tag) tell the 16 apart.
struct TaskIdHash {
  size_t operator()(TaskId id) const {
    const uint64_t v = id.value();
    const uint64_t block = (v >> 4) * 0x9e3779b97f4a7c15u;
    const uint64_t place = (block << 4) | (v & 15);
    const uint64_t tag = (v & 15) | ((block >> 61) << 4);
    return static_cast<size_t>((place << 7) | tag);
  }
};

}  // namespace matcher_internal

class Matcher {
 public:
  Matcher() = default;
  Matcher(Matcher&&) = default;
  Matcher& operator=(Matcher&&) = default;
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Adds an agent. INVALID_ARGUMENT for a malformed agent (ValidateAgent),
  // ALREADY_EXISTS when the id is known. On error nothing changes.
  absl::Status AddAgent(Agent agent);

  // Replaces a known agent's values (skills, presence, capacity, load,
  // last_assignment_end, round-robin counter...). INVALID_ARGUMENT as for
  // AddAgent, NOT_FOUND for an unknown id. On error nothing changes.
  absl::Status UpdateAgent(Agent agent);

  // Removes an agent. Tasks that exclude or prefer them keep the id (it is
  // harmless, and right again if the agent comes back). NOT_FOUND when
  // unknown.
  absl::Status RemoveAgent(AgentId id);

  // Adds a queue. INVALID_ARGUMENT for a malformed queue (ValidateQueue),
  // ALREADY_EXISTS when the id is known. Queues are never removed: a retired
  // queue simply gets no more tasks.
  absl::Status AddQueue(Queue queue);

  // Adds a waiting task. INVALID_ARGUMENT for a malformed task or a channel
  // its queue does not serve, NOT_FOUND for an unknown queue, ALREADY_EXISTS
  // when the id is already waiting. An agent excluded or preferred need not
  // be known.
  absl::Status Enqueue(Task task);

  // Removes a waiting task (cancelled, or assigned). NOT_FOUND when it is not
  // waiting.
  absl::Status Cancel(TaskId id);

  // Excludes `agent` from a waiting task (a decline or an expired offer).
  // NOT_FOUND when the task is not waiting; excluding twice is a no-op.
  absl::Status ExcludeAgent(TaskId task, AgentId agent);

  // The agent to offer waiting task `task` to, or nullopt when none is
  // eligible or the task is not waiting. Does not change anything.
  std::optional<Assignment> BestAgentFor(TaskId task) const;

  // The waiting task to offer `agent` (e.g. after they freed capacity), or
  // nullopt when they can take none or are unknown. Does not change anything.
  std::optional<Assignment> BestTaskFor(AgentId agent) const;

  // Lookups; nullptr when unknown. Valid until the next mutation.
  const Agent* FindAgent(AgentId id) const;
  const Queue* FindQueue(QueueId id) const;
  const Task* FindTask(TaskId id) const;

  // How many waiting tasks of `queue` and `channel` come before a task with
  // this priority, arrival and id in task order. O(the answer).
  size_t CountAhead(QueueId queue, Channel channel, int64_t priority, uint64_t arrival,
                    TaskId id) const;

  size_t agent_count() const { return agent_index_.size(); }
  size_t queue_count() const { return queues_.size(); }
  size_t waiting_count() const { return task_index_.size(); }

 private:
  // --- Waiting tasks.
  //
  // A task's place in task order. `slot` (its record in task_slab_) and
  // `has_exclusions` are carried, not compared: they let BestTaskFor reach a
  // task without a hash lookup, and skip the exclusion check for the common
  // task that excludes nobody.
  struct TaskKey {
    int64_t priority;
    uint64_t arrival;
    uint64_t id;
    uint32_t slot;
    bool has_exclusions;
  };
  struct TaskOrder {
    bool operator()(const TaskKey& a, const TaskKey& b) const {
      if (a.priority != b.priority) return a.priority > b.priority;
      if (a.arrival != b.arrival) return a.arrival < b.arrival;
      return a.id < b.id;
    }
  };
  using TaskTree = absl::btree_set<TaskKey, TaskOrder>;

  struct TaskRecord {
    Task task;
    uint32_t queue_index = 0;
  };

  // --- Queues.
  struct QueueRecord {
    Queue queue;
    // Waiting tasks, indexed by Channel value; only the queue's channels are
    // used. front[c] is a copy of tasks[c]'s first key when bit c of
    // `nonempty` is set, so that BestTaskFor reads one array per queue.
    std::array<TaskTree, kChannelCount> tasks;
    std::array<TaskKey, kChannelCount> front;
    ChannelMask nonempty = 0;
    // The agents skilled for the queue, with the best eligible one per
    // channel.
    matcher_internal::AgentTournament agents;
  };

  // --- Agents.
  //
  // One queue an agent is skilled for: where the agent sits in the queue's
  // tournament, and what their rank there depends on. `channels` and
  // `strategy` are copies of the queue's, so that an update that changes
  // nothing in a queue does not read the queue.
  struct Membership {
    uint32_t queue;
    uint32_t slot;
    int32_t skill_score;
    ChannelMask channels;
    SelectionStrategy strategy;
  };
  struct AgentRecord {
    Agent agent;  // skills sorted by skill id
    // The queues the agent is skilled for, by ascending queue index.
    std::vector<Membership> queues;
    // Channels the agent can take a task of right now (presence, exclusive
    // channels, served channels, capacity), exclusions aside.
    ChannelMask eligible = 0;
  };

  static TaskKey KeyOf(const Task& task, uint32_t slot);
  static ChannelMask EligibleChannels(const Agent& agent);
  // The agent's place in the strategy's order, smaller first.
  static uint64_t Rank(SelectionStrategy strategy, const Agent& agent, int32_t skill_score);
  static bool Qualifies(const Agent& agent, const Queue& queue, int32_t* skill_score);
  static bool Excludes(const Task& task, AgentId agent);

  // Moves agent `index` (in agents_) in the queues' tournaments from its
  // current indexed state to the one described by `next` (skills sorted),
  // then stores `next`. With `skills_changed` false the queue list is kept.
  void Reindex(uint32_t index, Agent next, bool skills_changed);
  // The queues `agent` is skilled for (slots not yet allocated).
  std::vector<Membership> QualifyingQueues(const Agent& agent) const;
  // Whether `record`'s agent may take `task` (every rule of the header).
  bool CanTake(const AgentRecord& record, const TaskRecord& task) const;
  // Keeps queue.front[c] equal to the first key of queue.tasks[c].
  static void Inserted(QueueRecord& queue, Channel c, const TaskKey& key);
  static void Erased(QueueRecord& queue, Channel c, const TaskKey& key);
  // Once the slab is mostly free slots (after a peak of waiting tasks), moves
  // the waiting tasks to a slab of their size and gives the rest back.
  void CompactTasksWhenSparse();

  std::vector<QueueRecord> queues_;
  absl::flat_hash_map<QueueId, uint32_t> queue_index_;
  // Agents by a dense index (free indices, with an invalid id, are reused),
  // and the index by id.
  std::vector<AgentRecord> agents_;
  std::vector<uint32_t> free_agent_indices_;
  absl::flat_hash_map<AgentId, uint32_t> agent_index_;
  // Waiting tasks: records in a slab (free slots are reused), found by id.
  std::vector<TaskRecord> task_slab_;
  std::vector<uint32_t> free_task_slots_;
  base::IncrementalHashMap<absl::flat_hash_map<TaskId, uint32_t, matcher_internal::TaskIdHash>>
      task_index_;
  // Waiting tasks by their preferred agent, in task order.
  absl::flat_hash_map<AgentId, TaskTree> preferred_;
};

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_MATCHER_H_
