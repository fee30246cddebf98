// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Routing commands: validation against the tenant's state, and the events
// that carry them out. Nothing changes here (lib/routing/router.h).

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/core_state.h"
#include "core/proto_convert.h"
#include "core/tenant_core.h"
#include "core/text.h"
#include "routing/router.h"
#include "routing/routing_config.h"
#include "routing/routing_state.h"
#include "routing/task_builder.h"

namespace omniroute::routing {
namespace {

namespace v1 = ::omniroute::v1;

constexpr size_t kMaxDescriptionBytes = 1024;
constexpr size_t kMaxReasonBytes = 1024;

absl::StatusOr<const AgentState*> FindAgent(const RoutingState& routing, absl::string_view id,
                                            absl::string_view field) {
  if (absl::Status s = ValidateAgentId(id, field); !s.ok()) return s;
  const AgentState* a = routing.agent(id);
  if (a == nullptr) {
    return absl::NotFoundError(absl::StrCat(field, ": agent \"", id, "\" not found"));
  }
  return a;
}

absl::StatusOr<const TaskState*> FindTask(const RoutingState& routing, TaskId id) {
  const TaskState* t = routing.task(id);
  if (t == nullptr) {
    // Given, and gone: it ended and left with its archived conversation.
    if (id.valid() && id < routing.NextTaskId()) {
      return absl::FailedPreconditionError(
          absl::StrCat("task: ", ToString(id), " has ended (archived with its conversation)"));
    }
    return absl::NotFoundError(absl::StrCat("task: ", ToString(id), " not found"));
  }
  return t;
}

absl::string_view StatusWord(TaskStatus status) {
  switch (status) {
    case v1::TASK_STATUS_WAITING:
      return "waiting";
    case v1::TASK_STATUS_OFFERED:
      return "offered";
    case v1::TASK_STATUS_ASSIGNED:
      return "assigned";
    case v1::TASK_STATUS_COMPLETED:
      return "completed";
    case v1::TASK_STATUS_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
  }
}

// Why `agent` cannot answer an offer of `task`.
absl::Status NotOfferedTo(const TaskState& t, absl::string_view agent) {
  if (t.status == v1::TASK_STATUS_OFFERED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "task: ", ToString(t.id), " is offered to agent \"", t.agent, "\", not to \"", agent, "\""));
  }
  if (std::find(t.excluded.begin(), t.excluded.end(), agent) != t.excluded.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("task: ", ToString(t.id), "'s offer to agent \"", agent,
                     "\" is over (declined or expired); the task is ", StatusWord(t.status)));
  }
  return absl::FailedPreconditionError(absl::StrCat("task: ", ToString(t.id), " is ",
                                                    StatusWord(t.status),
                                                    ", not offered to agent \"", agent, "\""));
}

}  // namespace

absl::Status DecideConfigureRouting(const core::CoreState& core, const RoutingState& routing,
                                    const RoutingSettings& settings, Events* events) {
  if (absl::Status s = ValidateRoutingSettings(settings, routing.queue_configs()); !s.ok()) {
    return s;
  }
  ToProto(settings, events->emplace_back().mutable_routing_configured()->mutable_settings());
  return absl::OkStatus();
}

absl::Status DecideUpsertQueue(const core::CoreState& core, const RoutingState& routing,
                               const QueueConfig& queue, Events* events) {
  if (absl::Status s = ValidateQueueConfig(queue, routing.queue_configs()); !s.ok()) return s;
  if (routing.queue(queue.id) != nullptr) {
    // A channel can only be dropped once no task of it waits in the queue.
    for (const auto& [id, t] : routing.tasks()) {
      if (!t.live() || t.queue != queue.id) continue;
      if (std::find(queue.channels.begin(), queue.channels.end(), t.channel) ==
          queue.channels.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat("queue.channels: ", ToString(t.id), " of channel ",
                         ChannelName(t.channel), " is still in queue \"", queue.id, "\""));
      }
    }
  }
  ToProto(queue, events->emplace_back().mutable_queue_configured()->mutable_queue());
  return absl::OkStatus();
}

absl::Status DecideUpsertAgent(const core::CoreState& core, const RoutingState& routing,
                               const AgentConfig& agent, Events* events) {
  if (absl::Status s = ValidateAgentConfig(agent); !s.ok()) return s;
  ToProto(agent, events->emplace_back().mutable_agent_configured()->mutable_agent());
  return absl::OkStatus();
}

absl::Status DecidePresence(const core::CoreState& core, const RoutingState& routing,
                            absl::string_view agent_id, AgentPresence presence, Events* events) {
  if (!v1::AgentPresence_IsValid(presence) || presence == v1::AGENT_PRESENCE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("presence: ", static_cast<int>(presence), " is not a presence"));
  }
  absl::StatusOr<const AgentState*> a = FindAgent(routing, agent_id, "agent_id");
  if (!a.ok()) return a.status();
  if ((*a)->presence == presence) return absl::OkStatus();
  if (presence != v1::AGENT_PRESENCE_AVAILABLE) {
    for (TaskId id : (*a)->offered) {
      auto* w = events->emplace_back().mutable_offer_withdrawn();
      w->set_task_id(id.value());
      w->set_agent_id(std::string(agent_id));
      w->set_reason(v1::OFFER_WITHDRAWAL_AGENT_UNAVAILABLE);
    }
  }
  auto* e = events->emplace_back().mutable_agent_presence_changed();
  e->set_agent_id(std::string(agent_id));
  e->set_from_presence((*a)->presence);
  e->set_to_presence(presence);
  core::ToProto(Actor::Agent(std::string(agent_id)), e->mutable_actor());
  return absl::OkStatus();
}

absl::Status DecideAccept(const core::CoreState& core, const RoutingState& routing, TaskId task,
                          absl::string_view agent, Events* events) {
  absl::StatusOr<const TaskState*> t = FindTask(routing, task);
  if (!t.ok()) return t.status();
  absl::StatusOr<const AgentState*> a = FindAgent(routing, agent, "agent_id");
  if (!a.ok()) return a.status();
  if ((*t)->status != v1::TASK_STATUS_OFFERED || (*t)->agent != agent) {
    return NotOfferedTo(**t, agent);
  }
  auto* e = events->emplace_back().mutable_task_assigned();
  e->set_task_id(task.value());
  e->set_agent_id(std::string(agent));
  e->set_conversation_id((*t)->conversation.value());
  e->set_channel((*t)->channel);
  return absl::OkStatus();
}

absl::Status DecideDecline(const core::CoreState& core, const RoutingState& routing, TaskId task,
                           absl::string_view agent, absl::string_view reason, Events* events) {
  if (reason.size() > kMaxReasonBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("reason: longer than ", kMaxReasonBytes, " bytes"));
  }
  if (absl::Status s = core::CheckUtf8(reason, "reason"); !s.ok()) return s;
  absl::StatusOr<const TaskState*> t = FindTask(routing, task);
  if (!t.ok()) return t.status();
  absl::StatusOr<const AgentState*> a = FindAgent(routing, agent, "agent_id");
  if (!a.ok()) return a.status();
  if ((*t)->status != v1::TASK_STATUS_OFFERED || (*t)->agent != agent) {
    return NotOfferedTo(**t, agent);
  }
  auto* e = events->emplace_back().mutable_offer_declined();
  e->set_task_id(task.value());
  e->set_agent_id(std::string(agent));
  e->set_reason(std::string(reason));
  // The preferred agent said no: waiting for them is over.
  if ((*t)->held && (*t)->preferred_agent == agent) {
    events->emplace_back().mutable_task_released()->set_task_id(task.value());
  }
  return absl::OkStatus();
}

absl::Status DecideComplete(const core::CoreState& core, const RoutingState& routing, TaskId task,
                            absl::string_view agent, absl::Time now, Events* events) {
  absl::StatusOr<const TaskState*> t = FindTask(routing, task);
  if (!t.ok()) return t.status();
  absl::StatusOr<const AgentState*> a = FindAgent(routing, agent, "agent_id");
  if (!a.ok()) return a.status();
  if ((*t)->status != v1::TASK_STATUS_ASSIGNED || (*t)->agent != agent) {
    return absl::FailedPreconditionError(
        absl::StrCat("task: ", ToString(task), " is ", StatusWord((*t)->status),
                     (*t)->agent.empty() ? "" : absl::StrCat(" (agent \"", (*t)->agent, "\")"),
                     ", not assigned to agent \"", agent, "\""));
  }
  auto* e = events->emplace_back().mutable_task_ended();
  e->set_task_id(task.value());
  e->set_agent_id(std::string(agent));
  e->set_end(v1::TASK_END_DONE);
  const absl::Duration wrap_up = ToDuration((*a)->config.wrap_up());
  if (wrap_up > absl::ZeroDuration()) core::ToProto(now + wrap_up, e->mutable_wrap_up_until());
  const CommitmentState* c =
      (*t)->commitment.valid() ? routing.commitment((*t)->commitment) : nullptr;
  if (c != nullptr && c->open()) {
    auto* closed = events->emplace_back().mutable_commitment_closed();
    closed->set_commitment_id(c->id.value());
    closed->set_status(v1::COMMITMENT_STATUS_FULFILLED);
    core::ToProto(Actor::Agent(std::string(agent)), closed->mutable_actor());
    closed->set_reason("its task was completed");
  }
  return absl::OkStatus();
}

absl::StatusOr<TaskId> DecideTransfer(const core::CoreState& core, const RoutingState& routing,
                                      TaskId task, const TransferTarget& target, const Actor& actor,
                                      absl::Time now, Events* events) {
  if (absl::Status s = core::CheckActor(actor); !s.ok()) return s;
  if (target.queue.empty() == target.agent.empty()) {
    return absl::InvalidArgumentError("target: exactly one of queue and agent must be set");
  }
  absl::StatusOr<const TaskState*> found = FindTask(routing, task);
  if (!found.ok()) return found.status();
  const TaskState& t = **found;
  if (!t.live()) {
    return absl::FailedPreconditionError(
        absl::StrCat("task: ", ToString(task), " is ", StatusWord(t.status), ""));
  }
  TaskSpec spec;
  spec.conversation = t.conversation;
  spec.channel = t.channel;
  spec.reason = v1::TASK_REASON_TRANSFER;
  spec.visibility = TraitsOf(t.channel).visibility;
  spec.previous = t.id;
  spec.commitment = t.commitment;
  // The SLA clock is the conversation's: a transfer does not restart it.
  if (t.first_response_due != absl::InfiniteFuture()) {
    spec.first_response_due = t.first_response_due;
  } else {
    spec.no_first_response_due = true;
  }
  if (!target.queue.empty()) {
    if (absl::Status s = ValidateQueueId(target.queue, "target.queue"); !s.ok()) return s;
    const QueueState* q = routing.queue(target.queue);
    if (q == nullptr) {
      return absl::NotFoundError(absl::StrCat("target.queue: queue \"", target.queue, "\" not found"));
    }
    if (std::find(q->config.channels().begin(), q->config.channels().end(), t.channel) ==
        q->config.channels().end()) {
      return absl::FailedPreconditionError(absl::StrCat("target.queue: queue \"", target.queue,
                                                        "\" does not take ",
                                                        ChannelName(t.channel), " tasks"));
    }
    spec.queue = target.queue;
  } else {
    absl::StatusOr<const AgentState*> a = FindAgent(routing, target.agent, "target.agent");
    if (!a.ok()) return a.status();
    if (!Contains((*a)->channels, t.channel)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "target.agent: agent \"", target.agent, "\" does not serve ", ChannelName(t.channel)));
    }
    if (t.status == v1::TASK_STATUS_ASSIGNED && t.agent == target.agent) {
      return absl::FailedPreconditionError(absl::StrCat(
          "target.agent: ", ToString(task), " is already assigned to agent \"", target.agent, "\""));
    }
    spec.preferred_agent = target.agent;
    spec.queue = t.queue;
  }
  if (t.status == v1::TASK_STATUS_ASSIGNED) {
    auto* ended = events->emplace_back().mutable_task_ended();
    ended->set_task_id(t.id.value());
    ended->set_agent_id(t.agent);
    ended->set_end(v1::TASK_END_TRANSFERRED);
  } else {
    AppendCancel(t, v1::CANCEL_REASON_TRANSFERRED, events);
  }
  return AppendTask(core, routing, spec, now, events);
}

absl::Status DecideAbandon(const core::CoreState& core, const RoutingState& routing, TaskId task,
                           Events* events) {
  absl::StatusOr<const TaskState*> t = FindTask(routing, task);
  if (!t.ok()) return t.status();
  if ((*t)->status != v1::TASK_STATUS_WAITING && (*t)->status != v1::TASK_STATUS_OFFERED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "task: ", ToString(task), " is ", StatusWord((*t)->status), "; only a waiting or offered "
        "task can be abandoned"));
  }
  AppendCancel(**t, v1::CANCEL_REASON_ABANDONED, events);
  return absl::OkStatus();
}

absl::StatusOr<CommitmentId> DecideCommitment(const core::CoreState& core,
                                              const RoutingState& routing,
                                              const CommitmentRequest& request, absl::Time now,
                                              Events* events) {
  if (absl::Status s = core::CheckActor(request.actor); !s.ok()) return s;
  const core::ConversationState* c = core.conversation(request.conversation);
  if (c == nullptr && request.conversation.valid() &&
      request.conversation < core.NextConversationId()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "conversation: ", ToString(request.conversation), " is closed (archived)"));
  }
  if (c == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("conversation: ", ToString(request.conversation), " not found"));
  }
  if (c->status == v1::CONVERSATION_STATUS_MERGED || c->status == v1::CONVERSATION_STATUS_CLOSED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "conversation: ", ToString(request.conversation), " is ",
        c->status == v1::CONVERSATION_STATUS_CLOSED ? "closed" : "merged into another"));
  }
  if (!v1::CommitmentKind_IsValid(request.kind) ||
      request.kind == v1::COMMITMENT_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind: ", static_cast<int>(request.kind), " is not a commitment kind"));
  }
  if (request.description.size() > kMaxDescriptionBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("description: longer than ", kMaxDescriptionBytes, " bytes"));
  }
  if (absl::Status s = core::CheckUtf8(request.description, "description"); !s.ok()) return s;
  if (request.due_at == absl::InfinitePast() || request.due_at == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("due_at: required");
  }
  const absl::Time deadline =
      request.deadline == absl::InfinitePast() ? request.due_at + absl::Hours(1) : request.deadline;
  if (deadline == absl::InfiniteFuture() || deadline < request.due_at) {
    return absl::InvalidArgumentError(
        absl::StrCat("deadline: ", absl::FormatTime(deadline), " is before due_at ",
                     absl::FormatTime(request.due_at)));
  }
  Channel channel = request.channel;
  if (channel == v1::CHANNEL_UNSPECIFIED) {
    channel = request.kind == v1::COMMITMENT_KIND_CALLBACK ? v1::CHANNEL_VOICE : c->channel;
  } else if (!v1::Channel_IsValid(channel)) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel: ", static_cast<int>(channel), " is not a channel"));
  }
  if (!request.queue.empty()) {
    if (absl::Status s = ValidateQueueId(request.queue, "queue"); !s.ok()) return s;
    const QueueState* q = routing.queue(request.queue);
    if (q == nullptr) {
      return absl::NotFoundError(absl::StrCat("queue: queue \"", request.queue, "\" not found"));
    }
    if (std::find(q->config.channels().begin(), q->config.channels().end(), channel) ==
        q->config.channels().end()) {
      return absl::InvalidArgumentError(absl::StrCat("queue: queue \"", request.queue,
                                                     "\" does not take ", ChannelName(channel),
                                                     " tasks"));
    }
  }
  if (!request.agent.empty()) {
    absl::StatusOr<const AgentState*> a = FindAgent(routing, request.agent, "agent");
    if (!a.ok()) return a.status();
  }
  const CommitmentId id = routing.NextCommitmentId();
  auto* e = events->emplace_back().mutable_commitment_recorded();
  e->set_commitment_id(id.value());
  e->set_conversation_id(request.conversation.value());
  e->set_kind(request.kind);
  e->set_description(request.description);
  core::ToProto(request.due_at, e->mutable_due_at());
  core::ToProto(deadline, e->mutable_deadline());
  e->set_channel(channel);
  e->set_queue_id(request.queue);
  e->set_agent_id(request.agent);
  core::ToProto(request.actor, e->mutable_actor());
  return id;
}

absl::Status DecideCloseCommitment(const core::CoreState& core, const RoutingState& routing,
                                   CommitmentId commitment, CommitmentStatus status,
                                   const Actor& actor, absl::string_view reason, Events* events) {
  if (absl::Status s = core::CheckActor(actor); !s.ok()) return s;
  if (status != v1::COMMITMENT_STATUS_FULFILLED && status != v1::COMMITMENT_STATUS_CANCELLED) {
    return absl::InvalidArgumentError(
        absl::StrCat("status: ", static_cast<int>(status), " must be FULFILLED or CANCELLED"));
  }
  if (reason.size() > kMaxReasonBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("reason: longer than ", kMaxReasonBytes, " bytes"));
  }
  if (absl::Status s = core::CheckUtf8(reason, "reason"); !s.ok()) return s;
  const CommitmentState* c = routing.commitment(commitment);
  if (c == nullptr && commitment.valid() && commitment < routing.NextCommitmentId()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "commitment: ", ToString(commitment), " is already closed (archived with its conversation)"));
  }
  if (c == nullptr) {
    return absl::NotFoundError(absl::StrCat("commitment: ", ToString(commitment), " not found"));
  }
  if (!c->open()) {
    return absl::FailedPreconditionError(
        absl::StrCat("commitment: ", ToString(commitment), " is already ",
                     c->status == v1::COMMITMENT_STATUS_FULFILLED ? "fulfilled" : "cancelled"));
  }
  if (const TaskState* t = c->task.valid() ? routing.task(c->task) : nullptr;
      t != nullptr && (t->status == v1::TASK_STATUS_WAITING || t->status == v1::TASK_STATUS_OFFERED)) {
    AppendCancel(*t, v1::CANCEL_REASON_COMMITMENT_CLOSED, events);
  }
  auto* e = events->emplace_back().mutable_commitment_closed();
  e->set_commitment_id(commitment.value());
  e->set_status(status);
  core::ToProto(actor, e->mutable_actor());
  e->set_reason(std::string(reason));
  return absl::OkStatus();
}

}  // namespace omniroute::routing
