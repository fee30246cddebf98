// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The gRPC channels of a load run and a stub of each service on each. Every
// channel gets channel arguments of its own and a subchannel pool of its
// own, so that they are separate HTTP/2 connections (gRPC would otherwise
// share one connection among channels of identical arguments), and calls
// take the channels in turn.

#ifndef OMNIROUTE_TOOLS_LOAD_CONNECTIONS_H_
#define OMNIROUTE_TOOLS_LOAD_CONNECTIONS_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/client_channel.h"
#include "grpcpp/grpcpp.h"
#include "omniroute/v1/service.grpc.pb.h"

namespace omniroute::load {

struct Stubs {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::TenantService::Stub> tenants;
  std::unique_ptr<v1::CustomerService::Stub> customers;
  std::unique_ptr<v1::ConversationService::Stub> conversations;
  std::unique_ptr<v1::RoutingService::Stub> routing;
  std::unique_ptr<v1::DiagnosticsService::Stub> diagnostics;
};

class Connections {
 public:
  Connections(const std::string& target, int channels,
              const tools::ClientSecurity& security = tools::ClientSecurity());

  // Every channel connected before `deadline`, or UNAVAILABLE naming the
  // target.
  absl::Status WaitConnected(std::chrono::system_clock::time_point deadline);

  // The next channel's stubs, in turn.
  Stubs& Next() { return stubs_[next_.fetch_add(1, std::memory_order_relaxed) % stubs_.size()]; }
  Stubs& First() { return stubs_[0]; }
  int size() const { return static_cast<int>(stubs_.size()); }

 private:
  const std::string target_;
  std::vector<Stubs> stubs_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace omniroute::load

#endif  // OMNIROUTE_TOOLS_LOAD_CONNECTIONS_H_
