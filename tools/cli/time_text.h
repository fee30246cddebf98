// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Times and durations on the command line and in readable output.
//
// A time argument (--due, --deadline) is either an RFC 3339 time
// ("2024-05-02T10:00:00Z", "2024-05-02T10:00:00+02:00") or a duration from
// now with a leading '+' ("+2h", "+90m", "+1d12h", "+1h30m"). Printed times
// are RFC 3339 in UTC to the second, so that what is printed can be pasted
// back as an argument.
//
// Thread-safe (pure functions; `now` is passed in).

#ifndef OMNIROUTE_TOOLS_CLI_TIME_TEXT_H_
#define OMNIROUTE_TOOLS_CLI_TIME_TEXT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace omniroute::cli {

// A duration: absl's syntax ("90s", "1h30m", "250ms") plus a leading number of
// days ("2d", "1d6h"). Must be positive. INVALID_ARGUMENT naming `what`
// otherwise.
absl::StatusOr<absl::Duration> ParseDurationArg(absl::string_view what, absl::string_view text);

// An RFC 3339 time, or '+' and a duration (ParseDurationArg) added to `now`.
// INVALID_ARGUMENT naming `what` otherwise.
absl::StatusOr<absl::Time> ParseTimeArg(absl::string_view what, absl::string_view text,
                                        absl::Time now);

void ToProto(absl::Time time, google::protobuf::Timestamp* proto);
void ToProto(absl::Duration duration, google::protobuf::Duration* proto);

// "2024-05-02T10:00:00Z"; "-" for an unset (all-zero) timestamp.
std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp);

// "1h30m", "45s"; "0s" for zero.
std::string FormatDuration(const google::protobuf::Duration& duration);

// FormatDuration() of a measured figure (an average, an estimate, a time
// tallied from events), whose nanoseconds are noise: rounded to the second
// from half a second up ("4m10s", not "4m9.871234s"), to the millisecond
// below it ("250ms"), so that a short figure does not read as zero; "0s"
// for what rounds to zero.
std::string FormatMeasuredDuration(const google::protobuf::Duration& duration);

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_TIME_TEXT_H_
