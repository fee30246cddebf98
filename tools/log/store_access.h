// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// How omniroute-log reaches a store and names what it finds there: opening a
// store read-only, choosing tenants, naming event types and times.
//
// Thread-compatible.

#ifndef OMNIROUTE_TOOLS_LOG_STORE_ACCESS_H_
#define OMNIROUTE_TOOLS_LOG_STORE_ACCESS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "omniroute/event_store.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::log_tool {

// Opens the store at `path` read-only (SqliteStoreOptions::read_only): never
// creates, repairs or checkpoints anything. The caller owns the store.
// NOT_FOUND if there is no file at `path`; FAILED_PRECONDITION if `path` is
// not a regular file or not an omniroute store; otherwise the errors of
// OpenSqliteEventStore.
absl::StatusOr<std::unique_ptr<EventStore>> OpenStoreForReading(const std::string& path);

// The tenants a subcommand works on: `only` when given (NOT_FOUND if the
// store at `path` holds no event of it), every tenant of the store otherwise.
absl::StatusOr<std::vector<std::string>> SelectTenants(const EventStore& store,
                                                       absl::string_view path,
                                                       const std::optional<std::string>& only);

// The name of an event type: the field of Event's `payload` oneof whose
// number is `payload_case` ("message_recorded"), or "none" for an event
// without a payload (PAYLOAD_NOT_SET, or a type this build does not know).
absl::string_view EventTypeName(int payload_case);
inline absl::string_view EventTypeName(const ::omniroute::v1::Event& event) {
  return EventTypeName(static_cast<int>(event.payload_case()));
}

// When the event happened.
absl::Time EventTime(const ::omniroute::v1::Event& event);

// RFC 3339 in UTC, with as many fractional digits as needed:
// "2026-01-01T00:05:00Z".
std::string FormatUtc(absl::Time time);

}  // namespace omniroute::log_tool

#endif  // OMNIROUTE_TOOLS_LOG_STORE_ACCESS_H_
