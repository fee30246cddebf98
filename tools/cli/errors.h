// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// How the omniroute command line reports what went wrong. Every error is an
// absl::Status; its category decides the exit code:
//
//   usage    the command line is wrong (unknown command or option, a missing
//            or malformed argument): exit code 2, and the command's usage line
//            is printed after the message;
//   rpc      the server answered with an error, or could not be reached:
//            exit code 1;
//   local    something on this side failed (reading the body from standard
//            input, writing the output): exit code 1.
//
// Argument parsers return plain statuses, which count as usage errors: a
// failed RPC is always marked by RpcError(), the only place that turns a
// gRPC status into an absl one, so a server's INVALID_ARGUMENT never passes
// for a usage error.
//
// Thread-safe (pure functions).

#ifndef OMNIROUTE_TOOLS_CLI_ERRORS_H_
#define OMNIROUTE_TOOLS_CLI_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace omniroute::cli {

inline constexpr int kExitOk = 0;
// The server refused the request, or could not be reached; or a local
// failure.
inline constexpr int kExitFailure = 1;
// The command line is wrong.
inline constexpr int kExitUsage = 2;

// A gRPC status (not OK) as an absl::Status marked as an RPC error. gRPC and
// absl share their canonical codes one to one.
absl::Status RpcError(const grpc::Status& status);

// `status` (not OK) marked as a local failure.
absl::Status LocalError(absl::Status status);

bool IsRpcError(const absl::Status& status);
bool IsLocalError(const absl::Status& status);
// Neither an RPC nor a local error: the command line is wrong.
bool IsUsageError(const absl::Status& status);

// kExitOk, kExitFailure or kExitUsage.
int ExitCodeFor(const absl::Status& status);

// "error: INVALID_ARGUMENT: --channel: \"EMAL\" is not a channel ...": the
// line printed on standard error (without its newline).
std::string ErrorLine(const absl::Status& status);

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_ERRORS_H_
