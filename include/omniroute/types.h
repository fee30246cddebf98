// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The domain vocabulary. Enums come from proto/omniroute/v1/types.proto so the
// library, the event log and the API share one definition.

#ifndef OMNIROUTE_TYPES_H_
#define OMNIROUTE_TYPES_H_

#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "omniroute/v1/types.pb.h"

namespace omniroute {

using Channel = ::omniroute::v1::Channel;
using Direction = ::omniroute::v1::Direction;
using Visibility = ::omniroute::v1::Visibility;
using IdentityKind = ::omniroute::v1::IdentityKind;
using ConversationStatus = ::omniroute::v1::ConversationStatus;
using ThreadOutcome = ::omniroute::v1::ThreadOutcome;
using ActorKind = ::omniroute::v1::ActorKind;
using CallerCredential = ::omniroute::v1::CallerCredential;

// Synchronous channels (voice, chat) hold an agent's attention while active.
enum class ChannelMode { kSynchronous, kAsynchronous };

// The built-in properties of a channel.
struct ChannelTraits {
  Visibility visibility;
  ChannelMode mode;
  // First-response SLA target when the tenant does not set one.
  absl::Duration default_first_response_target;
  // Capacity units an agent spends on one task of this channel.
  int capacity_cost;
};

// Returns the traits of a valid channel; CHANNEL_UNSPECIFIED gets private,
// asynchronous traits with a one-day target.
const ChannelTraits& TraitsOf(Channel channel);

// "PUBLIC_SOCIAL", "EMAIL", ...: the enum name without its prefix.
absl::string_view ChannelName(Channel channel);
absl::string_view IdentityKindName(IdentityKind kind);
absl::string_view ConversationStatusName(ConversationStatus status);
absl::string_view ThreadOutcomeName(ThreadOutcome outcome);

// Who did something: the customer, an agent (with its id) or the system.
struct Actor {
  ActorKind kind = ::omniroute::v1::ACTOR_KIND_SYSTEM;
  std::string id;

  static Actor Customer() { return {::omniroute::v1::ACTOR_KIND_CUSTOMER, ""}; }
  static Actor Agent(std::string agent_id) {
    return {::omniroute::v1::ACTOR_KIND_AGENT, std::move(agent_id)};
  }
  static Actor System() { return {::omniroute::v1::ACTOR_KIND_SYSTEM, ""}; }
};

// Who held the credential of the call that asked for a command: what the
// events of merges, unmerges, erasures and configuration changes record for
// the audit trail (Caller in types.proto). A server fills it from the
// credential it verified, never from the request. The default records
// nothing (a library call nobody authenticated).
struct Caller {
  std::string principal;
  std::string role;
  CallerCredential credential = ::omniroute::v1::CALLER_CREDENTIAL_UNSPECIFIED;

  // A server that checks no credential: recorded as such, so that a reader
  // tells "nobody was checked" from "not recorded".
  static Caller Unauthenticated() { return {"", "", ::omniroute::v1::CALLER_CREDENTIAL_NONE}; }
  bool recorded() const { return credential != ::omniroute::v1::CALLER_CREDENTIAL_UNSPECIFIED; }
};

}  // namespace omniroute

#endif  // OMNIROUTE_TYPES_H_
