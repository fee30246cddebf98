// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace omniroute::cli {
namespace {

struct State {
  absl::Mutex mu;
  grpc::ClientContext* context ABSL_GUARDED_BY(mu) = nullptr;
  bool interrupted ABSL_GUARDED_BY(mu) = false;
};

State& GetState() {
  static State* state = new State;  // Never destroyed: the signal thread outlives main().
  return *state;
}

sigset_t InterruptSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

[[noreturn]] void ReceiveSignals() {
  const sigset_t signals = InterruptSignals();
  State& state = GetState();
  for (;;) {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) continue;
    absl::MutexLock lock(&state.mu);
    if (state.context == nullptr || state.interrupted) {
      // Nothing to end cleanly, or asked twice: end now, as an unhandled
      // signal would (the shell reads 128 + N as "killed by signal N").
      _exit(128 + signal_number);
    }
    state.interrupted = true;
    state.context->TryCancel();
  }
}

}  // namespace

void InstallInterruptHandling() {
  const sigset_t signals = InterruptSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread(ReceiveSignals).detach();
}

CancelOnInterrupt::CancelOnInterrupt(grpc::ClientContext* context) {
  State& state = GetState();
  absl::MutexLock lock(&state.mu);
  state.context = context;
  state.interrupted = false;
}

CancelOnInterrupt::~CancelOnInterrupt() {
  State& state = GetState();
  absl::MutexLock lock(&state.mu);
  state.context = nullptr;
}

bool CancelOnInterrupt::interrupted() const {
  State& state = GetState();
  absl::MutexLock lock(&state.mu);
  return state.interrupted;
}

}  // namespace omniroute::cli
