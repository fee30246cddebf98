// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "routing/statistics.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "routing/activity.h"
#include "routing/routing_state_internal.h"

namespace omniroute::routing {
namespace {

namespace v1 = ::omniroute::v1;

constexpr int kShortWindowMinutes = 15;
constexpr int kLongWindowMinutes = 60;
static_assert(kLongWindowMinutes <= kActivityMinutes);

WindowFigures FiguresOf(const QueueTally& sum, int minutes) {
  WindowFigures f;
  f.window = absl::Minutes(minutes);
  f.offered = sum.offered;
  f.answered = sum.answered;
  f.answered_within_target = sum.answered_within_target;
  f.abandoned = sum.abandoned;
  f.handled = sum.handled;
  if (sum.answered > 0)
    f.average_speed_of_answer = absl::Nanoseconds(sum.wait_nanos / sum.answered);
  if (sum.answered + sum.abandoned > 0) {
    f.service_level = static_cast<double>(sum.answered_within_target) /
                      static_cast<double>(sum.answered + sum.abandoned);
  }
  if (sum.handled > 0) f.average_handle_time = absl::Nanoseconds(sum.handle_nanos / sum.handled);
  return f;
}

bool HasSkills(const v1::AgentConfig& agent, const v1::QueueConfig& queue) {
  for (const v1::SkillLevel& required : queue.required_skills()) {
    const bool has =
        std::any_of(agent.skills().begin(), agent.skills().end(), [&](const v1::SkillLevel& s) {
          return s.skill() == required.skill() && s.level() >= required.level();
        });
    if (!has) return false;
  }
  return true;
}

bool ServesChannel(const AgentState& agent, Channel channel) {
  return (agent.channels & MaskOf(channel)) != 0;
}

// The answer rate of a queue's channel behind a wait estimate: answers over
// the short window's minutes that have activity.
WaitEstimate EstimateAt(const MinuteSeries<QueueTally>* series, int position, bool staffed,
                        absl::Time now) {
  WaitEstimate estimate;
  estimate.position = position;
  if (series == nullptr) return estimate;
  const int64_t now_minute = MinuteOf(now);
  const QueueTally sum = series->Sum(now_minute, kShortWindowMinutes);
  int64_t first = now_minute;
  for (const auto& m : series->minutes()) {
    if (m.minute > now_minute - kShortWindowMinutes) {
      first = m.minute;
      break;
    }
  }
  estimate.answers = sum.answered;
  estimate.span = std::max(absl::Seconds(1), now - StartOfMinute(std::min(first, now_minute)));
  if (staffed && position > 0 && sum.answered >= kMinAnswersForWaitEstimate) {
    estimate.wait = estimate.span * position / sum.answered;
  }
  return estimate;
}

// Whether a signed-in agent serves the queue on `channel`.
bool Staffed(const RoutingState& routing, const QueueState& queue, Channel channel) {
  for (const AgentState& a : routing.agents()) {
    if (a.presence == v1::AGENT_PRESENCE_OFFLINE || !ServesChannel(a, channel)) continue;
    if (HasSkills(a.config, queue.config)) return true;
  }
  return false;
}

const MinuteSeries<QueueTally>* SeriesOf(const QueueState& queue, Channel channel) {
  auto it = queue.activity.find(channel);
  return it == queue.activity.end() ? nullptr : &it->second;
}

}  // namespace

namespace {

// One queue's figures being gathered: the live counts come from one walk of
// the tasks for every queue asked for.
struct Gathering {
  const QueueState* queue;
  QueueStatistics stats;
  absl::flat_hash_map<Channel, size_t> channel_index;
  // Waiting tasks per channel that are in line (not held).
  std::vector<int> in_line;
};

void CountTask(const TaskState& t, absl::Time now, Gathering& g) {
  QueueStatistics& stats = g.stats;
  if (t.status == v1::TASK_STATUS_OFFERED) ++stats.offered;
  if (t.status == v1::TASK_STATUS_ASSIGNED) ++stats.assigned;
  if (t.status != v1::TASK_STATUS_WAITING) return;
  ++stats.waiting;
  const absl::Duration waited = std::max(absl::ZeroDuration(), now - t.created_at);
  stats.longest_wait = std::max(stats.longest_wait.value_or(waited), waited);
  auto it = g.channel_index.find(t.channel);
  if (it == g.channel_index.end()) return;
  ChannelStatistics& channel = stats.channels[it->second];
  ++channel.waiting;
  // A held task is not in line: the next one to enter comes after the
  // others only.
  if (!t.held) ++g.in_line[it->second];
  channel.longest_wait = std::max(channel.longest_wait.value_or(waited), waited);
}

void CountAgentsAndWindows(const RoutingState& routing, absl::Time now, Gathering& g) {
  const QueueState& q = *g.queue;
  QueueStatistics& stats = g.stats;
  std::vector<bool> staffed(stats.channels.size(), false);
  const ChannelMask queue_channels = internal::MaskOfChannels(q.config.channels());
  for (const AgentState& a : routing.agents()) {
    if (a.presence == v1::AGENT_PRESENCE_OFFLINE) continue;
    if ((a.channels & queue_channels) == 0 || !HasSkills(a.config, q.config)) continue;
    if (!a.assigned.empty()) {
      ++stats.agents_busy;
    } else if (!a.wrapping_up.empty()) {
      ++stats.agents_wrapping_up;
    } else if (a.presence == v1::AGENT_PRESENCE_AVAILABLE) {
      ++stats.agents_available;
    } else {
      ++stats.agents_away;
    }
    for (size_t i = 0; i < stats.channels.size(); ++i) {
      if (ServesChannel(a, stats.channels[i].channel)) staffed[i] = true;
    }
  }

  const int64_t now_minute = MinuteOf(now);
  QueueTally short_sum, long_sum;
  for (size_t i = 0; i < stats.channels.size(); ++i) {
    ChannelStatistics& channel = stats.channels[i];
    const MinuteSeries<QueueTally>* series = SeriesOf(q, channel.channel);
    const QueueTally s = series ? series->Sum(now_minute, kShortWindowMinutes) : QueueTally{};
    const QueueTally l = series ? series->Sum(now_minute, kLongWindowMinutes) : QueueTally{};
    short_sum.Add(s);
    long_sum.Add(l);
    channel.last_15_minutes = FiguresOf(s, kShortWindowMinutes);
    channel.last_60_minutes = FiguresOf(l, kLongWindowMinutes);
    channel.new_task_wait = EstimateAt(series, g.in_line[i] + 1, staffed[i], now);
  }
  stats.last_15_minutes = FiguresOf(short_sum, kShortWindowMinutes);
  stats.last_60_minutes = FiguresOf(long_sum, kLongWindowMinutes);
}

}  // namespace

std::vector<QueueStatistics> StatisticsOf(const RoutingState& routing,
                                          absl::Span<const QueueState* const> queues,
                                          absl::Time now) {
  std::vector<Gathering> gathering(queues.size());
  absl::flat_hash_map<absl::string_view, size_t> by_id;
  for (size_t i = 0; i < queues.size(); ++i) {
    Gathering& g = gathering[i];
    g.queue = queues[i];
    g.stats.queue = queues[i]->config.queue_id();
    g.stats.at = now;
    for (int c : queues[i]->config.channels()) {
      const Channel channel = static_cast<Channel>(c);
      if (g.channel_index.contains(channel)) continue;
      g.channel_index[channel] = g.stats.channels.size();
      g.stats.channels.emplace_back().channel = channel;
    }
    g.in_line.assign(g.stats.channels.size(), 0);
    by_id.emplace(g.stats.queue, i);
  }
  // Live tasks: statistics are read rarely, tasks change often, so they are
  // counted when read rather than kept up to date on every decision.
  for (const auto& [id, t] : routing.tasks()) {
    if (t.queue.empty()) continue;
    auto it = by_id.find(t.queue);
    if (it != by_id.end()) CountTask(t, now, gathering[it->second]);
  }
  std::vector<QueueStatistics> out;
  out.reserve(gathering.size());
  for (Gathering& g : gathering) {
    CountAgentsAndWindows(routing, now, g);
    out.push_back(std::move(g.stats));
  }
  return out;
}

AgentStatistics StatisticsOf(const AgentState& a, absl::Time now) {
  AgentStatistics stats;
  stats.agent = a.config.agent_id();
  stats.presence = a.presence;
  stats.at = now;
  stats.window = absl::Minutes(kLongWindowMinutes);
  const AgentTally sum = a.activity.Sum(now, kLongWindowMinutes);
  stats.staffed = absl::Nanoseconds(sum.staffed_nanos);
  stats.busy = absl::Nanoseconds(sum.busy_nanos);
  if (sum.staffed_nanos > 0) {
    stats.occupancy =
        std::min(1.0, static_cast<double>(sum.busy_nanos) / static_cast<double>(sum.staffed_nanos));
  }
  stats.handled = sum.handled;
  if (sum.handled > 0)
    stats.average_handle_time = absl::Nanoseconds(sum.handle_nanos / sum.handled);
  return stats;
}

std::optional<WaitEstimate> WaitEstimateOf(const RoutingState& routing, const TaskState& t,
                                           absl::Time now) {
  if (t.status != v1::TASK_STATUS_WAITING || t.queue.empty()) return std::nullopt;
  const QueueState* q = routing.queue(t.queue);
  if (q == nullptr) return std::nullopt;
  const int position = routing.QueuePosition(t);
  return EstimateAt(SeriesOf(*q, t.channel), position, Staffed(routing, *q, t.channel), now);
}

}  // namespace omniroute::routing
