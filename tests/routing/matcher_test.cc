// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Tests of the routing matcher: each eligibility rule, each strategy with
// hand-computed choices, task order, cancel, declines, freed capacity and
// bad input. The randomized comparison with a brute-force reference is in
// matcher_differential_test.cc.

#include "routing/matcher.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace omniroute::routing {
namespace {

using ::omniroute::v1::CHANNEL_CHAT;
using ::omniroute::v1::CHANNEL_EMAIL;
using ::omniroute::v1::CHANNEL_SMS;
using ::omniroute::v1::CHANNEL_VOICE;
using ::testing::Optional;

constexpr ChannelMask kEmail = MaskOf(CHANNEL_EMAIL);
constexpr ChannelMask kChat = MaskOf(CHANNEL_CHAT);
constexpr ChannelMask kVoice = MaskOf(CHANNEL_VOICE);

Agent MakeAgent(uint64_t id, std::vector<SkillLevel> skills,
                ChannelMask channels = kEmail | kChat | kVoice, int capacity = 4) {
  Agent a;
  a.id = AgentId(id);
  a.skills = std::move(skills);
  a.channels = channels;
  a.capacity = capacity;
  a.presence = Presence::kAvailable;
  return a;
}

Queue MakeQueue(uint64_t id, std::vector<SkillLevel> required,
                SelectionStrategy strategy = SelectionStrategy::kLongestIdle,
                ChannelMask channels = kEmail | kChat | kVoice) {
  Queue q;
  q.id = QueueId(id);
  q.required_skills = std::move(required);
  q.channels = channels;
  q.strategy = strategy;
  return q;
}

Task MakeTask(uint64_t id, uint64_t queue, Channel channel = CHANNEL_EMAIL,
              int64_t priority = 0, uint64_t arrival = 0) {
  Task t;
  t.id = TaskId(id);
  t.queue = QueueId(queue);
  t.channel = channel;
  t.priority = priority;
  t.arrival = arrival == 0 ? id : arrival;
  return t;
}

Assignment Pair(uint64_t task, uint64_t agent) { return {TaskId(task), AgentId(agent)}; }

// --- Eligibility ------------------------------------------------------------

TEST(MatcherTest, SkillLevelsMustReachTheQueueRequirement) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {{7, 5}, {8, 2}})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(1, {{7, 4}, {8, 9}})).ok());  // 7 too low
  ASSERT_TRUE(m.AddAgent(MakeAgent(2, {{7, 9}})).ok());          // no skill 8
  ASSERT_TRUE(m.AddAgent(MakeAgent(3, {{8, 2}, {7, 5}, {9, 1}})).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(1, 1)).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 3)));
  EXPECT_EQ(m.BestTaskFor(AgentId(1)), std::nullopt);
  EXPECT_EQ(m.BestTaskFor(AgentId(2)), std::nullopt);
  EXPECT_THAT(m.BestTaskFor(AgentId(3)), Optional(Pair(1, 3)));

  // Training: agent 1 reaches level 5 and becomes eligible (and, being the
  // lower id at equal idle time, first).
  Agent trained = *m.FindAgent(AgentId(1));
  trained.skills = {{7, 5}, {8, 9}};
  ASSERT_TRUE(m.UpdateAgent(trained).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 1)));
}

TEST(MatcherTest, AgentMustServeTheChannel) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(1, {}, kChat)).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(2, {}, kEmail)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(1, 1, CHANNEL_EMAIL)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(2, 1, CHANNEL_CHAT)).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 2)));
  EXPECT_THAT(m.BestAgentFor(TaskId(2)), Optional(Pair(2, 1)));
  EXPECT_THAT(m.BestTaskFor(AgentId(1)), Optional(Pair(2, 1)));
  EXPECT_THAT(m.BestTaskFor(AgentId(2)), Optional(Pair(1, 2)));
}

TEST(MatcherTest, OnlyAvailableAgentsAreChosen) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(1, {})).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(1, 1)).ok());
  for (Presence p : {Presence::kBusy, Presence::kAway, Presence::kOffline}) {
    Agent a = *m.FindAgent(AgentId(1));
    a.presence = p;
    ASSERT_TRUE(m.UpdateAgent(a).ok());
    EXPECT_EQ(m.BestAgentFor(TaskId(1)), std::nullopt);
    EXPECT_EQ(m.BestTaskFor(AgentId(1)), std::nullopt);
  }
  Agent a = *m.FindAgent(AgentId(1));
  a.presence = Presence::kAvailable;
  ASSERT_TRUE(m.UpdateAgent(a).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 1)));
}

TEST(MatcherTest, CapacityLeftMustCoverTheChannelCost) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {})).ok());
  Agent a = MakeAgent(1, {}, kEmail | kChat | kVoice, /*capacity=*/4);
  a.load = 2;  // 2 left: email (1) and chat (2) fit, voice (4) does not
  ASSERT_TRUE(m.AddAgent(a).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(1, 1, CHANNEL_EMAIL)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(2, 1, CHANNEL_CHAT)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(3, 1, CHANNEL_VOICE, /*priority=*/9)).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 1)));
  EXPECT_THAT(m.BestAgentFor(TaskId(2)), Optional(Pair(2, 1)));
  EXPECT_EQ(m.BestAgentFor(TaskId(3)), std::nullopt);
  // The voice task has the highest priority, but does not fit.
  EXPECT_THAT(m.BestTaskFor(AgentId(1)), Optional(Pair(1, 1)));

  a.load = 3;  // 1 left: email only
  ASSERT_TRUE(m.UpdateAgent(a).ok());
  EXPECT_EQ(m.BestAgentFor(TaskId(2)), std::nullopt);
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 1)));

  a.costs[CHANNEL_EMAIL] = 2;  // a per-agent cost overrides the default
  ASSERT_TRUE(m.UpdateAgent(a).ok());
  EXPECT_EQ(m.BestAgentFor(TaskId(1)), std::nullopt);

  a.load = 0;
  ASSERT_TRUE(m.UpdateAgent(a).ok());
  EXPECT_THAT(m.BestTaskFor(AgentId(1)), Optional(Pair(3, 1)));

  a.capacity = 0;
  a.load = 2;  // over capacity after a cut: takes nothing
  ASSERT_TRUE(m.UpdateAgent(a).ok());
  EXPECT_EQ(m.BestTaskFor(AgentId(1)), std::nullopt);
}

TEST(MatcherTest, AnActiveCallExcludesEverythingElse) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {})).ok());
  Agent a = MakeAgent(1, {}, kEmail | kChat | kVoice, /*capacity=*/10);
  a.load = 4;
  a.active_channels = kVoice;
  ASSERT_TRUE(m.AddAgent(a).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(1, 1, CHANNEL_EMAIL)).ok());
  EXPECT_EQ(m.BestAgentFor(TaskId(1)), std::nullopt);
  EXPECT_EQ(m.BestTaskFor(AgentId(1)), std::nullopt);

  // A chat is not exclusive: with capacity left, email is fine during it.
  a.active_channels = kChat;
  ASSERT_TRUE(m.UpdateAgent(a).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 1)));

  // Exclusive channels are per agent.
  a.exclusive_channels = kChat | kVoice;
  ASSERT_TRUE(m.UpdateAgent(a).ok());
  EXPECT_EQ(m.BestAgentFor(TaskId(1)), std::nullopt);
}

TEST(MatcherTest, ExcludedAgentsAreSkipped) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(1, {})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(2, {})).ok());
  Task t1 = MakeTask(1, 1, CHANNEL_EMAIL, /*priority=*/5);
  t1.excluded = {AgentId(1)};
  ASSERT_TRUE(m.Enqueue(t1).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(2, 1, CHANNEL_EMAIL, /*priority=*/1)).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 2)));
  // Agent 1 gets the lower-priority task it is not excluded from.
  EXPECT_THAT(m.BestTaskFor(AgentId(1)), Optional(Pair(2, 1)));
  EXPECT_THAT(m.BestTaskFor(AgentId(2)), Optional(Pair(1, 2)));

  ASSERT_TRUE(m.ExcludeAgent(TaskId(1), AgentId(2)).ok());
  EXPECT_EQ(m.BestAgentFor(TaskId(1)), std::nullopt);
  EXPECT_THAT(m.BestTaskFor(AgentId(2)), Optional(Pair(2, 2)));
}

// --- Strategies -------------------------------------------------------------

// Three agents whose orders differ by strategy:
//   agent  last end  load/capacity  rr counter  skill 1 level
//   1      t+20      3/4 (spare 1)  7           9
//   2      t+10      0/4 (spare 4)  5           4
//   3      t+30      1/4 (spare 3)  2           6
class StrategyTest : public ::testing::Test {
 protected:
  void AddAgents(Matcher& m) {
    const absl::Time t = absl::FromUnixSeconds(1'000'000);
    struct Row {
      uint64_t id;
      int end_offset;
      int load;
      uint64_t rr;
      int level;
    };
    for (const Row& r : {Row{1, 20, 3, 7, 9}, Row{2, 10, 0, 5, 4}, Row{3, 30, 1, 2, 6}}) {
      Agent a = MakeAgent(r.id, {{1, r.level}});
      a.last_assignment_end = t + absl::Seconds(r.end_offset);
      a.load = r.load;
      a.round_robin_counter = r.rr;
      ASSERT_TRUE(m.AddAgent(a).ok());
    }
  }

  uint64_t Choose(SelectionStrategy strategy) {
    Matcher m;
    EXPECT_TRUE(m.AddQueue(MakeQueue(1, {{1, 1}}, strategy)).ok());
    AddAgents(m);
    EXPECT_TRUE(m.Enqueue(MakeTask(1, 1)).ok());
    std::optional<Assignment> a = m.BestAgentFor(TaskId(1));
    return a.has_value() ? a->agent.value() : 0;
  }
};

TEST_F(StrategyTest, LongestIdleTakesTheEarliestLastEnd) {
  EXPECT_EQ(Choose(SelectionStrategy::kLongestIdle), 2u);
}
TEST_F(StrategyTest, MostSpareCapacityTakesTheLargestSpare) {
  EXPECT_EQ(Choose(SelectionStrategy::kMostSpareCapacity), 2u);
}
TEST_F(StrategyTest, RoundRobinTakesTheLowestCounter) {
  EXPECT_EQ(Choose(SelectionStrategy::kRoundRobin), 3u);
}
TEST_F(StrategyTest, BestSkillLevelTakesTheHighestLevel) {
  EXPECT_EQ(Choose(SelectionStrategy::kBestSkillLevel), 1u);
}

TEST(MatcherTest, StrategyTiesGoToTheLowestAgentId) {
  for (SelectionStrategy s :
       {SelectionStrategy::kLongestIdle, SelectionStrategy::kMostSpareCapacity,
        SelectionStrategy::kRoundRobin, SelectionStrategy::kBestSkillLevel}) {
    Matcher m;
    ASSERT_TRUE(m.AddQueue(MakeQueue(1, {{1, 1}}, s)).ok());
    for (uint64_t id : {9, 4, 7}) ASSERT_TRUE(m.AddAgent(MakeAgent(id, {{1, 3}})).ok());
    ASSERT_TRUE(m.Enqueue(MakeTask(1, 1)).ok());
    EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 4)));
  }
}

TEST(MatcherTest, BestSkillLevelSumsTheRequiredSkills) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {{1, 1}, {2, 1}}, SelectionStrategy::kBestSkillLevel)).ok());
  // Sums over skills 1 and 2 only: 5+5=10, 9+2=11, 3+3=6 (skill 3 ignored).
  ASSERT_TRUE(m.AddAgent(MakeAgent(1, {{1, 5}, {2, 5}})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(2, {{1, 9}, {2, 2}})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(3, {{1, 3}, {2, 3}, {3, 10}})).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(1, 1)).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 2)));
}

TEST(MatcherTest, RoundRobinRotatesAsTheCounterIsBumped) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {}, SelectionStrategy::kRoundRobin)).ok());
  for (uint64_t id : {1, 2, 3}) ASSERT_TRUE(m.AddAgent(MakeAgent(id, {}, kEmail, 100)).ok());
  std::vector<uint64_t> chosen;
  for (uint64_t t = 1; t <= 6; ++t) {
    ASSERT_TRUE(m.Enqueue(MakeTask(t, 1)).ok());
    std::optional<Assignment> a = m.BestAgentFor(TaskId(t));
    ASSERT_TRUE(a.has_value());
    chosen.push_back(a->agent.value());
    // What the fold does on assignment.
    ASSERT_TRUE(m.Cancel(TaskId(t)).ok());
    Agent agent = *m.FindAgent(a->agent);
    agent.load += 1;
    agent.round_robin_counter += 1;
    ASSERT_TRUE(m.UpdateAgent(agent).ok());
  }
  EXPECT_THAT(chosen, ::testing::ElementsAre(1, 2, 3, 1, 2, 3));
}

// --- Task order ----------------------------------------------------------------

TEST(MatcherTest, TasksGoByPriorityThenArrivalAcrossQueues) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {{1, 1}})).ok());
  ASSERT_TRUE(m.AddQueue(MakeQueue(2, {{2, 1}})).ok());
  ASSERT_TRUE(m.AddQueue(MakeQueue(3, {{3, 1}})).ok());  // agent lacks skill 3
  ASSERT_TRUE(m.AddAgent(MakeAgent(1, {{1, 1}, {2, 1}}, kEmail | kChat, 100)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(1, 1, CHANNEL_EMAIL, 5, /*arrival=*/40)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(2, 2, CHANNEL_CHAT, 7, /*arrival=*/50)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(3, 1, CHANNEL_EMAIL, 7, /*arrival=*/30)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(4, 2, CHANNEL_EMAIL, 5, /*arrival=*/10)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(5, 3, CHANNEL_EMAIL, 99, /*arrival=*/1)).ok());
  // Equal arrival: the lower task id first.
  ASSERT_TRUE(m.Enqueue(MakeTask(7, 1, CHANNEL_EMAIL, 5, /*arrival=*/10)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(6, 2, CHANNEL_CHAT, 5, /*arrival=*/10)).ok());
  std::vector<uint64_t> order;
  while (std::optional<Assignment> a = m.BestTaskFor(AgentId(1))) {
    order.push_back(a->task.value());
    ASSERT_TRUE(m.Cancel(a->task).ok());
  }
  EXPECT_THAT(order, ::testing::ElementsAre(3, 2, 4, 6, 7, 1));
  EXPECT_EQ(m.waiting_count(), 1u);  // task 5, for nobody here
}

TEST(MatcherTest, CancelRemovesTheTask) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(1, {})).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(1, 1, CHANNEL_EMAIL, 9)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(2, 1, CHANNEL_EMAIL, 1)).ok());
  ASSERT_TRUE(m.Cancel(TaskId(1)).ok());
  EXPECT_EQ(m.BestAgentFor(TaskId(1)), std::nullopt);
  EXPECT_THAT(m.BestTaskFor(AgentId(1)), Optional(Pair(2, 1)));
  EXPECT_EQ(m.Cancel(TaskId(1)).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(m.Cancel(TaskId(2)).ok());
  EXPECT_EQ(m.BestTaskFor(AgentId(1)), std::nullopt);
  EXPECT_EQ(m.waiting_count(), 0u);
  // The id can wait again.
  EXPECT_TRUE(m.Enqueue(MakeTask(1, 1)).ok());
}

// A peak of waiting tasks, then most leave: the matcher moves the rest to a
// smaller slab (its keys carry slots), and the order, the exclusions and the
// preferred agents of those left are as before.
TEST(MatcherTest, TasksLeftAfterAPeakKeepTheirOrderAndDetails) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(1, {}, kEmail | kChat | kVoice, 100)).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(2, {}, kEmail | kChat | kVoice, 100)).ok());
  constexpr uint64_t kPeak = 20'000;
  for (uint64_t id = 1; id <= kPeak; ++id) {
    Task t = MakeTask(id, 1, id % 2 == 0 ? CHANNEL_EMAIL : CHANNEL_CHAT,
                      /*priority=*/static_cast<int64_t>(id % 7), /*arrival=*/kPeak - id + 1);
    if (id % 10 == 0) t.preferred_agent = AgentId(2);
    if (id % 15 == 0) t.excluded.push_back(AgentId(1));
    ASSERT_TRUE(m.Enqueue(t).ok());
  }
  // Every task but one in 100 leaves; compaction happens along the way.
  for (uint64_t id = 1; id <= kPeak; ++id) {
    if (id % 100 != 0) ASSERT_TRUE(m.Cancel(TaskId(id)).ok()) << id;
  }
  ASSERT_EQ(m.waiting_count(), kPeak / 100);
  for (uint64_t id = 100; id <= kPeak; id += 100) {
    const Task* t = m.FindTask(TaskId(id));
    ASSERT_NE(t, nullptr) << id;
    EXPECT_EQ(t->id, TaskId(id));
    EXPECT_EQ(t->priority, static_cast<int64_t>(id % 7));
    EXPECT_EQ(t->preferred_agent, AgentId(2)) << id;  // every 100th is a 10th
    EXPECT_EQ(t->excluded.size(), id % 15 == 0 ? 1u : 0u) << id;
  }
  // Agent 1 takes the rest in task order: priority first, then arrival
  // (later ids arrived earlier), never an excluded one.
  std::vector<uint64_t> expected;
  for (uint64_t id = 100; id <= kPeak; id += 100) {
    if (id % 15 != 0) expected.push_back(id);
  }
  std::sort(expected.begin(), expected.end(), [](uint64_t a, uint64_t b) {
    return a % 7 != b % 7 ? a % 7 > b % 7 : a > b;
  });
  std::vector<uint64_t> order;
  while (std::optional<Assignment> a = m.BestTaskFor(AgentId(1))) {
    order.push_back(a->task.value());
    ASSERT_TRUE(m.Cancel(a->task).ok());
  }
  EXPECT_EQ(order, expected);
  // What agent 1 may not take is still there for agent 2.
  EXPECT_EQ(m.waiting_count(), kPeak / 100 - expected.size());
  EXPECT_THAT(m.BestTaskFor(AgentId(2)), Optional(::testing::Field(&Assignment::agent, AgentId(2))));
}

TEST(MatcherTest, ReenqueueAfterDeclineGoesToAnotherAgent) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {}, SelectionStrategy::kLongestIdle)).ok());
  Agent a1 = MakeAgent(1, {});
  a1.last_assignment_end = absl::FromUnixSeconds(10);
  Agent a2 = MakeAgent(2, {});
  a2.last_assignment_end = absl::FromUnixSeconds(20);
  ASSERT_TRUE(m.AddAgent(a1).ok());
  ASSERT_TRUE(m.AddAgent(a2).ok());
  Task t = MakeTask(1, 1);
  ASSERT_TRUE(m.Enqueue(t).ok());
  ASSERT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 1)));
  // Offered (leaves the queue), declined: back with agent 1 excluded.
  ASSERT_TRUE(m.Cancel(TaskId(1)).ok());
  t.excluded.push_back(AgentId(1));
  ASSERT_TRUE(m.Enqueue(t).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 2)));
  EXPECT_EQ(m.BestTaskFor(AgentId(1)), std::nullopt);
  // Agent 2 lets the offer expire too: nobody is left.
  ASSERT_TRUE(m.ExcludeAgent(TaskId(1), AgentId(2)).ok());
  EXPECT_EQ(m.BestAgentFor(TaskId(1)), std::nullopt);
  EXPECT_EQ(m.FindTask(TaskId(1))->excluded.size(), 2u);
}

TEST(MatcherTest, FreedCapacityTakesTheBestTaskThatFits) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {{1, 3}})).ok());
  ASSERT_TRUE(m.AddQueue(MakeQueue(2, {{2, 8}})).ok());
  Agent a = MakeAgent(1, {{1, 5}, {2, 4}}, kEmail | kChat | kVoice, /*capacity=*/4);
  a.load = 4;
  ASSERT_TRUE(m.AddAgent(a).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(1, 2, CHANNEL_EMAIL, 100)).ok());  // level 8 needed
  ASSERT_TRUE(m.Enqueue(MakeTask(2, 1, CHANNEL_VOICE, 50)).ok());   // needs 4 units
  ASSERT_TRUE(m.Enqueue(MakeTask(3, 1, CHANNEL_CHAT, 20)).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(4, 1, CHANNEL_EMAIL, 10)).ok());
  EXPECT_EQ(m.BestTaskFor(AgentId(1)), std::nullopt);  // full

  a.load = 2;  // a chat of 2 units ends
  ASSERT_TRUE(m.UpdateAgent(a).ok());
  EXPECT_THAT(m.BestTaskFor(AgentId(1)), Optional(Pair(3, 1)));
  a.load = 0;
  ASSERT_TRUE(m.UpdateAgent(a).ok());
  EXPECT_THAT(m.BestTaskFor(AgentId(1)), Optional(Pair(2, 1)));
}

TEST(MatcherTest, PreferredAgentComesFirstWhenEligible) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(1, {})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(2, {})).ok());
  Task sticky = MakeTask(1, 1, CHANNEL_EMAIL, /*priority=*/0);
  sticky.preferred_agent = AgentId(2);
  ASSERT_TRUE(m.Enqueue(sticky).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(2, 1, CHANNEL_EMAIL, /*priority=*/9)).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 2)));
  // The owner takes their own conversation before a higher-priority task.
  EXPECT_THAT(m.BestTaskFor(AgentId(2)), Optional(Pair(1, 2)));
  EXPECT_THAT(m.BestTaskFor(AgentId(1)), Optional(Pair(2, 1)));

  Agent away = *m.FindAgent(AgentId(2));
  away.presence = Presence::kAway;
  ASSERT_TRUE(m.UpdateAgent(away).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 1)));
}

TEST(MatcherTest, QueuesAddedLaterAndRemovedAgents) {
  Matcher m;
  ASSERT_TRUE(m.AddAgent(MakeAgent(1, {{1, 5}})).ok());
  ASSERT_TRUE(m.AddAgent(MakeAgent(2, {{1, 2}})).ok());
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {{1, 3}})).ok());
  ASSERT_TRUE(m.Enqueue(MakeTask(1, 1)).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 1)));
  ASSERT_TRUE(m.RemoveAgent(AgentId(1)).ok());
  EXPECT_EQ(m.BestAgentFor(TaskId(1)), std::nullopt);
  EXPECT_EQ(m.BestTaskFor(AgentId(1)), std::nullopt);
  EXPECT_EQ(m.RemoveAgent(AgentId(1)).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(m.AddAgent(MakeAgent(1, {{1, 3}})).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 1)));
}

TEST(MatcherTest, ExtremeIdsAndRanksAreStillChosen) {
  // The largest agent id with the last possible rank in each strategy.
  constexpr uint64_t kTopId = std::numeric_limits<uint64_t>::max();
  for (SelectionStrategy s :
       {SelectionStrategy::kLongestIdle, SelectionStrategy::kMostSpareCapacity,
        SelectionStrategy::kRoundRobin, SelectionStrategy::kBestSkillLevel}) {
    Matcher m;
    ASSERT_TRUE(m.AddQueue(MakeQueue(1, {{1, 1}}, s)).ok());
    Agent a = MakeAgent(kTopId, {{1, 1}});
    a.last_assignment_end = absl::InfiniteFuture();
    a.round_robin_counter = std::numeric_limits<uint64_t>::max();
    a.load = 3;
    ASSERT_TRUE(m.AddAgent(a).ok());
    ASSERT_TRUE(m.Enqueue(MakeTask(1, 1)).ok());
    EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, kTopId)));
    // Another agent ranked the same goes first on the lower id.
    Agent b = a;
    b.id = AgentId(kTopId - 1);
    ASSERT_TRUE(m.AddAgent(b).ok());
    EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, kTopId - 1)));
    ASSERT_TRUE(m.ExcludeAgent(TaskId(1), b.id).ok());
    EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, kTopId)));
  }
}

TEST(MatcherTest, DeclinesSkipTheFrontRunnersInStrategyOrder) {
  Matcher m;
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {}, SelectionStrategy::kRoundRobin)).ok());
  // Counters 99, 98, ... 0: agent 100 first, then 99, ...
  for (uint64_t id = 1; id <= 100; ++id) {
    Agent a = MakeAgent(id, {});
    a.round_robin_counter = 100 - id;
    ASSERT_TRUE(m.AddAgent(a).ok());
  }
  Task t = MakeTask(1, 1);
  for (uint64_t id = 100; id > 60; --id) t.excluded.push_back(AgentId(id));
  ASSERT_TRUE(m.Enqueue(t).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 60)));
  // The next in line is busy with a call: the one after it.
  Agent busy = *m.FindAgent(AgentId(60));
  busy.active_channels = kVoice;
  ASSERT_TRUE(m.UpdateAgent(busy).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 59)));
  for (uint64_t id = 1; id <= 59; ++id) ASSERT_TRUE(m.ExcludeAgent(TaskId(1), AgentId(id)).ok());
  EXPECT_EQ(m.BestAgentFor(TaskId(1)), std::nullopt);
  busy.active_channels = 0;
  ASSERT_TRUE(m.UpdateAgent(busy).ok());
  EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 60)));
}

TEST(MatcherTest, ALoadChangeAndItsUndoRestoreTheChoice) {
  for (SelectionStrategy s :
       {SelectionStrategy::kLongestIdle, SelectionStrategy::kMostSpareCapacity,
        SelectionStrategy::kRoundRobin, SelectionStrategy::kBestSkillLevel}) {
    Matcher m;
    ASSERT_TRUE(m.AddQueue(MakeQueue(1, {{1, 1}}, s, kEmail | kVoice)).ok());
    for (uint64_t id = 1; id <= 5; ++id) {
      Agent a = MakeAgent(id, {{1, static_cast<int>(id)}}, kEmail | kVoice, /*capacity=*/4);
      a.last_assignment_end = absl::FromUnixSeconds(100 - id);
      a.round_robin_counter = 10 - id;
      a.load = id == 5 ? 0 : 1;
      ASSERT_TRUE(m.AddAgent(a).ok());
    }
    ASSERT_TRUE(m.Enqueue(MakeTask(1, 1, CHANNEL_EMAIL)).ok());
    ASSERT_TRUE(m.Enqueue(MakeTask(2, 1, CHANNEL_VOICE)).ok());
    // Agent 5 ranks first in every strategy; only they can take a call.
    ASSERT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 5)));
    ASSERT_THAT(m.BestAgentFor(TaskId(2)), Optional(Pair(2, 5)));
    const Agent before = *m.FindAgent(AgentId(5));
    Agent after = before;
    after.load = 2;
    after.round_robin_counter = 100;
    after.last_assignment_end = absl::FromUnixSeconds(1000);
    ASSERT_TRUE(m.UpdateAgent(after).ok());
    EXPECT_EQ(m.BestAgentFor(TaskId(2)), std::nullopt);
    // Next in line: the next earliest end, the lowest id among spares of 3,
    // the next lowest counter; the best skill level is still agent 5.
    const uint64_t next = s == SelectionStrategy::kMostSpareCapacity ? 1
                          : s == SelectionStrategy::kBestSkillLevel  ? 5
                                                                     : 4;
    EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, next)));
    ASSERT_TRUE(m.UpdateAgent(before).ok());
    EXPECT_THAT(m.BestAgentFor(TaskId(1)), Optional(Pair(1, 5)));
    EXPECT_THAT(m.BestAgentFor(TaskId(2)), Optional(Pair(2, 5)));
  }
}

TEST(MatcherTest, BadInputIsRejectedWithoutChange) {
  Matcher m;
  EXPECT_EQ(m.AddAgent(MakeAgent(0, {})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.AddAgent(MakeAgent(1, {{1, 11}})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.AddAgent(MakeAgent(1, {{1, 0}})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.AddAgent(MakeAgent(1, {{1, 2}, {1, 3}})).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.AddAgent(MakeAgent(1, {{kMaxSkillId + 1, 2}})).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.AddAgent(MakeAgent(1, {}, kEmail, -1)).code(),
            absl::StatusCode::kInvalidArgument);
  Agent zero_cost = MakeAgent(1, {});
  zero_cost.costs[CHANNEL_SMS] = 0;
  EXPECT_EQ(m.AddAgent(zero_cost).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(m.agent_count(), 0u);
  EXPECT_EQ(m.UpdateAgent(MakeAgent(1, {})).code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(m.AddQueue(MakeQueue(1, {}, SelectionStrategy::kRoundRobin, 0)).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(m.AddQueue(MakeQueue(1, {}, SelectionStrategy::kRoundRobin, kEmail)).ok());
  EXPECT_EQ(m.AddQueue(MakeQueue(1, {})).code(), absl::StatusCode::kAlreadyExists);

  EXPECT_EQ(m.Enqueue(MakeTask(1, 2)).code(), absl::StatusCode::kNotFound);
  absl::Status s = m.Enqueue(MakeTask(1, 1, CHANNEL_VOICE));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("task.channel"));
  EXPECT_EQ(m.Enqueue(MakeTask(1, 1, ::omniroute::v1::CHANNEL_UNSPECIFIED)).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(m.Enqueue(MakeTask(1, 1)).ok());
  EXPECT_EQ(m.Enqueue(MakeTask(1, 1)).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(m.ExcludeAgent(TaskId(9), AgentId(1)).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.waiting_count(), 1u);
  EXPECT_EQ(m.BestAgentFor(TaskId(9)), std::nullopt);
  EXPECT_EQ(m.BestTaskFor(AgentId(9)), std::nullopt);
}

}  // namespace
}  // namespace omniroute::routing
