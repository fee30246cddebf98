// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "load/stats.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace omniroute::load {

const char* RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kPing:
      return "Ping";
    case Rpc::kIngestMessage:
      return "IngestMessage";
    case Rpc::kLinkIdentity:
      return "LinkIdentity";
    case Rpc::kHandoff:
      return "Handoff";
    case Rpc::kGetConversation:
      return "GetConversation";
    case Rpc::kAcceptOffer:
      return "AcceptOffer";
    case Rpc::kCompleteTask:
      return "CompleteTask";
    case Rpc::kGetTask:
      return "GetTask";
    case Rpc::kSetConversationStatus:
      return "SetConversationStatus";
    case Rpc::kStreamOffers:
      return "StreamOffers";
  }
  return "?";
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return absl::StrCat("CODE_", static_cast<int>(code));
  }
}

int64_t RpcStats::error_count() const {
  int64_t n = 0;
  for (const auto& [code, count] : errors) n += count;
  return n;
}

void Recorder::Record(Rpc rpc, Clock::time_point start, Clock::time_point end,
                      const grpc::Status& status, bool superseded) {
  absl::MutexLock lock(&mu_);
  if (start < begin_) {
    ++data_.warmup_calls;
    if (!status.ok() && !superseded) ++data_.warmup_errors;
    return;
  }
  if (start >= end_) {
    ++data_.late_calls;
    return;
  }
  RpcStats& stats = data_.rpcs[static_cast<int>(rpc)];
  const auto latency = std::chrono::duration_cast<std::chrono::nanoseconds>(end - start);
  stats.latency_ns.Record(latency.count());
  if (latency >= slow_threshold_) {
    if (data_.slow_calls.size() < max_slow_calls_) {
      const auto wall = wall_origin_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                           start - steady_origin_);
      data_.slow_calls.push_back(
          {.rpc = rpc,
           .start_unix_us =
               std::chrono::duration_cast<std::chrono::microseconds>(wall.time_since_epoch())
                   .count(),
           .start_steady_us =
               std::chrono::duration_cast<std::chrono::microseconds>(start.time_since_epoch())
                   .count(),
           .latency_us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count()});
    } else {
      ++data_.slow_calls_dropped;
    }
  }
  if (status.ok()) {
    ++stats.ok;
  } else if (superseded) {
    ++stats.superseded;
  } else {
    ++stats.errors[StatusCodeName(status.error_code())];
  }
}

void Recorder::KeepSlowCalls(std::chrono::nanoseconds threshold, size_t max_calls) {
  absl::MutexLock lock(&mu_);
  slow_threshold_ = threshold;
  max_slow_calls_ = max_calls;
  data_.slow_calls.reserve(std::min<size_t>(max_calls, 1 << 16));
}

void Recorder::CountOffer(Clock::time_point at) {
  if (!InWindow(at)) return;
  absl::MutexLock lock(&mu_);
  ++data_.offers;
}

void Recorder::TimeOffers() {
  absl::MutexLock lock(&mu_);
  time_offers_ = true;
}

void Recorder::RecordOfferTime(const OfferTimes& times) {
  if (!InWindow(times.arrived)) return;
  const int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(*times.arrived_wall - *times.created)
          .count();
  if (ns >= 0) data_.offer_latency_ns.Record(std::min<int64_t>(ns, Histogram::kMaxValue));
}

void Recorder::TaskCreated(uint64_t task, std::chrono::system_clock::time_point created) {
  absl::MutexLock lock(&mu_);
  if (!time_offers_) return;
  OfferTimes& times = offer_times_[task];
  times.created = created;
  if (times.arrived_wall.has_value()) {
    RecordOfferTime(times);
    offer_times_.erase(task);
  }
}

void Recorder::OfferArrived(uint64_t task, Clock::time_point at,
                            std::chrono::system_clock::time_point wall) {
  absl::MutexLock lock(&mu_);
  if (!time_offers_) return;
  OfferTimes& times = offer_times_[task];
  times.arrived = at;
  times.arrived_wall = wall;
  if (times.created.has_value()) {
    RecordOfferTime(times);
    offer_times_.erase(task);
  }
}

Recorder::Snapshot Recorder::Take() const {
  absl::MutexLock lock(&mu_);
  return data_;
}

}  // namespace omniroute::load
