// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A tenant's routing state and the fold that builds it from routing events:
// agents, queues, settings, tasks, offers, commitments, and what routing
// derives from them to decide fast (the matcher, lib/routing/matcher.h; the
// tasks held for a preferred agent; the timers). One check and one apply
// per routing event type; the tenant's aggregate (lib/tenant/) owns the
// state and dispatches each event to its handler, and nothing else changes
// it, so a replay reproduces every assignment. The decisions themselves are
// made by the router (lib/routing/router.h) and arrive here as events.
// Checks read the core's state (conversations), which is below; routing
// never owns it.
//
// Thread-compatible: the tenant's owner serializes access.

#ifndef OMNIROUTE_LIB_ROUTING_ROUTING_STATE_H_
#define OMNIROUTE_LIB_ROUTING_ROUTING_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "base/incremental_hash_map.h"
#include "core/core_state.h"
#include "omniroute/ids.h"
#include "omniroute/routing.h"
#include "omniroute/types.h"
#include "omniroute/v1/events.pb.h"
#include "omniroute/v1/snapshot.pb.h"
#include "routing/activity.h"
#include "routing/matcher.h"
#include "routing/routing_changes.h"

namespace omniroute::routing {

struct AgentState {
  ::omniroute::v1::AgentConfig config;
  // The matcher's id: agents are numbered in registration order.
  AgentId number;
  AgentPresence presence = ::omniroute::v1::AGENT_PRESENCE_OFFLINE;
  int consecutive_expiries = 0;
  absl::Time last_assignment_end = absl::InfinitePast();
  uint64_t round_robin_counter = 0;
  // Ascending task ids.
  std::vector<TaskId> offered;
  std::vector<TaskId> assigned;
  std::vector<TaskId> wrapping_up;
  // Derived: capacity units of the three lists above, channels of the first
  // two, costs per channel, served channels.
  int load = 0;
  ChannelMask active_channels = 0;
  ChannelMask channels = 0;
  ChannelMask exclusive_channels = 0;
  ChannelCosts costs{};
  // The last hour, for occupancy and handle time.
  AgentActivity activity;
};

struct QueueCounters {
  int64_t entered = 0;
  int64_t assigned = 0;
  int64_t cancelled = 0;
  int64_t assigned_within_target = 0;
};

struct QueueState {
  ::omniroute::v1::QueueConfig config;
  // The matcher's queue for each expansion level: [0] is the queue as
  // configured, [k] the queue after k relax steps (skills lowered).
  std::vector<QueueId> levels;
  QueueCounters counters;
  // The last hour per channel, for the sliding-window statistics.
  absl::btree_map<Channel, MinuteSeries<QueueTally>> activity;
};

struct TaskState {
  TaskId id;
  ConversationId conversation;
  std::string queue;
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  TaskReason reason = ::omniroute::v1::TASK_REASON_UNSPECIFIED;
  TaskStatus status = ::omniroute::v1::TASK_STATUS_WAITING;
  absl::Time created_at;
  // When it entered its current queue (expansion steps count from here).
  absl::Time entered_queue_at;
  int64_t points = 0;
  std::string preferred_agent;
  // Held for the preferred agent while now < preferred_until.
  absl::Time preferred_until = absl::InfinitePast();
  bool held = false;
  absl::Time first_response_due = absl::InfiniteFuture();
  bool sla_escalated = false;
  // Offered to, assigned to, or completed by.
  std::string agent;
  absl::Time offered_at;
  absl::Time offer_expires_at;
  // When its agent was assigned; InfinitePast before.
  absl::Time assigned_at = absl::InfinitePast();
  std::vector<std::string> excluded;
  // Expansion steps reached in the current queue, and in total.
  int expansion_step = 0;
  int relax_level = 0;
  int expansions_total = 0;
  CommitmentId commitment;
  TaskId previous;
  TaskEnd end = ::omniroute::v1::TASK_END_UNSPECIFIED;
  CancelReason cancel_reason = ::omniroute::v1::CANCEL_REASON_UNSPECIFIED;
  absl::Time wrap_up_until = absl::InfinitePast();
  bool wrapping_up = false;
  // Units it takes from its agent while offered, assigned or wrapping up.
  int cost = 0;

  bool live() const {
    return status == ::omniroute::v1::TASK_STATUS_WAITING ||
           status == ::omniroute::v1::TASK_STATUS_OFFERED ||
           status == ::omniroute::v1::TASK_STATUS_ASSIGNED;
  }
};

struct CommitmentState {
  CommitmentId id;
  ConversationId conversation;
  CommitmentKind kind = ::omniroute::v1::COMMITMENT_KIND_UNSPECIFIED;
  std::string description;
  absl::Time due_at;
  absl::Time deadline;
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  std::string queue;
  std::string agent;
  Actor actor;
  CommitmentStatus status = ::omniroute::v1::COMMITMENT_STATUS_PENDING;
  TaskId task;
  bool missed = false;

  bool open() const {
    return status == ::omniroute::v1::COMMITMENT_STATUS_PENDING ||
           status == ::omniroute::v1::COMMITMENT_STATUS_DUE ||
           status == ::omniroute::v1::COMMITMENT_STATUS_MISSED;
  }
};

struct ConversationRoutingState {
  std::string owner;
  std::vector<TaskId> tasks;
  std::vector<CommitmentId> commitments;
  int transfers = 0;
  int assignments = 0;
  // Distinct agents assigned, in first-assignment order.
  std::vector<std::string> agents;
};

// A pending timer. Ordered by time, then kind, then id, so that timers due
// at the same instant fire in one deterministic order.
enum class TimerKind : uint8_t {
  kWrapUpEnd = 0,
  kOfferExpiry = 1,
  kCommitmentDue = 2,
  kCommitmentDeadline = 3,
  kPreferenceEnd = 4,
  kExpansion = 5,
  kFirstResponseBreach = 6,
};

struct Timer {
  absl::Time at;
  TimerKind kind;
  // A task id, or a commitment id for the commitment kinds.
  uint64_t id;
  friend bool operator<(const Timer& a, const Timer& b) {
    if (a.at != b.at) return a.at < b.at;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.id < b.id;
  }
  friend bool operator==(const Timer&, const Timer&) = default;
};

class RoutingState {
 public:
  RoutingState();
  RoutingState(RoutingState&&) = default;
  RoutingState& operator=(RoutingState&&) = default;

  // ------------------------------------------------------------ fold
  // One check and one apply per routing event type, dispatched by the
  // tenant (lib/tenant/event_handlers.cc). A check changes nothing and
  // returns DATA_LOSS for an event that does not fit; `core` is the tenant's
  // core state, for conversations. An apply takes an event its check
  // accepted, which happened at `at`, and adds to `*changes` what the router
  // must look at again.
  absl::Status CheckRoutingConfigured(const ::omniroute::v1::Event& event,
                                      const core::CoreState& core) const;
  void ApplyRoutingConfigured(const ::omniroute::v1::Event& event, absl::Time at,
                              RoutingChanges* changes);
  absl::Status CheckQueueConfigured(const ::omniroute::v1::Event& event,
                                    const core::CoreState& core) const;
  void ApplyQueueConfigured(const ::omniroute::v1::Event& event, absl::Time at,
                            RoutingChanges* changes);
  absl::Status CheckAgentConfigured(const ::omniroute::v1::Event& event,
                                    const core::CoreState& core) const;
  void ApplyAgentConfigured(const ::omniroute::v1::Event& event, absl::Time at,
                            RoutingChanges* changes);
  absl::Status CheckAgentPresenceChanged(const ::omniroute::v1::Event& event,
                                         const core::CoreState& core) const;
  void ApplyAgentPresenceChanged(const ::omniroute::v1::Event& event, absl::Time at,
                                 RoutingChanges* changes);
  absl::Status CheckTaskCreated(const ::omniroute::v1::Event& event,
                                const core::CoreState& core) const;
  void ApplyTaskCreated(const ::omniroute::v1::Event& event, absl::Time at,
                        RoutingChanges* changes);
  absl::Status CheckTaskOffered(const ::omniroute::v1::Event& event,
                                const core::CoreState& core) const;
  void ApplyTaskOffered(const ::omniroute::v1::Event& event, absl::Time at,
                        RoutingChanges* changes);
  absl::Status CheckTaskAssigned(const ::omniroute::v1::Event& event,
                                 const core::CoreState& core) const;
  void ApplyTaskAssigned(const ::omniroute::v1::Event& event, absl::Time at,
                         RoutingChanges* changes);
  // OfferDeclined, OfferExpired and OfferWithdrawn: the offer ends.
  absl::Status CheckOfferEnded(const ::omniroute::v1::Event& event,
                               const core::CoreState& core) const;
  void ApplyOfferEnded(const ::omniroute::v1::Event& event, absl::Time at,
                       RoutingChanges* changes);
  absl::Status CheckTaskEnded(const ::omniroute::v1::Event& event,
                              const core::CoreState& core) const;
  void ApplyTaskEnded(const ::omniroute::v1::Event& event, absl::Time at,
                      RoutingChanges* changes);
  absl::Status CheckWrapUpEnded(const ::omniroute::v1::Event& event,
                                const core::CoreState& core) const;
  void ApplyWrapUpEnded(const ::omniroute::v1::Event& event, absl::Time at,
                        RoutingChanges* changes);
  absl::Status CheckTaskCancelled(const ::omniroute::v1::Event& event,
                                  const core::CoreState& core) const;
  void ApplyTaskCancelled(const ::omniroute::v1::Event& event, absl::Time at,
                          RoutingChanges* changes);
  absl::Status CheckTaskReleased(const ::omniroute::v1::Event& event,
                                 const core::CoreState& core) const;
  void ApplyTaskReleased(const ::omniroute::v1::Event& event, absl::Time at,
                         RoutingChanges* changes);
  absl::Status CheckTaskExpanded(const ::omniroute::v1::Event& event,
                                 const core::CoreState& core) const;
  void ApplyTaskExpanded(const ::omniroute::v1::Event& event, absl::Time at,
                         RoutingChanges* changes);
  absl::Status CheckTaskEscalated(const ::omniroute::v1::Event& event,
                                  const core::CoreState& core) const;
  void ApplyTaskEscalated(const ::omniroute::v1::Event& event, absl::Time at,
                          RoutingChanges* changes);
  absl::Status CheckTaskFirstResponseMet(const ::omniroute::v1::Event& event,
                                         const core::CoreState& core) const;
  void ApplyTaskFirstResponseMet(const ::omniroute::v1::Event& event, absl::Time at,
                                 RoutingChanges* changes);
  absl::Status CheckCommitmentRecorded(const ::omniroute::v1::Event& event,
                                       const core::CoreState& core) const;
  void ApplyCommitmentRecorded(const ::omniroute::v1::Event& event, absl::Time at,
                               RoutingChanges* changes);
  absl::Status CheckCommitmentDue(const ::omniroute::v1::Event& event,
                                  const core::CoreState& core) const;
  void ApplyCommitmentDue(const ::omniroute::v1::Event& event, absl::Time at,
                          RoutingChanges* changes);
  absl::Status CheckCommitmentMissed(const ::omniroute::v1::Event& event,
                                     const core::CoreState& core) const;
  void ApplyCommitmentMissed(const ::omniroute::v1::Event& event, absl::Time at,
                             RoutingChanges* changes);
  absl::Status CheckCommitmentClosed(const ::omniroute::v1::Event& event,
                                     const core::CoreState& core) const;
  void ApplyCommitmentClosed(const ::omniroute::v1::Event& event, absl::Time at,
                             RoutingChanges* changes);

  // The whole routing state, and back (derived indexes rebuilt).
  void ToSnapshot(::omniroute::v1::RoutingSnapshot* snapshot) const;
  static absl::StatusOr<RoutingState> FromSnapshot(const ::omniroute::v1::RoutingSnapshot& snapshot);

  // A canonical text dump: equal dumps mean equal states.
  std::string Dump() const;

  // ------------------------------------------------------------ lookups
  const ::omniroute::v1::RoutingSettings& settings() const { return settings_; }
  const RoutingSettings& settings_view() const { return settings_view_; }
  const AgentState* agent(absl::string_view id) const;
  const AgentState* agent(AgentId number) const;
  const QueueState* queue(absl::string_view id) const;
  // Every agent, in registration order.
  const std::vector<AgentState>& agents() const { return agents_; }
  // Queue ids in configuration order.
  const std::vector<std::string>& queue_order() const { return queue_order_; }
  const TaskState* task(TaskId id) const;
  const CommitmentState* commitment(CommitmentId id) const;
  const ConversationRoutingState* conversation(ConversationId id) const;
  const absl::flat_hash_map<std::string, ::omniroute::v1::QueueConfig>& queue_configs() const {
    return queue_configs_;
  }
  const Matcher& matcher() const { return matcher_; }

  TaskId NextTaskId() const { return TaskId(next_task_id_); }
  CommitmentId NextCommitmentId() const { return CommitmentId(next_commitment_id_); }
  // Tasks in the working set (those of archived conversations are not).
  size_t task_count() const { return tasks_.size(); }
  // Those tasks by id. Sparse: archival takes some away, so walk this
  // rather than the ids from 1 to task_count().
  const absl::btree_map<uint64_t, TaskState>& tasks() const { return tasks_; }

  // Whether a conversation's routing may leave the working set: each of its
  // tasks ended (not live, not wrapping up) and each commitment closed.
  bool Archivable(ConversationId conversation) const;
  // Removes the conversations' routing records, tasks and commitments
  // (routing's part of ConversationArchived, applied by the tenant); they
  // must be Archivable.
  void Archive(absl::Span<const ConversationId> conversations);
  // The records of a conversation's routing, for its archive.
  void ToArchive(ConversationId conversation, ::omniroute::v1::ConversationArchive* archive) const;

  // Tasks held for `agent`, best first (effective priority, then id).
  std::vector<TaskId> HeldFor(absl::string_view agent) const;
  // The effective priority the matcher orders waiting tasks by.
  int64_t EffectivePriority(const TaskState& task) const;
  // 1 + the tasks ahead of a waiting task among its queue's waiting tasks of
  // its channel (every expansion level); 0 when it does not wait in a queue.
  int QueuePosition(const TaskState& task) const;
  // The earliest pending timer, if any.
  std::optional<Timer> NextTimer() const;

 private:
  // The task if its status is one of `statuses`; nullptr otherwise.
  const TaskState* TaskIn(uint64_t id, std::initializer_list<TaskStatus> statuses) const;
  AgentState& mutable_agent(absl::string_view id);
  TaskState& mutable_task(uint64_t id) { return tasks_.at(id); }
  CommitmentState& mutable_commitment(uint64_t id) { return commitments_.at(id); }

  // Rebuilds the matcher, the held lists and the timers from the state.
  void Reindex();
  // Matcher values of an agent.
  Agent MatcherAgent(const AgentState& agent);
  // Skill names are numbered as first seen; the matcher compares numbers.
  SkillId SkillIdOf(const std::string& name);
  // After a change of the agent's presence, tasks or load at `at`.
  void SyncAgent(AgentState& agent, absl::Time at);
  // Puts a waiting task where it belongs: held for its agent, in its
  // queue's matcher tree, or nowhere (unrouted); removes it first.
  void Unplace(const TaskState& task);
  void Place(const TaskState& task);
  void RefreshTimers(const TaskState& task);
  void RefreshTimers(const CommitmentState& commitment);
  void RemoveTimers(TimerKind kind, uint64_t id);
  void AddQueueLevels(QueueState& queue);
  void ReleaseCapacity(AgentState& agent, TaskState& task, absl::Time at, RoutingChanges* changes);
  void TakeCapacity(AgentState& agent, TaskState& task, absl::Time at);
  // The minute of `at` of the task's queue and channel; nullptr for an
  // unrouted task or a minute too old to keep.
  QueueTally* QueueMinute(const TaskState& task, absl::Time at);
  // An assigned task is finished (ended, wrap-up over): handled.
  void CountHandled(const TaskState& task, AgentState& agent, absl::Time at);
  static void Erase(std::vector<TaskId>& ids, TaskId id);
  static void Insert(std::vector<TaskId>& ids, TaskId id);

  ::omniroute::v1::RoutingSettings settings_;
  RoutingSettings settings_view_;
  std::vector<AgentState> agents_;  // by number - 1
  absl::flat_hash_map<std::string, uint32_t> agent_index_;
  std::vector<std::string> queue_order_;  // configuration order
  absl::flat_hash_map<std::string, QueueState> queues_;
  absl::flat_hash_map<std::string, ::omniroute::v1::QueueConfig> queue_configs_;
  // By id; sparse once conversations are archived.
  absl::btree_map<uint64_t, TaskState> tasks_;
  absl::btree_map<uint64_t, CommitmentState> commitments_;
  uint64_t next_task_id_ = 1;
  uint64_t next_commitment_id_ = 1;
  base::IncrementalHashMap<absl::flat_hash_map<ConversationId, ConversationRoutingState>>
      conversations_;

  // Derived.
  absl::flat_hash_map<std::string, SkillId> skill_ids_;
  Matcher matcher_;
  uint64_t next_matcher_queue_ = 1;
  // Held tasks per preferred agent: (-effective priority, id).
  absl::flat_hash_map<std::string, absl::btree_set<std::pair<int64_t, uint64_t>>> held_;
  absl::btree_set<Timer> timers_;
  // Each entity's registered timers, to remove them when it changes.
  absl::flat_hash_map<uint64_t, std::vector<Timer>> task_timers_;
  absl::flat_hash_map<uint64_t, std::vector<Timer>> commitment_timers_;
};

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_ROUTING_STATE_H_
