// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// RoutingState: the routing configuration and the agents' events (RoutingConfigured,
// QueueConfigured, AgentConfigured, AgentPresenceChanged), each checked, then
// applied.

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
  // What the command validated, so that the state never holds settings the
  // router cannot use (channels out of range, points that overflow).
  if (absl::Status s =
          ValidateRoutingSettings(FromProto(event.routing_configured().settings()), queue_configs_);
      !s.ok()) {
    return Misfit(event, s.message());
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
  if (absl::Status s = ValidateQueueConfig(FromProto(q), queue_configs_); !s.ok()) {
    return Misfit(event, s.message());
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
  // Channels index the agent's capacity costs and masks: only valid ones.
  if (absl::Status s = ValidateAgentConfig(FromProto(event.agent_configured().agent())); !s.ok()) {
    return Misfit(event, s.message());
  }
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
    a.activity.Move(at, false, false);
    (void)matcher_.AddAgent(MatcherAgent(a));
  } else {
    SyncAgent(a, at);
  }
  changes->agents.insert(a.number.value());
}

// ------------------------------------------------------------ AgentPresenceChanged

absl::Status RoutingState::CheckAgentPresenceChanged(const Event& event,
                                                     const core::CoreState& core) const {
  const auto& e = event.agent_presence_changed();
  const AgentState* a = agent(e.agent_id());
  if (a == nullptr) return Misfit(event, "unknown agent");
  if (!v1::AgentPresence_IsValid(e.to_presence()) ||
      e.to_presence() == v1::AGENT_PRESENCE_UNSPECIFIED) {
    return Misfit(event, "not a presence");
  }
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
  SyncAgent(a, at);
}

}  // namespace omniroute::routing
