// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Random draws for the simulator. Every draw is the inverse distribution
// function applied to one uniform, so that a run can be mirrored exactly: an
// antithetic stream hands out 1 − u wherever its twin hands out u, and a
// long inter-arrival time in one run is a short one in the other (see
// v1.Scenario.antithetic). Streams are seeded through std::seed_seq from the
// scenario's seed and a stream number, so a run is the same on every
// platform and standard library (std::mt19937_64 is fully specified; the
// standard distributions are not, which is why none is used here).
//
// Thread-compatible: one stream per thread.

#ifndef OMNIROUTE_LIB_SIM_SAMPLING_H_
#define OMNIROUTE_LIB_SIM_SAMPLING_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace omniroute::sim {

class RandomStream {
 public:
  // The stream `stream` of replication pair `pair` for `seed`; `mirrored`
  // gives the antithetic twin of the same stream.
  RandomStream(uint64_t seed, uint32_t pair, uint32_t stream, bool mirrored);

  // Uniform in the open interval (0, 1), on a lattice symmetric about 1/2
  // (so that 1 − u is exact and on the same lattice).
  double Uniform();

  // Exponential with the given mean.
  absl::Duration Exponential(absl::Duration mean);

  // Lognormal with the given mean and standard deviation of the time itself
  // (not of its logarithm). A zero deviation gives the mean every time.
  absl::Duration Lognormal(absl::Duration mean, absl::Duration stddev);

  // True with probability p.
  bool Bernoulli(double p) { return Uniform() < p; }

 private:
  std::mt19937_64 engine_;
  bool mirrored_;
};

// The standard normal quantile Φ⁻¹(p) for p in (0, 1), relative error below
// 1.2e-9 (P. J. Acklam's rational approximation). Odd about 1/2:
// Φ⁻¹(1 − p) = −Φ⁻¹(p) exactly, which the antithetic streams rely on.
double NormalQuantile(double p);

}  // namespace omniroute::sim

#endif  // OMNIROUTE_LIB_SIM_SAMPLING_H_
