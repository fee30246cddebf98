// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// One readable line per event of the change feed (`omniroute watch`):
//
//   #17 2024-05-02T09:00:00Z message_recorded  message 5 in conversation 3  EMAIL in
//       email:ann@example.com  opened  "The jar was spoiled..."
//
// (on one line): the sequence, the time, the event's type as its payload
// field is named in events.proto, and what it says; an audited event ends
// with who held the credential of its call ("caller ops-1 (integration,
// API key)"). Bodies and descriptions
// are cut to keep the line short; --json has everything.
//
// Thread-safe (pure functions).

#ifndef OMNIROUTE_TOOLS_CLI_EVENT_FORMAT_H_
#define OMNIROUTE_TOOLS_CLI_EVENT_FORMAT_H_

#include <string>

#include "omniroute/v1/events.pb.h"

namespace omniroute::cli {

// "message_recorded"; "unknown" when the payload is not set or is of a kind
// this build does not know.
std::string EventTypeName(const ::omniroute::v1::Event& event);

// The event's line, without its "\n".
std::string FormatEventLine(const ::omniroute::v1::Event& event);

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_EVENT_FORMAT_H_
