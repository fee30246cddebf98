// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// What the gRPC tests share: an in-process omniroute server on 127.0.0.1
// port 0 (memory store, ManualClock, timers fired only by RunDueTimers),
// generated stubs on a real channel to it, a typed way to call any unary
// RPC with a deadline, and builders for the requests the scenarios send.

#ifndef OMNIROUTE_TESTS_SERVICE_SERVICE_TEST_SUPPORT_H_
#define OMNIROUTE_TESTS_SERVICE_SERVICE_TEST_SUPPORT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "omniroute/clock.h"
#include "omniroute/v1/service.grpc.pb.h"
#include "service/server.h"

namespace omniroute::service_test {

namespace v1 = ::omniroute::v1;

// Every call and every stream read gives up after this: a server that
// never answers fails the test instead of hanging it.
inline constexpr std::chrono::seconds kRpcDeadline{20};

inline void SetDeadline(grpc::ClientContext& context, std::chrono::seconds after = kRpcDeadline) {
  context.set_deadline(std::chrono::system_clock::now() + after);
}

// The outcome of one unary call.
template <typename Response>
struct Reply {
  grpc::Status status;
  Response value;
  bool ok() const { return status.ok(); }
};

inline std::string Describe(const grpc::Status& status) {
  return absl::StrCat("code ", static_cast<int>(status.error_code()), ": ", status.error_message());
}

// Calls `method` of `stub` with a deadline.
template <typename Stub, typename Request, typename Response>
Reply<Response> Invoke(Stub& stub,
                       grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                    Response*),
                       const Request& request) {
  grpc::ClientContext context;
  SetDeadline(context);
  Reply<Response> reply;
  reply.status = (stub.*method)(&context, request, &reply.value);
  return reply;
}

// As Invoke, and records a failure unless the call succeeded.
template <typename Stub, typename Request, typename Response>
Response MustInvoke(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request) {
  Reply<Response> reply = Invoke(stub, method, request);
  EXPECT_TRUE(reply.ok()) << request.GetTypeName() << " " << request.ShortDebugString() << ": "
                          << Describe(reply.status);
  return std::move(reply.value);
}

// ------------------------------------------------------------ time

inline absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

inline google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t nanos = absl::ToUnixNanos(t);
  out.set_seconds(nanos / 1000000000);
  out.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return out;
}

inline google::protobuf::Duration ToDurationProto(absl::Duration d) {
  google::protobuf::Duration out;
  const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
  return out;
}

// ------------------------------------------------------------ builders

inline v1::RawIdentity HandleId(absl::string_view network, absl::string_view handle) {
  v1::RawIdentity id;
  id.set_kind(v1::IDENTITY_KIND_SOCIAL_HANDLE);
  id.set_network(std::string(network));
  id.set_value(std::string(handle));
  return id;
}
inline v1::RawIdentity EmailId(absl::string_view address) {
  v1::RawIdentity id;
  id.set_kind(v1::IDENTITY_KIND_EMAIL);
  id.set_value(std::string(address));
  return id;
}
inline v1::RawIdentity PhoneId(absl::string_view number) {
  v1::RawIdentity id;
  id.set_kind(v1::IDENTITY_KIND_PHONE);
  id.set_value(std::string(number));
  return id;
}

inline v1::Actor AgentActor(absl::string_view agent) {
  v1::Actor actor;
  actor.set_kind(v1::ACTOR_KIND_AGENT);
  actor.set_id(std::string(agent));
  return actor;
}

inline v1::IngestMessageRequest Inbound(absl::string_view tenant, v1::Channel channel,
                                        v1::RawIdentity sender, absl::string_view external_id,
                                        absl::string_view body) {
  v1::IngestMessageRequest r;
  r.set_tenant_id(std::string(tenant));
  r.set_channel(channel);
  *r.mutable_sender() = std::move(sender);
  r.set_external_id(std::string(external_id));
  r.set_body(std::string(body));
  return r;
}

inline v1::IngestMessageRequest PublicPost(absl::string_view tenant, absl::string_view handle,
                                           absl::string_view external_id, absl::string_view body,
                                           int64_t reach = 0) {
  v1::IngestMessageRequest r =
      Inbound(tenant, v1::CHANNEL_PUBLIC_SOCIAL, HandleId("x", handle), external_id, body);
  r.mutable_profile()->set_reach(reach);
  return r;
}
inline v1::IngestMessageRequest DirectMessage(absl::string_view tenant, absl::string_view handle,
                                              absl::string_view external_id, absl::string_view body,
                                              int64_t reach = 0) {
  v1::IngestMessageRequest r =
      Inbound(tenant, v1::CHANNEL_PRIVATE_SOCIAL, HandleId("x", handle), external_id, body);
  r.mutable_profile()->set_reach(reach);
  return r;
}
inline v1::IngestMessageRequest EmailMessage(absl::string_view tenant, absl::string_view address,
                                             absl::string_view external_id,
                                             absl::string_view body) {
  return Inbound(tenant, v1::CHANNEL_EMAIL, EmailId(address), external_id, body);
}
inline v1::IngestMessageRequest PhoneCall(absl::string_view tenant, absl::string_view number,
                                          absl::string_view call_id, absl::string_view body) {
  v1::IngestMessageRequest r = Inbound(tenant, v1::CHANNEL_VOICE, PhoneId(number), call_id, body);
  r.set_thread_key(std::string(call_id));
  return r;
}

inline v1::RecordOutboundRequest Outbound(absl::string_view tenant, uint64_t conversation,
                                          v1::Channel channel, absl::string_view external_id,
                                          absl::string_view agent, absl::string_view body) {
  v1::RecordOutboundRequest r;
  r.set_tenant_id(std::string(tenant));
  r.set_conversation_id(conversation);
  r.set_channel(channel);
  r.set_external_id(std::string(external_id));
  r.set_agent_id(std::string(agent));
  r.set_body(std::string(body));
  return r;
}

inline v1::QueueConfig Queue(absl::string_view id, std::vector<v1::Channel> channels,
                             std::vector<std::pair<std::string, int>> skills = {}) {
  v1::QueueConfig q;
  q.set_queue_id(std::string(id));
  for (v1::Channel c : channels) q.add_channels(c);
  for (const auto& [skill, level] : skills) {
    v1::SkillLevel* s = q.add_required_skills();
    s->set_skill(skill);
    s->set_level(level);
  }
  return q;
}

inline v1::AgentConfig AgentWith(absl::string_view id, std::vector<v1::Channel> channels,
                                 std::vector<std::pair<std::string, int>> skills = {},
                                 int capacity = 4) {
  v1::AgentConfig a;
  a.set_agent_id(std::string(id));
  for (v1::Channel c : channels) a.add_channels(c);
  for (const auto& [skill, level] : skills) {
    v1::SkillLevel* s = a.add_skills();
    s->set_skill(skill);
    s->set_level(level);
  }
  a.set_capacity(capacity);
  return a;
}

inline v1::RoutingRule Rule(absl::string_view name, std::vector<v1::Channel> channels,
                            absl::string_view queue) {
  v1::RoutingRule r;
  r.set_name(std::string(name));
  for (v1::Channel c : channels) r.add_channels(c);
  r.set_queue_id(std::string(queue));
  return r;
}

// ------------------------------------------------------------ the server

// A test with an in-process server and a client of each service. The
// server's clock is `clock_`: time moves only when the test advances it,
// and timers fire only when the test calls RunDueTimers.
class ServiceTest : public ::testing::Test {
 protected:
  // 2026-01-01 19:00 UTC.
  static absl::Time Start() { return absl::FromUnixSeconds(1767225600) + absl::Hours(19); }

  // Lets a fixture change the options before the server starts.
  virtual void Configure(service::ServerOptions& options) {}

  void SetUp() override {
    service::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.clock = &clock_;
    options.run_timers = false;
    Configure(options);
    absl::StatusOr<std::unique_ptr<service::Server>> server = service::Server::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->port(), 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    ASSERT_TRUE(channel_->WaitForConnected(std::chrono::system_clock::now() + kRpcDeadline));
    tenants_ = v1::TenantService::NewStub(channel_);
    customers_ = v1::CustomerService::NewStub(channel_);
    conversations_ = v1::ConversationService::NewStub(channel_);
    routing_ = v1::RoutingService::NewStub(channel_);
    commitments_ = v1::CommitmentService::NewStub(channel_);
    events_ = v1::EventService::NewStub(channel_);
    diagnostics_ = v1::DiagnosticsService::NewStub(channel_);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // ---- shorthand for the calls most tests make

  void CreateTenant(absl::string_view tenant, const v1::TenantSettings* settings = nullptr) {
    v1::CreateTenantRequest r;
    r.set_tenant_id(std::string(tenant));
    if (settings != nullptr) *r.mutable_settings() = *settings;
    MustInvoke(*tenants_, &v1::TenantService::Stub::CreateTenant, r);
  }

  void UpsertQueue(absl::string_view tenant, const v1::QueueConfig& queue) {
    v1::UpsertQueueRequest r;
    r.set_tenant_id(std::string(tenant));
    *r.mutable_queue() = queue;
    MustInvoke(*routing_, &v1::RoutingService::Stub::UpsertQueue, r);
  }

  void UpsertAgent(absl::string_view tenant, const v1::AgentConfig& agent) {
    v1::UpsertAgentRequest r;
    r.set_tenant_id(std::string(tenant));
    *r.mutable_agent() = agent;
    MustInvoke(*routing_, &v1::RoutingService::Stub::UpsertAgent, r);
  }

  void ConfigureRouting(absl::string_view tenant, const v1::RoutingSettings& settings) {
    v1::ConfigureRoutingRequest r;
    r.set_tenant_id(std::string(tenant));
    *r.mutable_settings() = settings;
    MustInvoke(*routing_, &v1::RoutingService::Stub::ConfigureRouting, r);
  }

  void SetPresence(absl::string_view tenant, absl::string_view agent, v1::AgentPresence presence) {
    v1::SetAgentPresenceRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_agent_id(std::string(agent));
    r.set_presence(presence);
    MustInvoke(*routing_, &v1::RoutingService::Stub::SetAgentPresence, r);
  }

  v1::IngestMessageResponse Ingest(const v1::IngestMessageRequest& request) {
    return MustInvoke(*conversations_, &v1::ConversationService::Stub::IngestMessage, request);
  }

  uint64_t Answer(const v1::RecordOutboundRequest& request) {
    return MustInvoke(*conversations_, &v1::ConversationService::Stub::RecordOutbound, request)
        .message_id();
  }

  v1::Task GetTask(absl::string_view tenant, uint64_t task) {
    v1::GetTaskRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_task_id(task);
    return MustInvoke(*routing_, &v1::RoutingService::Stub::GetTask, r);
  }

  v1::Agent GetAgent(absl::string_view tenant, absl::string_view agent) {
    v1::GetAgentRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_agent_id(std::string(agent));
    return MustInvoke(*routing_, &v1::RoutingService::Stub::GetAgent, r);
  }

  Reply<v1::Task> AcceptOffer(absl::string_view tenant, uint64_t task, absl::string_view agent) {
    v1::OfferAnswerRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_task_id(task);
    r.set_agent_id(std::string(agent));
    return Invoke(*routing_, &v1::RoutingService::Stub::AcceptOffer, r);
  }

  Reply<v1::Task> DeclineOffer(absl::string_view tenant, uint64_t task, absl::string_view agent,
                               absl::string_view reason = "") {
    v1::OfferAnswerRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_task_id(task);
    r.set_agent_id(std::string(agent));
    r.set_reason(std::string(reason));
    return Invoke(*routing_, &v1::RoutingService::Stub::DeclineOffer, r);
  }

  Reply<v1::Task> CompleteTask(absl::string_view tenant, uint64_t task, absl::string_view agent) {
    v1::CompleteTaskRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_task_id(task);
    r.set_agent_id(std::string(agent));
    return Invoke(*routing_, &v1::RoutingService::Stub::CompleteTask, r);
  }

  int RunDueTimers(absl::string_view tenant) {
    v1::RunDueTimersRequest r;
    r.set_tenant_id(std::string(tenant));
    return MustInvoke(*routing_, &v1::RoutingService::Stub::RunDueTimers, r).fired();
  }

  uint64_t LastSequence(absl::string_view tenant) {
    v1::GetLastSequenceRequest r;
    r.set_tenant_id(std::string(tenant));
    return MustInvoke(*events_, &v1::EventService::Stub::GetLastSequence, r).sequence();
  }

  v1::Conversation GetConversation(absl::string_view tenant, uint64_t conversation) {
    v1::GetConversationRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_conversation_id(conversation);
    return MustInvoke(*conversations_, &v1::ConversationService::Stub::GetConversation, r);
  }

  // Sets `request` to ask for the page after the one that gave `next`;
  // false (a failure recorded) if the server gave back the token it was
  // sent, which would never end.
  template <typename Request>
  static bool NextPage(const std::string& next, Request& request) {
    if (!next.empty() && next == request.page_token()) {
      ADD_FAILURE() << "the same page token again: " << request.ShortDebugString();
      return false;
    }
    request.set_page_token(next);
    return true;
  }

  // The whole thread: every page, in order.
  std::vector<v1::TimelineEntry> Timeline(absl::string_view tenant, uint64_t conversation) {
    v1::GetTimelineRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_conversation_id(conversation);
    std::vector<v1::TimelineEntry> entries;
    do {
      Reply<v1::GetTimelineResponse> page =
          Invoke(*conversations_, &v1::ConversationService::Stub::GetTimeline, r);
      EXPECT_TRUE(page.ok()) << r.ShortDebugString() << ": " << Describe(page.status);
      if (!page.ok()) break;
      entries.insert(entries.end(), page.value.entries().begin(), page.value.entries().end());
      if (!NextPage(page.value.next_page_token(), r)) break;
    } while (!r.page_token().empty());
    return entries;
  }

  v1::ConversationRouting Routing(absl::string_view tenant, uint64_t conversation) {
    v1::GetConversationRoutingRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_conversation_id(conversation);
    return MustInvoke(*routing_, &v1::RoutingService::Stub::GetConversationRouting, r);
  }

  v1::HandoffResponse Handoff(absl::string_view tenant, uint64_t conversation, v1::Channel to,
                              absl::string_view reason, absl::string_view agent) {
    v1::HandoffRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_conversation_id(conversation);
    r.set_to_channel(to);
    r.set_reason(std::string(reason));
    *r.mutable_actor() = AgentActor(agent);
    return MustInvoke(*conversations_, &v1::ConversationService::Stub::Handoff, r);
  }

  void SetStatus(absl::string_view tenant, uint64_t conversation, v1::ConversationStatus status,
                 absl::string_view agent) {
    v1::SetConversationStatusRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_conversation_id(conversation);
    r.set_status(status);
    *r.mutable_actor() = AgentActor(agent);
    MustInvoke(*conversations_, &v1::ConversationService::Stub::SetConversationStatus, r);
  }

  // An explicit link, made by `agent`.
  v1::LinkIdentityResponse Link(absl::string_view tenant, uint64_t customer,
                                const v1::RawIdentity& identity, absl::string_view agent) {
    v1::LinkIdentityRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_customer_id(customer);
    *r.mutable_identity() = identity;
    *r.mutable_actor() = AgentActor(agent);
    r.set_mode(v1::LINK_MODE_EXPLICIT);
    return MustInvoke(*customers_, &v1::CustomerService::Stub::LinkIdentity, r);
  }

  v1::Customer Find(absl::string_view tenant, const v1::RawIdentity& identity) {
    v1::FindCustomerRequest r;
    r.set_tenant_id(std::string(tenant));
    *r.mutable_identity() = identity;
    return MustInvoke(*customers_, &v1::CustomerService::Stub::FindCustomer, r);
  }

  v1::Customer GetCustomer(absl::string_view tenant, uint64_t customer) {
    v1::GetCustomerRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_customer_id(customer);
    return MustInvoke(*customers_, &v1::CustomerService::Stub::GetCustomer, r);
  }

  // The ids of every page of the customer's conversations, in order.
  std::vector<uint64_t> ConversationsOf(absl::string_view tenant, uint64_t customer) {
    v1::ListConversationsRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_customer_id(customer);
    std::vector<uint64_t> ids;
    do {
      Reply<v1::ListConversationsResponse> page =
          Invoke(*customers_, &v1::CustomerService::Stub::ListConversations, r);
      EXPECT_TRUE(page.ok()) << r.ShortDebugString() << ": " << Describe(page.status);
      if (!page.ok()) break;
      for (const v1::Conversation& c : page.value.conversations()) {
        ids.push_back(c.conversation_id());
      }
      if (!NextPage(page.value.next_page_token(), r)) break;
    } while (!r.page_token().empty());
    return ids;
  }

  // Accepts an offer and checks the task is then assigned to `agent`.
  void Accept(absl::string_view tenant, uint64_t task, absl::string_view agent) {
    Reply<v1::Task> r = AcceptOffer(tenant, task, agent);
    ASSERT_TRUE(r.ok()) << "accept task " << task << " by " << agent << ": " << Describe(r.status);
    EXPECT_EQ(r.value.status(), v1::TASK_STATUS_ASSIGNED);
    EXPECT_EQ(r.value.agent_id(), agent);
  }

  void Complete(absl::string_view tenant, uint64_t task, absl::string_view agent) {
    Reply<v1::Task> r = CompleteTask(tenant, task, agent);
    ASSERT_TRUE(r.ok()) << "complete task " << task << " by " << agent << ": "
                        << Describe(r.status);
    EXPECT_EQ(r.value.status(), v1::TASK_STATUS_COMPLETED);
  }

  // The tenant's events from `from` through `to`, read from the change
  // feed; fewer if the stream ends first (a failure is recorded).
  std::vector<v1::Event> ReadEvents(absl::string_view tenant, uint64_t from, uint64_t to) {
    std::vector<v1::Event> events;
    if (to < from) return events;
    grpc::ClientContext context;
    SetDeadline(context);
    v1::WatchEventsRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_from_sequence(from);
    std::unique_ptr<grpc::ClientReader<v1::Event>> stream = events_->WatchEvents(&context, r);
    v1::Event event;
    while (stream->Read(&event)) {
      events.push_back(event);
      if (event.sequence() >= to) break;
    }
    context.TryCancel();
    const grpc::Status status = stream->Finish();
    EXPECT_TRUE(!events.empty() && events.back().sequence() >= to)
        << "the change feed ended before sequence " << to << ": " << Describe(status);
    return events;
  }

  ManualClock clock_{Start()};
  std::unique_ptr<service::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::TenantService::Stub> tenants_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::unique_ptr<v1::ConversationService::Stub> conversations_;
  std::unique_ptr<v1::RoutingService::Stub> routing_;
  std::unique_ptr<v1::CommitmentService::Stub> commitments_;
  std::unique_ptr<v1::EventService::Stub> events_;
  std::unique_ptr<v1::DiagnosticsService::Stub> diagnostics_;
};

// The task of `routing` created for `reason`; a failure if there is none.
inline v1::Task TaskFor(const v1::ConversationRouting& routing, v1::TaskReason reason) {
  for (const v1::Task& t : routing.tasks()) {
    if (t.reason() == reason) return t;
  }
  ADD_FAILURE() << "no task for reason " << v1::TaskReason_Name(reason) << " in "
                << routing.ShortDebugString();
  return {};
}

inline int CountTasks(const v1::ConversationRouting& routing, v1::TaskReason reason) {
  int n = 0;
  for (const v1::Task& t : routing.tasks()) n += t.reason() == reason ? 1 : 0;
  return n;
}

// The task of `routing` for `reason` on `channel`.
inline v1::Task TaskOn(const v1::ConversationRouting& routing, v1::TaskReason reason,
                       v1::Channel channel) {
  for (const v1::Task& t : routing.tasks()) {
    if (t.reason() == reason && t.channel() == channel) return t;
  }
  ADD_FAILURE() << "no " << v1::TaskReason_Name(reason) << " task on " << v1::Channel_Name(channel)
                << " in " << routing.ShortDebugString();
  return {};
}

// The SLA clock belongs to the conversation (`due` is its first-response
// due): a task carries that due, or none once the conversation has been
// answered, never a clock of its own.
inline void ExpectConversationClock(const v1::Task& task, absl::Time due) {
  if (task.has_first_response_due()) {
    EXPECT_EQ(FromTimestamp(task.first_response_due()), due) << task.ShortDebugString();
  }
}

// Message ids of a timeline, handoffs left out.
inline std::vector<uint64_t> MessageIds(const std::vector<v1::TimelineEntry>& timeline) {
  std::vector<uint64_t> ids;
  for (const v1::TimelineEntry& e : timeline) {
    if (e.has_message()) ids.push_back(e.message().message_id());
  }
  return ids;
}

}  // namespace omniroute::service_test

#endif  // OMNIROUTE_TESTS_SERVICE_SERVICE_TEST_SUPPORT_H_
