// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/time_text.h"

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace omniroute::cli {
namespace {

constexpr char kDurationForms[] = "write e.g. 90s, 45m, 2h, 1h30m or 1d";

// Durations longer than this are certainly a typo (and would overflow the
// arithmetic below long before absl::Duration does).
constexpr int64_t kMaxDays = 100 * 365;

absl::Status BadDuration(absl::string_view what, absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": \"", text, "\" is not a duration; ", kDurationForms));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDurationArg(absl::string_view what, absl::string_view text) {
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  absl::Duration total = absl::ZeroDuration();
  // absl::ParseDuration knows no days: take a leading "<digits>d" first.
  size_t digits = 0;
  while (digits < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[digits]))) {
    ++digits;
  }
  if (digits > 0 && digits < rest.size() && (rest[digits] == 'd' || rest[digits] == 'D')) {
    int64_t days = 0;
    if (!absl::SimpleAtoi(rest.substr(0, digits), &days) || days > kMaxDays) {
      return BadDuration(what, text);
    }
    total += absl::Hours(24 * days);
    rest.remove_prefix(digits + 1);
  }
  if (!rest.empty()) {
    absl::Duration part;
    // ParseDuration accepts "inf" and signs; neither means anything here.
    if (rest.front() == '-' || rest.front() == '+' || absl::StartsWithIgnoreCase(rest, "inf") ||
        !absl::ParseDuration(rest, &part)) {
      return BadDuration(what, text);
    }
    total += part;
  }
  if (total <= absl::ZeroDuration()) {
    if (absl::StripAsciiWhitespace(text).empty()) return BadDuration(what, text);
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", text, "\" must be longer than zero"));
  }
  return total;
}

absl::StatusOr<absl::Time> ParseTimeArg(absl::string_view what, absl::string_view text,
                                        absl::Time now) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  if (absl::ConsumePrefix(&trimmed, "+")) {
    absl::StatusOr<absl::Duration> offset = ParseDurationArg(what, trimmed);
    if (!offset.ok()) return offset.status();
    return now + *offset;
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, trimmed, &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", text,
                     "\" is not a time; write an RFC 3339 time (2024-05-02T10:00:00Z) or a "
                     "duration from now (+2h, +1d)"));
  }
  return time;
}

void ToProto(absl::Time time, google::protobuf::Timestamp* proto) {
  const int64_t seconds = absl::ToUnixSeconds(time);
  proto->set_seconds(seconds);
  proto->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
}

void ToProto(absl::Duration duration, google::protobuf::Duration* proto) {
  const int64_t seconds = absl::IDivDuration(duration, absl::Seconds(1), &duration);
  proto->set_seconds(seconds);
  proto->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(duration)));
}

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return "-";
  const absl::Time time =
      absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

std::string FormatDuration(const google::protobuf::Duration& duration) {
  return absl::FormatDuration(absl::Seconds(duration.seconds()) +
                              absl::Nanoseconds(duration.nanos()));
}

std::string FormatMeasuredDuration(const google::protobuf::Duration& duration) {
  const absl::Duration d = absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
  const absl::Duration unit =
      absl::AbsDuration(d) < absl::Milliseconds(500) ? absl::Milliseconds(1) : absl::Seconds(1);
  // Half away from zero: absl::Trunc of the value moved half a unit out.
  const absl::Duration half = d < absl::ZeroDuration() ? -unit / 2 : unit / 2;
  const absl::Duration rounded = absl::Trunc(d + half, unit);
  // absl writes zero as a bare "0".
  return rounded == absl::ZeroDuration() ? "0s" : absl::FormatDuration(rounded);
}

}  // namespace omniroute::cli
