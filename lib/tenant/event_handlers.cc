// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "tenant/event_handlers.h"

#include <array>
#include <cstddef>
#include <utility>
#include <vector>

namespace omniroute::tenant {
namespace {

using ::omniroute::v1::Event;

// A handler made of a core check and apply: routing is not involved.
template <absl::Status (core::CoreState::*Check)(const Event&) const,
          void (core::CoreState::*Apply)(const Event&, absl::Time)>
constexpr EventHandler CoreHandler() {
  return {
      [](const core::CoreState& core, const routing::RoutingState&, const Event& event) {
        return (core.*Check)(event);
      },
      [](core::CoreState& core, routing::RoutingState&, const Event& event, absl::Time at,
         routing::RoutingChanges*) { (core.*Apply)(event, at); },
  };
}

// A handler made of a routing check (which reads the core) and apply.
template <absl::Status (routing::RoutingState::*Check)(const Event&, const core::CoreState&) const,
          void (routing::RoutingState::*Apply)(const Event&, absl::Time, routing::RoutingChanges*)>
constexpr EventHandler RoutingHandler() {
  return {
      [](const core::CoreState& core, const routing::RoutingState& routing, const Event& event) {
        return (routing.*Check)(event, core);
      },
      [](core::CoreState&, routing::RoutingState& routing, const Event& event, absl::Time at,
         routing::RoutingChanges* changes) { (routing.*Apply)(event, at, changes); },
  };
}

// ConversationArchived takes a closed conversation and those merged into it
// out of the working set, with their tasks and commitments: the core says
// whether it is closed and pinned by a merge record, routing whether it
// still holds one of them.
absl::Status CheckConversationArchived(const core::CoreState& core,
                                       const routing::RoutingState& routing, const Event& event) {
  if (absl::Status s = core.CheckConversationArchived(event); !s.ok()) return s;
  const ConversationId id(event.conversation_archived().conversation_id());
  for (ConversationId member : core.Family(id)) {
    if (core.pinned(member)) return core::Misfit(event, "an active merge names it");
    if (!routing.Archivable(member)) {
      return core::Misfit(event, "routing still holds it (a task or commitment not ended)");
    }
  }
  return absl::OkStatus();
}

void ApplyConversationArchived(core::CoreState& core, routing::RoutingState& routing,
                               const Event& event, absl::Time at, routing::RoutingChanges*) {
  const std::vector<ConversationId> family =
      core.Family(ConversationId(event.conversation_archived().conversation_id()));
  core.ApplyConversationArchived(event, at);
  routing.Archive(family);
}

using Core = core::CoreState;
using Routing = routing::RoutingState;

// Indexed by payload case (the field number of the event's payload).
constexpr size_t kTableSize = 64;

constexpr std::array<EventHandler, kTableSize> BuildTable() {
  std::array<EventHandler, kTableSize> table{};
  auto set = [&](Event::PayloadCase payload, EventHandler handler) { table[payload] = handler; };
  // Core events.
  set(Event::kTenantConfigured,
      CoreHandler<&Core::CheckTenantConfigured, &Core::ApplyTenantConfigured>());
  set(Event::kCustomerCreated,
      CoreHandler<&Core::CheckCustomerCreated, &Core::ApplyCustomerCreated>());
  set(Event::kIdentityLinked,
      CoreHandler<&Core::CheckIdentityLinked, &Core::ApplyIdentityLinked>());
  set(Event::kCustomersMerged,
      CoreHandler<&Core::CheckCustomersMerged, &Core::ApplyCustomersMerged>());
  set(Event::kCustomerUnmerged,
      CoreHandler<&Core::CheckCustomerUnmerged, &Core::ApplyCustomerUnmerged>());
  set(Event::kConversationOpened,
      CoreHandler<&Core::CheckConversationOpened, &Core::ApplyConversationOpened>());
  set(Event::kMessageRecorded,
      CoreHandler<&Core::CheckMessageRecorded, &Core::ApplyMessageRecorded>());
  set(Event::kHandoffRecorded,
      CoreHandler<&Core::CheckHandoffRecorded, &Core::ApplyHandoffRecorded>());
  set(Event::kConversationStatusChanged,
      CoreHandler<&Core::CheckConversationStatusChanged,
                  &Core::ApplyConversationStatusChanged>());
  set(Event::kConversationsMerged,
      CoreHandler<&Core::CheckConversationsMerged, &Core::ApplyConversationsMerged>());
  set(Event::kConversationSplit,
      CoreHandler<&Core::CheckConversationSplit, &Core::ApplyConversationSplit>());
  set(Event::kCustomerErased,
      CoreHandler<&Core::CheckCustomerErased, &Core::ApplyCustomerErased>());
  // Both parts.
  set(Event::kConversationArchived, {&CheckConversationArchived, &ApplyConversationArchived});
  // Routing events.
  set(Event::kRoutingConfigured,
      RoutingHandler<&Routing::CheckRoutingConfigured, &Routing::ApplyRoutingConfigured>());
  set(Event::kQueueConfigured,
      RoutingHandler<&Routing::CheckQueueConfigured, &Routing::ApplyQueueConfigured>());
  set(Event::kAgentConfigured,
      RoutingHandler<&Routing::CheckAgentConfigured, &Routing::ApplyAgentConfigured>());
  set(Event::kAgentPresenceChanged,
      RoutingHandler<&Routing::CheckAgentPresenceChanged,
                     &Routing::ApplyAgentPresenceChanged>());
  set(Event::kTaskCreated, RoutingHandler<&Routing::CheckTaskCreated, &Routing::ApplyTaskCreated>());
  set(Event::kTaskOffered, RoutingHandler<&Routing::CheckTaskOffered, &Routing::ApplyTaskOffered>());
  set(Event::kTaskAssigned,
      RoutingHandler<&Routing::CheckTaskAssigned, &Routing::ApplyTaskAssigned>());
  set(Event::kOfferDeclined, RoutingHandler<&Routing::CheckOfferEnded, &Routing::ApplyOfferEnded>());
  set(Event::kOfferExpired, RoutingHandler<&Routing::CheckOfferEnded, &Routing::ApplyOfferEnded>());
  set(Event::kOfferWithdrawn,
      RoutingHandler<&Routing::CheckOfferEnded, &Routing::ApplyOfferEnded>());
  set(Event::kTaskEnded, RoutingHandler<&Routing::CheckTaskEnded, &Routing::ApplyTaskEnded>());
  set(Event::kWrapUpEnded, RoutingHandler<&Routing::CheckWrapUpEnded, &Routing::ApplyWrapUpEnded>());
  set(Event::kTaskCancelled,
      RoutingHandler<&Routing::CheckTaskCancelled, &Routing::ApplyTaskCancelled>());
  set(Event::kTaskReleased,
      RoutingHandler<&Routing::CheckTaskReleased, &Routing::ApplyTaskReleased>());
  set(Event::kTaskExpanded,
      RoutingHandler<&Routing::CheckTaskExpanded, &Routing::ApplyTaskExpanded>());
  set(Event::kTaskEscalated,
      RoutingHandler<&Routing::CheckTaskEscalated, &Routing::ApplyTaskEscalated>());
  set(Event::kTaskFirstResponseMet,
      RoutingHandler<&Routing::CheckTaskFirstResponseMet, &Routing::ApplyTaskFirstResponseMet>());
  set(Event::kCommitmentRecorded,
      RoutingHandler<&Routing::CheckCommitmentRecorded, &Routing::ApplyCommitmentRecorded>());
  set(Event::kCommitmentDue,
      RoutingHandler<&Routing::CheckCommitmentDue, &Routing::ApplyCommitmentDue>());
  set(Event::kCommitmentMissed,
      RoutingHandler<&Routing::CheckCommitmentMissed, &Routing::ApplyCommitmentMissed>());
  set(Event::kCommitmentClosed,
      RoutingHandler<&Routing::CheckCommitmentClosed, &Routing::ApplyCommitmentClosed>());
  return table;
}

constexpr std::array<EventHandler, kTableSize> kHandlers = BuildTable();

}  // namespace

const EventHandler* HandlerFor(Event::PayloadCase payload) {
  const auto index = static_cast<size_t>(payload);
  if (index >= kHandlers.size() || kHandlers[index].check == nullptr) return nullptr;
  return &kHandlers[index];
}

}  // namespace omniroute::tenant
