// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "tenant/tenant_state.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "tenant/event_handlers.h"

namespace omniroute::tenant {

using ::omniroute::v1::Event;

TenantState::TenantState(std::string tenant_id) : core_(std::move(tenant_id)) {}

TenantState::TenantState(core::CoreState core, routing::RoutingState routing,
                         uint64_t last_sequence)
    : last_sequence_(last_sequence), core_(std::move(core)), routing_(std::move(routing)) {}

absl::Status TenantState::Apply(const Event& event, routing::RoutingChanges* changes) {
  // What every event must fit, whatever its type.
  if (event.sequence() != last_sequence_ + 1) {
    return absl::DataLossError(absl::StrCat("event sequence ", event.sequence(),
                                            " does not follow ", last_sequence_,
                                            " in tenant ", tenant_id()));
  }
  if (event.payload_case() == Event::PAYLOAD_NOT_SET) {
    return absl::DataLossError(
        absl::StrCat("event ", event.sequence(), " has no payload (unknown event type?)"));
  }
  if (!core_.configured() && !event.has_tenant_configured()) {
    return core::Misfit(event, "the tenant is not configured yet");
  }
  const EventHandler* handler = HandlerFor(event.payload_case());
  if (handler == nullptr) return core::Misfit(event, "unknown event type");
  // Everything the event needs is verified before anything changes, so
  // that applying it is all or nothing.
  if (absl::Status s = handler->check(core_, routing_, event); !s.ok()) return s;
  routing::RoutingChanges dropped;
  handler->apply(core_, routing_, event, core::FromProto(event.time()),
                 changes != nullptr ? changes : &dropped);
  last_sequence_ = event.sequence();
  return absl::OkStatus();
}

void TenantState::Stamp(absl::Span<Event> events, absl::Time now) const {
  uint64_t sequence = last_sequence_;
  for (Event& event : events) {
    event.set_sequence(++sequence);
    core::ToProto(now, event.mutable_time());
    event.set_tenant_id(tenant_id());
  }
}

}  // namespace omniroute::tenant
