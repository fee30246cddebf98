// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/call_executor.h"

#include <utility>

namespace omniroute::service {

CallExecutor::CallExecutor(int threads) {
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

CallExecutor::~CallExecutor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

void CallExecutor::Submit(absl::AnyInvocable<void() &&> call) {
  absl::MutexLock lock(&mu_);
  calls_.push_back(std::move(call));
}

void CallExecutor::Work() {
  while (true) {
    absl::AnyInvocable<void() &&> call;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &CallExecutor::HasWork));
      if (calls_.empty()) return;  // Stopping, and nothing left.
      call = std::move(calls_.front());
      calls_.pop_front();
    }
    std::move(call)();
  }
}

}  // namespace omniroute::service
