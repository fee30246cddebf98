// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The router: every routing decision of a tenant. Commands (configure,
// accept, decline, complete, transfer, commitments...) are validated by the
// Decide* functions, which append events and change nothing, like the core's
// (lib/core/tenant_core.h). What follows from a command (a task for a
// customer's message, the work following a handoff, offers to agents) and
// what follows from time (timers) is decided by a Router step by step: each
// step's events are applied through the sink before the next step looks at
// the state, because each offer changes what the next one can be.
//
// Thread-compatible: runs on the tenant's serialized command path.

#ifndef OMNIROUTE_LIB_ROUTING_ROUTER_H_
#define OMNIROUTE_LIB_ROUTING_ROUTER_H_

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/core_state.h"
#include "omniroute/ids.h"
#include "omniroute/routing.h"
#include "omniroute/types.h"
#include "omniroute/v1/events.pb.h"
#include "routing/routing_changes.h"
#include "routing/routing_state.h"

namespace omniroute::routing {

using Events = std::vector<::omniroute::v1::Event>;

// Where the router's events go: stamped, applied to the tenant (so that the
// router sees them at its next look), and kept for the store. What applying
// them changed for routing is added to `*changes`. An error means an event
// did not fit: a bug, reported as INTERNAL by the engine.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual absl::Status Emit(Events events, RoutingChanges* changes) = 0;
};

// ------------------------------------------------------------ commands
// Each decides on the tenant's core and routing states, appends to
// `*events` on success and leaves it as given on error.

absl::Status DecideConfigureRouting(const core::CoreState& core, const RoutingState& routing,
                                    const RoutingSettings& settings, Events* events);
absl::Status DecideUpsertQueue(const core::CoreState& core, const RoutingState& routing,
                               const QueueConfig& queue, Events* events);
absl::Status DecideUpsertAgent(const core::CoreState& core, const RoutingState& routing,
                               const AgentConfig& agent, Events* events);
absl::Status DecidePresence(const core::CoreState& core, const RoutingState& routing,
                            absl::string_view agent, AgentPresence presence, Events* events);
absl::Status DecideAccept(const core::CoreState& core, const RoutingState& routing, TaskId task,
                          absl::string_view agent, Events* events);
absl::Status DecideDecline(const core::CoreState& core, const RoutingState& routing, TaskId task,
                           absl::string_view agent, absl::string_view reason, Events* events);
absl::Status DecideComplete(const core::CoreState& core, const RoutingState& routing, TaskId task,
                            absl::string_view agent, absl::Time now, Events* events);
absl::StatusOr<TaskId> DecideTransfer(const core::CoreState& core, const RoutingState& routing,
                                      TaskId task, const TransferTarget& target, const Actor& actor,
                                      absl::Time now, Events* events);
absl::Status DecideAbandon(const core::CoreState& core, const RoutingState& routing, TaskId task,
                           Events* events);
absl::StatusOr<CommitmentId> DecideCommitment(const core::CoreState& core,
                                              const RoutingState& routing,
                                              const CommitmentRequest& request, absl::Time now,
                                              Events* events);
absl::Status DecideCloseCommitment(const core::CoreState& core, const RoutingState& routing,
                                   CommitmentId commitment, CommitmentStatus status,
                                   const Actor& actor, absl::string_view reason, Events* events);

// ------------------------------------------------------------ reactions

class Router {
 public:
  // `core` and `routing` must be the states the sink applies to; they and
  // the sink must outlive the router. `pending` is what the events applied
  // before the router was made changed (a command's own events): dispatch
  // looks at it.
  Router(const core::CoreState& core, const RoutingState& routing, absl::Time now, EventSink& sink,
         RoutingChanges pending = {})
      : core_(core), routing_(routing), now_(now), sink_(sink), pending_(std::move(pending)) {}

  // What routing does after core events were applied: tasks for customers'
  // messages, handoffs, loop closure, cancellations (routing.h has the
  // rules).
  absl::Status React(absl::Span<const ::omniroute::v1::Event> applied);

  // Offers (or assigns) waiting tasks to agents until no new match is left.
  absl::Status Dispatch();

  // Fires every timer due at `now`, each followed by a dispatch. Returns how
  // many fired.
  absl::StatusOr<int> FireDueTimers();

 private:
  absl::Status OnInbound(ConversationId conversation, const ::omniroute::v1::MessageRecorded& m);
  absl::Status OnHandoff(ConversationId conversation, Channel to_channel);
  absl::Status OnAnswered(ConversationId conversation, absl::Time at);
  absl::Status OnReopened(ConversationId conversation);
  absl::Status OnResolved(ConversationId conversation);
  absl::Status OnEnded(ConversationId conversation);
  absl::Status OnThreadMerged(ConversationId target, ConversationId source);
  absl::Status FireTimer(const Timer& timer);
  // Emits through the sink, keeping what changed for dispatch.
  absl::Status Emit(Events events) { return sink_.Emit(std::move(events), &pending_); }

  const core::CoreState& core_;
  const RoutingState& routing_;
  const absl::Time now_;
  EventSink& sink_;
  // Tasks and agents that may have a new match since dispatch last looked;
  // Dispatch() drains them.
  RoutingChanges pending_;
};

}  // namespace omniroute::routing

#endif  // OMNIROUTE_LIB_ROUTING_ROUTER_H_
