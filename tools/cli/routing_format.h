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

#include "absl/strings/string_view.h"
#include "omniroute/v1/routing.pb.h"
#include "omniroute/v1/service.pb.h"

namespace omniroute::cli {

// Where the task stands: "WAITING in support", "WAITING for ann until T",
// "OFFERED to ann until T", "ASSIGNED to ann", "COMPLETED by ann (DONE)",
// "CANCELLED (ABANDONED)".
std::string TaskState(const ::omniroute::v1::Task& task);

// "task 12  conversation 3  EMAIL  INBOUND  ASSIGNED to ann  queue support
// priority 10" (two spaces between the parts); a waiting task read with its
// wait estimate ends with it ("position 2, about 4m").
std::string FormatTaskLine(const ::omniroute::v1::Task& task);

// Key/value block of everything a task records.
std::string FormatTask(const ::omniroute::v1::Task& task);

// Key/value block: configuration, presence, load and tasks.
std::string FormatAgent(const ::omniroute::v1::Agent& agent);

// Key/value block of a queue's figures.
std::string FormatQueueStats(const ::omniroute::v1::QueueStats& stats);

// A waiting task's estimate: "position 3, about 6m", "position 3, wait
// unknown"; "not in line" at position 0 (a task held for its preferred
// agent).
std::string FormatWaitEstimate(const ::omniroute::v1::WaitEstimate& estimate);

// A fraction as a percentage with one decimal: 0.875 -> "87.5%".
std::string FormatPercent(double fraction);

// One row per queue under a header: waiting now, the longest wait, the
// agents by state, then the last 15 minutes (offered, answered, abandoned,
// service level, average speed of answer, average handle time; "-" where
// there is nothing to average) and what a new task would wait on each of the
// queue's channels ("EMAIL 7m, CHAT unknown"). A first line says when the
// figures were read; "(no queues)" when there are none.
std::string FormatQueueStatistics(const ::omniroute::v1::GetQueueStatisticsResponse& response);

// The interval report: a first line with the span (as the server widened
// it) and the events read, then one row per interval, queue and channel under
// a header: START (UTC, "2026-12-07 09:15"), QUEUE, CHANNEL, OFFERED,
// ANSWERED, ABANDONED, SL, ASA, AHT, TRANSFERRED, HANDED OFF and SAME AGENT
// ("-" where there is nothing to average or divide); "(no activity)" instead
// of the rows when there are none.
std::string FormatIntervalReport(const ::omniroute::v1::IntervalReport& report);

// The interval report as comma-separated values (RFC 4180: lines end in
// CRLF, a field holding a comma, a quote or a line break is quoted): a header
// line, then one line per row with every figure of IntervalFigures. Times
// are RFC 3339 in UTC, durations seconds with up to 3 decimals, the service
// level and the same-agent rate fractions (0.625); an unset figure is an
// empty field. Only the header when there are no rows.
std::string FormatIntervalReportCsv(const ::omniroute::v1::IntervalReport& report);

// One CSV field as RFC 4180 writes it: as it is, or in double quotes (its
// quotes doubled) when it holds a comma, a double quote, CR or LF.
std::string CsvField(absl::string_view text);

// Key/value block of an agent's window: presence, time staffed and busy,
// occupancy, tasks handled, average handle time.
std::string FormatAgentStatistics(const ::omniroute::v1::AgentStatistics& stats);

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
