// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/auth/principal.h"

#include "absl/strings/str_cat.h"

namespace omniroute::service {

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "integration") return Role::kIntegration;
  if (name == "agent") return Role::kAgent;
  if (name == "reader") return Role::kReader;
  return absl::InvalidArgumentError(
      absl::StrCat("role: \"", name, "\" is not one of admin, integration, agent, reader"));
}

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kIntegration:
      return "integration";
    case Role::kAgent:
      return "agent";
    case Role::kReader:
      return "reader";
  }
  return "unknown";
}

}  // namespace omniroute::service
