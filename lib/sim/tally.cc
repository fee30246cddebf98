// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "sim/tally.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"

namespace omniroute::sim {
namespace {

namespace v1 = ::omniroute::v1;

double Ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

absl::Duration MeanOf(absl::Duration sum, int64_t n) {
  return n > 0 ? sum / n : absl::ZeroDuration();
}

// The standard error of the mean of `values` (one per replication, or per
// antithetic pair): sample deviation over the square root of their number.
double StandardError(const std::vector<double>& values) {
  const size_t n = values.size();
  if (n < 2) return 0.0;
  double mean = 0.0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(n);
  double squares = 0.0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return std::sqrt(squares / static_cast<double>(n - 1) / static_cast<double>(n));
}

// One figure per independent unit: a replication, or the mean of an
// antithetic pair (whose twins are not independent of each other).
std::vector<double> PerUnit(absl::Span<const ReplicationTally> reps, bool antithetic,
                            const std::function<double(const ReplicationTally&)>& figure) {
  std::vector<double> values;
  const size_t step = antithetic ? 2 : 1;
  for (size_t i = 0; i + step <= reps.size(); i += step) {
    double v = 0.0;
    for (size_t j = 0; j < step; ++j) v += figure(reps[i + j]);
    values.push_back(v / static_cast<double>(step));
  }
  return values;
}

void FillWaitFigures(const WaitTally& t, absl::Span<const ReplicationTally> reps, bool antithetic,
                     const std::function<const WaitTally&(const ReplicationTally&)>& select,
                     v1::WaitFigures* out) {
  out->set_offered(t.offered);
  out->set_answered(t.answered);
  out->set_abandoned(t.abandoned);
  out->set_unresolved(t.unresolved);
  out->set_service_level(t.ServiceLevel());
  ToProto(MeanOf(t.answered_wait, t.answered), out->mutable_average_speed_of_answer());
  out->set_probability_of_waiting(t.ProbabilityOfWaiting());
  out->set_abandonment_rate(Ratio(static_cast<double>(t.abandoned),
                                  static_cast<double>(t.answered + t.abandoned)));
  ToProto(MeanOf(t.abandoned_wait, t.abandoned), out->mutable_average_time_to_abandon());
  for (size_t i = 0; i < t.answered_by_wait.size(); ++i) {
    v1::WaitBucket* bucket = out->add_wait_distribution();
    if (i < kWaitBucketBoundsSeconds.size()) {
      ToProto(absl::Seconds(kWaitBucketBoundsSeconds[i]), bucket->mutable_up_to());
    }
    bucket->set_answered(t.answered_by_wait[i]);
    bucket->set_abandoned(t.abandoned_by_wait[i]);
  }
  if (reps.size() < 2) return;
  v1::StandardErrors* se = out->mutable_standard_errors();
  se->set_service_level(StandardError(
      PerUnit(reps, antithetic, [&](const ReplicationTally& r) { return select(r).ServiceLevel(); })));
  se->set_probability_of_waiting(StandardError(PerUnit(
      reps, antithetic, [&](const ReplicationTally& r) { return select(r).ProbabilityOfWaiting(); })));
  ToProto(absl::Seconds(StandardError(PerUnit(reps, antithetic,
                                              [&](const ReplicationTally& r) {
                                                return select(r).AverageSpeedOfAnswerSeconds();
                                              }))),
          se->mutable_average_speed_of_answer());
}

}  // namespace

void WaitTally::Answer(absl::Duration wait, absl::Duration threshold) {
  ++answered;
  if (wait <= threshold) ++answered_within_threshold;
  if (wait > absl::ZeroDuration()) ++waited;
  answered_wait += wait;
  ++answered_by_wait[WaitBucketOf(wait)];
}

void WaitTally::Abandon(absl::Duration waited_for) {
  ++abandoned;
  ++waited;
  abandoned_wait += waited_for;
  ++abandoned_by_wait[WaitBucketOf(waited_for)];
}

void WaitTally::Add(const WaitTally& o) {
  offered += o.offered;
  answered += o.answered;
  abandoned += o.abandoned;
  unresolved += o.unresolved;
  answered_within_threshold += o.answered_within_threshold;
  waited += o.waited;
  answered_wait += o.answered_wait;
  abandoned_wait += o.abandoned_wait;
  for (size_t i = 0; i < answered_by_wait.size(); ++i) {
    answered_by_wait[i] += o.answered_by_wait[i];
    abandoned_by_wait[i] += o.abandoned_by_wait[i];
  }
}

size_t WaitBucketOf(absl::Duration wait) {
  for (size_t i = 0; i < kWaitBucketBoundsSeconds.size(); ++i) {
    if (wait <= absl::Seconds(kWaitBucketBoundsSeconds[i])) return i;
  }
  return kWaitBucketBoundsSeconds.size();
}

double WaitTally::ServiceLevel() const {
  return Ratio(static_cast<double>(answered_within_threshold),
               static_cast<double>(answered + abandoned));
}

double WaitTally::ProbabilityOfWaiting() const {
  return Ratio(static_cast<double>(waited), static_cast<double>(answered + abandoned));
}

double WaitTally::AverageSpeedOfAnswerSeconds() const {
  return answered > 0 ? absl::ToDoubleSeconds(answered_wait) / static_cast<double>(answered) : 0.0;
}

void BusyMeter::Change(absl::Time now, int delta, absl::Time window_start,
                       absl::Time window_end) {
  Close(now, window_start, window_end);
  units += delta;
}

void BusyMeter::Close(absl::Time now, absl::Time window_start, absl::Time window_end) {
  const absl::Time from = std::max(since, window_start);
  const absl::Time to = std::min(now, window_end);
  if (to > from) unit_seconds += units * absl::ToDoubleSeconds(to - from);
  since = now;
}

v1::SimulationReport BuildReport(const ScenarioPlan& plan,
                                 absl::Span<const ReplicationTally> reps) {
  v1::SimulationReport report;
  report.set_replications(static_cast<int32_t>(reps.size()));
  const absl::Duration measured = plan.duration - plan.warm_up;
  ToProto(measured, report.mutable_measured());
  ToProto(plan.service_level_threshold, report.mutable_service_level_threshold());
  const double unit_seconds_available = static_cast<double>(plan.total_units) *
                                        absl::ToDoubleSeconds(measured) *
                                        static_cast<double>(reps.size());

  ReplicationTally sum;
  sum.groups.resize(plan.groups.size());
  for (const ReplicationTally& r : reps) {
    for (int c = 0; c < kChannelSlots; ++c) {
      ChannelTally& s = sum.channels[c];
      const ChannelTally& t = r.channels[c];
      s.tasks.Add(t.tasks);
      s.handled += t.handled;
      s.handle_time += t.handle_time;
      s.busy.unit_seconds += t.busy.unit_seconds;
      s.transfers += t.transfers;
      s.handoffs_out += t.handoffs_out;
      s.handoffs_in += t.handoffs_in;
      s.handoffs_in_answered += t.handoffs_in_answered;
      s.handoffs_same_agent += t.handoffs_same_agent;
    }
    ConversationTally& s = sum.conversations;
    const ConversationTally& t = r.conversations;
    s.offered += t.offered;
    s.completed += t.completed;
    s.abandoned += t.abandoned;
    s.unresolved += t.unresolved;
    s.first_response.Add(t.first_response);
    s.total_wait += t.total_wait;
    s.any_wait += t.any_wait;
    s.transfers += t.transfers;
    s.handoffs += t.handoffs;
    s.multi_assignment += t.multi_assignment;
    s.single_agent += t.single_agent;
    for (size_t g = 0; g < plan.groups.size() && g < r.groups.size(); ++g) {
      sum.groups[g].busy.unit_seconds += r.groups[g].busy.unit_seconds;
      sum.groups[g].assignments += r.groups[g].assignments;
    }
    sum.engine_events += r.engine_events;
  }

  double busy_total = 0.0;
  for (int c = 0; c < kChannelSlots; ++c) {
    if (!plan.channels[c].present) continue;
    const ChannelTally& t = sum.channels[c];
    v1::ChannelReport* out = report.add_channels();
    out->set_channel(static_cast<Channel>(c));
    FillWaitFigures(t.tasks, reps, plan.antithetic,
                    [c](const ReplicationTally& r) -> const WaitTally& { return r.channels[c].tasks; },
                    out->mutable_tasks());
    ToProto(MeanOf(t.handle_time, t.handled), out->mutable_average_handle_time());
    out->set_occupancy(Ratio(t.busy.unit_seconds, unit_seconds_available));
    busy_total += t.busy.unit_seconds;
    out->set_transfers(t.transfers);
    out->set_handoffs_out(t.handoffs_out);
    out->set_handoffs_in(t.handoffs_in);
    out->set_handoffs_same_agent(t.handoffs_same_agent);
    out->set_handoff_continuity(Ratio(static_cast<double>(t.handoffs_same_agent),
                                      static_cast<double>(t.handoffs_in_answered)));
  }

  const ConversationTally& c = sum.conversations;
  v1::ConversationReport* conv = report.mutable_conversations();
  conv->set_offered(c.offered);
  conv->set_completed(c.completed);
  conv->set_abandoned(c.abandoned);
  conv->set_unresolved(c.unresolved);
  FillWaitFigures(c.first_response, reps, plan.antithetic,
                  [](const ReplicationTally& r) -> const WaitTally& {
                    return r.conversations.first_response;
                  },
                  conv->mutable_first_response());
  const int64_t finished = c.completed + c.abandoned;
  ToProto(MeanOf(c.total_wait, finished), conv->mutable_average_total_wait());
  conv->set_probability_of_any_wait(
      Ratio(static_cast<double>(c.any_wait), static_cast<double>(finished)));
  conv->set_transfers(c.transfers);
  conv->set_handoffs(c.handoffs);
  conv->set_multi_assignment(c.multi_assignment);
  conv->set_single_agent(c.single_agent);
  conv->set_same_agent_rate(
      Ratio(static_cast<double>(c.single_agent), static_cast<double>(c.multi_assignment)));

  for (size_t g = 0; g < plan.groups.size(); ++g) {
    const GroupPlan& group = plan.groups[g];
    v1::AgentGroupReport* out = report.add_agent_groups();
    out->set_name(group.name);
    out->set_agents(group.count);
    const double available = static_cast<double>(group.count) * group.capacity *
                             absl::ToDoubleSeconds(measured) * static_cast<double>(reps.size());
    out->set_occupancy(Ratio(sum.groups[g].busy.unit_seconds, available));
    out->set_assignments(sum.groups[g].assignments);
  }
  report.set_occupancy(Ratio(busy_total, unit_seconds_available));
  report.set_engine_events(sum.engine_events);
  return report;
}

}  // namespace omniroute::sim
