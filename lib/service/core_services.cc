// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Tenants, customers and conversations over gRPC.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/proto_convert.h"
#include "omniroute/v1/status_details.pb.h"
#include "service/auth/access_policy.h"
#include "service/convert.h"
#include "service/relay_stream.h"
#include "service/services.h"

namespace omniroute::service {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // The payloads meant for clients (typed as googleapis' error details, a
  // retry delay) go in the status details; the others are the server's own.
  v1::StatusDetails details;
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    if (!absl::StartsWith(type_url, "type.googleapis.com/")) return;
    google::protobuf::Any& any = *details.add_details();
    any.set_type_url(std::string(type_url));
    any.set_value(std::string(payload));
  });
  if (details.details().empty()) {
    return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                        std::string(status.message()));
  }
  details.set_code(static_cast<int32_t>(status.code()));
  details.set_message(std::string(status.message()));
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      details.SerializeAsString());
}

absl::Status RequireId(uint64_t id, absl::string_view field) {
  if (id == 0) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  return absl::OkStatus();
}

namespace {

LinkMode ToLinkMode(v1::LinkMode mode) {
  return mode == v1::LINK_MODE_AUTOMATIC ? LinkMode::kAutomatic : LinkMode::kExplicit;
}

absl::Status CheckLinkMode(v1::LinkMode mode) {
  if (!v1::LinkMode_IsValid(mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mode: ", static_cast<int>(mode), " is not a link mode"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddOwnerHint(grpc::CallbackServerContext* context, const absl::Status& status) {
  if (status.ok()) return;
  if (auto address = status.GetPayload(kOwnerAddressPayload); address.has_value()) {
    context->AddTrailingMetadata(kOwnerMetadataKey, std::string(*address));
  }
}

void FinishUnary(grpc::ServerUnaryReactor* reactor, grpc::CallbackServerContext* context,
                 const Forwarding& forwarding, const absl::Status& status) {
  if (forwarding.forwarder != nullptr && !status.ok()) {
    if (std::optional<std::string> owner = forwarding.forwarder->TargetOf(*context, status)) {
      forwarding.forwarder->ForwardUnary(
          context, forwarding.method, forwarding.request, forwarding.response, *std::move(owner),
          [reactor](const grpc::Status& answer) { reactor->Finish(answer); });
      return;
    }
  }
  AddOwnerHint(context, status);
  reactor->Finish(ToGrpcStatus(status));
}

namespace {

// The credential's and role's check of AdmitCall: the principal admitted.
absl::StatusOr<Principal> Authenticate(const Authenticator& auth,
                                       const grpc::CallbackServerContext& context,
                                       absl::string_view method,
                                       const google::protobuf::Message& request) {
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find("authorization");
  const absl::string_view authorization =
      it == metadata.end() ? absl::string_view()
                           : absl::string_view(it->second.data(), it->second.size());
  absl::StatusOr<Principal> principal = auth.Authenticate(authorization, absl::Now());
  if (!principal.ok()) return principal.status();
  if (absl::Status s = Authorize(*principal, method, request); !s.ok()) return s;
  return principal;
}

const google::protobuf::Message& RequestOrNone(const google::protobuf::Message* request) {
  static const v1::PingRequest* const kNoRequest = new v1::PingRequest();
  return request != nullptr ? *request : *kNoRequest;
}

// The credential's check, then who the call is recorded as.
absl::Status AdmitCaller(const Admission* admission, const grpc::CallbackServerContext& context,
                         absl::string_view method, const google::protobuf::Message& request,
                         Caller* caller) {
  if (admission == nullptr || admission->auth == nullptr) {
    if (caller != nullptr) *caller = Caller::Unauthenticated();
    return absl::OkStatus();
  }
  absl::StatusOr<Principal> principal = Authenticate(*admission->auth, context, method, request);
  if (!principal.ok()) return principal.status();
  if (caller != nullptr) *caller = CallerOf(*principal);
  return absl::OkStatus();
}

}  // namespace

absl::Status AdmitCall(const Admission* admission, const grpc::CallbackServerContext* context,
                       absl::string_view method, const google::protobuf::Message* request,
                       Caller* caller) {
  const google::protobuf::Message& message = RequestOrNone(request);
  if (absl::Status s = AdmitCaller(admission, *context, method, message, caller); !s.ok()) {
    return s;
  }
  // After the credential: a caller that is not let in cannot spend a
  // tenant's requests.
  if (admission != nullptr && admission->limiter != nullptr) {
    const std::string tenant = TenantOfCall(method, message);
    if (!tenant.empty()) return admission->limiter->AdmitRequest(tenant);
  }
  return absl::OkStatus();
}

absl::StatusOr<TenantLimiter::StreamSlot> AdmitStream(const Admission* admission,
                                                      const grpc::CallbackServerContext* context,
                                                      absl::string_view method,
                                                      const google::protobuf::Message* request) {
  const google::protobuf::Message& message = RequestOrNone(request);
  if (absl::Status s = AdmitCaller(admission, *context, method, message, nullptr); !s.ok()) {
    return s;
  }
  if (admission != nullptr && admission->limiter != nullptr) {
    const std::string tenant = TenantOfCall(method, message);
    if (!tenant.empty()) return admission->limiter->OpenStream(tenant);
  }
  return TenantLimiter::StreamSlot();
}

Caller CallerOf(const Principal& principal) {
  Caller caller;
  caller.principal = principal.name;
  caller.role = std::string(RoleName(principal.role));
  caller.credential = principal.credential == Credential::kJwt ? v1::CALLER_CREDENTIAL_JWT
                                                               : v1::CALLER_CREDENTIAL_API_KEY;
  return caller;
}

// ------------------------------------------------------------ tenants

grpc::ServerUnaryReactor* TenantServiceImpl::CreateTenant(grpc::CallbackServerContext* context,
                                                          const v1::CreateTenantRequest* request,
                                                          v1::CreateTenantResponse* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.TenantService/CreateTenant",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this](const Caller& caller) -> absl::Status {
    // Without settings the library's defaults apply; with them, every field
    // is taken as given, and one that would not be is refused.
    if (request->has_settings()) {
      if (absl::Status s = CheckTenantSettings(request->settings(), "settings"); !s.ok()) return s;
    }
    const TenantOptions options =
        request->has_settings() ? core::FromProto(request->settings()) : TenantOptions{};
    if (ownership_ != nullptr) {
      return ownership_->CreateTenant(request->tenant_id(), options, caller);
    }
    return engine_.CreateTenant(request->tenant_id(), options, caller);
  });
}

grpc::ServerUnaryReactor* TenantServiceImpl::ListTenants(grpc::CallbackServerContext* context,
                                                         const v1::ListTenantsRequest* request,
                                                         v1::ListTenantsResponse* response) {
  const Forwarding forwarding{nullptr, admission_, "/omniroute.v1.TenantService/ListTenants",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this] {
    for (const std::string& id : engine_.ListTenants()) response->add_tenant_ids(id);
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------ customers

namespace {

absl::Status RequireTenant(absl::string_view tenant_id) {
  if (tenant_id.empty()) return absl::InvalidArgumentError("tenant_id: required");
  return absl::OkStatus();
}

// The stream of ExportCustomer: the export is gathered first, on the
// executor when there is one, then written record after record, each write
// started when the last one is done.
class ExportWriter final : public grpc::ServerWriteReactor<v1::CustomerExportRecord> {
 public:
  ExportWriter(Engine& engine, CallExecutor* executor, std::string tenant_id,
               uint64_t customer_id) {
    auto gather = [this, &engine, tenant_id = std::move(tenant_id), customer_id] {
      absl::Status status = RequireTenant(tenant_id);
      if (status.ok()) status = RequireId(customer_id, "customer_id");
      if (status.ok()) {
        status = engine.ExportCustomerRecords(
            tenant_id, CustomerId(customer_id), [this](const v1::CustomerExportRecord& record) {
              records_.push_back(record);
              return absl::OkStatus();
            });
      }
      if (!status.ok()) {
        Finish(ToGrpcStatus(status));
        return;
      }
      WriteNext();
    };
    if (executor == nullptr) {
      gather();
    } else {
      executor->Submit(std::move(gather));
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    WriteNext();
  }

  void OnDone() override { delete this; }

 private:
  void WriteNext() {
    if (next_ == records_.size()) {
      Finish(grpc::Status::OK);
      return;
    }
    StartWrite(&records_[next_++]);
  }

  std::vector<v1::CustomerExportRecord> records_;
  size_t next_ = 0;
};

}  // namespace

grpc::ServerUnaryReactor* CustomerServiceImpl::EraseCustomer(
    grpc::CallbackServerContext* context, const v1::EraseCustomerRequest* request,
    v1::EraseCustomerResponse* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.CustomerService/EraseCustomer",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this](const Caller& caller) -> absl::Status {
    if (absl::Status s = RequireTenant(request->tenant_id()); !s.ok()) return s;
    if (absl::Status s = RequireId(request->customer_id(), "customer_id"); !s.ok()) return s;
    return engine_.EraseCustomer(request->tenant_id(), CustomerId(request->customer_id()),
                                 FromProto(request->actor()), caller);
  });
}

grpc::ServerWriteReactor<v1::CustomerExportRecord>* CustomerServiceImpl::ExportCustomer(
    grpc::CallbackServerContext* context, const v1::ExportCustomerRequest* request) {
  if (absl::Status admitted =
          AdmitCall(admission_, context, "/omniroute.v1.CustomerService/ExportCustomer", request);
      !admitted.ok()) {
    return new FailedStream<v1::CustomerExportRecord>(context, admitted);
  }
  if (forwarder_ != nullptr) {
    // Whether the tenant is served here, asked before gathering anything.
    if (absl::StatusOr<uint64_t> last = engine_.LastSequence(request->tenant_id());
        !last.ok() && forwarder_->TargetOf(*context, last.status()).has_value()) {
      return RefusedStream<v1::CustomerExportRecord>(
          forwarder_, context, last.status(),
          [request](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* client,
                    grpc::ClientReadReactor<v1::CustomerExportRecord>* reactor) {
            v1::CustomerService::NewStub(channel)->async()->ExportCustomer(client, request,
                                                                           reactor);
          });
    }
  }
  return new ExportWriter(engine_, executor_, request->tenant_id(), request->customer_id());
}

grpc::ServerUnaryReactor* CustomerServiceImpl::GetCustomer(grpc::CallbackServerContext* context,
                                                           const v1::GetCustomerRequest* request,
                                                           v1::Customer* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.CustomerService/GetCustomer",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->customer_id(), "customer_id"); !s.ok()) return s;
    auto customer = engine_.GetCustomer(request->tenant_id(), CustomerId(request->customer_id()));
    if (!customer.ok()) return customer.status();
    ToProto(*customer, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::FindCustomer(grpc::CallbackServerContext* context,
                                                            const v1::FindCustomerRequest* request,
                                                            v1::Customer* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.CustomerService/FindCustomer",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    auto customer = engine_.FindCustomer(request->tenant_id(), FromProto(request->identity()));
    if (!customer.ok()) return customer.status();
    ToProto(*customer, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::LinkIdentity(grpc::CallbackServerContext* context,
                                                            const v1::LinkIdentityRequest* request,
                                                            v1::LinkIdentityResponse* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.CustomerService/LinkIdentity",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this](const Caller& caller) -> absl::Status {
    if (absl::Status s = RequireId(request->customer_id(), "customer_id"); !s.ok()) return s;
    if (absl::Status s = CheckLinkMode(request->mode()); !s.ok()) return s;
    auto result = engine_.LinkIdentity(request->tenant_id(), CustomerId(request->customer_id()),
                                       FromProto(request->identity()), FromProto(request->actor()),
                                       ToLinkMode(request->mode()), caller);
    if (!result.ok()) return result.status();
    ToProto(*result, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::MergeCustomers(
    grpc::CallbackServerContext* context, const v1::MergeCustomersRequest* request,
    v1::LinkIdentityResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.CustomerService/MergeCustomers", request, response};
  return Unary(executor_, context, forwarding, [=, this](const Caller& caller) -> absl::Status {
    if (absl::Status s = RequireId(request->customer_id(), "customer_id"); !s.ok()) return s;
    if (absl::Status s = RequireId(request->other_customer_id(), "other_customer_id"); !s.ok()) {
      return s;
    }
    auto result = engine_.MergeCustomers(request->tenant_id(), CustomerId(request->customer_id()),
                                         CustomerId(request->other_customer_id()),
                                         FromProto(request->actor()), caller);
    if (!result.ok()) return result.status();
    ToProto(*result, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::UnmergeCustomer(
    grpc::CallbackServerContext* context, const v1::UnmergeCustomerRequest* request,
    v1::UnmergeCustomerResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.CustomerService/UnmergeCustomer", request, response};
  return Unary(executor_, context, forwarding, [=, this](const Caller& caller) -> absl::Status {
    if (absl::Status s = RequireId(request->customer_id(), "customer_id"); !s.ok()) return s;
    return engine_.UnmergeCustomer(request->tenant_id(), CustomerId(request->customer_id()),
                                   FromProto(request->actor()), caller);
  });
}

grpc::ServerUnaryReactor* CustomerServiceImpl::ListConversations(
    grpc::CallbackServerContext* context, const v1::ListConversationsRequest* request,
    v1::ListConversationsResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.CustomerService/ListConversations", request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->customer_id(), "customer_id"); !s.ok()) return s;
    auto page = engine_.ListConversationsPage(request->tenant_id(),
                                              CustomerId(request->customer_id()),
                                              PageRequestOf(*request));
    if (!page.ok()) return page.status();
    for (const ConversationView& c : page->conversations) {
      ToProto(c, response->add_conversations());
    }
    response->set_next_page_token(std::move(page->next_page_token));
    return absl::OkStatus();
  });
}

// ------------------------------------------------------------ conversations

grpc::ServerUnaryReactor* ConversationServiceImpl::IngestMessage(
    grpc::CallbackServerContext* context, const v1::IngestMessageRequest* request,
    v1::IngestMessageResponse* response) {
  // The hot path: answered when the store has the message, without holding
  // this thread while it syncs (other messages join the same sync).
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.ConversationService/IngestMessage", request, response};
  if (absl::Status admitted = AdmitCall(admission_, context, forwarding.method, request);
      !admitted.ok()) {
    reactor->Finish(ToGrpcStatus(admitted));
    return reactor;
  }
  engine_.IngestMessageAsync(
      request->tenant_id(), FromProto(*request),
      [reactor, response, context, forwarding](absl::StatusOr<IngestResult> result) {
        if (!result.ok()) {
          FinishUnary(reactor, context, forwarding, result.status());
          return;
        }
        response->set_customer_id(result->customer.value());
        response->set_conversation_id(result->conversation.value());
        response->set_message_id(result->message.value());
        response->set_outcome(result->outcome);
        response->set_customer_created(result->customer_created);
        response->set_duplicate(result->duplicate);
        if (result->task_view.has_value()) ToProto(*result->task_view, response->mutable_task());
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* ConversationServiceImpl::RecordOutbound(
    grpc::CallbackServerContext* context, const v1::RecordOutboundRequest* request,
    v1::RecordOutboundResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.ConversationService/RecordOutbound", request,
                              response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->conversation_id(), "conversation_id"); !s.ok())
      return s;
    auto id = engine_.RecordOutbound(request->tenant_id(), FromProto(*request));
    if (!id.ok()) return id.status();
    response->set_message_id(id->value());
    return absl::OkStatus();
  });
}

void FillConversationRouting(Engine& engine, absl::string_view tenant,
                             const ConversationRouting& routing, v1::ConversationRouting* p) {
  p->set_conversation_id(routing.conversation.value());
  p->set_owner_agent_id(routing.owner);
  for (TaskId id : routing.tasks) {
    if (auto task = engine.GetTask(tenant, id); task.ok()) ToProto(*task, p->add_tasks());
  }
  p->set_transfers(routing.transfers);
  p->set_handoffs(routing.handoffs);
  p->set_agents(routing.agents);
  p->set_same_agent_throughout(routing.same_agent_throughout);
}

grpc::ServerUnaryReactor* ConversationServiceImpl::Handoff(grpc::CallbackServerContext* context,
                                                           const v1::HandoffRequest* request,
                                                           v1::HandoffResponse* response) {
  const Forwarding forwarding{forwarder_, admission_, "/omniroute.v1.ConversationService/Handoff",
                              request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->conversation_id(), "conversation_id"); !s.ok())
      return s;
    const ConversationId id(request->conversation_id());
    if (absl::Status s = engine_.Handoff(request->tenant_id(), id, request->to_channel(),
                                         request->reason(), FromProto(request->actor()));
        !s.ok()) {
      return s;
    }
    if (auto routing = engine_.GetConversationRouting(request->tenant_id(), id); routing.ok()) {
      FillConversationRouting(engine_, request->tenant_id(), *routing, response->mutable_routing());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::SetConversationStatus(
    grpc::CallbackServerContext* context, const v1::SetConversationStatusRequest* request,
    v1::SetConversationStatusResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.ConversationService/SetConversationStatus", request,
                              response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->conversation_id(), "conversation_id"); !s.ok())
      return s;
    return engine_.SetConversationStatus(request->tenant_id(),
                                         ConversationId(request->conversation_id()),
                                         request->status(), FromProto(request->actor()));
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::MergeConversations(
    grpc::CallbackServerContext* context, const v1::MergeConversationsRequest* request,
    v1::MergeConversationsResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.ConversationService/MergeConversations", request,
                              response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->target_conversation_id(), "target_conversation_id");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = RequireId(request->source_conversation_id(), "source_conversation_id");
        !s.ok()) {
      return s;
    }
    return engine_.MergeConversations(
        request->tenant_id(), ConversationId(request->target_conversation_id()),
        ConversationId(request->source_conversation_id()), FromProto(request->actor()));
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::SplitConversation(
    grpc::CallbackServerContext* context, const v1::SplitConversationRequest* request,
    v1::SplitConversationResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.ConversationService/SplitConversation", request,
                              response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->conversation_id(), "conversation_id"); !s.ok())
      return s;
    std::vector<MessageId> messages;
    for (uint64_t id : request->message_ids()) messages.push_back(MessageId(id));
    auto id = engine_.SplitConversation(request->tenant_id(),
                                        ConversationId(request->conversation_id()), messages,
                                        FromProto(request->actor()));
    if (!id.ok()) return id.status();
    response->set_conversation_id(id->value());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::GetConversation(
    grpc::CallbackServerContext* context, const v1::GetConversationRequest* request,
    v1::Conversation* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.ConversationService/GetConversation", request,
                              response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->conversation_id(), "conversation_id"); !s.ok())
      return s;
    auto c =
        engine_.GetConversation(request->tenant_id(), ConversationId(request->conversation_id()));
    if (!c.ok()) return c.status();
    ToProto(*c, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ConversationServiceImpl::GetTimeline(
    grpc::CallbackServerContext* context, const v1::GetTimelineRequest* request,
    v1::GetTimelineResponse* response) {
  const Forwarding forwarding{forwarder_, admission_,
                              "/omniroute.v1.ConversationService/GetTimeline", request, response};
  return Unary(executor_, context, forwarding, [=, this]() -> absl::Status {
    if (absl::Status s = RequireId(request->conversation_id(), "conversation_id"); !s.ok())
      return s;
    auto page = engine_.GetTimelinePage(request->tenant_id(),
                                        ConversationId(request->conversation_id()),
                                        PageRequestOf(*request));
    if (!page.ok()) return page.status();
    for (const TimelineEntry& e : page->entries) ToProto(e, response->add_entries());
    response->set_next_page_token(std::move(page->next_page_token));
    return absl::OkStatus();
  });
}

}  // namespace omniroute::service
