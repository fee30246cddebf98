// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Closed-form M/M/c (Erlang C) results: the reference the discrete-event
// simulator is checked against. Calls arrive as a Poisson process, handle
// times are exponential, `agents` identical agents serve one FIFO queue, and
// nobody abandons. Under those assumptions the steady state is known exactly,
// so a simulation of the same model must converge to these numbers.
//
// Numerics: Erlang B is computed by its recurrence and Erlang C derived from
// it, so no factorial or power of the load is ever formed; results stay
// accurate (and finite) for thousands of agents and loads close to 1.
//
// Thread-safe: pure functions.

#ifndef OMNIROUTE_LIB_SIM_ERLANG_C_H_
#define OMNIROUTE_LIB_SIM_ERLANG_C_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace omniroute::sim {

// The most agents ErlangC() evaluates and AgentsForServiceLevel() returns.
// The cost is linear in the number of agents; the cap keeps one call bounded
// (a few milliseconds) and is far above any single queue's staffing.
inline constexpr int kMaxAgents = 1'000'000;

// An M/M/c queue.
struct QueueModel {
  // λ: mean arrivals per second. Must be finite and positive.
  double arrival_rate_per_second = 0.0;
  // AHT = 1/μ: mean time an agent spends on one contact. Must be finite and
  // positive.
  absl::Duration mean_handle_time = absl::ZeroDuration();
  // c: agents serving the queue. Must be in [1, kMaxAgents].
  int agents = 0;
};

// Steady-state figures of an M/M/c queue.
struct ErlangCResult {
  // A = λ · AHT, in Erlangs: the mean number of busy agents.
  double offered_load_erlangs = 0.0;
  // ρ = A / c: the fraction of time an agent is busy; in [0, 1).
  double occupancy = 0.0;
  // P(W > 0), the Erlang C formula: the probability that an arriving contact
  // finds every agent busy and waits. In [0, 1].
  double probability_of_waiting = 0.0;
  // ASA = E[W] = P(W > 0) · AHT / (c − A): the mean wait over all contacts,
  // including those answered at once. Rounded to Duration's resolution (a
  // quarter nanosecond), so it reads 0 for very lightly loaded queues.
  absl::Duration average_speed_of_answer = absl::ZeroDuration();
  // SL(T) = P(W <= T) = 1 − P(W > 0) · exp(−(c − A) · T / AHT): the fraction
  // of contacts answered within the threshold. In [0, 1].
  double service_level = 0.0;
  // Lq = P(W > 0) · A / (c − A): the mean number of contacts waiting
  // (Little's law: Lq = λ · ASA).
  double mean_queue_length = 0.0;
};

// The steady state of `model`, with the service level measured against
// `service_level_threshold` (an infinite threshold gives a service level of 1).
//
// Errors:
//   INVALID_ARGUMENT, the message starting with the offending field's name,
//     when arrival_rate_per_second is zero, negative, NaN or infinite;
//     mean_handle_time is zero, negative or infinite; agents is below 1 or
//     above kMaxAgents; or service_level_threshold is negative.
//   FAILED_PRECONDITION when the occupancy A / c is 1 or more: arrivals
//     outpace the agents and the queue grows without bound, so there is no
//     steady state. The message gives the load, agents and occupancy.
absl::StatusOr<ErlangCResult> ErlangC(const QueueModel& model,
                                      absl::Duration service_level_threshold);

// Staffing: the smallest number of agents whose service level within
// `threshold` is at least `target_service_level` for the given traffic. The
// result always exceeds the offered load (a stable queue), even when fewer
// agents would nominally meet the target (e.g. an infinite threshold).
//
// Errors:
//   INVALID_ARGUMENT, the message starting with the offending parameter's
//     name, for the same bad arrival_rate_per_second, mean_handle_time and
//     threshold as ErlangC(), and when target_service_level is not strictly
//     between 0 and 1 (NaN included). A target of exactly 1 is refused
//     because, with a finite threshold, no finite staffing reaches it.
//   OUT_OF_RANGE when meeting the target would take more than kMaxAgents
//     agents (the load alone may exceed the cap).
absl::StatusOr<int> AgentsForServiceLevel(double arrival_rate_per_second,
                                          absl::Duration mean_handle_time,
                                          absl::Duration threshold,
                                          double target_service_level);

}  // namespace omniroute::sim

#endif  // OMNIROUTE_LIB_SIM_ERLANG_C_H_
