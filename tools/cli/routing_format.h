// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Readable text of the routing side: tasks, agents, queue figures, a
// conversation's routing, offer updates and commitments. Functions named
// *Line return one line without its "\n" (for lists and streams); the others
// return whole lines, each ending in "\n".
//
// Thread-safe (pure functions).

#ifndef OMNIROUTE_TOOLS_CLI_ROUTING_FORMAT_H_
#define OMNIROUTE_TOOLS_CLI_ROUTING_FORMAT_H_

#include <string>

#include "omniroute/v1/routing.pb.h"
#include "omniroute/v1/service.pb.h"

namespace omniroute::cli {

// Where the task stands: "WAITING in support", "WAITING for ann until T",
// "OFFERED to ann until T", "ASSIGNED to ann", "COMPLETED by ann (DONE)",
// "CANCELLED (ABANDONED)".
std::string TaskState(const ::omniroute::v1::Task& task);

// "task 12  conversation 3  EMAIL  INBOUND  ASSIGNED to ann  queue support
// priority 10" (two spaces between the parts).
std::string FormatTaskLine(const ::omniroute::v1::Task& task);

// Key/value block of everything a task records.
std::string FormatTask(const ::omniroute::v1::Task& task);

// Key/value block: configuration, presence, load and tasks.
std::string FormatAgent(const ::omniroute::v1::Agent& agent);

// Key/value block of a queue's figures.
std::string FormatQueueStats(const ::omniroute::v1::QueueStats& stats);

// The conversation's owner and counts, then one line per task.
std::string FormatConversationRouting(const ::omniroute::v1::ConversationRouting& routing);

// Key/value block of the settings, then one line per rule.
std::string FormatRoutingSettings(const ::omniroute::v1::RoutingSettings& settings);

// "#42 OFFERED task 12  conversation 3  EMAIL ... until T".
std::string FormatOfferUpdateLine(const ::omniroute::v1::OfferUpdate& update);

// "commitment 4  CALLBACK  PENDING  due T  deadline T  \"call back\"...".
std::string FormatCommitmentLine(const ::omniroute::v1::Commitment& commitment);

// One FormatCommitmentLine per commitment; "(no commitments)" when none.
std::string FormatCommitmentList(const ::omniroute::v1::ListCommitmentsResponse& list);

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_ROUTING_FORMAT_H_
