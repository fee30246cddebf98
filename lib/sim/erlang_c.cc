// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "sim/erlang_c.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace omniroute::sim {
namespace {

absl::Status ValidateTraffic(double arrival_rate_per_second, absl::Duration mean_handle_time) {
  // Written as !(x > 0) so that NaN, which fails every comparison, is refused.
  if (!(arrival_rate_per_second > 0.0) || std::isinf(arrival_rate_per_second)) {
    return absl::InvalidArgumentError(
        absl::StrCat("arrival_rate_per_second: must be a finite positive number of arrivals per "
                     "second, got ",
                     arrival_rate_per_second));
  }
  if (mean_handle_time <= absl::ZeroDuration() || mean_handle_time == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mean_handle_time: must be finite and positive, got ",
                     absl::FormatDuration(mean_handle_time)));
  }
  return absl::OkStatus();
}

absl::Status ValidateThreshold(absl::string_view name, absl::Duration threshold) {
  if (threshold < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": must not be negative, got ", absl::FormatDuration(threshold)));
  }
  return absl::OkStatus();
}

// One step of the Erlang B recurrence: B(k) from B(k-1). Every term stays in
// [0, 1], which is why this form is used instead of A^k / k! sums: those
// overflow a double beyond about 170 agents.
double NextErlangB(double offered_load, int k, double previous) {
  const double numerator = offered_load * previous;
  return numerator / (k + numerator);
}

// Erlang B for `agents` agents: B(0) = 1, then the recurrence.
double ErlangB(double offered_load, int agents) {
  double b = 1.0;
  for (int k = 1; k <= agents; ++k) b = NextErlangB(offered_load, k, b);
  return b;
}

// Every figure of a stable queue (offered_load < agents) from its Erlang B
// value. Shared by ErlangC() and the staffing search so both report exactly
// the same service level for the same staffing.
ErlangCResult FromErlangB(double offered_load, int agents, double erlang_b,
                          absl::Duration mean_handle_time, absl::Duration threshold) {
  const double c = agents;
  const double spare = c - offered_load;  // > 0: the caller checked stability.
  // C = c·B / (c − A·(1 − B)). The denominator is at least c − A > 0, and
  // C <= 1 mathematically; the clamp only absorbs rounding near ρ = 1.
  const double p_wait =
      std::min(1.0, c * erlang_b / (c - offered_load * (1.0 - erlang_b)));
  ErlangCResult result;
  result.offered_load_erlangs = offered_load;
  result.occupancy = offered_load / c;
  result.probability_of_waiting = p_wait;
  // Duration * double saturates to InfiniteDuration rather than overflowing,
  // which only matters for occupancies within ~1e-10 of 1.
  result.average_speed_of_answer = mean_handle_time * (p_wait / spare);
  // FDivDuration is +inf for an infinite threshold, so exp() gives 0 and the
  // service level is 1, as it should be.
  const double threshold_in_handle_times = absl::FDivDuration(threshold, mean_handle_time);
  result.service_level =
      std::clamp(1.0 - p_wait * std::exp(-spare * threshold_in_handle_times), 0.0, 1.0);
  result.mean_queue_length = p_wait * offered_load / spare;
  return result;
}

}  // namespace

absl::StatusOr<ErlangCResult> ErlangC(const QueueModel& model,
                                      absl::Duration service_level_threshold) {
  if (absl::Status status = ValidateTraffic(model.arrival_rate_per_second, model.mean_handle_time);
      !status.ok()) {
    return status;
  }
  if (model.agents < 1 || model.agents > kMaxAgents) {
    return absl::InvalidArgumentError(absl::StrCat("agents: must be between 1 and ", kMaxAgents,
                                                   ", got ", model.agents));
  }
  if (absl::Status status = ValidateThreshold("service_level_threshold", service_level_threshold);
      !status.ok()) {
    return status;
  }
  // Finite times finite can still overflow to +inf; the comparison below then
  // reports it as an overload, which it is.
  const double offered_load =
      model.arrival_rate_per_second * absl::ToDoubleSeconds(model.mean_handle_time);
  if (!(offered_load < model.agents)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "occupancy %g >= 1: offered load %g Erlangs (%g arrivals/s x %s handle time) on %d "
        "agents; arrivals outpace service and the queue grows without bound, so there is no "
        "steady state (one needs more than %g agents)",
        offered_load / model.agents, offered_load, model.arrival_rate_per_second,
        absl::FormatDuration(model.mean_handle_time), model.agents, offered_load));
  }
  return FromErlangB(offered_load, model.agents, ErlangB(offered_load, model.agents),
                     model.mean_handle_time, service_level_threshold);
}

absl::StatusOr<int> AgentsForServiceLevel(double arrival_rate_per_second,
                                          absl::Duration mean_handle_time,
                                          absl::Duration threshold,
                                          double target_service_level) {
  if (absl::Status status = ValidateTraffic(arrival_rate_per_second, mean_handle_time);
      !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateThreshold("threshold", threshold); !status.ok()) {
    return status;
  }
  if (!(target_service_level > 0.0 && target_service_level < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target_service_level: must be strictly between 0 and 1 (a fraction of contacts), got ",
        target_service_level));
  }
  const double offered_load = arrival_rate_per_second * absl::ToDoubleSeconds(mean_handle_time);
  if (!(offered_load < kMaxAgents)) {
    return absl::OutOfRangeError(absl::StrFormat(
        "offered load %g Erlangs needs more than the %d-agent cap just to keep the queue stable",
        offered_load, kMaxAgents));
  }
  // Start at the smallest stable staffing and add agents one at a time. The
  // service level rises with every agent (P(W > 0) falls and c − A grows), so
  // the first staffing that meets the target is the smallest. Erlang B is
  // extended one step per agent, so the whole search is linear in the answer.
  int agents = static_cast<int>(std::floor(offered_load)) + 1;
  double erlang_b = ErlangB(offered_load, agents);
  while (true) {
    const ErlangCResult result =
        FromErlangB(offered_load, agents, erlang_b, mean_handle_time, threshold);
    if (result.service_level >= target_service_level) return agents;
    if (agents == kMaxAgents) break;
    ++agents;
    erlang_b = NextErlangB(offered_load, agents, erlang_b);
  }
  return absl::OutOfRangeError(absl::StrFormat(
      "a service level of %g within %s at %g Erlangs needs more than %d agents",
      target_service_level, absl::FormatDuration(threshold), offered_load, kMaxAgents));
}

}  // namespace omniroute::sim
