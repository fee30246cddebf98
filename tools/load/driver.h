// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Issues a workload's operations over the callback client API: no thread
// waits on a call, a call's answer runs a callback on one of gRPC's
// threads, and that callback records the latency and starts what comes
// next. Two ways to load the server:
//
//   closed loop  N operations in flight at all times: when one ends the
//                next starts. Measures the throughput at that concurrency.
//   open loop    operations start at a fixed rate (evenly spaced or as a
//                Poisson process) whatever the server does. Latency is
//                counted from the intended start, so a server that falls
//                behind shows it in the latency instead of slowing the
//                client down (coordinated omission).

#ifndef OMNIROUTE_TOOLS_LOAD_DRIVER_H_
#define OMNIROUTE_TOOLS_LOAD_DRIVER_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "load/connections.h"
#include "load/stats.h"
#include "load/workload.h"

namespace omniroute::load {

class Driver {
 public:
  Driver(Connections& connections, Workload& workload, Recorder& recorder,
         std::chrono::milliseconds rpc_timeout)
      : connections_(connections),
        workload_(workload),
        recorder_(recorder),
        rpc_timeout_(rpc_timeout) {}

  // Runs until `end`, then waits for the calls in flight (each has a
  // deadline, so this ends).
  void RunClosedLoop(int concurrency, Clock::time_point end);
  void RunOpenLoop(double rate, bool poisson, Clock::time_point end, int max_in_flight,
                   uint64_t seed);

  // Waits until no call issued through Issue() is in flight.
  void Drain();

  // Open loop only: operations that could not start on time because
  // max_in_flight were already in flight (their latency still counts from
  // the intended start).
  int64_t delayed_starts() const { return delayed_starts_.load(); }

  // One call: `start` is the time its latency counts from. `issue` starts it
  // on a stub (stub->async()->Method(context, request, response, callback)),
  // `then(status, response)` runs when it ends. The call is recorded unless
  // `record` is false (the caller records it once it knows more).
  template <typename Response, typename Request, typename IssueFn, typename Then>
  void Issue(Rpc rpc, Clock::time_point start, Request request, IssueFn issue, Then then,
             bool record = true) {
    struct Call {
      grpc::ClientContext context;
      Request request;
      Response response;
    };
    auto* call = new Call;
    call->request = std::move(request);
    call->context.set_deadline(std::chrono::system_clock::now() + rpc_timeout_);
    Begin();
    issue(&call->context, &call->request, &call->response,
          [this, rpc, start, call, record, then = std::move(then)](grpc::Status status) mutable {
            if (record) recorder_.Record(rpc, start, Clock::now(), status);
            then(status, call->response);
            delete call;
            End();
          });
  }

  Connections& connections() { return connections_; }
  Recorder& recorder() { return recorder_; }

 private:
  // Runs one operation of the workload; `done` once it is over.
  void Execute(Operation op, Clock::time_point start, std::function<void()> done);
  // The closed loop's slot: starts the next operation, or ends the slot.
  void StartSlot(Clock::time_point end);

  void Begin();
  void End();

  Connections& connections_;
  Workload& workload_;
  Recorder& recorder_;
  const std::chrono::milliseconds rpc_timeout_;

  absl::Mutex mu_;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // Closed-loop slots whose next operation is left to the loop's thread:
  // started from a callback that itself ran inline (a call that failed at
  // once), they would nest without bound.
  int64_t deferred_slots_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t open_operations_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<int64_t> delayed_starts_{0};
};

}  // namespace omniroute::load

#endif  // OMNIROUTE_TOOLS_LOAD_DRIVER_H_
