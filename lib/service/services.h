// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The gRPC services of omniroute.v1 (proto/omniroute/v1/service.proto), on
// gRPC's callback API. They only convert messages and map status codes; all
// logic stays in the library (omniroute::Engine).
//
// Thread-safe: gRPC calls them from its own threads; the engine serializes
// each tenant's commands.

#ifndef OMNIROUTE_LIB_SERVICE_SERVICES_H_
#define OMNIROUTE_LIB_SERVICE_SERVICES_H_

#include <cstdint>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "omniroute/engine.h"
#include "omniroute/event_store.h"
#include "omniroute/types.h"
#include "omniroute/v1/service.grpc.pb.h"
#include "service/auth/authenticator.h"
#include "service/call_executor.h"
#include "service/change_feed.h"
#include "service/forwarder.h"
#include "service/ownership.h"
#include "service/tenant_limiter.h"

namespace omniroute::service {

namespace v1 = ::omniroute::v1;

// absl and gRPC share their canonical codes one to one.
grpc::Status ToGrpcStatus(const absl::Status& status);

// When `status` names where its tenant is served (kOwnerAddressPayload),
// sends that address as the trailing metadata kOwnerMetadataKey, so that a
// client can retry there. Call before the RPC finishes.
void AddOwnerHint(grpc::CallbackServerContext* context, const absl::Status& status);

// INVALID_ARGUMENT "<field>: required" for a zero id.
absl::Status RequireId(uint64_t id, absl::string_view field);

// The conversation's routing with each of its tasks as it stands now.
void FillConversationRouting(Engine& engine, absl::string_view tenant,
                             const ConversationRouting& routing, v1::ConversationRouting* proto);

// What a call must pass before its handler runs: its credential and role
// (`auth`, null: the server runs without authentication), then its tenant's
// limits (`limiter`, null: no limits). Neither is owned.
struct Admission {
  const Authenticator* auth = nullptr;
  TenantLimiter* limiter = nullptr;
};

// UNAUTHENTICATED or PERMISSION_DENIED unless the call's credential (its
// metadata "authorization") stands for a principal that may call `method`
// with `request` (auth/access_policy.h); then RESOURCE_EXHAUSTED, with a
// retry delay, when the request's tenant is over its request rate
// (tenant_limiter.h). OK when `admission` is null. `request` may be null for
// a call without one (the table's node calls). When OK and `caller` is not
// null, sets it to who the credential stands for (CallerOf), or
// Caller::Unauthenticated() without authentication: what audited commands
// record.
absl::Status AdmitCall(const Admission* admission, const grpc::CallbackServerContext* context,
                       absl::string_view method, const google::protobuf::Message* request,
                       Caller* caller = nullptr);

// The audit record of an authenticated principal: its name, its role's name
// and the kind of its credential. Only ever made from a verified
// credential, never from a request.
Caller CallerOf(const Principal& principal);

// Runs a unary call's body, giving it the caller when it takes one (the
// handlers of audited commands: `[=, this](const Caller& caller)`).
template <typename Call>
auto RunCall(Call& call, const Caller& caller) {
  if constexpr (std::is_invocable_v<Call&, const Caller&>) {
    return call(caller);
  } else {
    return call();
  }
}

// As AdmitCall for a server stream, which also takes one of its tenant's
// stream slots: the slot to keep until the stream ends (empty without
// limits).
absl::StatusOr<TenantLimiter::StreamSlot> AdmitStream(const Admission* admission,
                                                      const grpc::CallbackServerContext* context,
                                                      absl::string_view method,
                                                      const google::protobuf::Message* request);

// Where a unary call refused here for a tenant served elsewhere goes
// (forwarder.h): `forwarder` null (not a cluster node, or forwarding off)
// answers the refusal with the owner hint instead.
struct Forwarding {
  Forwarder* forwarder = nullptr;
  // Checks the caller's credential, role and tenant limits before anything
  // else (null: every call is admitted).
  const Admission* admission = nullptr;
  // The call's full name, "/omniroute.v1.Service/Method".
  const char* method = nullptr;
  const google::protobuf::Message* request = nullptr;
  google::protobuf::Message* response = nullptr;
};

// Finishes a unary RPC with `status`, or, when it is a refusal that names
// another node and `forwarding` allows it, with the answer of that node.
void FinishUnary(grpc::ServerUnaryReactor* reactor, grpc::CallbackServerContext* context,
                 const Forwarding& forwarding, const absl::Status& status);

// Runs `call` and finishes the RPC with its status (FinishUnary): on
// `executor` when there is one (the engine may block `call` until a sync),
// else on gRPC's thread. `call` runs after the handler has returned, so it
// must hold copies, not references to the handler's locals; the request and
// response stay valid until the RPC finishes. `call` takes no argument, or
// the call's Caller (RunCall).
template <typename Call>
grpc::ServerUnaryReactor* Unary(CallExecutor* executor, grpc::CallbackServerContext* context,
                                const Forwarding& forwarding, Call call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Caller caller;
  if (absl::Status admitted =
          AdmitCall(forwarding.admission, context, forwarding.method, forwarding.request, &caller);
      !admitted.ok()) {
    reactor->Finish(ToGrpcStatus(admitted));
    return reactor;
  }
  if (executor == nullptr) {
    FinishUnary(reactor, context, forwarding, RunCall(call, caller));
  } else {
    executor->Submit([reactor, context, forwarding, caller = std::move(caller),
                      call = std::move(call)]() mutable {
      FinishUnary(reactor, context, forwarding, RunCall(call, caller));
    });
  }
  return reactor;
}

// A call that is never forwarded (it is about this node, not a tenant).
template <typename Call>
grpc::ServerUnaryReactor* Unary(CallExecutor* executor, grpc::CallbackServerContext* context,
                                Call call) {
  return Unary(executor, context, Forwarding{}, std::move(call));
}

class TenantServiceImpl final : public v1::TenantService::CallbackService {
 public:
  // `ownership` (not owned; null unless the server is a cluster node)
  // decides where a new tenant is created.
  TenantServiceImpl(Engine& engine, CallExecutor* executor, Ownership* ownership = nullptr,
                    Forwarder* forwarder = nullptr, const Admission* admission = nullptr)
      : engine_(engine),
        executor_(executor),
        ownership_(ownership),
        forwarder_(forwarder),
        admission_(admission) {}
  grpc::ServerUnaryReactor* CreateTenant(grpc::CallbackServerContext* context,
                                         const v1::CreateTenantRequest* request,
                                         v1::CreateTenantResponse* response) override;
  grpc::ServerUnaryReactor* ListTenants(grpc::CallbackServerContext* context,
                                        const v1::ListTenantsRequest* request,
                                        v1::ListTenantsResponse* response) override;

 private:
  Engine& engine_;
  CallExecutor* const executor_;  // Not owned; null: calls run inline.
  Ownership* const ownership_;
  Forwarder* const forwarder_;  // Not owned; null: refusals are answered.
  const Admission* const admission_;  // Not owned; null: every call is admitted.
};

class CustomerServiceImpl final : public v1::CustomerService::CallbackService {
 public:
  CustomerServiceImpl(Engine& engine, CallExecutor* executor, Forwarder* forwarder = nullptr,
                      const Admission* admission = nullptr)
      : engine_(engine), executor_(executor), forwarder_(forwarder), admission_(admission) {}
  grpc::ServerUnaryReactor* GetCustomer(grpc::CallbackServerContext* context,
                                        const v1::GetCustomerRequest* request,
                                        v1::Customer* response) override;
  grpc::ServerUnaryReactor* FindCustomer(grpc::CallbackServerContext* context,
                                         const v1::FindCustomerRequest* request,
                                         v1::Customer* response) override;
  grpc::ServerUnaryReactor* LinkIdentity(grpc::CallbackServerContext* context,
                                         const v1::LinkIdentityRequest* request,
                                         v1::LinkIdentityResponse* response) override;
  grpc::ServerUnaryReactor* MergeCustomers(grpc::CallbackServerContext* context,
                                           const v1::MergeCustomersRequest* request,
                                           v1::LinkIdentityResponse* response) override;
  grpc::ServerUnaryReactor* UnmergeCustomer(grpc::CallbackServerContext* context,
                                            const v1::UnmergeCustomerRequest* request,
                                            v1::UnmergeCustomerResponse* response) override;
  grpc::ServerUnaryReactor* ListConversations(grpc::CallbackServerContext* context,
                                              const v1::ListConversationsRequest* request,
                                              v1::ListConversationsResponse* response) override;
  grpc::ServerUnaryReactor* EraseCustomer(grpc::CallbackServerContext* context,
                                          const v1::EraseCustomerRequest* request,
                                          v1::EraseCustomerResponse* response) override;
  // The records are gathered on the executor (the export waits for
  // durability like any read), then written one at a time.
  grpc::ServerWriteReactor<v1::CustomerExportRecord>* ExportCustomer(
      grpc::CallbackServerContext* context, const v1::ExportCustomerRequest* request) override;

 private:
  Engine& engine_;
  CallExecutor* const executor_;  // Not owned; null: calls run inline.
  Forwarder* const forwarder_;    // Not owned; null: refusals are answered.
  const Admission* const admission_;  // Not owned; null: every call is admitted.
};

class ConversationServiceImpl final : public v1::ConversationService::CallbackService {
 public:
  ConversationServiceImpl(Engine& engine, CallExecutor* executor, Forwarder* forwarder = nullptr,
                          const Admission* admission = nullptr)
      : engine_(engine), executor_(executor), forwarder_(forwarder), admission_(admission) {}
  grpc::ServerUnaryReactor* IngestMessage(grpc::CallbackServerContext* context,
                                          const v1::IngestMessageRequest* request,
                                          v1::IngestMessageResponse* response) override;
  grpc::ServerUnaryReactor* RecordOutbound(grpc::CallbackServerContext* context,
                                           const v1::RecordOutboundRequest* request,
                                           v1::RecordOutboundResponse* response) override;
  grpc::ServerUnaryReactor* Handoff(grpc::CallbackServerContext* context,
                                    const v1::HandoffRequest* request,
                                    v1::HandoffResponse* response) override;
  grpc::ServerUnaryReactor* SetConversationStatus(
      grpc::CallbackServerContext* context, const v1::SetConversationStatusRequest* request,
      v1::SetConversationStatusResponse* response) override;
  grpc::ServerUnaryReactor* MergeConversations(grpc::CallbackServerContext* context,
                                               const v1::MergeConversationsRequest* request,
                                               v1::MergeConversationsResponse* response) override;
  grpc::ServerUnaryReactor* SplitConversation(grpc::CallbackServerContext* context,
                                              const v1::SplitConversationRequest* request,
                                              v1::SplitConversationResponse* response) override;
  grpc::ServerUnaryReactor* GetConversation(grpc::CallbackServerContext* context,
                                            const v1::GetConversationRequest* request,
                                            v1::Conversation* response) override;
  grpc::ServerUnaryReactor* GetTimeline(grpc::CallbackServerContext* context,
                                        const v1::GetTimelineRequest* request,
                                        v1::GetTimelineResponse* response) override;

 private:
  Engine& engine_;
  CallExecutor* const executor_;  // Not owned; null: calls run inline.
  Forwarder* const forwarder_;    // Not owned; null: refusals are answered.
  const Admission* const admission_;  // Not owned; null: every call is admitted.
};

class RoutingServiceImpl final : public v1::RoutingService::CallbackService {
 public:
  RoutingServiceImpl(Engine& engine, EventStore& store, ChangeFeed& feed, CallExecutor* executor,
                     Forwarder* forwarder = nullptr, const Admission* admission = nullptr)
      : engine_(engine),
        store_(store),
        feed_(feed),
        executor_(executor),
        forwarder_(forwarder),
        admission_(admission) {}
  grpc::ServerUnaryReactor* ConfigureRouting(grpc::CallbackServerContext* context,
                                             const v1::ConfigureRoutingRequest* request,
                                             v1::ConfigureRoutingResponse* response) override;
  grpc::ServerUnaryReactor* GetRoutingSettings(grpc::CallbackServerContext* context,
                                               const v1::GetRoutingSettingsRequest* request,
                                               v1::RoutingSettings* response) override;
  grpc::ServerUnaryReactor* UpsertQueue(grpc::CallbackServerContext* context,
                                        const v1::UpsertQueueRequest* request,
                                        v1::UpsertQueueResponse* response) override;
  grpc::ServerUnaryReactor* GetQueue(grpc::CallbackServerContext* context,
                                     const v1::GetQueueRequest* request,
                                     v1::QueueConfig* response) override;
  grpc::ServerUnaryReactor* GetQueueStats(grpc::CallbackServerContext* context,
                                          const v1::GetQueueRequest* request,
                                          v1::QueueStats* response) override;
  grpc::ServerUnaryReactor* GetQueueStatistics(grpc::CallbackServerContext* context,
                                               const v1::GetQueueStatisticsRequest* request,
                                               v1::GetQueueStatisticsResponse* response) override;
  // lib/service/statistics_stream.cc.
  grpc::ServerWriteReactor<v1::QueueStatisticsUpdate>* WatchQueueStatistics(
      grpc::CallbackServerContext* context,
      const v1::WatchQueueStatisticsRequest* request) override;
  grpc::ServerUnaryReactor* GetAgentStatistics(grpc::CallbackServerContext* context,
                                               const v1::GetAgentRequest* request,
                                               v1::AgentStatistics* response) override;
  grpc::ServerUnaryReactor* GetIntervalReport(grpc::CallbackServerContext* context,
                                              const v1::GetIntervalReportRequest* request,
                                              v1::IntervalReport* response) override;
  grpc::ServerUnaryReactor* UpsertAgent(grpc::CallbackServerContext* context,
                                        const v1::UpsertAgentRequest* request,
                                        v1::UpsertAgentResponse* response) override;
  grpc::ServerUnaryReactor* GetAgent(grpc::CallbackServerContext* context,
                                     const v1::GetAgentRequest* request,
                                     v1::Agent* response) override;
  grpc::ServerUnaryReactor* SetAgentPresence(grpc::CallbackServerContext* context,
                                             const v1::SetAgentPresenceRequest* request,
                                             v1::SetAgentPresenceResponse* response) override;
  grpc::ServerWriteReactor<v1::OfferUpdate>* StreamOffers(
      grpc::CallbackServerContext* context, const v1::StreamOffersRequest* request) override;
  grpc::ServerUnaryReactor* AcceptOffer(grpc::CallbackServerContext* context,
                                        const v1::OfferAnswerRequest* request,
                                        v1::Task* response) override;
  grpc::ServerUnaryReactor* DeclineOffer(grpc::CallbackServerContext* context,
                                         const v1::OfferAnswerRequest* request,
                                         v1::Task* response) override;
  grpc::ServerUnaryReactor* CompleteTask(grpc::CallbackServerContext* context,
                                         const v1::CompleteTaskRequest* request,
                                         v1::Task* response) override;
  grpc::ServerUnaryReactor* TransferTask(grpc::CallbackServerContext* context,
                                         const v1::TransferTaskRequest* request,
                                         v1::Task* response) override;
  grpc::ServerUnaryReactor* AbandonTask(grpc::CallbackServerContext* context,
                                        const v1::AbandonTaskRequest* request,
                                        v1::Task* response) override;
  grpc::ServerUnaryReactor* GetTask(grpc::CallbackServerContext* context,
                                    const v1::GetTaskRequest* request,
                                    v1::Task* response) override;
  grpc::ServerUnaryReactor* GetConversationRouting(
      grpc::CallbackServerContext* context, const v1::GetConversationRoutingRequest* request,
      v1::ConversationRouting* response) override;
  grpc::ServerUnaryReactor* RunDueTimers(grpc::CallbackServerContext* context,
                                         const v1::RunDueTimersRequest* request,
                                         v1::RunDueTimersResponse* response) override;

 private:
  Engine& engine_;
  EventStore& store_;
  ChangeFeed& feed_;
  CallExecutor* const executor_;  // Not owned; null: calls run inline.
  Forwarder* const forwarder_;    // Not owned; null: refusals are answered.
  const Admission* const admission_;  // Not owned; null: every call is admitted.
};

class CommitmentServiceImpl final : public v1::CommitmentService::CallbackService {
 public:
  CommitmentServiceImpl(Engine& engine, CallExecutor* executor, Forwarder* forwarder = nullptr,
                        const Admission* admission = nullptr)
      : engine_(engine), executor_(executor), forwarder_(forwarder), admission_(admission) {}
  grpc::ServerUnaryReactor* RecordCommitment(grpc::CallbackServerContext* context,
                                             const v1::RecordCommitmentRequest* request,
                                             v1::Commitment* response) override;
  grpc::ServerUnaryReactor* CloseCommitment(grpc::CallbackServerContext* context,
                                            const v1::CloseCommitmentRequest* request,
                                            v1::Commitment* response) override;
  grpc::ServerUnaryReactor* GetCommitment(grpc::CallbackServerContext* context,
                                          const v1::GetCommitmentRequest* request,
                                          v1::Commitment* response) override;
  grpc::ServerUnaryReactor* ListCommitments(grpc::CallbackServerContext* context,
                                            const v1::ListCommitmentsRequest* request,
                                            v1::ListCommitmentsResponse* response) override;

 private:
  Engine& engine_;
  CallExecutor* const executor_;  // Not owned; null: calls run inline.
  Forwarder* const forwarder_;    // Not owned; null: refusals are answered.
  const Admission* const admission_;  // Not owned; null: every call is admitted.
};

class EventServiceImpl final : public v1::EventService::CallbackService {
 public:
  EventServiceImpl(Engine& engine, EventStore& store, ChangeFeed& feed, CallExecutor* executor,
                   Forwarder* forwarder = nullptr, const Admission* admission = nullptr)
      : engine_(engine),
        store_(store),
        feed_(feed),
        executor_(executor),
        forwarder_(forwarder),
        admission_(admission) {}
  grpc::ServerWriteReactor<v1::Event>* WatchEvents(grpc::CallbackServerContext* context,
                                                   const v1::WatchEventsRequest* request) override;
  grpc::ServerUnaryReactor* GetLastSequence(grpc::CallbackServerContext* context,
                                            const v1::GetLastSequenceRequest* request,
                                            v1::GetLastSequenceResponse* response) override;

 private:
  Engine& engine_;
  EventStore& store_;
  ChangeFeed& feed_;
  CallExecutor* const executor_;  // Not owned; null: calls run inline.
  Forwarder* const forwarder_;    // Not owned; null: refusals are answered.
  const Admission* const admission_;  // Not owned; null: every call is admitted.
};

class DiagnosticsServiceImpl final : public v1::DiagnosticsService::CallbackService {
 public:
  // `ownership` and `forwarder` (not owned) are null unless the server is
  // a cluster node (and forwards).
  DiagnosticsServiceImpl(Engine& engine, CallExecutor* executor, Ownership* ownership = nullptr,
                         Forwarder* forwarder = nullptr, const Admission* admission = nullptr)
      : engine_(engine),
        executor_(executor),
        ownership_(ownership),
        forwarder_(forwarder),
        admission_(admission) {}
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* context,
                                 const v1::PingRequest* request,
                                 v1::PingResponse* response) override;
  grpc::ServerUnaryReactor* GetNodeStatus(grpc::CallbackServerContext* context,
                                          const v1::GetNodeStatusRequest* request,
                                          v1::NodeStatus* response) override;
  grpc::ServerUnaryReactor* GetStateFingerprint(grpc::CallbackServerContext* context,
                                                const v1::GetStateFingerprintRequest* request,
                                                v1::StateFingerprint* response) override;

 private:
  Engine& engine_;
  CallExecutor* const executor_;  // Not owned; null: calls run inline.
  Ownership* const ownership_;
  Forwarder* const forwarder_;
  const Admission* const admission_;  // Not owned; null: every call is admitted.
};

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_SERVICES_H_
