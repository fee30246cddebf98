// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Who is calling: the principal a credential (an API key or a JWT)
// authenticates, with the role and the tenant it was given. The roles are
// documented in the README ("Who may call what"):
//   admin        tenants and configuration, and everything else;
//   integration  ingest, outbound, links and merges, commitments, tasks on
//                behalf of agents, watch, and every read;
//   agent        one agent's own offers, tasks and presence;
//   reader       reads and watch.

#ifndef OMNIROUTE_LIB_SERVICE_AUTH_PRINCIPAL_H_
#define OMNIROUTE_LIB_SERVICE_AUTH_PRINCIPAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace omniroute::service {

enum class Role { kAdmin, kIntegration, kAgent, kReader };

// "admin", "integration", "agent", "reader"; INVALID_ARGUMENT for anything
// else, naming the roles there are.
absl::StatusOr<Role> ParseRole(absl::string_view name);
absl::string_view RoleName(Role role);

// What the principal showed to be authenticated.
enum class Credential { kApiKey, kJwt };

// The tenant value that stands for every tenant.
inline constexpr absl::string_view kEveryTenant = "*";

struct Principal {
  // Who holds the credential (the key's name, the token's subject): what
  // the audit trail records.
  std::string name;
  Role role = Role::kReader;
  // The one tenant it may act on, or kEveryTenant.
  std::string tenant;
  // Role kAgent: the agent it acts as.
  std::string agent_id;
  Credential credential = Credential::kApiKey;
};

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_AUTH_PRINCIPAL_H_
