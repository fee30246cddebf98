// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/metrics.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "service/convert.h"

namespace omniroute::service {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr int kStatusCodes = 17;  // grpc::StatusCode OK (0) to UNAUTHENTICATED (16)

const char* CodeName(int code) {
  static constexpr const char* kNames[kStatusCodes] = {"OK",
                                                       "CANCELLED",
                                                       "UNKNOWN",
                                                       "INVALID_ARGUMENT",
                                                       "DEADLINE_EXCEEDED",
                                                       "NOT_FOUND",
                                                       "ALREADY_EXISTS",
                                                       "PERMISSION_DENIED",
                                                       "RESOURCE_EXHAUSTED",
                                                       "FAILED_PRECONDITION",
                                                       "ABORTED",
                                                       "OUT_OF_RANGE",
                                                       "UNIMPLEMENTED",
                                                       "INTERNAL",
                                                       "UNAVAILABLE",
                                                       "DATA_LOSS",
                                                       "UNAUTHENTICATED"};
  return code >= 0 && code < kStatusCodes ? kNames[code] : "UNKNOWN";
}

// Seconds, from 100 µs (a call answered from memory) to 10 s.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

// A deque, so that the families added earlier stay where they are while
// more are added.
MetricFamily& AddFamily(std::deque<MetricFamily>& families, std::string name, std::string help,
                        MetricType type) {
  MetricFamily& family = families.emplace_back();
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

void AddValue(MetricFamily& family, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric& metric = family.metric.emplace_back();
  metric.label = std::move(labels);
  if (family.type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
}

// "email" for CHANNEL_EMAIL.
std::string ChannelLabel(Channel channel) {
  absl::string_view name = ChannelName(channel);
  absl::ConsumePrefix(&name, "CHANNEL_");
  return absl::AsciiStrToLower(name);
}

// The process's figures from /proc (Linux), under the names Prometheus's
// client libraries use, so that dashboards made for them work.
void AddProcessFamilies(std::deque<MetricFamily>& families) {
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces: fields are counted after
  // its closing parenthesis, which is field 3's start minus 2.
  const size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(absl::string_view(stat).substr(close + 2), ' ', absl::SkipEmpty());
    // fields[0] is field 3 (state): utime is field 14, stime 15, starttime
    // 22, vsize 23, rss 24.
    double utime = 0, stime = 0, start_ticks = 0, vsize = 0, rss = 0;
    if (fields.size() > 21 && absl::SimpleAtod(fields[11], &utime) &&
        absl::SimpleAtod(fields[12], &stime) && absl::SimpleAtod(fields[19], &start_ticks) &&
        absl::SimpleAtod(fields[20], &vsize) && absl::SimpleAtod(fields[21], &rss)) {
      AddValue(AddFamily(families, "process_cpu_seconds_total",
                         "User and system CPU time spent, in seconds.", MetricType::Counter),
               {}, (utime + stime) / tick);
      AddValue(AddFamily(families, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
                         MetricType::Gauge),
               {}, vsize);
      AddValue(AddFamily(families, "process_resident_memory_bytes",
                         "Resident memory size in bytes.", MetricType::Gauge),
               {}, rss * page);
      std::ifstream proc_stat("/proc/stat");
      std::string line;
      while (std::getline(proc_stat, line)) {
        double boot = 0;
        if (absl::StartsWith(line, "btime ") &&
            absl::SimpleAtod(absl::string_view(line).substr(6), &boot)) {
          AddValue(AddFamily(families, "process_start_time_seconds",
                             "Start time of the process since the Unix epoch, in seconds.",
                             MetricType::Gauge),
                   {}, boot + start_ticks / tick);
          break;
        }
      }
    }
  }
  std::error_code error;
  size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++fds;
  }
  if (!error) {
    AddValue(AddFamily(families, "process_open_fds", "Number of open file descriptors.",
                       MetricType::Gauge),
             {}, static_cast<double>(fds));
  }
}

}  // namespace

struct ServerMetrics::MethodMetrics {
  std::string name;
  // Created on the method's first call of each kind.
  std::atomic<prometheus::Histogram*> seconds{nullptr};
  std::array<std::atomic<prometheus::Counter*>, kStatusCodes> calls{};
};

namespace {

// Times a call from its start (the interceptor is made when the call
// begins) to the status the server sends.
class CallInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallInterceptor(ServerMetrics& metrics, grpc::experimental::ServerRpcInfo* info)
      : metrics_(metrics),
        method_(info->method()),
        unary_(info->type() == grpc::experimental::ServerRpcInfo::Type::UNARY),
        started_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const auto took = std::chrono::steady_clock::now() - started_;
      metrics_.ObserveCall(method_, unary_, methods->GetSendStatus().error_code(),
                           absl::FromChrono(took));
    }
    methods->Proceed();
  }

 private:
  ServerMetrics& metrics_;
  const char* const method_;
  const bool unary_;
  const std::chrono::steady_clock::time_point started_;
};

class CallInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallInterceptorFactory(ServerMetrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallInterceptor(metrics_, info);
  }

 private:
  ServerMetrics& metrics_;
};

}  // namespace

ServerMetrics::ServerMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  calls_ = &prometheus::BuildCounter()
                .Name("omniroute_grpc_server_handled_total")
                .Help("gRPC calls answered, by method and status code.")
                .Register(*registry_);
  call_seconds_ = &prometheus::BuildHistogram()
                       .Name("omniroute_grpc_server_handling_seconds")
                       .Help("Time from a unary call's start to its answer, in seconds.")
                       .Register(*registry_);
  store_write_seconds_ =
      &prometheus::BuildHistogram()
           .Name("omniroute_store_write_seconds")
           .Help(
               "Time the event store took to write a batch of commands' events (its sync "
               "included), in seconds.")
           .Register(*registry_)
           .Add({}, LatencyBuckets());
  store_write_events_ = &prometheus::BuildHistogram()
                             .Name("omniroute_store_write_events")
                             .Help("Events per write to the event store (group commit).")
                             .Register(*registry_)
                             .Add({}, prometheus::Histogram::BucketBoundaries{
                                          1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096});
  store_write_failures_ = &prometheus::BuildCounter()
                               .Name("omniroute_store_write_failures_total")
                               .Help("Writes to the event store that failed.")
                               .Register(*registry_)
                               .Add({});
  snapshot_seconds_ = &prometheus::BuildHistogram()
                           .Name("omniroute_snapshot_seconds")
                           .Help("Time to build and save a tenant's snapshot, in seconds.")
                           .Register(*registry_)
                           .Add({}, prometheus::Histogram::BucketBoundaries{
                                        0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60});
  auto& snapshots = prometheus::BuildCounter()
                        .Name("omniroute_snapshots_total")
                        .Help("Snapshots taken, by result (saved or failed).")
                        .Register(*registry_);
  snapshots_saved_ = &snapshots.Add({{"result", "saved"}});
  snapshots_failed_ = &snapshots.Add({{"result", "failed"}});
  snapshot_bytes_ = &prometheus::BuildGauge()
                         .Name("omniroute_snapshot_last_bytes")
                         .Help("Size of the last snapshot saved, in bytes.")
                         .Register(*registry_)
                         .Add({});
}

ServerMetrics::~ServerMetrics() = default;

ServerMetrics::MethodMetrics& ServerMetrics::MethodOf(const char* method) {
  {
    absl::ReaderMutexLock lock(&methods_mu_);
    const auto it = methods_by_address_.find(method);
    if (it != methods_by_address_.end()) return *it->second;
  }
  absl::MutexLock lock(&methods_mu_);
  std::unique_ptr<MethodMetrics>& slot = methods_[method];
  if (slot == nullptr) {
    slot = std::make_unique<MethodMetrics>();
    slot->name = method;
  }
  methods_by_address_[method] = slot.get();
  return *slot;
}

void ServerMetrics::ObserveCall(const char* method, bool unary, grpc::StatusCode code,
                                absl::Duration took) {
  if (method == nullptr) method = "unknown";
  MethodMetrics& m = MethodOf(method);
  const int index = static_cast<int>(code) >= 0 && static_cast<int>(code) < kStatusCodes
                        ? static_cast<int>(code)
                        : static_cast<int>(grpc::StatusCode::UNKNOWN);
  prometheus::Counter* counter = m.calls[index].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // The family hands the same counter to every Add of the same labels, so
    // two calls racing here store the same pointer.
    counter = &calls_->Add({{"method", m.name}, {"code", CodeName(index)}});
    m.calls[index].store(counter, std::memory_order_release);
  }
  counter->Increment();
  if (!unary) return;
  prometheus::Histogram* seconds = m.seconds.load(std::memory_order_acquire);
  if (seconds == nullptr) {
    seconds = &call_seconds_->Add({{"method", m.name}}, LatencyBuckets());
    m.seconds.store(seconds, std::memory_order_release);
  }
  seconds->Observe(absl::ToDoubleSeconds(took));
}

void ServerMetrics::ObserveStoreWrite(size_t events, absl::Duration took,
                                      const absl::Status& stored) {
  store_write_seconds_->Observe(absl::ToDoubleSeconds(took));
  store_write_events_->Observe(static_cast<double>(events));
  if (!stored.ok()) store_write_failures_->Increment();
}

void ServerMetrics::ObserveSnapshot(size_t bytes, absl::Duration took, const absl::Status& result) {
  snapshot_seconds_->Observe(absl::ToDoubleSeconds(took));
  if (result.ok()) {
    snapshots_saved_->Increment();
    snapshot_bytes_->Set(static_cast<double>(bytes));
  } else {
    snapshots_failed_->Increment();
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
ServerMetrics::NewInterceptorFactory() {
  return std::make_unique<CallInterceptorFactory>(*this);
}

std::string ServerMetrics::Render(const Engine& engine, const ChangeFeed& feed,
                                  absl::Time now) const {
  std::deque<MetricFamily> families;

  auto& waiting = AddFamily(families, "omniroute_queue_waiting_tasks",
                            "Tasks waiting in the queue for an agent.", MetricType::Gauge);
  auto& offered =
      AddFamily(families, "omniroute_queue_offered_tasks",
                "Tasks of the queue offered to an agent, not answered yet.", MetricType::Gauge);
  auto& assigned = AddFamily(families, "omniroute_queue_assigned_tasks",
                             "Tasks of the queue assigned to an agent.", MetricType::Gauge);
  auto& longest = AddFamily(families, "omniroute_queue_longest_wait_seconds",
                            "How long the oldest waiting task of the queue has waited (0 when "
                            "none waits), in seconds.",
                            MetricType::Gauge);
  auto& entered = AddFamily(families, "omniroute_queue_tasks_entered_total",
                            "Tasks that entered the queue.", MetricType::Counter);
  auto& assigned_total = AddFamily(families, "omniroute_queue_tasks_assigned_total",
                                   "Tasks of the queue assigned to an agent.", MetricType::Counter);
  auto& within_target = AddFamily(families, "omniroute_queue_tasks_assigned_within_target_total",
                                  "Tasks of the queue assigned within their first-response target.",
                                  MetricType::Counter);
  auto& cancelled =
      AddFamily(families, "omniroute_queue_tasks_cancelled_total",
                "Tasks of the queue cancelled before an agent took them.", MetricType::Counter);
  auto& agents = AddFamily(families, "omniroute_agents", "Agents of the tenant, by presence.",
                           MetricType::Gauge);
  auto& agents_working = AddFamily(families, "omniroute_agents_with_assigned_work",
                                   "Agents holding at least one assigned task.", MetricType::Gauge);
  auto& agents_wrapping = AddFamily(families, "omniroute_agents_wrapping_up",
                                    "Agents wrapping up at least one task.", MetricType::Gauge);
  auto& offers = AddFamily(families, "omniroute_offers_pending",
                           "Offers made to agents and not answered yet.", MetricType::Gauge);
  // Sliding windows (RoutingService.GetQueueStatistics), labelled 15m and
  // 60m; a figure with nothing to average is left out.
  auto& window_answered =
      AddFamily(families, "omniroute_queue_window_answered_tasks",
                "Tasks of the queue assigned to an agent within the window.", MetricType::Gauge);
  auto& window_abandoned = AddFamily(
      families, "omniroute_queue_window_abandoned_tasks",
      "Tasks of the queue the customer gave up waiting for within the window.", MetricType::Gauge);
  auto& service_level = AddFamily(
      families, "omniroute_queue_service_level_ratio",
      "Answered within target / (answered + abandoned), within the window.", MetricType::Gauge);
  auto& speed_of_answer =
      AddFamily(families, "omniroute_queue_average_speed_of_answer_seconds",
                "Average wait of the tasks answered within the window.", MetricType::Gauge);
  auto& handle_time = AddFamily(
      families, "omniroute_queue_average_handle_time_seconds",
      "Average time from assignment to the end of wrap-up of the tasks handled within the window.",
      MetricType::Gauge);
  auto& queue_agents = AddFamily(
      families, "omniroute_queue_agents",
      "Signed-in agents serving the queue, by state (busy, wrapping_up, available, away).",
      MetricType::Gauge);
  auto& estimated_wait = AddFamily(
      families, "omniroute_queue_estimated_wait_seconds",
      "What a task entering the queue on the channel now would wait (left out when unknown).",
      MetricType::Gauge);
  auto& events =
      AddFamily(families, "omniroute_tenant_events",
                "Events in the tenant's log (its last sequence number).", MetricType::Gauge);
  for (const std::string& tenant : engine.ListTenants()) {
    // A tenant handed off since ListTenants is left out of this scrape.
    absl::StatusOr<RoutingOverview> overview = engine.GetRoutingOverview(tenant);
    if (!overview.ok()) continue;
    for (const QueueStats& q : overview->queues) {
      const std::vector<ClientMetric::Label> labels = {{"tenant", tenant}, {"queue", q.queue}};
      AddValue(waiting, labels, q.waiting);
      AddValue(offered, labels, q.offered);
      AddValue(assigned, labels, q.assigned);
      AddValue(longest, labels,
               q.oldest_waiting_since.has_value()
                   ? std::max(0.0, absl::ToDoubleSeconds(now - *q.oldest_waiting_since))
                   : 0.0);
      AddValue(entered, labels, static_cast<double>(q.entered));
      AddValue(assigned_total, labels, static_cast<double>(q.assigned_total));
      AddValue(within_target, labels, static_cast<double>(q.assigned_within_target));
      AddValue(cancelled, labels, static_cast<double>(q.cancelled_total));
    }
    for (const auto& [presence, count] : overview->agents_by_presence) {
      AddValue(agents, {{"tenant", tenant}, {"presence", PresenceLabel(presence)}}, count);
    }
    AddValue(agents_working, {{"tenant", tenant}}, overview->agents_with_assigned_work);
    AddValue(agents_wrapping, {{"tenant", tenant}}, overview->agents_wrapping_up);
    AddValue(offers, {{"tenant", tenant}}, overview->offers_pending);
    absl::StatusOr<std::vector<QueueStatistics>> statistics = engine.GetQueueStatistics(tenant, {});
    if (statistics.ok()) {
      for (const QueueStatistics& q : *statistics) {
        for (const auto& [label, f] :
             {std::pair<const char*, const WindowFigures&>{"15m", q.last_15_minutes},
              std::pair<const char*, const WindowFigures&>{"60m", q.last_60_minutes}}) {
          const std::vector<ClientMetric::Label> labels = {
              {"tenant", tenant}, {"queue", q.queue}, {"window", label}};
          AddValue(window_answered, labels, static_cast<double>(f.answered));
          AddValue(window_abandoned, labels, static_cast<double>(f.abandoned));
          if (f.service_level) AddValue(service_level, labels, *f.service_level);
          if (f.average_speed_of_answer) {
            AddValue(speed_of_answer, labels, absl::ToDoubleSeconds(*f.average_speed_of_answer));
          }
          if (f.average_handle_time) {
            AddValue(handle_time, labels, absl::ToDoubleSeconds(*f.average_handle_time));
          }
        }
        for (const auto& [state, count] :
             {std::pair<const char*, int>{"busy", q.agents_busy},
              std::pair<const char*, int>{"wrapping_up", q.agents_wrapping_up},
              std::pair<const char*, int>{"available", q.agents_available},
              std::pair<const char*, int>{"away", q.agents_away}}) {
          AddValue(queue_agents, {{"tenant", tenant}, {"queue", q.queue}, {"state", state}}, count);
        }
        for (const ChannelStatistics& c : q.channels) {
          if (!c.new_task_wait.wait.has_value()) continue;
          AddValue(estimated_wait,
                   {{"tenant", tenant}, {"queue", q.queue}, {"channel", ChannelLabel(c.channel)}},
                   absl::ToDoubleSeconds(*c.new_task_wait.wait));
        }
      }
    }
    absl::StatusOr<uint64_t> last = engine.LastSequence(tenant);
    if (last.ok()) AddValue(events, {{"tenant", tenant}}, static_cast<double>(*last));
  }

  const ChangeFeed::Stats feed_stats = feed.stats();
  AddValue(AddFamily(families, "omniroute_change_feed_subscribers",
                     "Streams watching a tenant's events (WatchEvents, StreamOffers).",
                     MetricType::Gauge),
           {}, static_cast<double>(feed_stats.subscribers));
  AddValue(
      AddFamily(families, "omniroute_change_feed_buffered_events",
                "Events committed and not yet sent to the streams, in all.", MetricType::Gauge),
      {}, static_cast<double>(feed_stats.buffered_events));
  AddValue(AddFamily(families, "omniroute_change_feed_max_lag_events",
                     "Events committed and not yet sent to the stream furthest behind.",
                     MetricType::Gauge),
           {}, static_cast<double>(feed_stats.most_buffered_events));
  AddValue(AddFamily(families, "omniroute_change_feed_overflows_total",
                     "Streams ended for falling too far behind (their clients resume).",
                     MetricType::Counter),
           {}, static_cast<double>(feed_stats.overflows));

  const SnapshotStats snapshot_stats = engine.GetSnapshotStats();
  AddValue(AddFamily(families, "omniroute_snapshot_last_sequence",
                     "Sequence number of the last snapshot saved (any tenant).", MetricType::Gauge),
           {}, static_cast<double>(snapshot_stats.last_sequence));
  AddProcessFamilies(families);

  std::vector<MetricFamily> all = registry_->Collect();
  all.insert(all.end(), std::make_move_iterator(families.begin()),
             std::make_move_iterator(families.end()));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, all);
  return out.str();
}

}  // namespace omniroute::service
