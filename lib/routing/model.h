// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The routing vocabulary: agents, queues and waiting tasks as the matcher
// (lib/routing/matcher.h) sees them. These are plain values; the routing fold
// builds them from events and hands them to the matcher, which never reads a
// clock or any other state of its own.
//
// Thread-compatible: plain structs.

#ifndef OMNIROUTE_LIB_ROUTING_MODEL_H_
#define OMNIROUTE_LIB_ROUTING_MODEL_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "omniroute/ids.h"
#include "omniroute/types.h"

namespace omniroute::routing {

struct AgentIdTag {
  static constexpr const char kPrefix[] = "agent/";
};
struct QueueIdTag {
  static constexpr const char kPrefix[] = "queue/";
};

using AgentId = Id<AgentIdTag>;
using QueueId = Id<QueueIdTag>;
using TaskId = ::omniroute::TaskId;

// A skill is a small tenant-scoped integer (a tenant has up to a few hundred
// skills); names live elsewhere, the matcher only compares numbers.
using SkillId = uint32_t;
inline constexpr SkillId kMaxSkillId = 4095;
inline constexpr int kMinSkillLevel = 1;
inline constexpr int kMaxSkillLevel = 10;

// A skill with a level: what an agent has, or what a queue requires (the
// agent's level must be at least the queue's).
struct SkillLevel {
  SkillId skill = 0;
  int level = kMinSkillLevel;

  friend bool operator==(const SkillLevel&, const SkillLevel&) = default;
};

// Number of Channel values, CHANNEL_UNSPECIFIED included (it is never valid
// for routing).
inline constexpr int kChannelCount = ::omniroute::v1::Channel_ARRAYSIZE;

// A set of channels: bit c stands for Channel value c.
using ChannelMask = uint32_t;

constexpr ChannelMask MaskOf(Channel channel) {
  return ChannelMask{1} << static_cast<int>(channel);
}
constexpr bool Contains(ChannelMask mask, Channel channel) {
  return (mask & MaskOf(channel)) != 0;
}
// Every routable channel (CHANNEL_UNSPECIFIED excluded).
inline constexpr ChannelMask kAllChannels =
    ((ChannelMask{1} << kChannelCount) - 1) & ~ChannelMask{1};

// Capacity units per channel, indexed by Channel value.
using ChannelCosts = std::array<int, kChannelCount>;

// TraitsOf(channel).capacity_cost for every channel: voice 4, chat 2, the
// asynchronous channels 1.
ChannelCosts DefaultChannelCosts();

enum class Presence { kAvailable, kBusy, kAway, kOffline };

// How a queue picks among its eligible agents. Every order ends with the
// agent id, so that a choice is always deterministic.
enum class SelectionStrategy {
  // The earliest last_assignment_end first.
  kLongestIdle,
  // The largest capacity - load first.
  kMostSpareCapacity,
  // The smallest round_robin_counter first (the fold bumps the counter of
  // an agent at each assignment, so the choice rotates).
  kRoundRobin,
  // The largest sum of the agent's levels over the queue's required skills
  // first.
  kBestSkillLevel,
};

// An agent as routing sees them.
struct Agent {
  AgentId id;
  // At most one entry per skill, levels in [kMinSkillLevel, kMaxSkillLevel].
  // Order does not matter (the matcher keeps them sorted by skill).
  std::vector<SkillLevel> skills;
  // Channels the agent serves.
  ChannelMask channels = 0;
  // Capacity units in total and in use. A task of channel c needs
  // capacity - load >= costs[c]. load may exceed capacity (capacity lowered
  // while busy): the agent then takes nothing.
  int capacity = 0;
  int load = 0;
  // Cost of one task per channel; every entry >= 1.
  ChannelCosts costs = DefaultChannelCosts();
  // Channels that hold the agent's whole attention: while the agent has an
  // active task on one of them (see active_channels), they take nothing else.
  // Default: voice.
  ChannelMask exclusive_channels = MaskOf(::omniroute::v1::CHANNEL_VOICE);
  // Channels on which the agent currently has at least one active task.
  ChannelMask active_channels = 0;
  // Only kAvailable agents are offered work.
  Presence presence = Presence::kOffline;
  // When the agent's last task ended (for kLongestIdle); InfinitePast() when
  // they have had none.
  absl::Time last_assignment_end = absl::InfinitePast();
  // For kRoundRobin.
  uint64_t round_robin_counter = 0;
};

// A queue: where tasks wait, and who may take them.
struct Queue {
  QueueId id;
  // At most one entry per skill; an eligible agent has each of them at the
  // given level or above.
  std::vector<SkillLevel> required_skills;
  // Channels whose tasks the queue accepts; not empty.
  ChannelMask channels = 0;
  // Informational for the matcher: the caller folds it into each task's
  // effective priority.
  int64_t base_priority = 0;
  SelectionStrategy strategy = SelectionStrategy::kLongestIdle;
};

// A waiting task.
struct Task {
  TaskId id;
  QueueId queue;
  // One of the queue's channels.
  Channel channel = ::omniroute::v1::CHANNEL_UNSPECIFIED;
  // Higher first. Computed by the caller (queue base, tier, reach, SLA,
  // aging); the matcher only compares it.
  int64_t priority = 0;
  // Lower first among equal priorities (FIFO); the caller numbers arrivals.
  uint64_t arrival = 0;
  // Agents who declined it or let an offer expire: never chosen for it.
  std::vector<AgentId> excluded;
  // Tried before the queue's strategy when eligible (sticky owner, named
  // agent). The caller clears it when the preference window ends.
  std::optional<AgentId> preferred_agent;
};

// A routing decision: offer `task` to `agent`.
struct Assignment {
  TaskId task;
  AgentId agent;

  friend bool operator==(const Assignment&, const Assignment&) = default;
};

// INVALID_ARGUMENT naming the field when a value is malformed (ids, skills,
// levels, channels, capacity, costs). Does not look at other objects.
absl::Status ValidateAgent(const Agent& agent);
absl::Status ValidateQueue(const Queue& queue);
absl::Status ValidateTask(const Task& task);

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_MODEL_H_
