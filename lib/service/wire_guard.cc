// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/wire_guard.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/text.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpc/byte_buffer.h"
#include "grpc/byte_buffer_reader.h"
#include "grpc/slice.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "service/convert.h"

namespace omniroute::service {
namespace {

namespace pb = ::google::protobuf;
using grpc::internal::MethodHandler;

// Walks `bytes` as a `type` with the descriptor, without protobuf's checks
// of string fields (an UnknownFieldSet keeps every field as it came).
std::optional<std::string> FindBadField(const pb::Descriptor& type, absl::string_view bytes,
                                        const std::string& path, int depth) {
  const std::string what = path.empty() ? "request" : path;
  pb::UnknownFieldSet fields;
  if (depth > 100 || !fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::StrCat(what, ": bytes do not parse as ", type.full_name());
  }
  absl::flat_hash_map<int, int> occurrences;
  for (int i = 0; i < fields.field_count(); ++i) {
    const pb::UnknownField& f = fields.field(i);
    const pb::FieldDescriptor* field = type.FindFieldByNumber(f.number());
    // Unknown fields and fields of another wire type are kept as unknown
    // by the parser: never the reason it failed.
    if (field == nullptr || f.type() != pb::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    std::string name = absl::StrCat(path, path.empty() ? "" : ".", field->name());
    if (field->is_repeated()) absl::StrAppend(&name, "[", occurrences[f.number()]++, "]");
    if (field->type() == pb::FieldDescriptor::TYPE_STRING) {
      if (absl::Status s = core::CheckUtf8(f.length_delimited(), name); !s.ok()) {
        return std::string(s.message());
      }
    } else if (field->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
      if (auto bad = FindBadField(*field->message_type(), f.length_delimited(), name, depth + 1)) {
        return bad;
      }
    }
  }
  return std::nullopt;
}

// The refusal of the call whose handler this thread is running, if any.
// gRPC runs a handler's reactor factory synchronously inside RunHandler,
// on the thread that called it, so the status never crosses threads.
thread_local const grpc::Status* current_refusal = nullptr;

// Parses through gRPC's own handler, keeping a reference to the bytes (the
// handler consumes them) to explain a failure, then checks the request's
// times. The request is returned either way: gRPC's handlers own it.
template <typename Request>
void* Deserialize(MethodHandler& inner, grpc_call* call, grpc_byte_buffer* bytes,
                  grpc::Status* status, void** handler_data) {
  // Shares the slices (a reference count), copies no byte.
  grpc_byte_buffer* kept = bytes == nullptr ? nullptr : grpc_byte_buffer_copy(bytes);
  void* request = inner.Deserialize(call, bytes, status, handler_data);
  if (!status->ok()) {
    absl::Status explained = absl::InvalidArgumentError("request: no message was sent");
    if (kept != nullptr) {
      grpc_byte_buffer_reader reader;
      if (grpc_byte_buffer_reader_init(&reader, kept) != 0) {
        grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
        explained = ExplainUnparsable(
            *Request::descriptor(),
            absl::string_view(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(all)),
                              GRPC_SLICE_LENGTH(all)));
        grpc_slice_unref(all);
        grpc_byte_buffer_reader_destroy(&reader);
      }
    }
    *status = ToGrpcStatus(explained);
  } else if (request != nullptr) {
    if (absl::Status s = CheckTimeFields(*static_cast<const Request*>(request)); !s.ok()) {
      *status = ToGrpcStatus(s);
    }
  }
  if (kept != nullptr) grpc_byte_buffer_destroy(kept);
  return request;
}

// gRPC's handlers answer a request refused by Deserialize UNIMPLEMENTED,
// dropping its status. So the refused call is run as a good one, and the
// reactor factory (Refusing) answers with the status instead of serving.
void Run(MethodHandler& inner, const MethodHandler::HandlerParameter& param) {
  if (param.status.ok()) {
    inner.RunHandler(param);
    return;
  }
  const grpc::Status refusal = param.status;
  current_refusal = &refusal;
  inner.RunHandler(MethodHandler::HandlerParameter(param.call, param.server_context,
                                                   param.request, grpc::Status::OK,
                                                   param.internal_data, param.call_requester));
  current_refusal = nullptr;
}

template <typename Response>
class RefusingWriter final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit RefusingWriter(grpc::Status status) { this->Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

template <typename Request, typename Response>
class GuardedUnary final : public MethodHandler {
 public:
  using Serve = std::function<grpc::ServerUnaryReactor*(grpc::CallbackServerContext*,
                                                        const Request*, Response*)>;
  explicit GuardedUnary(Serve serve)
      : inner_([serve = std::move(serve)](grpc::CallbackServerContext* context,
                                          const Request* request, Response* response) {
          if (current_refusal != nullptr) {
            grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
            reactor->Finish(*current_refusal);
            return reactor;
          }
          return serve(context, request, response);
        }) {}
  void* Deserialize(grpc_call* call, grpc_byte_buffer* bytes, grpc::Status* status,
                    void** handler_data) override {
    return service::Deserialize<Request>(inner_, call, bytes, status, handler_data);
  }
  void RunHandler(const HandlerParameter& param) override { Run(inner_, param); }

 private:
  grpc::internal::CallbackUnaryHandler<Request, Response> inner_;
};

template <typename Request, typename Response>
class GuardedServerStream final : public MethodHandler {
 public:
  using Serve = std::function<grpc::ServerWriteReactor<Response>*(grpc::CallbackServerContext*,
                                                                  const Request*)>;
  explicit GuardedServerStream(Serve serve)
      : inner_([serve = std::move(serve)](grpc::CallbackServerContext* context,
                                          const Request* request)
                   -> grpc::ServerWriteReactor<Response>* {
          if (current_refusal != nullptr) return new RefusingWriter<Response>(*current_refusal);
          return serve(context, request);
        }) {}
  void* Deserialize(grpc_call* call, grpc_byte_buffer* bytes, grpc::Status* status,
                    void** handler_data) override {
    return service::Deserialize<Request>(inner_, call, bytes, status, handler_data);
  }
  void RunHandler(const HandlerParameter& param) override { Run(inner_, param); }

 private:
  grpc::internal::CallbackServerStreamingHandler<Request, Response> inner_;
};

// grpc::Service::MarkMethodCallback is protected; a pointer to it formed
// through a derived class may be applied to any service.
struct ServiceAccess : grpc::Service {
  static void SetHandler(grpc::Service& service, int index, MethodHandler* handler) {
    (service.*&ServiceAccess::MarkMethodCallback)(index, handler);
  }
};

// Installs the guards of one service, by method name, and checks that none
// of its methods is left out.
template <typename Impl>
class Guards {
 public:
  Guards(Impl& service, const char* full_name) : service_(service) {
    descriptor_ = pb::DescriptorPool::generated_pool()->FindServiceByName(full_name);
  }

  template <typename Request, typename Response>
  Guards& Unary(const char* name, grpc::ServerUnaryReactor* (Impl::*method)(
                                      grpc::CallbackServerContext*, const Request*, Response*)) {
    Impl* service = &service_;
    Install(name, new GuardedUnary<Request, Response>(
                      [service, method](grpc::CallbackServerContext* context,
                                        const Request* request, Response* response) {
                        return (service->*method)(context, request, response);
                      }));
    return *this;
  }

  template <typename Request, typename Response>
  Guards& Stream(const char* name, grpc::ServerWriteReactor<Response>* (Impl::*method)(
                                       grpc::CallbackServerContext*, const Request*)) {
    Impl* service = &service_;
    Install(name, new GuardedServerStream<Request, Response>(
                      [service, method](grpc::CallbackServerContext* context,
                                        const Request* request) {
                        return (service->*method)(context, request);
                      }));
    return *this;
  }

  absl::Status Done() const {
    if (!error_.ok()) return error_;
    if (descriptor_ != nullptr && guarded_ != descriptor_->method_count()) {
      return absl::InternalError(absl::StrCat(descriptor_->full_name(), ": ",
                                              descriptor_->method_count() - guarded_,
                                              " method(s) without a wire guard (wire_guard.cc)"));
    }
    return absl::OkStatus();
  }

 private:
  void Install(const char* name, MethodHandler* handler) {
    const pb::MethodDescriptor* method =
        descriptor_ == nullptr ? nullptr : descriptor_->FindMethodByName(name);
    if (method == nullptr) {
      delete handler;
      error_ = absl::InternalError(absl::StrCat("wire guard: no method ", name));
      return;
    }
    // The generated services add their methods in the order of the
    // descriptor.
    ServiceAccess::SetHandler(service_, method->index(), handler);
    ++guarded_;
  }

  Impl& service_;
  const pb::ServiceDescriptor* descriptor_ = nullptr;
  int guarded_ = 0;
  absl::Status error_;
};

}  // namespace

absl::Status ExplainUnparsable(const pb::Descriptor& type, absl::string_view bytes) {
  std::optional<std::string> bad = FindBadField(type, bytes, "", 0);
  return absl::InvalidArgumentError(
      bad.has_value() ? *bad : absl::StrCat("request: bytes do not parse as ", type.full_name()));
}

absl::Status GuardRequests(TenantServiceImpl& tenants, CustomerServiceImpl& customers,
                           ConversationServiceImpl& conversations, RoutingServiceImpl& routing,
                           CommitmentServiceImpl& commitments, EventServiceImpl& events,
                           DiagnosticsServiceImpl& diagnostics) {
  using T = TenantServiceImpl;
  using C = CustomerServiceImpl;
  using V = ConversationServiceImpl;
  using R = RoutingServiceImpl;
  using M = CommitmentServiceImpl;
  using E = EventServiceImpl;
  using D = DiagnosticsServiceImpl;
  for (absl::Status s : {
           Guards<T>(tenants, v1::TenantService::service_full_name())
               .Unary("CreateTenant", &T::CreateTenant)
               .Unary("ListTenants", &T::ListTenants)
               .Done(),
           Guards<C>(customers, v1::CustomerService::service_full_name())
               .Unary("GetCustomer", &C::GetCustomer)
               .Unary("FindCustomer", &C::FindCustomer)
               .Unary("LinkIdentity", &C::LinkIdentity)
               .Unary("MergeCustomers", &C::MergeCustomers)
               .Unary("UnmergeCustomer", &C::UnmergeCustomer)
               .Unary("ListConversations", &C::ListConversations)
               .Unary("EraseCustomer", &C::EraseCustomer)
               .Stream("ExportCustomer", &C::ExportCustomer)
               .Done(),
           Guards<V>(conversations, v1::ConversationService::service_full_name())
               .Unary("IngestMessage", &V::IngestMessage)
               .Unary("RecordOutbound", &V::RecordOutbound)
               .Unary("Handoff", &V::Handoff)
               .Unary("SetConversationStatus", &V::SetConversationStatus)
               .Unary("MergeConversations", &V::MergeConversations)
               .Unary("SplitConversation", &V::SplitConversation)
               .Unary("GetConversation", &V::GetConversation)
               .Unary("GetTimeline", &V::GetTimeline)
               .Done(),
           Guards<R>(routing, v1::RoutingService::service_full_name())
               .Unary("ConfigureRouting", &R::ConfigureRouting)
               .Unary("GetRoutingSettings", &R::GetRoutingSettings)
               .Unary("UpsertQueue", &R::UpsertQueue)
               .Unary("GetQueue", &R::GetQueue)
               .Unary("GetQueueStats", &R::GetQueueStats)
               .Unary("GetQueueStatistics", &R::GetQueueStatistics)
               .Stream("WatchQueueStatistics", &R::WatchQueueStatistics)
               .Unary("GetAgentStatistics", &R::GetAgentStatistics)
               .Unary("GetIntervalReport", &R::GetIntervalReport)
               .Unary("UpsertAgent", &R::UpsertAgent)
               .Unary("GetAgent", &R::GetAgent)
               .Unary("SetAgentPresence", &R::SetAgentPresence)
               .Stream("StreamOffers", &R::StreamOffers)
               .Unary("AcceptOffer", &R::AcceptOffer)
               .Unary("DeclineOffer", &R::DeclineOffer)
               .Unary("CompleteTask", &R::CompleteTask)
               .Unary("TransferTask", &R::TransferTask)
               .Unary("AbandonTask", &R::AbandonTask)
               .Unary("GetTask", &R::GetTask)
               .Unary("GetConversationRouting", &R::GetConversationRouting)
               .Unary("RunDueTimers", &R::RunDueTimers)
               .Done(),
           Guards<M>(commitments, v1::CommitmentService::service_full_name())
               .Unary("RecordCommitment", &M::RecordCommitment)
               .Unary("CloseCommitment", &M::CloseCommitment)
               .Unary("GetCommitment", &M::GetCommitment)
               .Unary("ListCommitments", &M::ListCommitments)
               .Done(),
           Guards<E>(events, v1::EventService::service_full_name())
               .Stream("WatchEvents", &E::WatchEvents)
               .Unary("GetLastSequence", &E::GetLastSequence)
               .Done(),
           Guards<D>(diagnostics, v1::DiagnosticsService::service_full_name())
               .Unary("Ping", &D::Ping)
               .Unary("GetNodeStatus", &D::GetNodeStatus)
               .Unary("GetStateFingerprint", &D::GetStateFingerprint)
               .Done(),
       }) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace omniroute::service
