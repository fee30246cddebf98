// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The audit trail of a tenant's log: who held the credential of the call
// that merged, unmerged or erased customers, or changed the tenant's
// configuration (Caller in proto/omniroute/v1/types.proto).
//
// The caller is a property of the command, not of the domain: no decision
// depends on it and no fold reads it. So the commands decide their events
// without it, and the engine records it on the audited ones afterwards. The
// schema alone says which events are audited: those whose payload has a
// `caller` field (a Caller); adding one to an event audits it.
//
// Thread-safe (pure functions).

#ifndef OMNIROUTE_LIB_TENANT_CALLER_AUDIT_H_
#define OMNIROUTE_LIB_TENANT_CALLER_AUDIT_H_

#include "absl/types/span.h"
#include "omniroute/types.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::tenant {

// Whether `event` is one that records its caller: its payload has a
// `caller` field (events.proto says which: TenantConfigured,
// IdentityLinked, CustomersMerged, CustomerUnmerged, CustomerErased,
// RoutingConfigured, QueueConfigured, AgentConfigured).
bool IsAudited(const ::omniroute::v1::Event& event);

// The caller an audited event records; nullptr for another event, or one
// that records none.
const ::omniroute::v1::Caller* CallerOf(const ::omniroute::v1::Event& event);

// Sets `caller` on each audited event of `events` (the events one command
// decided); the others are left as they are (an erasure's
// ConversationStatusChanged events keep their actor only). Does nothing when
// `caller` is not recorded (Caller::recorded()).
void RecordCaller(const Caller& caller, absl::Span<::omniroute::v1::Event> events);

}  // namespace omniroute::tenant

#endif  // OMNIROUTE_LIB_TENANT_CALLER_AUDIT_H_
