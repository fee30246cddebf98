// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Who may call what: for every RPC of omniroute.v1, the roles allowed and
// what the call is about (a tenant, one agent of a tenant, or the node),
// and the check of a principal against a request. The README's table
// "Who may call what" is this table.
//
// Thread-safe: pure functions over a constant table.

#ifndef OMNIROUTE_LIB_SERVICE_AUTH_ACCESS_POLICY_H_
#define OMNIROUTE_LIB_SERVICE_AUTH_ACCESS_POLICY_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/message.h"
#include "service/auth/principal.h"

namespace omniroute::service {

enum class CallScope {
  // The request's tenant_id names the tenant.
  kTenant,
  // As kTenant, and a principal of role agent may only name itself in the
  // request's agent_id.
  kAgent,
  // About the node or every tenant (no tenant_id): for principals of every
  // tenant ("*") only.
  kNode,
  // Any principal whose role is allowed (Ping).
  kAnyone,
};

struct MethodAccess {
  // "/omniroute.v1.Service/Method".
  absl::string_view method;
  // Bit (1 << Role) for each role allowed.
  uint32_t roles;
  CallScope scope;
};

// The whole table, one entry per RPC.
absl::Span<const MethodAccess> AccessTable();

// The entry of `method`, or null when the method is not in the table.
const MethodAccess* FindMethodAccess(absl::string_view method);

// The tenant a call of `method` with `request` is about (the request's
// tenant_id), or empty when the method is about the node or not in the
// table.
std::string TenantOfCall(absl::string_view method, const google::protobuf::Message& request);

// OK if `principal` may make this call with this request. Otherwise
// PERMISSION_DENIED naming the principal and why: its role does not allow
// the method, the request's tenant is not its tenant, or (role agent) the
// request's agent_id is not its agent. A method missing from the table is
// denied to everyone.
absl::Status Authorize(const Principal& principal, absl::string_view method,
                       const google::protobuf::Message& request);

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_AUTH_ACCESS_POLICY_H_
