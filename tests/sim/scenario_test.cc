// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Bad scenarios: each is a valid scenario with one thing wrong, and
// Simulate must refuse it with INVALID_ARGUMENT naming the field. Checks
// made by the simulator itself come first, then those the engine makes
// (reported under the scenario's field names), then a scenario that is
// well formed but routes a channel's tasks nowhere.

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/v1/simulation.pb.h"
#include "sim/scenario_builders.h"
#include "sim/simulator.h"

namespace omniroute::sim {
namespace {

using testing_internal::AddChannel;
using testing_internal::AddGroup;
using testing_internal::AddQueue;
using testing_internal::Proto;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace v1 = ::omniroute::v1;

// Voice and email, two queues, two groups: valid, and short to run.
v1::Scenario Base() {
  v1::Scenario s;
  s.set_seed(7);
  *s.mutable_duration() = Proto(absl::Hours(2));
  *s.mutable_warm_up() = Proto(absl::Minutes(30));
  AddChannel(s, v1::CHANNEL_VOICE, 30, absl::Minutes(3));
  AddChannel(s, v1::CHANNEL_EMAIL, 10, absl::Minutes(6));
  AddGroup(s, "phones", 3, {v1::CHANNEL_VOICE});
  AddGroup(s, "writers", 2, {v1::CHANNEL_EMAIL});
  AddQueue(s, "calls", {v1::CHANNEL_VOICE});
  AddQueue(s, "mail", {v1::CHANNEL_EMAIL});
  v1::RoutingRule* rule = s.mutable_routing()->add_rules();
  rule->set_name("voice");
  rule->add_channels(v1::CHANNEL_VOICE);
  rule->set_queue_id("calls");
  s.mutable_routing()->set_default_queue_id("mail");
  return s;
}

struct BadCase {
  std::string name;
  std::function<void(v1::Scenario&)> spoil;
  // The message must start with this (the field's path).
  std::string field;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadScenarioTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadScenarioTest, RefusedNamingTheField) {
  v1::Scenario s = Base();
  GetParam().spoil(s);
  absl::StatusOr<v1::SimulationReport> report = Simulate(s);
  ASSERT_FALSE(report.ok()) << "accepted: " << s.DebugString();
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument) << report.status();
  EXPECT_THAT(std::string(report.status().message()), StartsWith(GetParam().field + ":"));
}

v1::ChannelSpec& Voice(v1::Scenario& s) { return *s.mutable_channels(0); }

const BadCase kSimulatorChecks[] = {
    {"NoDuration", [](v1::Scenario& s) { s.clear_duration(); }, "duration"},
    {"NegativeDuration",
     [](v1::Scenario& s) { *s.mutable_duration() = Proto(absl::Seconds(-5)); }, "duration"},
    {"MalformedDuration",
     [](v1::Scenario& s) {
       s.mutable_duration()->set_seconds(5);
       s.mutable_duration()->set_nanos(-1);
     },
     "duration"},
    {"WarmUpAsLongAsDuration", [](v1::Scenario& s) { *s.mutable_warm_up() = s.duration(); },
     "warm_up"},
    {"NegativeWarmUp",
     [](v1::Scenario& s) { *s.mutable_warm_up() = Proto(absl::Seconds(-1)); }, "warm_up"},
    {"NegativeThreshold",
     [](v1::Scenario& s) { *s.mutable_service_level_threshold() = Proto(absl::Seconds(-20)); },
     "service_level_threshold"},
    {"NegativeDrainLimit",
     [](v1::Scenario& s) { *s.mutable_drain_limit() = Proto(absl::Seconds(-1)); },
     "drain_limit"},
    {"NegativeReplications", [](v1::Scenario& s) { s.set_replications(-1); }, "replications"},
    {"TooManyReplications", [](v1::Scenario& s) { s.set_replications(1001); }, "replications"},
    {"AntitheticOddReplications",
     [](v1::Scenario& s) {
       s.set_antithetic(true);
       s.set_replications(3);
     },
     "replications"},
    {"NoChannels", [](v1::Scenario& s) { s.clear_channels(); }, "channels"},
    {"UnspecifiedChannel",
     [](v1::Scenario& s) { Voice(s).set_channel(v1::CHANNEL_UNSPECIFIED); },
     "channels[0].channel"},
    {"ChannelTwice",
     [](v1::Scenario& s) { s.mutable_channels(1)->set_channel(v1::CHANNEL_VOICE); },
     "channels[1].channel"},
    {"NegativeArrivals", [](v1::Scenario& s) { Voice(s).set_arrivals_per_hour(-1); },
     "channels[0].arrivals_per_hour"},
    {"NaNArrivals",
     [](v1::Scenario& s) {
       Voice(s).set_arrivals_per_hour(std::numeric_limits<double>::quiet_NaN());
     },
     "channels[0].arrivals_per_hour"},
    {"NoArrivalsAnywhere",
     [](v1::Scenario& s) {
       Voice(s).set_arrivals_per_hour(0);
       s.mutable_channels(1)->set_arrivals_per_hour(0);
     },
     "channels"},
    {"NoHandleTime", [](v1::Scenario& s) { Voice(s).clear_exponential(); }, "channels[0]"},
    {"ZeroMeanHandleTime",
     [](v1::Scenario& s) { *Voice(s).mutable_exponential()->mutable_mean() = Proto(absl::ZeroDuration()); },
     "channels[0].exponential.mean"},
    {"NegativeLognormalStddev",
     [](v1::Scenario& s) {
       *Voice(s).mutable_lognormal()->mutable_mean() = Proto(absl::Minutes(3));
       *Voice(s).mutable_lognormal()->mutable_stddev() = Proto(absl::Seconds(-1));
     },
     "channels[0].lognormal.stddev"},
    {"NegativePatience",
     [](v1::Scenario& s) { *Voice(s).mutable_mean_patience() = Proto(absl::Seconds(-30)); },
     "channels[0].mean_patience"},
    {"HandoffProbabilityAboveOne",
     [](v1::Scenario& s) {
       Voice(s).mutable_handoff()->set_to_channel(v1::CHANNEL_EMAIL);
       Voice(s).mutable_handoff()->set_probability(1.5);
     },
     "channels[0].handoff.probability"},
    {"HandoffToItself",
     [](v1::Scenario& s) {
       Voice(s).mutable_handoff()->set_to_channel(v1::CHANNEL_VOICE);
       Voice(s).mutable_handoff()->set_probability(0.5);
     },
     "channels[0].handoff.to_channel"},
    {"HandoffToChannelWithoutSpec",
     [](v1::Scenario& s) {
       Voice(s).mutable_handoff()->set_to_channel(v1::CHANNEL_SMS);
       Voice(s).mutable_handoff()->set_probability(0.5);
     },
     "channels[0].handoff.to_channel"},
    {"HandoffsForever",
     [](v1::Scenario& s) {
       Voice(s).mutable_handoff()->set_to_channel(v1::CHANNEL_EMAIL);
       Voice(s).mutable_handoff()->set_probability(1.0);
       s.mutable_channels(1)->mutable_handoff()->set_to_channel(v1::CHANNEL_VOICE);
       s.mutable_channels(1)->mutable_handoff()->set_probability(1.0);
     },
     "channels[0]"},
    {"TransferToUnknownQueue",
     [](v1::Scenario& s) {
       Voice(s).mutable_transfer()->set_queue_id("nowhere");
       Voice(s).mutable_transfer()->set_probability(0.1);
     },
     "channels[0].transfer.queue_id"},
    {"TransferAlways",
     [](v1::Scenario& s) {
       Voice(s).mutable_transfer()->set_queue_id("calls");
       Voice(s).mutable_transfer()->set_probability(1.0);
     },
     "channels[0].transfer.probability"},
    {"HandoffAndTransferAboveOne",
     [](v1::Scenario& s) {
       Voice(s).mutable_transfer()->set_queue_id("calls");
       Voice(s).mutable_transfer()->set_probability(0.6);
       Voice(s).mutable_handoff()->set_to_channel(v1::CHANNEL_EMAIL);
       Voice(s).mutable_handoff()->set_probability(0.6);
     },
     "channels[0]"},
    {"NoAgentGroups", [](v1::Scenario& s) { s.clear_agent_groups(); }, "agent_groups"},
    {"GroupWithoutAgents", [](v1::Scenario& s) { s.mutable_agent_groups(0)->set_count(0); },
     "agent_groups[0].count"},
    {"GroupNameWithSpace",
     [](v1::Scenario& s) { s.mutable_agent_groups(0)->set_name("two words"); },
     "agent_groups[0].name"},
    {"GroupNameTwice",
     [](v1::Scenario& s) { s.mutable_agent_groups(1)->set_name("phones"); },
     "agent_groups[1].name"},
    {"GroupWithoutChannels",
     [](v1::Scenario& s) { s.mutable_agent_groups(0)->clear_channels(); },
     "agent_groups[0].channels"},
    {"NegativeWrapUp",
     [](v1::Scenario& s) {
       *s.mutable_agent_groups(0)->mutable_wrap_up() = Proto(absl::Seconds(-1));
     },
     "agent_groups[0].wrap_up"},
    {"NoQueues", [](v1::Scenario& s) { s.clear_queues(); }, "queues"},
    {"QueueWithoutId", [](v1::Scenario& s) { s.mutable_queues(0)->clear_queue_id(); },
     "queues[0].queue_id"},
    {"QueueTwice", [](v1::Scenario& s) { s.mutable_queues(1)->set_queue_id("calls"); },
     "queues[1].queue_id"},
};
INSTANTIATE_TEST_SUITE_P(Simulator, BadScenarioTest, ::testing::ValuesIn(kSimulatorChecks),
                         [](const auto& info) { return info.param.name; });

const BadCase kEngineChecks[] = {
    {"QueueWithoutChannels", [](v1::Scenario& s) { s.mutable_queues(0)->clear_channels(); },
     "queues[0]"},
    {"SkillLevelEleven",
     [](v1::Scenario& s) {
       v1::SkillLevel* skill = s.mutable_agent_groups(0)->add_skills();
       skill->set_skill("billing");
       skill->set_level(11);
     },
     "agent_groups[0]"},
    {"CapacityAboveMaximum",
     [](v1::Scenario& s) { s.mutable_agent_groups(0)->set_capacity(5000); },
     "agent_groups[0]"},
    {"RuleToUnknownQueue",
     [](v1::Scenario& s) { s.mutable_routing()->mutable_rules(0)->set_queue_id("nowhere"); },
     "routing"},
    {"EmailRoutedNowhere", [](v1::Scenario& s) { s.mutable_routing()->clear_default_queue_id(); },
     "routing"},
};
INSTANTIATE_TEST_SUITE_P(Engine, BadScenarioTest, ::testing::ValuesIn(kEngineChecks),
                         [](const auto& info) { return info.param.name; });

TEST(SimulateTest, RefusesZeroThreads) {
  absl::StatusOr<v1::SimulationReport> report = Simulate(Base(), {.threads = 0});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(report.status().message()), StartsWith("threads:"));
}

TEST(SimulateTest, TheBaseScenarioIsValid) {
  absl::StatusOr<v1::SimulationReport> report = Simulate(Base());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT(report->conversations().offered(), 0);
}

TEST(SimulateTest, UnroutedChannelIsNamed) {
  v1::Scenario s = Base();
  s.mutable_routing()->clear_default_queue_id();
  absl::StatusOr<v1::SimulationReport> report = Simulate(s);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("EMAIL"));
}

}  // namespace
}  // namespace omniroute::sim
