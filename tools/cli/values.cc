// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/values.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/enum_names.h"
#include "cli/time_text.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;

// Levels as routing.proto defines them.
constexpr int kMinSkillLevel = 1;
constexpr int kMaxSkillLevel = 10;

bool AllDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Splits "left:right" at the last ':' (skill names may not hold one, but a
// queue id never does either, so the last is as good as the first and lets
// "a:b:3" name the odd skill "a:b").
bool SplitPair(absl::string_view text, absl::string_view* left, absl::string_view* right) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return false;
  *left = absl::StripAsciiWhitespace(text.substr(0, colon));
  *right = absl::StripAsciiWhitespace(text.substr(colon + 1));
  return !left->empty() && !right->empty();
}

}  // namespace

absl::StatusOr<uint64_t> ParseId(absl::string_view what, absl::string_view text) {
  uint64_t id = 0;
  if (!AllDigits(text) || !absl::SimpleAtoi(text, &id) || id == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", text, "\" is not an id (a positive integer)"));
  }
  return id;
}

absl::StatusOr<int64_t> ParseInteger(absl::string_view what, absl::string_view text, int64_t min,
                                     int64_t max) {
  int64_t value = 0;
  absl::string_view digits = text;
  absl::ConsumePrefix(&digits, "-");
  if (!AllDigits(digits) || !absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": \"", text, "\" is not an integer"));
  }
  if (value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", value, " is out of range (", min, " to ", max, ")"));
  }
  return value;
}

absl::StatusOr<v1::SkillLevel> ParseSkill(absl::string_view what, absl::string_view text) {
  absl::string_view name, level_text;
  if (!SplitPair(text, &name, &level_text)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", text, "\" is not a skill; write name:level, e.g. billing:7"));
  }
  absl::StatusOr<int64_t> level = ParseInteger(absl::StrCat(what, " level of ", name), level_text,
                                               kMinSkillLevel, kMaxSkillLevel);
  if (!level.ok()) return level.status();
  v1::SkillLevel skill;
  skill.set_skill(std::string(name));
  skill.set_level(static_cast<int32_t>(*level));
  return skill;
}

absl::StatusOr<std::vector<v1::Channel>> ParseChannelList(absl::string_view what,
                                                          absl::string_view text) {
  std::vector<v1::Channel> channels;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    absl::StatusOr<v1::Channel> channel = ParseEnum<v1::Channel>(what, part);
    if (!channel.ok()) return channel.status();
    for (v1::Channel seen : channels) {
      if (seen == *channel) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": ", ShortName(*channel), " is listed twice"));
      }
    }
    channels.push_back(*channel);
  }
  if (channels.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what,
                                                   ": no channel given; write e.g. EMAIL,VOICE (",
                                                   EnumChoices(*v1::Channel_descriptor()), ")"));
  }
  return channels;
}

absl::StatusOr<v1::ChannelCost> ParseChannelCost(absl::string_view what, absl::string_view text) {
  absl::string_view channel_text, units_text;
  if (!SplitPair(text, &channel_text, &units_text)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": \"", text, "\" is not a channel cost; write CHANNEL:units, e.g. VOICE:4"));
  }
  absl::StatusOr<v1::Channel> channel = ParseEnum<v1::Channel>(what, channel_text);
  if (!channel.ok()) return channel.status();
  absl::StatusOr<int64_t> units =
      ParseInteger(absl::StrCat(what, " units of ", channel_text), units_text, 1, 1000);
  if (!units.ok()) return units.status();
  v1::ChannelCost cost;
  cost.set_channel(*channel);
  cost.set_units(static_cast<int32_t>(*units));
  return cost;
}

absl::StatusOr<v1::ExpansionStep> ParseExpansionStep(absl::string_view what, absl::string_view text,
                                                     bool relax) {
  const size_t colon = text.find(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", text, "\" is not an expansion step; write ",
                     relax ? "WAIT:levels, e.g. 10m:2" : "WAIT:queue, e.g. 5m:overflow"));
  }
  absl::StatusOr<absl::Duration> after = ParseDurationArg(what, text.substr(0, colon));
  if (!after.ok()) return after.status();
  v1::ExpansionStep step;
  ToProto(*after, step.mutable_after());
  const absl::string_view action = text.substr(colon + 1);
  if (relax) {
    absl::StatusOr<int64_t> levels = ParseInteger(what, action, 1, kMaxSkillLevel);
    if (!levels.ok()) return levels.status();
    step.set_relax_levels(static_cast<int32_t>(*levels));
  } else {
    step.set_overflow_queue_id(std::string(action));
  }
  return step;
}

}  // namespace omniroute::cli
