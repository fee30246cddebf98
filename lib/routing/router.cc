// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Reactions, dispatch and timers. Command validation is in
// routing_commands.cc; the task-building helpers both use are in
// task_builder.cc.

#include "routing/router.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "core/core_state.h"
#include "routing/routing_config.h"
#include "routing/routing_state.h"
#include "routing/task_builder.h"

namespace omniroute::routing {
namespace {

namespace v1 = ::omniroute::v1;
using ::omniroute::v1::Event;

// A bound on decisions per step: each offer uses capacity, so dispatch ends
// long before; hitting it means a bug, which must not hang the tenant.
constexpr int kMaxDispatchRounds = 10'000'000;

}  // namespace

absl::Status Router::React(absl::Span<const Event> applied) {
  // A customer's message that reopens a conversation brings its own task.
  std::vector<uint64_t> written_to;
  for (const Event& event : applied) {
    if (event.has_message_recorded() &&
        event.message_recorded().direction() == v1::DIRECTION_INBOUND) {
      written_to.push_back(event.message_recorded().conversation_id());
    }
  }
  for (const Event& event : applied) {
    absl::Status s = absl::OkStatus();
    switch (event.payload_case()) {
      case Event::kMessageRecorded: {
        const v1::MessageRecorded& m = event.message_recorded();
        const ConversationId id = core_.ResolveConversation(ConversationId(m.conversation_id()));
        if (m.direction() == v1::DIRECTION_INBOUND) {
          s = OnInbound(id, m);
        } else {
          s = OnAnswered(id, core::FromProto(event.time()));
        }
        break;
      }
      case Event::kHandoffRecorded:
        // A customer who changed channels is handled with their message.
        if (event.handoff_recorded().actor().kind() != v1::ACTOR_KIND_CUSTOMER) {
          s = OnHandoff(ConversationId(event.handoff_recorded().conversation_id()),
                        event.handoff_recorded().to_channel());
        }
        break;
      case Event::kConversationStatusChanged: {
        const auto& e = event.conversation_status_changed();
        const ConversationId id(e.conversation_id());
        if (e.to_status() == v1::CONVERSATION_STATUS_RESOLVED) s = OnResolved(id);
        if (e.to_status() == v1::CONVERSATION_STATUS_CLOSED) s = OnEnded(id);
        if (e.from_status() == v1::CONVERSATION_STATUS_RESOLVED &&
            e.to_status() == v1::CONVERSATION_STATUS_OPEN &&
            std::find(written_to.begin(), written_to.end(), id.value()) == written_to.end()) {
          s = OnReopened(id);
        }
        break;
      }
      case Event::kConversationsMerged:
        s = OnThreadMerged(ConversationId(event.conversations_merged().target_conversation_id()),
                           ConversationId(event.conversations_merged().source_conversation_id()));
        break;
      case Event::kCustomersMerged:
        for (const v1::ThreadMerge& merge : event.customers_merged().thread_merges()) {
          s = OnThreadMerged(ConversationId(merge.target_conversation_id()),
                             ConversationId(merge.source_conversation_id()));
          if (!s.ok()) break;
        }
        break;
      default:
        break;
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Router::OnInbound(ConversationId id, const v1::MessageRecorded& m) {
  const core::ConversationState* conversation = core_.conversation(id);
  if (conversation == nullptr || !conversation->IsLive()) return absl::OkStatus();
  const RoutingState& routing = routing_;
  const ConversationRoutingState* record = routing.conversation(id);
  Events events;
  TaskId previous;
  if (record != nullptr) {
    for (TaskId task_id : record->tasks) {
      const TaskState& t = *routing.task(task_id);
      if (!t.live()) continue;
      // Work in progress on this channel already covers the message.
      if (t.channel == m.channel()) return absl::OkStatus();
    }
    // The customer moved: what still waits elsewhere follows them, except
    // a promise, which is kept on its own channel.
    for (TaskId task_id : record->tasks) {
      const TaskState& t = *routing.task(task_id);
      if (t.commitment.valid()) continue;
      if (t.status == v1::TASK_STATUS_WAITING || t.status == v1::TASK_STATUS_OFFERED) {
        AppendCancel(t, v1::CANCEL_REASON_HANDED_OFF, &events);
        previous = t.id;
      }
    }
  }
  TaskSpec spec;
  spec.conversation = id;
  spec.channel = m.channel();
  spec.reason = m.outcome() == v1::THREAD_OUTCOME_REOPENED ? v1::TASK_REASON_REOPEN
                                                           : v1::TASK_REASON_INBOUND;
  spec.tags.assign(m.tags().begin(), m.tags().end());
  spec.visibility = m.visibility();
  spec.preferred_agent = record != nullptr ? record->owner : "";
  spec.previous = previous;
  AppendTask(core_, routing_, spec, now_, &events);
  return Emit(std::move(events));
}

absl::Status Router::OnHandoff(ConversationId id, Channel to_channel) {
  const RoutingState& routing = routing_;
  const ConversationRoutingState* record = routing.conversation(id);
  Events events;
  TaskId previous;
  bool covered = false;
  if (record != nullptr) {
    for (TaskId task_id : record->tasks) {
      const TaskState& t = *routing.task(task_id);
      if (!t.live()) continue;
      if (t.channel == to_channel) {
        covered = true;  // The work is already on the new channel.
        continue;
      }
      // A promise is kept on its own channel.
      if (t.commitment.valid() && t.status != v1::TASK_STATUS_ASSIGNED) continue;
      if (t.status == v1::TASK_STATUS_ASSIGNED) {
        auto* ended = events.emplace_back().mutable_task_ended();
        ended->set_task_id(t.id.value());
        ended->set_agent_id(t.agent);
        ended->set_end(v1::TASK_END_HANDED_OFF);
      } else {
        AppendCancel(t, v1::CANCEL_REASON_HANDED_OFF, &events);
      }
      previous = t.id;
    }
  }
  if (!events.empty()) {
    if (absl::Status s = Emit(std::move(events)); !s.ok()) return s;
    events.clear();
  }
  if (covered) return absl::OkStatus();
  record = routing.conversation(id);
  TaskSpec spec;
  spec.conversation = id;
  spec.channel = to_channel;
  spec.reason = v1::TASK_REASON_HANDOFF;
  spec.visibility = TraitsOf(to_channel).visibility;
  spec.preferred_agent = record != nullptr ? record->owner : "";
  spec.previous = previous;
  const TaskId task_id = AppendTask(core_, routing_, spec, now_, &events);
  if (absl::Status s = Emit(std::move(events)); !s.ok()) return s;
  // The owner keeps the conversation when they serve the new channel and
  // have room for it now.
  const TaskState& t = *routing.task(task_id);
  const AgentState* owner = t.preferred_agent.empty() ? nullptr : routing.agent(t.preferred_agent);
  if (owner != nullptr && t.held && CanTakeHeld(*owner, t)) {
    Events assign;
    auto* assigned = assign.emplace_back().mutable_task_assigned();
    assigned->set_task_id(t.id.value());
    assigned->set_agent_id(owner->config.agent_id());
    assigned->set_automatic(true);
    assigned->set_conversation_id(t.conversation.value());
    assigned->set_channel(t.channel);
    return Emit(std::move(assign));
  }
  return absl::OkStatus();
}

absl::Status Router::OnAnswered(ConversationId id, absl::Time at) {
  const RoutingState& routing = routing_;
  const ConversationRoutingState* record = routing.conversation(id);
  if (record == nullptr) return absl::OkStatus();
  Events events;
  for (TaskId task_id : record->tasks) {
    const TaskState& t = *routing.task(task_id);
    if (t.live() && !t.sla_escalated && t.first_response_due != absl::InfiniteFuture() &&
        t.created_at <= at) {
      events.emplace_back().mutable_task_first_response_met()->set_task_id(t.id.value());
    }
  }
  if (events.empty()) return absl::OkStatus();
  return Emit(std::move(events));
}

absl::Status Router::OnReopened(ConversationId id) {
  const core::ConversationState* c = core_.conversation(id);
  if (c == nullptr || !c->IsLive()) return absl::OkStatus();
  const RoutingState& routing = routing_;
  const ConversationRoutingState* record = routing.conversation(id);
  if (record != nullptr) {
    for (TaskId task_id : record->tasks) {
      const TaskState& t = *routing.task(task_id);
      if (t.live() && t.channel == c->channel) return absl::OkStatus();
    }
  }
  TaskSpec spec;
  spec.conversation = id;
  spec.channel = c->channel;
  spec.reason = v1::TASK_REASON_REOPEN;
  spec.visibility = TraitsOf(c->channel).visibility;
  spec.preferred_agent = record != nullptr ? record->owner : "";
  Events events;
  AppendTask(core_, routing_, spec, now_, &events);
  return Emit(std::move(events));
}

absl::Status Router::OnResolved(ConversationId id) {
  if (absl::Status s = OnEnded(id); !s.ok()) return s;
  const core::ConversationState* c = core_.conversation(id);
  if (!core_.options().close_public_loop || c == nullptr || !c->began_in_public ||
      TraitsOf(c->channel).visibility != v1::VISIBILITY_PRIVATE) {
    return absl::OkStatus();
  }
  const ConversationRoutingState* record = routing_.conversation(id);
  TaskSpec spec;
  spec.conversation = id;
  spec.channel = v1::CHANNEL_PUBLIC_SOCIAL;
  spec.reason = v1::TASK_REASON_CLOSE_PUBLIC_LOOP;
  spec.visibility = v1::VISIBILITY_PUBLIC;
  spec.preferred_agent = record != nullptr ? record->owner : "";
  // Answering in public is not a first response: the SLA was the
  // conversation's, and it is resolved.
  spec.no_first_response_due = true;
  Events events;
  AppendTask(core_, routing_, spec, now_, &events);
  return Emit(std::move(events));
}

absl::Status Router::OnEnded(ConversationId id) {
  const RoutingState& routing = routing_;
  const ConversationRoutingState* record = routing.conversation(id);
  if (record == nullptr) return absl::OkStatus();
  Events events;
  for (TaskId task_id : record->tasks) {
    const TaskState& t = *routing.task(task_id);
    if (t.status == v1::TASK_STATUS_WAITING || t.status == v1::TASK_STATUS_OFFERED) {
      AppendCancel(t, v1::CANCEL_REASON_CONVERSATION_ENDED, &events);
    }
  }
  if (events.empty()) return absl::OkStatus();
  return Emit(std::move(events));
}

absl::Status Router::OnThreadMerged(ConversationId target, ConversationId source) {
  const RoutingState& routing = routing_;
  const ConversationRoutingState* record = routing.conversation(source);
  if (record == nullptr) return absl::OkStatus();
  // The source's waiting work moves to the thread it joined, one task per
  // channel: the public post still needs its public answer, the email its
  // email.
  std::vector<const TaskState*> moving;
  for (TaskId task_id : record->tasks) {
    const TaskState& t = *routing.task(task_id);
    if (t.status == v1::TASK_STATUS_WAITING || t.status == v1::TASK_STATUS_OFFERED) {
      moving.push_back(&t);
    }
  }
  if (moving.empty()) return absl::OkStatus();
  Events events;
  std::vector<std::pair<Channel, TaskId>> to_create;
  for (const TaskState* t : moving) {
    AppendCancel(*t, v1::CANCEL_REASON_CONVERSATION_ENDED, &events);
    to_create.emplace_back(t->channel, t->id);
  }
  const ConversationRoutingState* target_record = routing.conversation(target);
  auto target_has_live = [&](Channel channel) {
    if (target_record == nullptr) return false;
    for (TaskId task_id : target_record->tasks) {
      const TaskState& t = *routing.task(task_id);
      if (t.live() && t.channel == channel) return true;
    }
    return false;
  };
  const core::ConversationState* target_conversation = core_.conversation(target);
  for (const auto& [channel, previous] : to_create) {
    if (target_has_live(channel) || target_conversation == nullptr ||
        !target_conversation->IsLive()) {
      continue;
    }
    bool already = false;
    for (const Event& e : events) {
      if (e.has_task_created() && e.task_created().channel() == channel) already = true;
    }
    if (already) continue;
    const TaskState& old = *routing.task(previous);
    TaskSpec spec;
    spec.conversation = target;
    spec.channel = channel;
    spec.reason = old.reason;
    spec.visibility = TraitsOf(channel).visibility;
    spec.preferred_agent = target_record != nullptr ? target_record->owner : old.preferred_agent;
    spec.previous = previous;
    spec.queue = old.queue;
    spec.first_response_due = old.first_response_due;
    spec.commitment = old.commitment;
    AppendTask(core_, routing_, spec, now_, &events);
  }
  return Emit(std::move(events));
}

absl::Status Router::Dispatch() {
  const RoutingState& routing = routing_;
  auto& tasks = pending_.tasks;
  auto& agents = pending_.agents;
  for (int round = 0; round < kMaxDispatchRounds; ++round) {
    const TaskState* task = nullptr;
    const AgentState* agent = nullptr;
    if (!tasks.empty()) {
      const TaskId id(*tasks.begin());
      tasks.erase(tasks.begin());
      const TaskState* t = routing.task(id);
      if (t == nullptr || t->status != v1::TASK_STATUS_WAITING || t->queue.empty()) continue;
      if (t->held) {
        const AgentState* preferred = routing.agent(t->preferred_agent);
        if (preferred != nullptr && CanTakeHeld(*preferred, *t)) {
          task = t;
          agent = preferred;
        }
      } else if (std::optional<Assignment> best = routing.matcher().BestAgentFor(id)) {
        task = t;
        agent = routing.agent(best->agent);
      }
    } else if (!agents.empty()) {
      const AgentId number(*agents.begin());
      agents.erase(agents.begin());
      const AgentState* a = routing.agent(number);
      if (a == nullptr || a->presence != v1::AGENT_PRESENCE_AVAILABLE) continue;
      for (TaskId held : routing.HeldFor(a->config.agent_id())) {
        const TaskState* t = routing.task(held);
        if (CanTakeHeld(*a, *t)) {
          task = t;
          break;
        }
      }
      if (task == nullptr) {
        if (std::optional<Assignment> best = routing.matcher().BestTaskFor(number)) {
          task = routing.task(best->task);
        }
      }
      if (task != nullptr) {
        agent = a;
        agents.insert(number.value());  // They may take more.
      }
    } else {
      return absl::OkStatus();
    }
    if (task == nullptr || agent == nullptr) continue;
    Events events;
    AppendOffer(routing, *task, *agent, now_, &events);
    if (absl::Status s = Emit(std::move(events)); !s.ok()) return s;
  }
  return absl::InternalError("routing dispatch did not settle");
}

absl::StatusOr<int> Router::FireDueTimers() {
  const RoutingState& routing = routing_;
  int fired = 0;
  while (std::optional<Timer> timer = routing.NextTimer()) {
    if (timer->at > now_) break;
    if (absl::Status s = FireTimer(*timer); !s.ok()) return s;
    if (std::optional<Timer> next = routing.NextTimer(); next.has_value() && *next == *timer) {
      return absl::InternalError("a routing timer fired without effect");
    }
    if (absl::Status s = Dispatch(); !s.ok()) return s;
    ++fired;
  }
  return fired;
}

absl::Status Router::FireTimer(const Timer& timer) {
  const RoutingState& routing = routing_;
  const v1::RoutingSettings& settings = routing.settings();
  Events events;
  switch (timer.kind) {
    case TimerKind::kWrapUpEnd: {
      const TaskState& t = *routing.task(TaskId(timer.id));
      auto* e = events.emplace_back().mutable_wrap_up_ended();
      e->set_task_id(t.id.value());
      e->set_agent_id(t.agent);
      break;
    }
    case TimerKind::kOfferExpiry: {
      const TaskState& t = *routing.task(TaskId(timer.id));
      const AgentState& a = *routing.agent(t.agent);
      auto* e = events.emplace_back().mutable_offer_expired();
      e->set_task_id(t.id.value());
      e->set_agent_id(t.agent);
      // The preferred agent did not answer: waiting for them is over.
      if (t.held && t.preferred_agent == t.agent) {
        events.emplace_back().mutable_task_released()->set_task_id(t.id.value());
      }
      const int limit = settings.max_consecutive_expiries();
      if (limit > 0 && a.consecutive_expiries + 1 >= limit &&
          a.presence == v1::AGENT_PRESENCE_AVAILABLE) {
        // Nobody is answering: stop offering them work until they say they
        // are back.
        for (TaskId other : a.offered) {
          if (other == t.id) continue;
          auto* w = events.emplace_back().mutable_offer_withdrawn();
          w->set_task_id(other.value());
          w->set_agent_id(t.agent);
          w->set_reason(v1::OFFER_WITHDRAWAL_AGENT_UNAVAILABLE);
        }
        auto* p = events.emplace_back().mutable_agent_presence_changed();
        p->set_agent_id(t.agent);
        p->set_from_presence(a.presence);
        p->set_to_presence(v1::AGENT_PRESENCE_AWAY);
        p->mutable_actor()->set_kind(v1::ACTOR_KIND_SYSTEM);
        p->set_reason(absl::StrCat(limit, " offers in a row expired"));
      }
      break;
    }
    case TimerKind::kCommitmentDue: {
      const CommitmentState& c = *routing.commitment(CommitmentId(timer.id));
      TaskSpec spec;
      spec.conversation = core_.ResolveConversation(c.conversation);
      spec.channel = c.channel;
      spec.reason = v1::TASK_REASON_COMMITMENT;
      spec.visibility = TraitsOf(c.channel).visibility;
      spec.preferred_agent = c.agent;
      spec.queue = c.queue;
      spec.commitment = c.id;
      const TaskId task = AppendTask(core_, routing_, spec, now_, &events);
      auto* due = events.emplace_back().mutable_commitment_due();
      due->set_commitment_id(c.id.value());
      due->set_task_id(task.value());
      break;
    }
    case TimerKind::kCommitmentDeadline: {
      const CommitmentState& c = *routing.commitment(CommitmentId(timer.id));
      events.emplace_back().mutable_commitment_missed()->set_commitment_id(c.id.value());
      const TaskState* t = c.task.valid() ? routing.task(c.task) : nullptr;
      if (t != nullptr && t->live()) {
        auto* e = events.emplace_back().mutable_task_escalated();
        e->set_task_id(t->id.value());
        e->set_reason(v1::ESCALATION_REASON_COMMITMENT_MISSED);
        e->set_added_points(settings.missed_commitment_points());
      }
      break;
    }
    case TimerKind::kPreferenceEnd:
      events.emplace_back().mutable_task_released()->set_task_id(timer.id);
      break;
    case TimerKind::kExpansion: {
      const TaskState& t = *routing.task(TaskId(timer.id));
      const QueueState& q = *routing.queue(t.queue);
      const v1::ExpansionStep& step = q.config.expansion_steps(t.expansion_step);
      auto* e = events.emplace_back().mutable_task_expanded();
      e->set_task_id(t.id.value());
      e->set_step(t.expansion_step);
      e->set_queue_id(t.queue);
      if (step.has_overflow_queue_id()) {
        const QueueState* next = routing.queue(step.overflow_queue_id());
        // An overflow queue that does not take this channel is skipped.
        if (next != nullptr &&
            std::find(next->config.channels().begin(), next->config.channels().end(),
                      t.channel) != next->config.channels().end()) {
          e->set_queue_id(step.overflow_queue_id());
        }
      }
      break;
    }
    case TimerKind::kFirstResponseBreach: {
      const TaskState& t = *routing.task(TaskId(timer.id));
      const core::ConversationState* c =
          core_.conversation(core_.ResolveConversation(t.conversation));
      if (c != nullptr && c->first_responded_at != absl::InfiniteFuture() &&
          c->first_responded_at >= t.created_at) {
        // Answered meanwhile (on another channel, or in a thread merged in).
        events.emplace_back().mutable_task_first_response_met()->set_task_id(timer.id);
        break;
      }
      auto* e = events.emplace_back().mutable_task_escalated();
      e->set_task_id(timer.id);
      e->set_reason(v1::ESCALATION_REASON_SLA_BREACHED);
      e->set_added_points(settings.sla_breach_points());
      break;
    }
  }
  return Emit(std::move(events));
}

}  // namespace omniroute::routing
