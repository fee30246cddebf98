// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A differential test of the routing matcher: thousands of random operations
// (agents joining, changing presence, load, skills and channels, leaving and
// coming back; queues added; tasks arriving, cancelled, declined and
// assigned), with fixed seeds, after which the matcher and a brute-force
// reference that scans every agent or task must give the same answer to
// every question. Three shapes: a small tenant where ties are common, a
// larger one (hundreds of agents, many declines per task) and one whose ids
// and ranks sit at the ends of their ranges.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "routing/matcher.h"

namespace omniroute::routing {
namespace {

using ::omniroute::v1::CHANNEL_CHAT;
using ::omniroute::v1::CHANNEL_EMAIL;
using ::omniroute::v1::CHANNEL_PUBLIC_SOCIAL;
using ::omniroute::v1::CHANNEL_SMS;
using ::omniroute::v1::CHANNEL_VOICE;

constexpr ChannelMask kEmail = MaskOf(CHANNEL_EMAIL);
constexpr ChannelMask kChat = MaskOf(CHANNEL_CHAT);
constexpr ChannelMask kVoice = MaskOf(CHANNEL_VOICE);

// The rules of matcher.h, checked by scanning every agent or task.
class Reference {
 public:
  std::map<AgentId, Agent> agents;
  std::map<QueueId, Queue> queues;
  std::map<TaskId, Task> tasks;

  std::optional<Assignment> BestAgentFor(TaskId id) const {
    auto t = tasks.find(id);
    if (t == tasks.end()) return std::nullopt;
    const Task& task = t->second;
    if (task.preferred_agent.has_value()) {
      auto a = agents.find(*task.preferred_agent);
      if (a != agents.end() && CanTake(a->second, task)) return Assignment{id, a->first};
    }
    const Queue& queue = queues.at(task.queue);
    const Agent* best = nullptr;
    for (const auto& [agent_id, agent] : agents) {
      if (!CanTake(agent, task)) continue;
      if (best == nullptr || AgentBefore(queue, agent, *best)) best = &agent;
    }
    if (best == nullptr) return std::nullopt;
    return Assignment{id, best->id};
  }

  std::optional<Assignment> BestTaskFor(AgentId id) const {
    auto a = agents.find(id);
    if (a == agents.end()) return std::nullopt;
    const Task* best = nullptr;
    const Task* best_preferring = nullptr;
    for (const auto& [task_id, task] : tasks) {
      if (!CanTake(a->second, task)) continue;
      const Task*& slot = task.preferred_agent == id ? best_preferring : best;
      if (slot == nullptr || TaskBefore(task, *slot)) slot = &task;
    }
    if (best_preferring != nullptr) best = best_preferring;
    if (best == nullptr) return std::nullopt;
    return Assignment{best->id, id};
  }

 private:
  static int Level(const Agent& agent, SkillId skill) {
    for (const SkillLevel& s : agent.skills) {
      if (s.skill == skill) return s.level;
    }
    return 0;
  }

  bool CanTake(const Agent& agent, const Task& task) const {
    if (agent.presence != Presence::kAvailable) return false;
    if ((agent.active_channels & agent.exclusive_channels) != 0) return false;
    if (!Contains(agent.channels, task.channel)) return false;
    if (agent.capacity - agent.load < agent.costs[task.channel]) return false;
    for (const SkillLevel& r : queues.at(task.queue).required_skills) {
      if (Level(agent, r.skill) < r.level) return false;
    }
    for (AgentId x : task.excluded) {
      if (x == agent.id) return false;
    }
    return true;
  }

  static bool TaskBefore(const Task& a, const Task& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.arrival != b.arrival) return a.arrival < b.arrival;
    return a.id < b.id;
  }

  static bool AgentBefore(const Queue& q, const Agent& a, const Agent& b) {
    switch (q.strategy) {
      case SelectionStrategy::kLongestIdle:
        if (a.last_assignment_end != b.last_assignment_end) {
          return a.last_assignment_end < b.last_assignment_end;
        }
        break;
      case SelectionStrategy::kMostSpareCapacity:
        if (a.capacity - a.load != b.capacity - b.load) {
          return a.capacity - a.load > b.capacity - b.load;
        }
        break;
      case SelectionStrategy::kRoundRobin:
        if (a.round_robin_counter != b.round_robin_counter) {
          return a.round_robin_counter < b.round_robin_counter;
        }
        break;
      case SelectionStrategy::kBestSkillLevel: {
        int sa = 0;
        int sb = 0;
        for (const SkillLevel& r : q.required_skills) {
          sa += Level(a, r.skill);
          sb += Level(b, r.skill);
        }
        if (sa != sb) return sa > sb;
        break;
      }
    }
    return a.id < b.id;
  }
};

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  // Uniform enough in [0, n); the engine's raw output keeps the sequence the
  // same on every standard library.
  uint64_t Below(uint64_t n) { return engine_() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }

 private:
  std::mt19937_64 engine_;
};

constexpr Channel kChannels[] = {CHANNEL_EMAIL, CHANNEL_CHAT, CHANNEL_VOICE, CHANNEL_SMS,
                                 CHANNEL_PUBLIC_SOCIAL};
constexpr int kSkills = 6;

ChannelMask RandomChannels(Random& rng) {
  ChannelMask mask = 0;
  for (Channel c : kChannels) {
    if (rng.Below(3) != 0) mask |= MaskOf(c);
  }
  return mask == 0 ? kEmail : mask;
}

std::vector<SkillLevel> RandomSkills(Random& rng, int max_count, int max_level) {
  std::vector<SkillLevel> skills;
  for (SkillId s = 0; s < kSkills; ++s) {
    if (static_cast<int>(skills.size()) < max_count && rng.OneIn(2)) {
      skills.push_back({s, 1 + static_cast<int>(rng.Below(max_level))});
    }
  }
  return skills;
}

// Small ranges on purpose, so that ties (idle times, spares, counters,
// scores, priorities, arrivals) are common and the id tie-break is exercised.
void Randomize(Random& rng, Agent& a, bool everything, bool extremes) {
  if (everything || rng.OneIn(8)) a.skills = RandomSkills(rng, 4, 10);
  if (everything || rng.OneIn(8)) a.channels = RandomChannels(rng);
  if (everything || rng.OneIn(6)) a.capacity = static_cast<int>(rng.Below(9));
  if (everything || rng.OneIn(2)) {
    // Mostly within capacity, sometimes over (a capacity cut while busy).
    a.load = static_cast<int>(rng.Below(rng.OneIn(5) ? 9 : uint64_t{1} + a.capacity));
  }
  if (everything || rng.OneIn(10)) {
    a.costs = DefaultChannelCosts();
    if (rng.OneIn(3)) a.costs[CHANNEL_EMAIL] = 1 + static_cast<int>(rng.Below(3));
  }
  if (everything || rng.OneIn(10)) a.exclusive_channels = rng.OneIn(4) ? kChat | kVoice : kVoice;
  if (everything || rng.OneIn(4)) {
    a.active_channels = rng.OneIn(3) ? MaskOf(kChannels[rng.Below(5)]) : 0;
  }
  if (everything || rng.OneIn(4)) {
    constexpr Presence kPresences[] = {Presence::kAvailable, Presence::kAvailable,
                                       Presence::kAvailable, Presence::kBusy,
                                       Presence::kAway, Presence::kOffline};
    a.presence = kPresences[rng.Below(6)];
  }
  if (everything || rng.OneIn(3)) {
    a.last_assignment_end =
        rng.OneIn(10) ? absl::InfinitePast() : absl::FromUnixSeconds(rng.Below(6));
    if (extremes && rng.OneIn(3)) {
      a.last_assignment_end = rng.OneIn(2) ? absl::InfiniteFuture() : absl::InfinitePast();
    }
  }
  if (everything || rng.OneIn(3)) {
    a.round_robin_counter = rng.Below(5);
    // Around 2^63 and just below 2^64 (a bump wraps to 0).
    constexpr uint64_t kMid = uint64_t{1} << 63;
    constexpr uint64_t kTop = std::numeric_limits<uint64_t>::max();
    if (extremes && rng.OneIn(2)) {
      a.round_robin_counter = (rng.OneIn(2) ? kMid : kTop) - rng.Below(3);
    }
  }
  if (extremes && (everything || rng.OneIn(4))) {
    // Capacity and load at the ends of int: spare -2^32 + 1 to 2^31 - 1.
    constexpr int kMaxInt = std::numeric_limits<int>::max();
    if (rng.OneIn(2)) a.capacity = rng.OneIn(2) ? kMaxInt : 0;
    if (rng.OneIn(2)) a.load = rng.OneIn(2) ? kMaxInt : 0;
  }
}

// The shape of one run.
struct Shape {
  int max_agents = 40;
  int max_queues = 12;
  int max_tasks = 300;
  // Agents are numbered 1, 2, 3... or, from the top, 2^64 - 1, 2^64 - 2...
  bool ids_from_top = false;
  // Extra declines per task on arrival: up to this many.
  int max_declines = 1;
  bool extremes = false;
};

template <typename Map>
auto PickKey(Random& rng, const Map& map) {
  auto it = map.begin();
  std::advance(it, rng.Below(map.size()));
  return it->first;
}

// Compares every question that can be asked now; counts the answers that
// were a match (not nullopt), to check below that the run was not vacuous.
void CheckAll(const Matcher& m, const Reference& ref, int step, int* matches) {
  for (const auto& [id, task] : ref.tasks) {
    std::optional<Assignment> want = ref.BestAgentFor(id);
    ASSERT_EQ(m.BestAgentFor(id), want) << "step " << step << " " << id;
    *matches += want.has_value();
  }
  for (const auto& [id, agent] : ref.agents) {
    std::optional<Assignment> want = ref.BestTaskFor(id);
    ASSERT_EQ(m.BestTaskFor(id), want) << "step " << step << " " << id;
    *matches += want.has_value();
  }
}

void RunDifferential(uint64_t seed, int steps, const Shape& shape) {
  Random rng(seed);
  Matcher m;
  Reference ref;
  uint64_t next_task = 1;
  uint64_t next_agent = 0;  // agents created so far
  uint64_t next_queue = 1;
  auto agent_id = [&](uint64_t k) {
    return AgentId(shape.ids_from_top ? std::numeric_limits<uint64_t>::max() - k : 1 + k);
  };
  // Any agent id seen so far: known, removed, or the next one to be created.
  auto some_agent = [&] { return agent_id(rng.Below(next_agent + 1)); };
  std::vector<Agent> removed;
  auto add_queue = [&] {
    Queue q;
    q.id = QueueId(next_queue++);
    q.required_skills = RandomSkills(rng, 2, 6);
    q.channels = RandomChannels(rng);
    q.strategy = static_cast<SelectionStrategy>(rng.Below(4));
    ASSERT_TRUE(m.AddQueue(q).ok());
    ref.queues[q.id] = q;
  };
  for (int i = 0; i < 3; ++i) add_queue();
  int decisions = 0;
  int matches = 0;

  for (int step = 0; step < steps; ++step) {
    const uint64_t op = rng.Below(100);
    if (op < 8 && static_cast<int>(ref.agents.size()) < shape.max_agents) {  // a new agent
      Agent a;
      if (!removed.empty() && rng.OneIn(3)) {  // one who left comes back
        a = removed.back();
        removed.pop_back();
        if (rng.OneIn(2)) Randomize(rng, a, /*everything=*/false, shape.extremes);
      } else {
        a.id = agent_id(next_agent++);
        Randomize(rng, a, /*everything=*/true, shape.extremes);
      }
      ASSERT_TRUE(m.AddAgent(a).ok());
      ref.agents[a.id] = a;
    } else if (op < 30 && !ref.agents.empty()) {  // presence, load, skills...
      Agent a = ref.agents.at(PickKey(rng, ref.agents));
      Randomize(rng, a, /*everything=*/false, shape.extremes);
      ASSERT_TRUE(m.UpdateAgent(a).ok());
      ref.agents[a.id] = a;
    } else if (op < 32 && !ref.agents.empty()) {
      const AgentId id = PickKey(rng, ref.agents);
      ASSERT_TRUE(m.RemoveAgent(id).ok());
      removed.push_back(ref.agents.at(id));
      ref.agents.erase(id);
    } else if (op < 34 && static_cast<int>(ref.queues.size()) < shape.max_queues) {
      add_queue();
    } else if (op < 60 && static_cast<int>(ref.tasks.size()) < shape.max_tasks) {  // a task arrives
      const QueueId qid = PickKey(rng, ref.queues);
      const Queue& q = ref.queues.at(qid);
      std::vector<Channel> served;
      for (Channel c : kChannels) {
        if (Contains(q.channels, c)) served.push_back(c);
      }
      Task t;
      t.id = TaskId(next_task++);
      t.queue = qid;
      t.channel = served[rng.Below(served.size())];
      t.priority = static_cast<int64_t>(rng.Below(4)) - 1;
      t.arrival = t.id.value() / 3;  // some equal arrivals
      if (rng.OneIn(4)) {
        const int declines = 1 + static_cast<int>(rng.Below(shape.max_declines));
        for (int d = 0; d < declines; ++d) {
          const AgentId x = some_agent();
          if (std::find(t.excluded.begin(), t.excluded.end(), x) == t.excluded.end()) {
            t.excluded.push_back(x);
          }
        }
      }
      if (rng.OneIn(5)) t.preferred_agent = some_agent();
      ASSERT_TRUE(m.Enqueue(t).ok());
      ref.tasks[t.id] = t;
      ASSERT_EQ(m.BestAgentFor(t.id), ref.BestAgentFor(t.id)) << "step " << step;
    } else if (op < 68 && !ref.tasks.empty()) {
      const TaskId id = PickKey(rng, ref.tasks);
      ASSERT_TRUE(m.Cancel(id).ok());
      ref.tasks.erase(id);
    } else if (op < 74 && !ref.tasks.empty()) {  // a decline
      const TaskId id = PickKey(rng, ref.tasks);
      // Mostly the agent the task would go to now, as after a real offer.
      std::optional<Assignment> offered = ref.BestAgentFor(id);
      const AgentId agent = offered.has_value() && !rng.OneIn(3) ? offered->agent : some_agent();
      ASSERT_TRUE(m.ExcludeAgent(id, agent).ok());
      std::vector<AgentId>& ex = ref.tasks.at(id).excluded;
      if (std::find(ex.begin(), ex.end(), agent) == ex.end()) ex.push_back(agent);
    } else if (!ref.agents.empty()) {  // an agent asks for work; it is assigned
      const AgentId id = PickKey(rng, ref.agents);
      std::optional<Assignment> got = m.BestTaskFor(id);
      ASSERT_EQ(got, ref.BestTaskFor(id)) << "step " << step;
      if (got.has_value()) {
        ++decisions;
        const Task task = ref.tasks.at(got->task);
        ASSERT_TRUE(m.Cancel(task.id).ok());
        ref.tasks.erase(task.id);
        Agent a = ref.agents.at(id);
        a.load += a.costs[task.channel];
        a.active_channels |= MaskOf(task.channel);
        a.round_robin_counter += 1;
        ASSERT_TRUE(m.UpdateAgent(a).ok());
        ref.agents[id] = a;
      }
    }
    if (step % 97 == 0) {
      CheckAll(m, ref, step, &matches);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  CheckAll(m, ref, steps, &matches);
  EXPECT_EQ(m.waiting_count(), ref.tasks.size());
  EXPECT_EQ(m.agent_count(), ref.agents.size());
  // The run did exercise assignments and non-empty answers.
  EXPECT_GT(decisions, steps / 50);
  EXPECT_GT(matches, steps / 2);
  std::printf("seed %llu: %d steps, %d assignments, %d non-empty answers checked\n",
              static_cast<unsigned long long>(seed), steps, decisions, matches);
}

TEST(MatcherDifferentialTest, AgreesWithBruteForceReference) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    RunDifferential(seed, 20000, Shape{});
    if (HasFatalFailure()) return;
  }
}

// Hundreds of agents (deep agent indexes that grow as agents join), queues
// that gain agents after they have tasks, and tasks declined by several of
// their best agents.
TEST(MatcherDifferentialTest, AgreesWithManyAgentsAndDeclines) {
  Shape shape;
  shape.max_agents = 300;
  shape.max_queues = 16;
  shape.max_tasks = 200;
  shape.max_declines = 12;
  for (uint64_t seed : {4, 5}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    RunDifferential(seed, 20000, shape);
    if (HasFatalFailure()) return;
  }
}

// Agent ids up to 2^64 - 1, idle times at both infinities, round-robin
// counters and spare capacity at the ends of their ranges.
TEST(MatcherDifferentialTest, AgreesAtTheEndsOfTheRanges) {
  Shape shape;
  shape.ids_from_top = true;
  shape.extremes = true;
  shape.max_declines = 3;
  for (uint64_t seed : {6, 7}) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    RunDifferential(seed, 20000, shape);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace omniroute::routing
