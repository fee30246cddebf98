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
//     broken by agent id.
//   - BestTaskFor(agent): the best eligible task (in task order) among those
//     whose preferred agent is this agent; otherwise the best eligible task of
//     every queue. A preference does not reserve a task: another agent may
//     take it when the preferred one is not eligible. Holding the task for
//     its preferred agent during a window is left to the caller (it can keep
//     the task out of the matcher until then).
//
// Index. Per (queue, channel):
//   - the waiting tasks, in task order (a B-tree);
//   - the agents eligible for that queue and channel apart from exclusions,
//     keyed by the queue's strategy rank then id (a B-tree).
// An agent sits in the agent trees of every queue they are skilled for and
// every channel they can take now; UpdateAgent moves them only in the trees
// whose membership or rank changed. Per agent, the tasks that prefer them.
//
// Complexity (T = waiting tasks of one (queue, channel), A = agents, Q =
// queues, Qa = queues an agent is skilled for, C = channels, r = required
// skills of a queue, s = skills of an agent):
//   - Enqueue, Cancel, ExcludeAgent: O(log T).
//   - BestAgentFor: O(1 + e) where e <= |task.excluded| is the number of
//     front-runners the task excludes; plus one hash lookup.
//   - BestTaskFor: O(Qa * C + p + x): one look at the front of each of the
//     agent's (queue, channel) trees (most are pruned by comparing the front
//     with the best found so far), plus p preferred tasks and x front tasks
//     skipped because they exclude this agent.
//   - UpdateAgent: O(Qa) when neither eligibility nor rank changes in a queue
//     (e.g. load changes under kLongestIdle with spare capacity left),
//     O(Qa * C * log A) at worst; plus O(Q * r * log s) when skills change.
//   - AddAgent: O(Q * r * log s + Qa * C * log A); RemoveAgent:
//     O(Qa * C * log A).
//   - AddQueue: O(A * r * log s + A * C * log A).
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
#include "routing/model.h"

namespace omniroute::routing {

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

  size_t agent_count() const { return agents_.size(); }
  size_t queue_count() const { return queues_.size(); }
  size_t waiting_count() const { return tasks_.size(); }

 private:
  // A task's place in task order. `has_exclusions` is carried, not compared:
  // it lets BestTaskFor skip the task lookup for the common task that
  // excludes nobody.
  struct TaskKey {
    int64_t priority;
    uint64_t arrival;
    uint64_t id;
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

  // An agent's place in a queue's strategy order: rank ascending, then id.
  struct AgentKey {
    int64_t rank;
    uint64_t id;
    friend auto operator<=>(const AgentKey&, const AgentKey&) = default;
  };
  using AgentTree = absl::btree_set<AgentKey>;

  struct QueueRecord {
    Queue queue;
    // Indexed by Channel value; only the queue's channels are used.
    std::array<TaskTree, kChannelCount> tasks;
    std::array<AgentTree, kChannelCount> agents;
  };

  struct AgentRecord {
    Agent agent;  // skills sorted by skill id
    // Indices into queues_ of the queues the agent is skilled for, ascending,
    // with the agent's skill score (sum of levels over the required skills)
    // for each.
    std::vector<uint32_t> queues;
    std::vector<int32_t> skill_scores;
    // Channels the agent can take a task of right now (presence, exclusive
    // channels, served channels, capacity), exclusions aside.
    ChannelMask eligible = 0;
  };

  struct TaskRecord {
    Task task;
    uint32_t queue_index;
  };

  static TaskKey KeyOf(const Task& task);
  static ChannelMask EligibleChannels(const Agent& agent);
  static int64_t Rank(SelectionStrategy strategy, const Agent& agent, int32_t skill_score);
  static bool Qualifies(const Agent& agent, const Queue& queue, int32_t* skill_score);
  static bool Excludes(const Task& task, AgentId agent);

  // Moves `record` in the agent trees from its current indexed state to the
  // one described by `next` (skills sorted), then stores `next`. With
  // `skills_changed` false the queue list is kept.
  void Reindex(AgentRecord& record, Agent next, bool skills_changed);
  // Indices of the queues `agent` is skilled for, and the skill scores.
  void QualifyingQueues(const Agent& agent, std::vector<uint32_t>* queues,
                        std::vector<int32_t>* scores) const;
  // Whether `record`'s agent may take `task` (every rule of the header).
  bool CanTake(const AgentRecord& record, const TaskRecord& task) const;

  std::vector<QueueRecord> queues_;
  absl::flat_hash_map<QueueId, uint32_t> queue_index_;
  absl::flat_hash_map<AgentId, AgentRecord> agents_;
  absl::flat_hash_map<TaskId, TaskRecord> tasks_;
  // Waiting tasks by their preferred agent, in task order.
  absl::flat_hash_map<AgentId, TaskTree> preferred_;
};

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_MATCHER_H_
