// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The small values of command-line arguments: ids, counts, skills, channel
// lists, per-channel costs and queue expansion steps. Every parser names the
// flag or argument (`what`) in its INVALID_ARGUMENT message, with the form
// it expected.
//
// Thread-safe (pure functions).

#ifndef OMNIROUTE_TOOLS_CLI_VALUES_H_
#define OMNIROUTE_TOOLS_CLI_VALUES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "omniroute/v1/routing.pb.h"
#include "omniroute/v1/types.pb.h"

namespace omniroute::cli {

// A server-assigned id: a positive decimal integer.
absl::StatusOr<uint64_t> ParseId(absl::string_view what, absl::string_view text);

// A decimal integer in [min, max].
absl::StatusOr<int64_t> ParseInteger(absl::string_view what, absl::string_view text, int64_t min,
                                     int64_t max);

// "billing:7": a skill name and its level (1 to 10).
absl::StatusOr<::omniroute::v1::SkillLevel> ParseSkill(absl::string_view what,
                                                       absl::string_view text);

// "EMAIL,VOICE" (commas, case-insensitive, no prefix needed); at least one,
// no repeats.
absl::StatusOr<std::vector<::omniroute::v1::Channel>> ParseChannelList(absl::string_view what,
                                                                       absl::string_view text);

// "VOICE:4": the capacity units a task of the channel costs.
absl::StatusOr<::omniroute::v1::ChannelCost> ParseChannelCost(absl::string_view what,
                                                              absl::string_view text);

// "10m:2" (after 10 minutes, relax every required level by 2) for
// `relax`; "5m:overflow_queue" (after 5 minutes, move to that queue)
// otherwise.
absl::StatusOr<::omniroute::v1::ExpansionStep> ParseExpansionStep(absl::string_view what,
                                                                  absl::string_view text,
                                                                  bool relax);

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_VALUES_H_
