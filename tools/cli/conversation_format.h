// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Readable text of customers, conversations and their timelines, as the
// omniroute command prints them without --json. Each returns whole lines,
// each ending in "\n".
//
// Thread-safe (pure functions).

#ifndef OMNIROUTE_TOOLS_CLI_CONVERSATION_FORMAT_H_
#define OMNIROUTE_TOOLS_CLI_CONVERSATION_FORMAT_H_

#include <string>

#include "omniroute/v1/service.pb.h"
#include "omniroute/v1/types.pb.h"

namespace omniroute::cli {

// "agent ann", "customer", "system"; "-" when nobody is named.
std::string FormatActor(const ::omniroute::v1::Actor& actor);

// Key/value block: id, name, language, tier, reach, created, identities (one
// line each), conversations, merged into.
std::string FormatCustomer(const ::omniroute::v1::Customer& customer);

// Key/value block of one conversation, its SLA clock and its handoffs.
std::string FormatConversation(const ::omniroute::v1::Conversation& conversation);

// One line per conversation: id, status, channel, channels used, messages,
// opened, last activity.
std::string FormatConversationList(const ::omniroute::v1::ListConversationsResponse& list);

// The thread, oldest first, one line per entry, columns aligned:
//
//   2024-05-02T09:00:00Z  PUBLIC_SOCIAL   in       handle@x:parent_of_lea  The jar was spoiled
//   2024-05-02T09:20:00Z  PUBLIC_SOCIAL   out      agent ann               Sorry! Please DM us
//   2024-05-02T09:21:00Z  PRIVATE_SOCIAL  handoff  agent ann               from PUBLIC_SOCIAL:
//   personal data
//
// A handoff's channel is the one it moved to. "(empty timeline)" when there
// is nothing.
std::string FormatTimeline(const ::omniroute::v1::GetTimelineResponse& timeline);

// What an ingested message became: its message, conversation and customer,
// how it was threaded, and the task it created.
std::string FormatIngest(const ::omniroute::v1::IngestMessageResponse& response);

// Who owns the identity now and what merged.
std::string FormatLink(const ::omniroute::v1::LinkIdentityResponse& response);

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_CONVERSATION_FORMAT_H_
