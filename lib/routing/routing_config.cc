// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/routing_config.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_cat.h"
#include "core/text.h"
#include "google/protobuf/duration.pb.h"

namespace omniroute::routing {
namespace {

namespace v1 = ::omniroute::v1;

// Bounds that keep priorities and timers far from overflow and nonsense.
constexpr int kMaxBasePriority = 1000;
constexpr int kMaxPoints = 100000;
constexpr absl::Duration kMaxWrapUp = absl::Hours(1);
constexpr absl::Duration kMaxTimer = absl::Hours(24 * 366);
constexpr size_t kMaxRules = 1000;
constexpr size_t kMaxSkills = 256;
constexpr size_t kMaxExpansionSteps = 16;
constexpr size_t kMaxDisplayNameBytes = 256;

bool ValidChannel(Channel channel) {
  return channel > v1::CHANNEL_UNSPECIFIED && channel <= v1::Channel_MAX &&
         v1::Channel_IsValid(channel);
}

absl::Status ValidateName(absl::string_view id, absl::string_view field, bool allow_at,
                          absl::string_view what) {
  if (id.empty() || id.size() > kMaxRoutingNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", absl::CHexEscape(id),
                                                   "\" must be 1 to ", kMaxRoutingNameBytes,
                                                   " characters"));
  }
  for (char c : id) {
    if (absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-' || (allow_at && c == '@')) {
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat(field, ": \"", absl::CHexEscape(id),
                                                   "\" may only contain ", what));
  }
  return absl::OkStatus();
}

absl::Status ValidateDisplayName(absl::string_view name, absl::string_view field) {
  if (name.size() > kMaxDisplayNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", kMaxDisplayNameBytes, " bytes"));
  }
  return core::CheckUtf8(name, field);
}

absl::Status ValidateSkillList(const std::vector<Skill>& skills, absl::string_view field) {
  if (skills.size() > kMaxSkills) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": more than ", kMaxSkills, " skills"));
  }
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t i = 0; i < skills.size(); ++i) {
    const std::string item = absl::StrCat(field, "[", i, "]");
    if (absl::Status s = ValidateQueueId(skills[i].name, absl::StrCat(item, ".name")); !s.ok()) {
      return s;
    }
    if (skills[i].level < kMinSkillLevel || skills[i].level > kMaxSkillLevel) {
      return absl::InvalidArgumentError(absl::StrCat(item, ".level: ", skills[i].level,
                                                     " is outside [", kMinSkillLevel, ", ",
                                                     kMaxSkillLevel, "]"));
    }
    if (!seen.insert(skills[i].name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(item, ".name: skill \"", skills[i].name, "\" is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateChannelList(const std::vector<Channel>& channels, absl::string_view field,
                                 bool allow_empty) {
  if (channels.empty() && !allow_empty) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": at least one channel is required"));
  }
  for (size_t i = 0; i < channels.size(); ++i) {
    if (!ValidChannel(channels[i])) {
      return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "]: ",
                                                     static_cast<int>(channels[i]),
                                                     " is not a channel"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (channels[j] == channels[i]) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, "[", i, "]: ", ChannelName(channels[i]), " is listed twice"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDuration(absl::Duration d, absl::string_view field, bool allow_zero,
                              absl::Duration max = kMaxTimer) {
  if (d < absl::ZeroDuration() || (!allow_zero && d == absl::ZeroDuration()) || d > max) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", absl::FormatDuration(d),
                                                   allow_zero ? " must be in [0, " : " must be in (0, ",
                                                   absl::FormatDuration(max), "]"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePoints(int value, absl::string_view field) {
  if (value < 0 || value > kMaxPoints) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", value, " must be in [0, ", kMaxPoints, "]"));
  }
  return absl::OkStatus();
}

void SkillsToProto(const std::vector<Skill>& skills,
                   google::protobuf::RepeatedPtrField<v1::SkillLevel>* out) {
  for (const Skill& s : skills) {
    v1::SkillLevel* p = out->Add();
    p->set_skill(s.name);
    p->set_level(s.level);
  }
}

std::vector<Skill> SkillsFromProto(const google::protobuf::RepeatedPtrField<v1::SkillLevel>& in) {
  std::vector<Skill> skills;
  skills.reserve(in.size());
  for (const v1::SkillLevel& p : in) skills.push_back({p.skill(), p.level()});
  return skills;
}

std::vector<Channel> ChannelsFromProto(const google::protobuf::RepeatedField<int>& in) {
  std::vector<Channel> channels;
  channels.reserve(in.size());
  for (int c : in) channels.push_back(static_cast<Channel>(c));
  return channels;
}

// Follows overflow links from `start` with `queue` (not yet stored) in
// place of the stored configuration of the same id. True if a queue is
// reached twice.
bool OverflowLoops(const QueueConfig& queue,
                   const absl::flat_hash_map<std::string, v1::QueueConfig>& queues,
                   std::string* path) {
  // Depth-first over the overflow graph; a queue has few steps and a tenant
  // a few hundred queues, so the walk is cheap.
  absl::flat_hash_set<std::string> on_path;
  absl::flat_hash_set<std::string> done;
  std::vector<std::string> stack_names;
  std::function<bool(const std::string&)> visit = [&](const std::string& id) -> bool {
    if (on_path.contains(id)) {
      stack_names.push_back(id);
      return true;
    }
    if (done.contains(id)) return false;
    on_path.insert(id);
    stack_names.push_back(id);
    std::vector<std::string> next;
    if (id == queue.id) {
      for (const ExpansionStep& s : queue.expansion_steps) {
        if (!s.overflow_queue.empty()) next.push_back(s.overflow_queue);
      }
    } else if (auto it = queues.find(id); it != queues.end()) {
      for (const v1::ExpansionStep& s : it->second.expansion_steps()) {
        if (s.has_overflow_queue_id()) next.push_back(s.overflow_queue_id());
      }
    }
    for (const std::string& n : next) {
      if (visit(n)) return true;
    }
    on_path.erase(id);
    stack_names.pop_back();
    done.insert(id);
    return false;
  };
  if (!visit(queue.id)) return false;
  *path = absl::StrJoin(stack_names, " -> ");
  return true;
}

}  // namespace

absl::Duration ToDuration(const google::protobuf::Duration& proto) {
  return absl::Seconds(proto.seconds()) + absl::Nanoseconds(proto.nanos());
}

void ToProto(absl::Duration d, google::protobuf::Duration* proto) {
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  proto->set_seconds(seconds);
  proto->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
}

absl::Status ValidateAgentId(absl::string_view id, absl::string_view field) {
  return ValidateName(id, field, /*allow_at=*/true, "A-Z, a-z, 0-9, '.', '_', '-' and '@'");
}

absl::Status ValidateQueueId(absl::string_view id, absl::string_view field) {
  return ValidateName(id, field, /*allow_at=*/false, "A-Z, a-z, 0-9, '.', '_' and '-'");
}

absl::Status ValidateAgentConfig(const AgentConfig& agent) {
  if (absl::Status s = ValidateAgentId(agent.id, "agent.id"); !s.ok()) return s;
  if (absl::Status s = ValidateDisplayName(agent.display_name, "agent.display_name"); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateSkillList(agent.skills, "agent.skills"); !s.ok()) return s;
  if (absl::Status s = ValidateChannelList(agent.channels, "agent.channels", false); !s.ok()) {
    return s;
  }
  if (agent.capacity < 0 || agent.capacity > kMaxAgentCapacity) {
    return absl::InvalidArgumentError(absl::StrCat("agent.capacity: ", agent.capacity,
                                                   " must be in [0, ", kMaxAgentCapacity, "]"));
  }
  for (const auto& [channel, units] : agent.channel_costs) {
    if (!ValidChannel(channel)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "agent.channel_costs: ", static_cast<int>(channel), " is not a channel"));
    }
    if (units < 1 || units > kMaxAgentCapacity) {
      return absl::InvalidArgumentError(absl::StrCat("agent.channel_costs[", ChannelName(channel),
                                                     "]: ", units, " must be in [1, ",
                                                     kMaxAgentCapacity, "]"));
    }
  }
  if (absl::Status s =
          ValidateChannelList(agent.exclusive_channels, "agent.exclusive_channels", true);
      !s.ok()) {
    return s;
  }
  return ValidateDuration(agent.wrap_up, "agent.wrap_up", true, kMaxWrapUp);
}

absl::Status ValidateQueueConfig(const QueueConfig& queue,
                                 const absl::flat_hash_map<std::string, v1::QueueConfig>& queues) {
  if (absl::Status s = ValidateQueueId(queue.id, "queue.id"); !s.ok()) return s;
  if (absl::Status s = ValidateDisplayName(queue.display_name, "queue.display_name"); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateSkillList(queue.required_skills, "queue.required_skills");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateChannelList(queue.channels, "queue.channels", false); !s.ok()) {
    return s;
  }
  if (queue.base_priority < -kMaxBasePriority || queue.base_priority > kMaxBasePriority) {
    return absl::InvalidArgumentError(absl::StrCat("queue.base_priority: ", queue.base_priority,
                                                   " must be in [", -kMaxBasePriority, ", ",
                                                   kMaxBasePriority, "]"));
  }
  if (absl::Status s = ValidateDuration(queue.first_response_target,
                                        "queue.first_response_target", true);
      !s.ok()) {
    return s;
  }
  if (!v1::SelectionStrategy_IsValid(queue.strategy) ||
      queue.strategy == v1::SELECTION_STRATEGY_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue.strategy: ", static_cast<int>(queue.strategy), " is not a selection strategy"));
  }
  if (absl::Status s = ValidateDuration(queue.offer_timeout, "queue.offer_timeout", true);
      !s.ok()) {
    return s;
  }
  if (queue.expansion_steps.size() > kMaxExpansionSteps) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue.expansion_steps: more than ", kMaxExpansionSteps, " steps"));
  }
  for (size_t i = 0; i < queue.expansion_steps.size(); ++i) {
    const ExpansionStep& step = queue.expansion_steps[i];
    const std::string field = absl::StrCat("queue.expansion_steps[", i, "]");
    if (absl::Status s = ValidateDuration(step.after, absl::StrCat(field, ".after"), false);
        !s.ok()) {
      return s;
    }
    if (i > 0 && step.after <= queue.expansion_steps[i - 1].after) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".after: ", absl::FormatDuration(step.after),
          " must be later than the step before (",
          absl::FormatDuration(queue.expansion_steps[i - 1].after), ")"));
    }
    const bool relax = step.relax_levels != 0;
    const bool overflow = !step.overflow_queue.empty();
    if (relax == overflow) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": exactly one of relax_levels and overflow_queue must be set"));
    }
    if (relax && (step.relax_levels < 1 || step.relax_levels >= kMaxSkillLevel)) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".relax_levels: ",
                                                     step.relax_levels, " must be in [1, ",
                                                     kMaxSkillLevel - 1, "]"));
    }
    if (overflow) {
      if (absl::Status s =
              ValidateQueueId(step.overflow_queue, absl::StrCat(field, ".overflow_queue"));
          !s.ok()) {
        return s;
      }
      if (step.overflow_queue != queue.id && !queues.contains(step.overflow_queue)) {
        return absl::InvalidArgumentError(absl::StrCat(field, ".overflow_queue: queue \"",
                                                       step.overflow_queue, "\" does not exist"));
      }
    }
  }
  std::string path;
  if (OverflowLoops(queue, queues, &path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue.expansion_steps: the overflows form a cycle: ", path));
  }
  return absl::OkStatus();
}

absl::Status ValidateRoutingSettings(
    const RoutingSettings& settings,
    const absl::flat_hash_map<std::string, v1::QueueConfig>& queues) {
  if (settings.rules.size() > kMaxRules) {
    return absl::InvalidArgumentError(
        absl::StrCat("settings.rules: more than ", kMaxRules, " rules"));
  }
  for (size_t i = 0; i < settings.rules.size(); ++i) {
    const RoutingRule& rule = settings.rules[i];
    const std::string field = absl::StrCat("settings.rules[", i, "]");
    if (rule.name.size() > kMaxRoutingNameBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".name: longer than ", kMaxRoutingNameBytes, " bytes"));
    }
    if (absl::Status s = core::CheckUtf8(rule.name, absl::StrCat(field, ".name")); !s.ok()) {
      return s;
    }
    if (absl::Status s = ValidateChannelList(rule.channels, absl::StrCat(field, ".channels"), true);
        !s.ok()) {
      return s;
    }
    if (rule.language.size() > kMaxRoutingNameBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".language: longer than ", kMaxRoutingNameBytes, " bytes"));
    }
    for (size_t t = 0; t < rule.tags.size(); ++t) {
      if (rule.tags[t].empty() || rule.tags[t].size() > kMaxRoutingNameBytes) {
        return absl::InvalidArgumentError(absl::StrCat(field, ".tags[", t, "]: must be 1 to ",
                                                       kMaxRoutingNameBytes, " bytes"));
      }
      if (absl::Status s = core::CheckUtf8(rule.tags[t], absl::StrCat(field, ".tags[", t, "]"));
          !s.ok()) {
        return s;
      }
    }
    if (rule.min_tier < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".min_tier: ", rule.min_tier, " must not be negative"));
    }
    if (!v1::Visibility_IsValid(rule.visibility)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".visibility: ", static_cast<int>(rule.visibility), " is not a visibility"));
    }
    if (absl::Status s = ValidateQueueId(rule.queue, absl::StrCat(field, ".queue")); !s.ok()) {
      return s;
    }
    if (!queues.contains(rule.queue)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".queue: queue \"", rule.queue, "\" does not exist"));
    }
  }
  if (!settings.default_queue.empty()) {
    if (absl::Status s = ValidateQueueId(settings.default_queue, "settings.default_queue");
        !s.ok()) {
      return s;
    }
    if (!queues.contains(settings.default_queue)) {
      return absl::InvalidArgumentError(absl::StrCat("settings.default_queue: queue \"",
                                                     settings.default_queue, "\" does not exist"));
    }
  }
  for (auto [value, field] : {std::pair{settings.tier_points, "settings.tier_points"},
                              {settings.reach_points_per_decade, "settings.reach_points_per_decade"},
                              {settings.max_public_boost, "settings.max_public_boost"},
                              {settings.sla_breach_points, "settings.sla_breach_points"},
                              {settings.missed_commitment_points,
                               "settings.missed_commitment_points"}}) {
    if (absl::Status s = ValidatePoints(value, field); !s.ok()) return s;
  }
  if (absl::Status s = ValidateDuration(settings.aging_per_point, "settings.aging_per_point",
                                        false, absl::Hours(24));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateDuration(settings.default_offer_timeout,
                                        "settings.default_offer_timeout", false, absl::Hours(24));
      !s.ok()) {
    return s;
  }
  if (settings.max_consecutive_expiries < 0 || settings.max_consecutive_expiries > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("settings.max_consecutive_expiries: ",
                                                   settings.max_consecutive_expiries,
                                                   " must be in [0, 1000]"));
  }
  if (settings.default_preferred_agent_wait.has_value()) {
    if (absl::Status s = ValidateDuration(*settings.default_preferred_agent_wait,
                                          "settings.default_preferred_agent_wait", true);
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [channel, wait] : settings.preferred_agent_waits) {
    if (!ValidChannel(channel)) {
      return absl::InvalidArgumentError(absl::StrCat("settings.preferred_agent_waits: ",
                                                     static_cast<int>(channel),
                                                     " is not a channel"));
    }
    if (absl::Status s = ValidateDuration(
            wait, absl::StrCat("settings.preferred_agent_waits[", ChannelName(channel), "]"),
            true);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

void ToProto(const AgentConfig& agent, v1::AgentConfig* proto) {
  proto->set_agent_id(agent.id);
  proto->set_display_name(agent.display_name);
  SkillsToProto(agent.skills, proto->mutable_skills());
  for (Channel c : agent.channels) proto->add_channels(c);
  proto->set_capacity(agent.capacity);
  // Sorted, so that equal configurations give equal events.
  std::vector<std::pair<int, int>> costs;
  for (const auto& [channel, units] : agent.channel_costs) costs.emplace_back(channel, units);
  std::sort(costs.begin(), costs.end());
  for (const auto& [channel, units] : costs) {
    v1::ChannelCost* cost = proto->add_channel_costs();
    cost->set_channel(static_cast<Channel>(channel));
    cost->set_units(units);
  }
  for (Channel c : agent.exclusive_channels) proto->add_exclusive_channels(c);
  if (agent.exclusive_channels.empty()) proto->add_exclusive_channels(v1::CHANNEL_UNSPECIFIED);
  ToProto(agent.wrap_up, proto->mutable_wrap_up());
}

AgentConfig FromProto(const v1::AgentConfig& proto) {
  AgentConfig agent;
  agent.id = proto.agent_id();
  agent.display_name = proto.display_name();
  agent.skills = SkillsFromProto(proto.skills());
  agent.channels = ChannelsFromProto(proto.channels());
  if (proto.has_capacity()) agent.capacity = proto.capacity();
  for (const v1::ChannelCost& cost : proto.channel_costs()) {
    agent.channel_costs[cost.channel()] = cost.units();
  }
  // Empty stands for the default; UNSPECIFIED alone for "none".
  if (proto.exclusive_channels_size() == 1 &&
      proto.exclusive_channels(0) == v1::CHANNEL_UNSPECIFIED) {
    agent.exclusive_channels.clear();
  } else if (proto.exclusive_channels_size() > 0) {
    agent.exclusive_channels = ChannelsFromProto(proto.exclusive_channels());
  }
  agent.wrap_up = ToDuration(proto.wrap_up());
  return agent;
}

void ToProto(const QueueConfig& queue, v1::QueueConfig* proto) {
  proto->set_queue_id(queue.id);
  proto->set_display_name(queue.display_name);
  SkillsToProto(queue.required_skills, proto->mutable_required_skills());
  for (Channel c : queue.channels) proto->add_channels(c);
  proto->set_base_priority(queue.base_priority);
  ToProto(queue.first_response_target, proto->mutable_first_response_target());
  proto->set_strategy(queue.strategy);
  proto->set_auto_accept(queue.auto_accept);
  ToProto(queue.offer_timeout, proto->mutable_offer_timeout());
  for (const ExpansionStep& step : queue.expansion_steps) {
    v1::ExpansionStep* p = proto->add_expansion_steps();
    ToProto(step.after, p->mutable_after());
    if (!step.overflow_queue.empty()) {
      p->set_overflow_queue_id(step.overflow_queue);
    } else {
      p->set_relax_levels(step.relax_levels);
    }
  }
}

QueueConfig FromProto(const v1::QueueConfig& proto) {
  QueueConfig queue;
  queue.id = proto.queue_id();
  queue.display_name = proto.display_name();
  queue.required_skills = SkillsFromProto(proto.required_skills());
  queue.channels = ChannelsFromProto(proto.channels());
  queue.base_priority = proto.base_priority();
  queue.first_response_target = ToDuration(proto.first_response_target());
  if (proto.strategy() != v1::SELECTION_STRATEGY_UNSPECIFIED) queue.strategy = proto.strategy();
  queue.auto_accept = proto.auto_accept();
  queue.offer_timeout = ToDuration(proto.offer_timeout());
  for (const v1::ExpansionStep& p : proto.expansion_steps()) {
    ExpansionStep step;
    step.after = ToDuration(p.after());
    step.relax_levels = p.relax_levels();
    step.overflow_queue = p.overflow_queue_id();
    queue.expansion_steps.push_back(std::move(step));
  }
  return queue;
}

void ToProto(const RoutingSettings& settings, v1::RoutingSettings* proto) {
  for (const RoutingRule& rule : settings.rules) {
    v1::RoutingRule* p = proto->add_rules();
    p->set_name(rule.name);
    for (Channel c : rule.channels) p->add_channels(c);
    p->set_language(rule.language);
    for (const std::string& tag : rule.tags) p->add_tags(tag);
    p->set_min_tier(rule.min_tier);
    p->set_visibility(rule.visibility);
    p->set_queue_id(rule.queue);
  }
  proto->set_default_queue_id(settings.default_queue);
  proto->set_tier_points(settings.tier_points);
  proto->set_reach_points_per_decade(settings.reach_points_per_decade);
  proto->set_max_public_boost(settings.max_public_boost);
  proto->set_sla_breach_points(settings.sla_breach_points);
  proto->set_missed_commitment_points(settings.missed_commitment_points);
  ToProto(settings.aging_per_point, proto->mutable_aging_per_point());
  ToProto(settings.default_offer_timeout, proto->mutable_default_offer_timeout());
  proto->set_max_consecutive_expiries(settings.max_consecutive_expiries);
  // Every channel explicitly, in channel order.
  for (int c = v1::Channel_MIN + 1; c <= v1::Channel_MAX; ++c) {
    if (!v1::Channel_IsValid(c)) continue;
    v1::PreferredAgentWait* wait = proto->add_preferred_agent_waits();
    wait->set_channel(static_cast<Channel>(c));
    ToProto(settings.PreferredAgentWait(static_cast<Channel>(c)), wait->mutable_wait());
  }
  ToProto(settings.default_preferred_agent_wait.value_or(absl::Minutes(10)),
          proto->mutable_default_preferred_agent_wait());
}

RoutingSettings FromProto(const v1::RoutingSettings& proto) {
  RoutingSettings settings;
  for (const v1::RoutingRule& p : proto.rules()) {
    RoutingRule rule;
    rule.name = p.name();
    rule.channels = ChannelsFromProto(p.channels());
    rule.language = p.language();
    rule.tags.assign(p.tags().begin(), p.tags().end());
    rule.min_tier = p.min_tier();
    rule.visibility = p.visibility();
    rule.queue = p.queue_id();
    settings.rules.push_back(std::move(rule));
  }
  settings.default_queue = proto.default_queue_id();
  if (proto.has_tier_points()) settings.tier_points = proto.tier_points();
  if (proto.has_reach_points_per_decade()) {
    settings.reach_points_per_decade = proto.reach_points_per_decade();
  }
  if (proto.has_max_public_boost()) settings.max_public_boost = proto.max_public_boost();
  if (proto.has_sla_breach_points()) settings.sla_breach_points = proto.sla_breach_points();
  if (proto.has_missed_commitment_points()) {
    settings.missed_commitment_points = proto.missed_commitment_points();
  }
  if (proto.has_aging_per_point()) settings.aging_per_point = ToDuration(proto.aging_per_point());
  if (proto.has_default_offer_timeout()) {
    settings.default_offer_timeout = ToDuration(proto.default_offer_timeout());
  }
  if (proto.has_max_consecutive_expiries()) {
    settings.max_consecutive_expiries = proto.max_consecutive_expiries();
  }
  for (const v1::PreferredAgentWait& wait : proto.preferred_agent_waits()) {
    settings.preferred_agent_waits[wait.channel()] = ToDuration(wait.wait());
  }
  if (proto.has_default_preferred_agent_wait()) {
    settings.default_preferred_agent_wait = ToDuration(proto.default_preferred_agent_wait());
  }
  return settings;
}

const v1::RoutingSettings& DefaultRoutingSettingsProto() {
  static const v1::RoutingSettings* const kDefaults = [] {
    auto* proto = new v1::RoutingSettings;
    ToProto(RoutingSettings{}, proto);
    return proto;
  }();
  return *kDefaults;
}

}  // namespace omniroute::routing

namespace omniroute {

absl::Duration RoutingSettings::PreferredAgentWait(Channel channel) const {
  if (auto it = preferred_agent_waits.find(channel); it != preferred_agent_waits.end()) {
    return it->second;
  }
  if (default_preferred_agent_wait.has_value()) return *default_preferred_agent_wait;
  return TraitsOf(channel).mode == ChannelMode::kSynchronous ? absl::Seconds(30)
                                                              : absl::Minutes(10);
}

}  // namespace omniroute
