// Copyright omniroute authors. Licensed under the Apache License 2.0.

#ifndef OMNIROUTE_TENANT_OPTIONS_H_
#define OMNIROUTE_TENANT_OPTIONS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "omniroute/types.h"

namespace omniroute {

// Hard ceiling on TenantOptions::max_body_bytes: 1 MiB. Attachments belong in
// a document store; the conversation keeps text.
inline constexpr uint32_t kMaxBodyBytesCeiling = 1u << 20;

// How a tenant (one brand's isolated workspace) behaves. Plain values; each
// field says its default.
struct TenantOptions {
  // Country calling code that completes national phone numbers, digits only
  // (e.g. "33"). Default: none, and national numbers are rejected.
  std::string default_country_code;

  // An inbound message joins the customer's conversation active within this
  // window of its channel. Default: 48 hours for every channel.
  absl::Duration default_continuity_window = absl::Hours(48);
  absl::flat_hash_map<Channel, absl::Duration> continuity_windows;

  // First-response SLA target of a conversation opened on a channel. Default:
  // the channel's own target (TraitsOf(channel)).
  absl::flat_hash_map<Channel, absl::Duration> first_response_targets;

  // When two customers merge, their open conversations active within
  // `thread_merge_window` become one thread. Default: true, 7 days.
  bool merge_threads_on_customer_merge = true;
  absl::Duration thread_merge_window = absl::Hours(24 * 7);

  // Largest message body accepted. Default 64 KiB; at most
  // kMaxBodyBytesCeiling.
  uint32_t max_body_bytes = 64 * 1024;

  // A conversation that began in public and is resolved in private leaves a
  // task to answer in public. Default: true.
  bool close_public_loop = true;

  // A closed conversation stays in memory this long after it closed, then
  // leaves the working set for the store's archive, with its ended tasks and
  // closed commitments; reads of it are served from the store from then on
  // (Engine::GetConversation and the other reads). Closing is final, so
  // nothing ever needs it back in memory. Default: 24 hours; zero archives a
  // conversation at the first RunDueTimers after it closed.
  absl::Duration closed_retention = absl::Hours(24);

  absl::Duration ContinuityWindow(Channel channel) const;
  absl::Duration FirstResponseTarget(Channel channel) const;
};

}  // namespace omniroute

#endif  // OMNIROUTE_TENANT_OPTIONS_H_
