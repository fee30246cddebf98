// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Ctrl-C (SIGINT) and SIGTERM for a command line whose streams must end
// cleanly: a command that follows a stream (offers, watch) registers its
// call, and the signal cancels that call, so the command prints what it has
// and exits 0. Without a registered call the signal ends the process at
// once with 128 + the signal number, as the shell expects; a second signal
// during a cancelled stream does too.
//
// The signals are blocked in every thread (InstallInterruptHandling() must
// run before any thread starts, gRPC's included, so they inherit the mask)
// and received by one thread with sigwait(): nothing runs in a signal
// handler, and gRPC's cancellation is called from an ordinary thread.
//
// Thread-safe.

#ifndef OMNIROUTE_TOOLS_CLI_INTERRUPT_H_
#define OMNIROUTE_TOOLS_CLI_INTERRUPT_H_

#include "grpcpp/client_context.h"

namespace omniroute::cli {

// Blocks SIGINT and SIGTERM and starts the thread that receives them. Call
// once, first thing in main().
void InstallInterruptHandling();

// While alive, a SIGINT or SIGTERM cancels `context` (not owned; it must
// outlive this object) instead of ending the process.
class CancelOnInterrupt {
 public:
  explicit CancelOnInterrupt(grpc::ClientContext* context);
  ~CancelOnInterrupt();
  CancelOnInterrupt(const CancelOnInterrupt&) = delete;
  CancelOnInterrupt& operator=(const CancelOnInterrupt&) = delete;

  // True once a signal cancelled the call.
  bool interrupted() const;
};

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_INTERRUPT_H_
