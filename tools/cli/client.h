// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Client: the connection to one omniroute server and a stub per service.
// The channel is created on first use, so a command that fails on its
// arguments never touches the network.
//
// Unary calls get the --timeout deadline and fail fast when the server
// cannot be reached (UNAVAILABLE, naming the address); streams get no
// deadline and run until they are cancelled.
//
// Thread-compatible: one command uses it at a time.

#ifndef OMNIROUTE_TOOLS_CLI_CLIENT_H_
#define OMNIROUTE_TOOLS_CLI_CLIENT_H_

#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/client_channel.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "omniroute/v1/service.grpc.pb.h"

namespace omniroute::cli {

class Client {
 public:
  Client(std::string server, absl::Duration timeout,
         tools::ClientSecurity security = tools::ClientSecurity())
      : server_(std::move(server)), timeout_(timeout), security_(std::move(security)) {}

  const std::string& server() const { return server_; }

  ::omniroute::v1::TenantService::Stub& tenants();
  ::omniroute::v1::CustomerService::Stub& customers();
  ::omniroute::v1::ConversationService::Stub& conversations();
  ::omniroute::v1::RoutingService::Stub& routing();
  ::omniroute::v1::CommitmentService::Stub& commitments();
  ::omniroute::v1::EventService::Stub& events();
  ::omniroute::v1::DiagnosticsService::Stub& diagnostics();

  // Runs one unary RPC with a fresh context carrying the deadline. OK, or
  // the server's status marked as an RPC error (errors.h).
  absl::Status Call(absl::FunctionRef<grpc::Status(grpc::ClientContext*)> rpc);

  // The status a stream ended with: OK, or an RPC error.
  absl::Status StreamStatus(const grpc::Status& status) const;

 private:
  struct Stubs;
  Stubs& stubs();
  absl::Status Annotate(const grpc::Status& status) const;

  const std::string server_;
  const absl::Duration timeout_;
  const tools::ClientSecurity security_;
  std::shared_ptr<Stubs> stubs_;
};

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_CLIENT_H_
