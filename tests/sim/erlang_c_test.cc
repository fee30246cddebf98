// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The M/M/c reference against values derived independently of the code under
// test: two published call-centre worked examples (figures recomputed with
// exact rational arithmetic), the direct factorial-sum formula evaluated here
// in long double, a log-space evaluation for thousands of agents, and the
// M/M/1 and M/M/2 closed forms. Then monotonicity in the staffing, staffing
// search, and every rejected input.

#include "sim/erlang_c.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace omniroute::sim {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Unwraps a result the test expects to succeed, failing loudly otherwise.
ErlangCResult MustErlangC(const QueueModel& model, absl::Duration threshold) {
  absl::StatusOr<ErlangCResult> result = ErlangC(model, threshold);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : ErlangCResult{};
}

// A queue with the given offered load: handle time `aht_seconds`, arrival
// rate load / AHT.
QueueModel ModelWithLoad(double offered_load, int agents, double aht_seconds = 100.0) {
  return QueueModel{.arrival_rate_per_second = offered_load / aht_seconds,
                    .mean_handle_time = absl::Seconds(aht_seconds),
                    .agents = agents};
}

// The textbook formula, written out with powers and factorials in long double
// and no shared code with the library's recurrence:
//   C(c, A) = [A^c/c! · c/(c−A)] / [Σ_{k<c} A^k/k! + A^c/c! · c/(c−A)].
// Only sound for small c (the terms overflow a double from c ≈ 170).
long double FactorialSumErlangC(long double a, int c) {
  auto factorial = [](int n) {
    long double f = 1.0L;
    for (int i = 2; i <= n; ++i) f *= i;
    return f;
  };
  long double sum = 0.0L;
  for (int k = 0; k < c; ++k) sum += std::pow(a, static_cast<long double>(k)) / factorial(k);
  const long double top =
      std::pow(a, static_cast<long double>(c)) / factorial(c) * c / (c - a);
  return top / (sum + top);
}

// The same formula in log space (lgamma, log-sum-exp), sound for any c: an
// independent check of the recurrence where the factorial form cannot go.
long double LogSpaceErlangC(long double a, int c) {
  const long double log_a = std::log(a);
  auto log_term = [&](int k) { return k * log_a - std::lgamma(static_cast<long double>(k) + 1); };
  const long double log_top = log_term(c) + std::log(static_cast<long double>(c) / (c - a));
  // The largest log-term (near k = A, or the top) anchors the sum.
  long double anchor = log_top;
  for (int k = 0; k < c; ++k) anchor = std::max(anchor, log_term(k));
  long double sum = 0.0L;
  for (int k = 0; k < c; ++k) sum += std::exp(log_term(k) - anchor);
  const long double top = std::exp(log_top - anchor);
  return top / (sum + top);
}

// Call Centre Helper's "Erlang C formula made simple" worked example: 100
// calls per 30 minutes, 180 s handle time, target 80% answered in 20 s, so
// A = 10 Erlangs. The article gives P(W > 0) = 0.6821 for 11 agents and
// reaches the 80/20 target at 14. Expected figures below were recomputed with
// exact rational arithmetic (Python fractions) from the textbook formula.
constexpr double kCchArrivalRate = 100.0 / 1800.0;
constexpr absl::Duration kCchHandleTime = absl::Seconds(180);
constexpr absl::Duration kCchThreshold = absl::Seconds(20);

TEST(ErlangCTest, CallCentreHelperExampleElevenAgents) {
  const ErlangCResult r = MustErlangC(
      {.arrival_rate_per_second = kCchArrivalRate, .mean_handle_time = kCchHandleTime, .agents = 11},
      kCchThreshold);
  EXPECT_NEAR(r.offered_load_erlangs, 10.0, 1e-12);
  EXPECT_NEAR(r.occupancy, 10.0 / 11.0, 1e-12);
  EXPECT_NEAR(r.probability_of_waiting, 0.6821182047, 1e-9);
  EXPECT_NEAR(absl::ToDoubleSeconds(r.average_speed_of_answer), 122.7812768441, 1e-6);
  EXPECT_NEAR(r.service_level, 0.3896138117, 1e-9);
  EXPECT_NEAR(r.mean_queue_length, 6.8211820469, 1e-8);
}

TEST(ErlangCTest, CallCentreHelperExampleTwelveToFourteenAgents) {
  struct Expected {
    int agents;
    double p_wait, asa_seconds, service_level, lq;
  };
  for (const Expected& e : {Expected{12, 0.4493882243, 40.4449401868, 0.6401580404, 2.2469411215},
                            Expected{13, 0.2852704530, 17.1162271822, 0.7955947884, 0.9509015101},
                            Expected{14, 0.1741319336, 7.8359370118, 0.8883500192, 0.4353298340}}) {
    SCOPED_TRACE(absl::StrCat("agents=", e.agents));
    const ErlangCResult r = MustErlangC({.arrival_rate_per_second = kCchArrivalRate,
                                         .mean_handle_time = kCchHandleTime,
                                         .agents = e.agents},
                                        kCchThreshold);
    EXPECT_NEAR(r.probability_of_waiting, e.p_wait, 1e-9);
    EXPECT_NEAR(absl::ToDoubleSeconds(r.average_speed_of_answer), e.asa_seconds, 1e-6);
    EXPECT_NEAR(r.service_level, e.service_level, 1e-9);
    EXPECT_NEAR(r.mean_queue_length, e.lq, 1e-8);
  }
}

// Westbay Engineers' "The Erlang-C formula" worked example: 360 calls per
// half hour, 4-minute calls, 55 agents, 15 s target: A = 48 Erlangs. Figures
// recomputed with exact rational arithmetic.
TEST(ErlangCTest, WestbayExample) {
  const ErlangCResult r = MustErlangC({.arrival_rate_per_second = 360.0 / 1800.0,
                                       .mean_handle_time = absl::Minutes(4),
                                       .agents = 55},
                                      absl::Seconds(15));
  EXPECT_NEAR(r.offered_load_erlangs, 48.0, 1e-12);
  EXPECT_NEAR(r.occupancy, 48.0 / 55.0, 1e-12);
  EXPECT_NEAR(r.probability_of_waiting, 0.2387009364, 1e-9);
  EXPECT_NEAR(absl::ToDoubleSeconds(r.average_speed_of_answer), 8.1840321044, 1e-7);
  EXPECT_NEAR(r.service_level, 0.8458830922, 1e-9);
  EXPECT_NEAR(r.mean_queue_length, 1.6368064209, 1e-8);
}

TEST(ErlangCTest, MatchesFactorialSumsUpToThirtyAgents) {
  for (int c = 1; c <= 30; ++c) {
    for (double fraction : {0.01, 0.3, 0.5, 0.8, 0.95, 0.999}) {
      const double a = fraction * c;
      SCOPED_TRACE(absl::StrCat("c=", c, " A=", a));
      const ErlangCResult r = MustErlangC(ModelWithLoad(a, c), absl::Seconds(10));
      const double expected = static_cast<double>(FactorialSumErlangC(a, c));
      EXPECT_NEAR(r.probability_of_waiting, expected, 1e-12 * expected + 1e-300);
    }
  }
}

TEST(ErlangCTest, MatchesM1ClosedForms) {
  // M/M/1: P(W > 0) = ρ, ASA = ρ / (μ − λ), Lq = ρ² / (1 − ρ),
  // SL(T) = 1 − ρ·exp(−(μ − λ)·T).
  constexpr double kMu = 1.0 / 60.0;  // 60 s handle time.
  for (double rho : {0.05, 0.5, 0.9, 0.99}) {
    SCOPED_TRACE(absl::StrCat("rho=", rho));
    const double lambda = rho * kMu;
    const ErlangCResult r = MustErlangC(
        {.arrival_rate_per_second = lambda, .mean_handle_time = absl::Seconds(60), .agents = 1},
        absl::Seconds(30));
    EXPECT_NEAR(r.occupancy, rho, 1e-12);
    EXPECT_NEAR(r.probability_of_waiting, rho, 1e-12);
    EXPECT_NEAR(absl::ToDoubleSeconds(r.average_speed_of_answer), rho / (kMu - lambda),
                1e-9 * rho / (kMu - lambda));
    EXPECT_NEAR(r.mean_queue_length, rho * rho / (1 - rho), 1e-9 * rho * rho / (1 - rho));
    EXPECT_NEAR(r.service_level, 1 - rho * std::exp(-(kMu - lambda) * 30), 1e-12);
  }
}

TEST(ErlangCTest, MatchesM2ClosedForm) {
  // M/M/2 with ρ = A/2: P(W > 0) = 2ρ² / (1 + ρ).
  for (double rho : {0.1, 0.5, 0.75, 0.98}) {
    SCOPED_TRACE(absl::StrCat("rho=", rho));
    const ErlangCResult r = MustErlangC(ModelWithLoad(2 * rho, 2), absl::Seconds(1));
    EXPECT_NEAR(r.probability_of_waiting, 2 * rho * rho / (1 + rho), 1e-12);
  }
}

TEST(ErlangCTest, SatisfiesLittlesLaw) {
  // Lq = λ · Wq, with ASA the mean wait over all contacts.
  const QueueModel model = ModelWithLoad(37.5, 42, 240.0);
  const ErlangCResult r = MustErlangC(model, absl::Seconds(20));
  EXPECT_NEAR(r.mean_queue_length,
              model.arrival_rate_per_second * absl::ToDoubleSeconds(r.average_speed_of_answer),
              1e-9 * r.mean_queue_length);
}

TEST(ErlangCTest, MoreAgentsWaitLessAndAnswerMoreWithinThreshold) {
  ErlangCResult previous = MustErlangC(ModelWithLoad(50.0, 51, 180.0), absl::Seconds(20));
  for (int c = 52; c <= 120; ++c) {
    SCOPED_TRACE(absl::StrCat("agents=", c));
    const ErlangCResult r = MustErlangC(ModelWithLoad(50.0, c, 180.0), absl::Seconds(20));
    EXPECT_LT(r.probability_of_waiting, previous.probability_of_waiting);
    // ASA is a Duration (quarter-nanosecond ticks): far out it rounds to 0.
    EXPECT_LE(r.average_speed_of_answer, previous.average_speed_of_answer);
    if (previous.average_speed_of_answer > absl::Nanoseconds(1)) {
      EXPECT_LT(r.average_speed_of_answer, previous.average_speed_of_answer);
    }
    EXPECT_LT(r.mean_queue_length, previous.mean_queue_length);
    EXPECT_LT(r.occupancy, previous.occupancy);
    // Once both round to 1 the service level can only tie.
    EXPECT_GE(r.service_level, previous.service_level);
    if (previous.service_level < 0.999999) EXPECT_GT(r.service_level, previous.service_level);
    previous = r;
  }
}

TEST(ErlangCTest, LongerThresholdRaisesServiceLevel) {
  const QueueModel model = ModelWithLoad(10.0, 12, 180.0);
  const ErlangCResult zero = MustErlangC(model, absl::ZeroDuration());
  // Within 0 s means answered at once: SL(0) = 1 − P(W > 0).
  EXPECT_NEAR(zero.service_level, 1 - zero.probability_of_waiting, 1e-15);
  double previous = zero.service_level;
  for (int seconds : {1, 10, 60, 600, 3600}) {
    const double sl = MustErlangC(model, absl::Seconds(seconds)).service_level;
    EXPECT_GT(sl, previous) << seconds << " s";
    previous = sl;
  }
  EXPECT_EQ(MustErlangC(model, absl::InfiniteDuration()).service_level, 1.0);
}

TEST(ErlangCTest, ThousandsOfAgentsStayFiniteAndAccurate) {
  // c = 2000, A = 1900, AHT 180 s, T = 20 s. P(W > 0) recomputed with exact
  // rational arithmetic: 0.0134064373031903.
  const ErlangCResult r = MustErlangC(ModelWithLoad(1900.0, 2000, 180.0), absl::Seconds(20));
  for (double v : {r.probability_of_waiting, r.service_level, r.occupancy}) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
  EXPECT_TRUE(std::isfinite(r.mean_queue_length));
  EXPECT_NEAR(r.probability_of_waiting, 0.0134064373031903, 1e-12);
  EXPECT_NEAR(r.probability_of_waiting, static_cast<double>(LogSpaceErlangC(1900.0L, 2000)), 1e-12);
  EXPECT_NEAR(absl::ToDoubleSeconds(r.average_speed_of_answer), 0.0241315871457426, 1e-9);
  EXPECT_NEAR(r.service_level, 0.999999799636256, 1e-12);
  EXPECT_NEAR(r.mean_queue_length, 0.254722308760617, 1e-10);
}

TEST(ErlangCTest, LargeQueuesMatchLogSpaceFormula) {
  for (int c : {200, 500, 1000, 5000, 20000}) {
    for (double fraction : {0.7, 0.95, 0.999}) {
      const double a = fraction * c;
      SCOPED_TRACE(absl::StrCat("c=", c, " A=", a));
      const ErlangCResult r = MustErlangC(ModelWithLoad(a, c), absl::Seconds(10));
      const double expected = static_cast<double>(LogSpaceErlangC(a, c));
      EXPECT_TRUE(std::isfinite(r.probability_of_waiting));
      EXPECT_NEAR(r.probability_of_waiting, expected, 1e-9 * expected + 1e-300);
    }
  }
}

TEST(ErlangCTest, NearlySaturatedQueueIsFiniteAndAlmostAlwaysWaits) {
  const ErlangCResult r = MustErlangC(ModelWithLoad(4999.9, 5000, 60.0), absl::Seconds(20));
  EXPECT_TRUE(std::isfinite(r.probability_of_waiting));
  EXPECT_GT(r.probability_of_waiting, 0.99);
  EXPECT_LE(r.probability_of_waiting, 1.0);
  EXPECT_LT(r.average_speed_of_answer, absl::InfiniteDuration());
  EXPECT_GE(r.service_level, 0.0);
}

TEST(ErlangCTest, VeryLightLoadRarelyWaits) {
  const ErlangCResult r = MustErlangC(ModelWithLoad(1e-6, 500), absl::Seconds(0));
  EXPECT_GE(r.probability_of_waiting, 0.0);
  EXPECT_LT(r.probability_of_waiting, 1e-300);
  EXPECT_EQ(r.service_level, 1.0);
}

// --- Staffing ---------------------------------------------------------------

// The staffing for the arguments, or -1 (with a test failure) on error.
int MustStaff(double rate, absl::Duration aht, absl::Duration threshold, double target) {
  const absl::StatusOr<int> agents = AgentsForServiceLevel(rate, aht, threshold, target);
  EXPECT_TRUE(agents.ok()) << agents.status();
  return agents.ok() ? *agents : -1;
}

TEST(AgentsForServiceLevelTest, CallCentreHelperExampleNeedsFourteen) {
  // SL(20 s) is 0.7956 with 13 agents and 0.8884 with 14 (see above).
  EXPECT_EQ(MustStaff(kCchArrivalRate, kCchHandleTime, kCchThreshold, 0.8), 14);
  EXPECT_EQ(MustStaff(kCchArrivalRate, kCchHandleTime, kCchThreshold, 0.79), 13);
  EXPECT_EQ(MustStaff(kCchArrivalRate, kCchHandleTime, kCchThreshold, 0.3), 11);
}

TEST(AgentsForServiceLevelTest, ReturnsSmallestStaffingMeetingTarget) {
  for (double load : {0.3, 4.0, 48.0, 333.3, 1900.0}) {
    for (double target : {0.5, 0.8, 0.95, 0.999}) {
      SCOPED_TRACE(absl::StrCat("A=", load, " target=", target));
      const absl::Duration aht = absl::Seconds(180);
      const absl::Duration threshold = absl::Seconds(20);
      const double rate = load / 180.0;
      const absl::StatusOr<int> agents = AgentsForServiceLevel(rate, aht, threshold, target);
      ASSERT_TRUE(agents.ok()) << agents.status();
      EXPECT_GT(*agents, load);
      const QueueModel at{.arrival_rate_per_second = rate, .mean_handle_time = aht, .agents = *agents};
      EXPECT_GE(MustErlangC(at, threshold).service_level, target);
      QueueModel below = at;
      --below.agents;
      if (below.agents > load) {
        EXPECT_LT(MustErlangC(below, threshold).service_level, target);
      }
    }
  }
}

TEST(AgentsForServiceLevelTest, InfiniteThresholdNeedsOnlyStability) {
  // Everyone is answered eventually once c > A, so the answer is floor(A) + 1.
  EXPECT_EQ(MustStaff(10.0 / 180.0, absl::Seconds(180), absl::InfiniteDuration(), 0.99),
            11);
  EXPECT_EQ(MustStaff(10.5 / 180.0, absl::Seconds(180), absl::InfiniteDuration(), 0.99),
            11);
}

// --- Rejected input -----------------------------------------------------------

void ExpectInvalid(const absl::Status& status, absl::string_view field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), StartsWith(absl::StrCat(field, ":")));
}

TEST(ErlangCBadInputTest, RejectsBadArrivalRate) {
  for (double rate : {0.0, -0.0, -1.0, kNaN, kInf, -kInf}) {
    SCOPED_TRACE(rate);
    ExpectInvalid(ErlangC({.arrival_rate_per_second = rate,
                           .mean_handle_time = absl::Seconds(180),
                           .agents = 10},
                          absl::Seconds(20))
                      .status(),
                  "arrival_rate_per_second");
  }
}

TEST(ErlangCBadInputTest, RejectsBadHandleTime) {
  for (absl::Duration aht : {absl::ZeroDuration(), absl::Seconds(-1), absl::Nanoseconds(-1),
                             absl::InfiniteDuration(), -absl::InfiniteDuration()}) {
    SCOPED_TRACE(absl::FormatDuration(aht));
    ExpectInvalid(
        ErlangC({.arrival_rate_per_second = 0.01, .mean_handle_time = aht, .agents = 10},
                absl::Seconds(20))
            .status(),
        "mean_handle_time");
  }
}

TEST(ErlangCBadInputTest, RejectsBadAgentCount) {
  for (int agents : {0, -1, std::numeric_limits<int>::min(), kMaxAgents + 1,
                     std::numeric_limits<int>::max()}) {
    SCOPED_TRACE(agents);
    ExpectInvalid(ErlangC({.arrival_rate_per_second = 0.01,
                           .mean_handle_time = absl::Seconds(1),
                           .agents = agents},
                          absl::Seconds(20))
                      .status(),
                  "agents");
  }
}

TEST(ErlangCBadInputTest, RejectsNegativeThreshold) {
  for (absl::Duration threshold : {absl::Nanoseconds(-1), absl::Seconds(-20),
                                   -absl::InfiniteDuration()}) {
    ExpectInvalid(ErlangC(ModelWithLoad(1.0, 2), threshold).status(), "service_level_threshold");
  }
}

TEST(ErlangCBadInputTest, RejectsUnstableQueueWithTheNumbers) {
  // ρ = 1 exactly: 0.5/s × 20 s = 10 Erlangs on 10 agents.
  const absl::Status exact =
      ErlangC({.arrival_rate_per_second = 0.5, .mean_handle_time = absl::Seconds(20), .agents = 10},
              absl::Seconds(20))
          .status();
  EXPECT_EQ(exact.code(), absl::StatusCode::kFailedPrecondition) << exact;
  EXPECT_THAT(std::string(exact.message()),
              AllOf(HasSubstr("occupancy 1 >= 1"), HasSubstr("10 Erlangs"),
                    HasSubstr("10 agents"), HasSubstr("grows without bound")));
  const absl::Status over =
      ErlangC({.arrival_rate_per_second = 0.6, .mean_handle_time = absl::Seconds(20), .agents = 10},
              absl::Seconds(20))
          .status();
  EXPECT_EQ(over.code(), absl::StatusCode::kFailedPrecondition) << over;
  EXPECT_THAT(std::string(over.message()), AllOf(HasSubstr("occupancy 1.2"),
                                                 HasSubstr("12 Erlangs")));
}

TEST(ErlangCBadInputTest, OverflowingLoadIsUnstableNotNaN) {
  // 1e300 arrivals/s for 1e10 s each: A overflows to +inf.
  const absl::Status status = ErlangC({.arrival_rate_per_second = 1e300,
                                       .mean_handle_time = absl::Seconds(1e10),
                                       .agents = 10},
                                      absl::Seconds(20))
                                  .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

TEST(AgentsForServiceLevelBadInputTest, RejectsBadTraffic) {
  for (double rate : {0.0, -1.0, kNaN, kInf}) {
    ExpectInvalid(
        AgentsForServiceLevel(rate, absl::Seconds(180), absl::Seconds(20), 0.8).status(),
        "arrival_rate_per_second");
  }
  for (absl::Duration aht : {absl::ZeroDuration(), absl::Seconds(-3), absl::InfiniteDuration()}) {
    ExpectInvalid(AgentsForServiceLevel(0.05, aht, absl::Seconds(20), 0.8).status(),
                  "mean_handle_time");
  }
  ExpectInvalid(
      AgentsForServiceLevel(0.05, absl::Seconds(180), absl::Seconds(-1), 0.8).status(),
      "threshold");
}

TEST(AgentsForServiceLevelBadInputTest, RejectsTargetOutsideOpenUnitInterval) {
  for (double target : {0.0, -0.1, 1.0, 1.5, kNaN, kInf}) {
    SCOPED_TRACE(target);
    ExpectInvalid(
        AgentsForServiceLevel(0.05, absl::Seconds(180), absl::Seconds(20), target).status(),
        "target_service_level");
  }
}

TEST(AgentsForServiceLevelBadInputTest, LoadBeyondCapIsOutOfRange) {
  // 2e6 Erlangs: stability alone needs more than kMaxAgents.
  const absl::Status status =
      AgentsForServiceLevel(2e6 / 100.0, absl::Seconds(100), absl::Seconds(20), 0.8).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange) << status;
}

}  // namespace
}  // namespace omniroute::sim
