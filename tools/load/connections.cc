// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "load/connections.h"

#include "absl/strings/str_cat.h"
#include "common/channel_target.h"
#include "grpc/grpc.h"

namespace omniroute::load {

Connections::Connections(const std::string& target, int channels,
                         const tools::ClientSecurity& security)
    : target_(target) {
  stubs_.resize(channels);
  for (int i = 0; i < channels; ++i) {
    // Several addresses: channel i starts on the i-th node, so that the
    // channels spread over the nodes (omniroute_load.cc checked the list).
    const std::string channel_target =
        tools::ChannelTarget("--target", target, static_cast<size_t>(i)).value_or(target);
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    // Distinct arguments as well: channels that differ in nothing may still
    // be folded onto one connection by a future gRPC.
    args.SetInt("omniroute.load.channel", i);
    Stubs& s = stubs_[i];
    // omniroute_load.cc read the TLS files once already.
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        tools::OpenClientChannel(channel_target, security, args);
    s.channel = channel.ok() ? *std::move(channel)
                             : grpc::CreateCustomChannel(channel_target,
                                                         grpc::InsecureChannelCredentials(), args);
    s.tenants = v1::TenantService::NewStub(s.channel);
    s.customers = v1::CustomerService::NewStub(s.channel);
    s.conversations = v1::ConversationService::NewStub(s.channel);
    s.routing = v1::RoutingService::NewStub(s.channel);
    s.diagnostics = v1::DiagnosticsService::NewStub(s.channel);
  }
}

absl::Status Connections::WaitConnected(std::chrono::system_clock::time_point deadline) {
  for (size_t i = 0; i < stubs_.size(); ++i) {
    if (!stubs_[i].channel->WaitForConnected(deadline)) {
      return absl::UnavailableError(
          absl::StrCat("--target: cannot connect to ", target_, " (channel ", i, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace omniroute::load
