// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The simulator's random draws: reproducible streams, exact antithetic
// twins, and distributions whose moments match what the scenario asks for
// (against the textbook normal quantiles and the lognormal moment formulas).

#include "sim/sampling.h"

#include <cmath>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace omniroute::sim {
namespace {

TEST(RandomStreamTest, SameSeedSameDrawsOtherStreamOtherDraws) {
  RandomStream a(42, 0, 1, false), b(42, 0, 1, false), c(42, 0, 2, false), d(42, 1, 1, false);
  int equal_to_c = 0, equal_to_d = 0;
  for (int i = 0; i < 1000; ++i) {
    const double x = a.Uniform();
    EXPECT_EQ(x, b.Uniform());
    equal_to_c += x == c.Uniform();
    equal_to_d += x == d.Uniform();
  }
  EXPECT_EQ(equal_to_c, 0);
  EXPECT_EQ(equal_to_d, 0);
}

TEST(RandomStreamTest, UniformIsInsideTheOpenIntervalAndTheTwinMirrorsIt) {
  RandomStream stream(9, 3, 5, false), twin(9, 3, 5, true);
  for (int i = 0; i < 100000; ++i) {
    const double u = stream.Uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    ASSERT_EQ(twin.Uniform(), 1.0 - u);
  }
}

TEST(RandomStreamTest, ExponentialHasItsMean) {
  // The mean of n exponential draws has a relative standard error of
  // 1/sqrt(n): 0.1% here, so 0.5% is five of them.
  RandomStream stream(1, 0, 0, false);
  constexpr int kDraws = 1'000'000;
  double sum = 0.0;
  for (int i = 0; i < kDraws; ++i) sum += absl::ToDoubleSeconds(stream.Exponential(absl::Minutes(3)));
  EXPECT_NEAR(sum / kDraws, 180.0, 180.0 * 0.005);
}

TEST(RandomStreamTest, LognormalHasTheMeanAndDeviationAskedFor) {
  RandomStream stream(2, 0, 0, false);
  constexpr int kDraws = 1'000'000;
  const double mean = 300.0, sd = 150.0;
  double sum = 0.0, squares = 0.0;
  for (int i = 0; i < kDraws; ++i) {
    const double x =
        absl::ToDoubleSeconds(stream.Lognormal(absl::Seconds(mean), absl::Seconds(sd)));
    ASSERT_GT(x, 0.0);
    sum += x;
    squares += x * x;
  }
  const double m = sum / kDraws;
  const double s = std::sqrt(squares / kDraws - m * m);
  // Relative standard errors: sd / mean / sqrt(n) = 0.05% for the mean,
  // about 0.2% for the deviation at this shape.
  EXPECT_NEAR(m, mean, mean * 0.003);
  EXPECT_NEAR(s, sd, sd * 0.015);
}

TEST(RandomStreamTest, LognormalWithoutDeviationIsTheMean) {
  RandomStream stream(3, 0, 0, false);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(stream.Lognormal(absl::Seconds(90), absl::ZeroDuration()), absl::Seconds(90));
  }
}

TEST(NormalQuantileTest, MatchesPublishedValues) {
  // Abramowitz & Stegun, table 26.5.
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963985, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.9), 1.281551566, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.001), -3.090232306, 1e-8);
  EXPECT_NEAR(NormalQuantile(1e-9), -5.997807015, 1e-7);
}

TEST(NormalQuantileTest, IsOddForTwinDraws) {
  // What antithetic lognormal draws rely on: the twin's quantile is the
  // exact negation, in the tails as in the centre.
  RandomStream stream(4, 0, 0, false), twin(4, 0, 0, true);
  for (int i = 0; i < 100000; ++i) {
    const double u = stream.Uniform();
    ASSERT_EQ(NormalQuantile(twin.Uniform()), -NormalQuantile(u)) << u;
  }
}

}  // namespace
}  // namespace omniroute::sim
