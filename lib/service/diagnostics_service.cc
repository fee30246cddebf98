// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// DiagnosticsService: the transport's own cost (Ping), a node's view of the
// cluster (GetNodeStatus), and a fingerprint of a tenant's state
// (GetStateFingerprint) with which a test or an operator compares a live
// tenant to a replay of its log.

#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/services.h"
#include "service/state_fingerprint.h"

namespace omniroute::service {

grpc::ServerUnaryReactor* DiagnosticsServiceImpl::Ping(grpc::CallbackServerContext* context,
                                                       const v1::PingRequest* request,
                                                       v1::PingResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status admitted =
          AdmitCall(admission_, context, "/omniroute.v1.DiagnosticsService/Ping", request);
      !admitted.ok()) {
    reactor->Finish(ToGrpcStatus(admitted));
    return reactor;
  }
  response->set_payload(request->payload());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* DiagnosticsServiceImpl::GetNodeStatus(
    grpc::CallbackServerContext* context, const v1::GetNodeStatusRequest* request,
    v1::NodeStatus* response) {
  if (absl::Status admitted =
          AdmitCall(admission_, context, "/omniroute.v1.DiagnosticsService/GetNodeStatus", request);
      !admitted.ok()) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(admitted));
    return reactor;
  }
  if (ownership_ != nullptr) {
    response->set_node_id(ownership_->node_id());
    for (const std::string& tenant : ownership_->Held()) response->add_held_tenant_ids(tenant);
    response->set_refused_stale_appends(ownership_->refused_appends());
  } else {
    for (const std::string& tenant : engine_.ListTenants()) response->add_held_tenant_ids(tenant);
  }
  if (forwarder_ != nullptr) response->set_forwarded_calls(forwarder_->forwarded_calls());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* DiagnosticsServiceImpl::GetStateFingerprint(
    grpc::CallbackServerContext* context, const v1::GetStateFingerprintRequest* request,
    v1::StateFingerprint* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.DiagnosticsService/GetStateFingerprint", request,
                              response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    absl::StatusOr<std::string> dump = engine_.DumpState(request->tenant_id());
    if (!dump.ok()) return dump.status();
    // The dump's first line is "tenant <id> sequence <n>": the
    // sequence is read from the dump itself, so the two always agree.
    const absl::string_view whole = *dump;
    const absl::string_view first_line = whole.substr(0, whole.find('\n'));
    uint64_t sequence = 0;
    const size_t at = first_line.rfind(' ');
    if (at == absl::string_view::npos || !absl::SimpleAtoi(first_line.substr(at + 1), &sequence)) {
      return absl::InternalError(absl::StrCat("tenant_id: \"", request->tenant_id(),
                                              "\": the state dump begins \"", first_line,
                                              "\", not with its sequence"));
    }
    response->set_sequence(sequence);
    response->set_fingerprint(StateFingerprint(*dump));
    response->set_dump_bytes(dump->size());
    return absl::OkStatus();
  });
}

}  // namespace omniroute::service
