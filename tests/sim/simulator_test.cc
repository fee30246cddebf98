// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The simulator against theory and common sense. First, M/M/c setups that
// Erlang C (lib/sim/erlang_c.h) solves exactly: the simulated probability of
// waiting, speed of answer and service level must each be within 2% of the
// formula. Then scenarios with no closed form, checked for the direction of
// their effects (shorter patience, more abandonment), for what the engine's
// rules guarantee (a handoff stays with an owner who serves the new
// channel) and for consistent counts; and reproducibility.

#include "sim/simulator.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "omniroute/v1/simulation.pb.h"
#include "sim/erlang_c.h"
#include "sim/scenario.h"
#include "sim/scenario_builders.h"

namespace omniroute::sim {
namespace {

using google::protobuf::util::MessageDifferencer;
using testing_internal::AddChannel;
using testing_internal::AddGroup;
using testing_internal::AddQueue;
using testing_internal::MmcScenario;
using testing_internal::Proto;

namespace v1 = ::omniroute::v1;

double Seconds(const google::protobuf::Duration& d) {
  return absl::ToDoubleSeconds(FromProto(d));
}

v1::SimulationReport MustSimulate(const v1::Scenario& s, int threads = 2) {
  absl::StatusOr<v1::SimulationReport> report = Simulate(s, {.threads = threads});
  EXPECT_TRUE(report.ok()) << report.status();
  return report.ok() ? *report : v1::SimulationReport{};
}

const v1::ChannelReport& ChannelOf(const v1::SimulationReport& r, v1::Channel channel) {
  for (const v1::ChannelReport& c : r.channels()) {
    if (c.channel() == channel) return c;
  }
  ADD_FAILURE() << "no report for channel " << channel;
  static const v1::ChannelReport kNone;
  return kNone;
}

// Every task offered is answered, abandoned or unresolved, and the rates
// are fractions.
void ExpectConsistent(const v1::WaitFigures& w) {
  EXPECT_EQ(w.offered(), w.answered() + w.abandoned() + w.unresolved());
  for (double rate : {w.service_level(), w.probability_of_waiting(), w.abandonment_rate()}) {
    EXPECT_GE(rate, 0.0);
    EXPECT_LE(rate, 1.0);
  }
}

// ------------------------------------------------------------ Erlang C

struct ErlangSetup {
  std::string name;
  int agents = 0;
  absl::Duration aht;
  // Offered load A in Erlangs; occupancy A / agents.
  double load = 0.0;
  // Per replication.
  absl::Duration duration;
  absl::Duration warm_up;
  int replications = 0;
};

void PrintTo(const ErlangSetup& s, std::ostream* os) { *os << s.name; }

// Run lengths. The figures are means over correlated waits, so their
// statistical error decides the length, and the speed of answer is by far
// the noisiest (its variance per call grows like 1 / (1 - occupancy)^2 and
// does not shrink with more agents). Since the simulator's waits equal
// those of the FIFO recursion fed the same random draws
// (sample_path_test.cc), the spread was measured on that recursion over 50
// to 100 seeds at exactly these settings: the speed of answer's standard
// deviation between seeds is 0.6-0.65%, 0.6% and 0.55% of the formula's
// value, so 2% is more than three of them; the waiting probability's and
// the service level's are 0.1-0.2%. The test also checks that the standard
// errors the report gives stay under half the tolerance, so that a pass
// never rests on a short run. Replications run in antithetic pairs: each
// run is a faithful sample of the model, and pairing a run with its mirror
// cuts the variance of the waiting probability and the service level by
// two to three and that of the speed of answer by about 0.55, which is what
// makes these lengths affordable: about 8.5 million calls in all.
const ErlangSetup kErlangSetups[] = {
    {"TwoAgentsAt70Percent", 2, absl::Minutes(3), 1.40, absl::Hours(800), absl::Hours(5), 64},
    {"ThreeAgentsAt75Percent", 3, absl::Minutes(4), 2.25, absl::Hours(1250), absl::Hours(5), 64},
    {"FourAgentsAt80Percent", 4, absl::Minutes(5), 3.20, absl::Hours(1800), absl::Hours(5), 64},
};

class ErlangCAgreementTest : public ::testing::TestWithParam<ErlangSetup> {};

TEST_P(ErlangCAgreementTest, WaitingSpeedOfAnswerAndServiceLevelWithinTwoPercent) {
  const ErlangSetup& setup = GetParam();
  constexpr uint64_t kSeed = 20260101;
  v1::Scenario scenario = MmcScenario(setup.agents, setup.aht, setup.load, setup.duration,
                                      setup.warm_up, setup.replications, kSeed);
  scenario.set_antithetic(true);
  const absl::Duration threshold = absl::Seconds(20);
  absl::StatusOr<ErlangCResult> formula =
      ErlangC({.arrival_rate_per_second = setup.load / absl::ToDoubleSeconds(setup.aht),
               .mean_handle_time = setup.aht,
               .agents = setup.agents},
              threshold);
  ASSERT_TRUE(formula.ok()) << formula.status();
  ASSERT_GE(formula->occupancy, 0.70);
  ASSERT_LE(formula->occupancy, 0.95);

  const auto started = std::chrono::steady_clock::now();
  const v1::SimulationReport report = MustSimulate(scenario);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(report.channels_size(), 1);
  const v1::WaitFigures& w = report.channels(0).tasks();
  const v1::StandardErrors& se = w.standard_errors();

  const double sim_pw = w.probability_of_waiting();
  const double sim_asa = Seconds(w.average_speed_of_answer());
  const double sim_sl = w.service_level();
  const double pw = formula->probability_of_waiting;
  const double asa = absl::ToDoubleSeconds(formula->average_speed_of_answer);
  const double sl = formula->service_level;
  std::cout << absl::StrFormat(
      "%s: %d calls in %.1f s; occupancy %.4f (formula %.4f)\n"
      "  P(wait) %.4f vs %.4f (%+.2f%%, se %.2f%%)\n"
      "  ASA     %.2fs vs %.2fs (%+.2f%%, se %.2f%%)\n"
      "  SL(20s) %.4f vs %.4f (%+.2f%%, se %.2f%%)\n",
      setup.name, w.offered(), elapsed, report.occupancy(), formula->occupancy, sim_pw, pw,
      100 * (sim_pw / pw - 1), 100 * se.probability_of_waiting() / pw, sim_asa, asa,
      100 * (sim_asa / asa - 1), 100 * Seconds(se.average_speed_of_answer()) / asa, sim_sl, sl,
      100 * (sim_sl / sl - 1), 100 * se.service_level() / sl);

  EXPECT_EQ(w.abandoned(), 0);
  EXPECT_EQ(w.unresolved(), 0);
  ExpectConsistent(w);
  EXPECT_NEAR(sim_pw / pw, 1.0, 0.02);
  EXPECT_NEAR(sim_asa / asa, 1.0, 0.02);
  EXPECT_NEAR(sim_sl / sl, 1.0, 0.02);
  // The run is long enough for the tolerance to mean something.
  EXPECT_LT(se.probability_of_waiting() / pw, 0.01);
  EXPECT_LT(Seconds(se.average_speed_of_answer()) / asa, 0.01);
  EXPECT_LT(se.service_level() / sl, 0.01);
  // Occupancy is the offered load over the agents (calls answered at once
  // and calls that waited alike take one agent for their handle time).
  EXPECT_NEAR(report.occupancy() / formula->occupancy, 1.0, 0.01);
  EXPECT_NEAR(Seconds(report.channels(0).average_handle_time()) / absl::ToDoubleSeconds(setup.aht),
              1.0, 0.01);
}

INSTANTIATE_TEST_SUITE_P(Simulator, ErlangCAgreementTest, ::testing::ValuesIn(kErlangSetups),
                         [](const auto& info) { return info.param.name; });

// ------------------------------------------------------------ abandonment

// Six agents at 95% occupancy, so that customers wait long enough to give
// up.
v1::Scenario BusyVoice(absl::Duration mean_patience) {
  v1::Scenario s = MmcScenario(6, absl::Minutes(4), 5.7, absl::Hours(60), absl::Hours(2), 2, 11);
  *s.mutable_channels(0)->mutable_mean_patience() = Proto(mean_patience);
  return s;
}

TEST(SimulatorTest, AbandonmentRisesAsPatienceFalls) {
  double previous_rate = -1.0;
  double previous_asa = 1e18;
  for (absl::Duration patience : {absl::ZeroDuration(), absl::Minutes(10), absl::Minutes(2),
                                  absl::Seconds(30)}) {
    SCOPED_TRACE(absl::FormatDuration(patience));
    const v1::SimulationReport r = MustSimulate(BusyVoice(patience));
    const v1::WaitFigures& w = r.channels(0).tasks();
    ExpectConsistent(w);
    EXPECT_GT(w.offered(), 8000);
    if (patience == absl::ZeroDuration()) {
      EXPECT_EQ(w.abandoned(), 0);
    } else {
      EXPECT_GT(w.abandonment_rate(), previous_rate);
      // Those who give up are the impatient ones: on average they waited
      // less than the mean patience.
      EXPECT_GT(Seconds(w.average_time_to_abandon()), 0.0);
      EXPECT_LT(Seconds(w.average_time_to_abandon()), absl::ToDoubleSeconds(patience));
    }
    // Every abandonment shortens the queue for those behind.
    EXPECT_LT(Seconds(w.average_speed_of_answer()), previous_asa);
    EXPECT_EQ(r.conversations().abandoned(), w.abandoned());
    EXPECT_EQ(r.conversations().first_response().abandoned(), w.abandoned());
    previous_rate = w.abandonment_rate();
    previous_asa = Seconds(w.average_speed_of_answer());
  }
}

// ------------------------------------------------------------ handoffs

// Public posts (20 an hour) move to a private message after handling with
// probability `p`. With `one_team`, the same agents serve both channels.
v1::Scenario PublicToPrivate(double p, bool one_team) {
  v1::Scenario s;
  s.set_seed(5);
  *s.mutable_duration() = Proto(absl::Hours(40));
  *s.mutable_warm_up() = Proto(absl::Hours(1));
  v1::ChannelSpec* post = AddChannel(s, v1::CHANNEL_PUBLIC_SOCIAL, 20, absl::Minutes(5));
  post->mutable_handoff()->set_to_channel(v1::CHANNEL_PRIVATE_SOCIAL);
  post->mutable_handoff()->set_probability(p);
  AddChannel(s, v1::CHANNEL_PRIVATE_SOCIAL, 0, absl::Minutes(8));
  if (one_team) {
    AddGroup(s, "social", 4, {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL});
  } else {
    AddGroup(s, "public", 3, {v1::CHANNEL_PUBLIC_SOCIAL});
    AddGroup(s, "private", 3, {v1::CHANNEL_PRIVATE_SOCIAL});
  }
  AddQueue(s, "social", {v1::CHANNEL_PUBLIC_SOCIAL, v1::CHANNEL_PRIVATE_SOCIAL});
  s.mutable_routing()->set_default_queue_id("social");
  return s;
}

TEST(SimulatorTest, HandoffStaysWithTheOwnerWhoServesTheNewChannel) {
  const v1::SimulationReport r = MustSimulate(PublicToPrivate(1.0, true));
  const v1::ChannelReport& post = ChannelOf(r, v1::CHANNEL_PUBLIC_SOCIAL);
  const v1::ChannelReport& dm = ChannelOf(r, v1::CHANNEL_PRIVATE_SOCIAL);
  ExpectConsistent(post.tasks());
  ExpectConsistent(dm.tasks());
  EXPECT_GT(post.handoffs_out(), 500);
  EXPECT_EQ(post.handoffs_out(), dm.handoffs_in());
  EXPECT_EQ(r.conversations().handoffs(), post.handoffs_out());
  EXPECT_EQ(dm.tasks().offered(), dm.handoffs_in());
  // The owner has the capacity the public task freed: every handoff goes
  // straight to them.
  EXPECT_EQ(dm.handoffs_same_agent(), dm.tasks().answered());
  EXPECT_DOUBLE_EQ(dm.handoff_continuity(), 1.0);
  EXPECT_EQ(dm.tasks().probability_of_waiting(), 0.0);
  EXPECT_EQ(r.conversations().multi_assignment(), r.conversations().completed());
  EXPECT_DOUBLE_EQ(r.conversations().same_agent_rate(), 1.0);
}

TEST(SimulatorTest, HandoffToAnotherTeamChangesTheAgent) {
  const v1::SimulationReport r = MustSimulate(PublicToPrivate(1.0, false));
  const v1::ChannelReport& dm = ChannelOf(r, v1::CHANNEL_PRIVATE_SOCIAL);
  EXPECT_GT(dm.tasks().answered(), 500);
  EXPECT_EQ(dm.handoffs_same_agent(), 0);
  EXPECT_EQ(dm.handoff_continuity(), 0.0);
  EXPECT_GT(r.conversations().multi_assignment(), 500);
  EXPECT_EQ(r.conversations().single_agent(), 0);
}

TEST(SimulatorTest, HandoffProbabilityIsHonoured) {
  const v1::SimulationReport r = MustSimulate(PublicToPrivate(0.3, true));
  const v1::ChannelReport& post = ChannelOf(r, v1::CHANNEL_PUBLIC_SOCIAL);
  ASSERT_GT(post.tasks().answered(), 500);
  // A binomial share of about 800 tasks: standard error 1.6 points.
  const double share =
      static_cast<double>(post.handoffs_out()) / static_cast<double>(post.tasks().answered());
  EXPECT_NEAR(share, 0.3, 0.06);
}

// ------------------------------------------------------------ transfers, wrap-up

TEST(SimulatorTest, TransfersGoToTheSecondLevelAndAreCounted) {
  v1::Scenario s = MmcScenario(5, absl::Minutes(3), 3.0, absl::Hours(40), absl::Hours(1), 1, 3);
  s.mutable_channels(0)->mutable_transfer()->set_queue_id("tier2");
  s.mutable_channels(0)->mutable_transfer()->set_probability(0.25);
  v1::QueueConfig* tier2 = AddQueue(s, "tier2", {v1::CHANNEL_VOICE});
  v1::SkillLevel* skill = tier2->add_required_skills();
  skill->set_skill("tier2");
  skill->set_level(1);
  v1::AgentGroup* experts = AddGroup(s, "experts", 2, {v1::CHANNEL_VOICE});
  *experts->add_skills() = *skill;
  const v1::SimulationReport r = MustSimulate(s);
  const v1::ChannelReport& voice = r.channels(0);
  ExpectConsistent(voice.tasks());
  EXPECT_EQ(r.conversations().transfers(), voice.transfers());
  // A transferred task's share is a quarter; the second-level task may be
  // transferred again (to the same queue), hence handled > conversations.
  EXPECT_NEAR(static_cast<double>(voice.transfers()) / static_cast<double>(voice.tasks().answered()),
              0.25, 0.03);
  // Every transfer carries the work on in a new task of the channel.
  EXPECT_EQ(voice.tasks().offered(), r.conversations().offered() + voice.transfers());
  ASSERT_EQ(r.agent_groups_size(), 2);
  EXPECT_GT(r.agent_groups(1).assignments(), 0);
}

TEST(SimulatorTest, WrapUpKeepsCapacityInUse) {
  // Occupancy = λ · (AHT + wrap-up) / c when nobody waits long.
  v1::Scenario s = MmcScenario(10, absl::Minutes(3), 5.0, absl::Hours(100), absl::Hours(1), 2, 8);
  *s.mutable_agent_groups(0)->mutable_wrap_up() = Proto(absl::Minutes(1));
  const v1::SimulationReport r = MustSimulate(s);
  EXPECT_NEAR(r.occupancy(), 5.0 * (4.0 / 3.0) / 10.0, 0.01);
  EXPECT_NEAR(Seconds(r.channels(0).average_handle_time()), 180.0, 180.0 * 0.02);
}

TEST(SimulatorTest, LognormalHandleTimesHaveTheirMean) {
  v1::Scenario s = MmcScenario(8, absl::Minutes(4), 5.0, absl::Hours(100), absl::Hours(1), 2, 9);
  v1::LognormalTime* lognormal = s.mutable_channels(0)->mutable_lognormal();
  *lognormal->mutable_mean() = Proto(absl::Minutes(4));
  *lognormal->mutable_stddev() = Proto(absl::Minutes(3));
  const v1::SimulationReport r = MustSimulate(s);
  EXPECT_NEAR(Seconds(r.channels(0).average_handle_time()), 240.0, 240.0 * 0.03);
  EXPECT_NEAR(r.occupancy(), 5.0 / 8.0, 0.02);
}

// ------------------------------------------------------------ reproducibility

TEST(SimulatorTest, SameSeedSameReportWhateverTheThreads) {
  v1::Scenario s = MmcScenario(3, absl::Minutes(3), 2.4, absl::Hours(10), absl::Hours(1), 4, 77);
  *s.mutable_channels(0)->mutable_mean_patience() = Proto(absl::Minutes(3));
  const v1::SimulationReport one = MustSimulate(s, 1);
  const v1::SimulationReport again = MustSimulate(s, 1);
  const v1::SimulationReport three = MustSimulate(s, 3);
  EXPECT_TRUE(MessageDifferencer::Equals(one, again)) << one.DebugString() << again.DebugString();
  EXPECT_TRUE(MessageDifferencer::Equals(one, three)) << one.DebugString() << three.DebugString();
  s.set_seed(78);
  EXPECT_FALSE(MessageDifferencer::Equals(one, MustSimulate(s, 1)));
}

TEST(SimulatorTest, AntitheticPairsRunAndDiffer) {
  v1::Scenario s = MmcScenario(3, absl::Minutes(3), 2.4, absl::Hours(10), absl::Hours(1), 2, 77);
  const v1::SimulationReport plain = MustSimulate(s);
  s.set_antithetic(true);
  const v1::SimulationReport mirrored = MustSimulate(s);
  EXPECT_FALSE(MessageDifferencer::Equals(plain, mirrored));
  ExpectConsistent(mirrored.channels(0).tasks());
  EXPECT_EQ(mirrored.replications(), 2);
}

}  // namespace
}  // namespace omniroute::sim
