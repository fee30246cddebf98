// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// RelayStream: a server stream whose messages come from the same stream
// called on another node (see forwarder.h). Each message read upstream is
// written to the client before the next is read, so a slow client slows
// the upstream call (gRPC's flow control) instead of filling this node's
// memory. The stream ends as the upstream call does, with its status and
// owner hint; a client that goes away cancels the upstream call.

#ifndef OMNIROUTE_LIB_SERVICE_RELAY_STREAM_H_
#define OMNIROUTE_LIB_SERVICE_RELAY_STREAM_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/client_callback.h"
#include "service/forwarder.h"
#include "service/ownership.h"
#include "service/services.h"
#include "service/tenant_limiter.h"

namespace omniroute::service {

// Starts the upstream call on `context` with `reactor` (a typed stub's
// async() method, e.g. EventService::Stub::async()->WatchEvents).
template <typename Out>
using StartUpstream =
    std::function<void(grpc::ClientContext* context, grpc::ClientReadReactor<Out>* reactor)>;

template <typename Out>
class RelayStream final : public grpc::ServerWriteReactor<Out> {
 public:
  // `server` is the relayed call's context; `client` the upstream call's
  // (Forwarder::ClientContextFor).
  // `slot` counts the stream against its tenant's limit until it ends.
  RelayStream(grpc::CallbackServerContext* server, std::unique_ptr<grpc::ClientContext> client,
              const StartUpstream<Out>& start, TenantLimiter::StreamSlot slot = {})
      : server_(server), client_(std::move(client)), upstream_(this), slot_(std::move(slot)) {
    start(client_.get(), &upstream_);
    upstream_.StartRead(&message_);
    upstream_.StartCall();
  }

  void OnWriteDone(bool ok) override {
    bool finish;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      finish = upstream_done_;
    }
    if (finish) {
      FinishWith(upstream_status_);
    } else if (!ok) {
      // The client went away: the upstream call ends, and so does this.
      client_->TryCancel();
    } else {
      upstream_.StartRead(&message_);
    }
  }

  void OnCancel() override { client_->TryCancel(); }

  // Runs once both calls are over: Finish is only called from the upstream
  // call's end, so the server side is always the last.
  void OnDone() override { delete this; }

 private:
  class Upstream final : public grpc::ClientReadReactor<Out> {
   public:
    explicit Upstream(RelayStream* relay) : relay_(relay) {}
    void OnReadDone(bool ok) override {
      if (ok) relay_->Write();
      // Otherwise the call is over; OnDone follows.
    }
    void OnDone(const grpc::Status& status) override { relay_->UpstreamDone(status); }

   private:
    RelayStream* const relay_;
  };

  void Write() {
    {
      absl::MutexLock lock(&mu_);
      writing_ = true;
    }
    this->StartWrite(&message_);
  }

  void UpstreamDone(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      upstream_done_ = true;
      upstream_status_ = status;
      // A write still in flight finishes the stream when it is done.
      if (writing_) return;
    }
    FinishWith(status);
  }

  void FinishWith(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    if (std::string hint = OwnerHintOf(*client_); !hint.empty()) {
      server_->AddTrailingMetadata(kOwnerMetadataKey, hint);
    }
    this->Finish(status);
  }

  grpc::CallbackServerContext* const server_;
  const std::unique_ptr<grpc::ClientContext> client_;
  Upstream upstream_;
  // The message read upstream and written on; one at a time.
  Out message_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool upstream_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // Set with upstream_done_, read after it.
  grpc::Status upstream_status_;
  TenantLimiter::StreamSlot slot_;
};

// A stream that fails at once with `status` (and its owner hint).
template <typename Out>
class FailedStream final : public grpc::ServerWriteReactor<Out> {
 public:
  FailedStream(grpc::CallbackServerContext* context, const absl::Status& status) {
    if (auto owner = status.GetPayload(kOwnerAddressPayload); owner.has_value()) {
      context->AddTrailingMetadata(kOwnerMetadataKey, std::string(*owner));
    }
    this->Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

// Starts a stream's call on another node's channel.
template <typename Out>
using StartOn =
    std::function<void(const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context,
                       grpc::ClientReadReactor<Out>* reactor)>;

// The answer to a stream refused here with `refusal`: relayed from the node
// it names when `forwarder` (null: none) may forward it, else failed. The
// relayed stream keeps `slot` until it ends.
template <typename Out>
grpc::ServerWriteReactor<Out>* RefusedStream(Forwarder* forwarder,
                                             grpc::CallbackServerContext* context,
                                             const absl::Status& refusal, StartOn<Out> start,
                                             TenantLimiter::StreamSlot slot = {}) {
  if (forwarder != nullptr) {
    if (std::optional<std::string> owner = forwarder->TargetOf(*context, refusal)) {
      std::shared_ptr<grpc::Channel> channel = forwarder->ChannelTo(*owner);
      return new RelayStream<Out>(
          context, forwarder->ClientContextFor(*context),
          [&](grpc::ClientContext* client, grpc::ClientReadReactor<Out>* reactor) {
            start(channel, client, reactor);
          },
          std::move(slot));
    }
  }
  return new FailedStream<Out>(context, refusal);
}

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_RELAY_STREAM_H_
