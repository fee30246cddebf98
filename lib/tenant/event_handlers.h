// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The tenant's event dispatch: for each event type, the handler that
// checks an event against the tenant's state and the one that applies it.
// Core events go to the core's handlers (lib/core/core_state.h), routing
// events to routing's (lib/routing/routing_state.h); an event that concerns
// both (ConversationArchived) has a handler here that sees both parts. One
// table instead of switches: an event type without a handler is found by a
// test (tests/tenant/event_handlers_test.cc), not forgotten in one switch of
// several.
//
// Thread-safe: the table is immutable.

#ifndef OMNIROUTE_LIB_TENANT_EVENT_HANDLERS_H_
#define OMNIROUTE_LIB_TENANT_EVENT_HANDLERS_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/core_state.h"
#include "omniroute/v1/events.pb.h"
#include "routing/routing_changes.h"
#include "routing/routing_state.h"

namespace omniroute::tenant {

struct EventHandler {
  // Verifies, changing nothing, that `event` fits the state: OK, or
  // DATA_LOSS naming why not.
  absl::Status (*check)(const core::CoreState& core, const routing::RoutingState& routing,
                        const ::omniroute::v1::Event& event);
  // Applies an event `check` accepted, which happened at `at`; adds what
  // routing must look at again to `*changes` (never null).
  void (*apply)(core::CoreState& core, routing::RoutingState& routing,
                const ::omniroute::v1::Event& event, absl::Time at,
                routing::RoutingChanges* changes);
};

// The handler of events whose payload is `payload`; nullptr for
// PAYLOAD_NOT_SET and for a payload no handler takes.
const EventHandler* HandlerFor(::omniroute::v1::Event::PayloadCase payload);

}  // namespace omniroute::tenant

#endif  // OMNIROUTE_LIB_TENANT_EVENT_HANDLERS_H_
