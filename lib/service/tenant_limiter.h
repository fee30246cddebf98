// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Limits per tenant: how many requests a tenant may make per second and how
// many server streams (WatchEvents, StreamOffers) it may hold open at once,
// so that one tenant flooding a node cannot starve the others. Each tenant
// has its own token bucket and its own stream count; a refusal costs a hash
// lookup under one of several locks, before any handler runs.
//
// A refusal is RESOURCE_EXHAUSTED naming the tenant and the limit, with the
// delay after which a retry would be admitted as a payload (kRetryInfoTypeUrl,
// the bytes of google.rpc.RetryInfo) that ToGrpcStatus sends in the gRPC
// status details.
//
// Thread-safe. Memory: one small entry per tenant that has used part of its
// bucket or holds a stream; full buckets are dropped as they are met.

#ifndef OMNIROUTE_LIB_SERVICE_TENANT_LIMITER_H_
#define OMNIROUTE_LIB_SERVICE_TENANT_LIMITER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "omniroute/clock.h"

namespace omniroute::service {

// The type URL of the retry delay a refusal carries (google.rpc.RetryInfo's:
// standard gRPC clients decode it from the status details).
inline constexpr absl::string_view kRetryInfoTypeUrl = "type.googleapis.com/google.rpc.RetryInfo";

struct TenantLimits {
  // Requests each tenant may make per second, on average; 0: no limit.
  double requests_per_second = 0;
  // Requests a tenant may make at once after a quiet spell (the bucket's
  // size); 0: one second's worth (at least 1).
  int64_t burst = 0;
  // Server streams each tenant may hold open at once; 0: no limit.
  int64_t max_streams = 0;
};

// INVALID_ARGUMENT naming the field when a limit is negative, not finite, or
// a burst is given without a rate.
absl::Status CheckTenantLimits(const TenantLimits& limits);

// The retry delay carried by `status` (a refusal of TenantLimiter), if any.
std::optional<absl::Duration> RetryDelayOf(const absl::Status& status);

class TenantLimiter {
 public:
  // `limits` must pass CheckTenantLimits. `clock` (not owned) must outlive
  // the limiter.
  TenantLimiter(const TenantLimits& limits, const Clock& clock);

  TenantLimiter(const TenantLimiter&) = delete;
  TenantLimiter& operator=(const TenantLimiter&) = delete;

  // Takes one request from `tenant`'s bucket: OK, or RESOURCE_EXHAUSTED
  // with the delay until a token is back.
  absl::Status AdmitRequest(absl::string_view tenant);

  // One open stream of a tenant, counted until the slot is destroyed (or
  // moved from). Must not outlive its limiter.
  class StreamSlot {
   public:
    StreamSlot() = default;
    StreamSlot(StreamSlot&& other) noexcept;
    StreamSlot& operator=(StreamSlot&& other) noexcept;
    ~StreamSlot();

   private:
    friend class TenantLimiter;
    StreamSlot(TenantLimiter* limiter, std::string tenant)
        : limiter_(limiter), tenant_(std::move(tenant)) {}
    void Release();

    TenantLimiter* limiter_ = nullptr;
    std::string tenant_;
  };

  // A slot for one more open stream of `tenant`, or RESOURCE_EXHAUSTED when
  // it holds max_streams already (retry delay: one second, as a stream's
  // end cannot be foreseen). Also takes a request from the bucket.
  absl::StatusOr<StreamSlot> OpenStream(absl::string_view tenant);

  // Streams `tenant` holds open now.
  int64_t OpenStreams(absl::string_view tenant) const;

  const TenantLimits& limits() const { return limits_; }

 private:
  struct Entry {
    double tokens = 0;
    absl::Time refilled;
    int64_t streams = 0;
  };
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, Entry> entries ABSL_GUARDED_BY(mu);
    uint64_t admitted_since_sweep ABSL_GUARDED_BY(mu) = 0;
  };
  static constexpr int kShards = 16;

  Shard& ShardOf(absl::string_view tenant);
  const Shard& ShardOf(absl::string_view tenant) const;
  // Takes a token from `entry` at `now`; the refusal when there is none.
  absl::Status TakeToken(absl::string_view tenant, Entry& entry, absl::Time now);
  // Drops the entries of `shard` whose bucket is full and that hold no
  // stream: they are as good as absent.
  void Sweep(Shard& shard, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  void ReleaseStream(absl::string_view tenant);

  const TenantLimits limits_;
  const double bucket_size_;
  const Clock& clock_;
  std::array<Shard, kShards> shards_;
};

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_TENANT_LIMITER_H_
