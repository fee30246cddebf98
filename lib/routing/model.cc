// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace omniroute::routing {
namespace {

// Skills and required skills share one validation: ids in range, levels in
// range, no skill twice.
absl::Status ValidateSkills(const std::vector<SkillLevel>& skills,
                            absl::string_view field) {
  for (size_t i = 0; i < skills.size(); ++i) {
    const SkillLevel& s = skills[i];
    if (s.skill > kMaxSkillId) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, "[", i, "].skill: ", s.skill, " is above ", kMaxSkillId));
    }
    if (s.level < kMinSkillLevel || s.level > kMaxSkillLevel) {
      return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "].level: ", s.level,
                                                     " is outside [", kMinSkillLevel, ", ",
                                                     kMaxSkillLevel, "]"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (skills[j].skill == s.skill) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, "[", i, "].skill: skill ", s.skill, " is listed twice"));
      }
    }
  }
  return absl::OkStatus();
}

bool ValidChannel(Channel channel) {
  return channel > ::omniroute::v1::CHANNEL_UNSPECIFIED && channel < kChannelCount;
}

}  // namespace

ChannelCosts DefaultChannelCosts() {
  ChannelCosts costs{};
  for (int c = 0; c < kChannelCount; ++c) {
    costs[c] = TraitsOf(static_cast<Channel>(c)).capacity_cost;
  }
  return costs;
}

absl::Status ValidateAgent(const Agent& agent) {
  if (!agent.id.valid()) return absl::InvalidArgumentError("agent.id: must not be 0");
  if (absl::Status s = ValidateSkills(agent.skills, "agent.skills"); !s.ok()) return s;
  if ((agent.channels & ~kAllChannels) != 0) {
    return absl::InvalidArgumentError("agent.channels: unknown channel bit");
  }
  if ((agent.exclusive_channels & ~kAllChannels) != 0 ||
      (agent.active_channels & ~kAllChannels) != 0) {
    return absl::InvalidArgumentError(
        "agent.exclusive_channels/active_channels: unknown channel bit");
  }
  if (agent.capacity < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("agent.capacity: ", agent.capacity, " is negative"));
  }
  if (agent.load < 0) {
    return absl::InvalidArgumentError(absl::StrCat("agent.load: ", agent.load, " is negative"));
  }
  for (int c = 1; c < kChannelCount; ++c) {
    if (agent.costs[c] < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("agent.costs[", ChannelName(static_cast<Channel>(c)),
                       "]: ", agent.costs[c], " is below 1"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateQueue(const Queue& queue) {
  if (!queue.id.valid()) return absl::InvalidArgumentError("queue.id: must not be 0");
  if (absl::Status s = ValidateSkills(queue.required_skills, "queue.required_skills");
      !s.ok()) {
    return s;
  }
  if (queue.channels == 0) {
    return absl::InvalidArgumentError("queue.channels: a queue serves at least one channel");
  }
  if ((queue.channels & ~kAllChannels) != 0) {
    return absl::InvalidArgumentError("queue.channels: unknown channel bit");
  }
  switch (queue.strategy) {
    case SelectionStrategy::kLongestIdle:
    case SelectionStrategy::kMostSpareCapacity:
    case SelectionStrategy::kRoundRobin:
    case SelectionStrategy::kBestSkillLevel:
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError("queue.strategy: unknown strategy");
}

absl::Status ValidateTask(const Task& task) {
  if (!task.id.valid()) return absl::InvalidArgumentError("task.id: must not be 0");
  if (!task.queue.valid()) return absl::InvalidArgumentError("task.queue: must not be 0");
  if (!ValidChannel(task.channel)) {
    return absl::InvalidArgumentError(
        absl::StrCat("task.channel: ", static_cast<int>(task.channel), " is not a channel"));
  }
  for (size_t i = 0; i < task.excluded.size(); ++i) {
    if (!task.excluded[i].valid()) {
      return absl::InvalidArgumentError(absl::StrCat("task.excluded[", i, "]: must not be 0"));
    }
  }
  if (task.preferred_agent.has_value() && !task.preferred_agent->valid()) {
    return absl::InvalidArgumentError("task.preferred_agent: must not be 0");
  }
  return absl::OkStatus();
}

}  // namespace omniroute::routing
