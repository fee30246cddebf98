// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Scenario 4 of SCENARIOS.md, the routing side: public posts get priority by
// their author's reach, and RoutingSettings::max_public_boost bounds it so
// that private messages are not starved. A mixed load runs on a ManualClock;
// a small model of the ordering rule of include/omniroute/routing.h (points
// * aging_per_point - creation time, then creation order) predicts when each
// task is assigned, from the configured numbers alone.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "routing/routing_fixture.h"

namespace omniroute {
namespace {

using ::omniroute::testing_internal::DirectMessage;
using ::omniroute::testing_internal::MakeAgent;
using ::omniroute::testing_internal::MakeQueue;
using ::omniroute::testing_internal::PublicPost;
using ::omniroute::testing_internal::RoutingFixture;

namespace v1 = ::omniroute::v1;

constexpr Channel kPublic = v1::CHANNEL_PUBLIC_SOCIAL;
constexpr Channel kPrivate = v1::CHANNEL_PRIVATE_SOCIAL;

// A stream of public posts by authors with 10^8 followers and a few private
// messages, two agents who each take one task at a time for a minute.
struct Load {
  static constexpr int kAgents = 2;
  static constexpr absl::Duration kHandling = absl::Minutes(1);
  static constexpr absl::Duration kStep = absl::Seconds(30);
  static constexpr absl::Duration kEnd = absl::Minutes(20);
  static constexpr absl::Duration kPostsUntil = absl::Minutes(12);
  static constexpr int kPostsPerMinute = 2;
  static constexpr int64_t kReach = 100'000'000;  // 8 decades
  static constexpr absl::Duration kDmTarget = absl::Minutes(5);
  static constexpr absl::Duration kPostTarget = absl::Hours(24);
  static constexpr int kReachPointsPerDecade = 5;
  static constexpr int kBreachPoints = 50;
  static constexpr absl::Duration kAgingPerPoint = absl::Seconds(6);

  // Offsets of the private messages.
  static std::vector<absl::Duration> DmTimes() {
    std::vector<absl::Duration> out;
    for (int k = 0; k < 6; ++k) out.push_back(absl::Seconds(30) + k * absl::Minutes(2));
    return out;
  }
  // The arrivals at offset t, in order: true for a private message.
  static std::vector<bool> ArrivalsAt(absl::Duration t) {
    std::vector<bool> out;
    if (t < kPostsUntil && t % absl::Minutes(1) == absl::ZeroDuration()) {
      for (int i = 0; i < kPostsPerMinute; ++i) out.push_back(false);
    }
    return out;
  }
};

// What the rules of routing.h predict: at each step, due breaches first,
// then each agent done with their task takes the waiting task with the
// highest points * aging_per_point - created (the earliest created among
// equals), then the step's arrivals go to a free agent or wait.
struct Predicted {
  absl::Duration created;
  bool is_private;
  std::optional<absl::Duration> assigned;
};

std::vector<Predicted> Predict(int max_public_boost) {
  struct Waiting {
    int index;
    int64_t points;
    bool escalated = false;
  };
  std::vector<Predicted> tasks;
  std::vector<Waiting> waiting;
  std::vector<std::optional<absl::Duration>> busy_since(Load::kAgents);
  std::vector<int> holding(Load::kAgents, -1);
  const std::vector<absl::Duration> dms = Load::DmTimes();
  const int64_t boost = std::min<int64_t>(max_public_boost, Load::kReachPointsPerDecade * 8);
  auto take_best = [&](int agent, absl::Duration now) {
    if (waiting.empty()) return;
    auto key = [&](const Waiting& w) {
      return w.points * Load::kAgingPerPoint - tasks[w.index].created;
    };
    auto best =
        std::max_element(waiting.begin(), waiting.end(), [&](const Waiting& a, const Waiting& b) {
          if (key(a) != key(b)) return key(a) < key(b);
          return a.index > b.index;
        });
    tasks[best->index].assigned = now;
    holding[agent] = best->index;
    busy_since[agent] = now;
    waiting.erase(best);
  };
  for (absl::Duration t; t <= Load::kEnd; t += Load::kStep) {
    for (Waiting& w : waiting) {
      if (tasks[w.index].is_private && !w.escalated &&
          tasks[w.index].created + Load::kDmTarget <= t) {
        w.points += Load::kBreachPoints;
        w.escalated = true;
      }
    }
    for (int a = 0; a < Load::kAgents; ++a) {
      if (busy_since[a].has_value() && *busy_since[a] + Load::kHandling <= t) {
        busy_since[a].reset();
        holding[a] = -1;
        take_best(a, t);
      }
    }
    std::vector<bool> arrivals = Load::ArrivalsAt(t);
    if (std::find(dms.begin(), dms.end(), t) != dms.end()) arrivals.push_back(true);
    for (bool is_private : arrivals) {
      tasks.push_back({t, is_private, std::nullopt});
      waiting.push_back({static_cast<int>(tasks.size()) - 1, is_private ? 0 : boost});
      for (int a = 0; a < Load::kAgents; ++a) {
        if (!busy_since[a].has_value()) {
          take_best(a, t);
          break;
        }
      }
    }
  }
  return tasks;
}

class PublicBoostTest : public RoutingFixture, public ::testing::WithParamInterface<int> {};

TEST_P(PublicBoostTest, Scenario4PrivateMessagesAreServedAsTheBoundPredicts) {
  const int max_public_boost = GetParam();
  TenantOptions options;
  options.first_response_targets[kPublic] = Load::kPostTarget;
  options.first_response_targets[kPrivate] = Load::kDmTarget;
  Start(options);
  Queue(MakeQueue("social", {kPublic, kPrivate}));
  RoutingSettings settings;
  settings.default_queue = "social";
  settings.reach_points_per_decade = Load::kReachPointsPerDecade;
  settings.max_public_boost = max_public_boost;
  settings.sla_breach_points = Load::kBreachPoints;
  settings.aging_per_point = Load::kAgingPerPoint;
  Configure(settings);
  std::vector<std::string> agents;
  for (int a = 0; a < Load::kAgents; ++a) {
    AgentConfig agent = MakeAgent(absl::StrCat("agent", a), {kPublic, kPrivate}, 1);
    agent.exclusive_channels.clear();
    AddAgent(agent);
    agents.push_back(agent.id);
  }

  const absl::Time start = clock_.Now();
  const std::vector<absl::Duration> dms = Load::DmTimes();
  std::vector<TaskId> arrivals;  // in arrival order
  std::vector<std::optional<absl::Duration>> assigned;
  std::vector<std::optional<TaskId>> holding(Load::kAgents);
  std::vector<absl::Time> held_since(Load::kAgents);
  auto accept_offers = [&](absl::Duration t) {
    for (int a = 0; a < Load::kAgents; ++a) {
      for (TaskId offered : OffersTo(agents[a])) {
        Accept(offered, agents[a]);
        holding[a] = offered;
        held_since[a] = clock_.Now();
        for (size_t i = 0; i < arrivals.size(); ++i) {
          if (arrivals[i] == offered) assigned[i] = t;
        }
      }
    }
  };
  int n = 0;
  for (absl::Duration t; t <= Load::kEnd; t += Load::kStep) {
    clock_.AdvanceTo(start + t);
    RunTimers();
    accept_offers(t);
    for (int a = 0; a < Load::kAgents; ++a) {
      if (holding[a].has_value() && held_since[a] + Load::kHandling <= clock_.Now()) {
        Complete(*holding[a], agents[a]);
        holding[a].reset();
        accept_offers(t);
      }
    }
    std::vector<bool> kinds = Load::ArrivalsAt(t);
    if (std::find(dms.begin(), dms.end(), t) != dms.end()) kinds.push_back(true);
    for (bool is_private : kinds) {
      ++n;
      InboundMessage m = is_private
                             ? DirectMessage("x", absl::StrCat("dm", n), absl::StrCat("dm-", n))
                             : PublicPost("x", absl::StrCat("star", n), absl::StrCat("p-", n));
      if (!is_private) m.profile.reach = Load::kReach;
      const IngestResult r = Ingest(m);
      ASSERT_TRUE(r.task.has_value()) << m.external_id;
      const int64_t boost =
          is_private ? 0 : std::min<int64_t>(max_public_boost, Load::kReachPointsPerDecade * 8);
      EXPECT_EQ(Task(*r.task).priority_points, boost) << m.external_id;
      arrivals.push_back(*r.task);
      assigned.push_back(std::nullopt);
      accept_offers(t);
    }
  }

  const std::vector<Predicted> predicted = Predict(max_public_boost);
  ASSERT_EQ(predicted.size(), arrivals.size());
  absl::Duration longest_private_wait;
  for (size_t i = 0; i < predicted.size(); ++i) {
    EXPECT_EQ(assigned[i], predicted[i].assigned)
        << "arrival " << i << (predicted[i].is_private ? " (private)" : " (public)")
        << " created at +" << predicted[i].created;
    if (predicted[i].is_private) {
      ASSERT_TRUE(predicted[i].assigned.has_value());
      longest_private_wait =
          std::max(longest_private_wait, *predicted[i].assigned - predicted[i].created);
    }
  }
  // The queue's figures say the same.
  int64_t assigned_total = 0;
  int64_t within_target = 0;
  for (const Predicted& p : predicted) {
    if (!p.assigned.has_value()) continue;
    ++assigned_total;
    const absl::Duration target = p.is_private ? Load::kDmTarget : Load::kPostTarget;
    if (*p.assigned - p.created <= target) ++within_target;
  }
  const QueueStats stats = Stats("social");
  EXPECT_EQ(stats.entered, static_cast<int64_t>(predicted.size()));
  EXPECT_EQ(stats.assigned_total, assigned_total);
  EXPECT_EQ(stats.assigned_within_target, within_target);

  if (max_public_boost <= 20) {
    // Bounded: every private message is taken within its target...
    EXPECT_LE(longest_private_wait, Load::kDmTarget);
  } else {
    // ...which a boost left unbounded would not give.
    EXPECT_GT(longest_private_wait, Load::kDmTarget);
  }
}

INSTANTIATE_TEST_SUITE_P(Boosts, PublicBoostTest, ::testing::Values(20, 100),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return absl::StrCat("MaxPublicBoost", info.param);
                         });

}  // namespace
}  // namespace omniroute
