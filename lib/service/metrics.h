// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// ServerMetrics: what a server has done and holds, in Prometheus's text
// format (served at /metrics of ServerOptions::metrics_listen).
//
// Two kinds of figures:
//  - counted as things happen (the gRPC calls, through an interceptor; the
//    store's writes and the snapshots, through the engine's hooks), kept in
//    prometheus-cpp's counters and histograms;
//  - read when scraped (each tenant's queues and agents, the change feed,
//    the process's memory and CPU), so that nothing on the path of a call
//    keeps them up to date.
//
// Label cardinality is bounded by configuration, never by traffic: method
// and status code, tenant, queue, presence. No customer, conversation, task
// or agent id is ever a label.
//
// Thread-safe.

#ifndef OMNIROUTE_LIB_SERVICE_METRICS_H_
#define OMNIROUTE_LIB_SERVICE_METRICS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"
#include "omniroute/engine.h"
#include "service/change_feed.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace omniroute::service {

class ServerMetrics {
 public:
  ServerMetrics();
  ~ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // One finished gRPC call: `method` as "/package.Service/Method". The
  // latency histogram counts unary calls only (a stream's duration is how
  // long its client watched, not how fast it was served); the counter
  // counts every call by its final code.
  void ObserveCall(const char* method, bool unary, grpc::StatusCode code, absl::Duration took);
  // A write of `events` events to the store (EngineOptions::on_store_write).
  void ObserveStoreWrite(size_t events, absl::Duration took, const absl::Status& stored);
  // A snapshot built and saved, or failed (EngineOptions::on_snapshot).
  void ObserveSnapshot(size_t bytes, absl::Duration took, const absl::Status& result);

  // Counts every call the server answers; give it to
  // grpc::ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory();

  // Everything, in Prometheus's text exposition format (version 0.0.4):
  // the counted figures, then those read now from `engine` (each tenant it
  // holds: its queues, agents and offers, as of `now`), `feed` and the
  // process.
  std::string Render(const Engine& engine, const ChangeFeed& feed, absl::Time now) const;

 private:
  struct MethodMetrics;
  MethodMetrics& MethodOf(const char* method);

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* calls_;
  prometheus::Family<prometheus::Histogram>* call_seconds_;
  prometheus::Histogram* store_write_seconds_;
  prometheus::Histogram* store_write_events_;
  prometheus::Counter* store_write_failures_;
  prometheus::Histogram* snapshot_seconds_;
  prometheus::Counter* snapshots_saved_;
  prometheus::Counter* snapshots_failed_;
  prometheus::Gauge* snapshot_bytes_;

  // Methods seen so far, by name and by the address of gRPC's name string
  // (the same for every call of a method, so the usual lookup hashes a
  // pointer under a reader lock). Entries are never removed.
  mutable absl::Mutex methods_mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<MethodMetrics>> methods_
      ABSL_GUARDED_BY(methods_mu_);
  absl::flat_hash_map<const char*, MethodMetrics*> methods_by_address_ ABSL_GUARDED_BY(methods_mu_);
};

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_METRICS_H_
