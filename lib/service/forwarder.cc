// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/forwarder.h"

#include <utility>

#include "grpcpp/generic/generic_stub.h"
// SerializationTraits of protobuf messages, for the generic stub.
#include "grpcpp/impl/codegen/proto_utils.h"
#include "service/ownership.h"

namespace omniroute::service {

using ProtoStub = grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message>;

std::string OwnerHintOf(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(kOwnerMetadataKey);
  if (it == trailers.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

Forwarder::Forwarder(std::string node_id, std::shared_ptr<grpc::ChannelCredentials> credentials)
    : node_id_(std::move(node_id)), credentials_(std::move(credentials)) {}

std::optional<std::string> Forwarder::TargetOf(const grpc::CallbackServerContext& context,
                                               const absl::Status& refusal) const {
  if (refusal.code() != absl::StatusCode::kUnavailable) return std::nullopt;
  auto address = refusal.GetPayload(kOwnerAddressPayload);
  if (!address.has_value() || address->empty()) return std::nullopt;
  if (context.client_metadata().count(kForwardedMetadataKey) > 0) return std::nullopt;
  return std::string(*address);
}

std::shared_ptr<grpc::Channel> Forwarder::ChannelTo(const std::string& address) {
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(address);
  if (it == channels_.end()) {
    it = channels_.emplace(address, grpc::CreateChannel(address, credentials_)).first;
  }
  return it->second;
}

std::unique_ptr<grpc::ClientContext> Forwarder::ClientContextFor(
    grpc::CallbackServerContext& server) const {
  std::unique_ptr<grpc::ClientContext> client =
      grpc::ClientContext::FromCallbackServerContext(server);
  client->AddMetadata(kForwardedMetadataKey, node_id_);
  // The owner checks the caller's credential again: a node vouches for no
  // one.
  const auto& metadata = server.client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    client->AddMetadata("authorization", std::string(it->second.data(), it->second.size()));
  }
  forwarded_.fetch_add(1, std::memory_order_relaxed);
  return client;
}

struct Forwarder::UnaryCall {
  grpc::CallbackServerContext* server;
  std::string method;
  const google::protobuf::Message* request;
  google::protobuf::Message* response;
  std::string address;
  std::function<void(const grpc::Status&)> done;
  int attempts = 0;
  std::unique_ptr<grpc::ClientContext> client;
};

void Forwarder::ForwardUnary(grpc::CallbackServerContext* context, std::string method,
                             const google::protobuf::Message* request,
                             google::protobuf::Message* response, std::string address,
                             std::function<void(const grpc::Status&)> done) {
  auto call = std::make_unique<UnaryCall>();
  call->server = context;
  call->method = std::move(method);
  call->request = request;
  call->response = response;
  call->address = std::move(address);
  call->done = std::move(done);
  Attempt(std::move(call));
}

void Forwarder::Attempt(std::unique_ptr<UnaryCall> call) {
  ++call->attempts;
  call->client = ClientContextFor(*call->server);
  call->response->Clear();
  UnaryCall* raw = call.release();
  ProtoStub(ChannelTo(raw->address))
      .UnaryCall(raw->client.get(), raw->method, grpc::StubOptions(), raw->request, raw->response,
                 [this, raw](grpc::Status status) {
                   std::unique_ptr<UnaryCall> call(raw);
                   const std::string hint = OwnerHintOf(*call->client);
                   // Refused there too (the tenant moved meanwhile), so not
                   // applied there: follow the new hint.
                   if (status.error_code() == grpc::StatusCode::UNAVAILABLE && !hint.empty() &&
                       hint != call->address && call->attempts < kMaxForwardAttempts) {
                     call->address = hint;
                     Attempt(std::move(call));
                     return;
                   }
                   if (!hint.empty()) call->server->AddTrailingMetadata(kOwnerMetadataKey, hint);
                   call->done(status);
                 });
}

}  // namespace omniroute::service
