// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The load generator's latency histogram (tools/load/histogram.h) on inputs
// whose percentiles are worked out by hand.

#include "load/histogram.h"

#include "gtest/gtest.h"

namespace omniroute::load {
namespace {

TEST(LoadHistogramTest, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.Percentile(50), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.mean(), 0);
}

// 1..100 once each: below 512 every value has its own bucket, so the
// nearest-rank percentile p is exactly ceil(p) here.
TEST(LoadHistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (int v = 100; v >= 1; --v) h.Record(v);
  EXPECT_EQ(h.count(), 100);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 100);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
  EXPECT_EQ(h.Percentile(0), 1);
  EXPECT_EQ(h.Percentile(50), 50);
  EXPECT_EQ(h.Percentile(90), 90);
  EXPECT_EQ(h.Percentile(99), 99);
  EXPECT_EQ(h.Percentile(99.9), 100);  // Rank ceil(99.9) = 100.
  EXPECT_EQ(h.Percentile(100), 100);
}

// 999 values of 10 and one of 1000: rank 999 of 1000 is still 10 (99.9%),
// and anything above that is the outlier.
TEST(LoadHistogramTest, NearestRankAtTheTail) {
  Histogram h;
  for (int i = 0; i < 999; ++i) h.Record(10);
  h.Record(1000);
  EXPECT_EQ(h.Percentile(99.9), 10);
  EXPECT_EQ(h.Percentile(99.95), 1000);
  EXPECT_EQ(h.max(), 1000);
}

// Above 512 a bucket is 1/256 of its power of two wide. 1,000,000 has 20
// bits; its top 9 bits (shift 11) are 488, so its bucket holds
// [488 * 2048, 489 * 2048) = [999424, 1001471].
TEST(LoadHistogramTest, LargeValuesLandInLogBuckets) {
  const int bucket = Histogram::BucketOf(1000000);
  EXPECT_EQ(Histogram::LowestInBucket(bucket), 999424);
  EXPECT_EQ(Histogram::HighestInBucket(bucket), 1001471);
  EXPECT_EQ(Histogram::BucketOf(999424), bucket);
  EXPECT_EQ(Histogram::BucketOf(1001471), bucket);
  EXPECT_EQ(Histogram::BucketOf(1001472), bucket + 1);
  EXPECT_EQ(Histogram::BucketOf(511), 511);
  EXPECT_EQ(Histogram::BucketOf(512), 512);
  EXPECT_EQ(Histogram::BucketOf(513), 512);  // [512, 513]: 2 wide.

  Histogram h;
  h.Record(1000000);
  h.Record(2000000);
  // The median is the first value, reported as its bucket's highest.
  EXPECT_EQ(h.Percentile(50), 1001471);
  // The top never exceeds the exact maximum.
  EXPECT_EQ(h.Percentile(100), 2000000);
  EXPECT_EQ(h.max(), 2000000);
}

TEST(LoadHistogramTest, BucketsCoverEveryValueWithinTheirPrecision) {
  for (int64_t v : {int64_t{600}, int64_t{4097}, int64_t{123456789}, int64_t{1} << 39}) {
    const int b = Histogram::BucketOf(v);
    EXPECT_LE(Histogram::LowestInBucket(b), v);
    EXPECT_GE(Histogram::HighestInBucket(b), v);
    EXPECT_LE(Histogram::HighestInBucket(b) - Histogram::LowestInBucket(b) + 1, v / 256 + 1);
    EXPECT_EQ(Histogram::LowestInBucket(b + 1), Histogram::HighestInBucket(b) + 1);
  }
}

TEST(LoadHistogramTest, ValuesOutOfRangeAreClamped) {
  Histogram h;
  h.Record(-5);
  h.Record(Histogram::kMaxValue + 1000);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), Histogram::kMaxValue);
}

// Merging two halves gives what recording everything in one would.
TEST(LoadHistogramTest, MergeAddsCounts) {
  Histogram low;
  Histogram high;
  Histogram all;
  for (int v = 1; v <= 50; ++v) {
    low.Record(v);
    all.Record(v);
  }
  for (int v = 51; v <= 100; ++v) {
    high.Record(v * 1000);
    all.Record(v * 1000);
  }
  Histogram merged;
  merged.Merge(low);
  merged.Merge(high);
  merged.Merge(Histogram());  // An empty one changes nothing.
  EXPECT_EQ(merged.count(), 100);
  EXPECT_EQ(merged.min(), 1);
  EXPECT_EQ(merged.max(), 100000);
  EXPECT_DOUBLE_EQ(merged.mean(), all.mean());
  for (double p : {10.0, 50.0, 51.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(merged.Percentile(p), all.Percentile(p)) << p;
  }
  // Rank 50 is the last of the low half, exactly; rank 51 is 51,000, whose
  // bucket (16 bits, shift 7: 398 * 128 = 50944) ends at 51071.
  EXPECT_EQ(merged.Percentile(50), 50);
  EXPECT_EQ(merged.Percentile(51), 51071);
}

}  // namespace
}  // namespace omniroute::load
