// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Forwarder: on a cluster node, passes a call for a tenant served by another
// node on to that node and its answer back, so that a client needs only one
// address (any node) whatever the tenant.
//
// A call is forwarded only once it was refused here with where the tenant
// is served (the status carries kOwnerAddressPayload: see ownership.h). Such
// a refusal means nothing of the call was applied here, so passing it on
// can never apply it twice. The forwarded call carries the metadata
// kForwardedMetadataKey; a node never forwards such a call again (it answers
// with its own refusal and hint), so a call makes at most one hop from the
// node that received it. That node follows a changed hint (the tenant moved
// meanwhile) up to kMaxForwardAttempts times, then answers the last
// refusal, with its hint, to the client.
//
// The forwarded call keeps the client's deadline and is cancelled with it.
// Unary calls go through a generic stub with the request as received; the
// server streams (WatchEvents, StreamOffers, ExportCustomer) through
// RelayStream, which writes each message on as it arrives.
//
// Thread-safe. Channels to the other nodes are opened on first use and kept.

#ifndef OMNIROUTE_LIB_SERVICE_FORWARDER_H_
#define OMNIROUTE_LIB_SERVICE_FORWARDER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"

namespace omniroute::service {

// Marks a call forwarded by another node; its value is that node's id.
inline constexpr char kForwardedMetadataKey[] = "omniroute-forwarded-by";
// How many nodes a receiving node tries for one call.
inline constexpr int kMaxForwardAttempts = 3;

class Forwarder {
 public:
  // `node_id` names this node in kForwardedMetadataKey. `credentials` are
  // those of the channels to the other nodes.
  Forwarder(std::string node_id, std::shared_ptr<grpc::ChannelCredentials> credentials);
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // The address to forward a call refused with `refusal` to, or nullopt:
  // the refusal names no other node, or the call was forwarded here by
  // another node already.
  std::optional<std::string> TargetOf(const grpc::CallbackServerContext& context,
                                      const absl::Status& refusal) const;

  // Forwards the unary call `method` ("/package.Service/Method") to
  // `address` and writes the answer into `response`; then calls `done` with
  // the final status, after adding the owner hint of a refusal to
  // `context`'s trailing metadata. `context`, `request` and `response` must
  // stay valid until `done` runs (they do until the RPC finishes).
  void ForwardUnary(grpc::CallbackServerContext* context, std::string method,
                    const google::protobuf::Message* request, google::protobuf::Message* response,
                    std::string address, std::function<void(const grpc::Status&)> done);

  // A channel to `address`, opened once.
  std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address);

  // A client context for a call forwarded on behalf of `server`: its
  // deadline and cancellation, and kForwardedMetadataKey. Counts the call.
  std::unique_ptr<grpc::ClientContext> ClientContextFor(grpc::CallbackServerContext& server) const;

  // Calls forwarded so far, unary and streams (each attempt counts once).
  int64_t forwarded_calls() const { return forwarded_.load(std::memory_order_relaxed); }

 private:
  struct UnaryCall;
  void Attempt(std::unique_ptr<UnaryCall> call);

  const std::string node_id_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  mutable std::atomic<int64_t> forwarded_{0};
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>, std::less<>> channels_ ABSL_GUARDED_BY(mu_);
};

// The owner address a refused call's answer carries in its trailing
// metadata (kOwnerMetadataKey), or "" when it has none.
std::string OwnerHintOf(const grpc::ClientContext& context);

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_FORWARDER_H_
