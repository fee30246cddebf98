// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "sim/scenario.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace omniroute::sim {
namespace {

namespace v1 = ::omniroute::v1;

constexpr absl::Duration kDefaultThreshold = absl::Seconds(20);
constexpr absl::Duration kDefaultDrainLimit = absl::Hours(24);

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

std::string Indexed(absl::string_view field, int i) { return absl::StrCat(field, "[", i, "]"); }

bool ValidChannel(int channel) {
  return v1::Channel_IsValid(channel) && channel != v1::CHANNEL_UNSPECIFIED;
}

// A protobuf Duration whose seconds and nanos disagree in sign, or are out
// of the type's range, is malformed rather than merely negative.
absl::Status CheckDuration(const google::protobuf::Duration& d, absl::string_view field,
                           bool positive) {
  constexpr int64_t kMaxSeconds = 315'576'000'000;  // 10,000 years
  if (d.seconds() > kMaxSeconds || d.seconds() < -kMaxSeconds || d.nanos() >= 1'000'000'000 ||
      d.nanos() <= -1'000'000'000 || (d.seconds() > 0 && d.nanos() < 0) ||
      (d.seconds() < 0 && d.nanos() > 0)) {
    return Invalid(field, "is not a valid duration");
  }
  const absl::Duration value = FromProto(d);
  if (value < absl::ZeroDuration()) return Invalid(field, "must not be negative");
  if (positive && value == absl::ZeroDuration()) return Invalid(field, "must be positive");
  return absl::OkStatus();
}

absl::Status CheckProbability(double p, absl::string_view field, bool below_one) {
  if (!std::isfinite(p) || p < 0.0 || p > 1.0 || (below_one && p == 1.0)) {
    return Invalid(field, below_one ? "must be in [0, 1)" : "must be in [0, 1]");
  }
  return absl::OkStatus();
}

absl::Status PlanChannel(const v1::ChannelSpec& spec, const std::string& field,
                         const absl::flat_hash_set<std::string>& queue_ids, ChannelPlan& plan) {
  if (!std::isfinite(spec.arrivals_per_hour()) || spec.arrivals_per_hour() < 0.0) {
    return Invalid(field + ".arrivals_per_hour", "must be a finite rate, zero or more");
  }
  plan.present = true;
  plan.arrivals_per_second = spec.arrivals_per_hour() / 3600.0;
  switch (spec.handle_time_case()) {
    case v1::ChannelSpec::kExponential:
      if (auto s = CheckDuration(spec.exponential().mean(), field + ".exponential.mean", true);
          !s.ok()) {
        return s;
      }
      plan.mean_handle_time = FromProto(spec.exponential().mean());
      break;
    case v1::ChannelSpec::kLognormal:
      if (auto s = CheckDuration(spec.lognormal().mean(), field + ".lognormal.mean", true);
          !s.ok()) {
        return s;
      }
      if (auto s = CheckDuration(spec.lognormal().stddev(), field + ".lognormal.stddev", false);
          !s.ok()) {
        return s;
      }
      plan.lognormal = true;
      plan.mean_handle_time = FromProto(spec.lognormal().mean());
      plan.handle_time_stddev = FromProto(spec.lognormal().stddev());
      break;
    case v1::ChannelSpec::HANDLE_TIME_NOT_SET:
      return Invalid(field, "needs a handle time (exponential or lognormal)");
  }
  for (auto [d, name] : {std::pair{&spec.mean_patience(), ".mean_patience"},
                         std::pair{&spec.first_response_target(), ".first_response_target"},
                         std::pair{&spec.preferred_agent_wait(), ".preferred_agent_wait"}}) {
    if (auto s = CheckDuration(*d, field + name, false); !s.ok()) return s;
  }
  plan.mean_patience = FromProto(spec.mean_patience());

  if (spec.has_handoff()) {
    const std::string h = field + ".handoff";
    if (auto s = CheckProbability(spec.handoff().probability(), h + ".probability", false);
        !s.ok()) {
      return s;
    }
    if (spec.handoff().probability() > 0.0) {
      if (!ValidChannel(spec.handoff().to_channel())) {
        return Invalid(h + ".to_channel", "must be a channel");
      }
      if (spec.handoff().to_channel() == spec.channel()) {
        return Invalid(h + ".to_channel", "must differ from the channel itself");
      }
      plan.handoff_probability = spec.handoff().probability();
      plan.handoff_to = spec.handoff().to_channel();
    }
  }
  if (spec.has_transfer()) {
    const std::string t = field + ".transfer";
    if (auto s = CheckProbability(spec.transfer().probability(), t + ".probability", true);
        !s.ok()) {
      return s;
    }
    if (spec.transfer().probability() > 0.0) {
      if (!queue_ids.contains(spec.transfer().queue_id())) {
        return Invalid(t + ".queue_id",
                       absl::StrCat("\"", spec.transfer().queue_id(), "\" is not a queue"));
      }
      plan.transfer_probability = spec.transfer().probability();
      plan.transfer_queue = spec.transfer().queue_id();
    }
  }
  if (plan.handoff_probability + plan.transfer_probability > 1.0) {
    return Invalid(field, "handoff.probability + transfer.probability must not exceed 1");
  }
  return absl::OkStatus();
}

// Work on a channel must end some day: either it can finish there, or its
// handoff leads to a channel where it can.
absl::Status CheckTermination(const v1::Scenario& scenario, const ScenarioPlan& plan) {
  for (int i = 0; i < scenario.channels_size(); ++i) {
    Channel c = scenario.channels(i).channel();
    for (int hops = 0; hops < kChannelSlots; ++hops) {
      const ChannelPlan& p = plan.channels[c];
      if (p.handoff_probability + p.transfer_probability < 1.0) break;
      if (p.handoff_probability == 0.0 || hops + 1 == kChannelSlots) {
        return Invalid(Indexed("channels", i),
                       "its work never finishes: every path hands off or transfers forever");
      }
      c = p.handoff_to;
    }
  }
  return absl::OkStatus();
}

absl::Status PlanGroup(const v1::AgentGroup& group, const std::string& field,
                       GroupPlan& plan) {
  const std::string& name = group.name();
  if (name.empty() || name.size() > kMaxGroupNameBytes) {
    return Invalid(field + ".name", absl::StrCat("must be 1 to ", kMaxGroupNameBytes, " bytes"));
  }
  for (char ch : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' &&
        ch != '@' && ch != '-') {
      return Invalid(field + ".name", "may hold only [A-Za-z0-9._@-]");
    }
  }
  if (group.count() < 1 || group.count() > kMaxAgentsPerGroup) {
    return Invalid(field + ".count", absl::StrCat("must be 1 to ", kMaxAgentsPerGroup));
  }
  if (group.channels().empty()) return Invalid(field + ".channels", "needs at least one");
  for (int c : group.channels()) {
    if (!ValidChannel(c)) return Invalid(field + ".channels", "holds a value that is no channel");
  }
  if (auto s = CheckDuration(group.wrap_up(), field + ".wrap_up", false); !s.ok()) return s;

  plan.name = name;
  plan.count = group.count();
  AgentConfig& agent = plan.agent;
  for (const v1::SkillLevel& skill : group.skills()) {
    agent.skills.push_back({skill.skill(), skill.level()});
  }
  for (int c : group.channels()) agent.channels.push_back(static_cast<Channel>(c));
  if (group.capacity() != 0) agent.capacity = group.capacity();
  for (const v1::ChannelCost& cost : group.channel_costs()) {
    if (!ValidChannel(cost.channel())) {
      return Invalid(field + ".channel_costs", "holds a value that is no channel");
    }
    agent.channel_costs[cost.channel()] = cost.units();
  }
  if (!group.exclusive_channels().empty()) {
    agent.exclusive_channels.clear();
    for (int c : group.exclusive_channels()) agent.exclusive_channels.push_back(static_cast<Channel>(c));
  }
  agent.wrap_up = FromProto(group.wrap_up());
  plan.capacity = agent.capacity;
  for (int c = 0; c < kChannelSlots; ++c) {
    auto it = agent.channel_costs.find(static_cast<Channel>(c));
    plan.units[c] = it != agent.channel_costs.end()
                        ? it->second
                        : TraitsOf(static_cast<Channel>(c)).capacity_cost;
  }
  return absl::OkStatus();
}

QueueConfig PlanQueue(const v1::QueueConfig& proto) {
  QueueConfig queue;
  queue.id = proto.queue_id();
  queue.display_name = proto.display_name();
  for (const v1::SkillLevel& skill : proto.required_skills()) {
    queue.required_skills.push_back({skill.skill(), skill.level()});
  }
  for (int c : proto.channels()) queue.channels.push_back(static_cast<Channel>(c));
  queue.base_priority = proto.base_priority();
  queue.first_response_target = FromProto(proto.first_response_target());
  if (proto.strategy() != v1::SELECTION_STRATEGY_UNSPECIFIED) queue.strategy = proto.strategy();
  // Simulated agents take what they are offered at once: waits are queue
  // time only, as in the models the reports are compared with.
  queue.auto_accept = true;
  queue.offer_timeout = FromProto(proto.offer_timeout());
  for (const v1::ExpansionStep& step : proto.expansion_steps()) {
    queue.expansion_steps.push_back(
        {FromProto(step.after()), step.relax_levels(), step.overflow_queue_id()});
  }
  return queue;
}

RoutingSettings PlanRouting(const v1::Scenario& scenario) {
  const v1::SimulatedRouting& proto = scenario.routing();
  RoutingSettings settings;
  for (const v1::RoutingRule& r : proto.rules()) {
    RoutingRule rule;
    rule.name = r.name();
    for (int c : r.channels()) rule.channels.push_back(static_cast<Channel>(c));
    rule.language = r.language();
    rule.tags.assign(r.tags().begin(), r.tags().end());
    rule.min_tier = r.min_tier();
    rule.visibility = r.visibility();
    rule.queue = r.queue_id();
    settings.rules.push_back(std::move(rule));
  }
  settings.default_queue = proto.default_queue_id();
  if (proto.has_sla_breach_points()) settings.sla_breach_points = proto.sla_breach_points();
  if (FromProto(proto.aging_per_point()) > absl::ZeroDuration()) {
    settings.aging_per_point = FromProto(proto.aging_per_point());
  }
  for (const v1::ChannelSpec& spec : scenario.channels()) {
    if (FromProto(spec.preferred_agent_wait()) > absl::ZeroDuration()) {
      settings.preferred_agent_waits[spec.channel()] = FromProto(spec.preferred_agent_wait());
    }
  }
  return settings;
}

}  // namespace

absl::Duration FromProto(const google::protobuf::Duration& duration) {
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

void ToProto(absl::Duration duration, google::protobuf::Duration* proto) {
  const int64_t seconds = absl::IDivDuration(duration, absl::Seconds(1), &duration);
  proto->set_seconds(seconds);
  proto->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(duration)));
}

std::string AgentName(const GroupPlan& group, int n) { return absl::StrCat(group.name, "-", n); }

absl::StatusOr<ScenarioPlan> PlanScenario(const v1::Scenario& scenario) {
  ScenarioPlan plan;
  plan.seed = scenario.seed();
  if (auto s = CheckDuration(scenario.duration(), "duration", true); !s.ok()) return s;
  if (auto s = CheckDuration(scenario.warm_up(), "warm_up", false); !s.ok()) return s;
  if (auto s = CheckDuration(scenario.service_level_threshold(), "service_level_threshold", false);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckDuration(scenario.drain_limit(), "drain_limit", false); !s.ok()) return s;
  plan.duration = FromProto(scenario.duration());
  plan.warm_up = FromProto(scenario.warm_up());
  if (plan.warm_up >= plan.duration) return Invalid("warm_up", "must be shorter than duration");
  plan.service_level_threshold = scenario.has_service_level_threshold()
                                     ? FromProto(scenario.service_level_threshold())
                                     : kDefaultThreshold;
  plan.drain_limit = scenario.drain_limit().seconds() == 0 && scenario.drain_limit().nanos() == 0
                         ? kDefaultDrainLimit
                         : FromProto(scenario.drain_limit());
  if (scenario.replications() < 0 || scenario.replications() > kMaxReplications) {
    return Invalid("replications", absl::StrCat("must be 0 to ", kMaxReplications));
  }
  plan.replications = scenario.replications() == 0 ? 1 : scenario.replications();
  plan.antithetic = scenario.antithetic();
  if (plan.antithetic && plan.replications % 2 != 0) {
    return Invalid("replications", "must be even with antithetic (they run in pairs)");
  }

  absl::flat_hash_set<std::string> queue_ids;
  if (scenario.queues().empty()) return Invalid("queues", "needs at least one queue");
  for (int i = 0; i < scenario.queues_size(); ++i) {
    const v1::QueueConfig& q = scenario.queues(i);
    if (q.queue_id().empty()) return Invalid(Indexed("queues", i) + ".queue_id", "is required");
    if (!queue_ids.insert(q.queue_id()).second) {
      return Invalid(Indexed("queues", i) + ".queue_id",
                     absl::StrCat("\"", q.queue_id(), "\" appears twice"));
    }
    plan.queues.push_back(PlanQueue(q));
  }

  if (scenario.channels().empty()) return Invalid("channels", "needs at least one channel");
  double total_rate = 0.0;
  for (int i = 0; i < scenario.channels_size(); ++i) {
    const v1::ChannelSpec& spec = scenario.channels(i);
    const std::string field = Indexed("channels", i);
    if (!ValidChannel(spec.channel())) return Invalid(field + ".channel", "must be a channel");
    if (plan.channels[spec.channel()].present) {
      return Invalid(field + ".channel",
                     absl::StrCat(ChannelName(spec.channel()), " is described twice"));
    }
    if (auto s = PlanChannel(spec, field, queue_ids, plan.channels[spec.channel()]); !s.ok()) {
      return s;
    }
    total_rate += plan.channels[spec.channel()].arrivals_per_second;
    if (FromProto(spec.first_response_target()) > absl::ZeroDuration()) {
      plan.tenant.first_response_targets[spec.channel()] = FromProto(spec.first_response_target());
    }
  }
  if (total_rate <= 0.0) return Invalid("channels", "no channel has arrivals_per_hour above zero");
  for (int i = 0; i < scenario.channels_size(); ++i) {
    const ChannelPlan& p = plan.channels[scenario.channels(i).channel()];
    if (p.handoff_probability > 0.0 && !plan.channels[p.handoff_to].present) {
      return Invalid(Indexed("channels", i) + ".handoff.to_channel",
                     absl::StrCat(ChannelName(p.handoff_to), " has no ChannelSpec"));
    }
  }
  if (auto s = CheckTermination(scenario, plan); !s.ok()) return s;

  if (scenario.agent_groups().empty()) return Invalid("agent_groups", "needs at least one group");
  absl::flat_hash_set<std::string> group_names;
  for (int i = 0; i < scenario.agent_groups_size(); ++i) {
    const std::string field = Indexed("agent_groups", i);
    GroupPlan group;
    if (auto s = PlanGroup(scenario.agent_groups(i), field, group); !s.ok()) return s;
    if (!group_names.insert(group.name).second) {
      return Invalid(field + ".name", absl::StrCat("\"", group.name, "\" appears twice"));
    }
    plan.total_units += int64_t{group.count} * group.capacity;
    plan.groups.push_back(std::move(group));
  }
  if (plan.total_units <= 0) return Invalid("agent_groups", "the roster has no capacity");

  // Nothing is ever resolved, so a public-loop task would never arise; the
  // option is off so that the traffic is exactly the scenario's.
  plan.tenant.close_public_loop = false;
  plan.routing = PlanRouting(scenario);
  return plan;
}

}  // namespace omniroute::sim
