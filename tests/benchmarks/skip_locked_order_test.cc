// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The SKIP LOCKED baseline (benchmarks/skip_locked/baseline.sql) against a
// real PostgreSQL: first its rules one by one on hand-made cases, then the
// whole order of assignments on a seeded workload, claim by claim the same
// as omniroute's matcher (lib/routing/matcher.h), so that the benchmark
// compares two routers that make the same decisions.

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "routing/matcher.h"
#include "skip_locked/skip_locked_queue.h"
#include "store/postgres_test_server.h"

namespace omniroute::routing {
namespace {

using ::omniroute::baseline::BaselineSql;
using ::omniroute::baseline::SkipLockedQueue;
using ::omniroute::testing_internal::NewPostgresDatabase;
using ::omniroute::v1::CHANNEL_CHAT;
using ::omniroute::v1::CHANNEL_EMAIL;
using ::omniroute::v1::CHANNEL_VOICE;
using ::testing::HasSubstr;

class SkipLockedOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<BaselineSql> sql = baseline::ReadBaselineSql(OMNIROUTE_BASELINE_SQL);
    ASSERT_TRUE(sql.ok()) << sql.status();
    const std::string conninfo = NewPostgresDatabase();
    ASSERT_FALSE(conninfo.empty());
    absl::StatusOr<std::unique_ptr<SkipLockedQueue>> queue =
        SkipLockedQueue::CreateSchema(conninfo, *sql);
    ASSERT_TRUE(queue.ok()) << queue.status();
    queue_ = *std::move(queue);
  }

  static Queue MakeQueue(uint64_t id, std::vector<SkillLevel> skills, ChannelMask channels) {
    Queue queue;
    queue.id = QueueId(id);
    queue.required_skills = std::move(skills);
    queue.channels = channels;
    return queue;
  }
  static Agent MakeAgent(uint64_t id, std::vector<SkillLevel> skills, ChannelMask channels) {
    Agent agent;
    agent.id = AgentId(id);
    agent.skills = std::move(skills);
    agent.channels = channels;
    agent.capacity = 4;
    agent.presence = Presence::kAvailable;
    return agent;
  }
  static Task MakeTask(uint64_t id, uint64_t queue, Channel channel, int64_t priority,
                       uint64_t arrival) {
    Task task;
    task.id = TaskId(id);
    task.queue = QueueId(queue);
    task.channel = channel;
    task.priority = priority;
    task.arrival = arrival;
    return task;
  }

  // The task the baseline gives `agent`, 0 for none.
  uint64_t Claim(uint64_t agent) {
    absl::StatusOr<std::optional<SkipLockedQueue::Claimed>> claimed = queue_->Claim(AgentId(agent));
    EXPECT_TRUE(claimed.ok()) << claimed.status();
    if (!claimed.ok() || !claimed->has_value()) return 0;
    return (*claimed)->task.value();
  }

  std::unique_ptr<SkipLockedQueue> queue_;
};

constexpr ChannelMask kEmail = MaskOf(CHANNEL_EMAIL);
constexpr ChannelMask kVoice = MaskOf(CHANNEL_VOICE);
constexpr ChannelMask kChat = MaskOf(CHANNEL_CHAT);

TEST_F(SkipLockedOrderTest, AnAgentNeedsEverySkillAtItsLevelOrAbove) {
  ASSERT_TRUE(queue_->AddQueue(MakeQueue(1, {{7, 3}, {2, 1}}, kEmail)).ok());
  ASSERT_TRUE(queue_->AddAgent(MakeAgent(1, {{7, 2}, {2, 5}}, kEmail)).ok());  // 7 too low
  ASSERT_TRUE(queue_->AddAgent(MakeAgent(2, {{7, 9}}, kEmail)).ok());          // lacks 2
  ASSERT_TRUE(queue_->AddAgent(MakeAgent(3, {{7, 3}, {2, 1}}, kEmail)).ok());
  ASSERT_TRUE(queue_->Enqueue(MakeTask(10, 1, CHANNEL_EMAIL, 0, 1)).ok());
  EXPECT_EQ(Claim(1), 0u);
  EXPECT_EQ(Claim(2), 0u);
  EXPECT_EQ(Claim(3), 10u);
  EXPECT_EQ(Claim(3), 0u);  // taken
}

TEST_F(SkipLockedOrderTest, PriorityFirstThenArrivalThenId) {
  ASSERT_TRUE(queue_->AddQueue(MakeQueue(1, {}, kEmail)).ok());
  ASSERT_TRUE(queue_->AddAgent(MakeAgent(1, {}, kEmail)).ok());
  ASSERT_TRUE(queue_->Enqueue(MakeTask(1, 1, CHANNEL_EMAIL, 1, 5)).ok());
  ASSERT_TRUE(queue_->Enqueue(MakeTask(2, 1, CHANNEL_EMAIL, 1, 2)).ok());
  ASSERT_TRUE(queue_->Enqueue(MakeTask(3, 1, CHANNEL_EMAIL, 2, 9)).ok());
  ASSERT_TRUE(queue_->Enqueue(MakeTask(5, 1, CHANNEL_EMAIL, 1, 2)).ok());
  // Capacity 4 at cost 1: the agent takes all four, best first.
  EXPECT_EQ(Claim(1), 3u);
  EXPECT_EQ(Claim(1), 2u);
  EXPECT_EQ(Claim(1), 5u);
  EXPECT_EQ(Claim(1), 1u);
}

TEST_F(SkipLockedOrderTest, CapacityChannelsAndACallTakeTheirPlace) {
  ASSERT_TRUE(queue_->AddQueue(MakeQueue(1, {}, kEmail | kVoice | kChat)).ok());
  ASSERT_TRUE(queue_->AddAgent(MakeAgent(1, {}, kEmail | kVoice)).ok());
  ASSERT_TRUE(queue_->Enqueue(MakeTask(1, 1, CHANNEL_CHAT, 9, 1)).ok());   // not served
  ASSERT_TRUE(queue_->Enqueue(MakeTask(2, 1, CHANNEL_VOICE, 5, 2)).ok());  // costs 4
  ASSERT_TRUE(queue_->Enqueue(MakeTask(3, 1, CHANNEL_EMAIL, 1, 3)).ok());
  EXPECT_EQ(Claim(1), 2u);
  EXPECT_EQ(Claim(1), 0u);  // on the call, no capacity left
  ASSERT_TRUE(queue_->Complete(AgentId(1), TaskId(2)).ok());
  EXPECT_EQ(Claim(1), 3u);
  EXPECT_EQ(Claim(1), 0u);  // the chat is not its channel
  EXPECT_EQ(queue_->Complete(AgentId(1), TaskId(2)).code(), absl::StatusCode::kNotFound);
}

TEST_F(SkipLockedOrderTest, ATaskOfAnUnknownQueueIsRefused) {
  absl::Status s = queue_->Enqueue(MakeTask(1, 99, CHANNEL_EMAIL, 0, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("unknown queue 99"));
}

TEST(SkipLockedSqlTest, AMissingFileOrSectionIsNamed) {
  EXPECT_EQ(baseline::ReadBaselineSql("/nonexistent/baseline.sql").status().code(),
            absl::StatusCode::kNotFound);
  const std::string path = ::testing::TempDir() + "/partial_baseline.sql";
  {
    std::ofstream out(path);
    out << "-- name: schema\nCREATE TABLE t (x int);\n-- name: claim\nSELECT 1;\n";
  }
  absl::StatusOr<BaselineSql> partial = baseline::ReadBaselineSql(path);
  EXPECT_EQ(partial.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(partial.status().message(), HasSubstr("-- name: add_queue"));
  std::remove(path.c_str());
}

// The whole order: agents claim in turns, each holding up to its capacity,
// and end their oldest task every few turns; the baseline and the matcher
// must hand out the same task at every claim.
TEST_F(SkipLockedOrderTest, AssignsInTheMatchersOrderOnASeededWorkload) {
  std::mt19937_64 rng(20261207);
  Matcher matcher;
  const Channel kChannels[] = {CHANNEL_EMAIL, CHANNEL_CHAT, CHANNEL_VOICE};
  std::vector<std::vector<Channel>> queue_channels;
  for (uint64_t q = 1; q <= 5; ++q) {
    std::vector<SkillLevel> skills = {{static_cast<SkillId>(q % 3), static_cast<int>(1 + q % 4)}};
    if (q % 2 == 0) skills.push_back({static_cast<SkillId>(3 + q % 2), 1});
    std::vector<Channel> channels = {kChannels[q % 3], kChannels[(q + 1) % 3]};
    ChannelMask mask = 0;
    for (Channel c : channels) mask |= MaskOf(c);
    Queue queue = MakeQueue(q, skills, mask);
    ASSERT_TRUE(matcher.AddQueue(queue).ok());
    ASSERT_TRUE(queue_->AddQueue(queue).ok());
    queue_channels.push_back(channels);
  }
  std::map<uint64_t, Agent> agents;
  for (uint64_t a = 1; a <= 6; ++a) {
    std::vector<SkillLevel> skills;
    for (SkillId s = 0; s < 5; ++s) {
      if (rng() % 3 != 0) skills.push_back({s, static_cast<int>(1 + rng() % 5)});
    }
    ChannelMask channels = kEmail;
    if (rng() % 2 == 0) channels |= kChat;
    if (rng() % 2 == 0) channels |= kVoice;
    Agent agent = MakeAgent(a, skills, channels);
    ASSERT_TRUE(matcher.AddAgent(agent).ok());
    ASSERT_TRUE(queue_->AddAgent(agent).ok());
    agents[a] = agent;
  }
  std::vector<Task> tasks;
  for (uint64_t t = 1; t <= 120; ++t) {
    const uint64_t q = 1 + rng() % 5;
    const std::vector<Channel>& channels = queue_channels[q - 1];
    // Few priorities and shuffled arrivals, so that ties are broken by
    // arrival and by id.
    tasks.push_back(MakeTask(t, q, channels[rng() % channels.size()],
                             static_cast<int64_t>(rng() % 3), 1 + rng() % 40));
  }
  for (const Task& task : tasks) ASSERT_TRUE(matcher.Enqueue(task).ok());
  ASSERT_TRUE(queue_->EnqueueAll(tasks).ok());

  std::map<uint64_t, std::vector<Task>> held;  // by agent, oldest first
  auto update = [&](uint64_t a) {
    Agent& agent = agents[a];
    agent.load = 0;
    agent.active_channels = 0;
    for (const Task& task : held[a]) {
      agent.load += agent.costs[task.channel];
      agent.active_channels |= MaskOf(task.channel);
    }
    ASSERT_TRUE(matcher.UpdateAgent(agent).ok());
  };
  std::vector<std::pair<uint64_t, uint64_t>> order;
  for (int turn = 0; turn < 400; ++turn) {
    const uint64_t a = 1 + turn % 6;
    std::optional<Assignment> expected = matcher.BestTaskFor(AgentId(a));
    const uint64_t claimed = Claim(a);
    ASSERT_EQ(claimed, expected.has_value() ? expected->task.value() : 0)
        << "turn " << turn << ", agent " << a;
    if (claimed != 0) {
      const Task task = *matcher.FindTask(TaskId(claimed));
      ASSERT_TRUE(matcher.Cancel(task.id).ok());
      held[a].push_back(task);
      update(a);
      order.push_back({a, claimed});
    }
    if (turn % 4 == 3) {
      // Every agent ends its oldest task.
      for (auto& [agent, list] : held) {
        if (list.empty()) continue;
        ASSERT_TRUE(queue_->Complete(AgentId(agent), list.front().id).ok());
        list.erase(list.begin());
        update(agent);
      }
    }
  }
  // Not a trivial run: most tasks went out, to several agents, calls too.
  EXPECT_GT(order.size(), 60u);
  std::map<uint64_t, int> per_agent;
  int calls = 0;
  for (const auto& [agent, task] : order) {
    ++per_agent[agent];
    calls += tasks[task - 1].channel == CHANNEL_VOICE;
  }
  EXPECT_GE(per_agent.size(), 3u);
  EXPECT_GT(calls, 0);
}

}  // namespace
}  // namespace omniroute::routing
