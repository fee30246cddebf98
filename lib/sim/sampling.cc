// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "sim/sampling.h"

#include <cmath>
#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace omniroute::sim {
namespace {

std::seed_seq SeedSequence(uint64_t seed, uint32_t pair, uint32_t stream) {
  return std::seed_seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), pair,
                       stream};
}

// Acklam's coefficients: the central region...
constexpr double kA[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                         -2.759285104469687e+02, 1.383577518672690e+02,
                         -3.066479806614716e+01, 2.506628277459239e+00};
constexpr double kB[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                         -1.556989798598866e+02, 6.680131188771972e+01,
                         -1.328068155288572e+01};
// ...and the tails.
constexpr double kC[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                         -2.400758277161838e+00, -2.549732539343734e+00,
                         4.374664141464968e+00,  2.938163982698783e+00};
constexpr double kD[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                         3.754408661907416e+00};
constexpr double kTail = 0.02425;

// The lower tail, p < kTail.
double LowerTail(double p) {
  const double q = std::sqrt(-2.0 * std::log(p));
  return (((((kC[0] * q + kC[1]) * q + kC[2]) * q + kC[3]) * q + kC[4]) * q + kC[5]) /
         ((((kD[0] * q + kD[1]) * q + kD[2]) * q + kD[3]) * q + 1.0);
}

}  // namespace

RandomStream::RandomStream(uint64_t seed, uint32_t pair, uint32_t stream, bool mirrored)
    : mirrored_(mirrored) {
  std::seed_seq sequence = SeedSequence(seed, pair, stream);
  engine_.seed(sequence);
}

double RandomStream::Uniform() {
  // 52 random bits k give (k + 1/2) / 2^52: never 0 or 1, and 1 − u is
  // (2^52 − 1 − k + 1/2) / 2^52, the same lattice, computed exactly.
  constexpr double kScale = 1.0 / 4503599627370496.0;  // 2^-52
  const double u = (static_cast<double>(engine_() >> 12) + 0.5) * kScale;
  return mirrored_ ? 1.0 - u : u;
}

absl::Duration RandomStream::Exponential(absl::Duration mean) {
  return mean * -std::log(Uniform());
}

absl::Duration RandomStream::Lognormal(absl::Duration mean, absl::Duration stddev) {
  const double m = absl::ToDoubleSeconds(mean);
  const double s = absl::ToDoubleSeconds(stddev);
  const double u = Uniform();  // drawn even when unused, so streams stay aligned
  if (s <= 0.0) return mean;
  // ln X ~ N(mu, sigma^2) with E[X] = m and Var[X] = s^2.
  const double sigma2 = std::log1p((s / m) * (s / m));
  const double mu = std::log(m) - sigma2 / 2.0;
  return absl::Seconds(std::exp(mu + std::sqrt(sigma2) * NormalQuantile(u)));
}

double NormalQuantile(double p) {
  if (p < kTail) return LowerTail(p);
  if (p > 1.0 - kTail) return -LowerTail(1.0 - p);
  const double q = p - 0.5;
  const double r = q * q;
  return (((((kA[0] * r + kA[1]) * r + kA[2]) * r + kA[3]) * r + kA[4]) * r + kA[5]) * q /
         (((((kB[0] * r + kB[1]) * r + kB[2]) * r + kB[3]) * r + kB[4]) * r + 1.0);
}

}  // namespace omniroute::sim
