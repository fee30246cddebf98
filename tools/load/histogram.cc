// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace omniroute::load {
namespace {

// 2^kSubBucketBits buckets per power of two above the exact range.
constexpr int kSubBucketBits = 8;
constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;

int BucketCount() { return Histogram::BucketOf(Histogram::kMaxValue) + 1; }

}  // namespace

int Histogram::BucketOf(int64_t value) {
  value = std::clamp<int64_t>(value, 0, kMaxValue);
  // The shift that leaves the value's top kSubBucketBits + 1 bits: 0 for
  // values below 2 * kSubBuckets, which are therefore exact.
  const int bits = std::bit_width(static_cast<uint64_t>(value));
  const int shift = std::max(0, bits - (kSubBucketBits + 1));
  if (shift == 0) return static_cast<int>(value);
  return static_cast<int>((shift + 1) * kSubBuckets + ((value >> shift) - kSubBuckets));
}

int64_t Histogram::LowestInBucket(int bucket) {
  if (bucket < 2 * kSubBuckets) return bucket;
  const int shift = static_cast<int>(bucket / kSubBuckets) - 1;
  return (kSubBuckets + bucket % kSubBuckets) << shift;
}

int64_t Histogram::HighestInBucket(int bucket) {
  if (bucket < 2 * kSubBuckets) return bucket;
  const int shift = static_cast<int>(bucket / kSubBuckets) - 1;
  return LowestInBucket(bucket) + (int64_t{1} << shift) - 1;
}

Histogram::Histogram() : counts_(BucketCount(), 0) {}

void Histogram::Record(int64_t value) {
  value = std::clamp<int64_t>(value, 0, kMaxValue);
  ++counts_[BucketOf(value)];
  if (count_ == 0 || value < min_) min_ = value;
  max_ = std::max(max_, value);
  sum_ += value;
  ++count_;
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  count_ += other.count_;
}

double Histogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

int64_t Histogram::Percentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // Nearest rank: the ceil(p/100 * n)-th smallest value, at least the first.
  // The small epsilon keeps 99.9% of 1000 at rank 999 despite rounding.
  const int64_t rank = std::max<int64_t>(
      1, static_cast<int64_t>(
             std::ceil(percentile * static_cast<double>(count_) / 100.0 - 1e-9)));
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(HighestInBucket(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace omniroute::load
