// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The engine's routing calls: commands go through the same commit path as
// the core's (engine_impl.h), queries read the tenant's routing state.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "engine/archived_conversation.h"
#include "engine/engine_impl.h"
#include "omniroute/engine.h"
#include "routing/interval_report.h"
#include "routing/router.h"
#include "routing/routing_config.h"
#include "routing/routing_state.h"
#include "routing/routing_views.h"
#include "routing/statistics.h"
#include "tenant/archival.h"
#include "tenant/tenant_state.h"

namespace omniroute {
namespace {

namespace v1 = ::omniroute::v1;

// Command results for calls that answer only with a status.
struct Done {};

template <typename Decide>
auto StatusOnly(Decide decide) {
  return [decide](const tenant::TenantState& state, absl::Time now,
                  Events* events) -> absl::StatusOr<Done> {
    if (absl::Status s = decide(state, now, events); !s.ok()) return s;
    return Done{};
  };
}

}  // namespace

absl::Status Engine::ConfigureRouting(absl::string_view tenant_id, const RoutingSettings& settings,
                                      const Caller& caller) {
  return impl_
      ->Command<Done>(
          tenant_id, StatusOnly([&](const tenant::TenantState& state, absl::Time, Events* events) {
            absl::Status decided =
                routing::DecideConfigureRouting(state.core(), state.routing(), settings, events);
            tenant::RecordCaller(caller, absl::MakeSpan(*events));
            return decided;
          }))
      .status();
}

absl::Status Engine::UpsertQueue(absl::string_view tenant_id, const QueueConfig& queue,
                                 const Caller& caller) {
  return impl_
      ->Command<Done>(
          tenant_id, StatusOnly([&](const tenant::TenantState& state, absl::Time, Events* events) {
            absl::Status decided =
                routing::DecideUpsertQueue(state.core(), state.routing(), queue, events);
            tenant::RecordCaller(caller, absl::MakeSpan(*events));
            return decided;
          }))
      .status();
}

absl::Status Engine::UpsertAgent(absl::string_view tenant_id, const AgentConfig& agent,
                                 const Caller& caller) {
  return impl_
      ->Command<Done>(
          tenant_id, StatusOnly([&](const tenant::TenantState& state, absl::Time, Events* events) {
            absl::Status decided =
                routing::DecideUpsertAgent(state.core(), state.routing(), agent, events);
            tenant::RecordCaller(caller, absl::MakeSpan(*events));
            return decided;
          }))
      .status();
}

absl::Status Engine::SetAgentPresence(absl::string_view tenant_id, absl::string_view agent_id,
                                      AgentPresence presence) {
  return impl_
      ->Command<Done>(tenant_id,
                      StatusOnly([&](const tenant::TenantState& state, absl::Time, Events* events) {
                        return routing::DecidePresence(state.core(), state.routing(), agent_id,
                                                       presence, events);
                      }))
      .status();
}

absl::Status Engine::AcceptOffer(absl::string_view tenant_id, TaskId task,
                                 absl::string_view agent_id) {
  return impl_
      ->Command<Done>(
          tenant_id, StatusOnly([&](const tenant::TenantState& state, absl::Time, Events* events) {
            return routing::DecideAccept(state.core(), state.routing(), task, agent_id, events);
          }))
      .status();
}

absl::Status Engine::DeclineOffer(absl::string_view tenant_id, TaskId task,
                                  absl::string_view agent_id, absl::string_view reason) {
  return impl_
      ->Command<Done>(tenant_id,
                      StatusOnly([&](const tenant::TenantState& state, absl::Time, Events* events) {
                        return routing::DecideDecline(state.core(), state.routing(), task, agent_id,
                                                      reason, events);
                      }))
      .status();
}

absl::Status Engine::CompleteTask(absl::string_view tenant_id, TaskId task,
                                  absl::string_view agent_id) {
  return impl_
      ->Command<Done>(tenant_id, StatusOnly([&](const tenant::TenantState& state, absl::Time now,
                                                Events* events) {
                        return routing::DecideComplete(state.core(), state.routing(), task,
                                                       agent_id, now, events);
                      }))
      .status();
}

absl::StatusOr<TaskId> Engine::TransferTask(absl::string_view tenant_id, TaskId task,
                                            const TransferTarget& target, const Actor& actor) {
  return impl_->Command<TaskId>(tenant_id, [&](const tenant::TenantState& state, absl::Time now,
                                               Events* events) {
    return routing::DecideTransfer(state.core(), state.routing(), task, target, actor, now, events);
  });
}

absl::Status Engine::AbandonTask(absl::string_view tenant_id, TaskId task) {
  return impl_
      ->Command<Done>(tenant_id,
                      StatusOnly([&](const tenant::TenantState& state, absl::Time, Events* events) {
                        return routing::DecideAbandon(state.core(), state.routing(), task, events);
                      }))
      .status();
}

absl::StatusOr<CommitmentId> Engine::RecordCommitment(absl::string_view tenant_id,
                                                      const CommitmentRequest& request) {
  return impl_->Command<CommitmentId>(
      tenant_id, [&](const tenant::TenantState& state, absl::Time now, Events* events) {
        return routing::DecideCommitment(state.core(), state.routing(), request, now, events);
      });
}

absl::Status Engine::CloseCommitment(absl::string_view tenant_id, CommitmentId commitment,
                                     CommitmentStatus status, const Actor& actor,
                                     absl::string_view reason) {
  return impl_
      ->Command<Done>(
          tenant_id, StatusOnly([&](const tenant::TenantState& state, absl::Time, Events* events) {
            return routing::DecideCloseCommitment(state.core(), state.routing(), commitment, status,
                                                  actor, reason, events);
          }))
      .status();
}

absl::StatusOr<int> Engine::RunDueTimers(absl::string_view tenant_id) {
  return impl_->RunDueTimers(tenant_id);
}

absl::StatusOr<std::optional<absl::Time>> Engine::NextTimer(absl::string_view tenant_id) const {
  // A schedule, not an answer: RunDueTimers decides again what is due, so
  // this need not wait for the commands in flight to be stored (the
  // server's timer loop asks after every commit that may move a timer).
  return impl_->Peek<std::optional<absl::Time>>(
      tenant_id, [](const tenant::TenantState& state) -> std::optional<absl::Time> {
        std::optional<absl::Time> next = tenant::NextArchival(state);
        std::optional<routing::Timer> timer = state.routing().NextTimer();
        if (timer.has_value() && (!next.has_value() || timer->at < *next)) next = timer->at;
        return next;
      });
}

absl::StatusOr<TaskView> Engine::GetTask(absl::string_view tenant_id, TaskId task) const {
  const absl::Time now = impl_->clock().Now();
  absl::StatusOr<std::optional<TaskView>> live = impl_->Query<std::optional<TaskView>>(
      tenant_id, [&](const tenant::TenantState& state) -> absl::StatusOr<std::optional<TaskView>> {
        if (const routing::TaskState* t = state.routing().task(task)) {
          TaskView view = routing::ToView(*t);
          view.wait_estimate = routing::WaitEstimateOf(state.routing(), *t, now);
          return view;
        }
        // Archived with its conversation, or never given.
        if (task.valid() && task < state.routing().NextTaskId()) return std::nullopt;
        return absl::NotFoundError(absl::StrCat("task: ", ToString(task), " not found"));
      });
  if (!live.ok()) return live.status();
  if (live->has_value()) return **std::move(live);
  absl::StatusOr<engine_internal::ArchivedConversation> archived =
      engine_internal::ArchivedConversation::Read(
          impl_->store(), tenant_id, EventStore::ArchivedKind::kTask, task.value(), "task");
  if (!archived.ok()) return archived.status();
  return archived->Task(task);
}

absl::StatusOr<AgentView> Engine::GetAgent(absl::string_view tenant_id,
                                           absl::string_view agent_id) const {
  return impl_->Query<AgentView>(
      tenant_id, [&](const tenant::TenantState& state) -> absl::StatusOr<AgentView> {
        if (absl::Status s = routing::ValidateAgentId(agent_id, "agent_id"); !s.ok()) return s;
        const routing::AgentState* a = state.routing().agent(agent_id);
        if (a == nullptr) {
          return absl::NotFoundError(absl::StrCat("agent_id: agent \"", agent_id, "\" not found"));
        }
        return routing::ToView(*a);
      });
}

absl::StatusOr<QueueConfig> Engine::GetQueue(absl::string_view tenant_id,
                                             absl::string_view queue_id) const {
  return impl_->Query<QueueConfig>(
      tenant_id, [&](const tenant::TenantState& state) -> absl::StatusOr<QueueConfig> {
        if (absl::Status s = routing::ValidateQueueId(queue_id, "queue_id"); !s.ok()) return s;
        const routing::QueueState* q = state.routing().queue(queue_id);
        if (q == nullptr) {
          return absl::NotFoundError(absl::StrCat("queue_id: queue \"", queue_id, "\" not found"));
        }
        return routing::FromProto(q->config);
      });
}

absl::StatusOr<QueueStats> Engine::GetQueueStats(absl::string_view tenant_id,
                                                 absl::string_view queue_id) const {
  return impl_->Query<QueueStats>(
      tenant_id, [&](const tenant::TenantState& state) -> absl::StatusOr<QueueStats> {
        if (absl::Status s = routing::ValidateQueueId(queue_id, "queue_id"); !s.ok()) return s;
        const routing::QueueState* q = state.routing().queue(queue_id);
        if (q == nullptr) {
          return absl::NotFoundError(absl::StrCat("queue_id: queue \"", queue_id, "\" not found"));
        }
        return routing::StatsOf(state.routing(), *q);
      });
}

absl::StatusOr<std::vector<QueueStatistics>> Engine::GetQueueStatistics(
    absl::string_view tenant_id, absl::Span<const std::string> queue_ids) const {
  const absl::Time now = impl_->clock().Now();
  return impl_->Query<std::vector<QueueStatistics>>(
      tenant_id,
      [&](const tenant::TenantState& state) -> absl::StatusOr<std::vector<QueueStatistics>> {
        const routing::RoutingState& routing = state.routing();
        std::vector<const routing::QueueState*> queues;
        for (size_t i = 0; i < queue_ids.size(); ++i) {
          const std::string field = absl::StrCat("queue_ids[", i, "]");
          if (absl::Status s = routing::ValidateQueueId(queue_ids[i], field); !s.ok()) return s;
          const routing::QueueState* q = routing.queue(queue_ids[i]);
          if (q == nullptr) {
            return absl::NotFoundError(
                absl::StrCat(field, ": queue \"", queue_ids[i], "\" not found"));
          }
          queues.push_back(q);
        }
        if (queue_ids.empty()) {
          for (const std::string& id : routing.queue_order()) queues.push_back(routing.queue(id));
        }
        return routing::StatisticsOf(routing, queues, now);
      });
}

absl::StatusOr<IntervalReport> Engine::GetIntervalReport(absl::string_view tenant_id,
                                                         absl::Time from, absl::Time to) const {
  if (from == absl::InfinitePast() || from == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("from: must be a time, not infinite");
  }
  if (to == absl::InfinitePast() || to == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("to: must be a time, not infinite");
  }
  if (to <= from) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to: ", absl::FormatTime(to), " is not after from (", absl::FormatTime(from), ")"));
  }
  const absl::Time start = routing::IntervalStart(from);
  const absl::Time end = routing::IntervalEnd(to);
  if (end - start > kMaxReportSpan) {
    return absl::InvalidArgumentError(
        absl::StrCat("to: the report would span ", absl::FormatDuration(end - start),
                     ", more than ", absl::FormatDuration(kMaxReportSpan), " (31 days)"));
  }
  // The tenant is served here (or the caller is told where), and its log
  // holds this many events.
  absl::StatusOr<uint64_t> last = LastSequence(tenant_id);
  if (!last.ok()) return last.status();
  const EventStore& store = impl_->store();
  const std::string tenant(tenant_id);

  // The time of event `sequence`; InfiniteFuture past the end.
  absl::Status read_status;
  auto time_of = [&](uint64_t sequence) {
    absl::Time at = absl::InfiniteFuture();
    absl::Status s = store.Read(tenant, sequence, [&](const v1::Event& event) {
      at = core::FromProto(event.time());
      return false;
    });
    if (!s.ok() && read_status.ok()) read_status = s;
    return at;
  };
  // The first event at or after the lookback's start. Event times follow
  // the log's order but for clock steps: bisection finds a boundary where
  // time crosses it, which is all a report needs.
  const absl::Time read_from = start - kReportLookback;
  uint64_t lo = 1;
  uint64_t hi = *last + 1;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (time_of(mid) < read_from) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (!read_status.ok()) return read_status;

  routing::IntervalReportBuilder builder(start, end);
  absl::Status s = store.Read(tenant, lo, [&](const v1::Event& event) {
    if (event.sequence() > *last || core::FromProto(event.time()) >= end) return false;
    builder.Add(event);
    return true;
  });
  if (!s.ok()) return s;
  return std::move(builder).Finish();
}

absl::StatusOr<AgentStatistics> Engine::GetAgentStatistics(absl::string_view tenant_id,
                                                           absl::string_view agent_id) const {
  const absl::Time now = impl_->clock().Now();
  return impl_->Query<AgentStatistics>(
      tenant_id, [&](const tenant::TenantState& state) -> absl::StatusOr<AgentStatistics> {
        if (absl::Status s = routing::ValidateAgentId(agent_id, "agent_id"); !s.ok()) return s;
        const routing::AgentState* a = state.routing().agent(agent_id);
        if (a == nullptr) {
          return absl::NotFoundError(absl::StrCat("agent_id: agent \"", agent_id, "\" not found"));
        }
        return routing::StatisticsOf(*a, now);
      });
}

absl::StatusOr<RoutingOverview> Engine::GetRoutingOverview(absl::string_view tenant_id) const {
  return impl_->Query<RoutingOverview>(tenant_id, [](const tenant::TenantState& state) {
    return routing::OverviewOf(state.routing());
  });
}

absl::StatusOr<RoutingSettings> Engine::GetRoutingSettings(absl::string_view tenant_id) const {
  return impl_->Query<RoutingSettings>(
      tenant_id, [](const tenant::TenantState& state) { return state.routing().settings_view(); });
}

absl::StatusOr<ConversationRouting> Engine::GetConversationRouting(
    absl::string_view tenant_id, ConversationId conversation) const {
  absl::StatusOr<std::optional<ConversationRouting>> live =
      impl_->Query<std::optional<ConversationRouting>>(
          tenant_id,
          [&](const tenant::TenantState& state)
              -> absl::StatusOr<std::optional<ConversationRouting>> {
            const core::ConversationState* c = state.conversation(conversation);
            if (c == nullptr) {
              if (conversation.valid() && conversation < state.NextConversationId()) {
                return std::nullopt;
              }
              return absl::NotFoundError(
                  absl::StrCat("conversation: ", ToString(conversation), " not found"));
            }
            ConversationRouting view;
            view.conversation = conversation;
            view.handoffs = static_cast<int>(c->handoffs.size());
            if (const routing::ConversationRoutingState* r =
                    state.routing().conversation(conversation)) {
              view.owner = r->owner;
              view.tasks = r->tasks;
              view.transfers = r->transfers;
              view.agents = static_cast<int>(r->agents.size());
              view.same_agent_throughout = r->agents.size() <= 1;
            }
            return view;
          });
  if (!live.ok()) return live.status();
  if (live->has_value()) return **std::move(live);
  absl::StatusOr<engine_internal::ArchivedConversation> archived =
      engine_internal::ArchivedConversation::Read(impl_->store(), tenant_id,
                                                  EventStore::ArchivedKind::kConversation,
                                                  conversation.value(), "conversation");
  if (!archived.ok()) return archived.status();
  return archived->Routing(conversation);
}

absl::StatusOr<CommitmentView> Engine::GetCommitment(absl::string_view tenant_id,
                                                     CommitmentId commitment) const {
  absl::StatusOr<std::optional<CommitmentView>> live = impl_->Query<std::optional<CommitmentView>>(
      tenant_id,
      [&](const tenant::TenantState& state) -> absl::StatusOr<std::optional<CommitmentView>> {
        if (const routing::CommitmentState* c = state.routing().commitment(commitment)) {
          return routing::ToView(*c);
        }
        if (commitment.valid() && commitment < state.routing().NextCommitmentId()) {
          return std::nullopt;
        }
        return absl::NotFoundError(absl::StrCat("commitment: ", ToString(commitment), " not found"));
      });
  if (!live.ok()) return live.status();
  if (live->has_value()) return **std::move(live);
  absl::StatusOr<engine_internal::ArchivedConversation> archived =
      engine_internal::ArchivedConversation::Read(impl_->store(), tenant_id,
                                                  EventStore::ArchivedKind::kCommitment,
                                                  commitment.value(), "commitment");
  if (!archived.ok()) return archived.status();
  return archived->Commitment(commitment);
}

absl::StatusOr<std::vector<CommitmentView>> Engine::ListCommitments(
    absl::string_view tenant_id, ConversationId conversation) const {
  absl::StatusOr<std::optional<std::vector<CommitmentView>>> live =
      impl_->Query<std::optional<std::vector<CommitmentView>>>(
          tenant_id,
          [&](const tenant::TenantState& state)
              -> absl::StatusOr<std::optional<std::vector<CommitmentView>>> {
            if (state.conversation(conversation) == nullptr) {
              if (conversation.valid() && conversation < state.NextConversationId()) {
                return std::nullopt;
              }
              return absl::NotFoundError(
                  absl::StrCat("conversation: ", ToString(conversation), " not found"));
            }
            std::vector<CommitmentView> views;
            if (const routing::ConversationRoutingState* r =
                    state.routing().conversation(conversation)) {
              for (CommitmentId id : r->commitments)
                views.push_back(routing::ToView(*state.routing().commitment(id)));
            }
            return views;
          });
  if (!live.ok()) return live.status();
  if (live->has_value()) return **std::move(live);
  absl::StatusOr<engine_internal::ArchivedConversation> archived =
      engine_internal::ArchivedConversation::Read(impl_->store(), tenant_id,
                                                  EventStore::ArchivedKind::kConversation,
                                                  conversation.value(), "conversation");
  if (!archived.ok()) return archived.status();
  return archived->Commitments(conversation);
}

}  // namespace omniroute
