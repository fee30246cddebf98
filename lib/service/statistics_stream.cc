// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// RoutingService.WatchQueueStatistics: a tenant's queue statistics, read
// again every interval and sent when they changed. Statistics move with the
// clock as well as with events (waits grow, windows slide), so the stream
// reads them on a timer rather than following the change feed. Reads run on
// the call executor, as the unary reads do; the timer is a grpc::Alarm.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/alarm.h"
#include "routing/routing_config.h"
#include "service/convert.h"
#include "service/relay_stream.h"
#include "service/services.h"

namespace omniroute::service {
namespace {

constexpr absl::Duration kDefaultInterval = absl::Seconds(1);
constexpr absl::Duration kMinInterval = absl::Milliseconds(100);
constexpr absl::Duration kMaxInterval = absl::Seconds(60);
// More queue ids than a tenant could sensibly name in one stream.
constexpr int kMaxQueueIds = 1000;

absl::StatusOr<absl::Duration> IntervalOf(const v1::WatchQueueStatisticsRequest& request) {
  if (!request.has_interval()) return kDefaultInterval;
  const absl::Duration interval = routing::ToDuration(request.interval());
  if (interval < kMinInterval || interval > kMaxInterval) {
    return absl::InvalidArgumentError(absl::StrCat(
        "interval: ", absl::FormatDuration(interval), " is outside ",
        absl::FormatDuration(kMinInterval), " to ", absl::FormatDuration(kMaxInterval)));
  }
  return interval;
}

// One stream. Its steps never overlap: a read (on the executor), then a
// write when something changed, then the alarm, then the next read. OnDone
// comes after Finish, which comes last in whichever step ends the stream.
class StatisticsWriter final : public grpc::ServerWriteReactor<v1::QueueStatisticsUpdate> {
 public:
  StatisticsWriter(grpc::CallbackServerContext* context, Engine& engine, CallExecutor* executor,
                   std::string tenant, std::vector<std::string> queue_ids, absl::Duration interval,
                   TenantLimiter::StreamSlot slot)
      : context_(context),
        engine_(engine),
        executor_(executor),
        tenant_(std::move(tenant)),
        queue_ids_(std::move(queue_ids)),
        interval_(interval),
        slot_(std::move(slot)) {
    Read();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      End(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was closed"));
      return;
    }
    Wait();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    // A pending alarm fires at once (not ok) and ends the stream.
    if (waiting_) alarm_.Cancel();
  }

  void OnDone() override { delete this; }

 private:
  // Reads the statistics on the executor, then writes or waits.
  void Read() {
    auto step = [this] {
      {
        absl::MutexLock lock(&mu_);
        if (cancelled_) {
          End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
          return;
        }
      }
      absl::StatusOr<std::vector<QueueStatistics>> stats =
          engine_.GetQueueStatistics(tenant_, queue_ids_);
      if (!stats.ok()) {
        // The tenant left this node, or a queue is gone: the client asks
        // again (the owner hint says where).
        AddOwnerHint(context_, stats.status());
        End(ToGrpcStatus(stats.status()));
        return;
      }
      update_.Clear();
      for (const QueueStatistics& queue : *stats) {
        v1::QueueStatistics proto;
        ToProto(queue, &proto);
        std::string bytes = proto.SerializeAsString();
        std::string& sent = last_sent_[queue.queue];
        if (sent == bytes) continue;
        sent = std::move(bytes);
        *update_.add_queues() = std::move(proto);
      }
      if (!stats->empty()) ToProto(stats->front().at, update_.mutable_at());
      if (update_.queues_size() > 0 || first_) {
        first_ = false;
        StartWrite(&update_);
      } else {
        Wait();
      }
    };
    if (executor_ != nullptr) {
      executor_->Submit(std::move(step));
    } else {
      step();
    }
  }

  void Wait() {
    {
      absl::MutexLock lock(&mu_);
      if (!cancelled_) {
        waiting_ = true;
        alarm_.Set(absl::ToChronoTime(absl::Now() + interval_), [this](bool fired) {
          {
            absl::MutexLock lock(&mu_);
            waiting_ = false;
          }
          if (fired) {
            Read();
          } else {
            End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
          }
        });
        return;
      }
    }
    End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
  }

  void End(const grpc::Status& status) { Finish(status); }

  grpc::CallbackServerContext* const context_;
  Engine& engine_;
  CallExecutor* const executor_;
  const std::string tenant_;
  const std::vector<std::string> queue_ids_;
  const absl::Duration interval_;
  // What each queue's last update held, to send changes only.
  absl::flat_hash_map<std::string, std::string> last_sent_;
  bool first_ = true;
  v1::QueueStatisticsUpdate update_;
  grpc::Alarm alarm_;
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;
  TenantLimiter::StreamSlot slot_;
};

}  // namespace

grpc::ServerWriteReactor<v1::QueueStatisticsUpdate>* RoutingServiceImpl::WatchQueueStatistics(
    grpc::CallbackServerContext* context, const v1::WatchQueueStatisticsRequest* request) {
  absl::StatusOr<TenantLimiter::StreamSlot> slot = AdmitStream(
      admission_, context, "/omniroute.v1.RoutingService/WatchQueueStatistics", request);
  if (!slot.ok()) return new FailedStream<v1::QueueStatisticsUpdate>(context, slot.status());
  absl::StatusOr<uint64_t> last = engine_.LastSequence(request->tenant_id());
  if (!last.ok()) {
    return RefusedStream<v1::QueueStatisticsUpdate>(
        forwarder_, context, last.status(),
        [request](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* client,
                  grpc::ClientReadReactor<v1::QueueStatisticsUpdate>* reactor) {
          v1::RoutingService::NewStub(channel)->async()->WatchQueueStatistics(client, request,
                                                                              reactor);
        },
        *std::move(slot));
  }
  absl::StatusOr<absl::Duration> interval = IntervalOf(*request);
  if (!interval.ok()) {
    return new FailedStream<v1::QueueStatisticsUpdate>(context, interval.status());
  }
  if (request->queue_ids_size() > kMaxQueueIds) {
    return new FailedStream<v1::QueueStatisticsUpdate>(
        context, absl::InvalidArgumentError(absl::StrCat("queue_ids: ", request->queue_ids_size(),
                                                         " ids; at most ", kMaxQueueIds)));
  }
  std::vector<std::string> ids(request->queue_ids().begin(), request->queue_ids().end());
  // Bad or unknown ids are refused before the stream starts.
  absl::StatusOr<std::vector<QueueStatistics>> check =
      engine_.GetQueueStatistics(request->tenant_id(), ids);
  if (!check.ok()) return new FailedStream<v1::QueueStatisticsUpdate>(context, check.status());
  return new StatisticsWriter(context, engine_, executor_, request->tenant_id(), std::move(ids),
                              *interval, *std::move(slot));
}

}  // namespace omniroute::service
