// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What the load generator counts: per kind of RPC, the latency of each call
// that started inside the measured window and its outcome by gRPC code.
// Calls that started during the warm-up are not measured, but their errors
// are kept, so that a run whose warm-up fails does not pass for a good one.

#ifndef OMNIROUTE_TOOLS_LOAD_STATS_H_
#define OMNIROUTE_TOOLS_LOAD_STATS_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/status.h"
#include "load/histogram.h"

namespace omniroute::load {

using Clock = std::chrono::steady_clock;

enum class Rpc {
  kPing,
  kIngestMessage,
  kLinkIdentity,
  kHandoff,
  kGetConversation,
  kAcceptOffer,
  kCompleteTask,
  kGetTask,
  kSetConversationStatus,
  // An agent's stream of offers: counted only when it ends by itself.
  kStreamOffers,
};
inline constexpr int kRpcKinds = 10;

// The method's name as the API spells it.
const char* RpcName(Rpc rpc);
// "OK", "UNAVAILABLE", ...
std::string StatusCodeName(grpc::StatusCode code);

struct RpcStats {
  Histogram latency_ns;
  // Calls answered OK, and the others by code.
  int64_t ok = 0;
  std::map<std::string, int64_t> errors;
  // Refused for a reason the workload itself explains, checked with the
  // server: an offer taken back, or a task handed off, before the agent's
  // answer arrived. Not errors: the race is the customer's and the agent's.
  int64_t superseded = 0;
  int64_t error_count() const;
  int64_t count() const { return ok + superseded + error_count(); }
};

// A measured call slower than the threshold of Recorder::KeepSlowCalls, for
// lining up a latency spike with what the server did at that moment (its
// snapshots, syncs, checkpoints): hence the wall-clock time.
struct SlowCall {
  Rpc rpc = Rpc::kPing;
  // The intended start, in microseconds since the Unix epoch, and on the
  // steady clock (CLOCK_MONOTONIC, the clock of `perf record -k mono`).
  int64_t start_unix_us = 0;
  int64_t start_steady_us = 0;
  int64_t latency_us = 0;
};

class Recorder {
 public:
  Recorder(Clock::time_point measure_begin, Clock::time_point measure_end)
      : begin_(measure_begin),
        end_(measure_end),
        steady_origin_(Clock::now()),
        wall_origin_(std::chrono::system_clock::now()) {}

  // From now on, keeps each measured call that took at least `threshold`,
  // the first `max_calls` of them (the others are only counted).
  void KeepSlowCalls(std::chrono::nanoseconds threshold, size_t max_calls);

  // A call of `rpc` meant to start at `start` (the intended send time in an
  // open loop, so that a late send counts against the server's latency as
  // a client waiting would see it) that finished at `end`.
  // `superseded`: the call failed for a reason the workload explains (see
  // RpcStats::superseded).
  void Record(Rpc rpc, Clock::time_point start, Clock::time_point end,
              const grpc::Status& status, bool superseded = false);

  void CountOffer(Clock::time_point at);

  // From now on, times each offer from its task's creation: TaskCreated
  // (the answer of the ingest that created the task: its created_at, the
  // server's clock) and OfferArrived (an agent's stream; this machine's
  // clock) are paired by task id, whichever comes first, and the offers that
  // arrived in the window are timed. Only meaningful when the server runs
  // on this machine, as the benchmarks do; a negative time (a clock that
  // stepped) is not recorded.
  void TimeOffers();
  void TaskCreated(uint64_t task, std::chrono::system_clock::time_point created);
  void OfferArrived(uint64_t task, Clock::time_point at,
                    std::chrono::system_clock::time_point wall);

  struct Snapshot {
    std::array<RpcStats, kRpcKinds> rpcs;
    int64_t offers = 0;
    Histogram offer_latency_ns;  // task created -> offer received
    int64_t warmup_calls = 0;
    int64_t warmup_errors = 0;
    int64_t late_calls = 0;  // Started after the window: not measured.
    // KeepSlowCalls: in the order they ended, and those beyond its maximum.
    std::vector<SlowCall> slow_calls;
    int64_t slow_calls_dropped = 0;
  };
  Snapshot Take() const;

  bool InWindow(Clock::time_point t) const { return t >= begin_ && t < end_; }

 private:
  const Clock::time_point begin_;
  const Clock::time_point end_;
  // Where steady time meets wall time, to give a slow call a wall-clock
  // start.
  const Clock::time_point steady_origin_;
  const std::chrono::system_clock::time_point wall_origin_;
  mutable absl::Mutex mu_;
  std::chrono::nanoseconds slow_threshold_ ABSL_GUARDED_BY(mu_) = std::chrono::nanoseconds::max();
  size_t max_slow_calls_ ABSL_GUARDED_BY(mu_) = 0;
  Snapshot data_ ABSL_GUARDED_BY(mu_);
  // TimeOffers: the half of each pair known so far, by task id.
  struct OfferTimes {
    std::optional<std::chrono::system_clock::time_point> created;
    std::optional<std::chrono::system_clock::time_point> arrived_wall;
    Clock::time_point arrived;
  };
  bool time_offers_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<uint64_t, OfferTimes> offer_times_ ABSL_GUARDED_BY(mu_);
  void RecordOfferTime(const OfferTimes& times) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace omniroute::load

#endif  // OMNIROUTE_TOOLS_LOAD_STATS_H_
