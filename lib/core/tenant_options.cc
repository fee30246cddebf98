// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "omniroute/tenant_options.h"

namespace omniroute {

absl::Duration TenantOptions::ContinuityWindow(Channel channel) const {
  if (auto it = continuity_windows.find(channel); it != continuity_windows.end()) {
    return it->second;
  }
  return default_continuity_window;
}

absl::Duration TenantOptions::FirstResponseTarget(Channel channel) const {
  if (auto it = first_response_targets.find(channel); it != first_response_targets.end()) {
    return it->second;
  }
  return TraitsOf(channel).default_first_response_target;
}

}  // namespace omniroute
