// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/client.h"

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/errors.h"
#include "common/channel_target.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace omniroute::cli {

namespace v1 = ::omniroute::v1;

struct Client::Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& channel)
      : tenants(channel),
        customers(channel),
        conversations(channel),
        routing(channel),
        commitments(channel),
        events(channel),
        diagnostics(channel) {}
  v1::TenantService::Stub tenants;
  v1::CustomerService::Stub customers;
  v1::ConversationService::Stub conversations;
  v1::RoutingService::Stub routing;
  v1::CommitmentService::Stub commitments;
  v1::EventService::Stub events;
  v1::DiagnosticsService::Stub diagnostics;
};

Client::Stubs& Client::stubs() {
  if (stubs_ == nullptr) {
    // Several addresses: one channel over all of them
    // (common/channel_target.h); the command line checked the list, and
    // the TLS files (common/client_channel.h).
    const std::string target = tools::ChannelTarget("--server", server_).value_or(server_);
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        tools::OpenClientChannel(target, security_);
    stubs_ = std::make_shared<Stubs>(
        channel.ok() ? *channel : grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  }
  return *stubs_;
}

v1::TenantService::Stub& Client::tenants() { return stubs().tenants; }
v1::CustomerService::Stub& Client::customers() { return stubs().customers; }
v1::ConversationService::Stub& Client::conversations() { return stubs().conversations; }
v1::RoutingService::Stub& Client::routing() { return stubs().routing; }
v1::CommitmentService::Stub& Client::commitments() { return stubs().commitments; }
v1::EventService::Stub& Client::events() { return stubs().events; }
v1::DiagnosticsService::Stub& Client::diagnostics() { return stubs().diagnostics; }

absl::Status Client::Annotate(const grpc::Status& status) const {
  if (status.ok()) return absl::OkStatus();
  // gRPC's own message for an unreachable server does not say which one.
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return RpcError(grpc::Status(status.error_code(),
                                 absl::StrCat(status.error_message(), " (server ", server_, ")")));
  }
  return RpcError(status);
}

absl::Status Client::Call(absl::FunctionRef<grpc::Status(grpc::ClientContext*)> rpc) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout_));
  return Annotate(rpc(&context));
}

absl::Status Client::StreamStatus(const grpc::Status& status) const { return Annotate(status); }

}  // namespace omniroute::cli
