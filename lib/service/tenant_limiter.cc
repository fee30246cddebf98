// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/tenant_limiter.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "omniroute/v1/status_details.pb.h"

namespace omniroute::service {
namespace {

// A sweep runs after this many admissions in a shard, and only when the
// shard holds more entries than this.
constexpr uint64_t kSweepEvery = 4096;
constexpr size_t kSweepAbove = 1024;

// A stream's end cannot be foreseen: the delay a refused stream is given.
constexpr absl::Duration kStreamRetryDelay = absl::Seconds(1);

absl::Status Refusal(std::string message, absl::Duration retry_delay) {
  absl::Status status = absl::ResourceExhaustedError(std::move(message));
  v1::RetryInfo info;
  const int64_t nanos = std::max<int64_t>(absl::ToInt64Nanoseconds(retry_delay), 1);
  info.mutable_retry_delay()->set_seconds(nanos / 1'000'000'000);
  info.mutable_retry_delay()->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  status.SetPayload(kRetryInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

std::string FormatDelay(absl::Duration delay) {
  return absl::StrFormat("%.0f ms", std::ceil(absl::ToDoubleMilliseconds(delay)));
}

}  // namespace

absl::Status CheckTenantLimits(const TenantLimits& limits) {
  if (!std::isfinite(limits.requests_per_second) || limits.requests_per_second < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenant_requests_per_second: must be a number >= 0 (0: no limit), got ",
                     limits.requests_per_second));
  }
  if (limits.burst < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenant_burst: must be >= 0 (0: one second's worth), got ", limits.burst));
  }
  if (limits.burst > 0 && limits.requests_per_second == 0) {
    return absl::InvalidArgumentError(
        "tenant_burst: a burst needs a rate (tenant_requests_per_second > 0)");
  }
  if (limits.max_streams < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenant_max_streams: must be >= 0 (0: no limit), got ", limits.max_streams));
  }
  return absl::OkStatus();
}

std::optional<absl::Duration> RetryDelayOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryInfoTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  v1::RetryInfo info;
  if (!info.ParseFromString(std::string(*payload))) return std::nullopt;
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

TenantLimiter::TenantLimiter(const TenantLimits& limits, const Clock& clock)
    : limits_(limits),
      bucket_size_(limits.burst > 0 ? static_cast<double>(limits.burst)
                                    : std::max(1.0, limits.requests_per_second)),
      clock_(clock) {}

TenantLimiter::Shard& TenantLimiter::ShardOf(absl::string_view tenant) {
  return shards_[absl::HashOf(tenant) % kShards];
}

const TenantLimiter::Shard& TenantLimiter::ShardOf(absl::string_view tenant) const {
  return shards_[absl::HashOf(tenant) % kShards];
}

absl::Status TenantLimiter::TakeToken(absl::string_view tenant, Entry& entry, absl::Time now) {
  if (limits_.requests_per_second <= 0) return absl::OkStatus();
  if (now > entry.refilled) {
    entry.tokens =
        std::min(bucket_size_, entry.tokens + absl::ToDoubleSeconds(now - entry.refilled) *
                                                  limits_.requests_per_second);
    entry.refilled = now;
  }
  if (entry.tokens >= 1) {
    entry.tokens -= 1;
    return absl::OkStatus();
  }
  const absl::Duration delay = absl::Seconds((1 - entry.tokens) / limits_.requests_per_second);
  return Refusal(
      absl::StrCat("tenant \"", tenant, "\" is over its limit of ", limits_.requests_per_second,
                   " requests per second; retry in ", FormatDelay(delay)),
      delay);
}

void TenantLimiter::Sweep(Shard& shard, absl::Time now) {
  shard.admitted_since_sweep = 0;
  if (shard.entries.size() <= kSweepAbove) return;
  absl::erase_if(shard.entries, [&](const auto& item) {
    const Entry& entry = item.second;
    if (entry.streams > 0) return false;
    if (limits_.requests_per_second <= 0) return true;
    return entry.tokens +
               absl::ToDoubleSeconds(now - entry.refilled) * limits_.requests_per_second >=
           bucket_size_;
  });
}

absl::Status TenantLimiter::AdmitRequest(absl::string_view tenant) {
  if (limits_.requests_per_second <= 0) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  Shard& shard = ShardOf(tenant);
  absl::MutexLock lock(&shard.mu);
  if (++shard.admitted_since_sweep >= kSweepEvery) Sweep(shard, now);
  auto [it, inserted] = shard.entries.try_emplace(tenant);
  if (inserted) {
    it->second.tokens = bucket_size_;
    it->second.refilled = now;
  }
  return TakeToken(tenant, it->second, now);
}

absl::StatusOr<TenantLimiter::StreamSlot> TenantLimiter::OpenStream(absl::string_view tenant) {
  const absl::Time now = clock_.Now();
  Shard& shard = ShardOf(tenant);
  absl::MutexLock lock(&shard.mu);
  if (++shard.admitted_since_sweep >= kSweepEvery) Sweep(shard, now);
  auto [it, inserted] = shard.entries.try_emplace(tenant);
  Entry& entry = it->second;
  if (inserted) {
    entry.tokens = bucket_size_;
    entry.refilled = now;
  }
  if (limits_.max_streams > 0 && entry.streams >= limits_.max_streams) {
    return Refusal(absl::StrCat("tenant \"", tenant, "\" holds ", entry.streams,
                                " open streams, its limit; retry in ",
                                FormatDelay(kStreamRetryDelay), " or close one"),
                   kStreamRetryDelay);
  }
  if (absl::Status taken = TakeToken(tenant, entry, now); !taken.ok()) {
    if (inserted) shard.entries.erase(it);
    return taken;
  }
  ++entry.streams;
  return StreamSlot(this, std::string(tenant));
}

int64_t TenantLimiter::OpenStreams(absl::string_view tenant) const {
  const Shard& shard = ShardOf(tenant);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.entries.find(tenant);
  return it == shard.entries.end() ? 0 : it->second.streams;
}

void TenantLimiter::ReleaseStream(absl::string_view tenant) {
  Shard& shard = ShardOf(tenant);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.entries.find(tenant);
  if (it != shard.entries.end() && it->second.streams > 0) --it->second.streams;
}

TenantLimiter::StreamSlot::StreamSlot(StreamSlot&& other) noexcept
    : limiter_(std::exchange(other.limiter_, nullptr)), tenant_(std::move(other.tenant_)) {}

TenantLimiter::StreamSlot& TenantLimiter::StreamSlot::operator=(StreamSlot&& other) noexcept {
  if (this != &other) {
    Release();
    limiter_ = std::exchange(other.limiter_, nullptr);
    tenant_ = std::move(other.tenant_);
  }
  return *this;
}

TenantLimiter::StreamSlot::~StreamSlot() { Release(); }

void TenantLimiter::StreamSlot::Release() {
  if (limiter_ != nullptr) std::exchange(limiter_, nullptr)->ReleaseStream(tenant_);
}

}  // namespace omniroute::service
