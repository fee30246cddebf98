// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/task_builder.h"

#include <algorithm>

#include "core/core_state.h"
#include "core/proto_convert.h"
#include "routing/routing_config.h"

namespace omniroute::routing {
namespace {

namespace v1 = ::omniroute::v1;

bool Serves(const v1::QueueConfig& queue, Channel channel) {
  return std::find(queue.channels().begin(), queue.channels().end(), channel) !=
         queue.channels().end();
}

const core::CustomerState* CustomerOf(const core::CoreState& core, ConversationId id) {
  const core::ConversationState* c = core.conversation(id);
  if (c == nullptr) return nullptr;
  return core.customer(core.Resolve(c->customer));
}

// Whole factors of ten: 0 below 10, 1 below 100, ...
int Decades(int64_t reach) {
  int decades = 0;
  while (reach >= 10) {
    reach /= 10;
    ++decades;
  }
  return decades;
}

}  // namespace

std::string ChooseQueue(const core::CoreState& core, const RoutingState& routing,
                        const TaskSpec& spec) {
  const v1::RoutingSettings& settings = routing.settings();
  const core::CustomerState* customer = CustomerOf(core, spec.conversation);
  for (const v1::RoutingRule& rule : settings.rules()) {
    if (!rule.channels().empty() &&
        std::find(rule.channels().begin(), rule.channels().end(), spec.channel) ==
            rule.channels().end()) {
      continue;
    }
    if (!rule.language().empty() && (customer == nullptr || customer->language() != rule.language())) {
      continue;
    }
    bool tagged = true;
    for (const std::string& tag : rule.tags()) {
      if (std::find(spec.tags.begin(), spec.tags.end(), tag) == spec.tags.end()) tagged = false;
    }
    if (!tagged) continue;
    if (rule.min_tier() > 0 && (customer == nullptr || customer->tier < rule.min_tier())) continue;
    if (rule.visibility() != v1::VISIBILITY_UNSPECIFIED && rule.visibility() != spec.visibility) {
      continue;
    }
    const QueueState* q = routing.queue(rule.queue_id());
    if (q != nullptr && Serves(q->config, spec.channel)) return rule.queue_id();
  }
  const QueueState* fallback = routing.queue(settings.default_queue_id());
  if (fallback != nullptr && Serves(fallback->config, spec.channel)) {
    return settings.default_queue_id();
  }
  return "";
}

int64_t PriorityPoints(const core::CoreState& core, const RoutingState& routing,
                       const std::string& queue, const TaskSpec& spec) {
  const v1::RoutingSettings& settings = routing.settings();
  int64_t points = 0;
  if (const QueueState* q = routing.queue(queue)) points += q->config.base_priority();
  if (const core::CustomerState* customer = CustomerOf(core, spec.conversation)) {
    points += int64_t{customer->tier} * settings.tier_points();
    if (spec.visibility == v1::VISIBILITY_PUBLIC) {
      // Bounded, so that a crowd of famous authors cannot starve the
      // private channels.
      points += std::min<int64_t>(settings.max_public_boost(),
                                  int64_t{settings.reach_points_per_decade()} *
                                      Decades(customer->reach));
    }
  }
  return points;
}

TaskId AppendTask(const core::CoreState& core, const RoutingState& routing, const TaskSpec& spec,
                  absl::Time now, Events* events) {
  uint64_t id = routing.NextTaskId().value();
  for (const v1::Event& e : *events) {
    if (e.has_task_created()) ++id;
  }
  const std::string queue = spec.queue.empty() ? ChooseQueue(core, routing, spec) : spec.queue;
  auto* created = events->emplace_back().mutable_task_created();
  created->set_task_id(id);
  created->set_conversation_id(spec.conversation.value());
  created->set_queue_id(queue);
  created->set_channel(spec.channel);
  created->set_reason(spec.reason);
  created->set_priority_points(PriorityPoints(core, routing, queue, spec));
  if (!spec.preferred_agent.empty() && routing.agent(spec.preferred_agent) != nullptr) {
    created->set_preferred_agent_id(spec.preferred_agent);
    core::ToProto(now + routing.settings_view().PreferredAgentWait(spec.channel),
                  created->mutable_preferred_until());
  }
  std::optional<absl::Time> due = spec.first_response_due;
  if (!due.has_value() && !spec.no_first_response_due) {
    const QueueState* q = routing.queue(queue);
    const absl::Duration target =
        q != nullptr ? ToDuration(q->config.first_response_target()) : absl::ZeroDuration();
    const core::ConversationState* c = core.conversation(spec.conversation);
    if (target > absl::ZeroDuration()) {
      due = now + target;
    } else if (c != nullptr && c->first_responded_at == absl::InfiniteFuture()) {
      // The conversation's own clock: it started with the first message and
      // runs on across channels.
      due = c->first_response_due;
    }
  }
  if (due.has_value() && *due != absl::InfiniteFuture()) {
    core::ToProto(*due, created->mutable_first_response_due());
  }
  created->set_commitment_id(spec.commitment.value());
  created->set_previous_task_id(spec.previous.value());
  return TaskId(id);
}

void AppendCancel(const TaskState& task, CancelReason reason, Events* events) {
  if (task.status == v1::TASK_STATUS_OFFERED) {
    auto* withdrawn = events->emplace_back().mutable_offer_withdrawn();
    withdrawn->set_task_id(task.id.value());
    withdrawn->set_agent_id(task.agent);
    withdrawn->set_reason(v1::OFFER_WITHDRAWAL_TASK_CANCELLED);
  }
  auto* cancelled = events->emplace_back().mutable_task_cancelled();
  cancelled->set_task_id(task.id.value());
  cancelled->set_reason(reason);
}

void AppendOffer(const RoutingState& routing, const TaskState& task, const AgentState& agent,
                 absl::Time now, Events* events) {
  const QueueState* q = routing.queue(task.queue);
  if (q != nullptr && q->config.auto_accept()) {
    auto* assigned = events->emplace_back().mutable_task_assigned();
    assigned->set_task_id(task.id.value());
    assigned->set_agent_id(agent.config.agent_id());
    assigned->set_automatic(true);
    assigned->set_conversation_id(task.conversation.value());
    assigned->set_channel(task.channel);
    return;
  }
  absl::Duration timeout =
      q != nullptr ? ToDuration(q->config.offer_timeout()) : absl::ZeroDuration();
  if (timeout <= absl::ZeroDuration()) timeout = routing.settings_view().default_offer_timeout;
  auto* offered = events->emplace_back().mutable_task_offered();
  offered->set_task_id(task.id.value());
  offered->set_agent_id(agent.config.agent_id());
  core::ToProto(now + timeout, offered->mutable_expires_at());
  offered->set_conversation_id(task.conversation.value());
  offered->set_channel(task.channel);
  offered->set_queue_id(task.queue);
}

bool CanTakeHeld(const AgentState& a, const TaskState& t) {
  return a.presence == v1::AGENT_PRESENCE_AVAILABLE && Contains(a.channels, t.channel) &&
         (a.active_channels & a.exclusive_channels) == 0 &&
         a.config.capacity() - a.load >= a.costs[t.channel] &&
         std::find(t.excluded.begin(), t.excluded.end(), a.config.agent_id()) == t.excluded.end();
}

}  // namespace omniroute::routing
