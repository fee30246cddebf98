// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Threads for the request handlers that wait on the engine. A command waits
// until its events are stored, which on a durable store means a sync; gRPC's
// callback threads are few and must not block, or every call behind them
// (a Ping included) waits too. The handlers hand such calls to this pool and
// return at once; many of them waiting at the same time is what lets the
// engine's group commit put them in one sync.

#ifndef OMNIROUTE_LIB_SERVICE_CALL_EXECUTOR_H_
#define OMNIROUTE_LIB_SERVICE_CALL_EXECUTOR_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace omniroute::service {

// A fixed set of threads running submitted calls in arrival order.
//
// Thread-safe. The destructor runs the calls already submitted, then joins.
class CallExecutor {
 public:
  // `threads` >= 1.
  explicit CallExecutor(int threads);
  ~CallExecutor();
  CallExecutor(const CallExecutor&) = delete;
  CallExecutor& operator=(const CallExecutor&) = delete;

  void Submit(absl::AnyInvocable<void() &&> call);

 private:
  void Work();
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !calls_.empty(); }

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> calls_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_CALL_EXECUTOR_H_
