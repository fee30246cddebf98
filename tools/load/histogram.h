// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A latency histogram in the manner of HdrHistogram: values below 512 are
// counted exactly, larger ones in buckets 1/256 of their power of two wide,
// so any percentile is within 0.4% of the true value whatever the range, at
// a fixed cost per record (no sorting, no sample kept). Two histograms merge
// by adding their counts, which is how per-thread or per-phase figures
// become one.

#ifndef OMNIROUTE_TOOLS_LOAD_HISTOGRAM_H_
#define OMNIROUTE_TOOLS_LOAD_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace omniroute::load {

class Histogram {
 public:
  // Values are clamped to [0, kMaxValue] (about 18 minutes in nanoseconds):
  // a latency beyond that is a hung call, and the clamp keeps the table
  // small.
  static constexpr int64_t kMaxValue = (int64_t{1} << 40) - 1;

  Histogram();

  void Record(int64_t value);
  void Merge(const Histogram& other);

  int64_t count() const { return count_; }
  // Exact; 0 when empty.
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  double mean() const;

  // The smallest recorded value v such that at least `percentile` percent of
  // the values are <= v (nearest rank), reported as the highest value of
  // its bucket and never above max(). 0 when empty. `percentile` in [0, 100].
  int64_t Percentile(double percentile) const;

  // The bucket of a value and the bucket's bounds, for tests and reports.
  static int BucketOf(int64_t value);
  static int64_t LowestInBucket(int bucket);
  static int64_t HighestInBucket(int bucket);

 private:
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  // Exact sum for the mean; 2^63 ns is 292 years of latency.
  int64_t sum_ = 0;
};

}  // namespace omniroute::load

#endif  // OMNIROUTE_TOOLS_LOAD_HISTOGRAM_H_
