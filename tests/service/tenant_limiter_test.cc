// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// TenantLimiter on a manual clock: each tenant's bucket, the retry delay a
// refusal carries, refills, stream slots, and the sweep that forgets full
// buckets without forgetting spent ones.

#include "service/tenant_limiter.h"

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"

namespace omniroute::service {
namespace {

using ::testing::HasSubstr;

TenantLimits Rate(double per_second, int64_t burst = 0) {
  TenantLimits limits;
  limits.requests_per_second = per_second;
  limits.burst = burst;
  return limits;
}

TEST(TenantLimiterTest, ABurstIsAdmittedThenRefusedWithTheDelayUntilTheNextToken) {
  ManualClock clock;
  TenantLimiter limiter(Rate(/*per_second=*/4, /*burst=*/3), clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.AdmitRequest("acme").ok()) << i;

  const absl::Status refused = limiter.AdmitRequest("acme");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(), HasSubstr("tenant \"acme\""));
  EXPECT_THAT(refused.message(), HasSubstr("4 requests per second"));
  // Empty bucket, 4 tokens per second: the next one in 250 ms.
  EXPECT_EQ(RetryDelayOf(refused), absl::Milliseconds(250));
  EXPECT_THAT(refused.message(), HasSubstr("retry in 250 ms"));

  // 100 ms later, 0.4 of a token: 150 ms to go.
  clock.Advance(absl::Milliseconds(100));
  EXPECT_EQ(RetryDelayOf(limiter.AdmitRequest("acme")), absl::Milliseconds(150));
  clock.Advance(absl::Milliseconds(150));
  EXPECT_TRUE(limiter.AdmitRequest("acme").ok());
  EXPECT_FALSE(limiter.AdmitRequest("acme").ok());
}

TEST(TenantLimiterTest, ARefusalDoesNotSpendAToken) {
  ManualClock clock;
  TenantLimiter limiter(Rate(/*per_second=*/10, /*burst=*/1), clock);
  ASSERT_TRUE(limiter.AdmitRequest("acme").ok());
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(limiter.AdmitRequest("acme").ok());
  // Refused calls took nothing: one token is back after 100 ms, as if they
  // had never been made.
  clock.Advance(absl::Milliseconds(100));
  EXPECT_TRUE(limiter.AdmitRequest("acme").ok());
}

TEST(TenantLimiterTest, EachTenantHasItsOwnBucket) {
  ManualClock clock;
  TenantLimiter limiter(Rate(/*per_second=*/2), clock);
  // Burst 0: one second's worth, 2 requests.
  EXPECT_TRUE(limiter.AdmitRequest("acme").ok());
  EXPECT_TRUE(limiter.AdmitRequest("acme").ok());
  EXPECT_FALSE(limiter.AdmitRequest("acme").ok());
  EXPECT_TRUE(limiter.AdmitRequest("globex").ok());
  EXPECT_TRUE(limiter.AdmitRequest("globex").ok());
  EXPECT_FALSE(limiter.AdmitRequest("globex").ok());
}

TEST(TenantLimiterTest, AQuietTenantRefillsOnlyUpToItsBurst) {
  ManualClock clock;
  TenantLimiter limiter(Rate(/*per_second=*/100, /*burst=*/5), clock);
  clock.Advance(absl::Hours(1));
  int admitted = 0;
  while (limiter.AdmitRequest("acme").ok()) ++admitted;
  EXPECT_EQ(admitted, 5);
}

TEST(TenantLimiterTest, ARateBelowOnePerSecondStillAdmitsOneRequest) {
  ManualClock clock;
  TenantLimiter limiter(Rate(/*per_second=*/0.5), clock);
  EXPECT_TRUE(limiter.AdmitRequest("acme").ok());
  EXPECT_EQ(RetryDelayOf(limiter.AdmitRequest("acme")), absl::Seconds(2));
}

TEST(TenantLimiterTest, WithoutLimitsEverythingIsAdmitted) {
  ManualClock clock;
  TenantLimiter limiter(TenantLimits{}, clock);
  std::vector<TenantLimiter::StreamSlot> slots;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(limiter.AdmitRequest("acme").ok());
    absl::StatusOr<TenantLimiter::StreamSlot> slot = limiter.OpenStream("acme");
    ASSERT_TRUE(slot.ok());
    slots.push_back(*std::move(slot));
  }
  EXPECT_EQ(limiter.OpenStreams("acme"), 1000);
}

TEST(TenantLimiterTest, StreamsAreCountedUntilTheirSlotIsGone) {
  ManualClock clock;
  TenantLimits limits;
  limits.max_streams = 2;
  TenantLimiter limiter(limits, clock);
  absl::StatusOr<TenantLimiter::StreamSlot> first = limiter.OpenStream("acme");
  absl::StatusOr<TenantLimiter::StreamSlot> second = limiter.OpenStream("acme");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(limiter.OpenStreams("acme"), 2);

  const absl::StatusOr<TenantLimiter::StreamSlot> third = limiter.OpenStream("acme");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(third.status().message(), HasSubstr("2 open streams"));
  EXPECT_EQ(RetryDelayOf(third.status()), absl::Seconds(1));
  // Another tenant is not counted with acme.
  EXPECT_TRUE(limiter.OpenStream("globex").ok());

  // A moved slot is counted once; its end frees the place.
  TenantLimiter::StreamSlot moved = *std::move(first);
  EXPECT_EQ(limiter.OpenStreams("acme"), 2);
  moved = TenantLimiter::StreamSlot();
  EXPECT_EQ(limiter.OpenStreams("acme"), 1);
  EXPECT_TRUE(limiter.OpenStream("acme").ok());  // Destroyed at once.
  EXPECT_EQ(limiter.OpenStreams("acme"), 1);
}

TEST(TenantLimiterTest, AStreamAlsoTakesARequestFromTheBucket) {
  ManualClock clock;
  TenantLimiter limiter(Rate(/*per_second=*/1, /*burst=*/1), clock);
  absl::StatusOr<TenantLimiter::StreamSlot> slot = limiter.OpenStream("acme");
  ASSERT_TRUE(slot.ok());
  EXPECT_FALSE(limiter.AdmitRequest("acme").ok());
  const absl::StatusOr<TenantLimiter::StreamSlot> refused = limiter.OpenStream("acme");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(limiter.OpenStreams("acme"), 1);
}

TEST(TenantLimiterTest, TheSweepForgetsFullBucketsButNotSpentOnes) {
  ManualClock clock;
  TenantLimiter limiter(Rate(/*per_second=*/1, /*burst=*/2), clock);
  ASSERT_TRUE(limiter.AdmitRequest("spent").ok());
  ASSERT_TRUE(limiter.AdmitRequest("spent").ok());
  // Many tenants, each one request, in every shard: sweeps run meanwhile.
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(limiter.AdmitRequest(absl::StrCat("tenant-", i)).ok()) << i;
  }
  // Still empty: a sweep that dropped it would have handed it a full bucket.
  EXPECT_FALSE(limiter.AdmitRequest("spent").ok());
  // Tenants swept as full come back with a full bucket: still right.
  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(limiter.AdmitRequest("tenant-0").ok());
  EXPECT_TRUE(limiter.AdmitRequest("tenant-0").ok());
  EXPECT_FALSE(limiter.AdmitRequest("tenant-0").ok());
}

TEST(TenantLimiterTest, BadLimitsAreRefusedNamingTheField) {
  TenantLimits negative_rate = Rate(-1);
  EXPECT_THAT(CheckTenantLimits(negative_rate).message(), HasSubstr("tenant_requests_per_second"));
  TenantLimits not_a_number = Rate(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(CheckTenantLimits(not_a_number).code(), absl::StatusCode::kInvalidArgument);
  TenantLimits infinite = Rate(std::numeric_limits<double>::infinity());
  EXPECT_EQ(CheckTenantLimits(infinite).code(), absl::StatusCode::kInvalidArgument);
  TenantLimits burst_alone;
  burst_alone.burst = 10;
  EXPECT_THAT(CheckTenantLimits(burst_alone).message(), HasSubstr("tenant_burst"));
  TenantLimits negative_burst = Rate(1, -1);
  EXPECT_THAT(CheckTenantLimits(negative_burst).message(), HasSubstr("tenant_burst"));
  TenantLimits negative_streams;
  negative_streams.max_streams = -2;
  EXPECT_THAT(CheckTenantLimits(negative_streams).message(), HasSubstr("tenant_max_streams"));
  EXPECT_TRUE(CheckTenantLimits(Rate(50, 100)).ok());
}

TEST(TenantLimiterTest, RetryDelayOfAnotherStatusIsNone) {
  EXPECT_FALSE(RetryDelayOf(absl::ResourceExhaustedError("too big")).has_value());
  EXPECT_FALSE(RetryDelayOf(absl::OkStatus()).has_value());
}

}  // namespace
}  // namespace omniroute::service
