// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Bad requests over the wire, as a table: for every RPC of omniroute.v1,
// requests with missing fields (ids 0, empty names), invalid enum values,
// unknown ids, an unknown tenant, and requests over the server's size limit
// (ServerOptions::max_message_bytes = 64 KiB) or the tenant's body limit.
// Each row expects a gRPC status code and a message that names the field.
// For every row the tenant's last sequence number, its state and the list
// of tenants are what they were before the call ("nothing is half-applied"),
// and after the table the server still answers.
//
// Codes follow service.proto and engine.h: INVALID_ARGUMENT for malformed
// input (an id 0 is "required"), NOT_FOUND for unknown tenants, customers,
// conversations, agents, queues, tasks and commitments, ALREADY_EXISTS,
// FAILED_PRECONDITION when the state does not allow it, RESOURCE_EXHAUSTED
// for size limits.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/bad_request_world.h"
#include "service/service_test_support.h"

namespace omniroute::service_test {

std::vector<Row> BadRequestTest::Rows(
    std::vector<std::pair<std::string, std::function<grpc::Status()>>>* bases) {
  using TS = v1::TenantService::Stub;
  using CS = v1::CustomerService::Stub;
  using VS = v1::ConversationService::Stub;
  using RS = v1::RoutingService::Stub;
  using MS = v1::CommitmentService::Stub;
  using ES = v1::EventService::Stub;
  const auto bad_channel = static_cast<v1::Channel>(99);
  const std::string big(100 * 1024, 'x');

  // Every RPC of a tenant, registered: its unspoiled call (for `bases`) and
  // its call with another tenant id (for the unknown and empty tenant rows).
  struct Registered {
    std::string name;
    std::function<grpc::Status()> as_is;
    std::function<std::function<grpc::Status()>(std::string)> with_tenant;
  };
  std::vector<Registered> registry;
  auto reg = [&registry](std::string name, auto rpc) {
    registry.push_back({std::move(name), rpc([](auto&) {}),
                        [rpc](std::string tenant) { return rpc(Tenant(tenant)); }});
    return rpc;
  };

  // Every RPC with a valid request, for the rows to spoil. $0 is the id
  // the request needs.
  constexpr char kBy[] = " actor { kind: ACTOR_KIND_AGENT id: 'a1' }";
  auto create =
      Rpc(*tenants_, &TS::CreateTenant, Text<v1::CreateTenantRequest>("tenant_id: 'fresh'"));
  auto get_customer = reg(
      "GetCustomer", Rpc(*customers_, &CS::GetCustomer,
                         Text<v1::GetCustomerRequest>("tenant_id: 'acme' customer_id: $0", ann_)));
  auto find =
      reg("FindCustomer",
          Rpc(*customers_, &CS::FindCustomer,
              Text<v1::FindCustomerRequest>("tenant_id: 'acme' identity { kind: "
                                            "IDENTITY_KIND_EMAIL value: 'ann@example.com' }")));
  auto link = reg("LinkIdentity",
                  Rpc(*customers_, &CS::LinkIdentity,
                      Text<v1::LinkIdentityRequest>(
                          absl::StrCat("tenant_id: 'acme' customer_id: $0 identity { kind: "
                                       "IDENTITY_KIND_EMAIL value: 'ann.other@example.com' }",
                                       kBy),
                          ann_)));
  auto merge =
      reg("MergeCustomers",
          Rpc(*customers_, &CS::MergeCustomers,
              Text<v1::MergeCustomersRequest>(
                  absl::StrCat("tenant_id: 'acme' customer_id: $0 other_customer_id: ", bob_, kBy),
                  ann_)));
  auto unmerge = reg("UnmergeCustomer",
                     Rpc(*customers_, &CS::UnmergeCustomer,
                         Text<v1::UnmergeCustomerRequest>(
                             absl::StrCat("tenant_id: 'acme' customer_id: $0", kBy), dan_social_)));
  auto list =
      reg("ListConversations",
          Rpc(*customers_, &CS::ListConversations,
              Text<v1::ListConversationsRequest>("tenant_id: 'acme' customer_id: $0", ann_)));
  auto ingest = reg("IngestMessage",
                    Rpc(*conversations_, &VS::IngestMessage,
                        EmailMessage(kTenant, "new@example.com", "<n1@example.com>", "hello")));
  auto outbound = reg("RecordOutbound", Rpc(*conversations_, &VS::RecordOutbound,
                                            Outbound(kTenant, ann_conv_, v1::CHANNEL_EMAIL,
                                                     "<o1@brand.example>", "a1", "answer")));
  auto handoff = reg(
      "Handoff",
      Rpc(*conversations_, &VS::Handoff,
          Text<v1::HandoffRequest>(
              absl::StrCat("tenant_id: 'acme' conversation_id: $0 to_channel: CHANNEL_VOICE", kBy),
              ann_conv_)));
  auto status = reg("SetConversationStatus",
                    Rpc(*conversations_, &VS::SetConversationStatus,
                        Text<v1::SetConversationStatusRequest>(
                            absl::StrCat("tenant_id: 'acme' conversation_id: $0 status: "
                                         "CONVERSATION_STATUS_RESOLVED",
                                         kBy),
                            ann_conv_)));
  auto merge_conv =
      reg("MergeConversations", Rpc(*conversations_, &VS::MergeConversations,
                                    Text<v1::MergeConversationsRequest>(
                                        absl::StrCat("tenant_id: 'acme' target_conversation_id: $0 "
                                                     "source_conversation_id: ",
                                                     ann_conv2_, kBy),
                                        ann_conv_)));
  auto split =
      reg("SplitConversation", Rpc(*conversations_, &VS::SplitConversation,
                                   Text<v1::SplitConversationRequest>(
                                       absl::StrCat("tenant_id: 'acme' message_ids: ", ann_answer_,
                                                    " conversation_id: $0", kBy),
                                       ann_conv_)));
  auto get_conv = reg(
      "GetConversation",
      Rpc(*conversations_, &VS::GetConversation,
          Text<v1::GetConversationRequest>("tenant_id: 'acme' conversation_id: $0", ann_conv_)));
  auto timeline =
      reg("GetTimeline",
          Rpc(*conversations_, &VS::GetTimeline,
              Text<v1::GetTimelineRequest>("tenant_id: 'acme' conversation_id: $0", ann_conv_)));
  auto configure = reg("ConfigureRouting",
                       Rpc(*routing_, &RS::ConfigureRouting,
                           Text<v1::ConfigureRoutingRequest>(
                               "tenant_id: 'acme' settings { rules { name: 'email' channels: "
                               "CHANNEL_EMAIL queue_id: 'mail' } }")));
  auto get_settings =
      reg("GetRoutingSettings", Rpc(*routing_, &RS::GetRoutingSettings,
                                    Text<v1::GetRoutingSettingsRequest>("tenant_id: 'acme'")));
  auto queue =
      reg("UpsertQueue",
          Rpc(*routing_, &RS::UpsertQueue,
              Text<v1::UpsertQueueRequest>(
                  "tenant_id: 'acme' queue { queue_id: 'extra' channels: CHANNEL_EMAIL }")));
  const auto mail = Text<v1::GetQueueRequest>("tenant_id: 'acme' queue_id: 'mail'");
  auto get_queue = reg("GetQueue", Rpc(*routing_, &RS::GetQueue, mail));
  auto queue_stats = reg("GetQueueStats", Rpc(*routing_, &RS::GetQueueStats, mail));
  auto agent = reg("UpsertAgent",
                   Rpc(*routing_, &RS::UpsertAgent,
                       Text<v1::UpsertAgentRequest>(
                           "tenant_id: 'acme' agent { agent_id: 'a3' channels: CHANNEL_EMAIL }")));
  auto get_agent = reg(
      "GetAgent",
      Rpc(*routing_, &RS::GetAgent, Text<v1::GetAgentRequest>("tenant_id: 'acme' agent_id: 'a1'")));
  auto presence = reg("SetAgentPresence",
                      Rpc(*routing_, &RS::SetAgentPresence,
                          Text<v1::SetAgentPresenceRequest>(
                              "tenant_id: 'acme' agent_id: 'a2' presence: AGENT_PRESENCE_BUSY")));
  const auto offer =
      Text<v1::OfferAnswerRequest>("tenant_id: 'acme' task_id: $0 agent_id: 'a1'", offered_);
  auto accept = reg("AcceptOffer", Rpc(*routing_, &RS::AcceptOffer, offer));
  auto decline = reg("DeclineOffer", Rpc(*routing_, &RS::DeclineOffer, offer));
  auto complete =
      reg("CompleteTask", Rpc(*routing_, &RS::CompleteTask,
                              Text<v1::CompleteTaskRequest>(
                                  "tenant_id: 'acme' task_id: $0 agent_id: 'a1'", assigned_)));
  auto transfer = reg(
      "TransferTask",
      Rpc(*routing_, &RS::TransferTask,
          Text<v1::TransferTaskRequest>(
              absl::StrCat("tenant_id: 'acme' task_id: $0 queue_id: 'billing'", kBy), assigned_)));
  auto abandon = reg("AbandonTask",
                     Rpc(*routing_, &RS::AbandonTask,
                         Text<v1::AbandonTaskRequest>("tenant_id: 'acme' task_id: $0", offered_)));
  auto get_task =
      reg("GetTask", Rpc(*routing_, &RS::GetTask,
                         Text<v1::GetTaskRequest>("tenant_id: 'acme' task_id: $0", offered_)));
  auto conv_routing =
      reg("GetConversationRouting", Rpc(*routing_, &RS::GetConversationRouting,
                                        Text<v1::GetConversationRoutingRequest>(
                                            "tenant_id: 'acme' conversation_id: $0", ann_conv_)));
  auto timers = reg("RunDueTimers", Rpc(*routing_, &RS::RunDueTimers,
                                        Text<v1::RunDueTimersRequest>("tenant_id: 'acme'")));
  auto record =
      reg("RecordCommitment", Rpc(*commitments_, &MS::RecordCommitment, CommitmentRequest()));
  auto close =
      reg("CloseCommitment", Rpc(*commitments_, &MS::CloseCommitment,
                                 Text<v1::CloseCommitmentRequest>(
                                     absl::StrCat("tenant_id: 'acme' commitment_id: $0 status: "
                                                  "COMMITMENT_STATUS_FULFILLED",
                                                  kBy),
                                     pending_commitment_)));
  auto get_commitment =
      reg("GetCommitment", Rpc(*commitments_, &MS::GetCommitment,
                               Text<v1::GetCommitmentRequest>("tenant_id: 'acme' commitment_id: $0",
                                                              pending_commitment_)));
  auto list_commitments = reg(
      "ListCommitments",
      Rpc(*commitments_, &MS::ListCommitments,
          Text<v1::ListCommitmentsRequest>("tenant_id: 'acme' conversation_id: $0", ann_conv_)));
  auto last = reg("GetLastSequence", Rpc(*events_, &ES::GetLastSequence,
                                         Text<v1::GetLastSequenceRequest>("tenant_id: 'acme'")));
  auto ping = Rpc(*diagnostics_, &v1::DiagnosticsService::Stub::Ping, v1::PingRequest());
  auto watch = [this](std::string id) {
    return StreamCall<v1::Event>([this, id](grpc::ClientContext* ctx) {
      v1::WatchEventsRequest w;
      w.set_tenant_id(id);
      return events_->WatchEvents(ctx, w);
    });
  };
  auto offers = [this](std::string id, std::string who) {
    return StreamCall<v1::OfferUpdate>([this, id, who](grpc::ClientContext* ctx) {
      v1::StreamOffersRequest s;
      s.set_tenant_id(id);
      s.set_agent_id(who);
      return routing_->StreamOffers(ctx, s);
    });
  };

  using C = Code;
  std::vector<Row> rows = {
      // ------------------------------------------------------------ tenants
      {"CreateTenantEmptyId", create(Tenant("")), C::INVALID_ARGUMENT, "tenant_id"},
      {"CreateTenantBadId", create(Tenant("Bad Tenant!")), C::INVALID_ARGUMENT, "tenant_id"},
      {"CreateTenantTwice", create(Tenant(kTenant)), C::ALREADY_EXISTS, "tenant_id"},
      {"CreateTenantCountryCodeWithPlus",
       create([](auto& q) { q.mutable_settings()->set_default_country_code("+33"); }),
       C::INVALID_ARGUMENT, "default_country_code"},
      {"CreateTenantChannel99", create([&](auto& q) {
         v1::ChannelSettings* s = q.mutable_settings()->add_channels();
         s->set_channel(bad_channel);
         *s->mutable_continuity_window() = ToDurationProto(absl::Hours(1));
       }),
       C::INVALID_ARGUMENT, "channel"},
      {"CreateTenantBodyLimitOverCeiling",
       create([](auto& q) { q.mutable_settings()->set_max_body_bytes(2 << 20); }),
       C::INVALID_ARGUMENT, "max_body_bytes"},
      // ------------------------------------------------------------ customers
      {"GetCustomerIdZero", get_customer([](auto& q) { q.set_customer_id(0); }),
       C::INVALID_ARGUMENT, "customer_id"},
      {"GetCustomerUnknown", get_customer([](auto& q) { q.set_customer_id(kUnknown); }),
       C::NOT_FOUND, "customer"},
      {"FindCustomerKind99",
       find([](auto& q) { q.mutable_identity()->set_kind(static_cast<v1::IdentityKind>(99)); }),
       C::INVALID_ARGUMENT, "kind"},
      {"FindCustomerNoIdentity", find([](auto& q) { q.clear_identity(); }), C::INVALID_ARGUMENT,
       "kind"},
      {"FindCustomerMalformedEmail",
       find([](auto& q) { *q.mutable_identity() = EmailId("ann.example.com"); }),
       C::INVALID_ARGUMENT, "value"},
      {"FindCustomerUnknownIdentity",
       find([](auto& q) { *q.mutable_identity() = EmailId("nobody@example.com"); }), C::NOT_FOUND,
       "identity"},
      {"LinkIdentityCustomerZero", link([](auto& q) { q.set_customer_id(0); }), C::INVALID_ARGUMENT,
       "customer_id"},
      {"LinkIdentityMode99", link([](auto& q) { q.set_mode(static_cast<v1::LinkMode>(99)); }),
       C::INVALID_ARGUMENT, "mode"},
      {"LinkIdentityKind99",
       link([](auto& q) { q.mutable_identity()->set_kind(static_cast<v1::IdentityKind>(99)); }),
       C::INVALID_ARGUMENT, "kind"},
      {"LinkIdentityActorKind99",
       link([](auto& q) { q.mutable_actor()->set_kind(static_cast<v1::ActorKind>(99)); }),
       C::INVALID_ARGUMENT, "actor"},
      {"LinkIdentityUnknownCustomer", link([](auto& q) { q.set_customer_id(kUnknown); }),
       C::NOT_FOUND, "customer"},
      {"MergeCustomersIdZero", merge([](auto& q) { q.set_customer_id(0); }), C::INVALID_ARGUMENT,
       "customer_id"},
      {"MergeCustomersOtherZero", merge([](auto& q) { q.set_other_customer_id(0); }),
       C::INVALID_ARGUMENT, "other_customer_id"},
      {"MergeCustomersUnknownOther", merge([](auto& q) { q.set_other_customer_id(kUnknown); }),
       C::NOT_FOUND, "customer"},
      {"MergeCustomersWithItself", merge([&](auto& q) { q.set_other_customer_id(ann_); }),
       C::FAILED_PRECONDITION, "customer"},
      {"UnmergeCustomerIdZero", unmerge([](auto& q) { q.set_customer_id(0); }), C::INVALID_ARGUMENT,
       "customer_id"},
      {"UnmergeCustomerUnknown", unmerge([](auto& q) { q.set_customer_id(kUnknown); }),
       C::NOT_FOUND, "customer"},
      {"UnmergeCustomerNeverMerged", unmerge([&](auto& q) { q.set_customer_id(bob_); }),
       C::FAILED_PRECONDITION, "customer"},
      {"ListConversationsCustomerZero", list([](auto& q) { q.set_customer_id(0); }),
       C::INVALID_ARGUMENT, "customer_id"},
      {"ListConversationsUnknownCustomer", list([](auto& q) { q.set_customer_id(kUnknown); }),
       C::NOT_FOUND, "customer"},
      {"ListConversationsPageSizeNegative", list([](auto& q) { q.set_page_size(-1); }),
       C::INVALID_ARGUMENT, "page_size"},
      {"ListConversationsPageSizeOverMax", list([](auto& q) { q.set_page_size(1001); }),
       C::INVALID_ARGUMENT, "page_size"},
      {"ListConversationsForgedPageToken", list([](auto& q) { q.set_page_token("forged"); }),
       C::INVALID_ARGUMENT, "page_token"},
      // ------------------------------------------------------------ conversations
      {"IngestChannelUnspecified", ingest([](auto& q) { q.set_channel(v1::CHANNEL_UNSPECIFIED); }),
       C::INVALID_ARGUMENT, "channel"},
      {"IngestChannel99", ingest([&](auto& q) { q.set_channel(bad_channel); }), C::INVALID_ARGUMENT,
       "channel"},
      {"IngestVisibility99",
       ingest([](auto& q) { q.set_visibility(static_cast<v1::Visibility>(99)); }),
       C::INVALID_ARGUMENT, "visibility"},
      {"IngestNoExternalId", ingest([](auto& q) { q.clear_external_id(); }), C::INVALID_ARGUMENT,
       "external_id"},
      {"IngestNoSender", ingest([](auto& q) { q.clear_sender(); }), C::INVALID_ARGUMENT, "sender"},
      {"IngestSenderKind99",
       ingest([](auto& q) { q.mutable_sender()->set_kind(static_cast<v1::IdentityKind>(99)); }),
       C::INVALID_ARGUMENT, "sender.kind"},
      {"IngestNegativeReach", ingest([](auto& q) { q.mutable_profile()->set_reach(-1); }),
       C::INVALID_ARGUMENT, "reach"},
      {"IngestBodyOverTenantLimit",
       ingest([](auto& q) { q.set_body(std::string(kMaxBody + 1, 'b')); }), C::RESOURCE_EXHAUSTED,
       "body"},
      {"IngestTooManyReferences", ingest([](auto& q) {
         for (int i = 0; i <= 64; ++i) q.add_references(absl::StrCat("<r", i, "@x.org>"));
       }),
       C::RESOURCE_EXHAUSTED, "references"},
      {"IngestOverTheServerLimit", ingest([&](auto& q) { q.set_body(big); }), C::RESOURCE_EXHAUSTED,
       "larger than"},
      {"OutboundConversationZero", outbound([](auto& q) { q.set_conversation_id(0); }),
       C::INVALID_ARGUMENT, "conversation_id"},
      {"OutboundUnknownConversation", outbound([](auto& q) { q.set_conversation_id(kUnknown); }),
       C::NOT_FOUND, "conversation"},
      {"OutboundChannel99", outbound([&](auto& q) { q.set_channel(bad_channel); }),
       C::INVALID_ARGUMENT, "channel"},
      {"OutboundVisibility99",
       outbound([](auto& q) { q.set_visibility(static_cast<v1::Visibility>(99)); }),
       C::INVALID_ARGUMENT, "visibility"},
      {"OutboundNotTheConversationsChannel",
       outbound([](auto& q) { q.set_channel(v1::CHANNEL_VOICE); }), C::FAILED_PRECONDITION,
       "channel"},
      {"OutboundBodyOverTenantLimit",
       outbound([](auto& q) { q.set_body(std::string(kMaxBody + 1, 'b')); }), C::RESOURCE_EXHAUSTED,
       "body"},
      {"HandoffConversationZero", handoff([](auto& q) { q.set_conversation_id(0); }),
       C::INVALID_ARGUMENT, "conversation_id"},
      {"HandoffUnknownConversation", handoff([](auto& q) { q.set_conversation_id(kUnknown); }),
       C::NOT_FOUND, "conversation"},
      {"HandoffToUnspecified", handoff([](auto& q) { q.set_to_channel(v1::CHANNEL_UNSPECIFIED); }),
       C::INVALID_ARGUMENT, "channel"},
      {"HandoffToChannel99", handoff([&](auto& q) { q.set_to_channel(bad_channel); }),
       C::INVALID_ARGUMENT, "channel"},
      {"HandoffActorKind99",
       handoff([](auto& q) { q.mutable_actor()->set_kind(static_cast<v1::ActorKind>(99)); }),
       C::INVALID_ARGUMENT, "actor"},
      {"StatusConversationZero", status([](auto& q) { q.set_conversation_id(0); }),
       C::INVALID_ARGUMENT, "conversation_id"},
      {"StatusUnknownConversation", status([](auto& q) { q.set_conversation_id(kUnknown); }),
       C::NOT_FOUND, "conversation"},
      {"StatusUnspecified",
       status([](auto& q) { q.set_status(v1::CONVERSATION_STATUS_UNSPECIFIED); }),
       C::INVALID_ARGUMENT, "status"},
      {"Status99", status([](auto& q) { q.set_status(static_cast<v1::ConversationStatus>(99)); }),
       C::INVALID_ARGUMENT, "status"},
      {"MergeConversationsTargetZero", merge_conv([](auto& q) { q.set_target_conversation_id(0); }),
       C::INVALID_ARGUMENT, "target_conversation_id"},
      {"MergeConversationsSourceZero", merge_conv([](auto& q) { q.set_source_conversation_id(0); }),
       C::INVALID_ARGUMENT, "source_conversation_id"},
      {"MergeConversationsUnknownSource",
       merge_conv([](auto& q) { q.set_source_conversation_id(kUnknown); }), C::NOT_FOUND, "source"},
      {"MergeConversationsUnknownTarget",
       merge_conv([](auto& q) { q.set_target_conversation_id(kUnknown); }), C::NOT_FOUND, "target"},
      {"SplitConversationZero", split([](auto& q) { q.set_conversation_id(0); }),
       C::INVALID_ARGUMENT, "conversation_id"},
      {"SplitUnknownConversation", split([](auto& q) { q.set_conversation_id(kUnknown); }),
       C::NOT_FOUND, "conversation"},
      {"SplitNoMessages", split([](auto& q) { q.clear_message_ids(); }), C::INVALID_ARGUMENT,
       "message"},
      {"SplitUnknownMessage", split([](auto& q) { q.set_message_ids(0, kUnknown); }), C::NOT_FOUND,
       "message"},
      {"GetConversationZero", get_conv([](auto& q) { q.set_conversation_id(0); }),
       C::INVALID_ARGUMENT, "conversation_id"},
      {"GetConversationUnknown", get_conv([](auto& q) { q.set_conversation_id(kUnknown); }),
       C::NOT_FOUND, "conversation"},
      {"GetTimelineZero", timeline([](auto& q) { q.set_conversation_id(0); }), C::INVALID_ARGUMENT,
       "conversation_id"},
      {"GetTimelineUnknown", timeline([](auto& q) { q.set_conversation_id(kUnknown); }),
       C::NOT_FOUND, "conversation"},
      {"GetTimelinePageSizeNegative", timeline([](auto& q) { q.set_page_size(-1); }),
       C::INVALID_ARGUMENT, "page_size"},
      {"GetTimelinePageSizeOverMax", timeline([](auto& q) { q.set_page_size(1001); }),
       C::INVALID_ARGUMENT, "page_size"},
      {"GetTimelineForgedPageToken", timeline([](auto& q) { q.set_page_token("forged"); }),
       C::INVALID_ARGUMENT, "page_token"},
      // ------------------------------------------------------------ routing
      {"ConfigureRoutingRuleToUnknownQueue",
       configure([](auto& q) { q.mutable_settings()->mutable_rules(0)->set_queue_id("nowhere"); }),
       C::INVALID_ARGUMENT, "queue"},
      {"ConfigureRoutingRuleChannel99", configure([&](auto& q) {
         q.mutable_settings()->mutable_rules(0)->add_channels(bad_channel);
       }),
       C::INVALID_ARGUMENT, "channels"},
      {"ConfigureRoutingRuleVisibility99", configure([](auto& q) {
         q.mutable_settings()->mutable_rules(0)->set_visibility(static_cast<v1::Visibility>(99));
       }),
       C::INVALID_ARGUMENT, "visibility"},
      {"ConfigureRoutingNegativeTierPoints",
       configure([](auto& q) { q.mutable_settings()->set_tier_points(-1); }), C::INVALID_ARGUMENT,
       "tier_points"},
      {"ConfigureRoutingUnknownDefaultQueue",
       configure([](auto& q) { q.mutable_settings()->set_default_queue_id("nowhere"); }),
       C::INVALID_ARGUMENT, "default_queue"},
      {"UpsertQueueEmptyId", queue([](auto& q) { q.mutable_queue()->clear_queue_id(); }),
       C::INVALID_ARGUMENT, "id"},
      {"UpsertQueueNoChannels", queue([](auto& q) { q.mutable_queue()->clear_channels(); }),
       C::INVALID_ARGUMENT, "channels"},
      {"UpsertQueueChannel99",
       queue([&](auto& q) { q.mutable_queue()->add_channels(bad_channel); }), C::INVALID_ARGUMENT,
       "channels"},
      {"UpsertQueueStrategy99", queue([](auto& q) {
         q.mutable_queue()->set_strategy(static_cast<v1::SelectionStrategy>(99));
       }),
       C::INVALID_ARGUMENT, "strategy"},
      {"UpsertQueueSkillLevel11", queue([](auto& q) {
         v1::SkillLevel* s = q.mutable_queue()->add_required_skills();
         s->set_skill("french");
         s->set_level(11);
       }),
       C::INVALID_ARGUMENT, "level"},
      {"UpsertQueueBasePriorityOutOfRange",
       queue([](auto& q) { q.mutable_queue()->set_base_priority(5000); }), C::INVALID_ARGUMENT,
       "base_priority"},
      {"UpsertQueueOverflowToUnknownQueue", queue([](auto& q) {
         v1::ExpansionStep* step = q.mutable_queue()->add_expansion_steps();
         *step->mutable_after() = ToDurationProto(absl::Minutes(5));
         step->set_overflow_queue_id("nowhere");
       }),
       C::INVALID_ARGUMENT, "overflow"},
      {"GetQueueUnknown", get_queue([](auto& q) { q.set_queue_id("nowhere"); }), C::NOT_FOUND,
       "queue"},
      {"GetQueueStatsUnknown", queue_stats([](auto& q) { q.set_queue_id("nowhere"); }),
       C::NOT_FOUND, "queue"},
      {"UpsertAgentEmptyId", agent([](auto& q) { q.mutable_agent()->clear_agent_id(); }),
       C::INVALID_ARGUMENT, "id"},
      {"UpsertAgentIdWithSpace", agent([](auto& q) { q.mutable_agent()->set_agent_id("a b"); }),
       C::INVALID_ARGUMENT, "id"},
      {"UpsertAgentNoChannels", agent([](auto& q) { q.mutable_agent()->clear_channels(); }),
       C::INVALID_ARGUMENT, "channels"},
      {"UpsertAgentChannel99",
       agent([&](auto& q) { q.mutable_agent()->add_channels(bad_channel); }), C::INVALID_ARGUMENT,
       "channels"},
      {"UpsertAgentNegativeCapacity", agent([](auto& q) { q.mutable_agent()->set_capacity(-1); }),
       C::INVALID_ARGUMENT, "capacity"},
      {"UpsertAgentCapacityOverMax", agent([](auto& q) { q.mutable_agent()->set_capacity(1001); }),
       C::INVALID_ARGUMENT, "capacity"},
      {"UpsertAgentWrapUpOverAnHour", agent([](auto& q) {
         *q.mutable_agent()->mutable_wrap_up() = ToDurationProto(absl::Hours(2));
       }),
       C::INVALID_ARGUMENT, "wrap_up"},
      {"UpsertAgentZeroCost", agent([](auto& q) {
         v1::ChannelCost* cost = q.mutable_agent()->add_channel_costs();
         cost->set_channel(v1::CHANNEL_EMAIL);
         cost->set_units(0);
       }),
       C::INVALID_ARGUMENT, "channel_costs"},
      {"GetAgentUnknown", get_agent([](auto& q) { q.set_agent_id("nobody"); }), C::NOT_FOUND,
       "agent"},
      {"PresenceUnknownAgent", presence([](auto& q) { q.set_agent_id("nobody"); }), C::NOT_FOUND,
       "agent"},
      {"PresenceUnspecified",
       presence([](auto& q) { q.set_presence(v1::AGENT_PRESENCE_UNSPECIFIED); }),
       C::INVALID_ARGUMENT, "presence"},
      {"Presence99", presence([](auto& q) { q.set_presence(static_cast<v1::AgentPresence>(99)); }),
       C::INVALID_ARGUMENT, "presence"},
      {"StreamOffersUnknownAgent", offers(kTenant, "nobody"), C::NOT_FOUND, "agent"},
      {"StreamOffersUnknownTenant", offers("nobody", "a1"), C::NOT_FOUND, "tenant"},
      {"AcceptTaskZero", accept([](auto& q) { q.set_task_id(0); }), C::INVALID_ARGUMENT, "task_id"},
      {"AcceptUnknownTask", accept([](auto& q) { q.set_task_id(kUnknown); }), C::NOT_FOUND, "task"},
      {"AcceptUnknownAgent", accept([](auto& q) { q.set_agent_id("nobody"); }), C::NOT_FOUND,
       "agent"},
      {"AcceptSomeoneElsesOffer", accept([](auto& q) { q.set_agent_id("a2"); }),
       C::FAILED_PRECONDITION, "task"},
      {"DeclineTaskZero", decline([](auto& q) { q.set_task_id(0); }), C::INVALID_ARGUMENT,
       "task_id"},
      {"DeclineUnknownTask", decline([](auto& q) { q.set_task_id(kUnknown); }), C::NOT_FOUND,
       "task"},
      {"DeclineAnAssignedTask", decline([&](auto& q) { q.set_task_id(assigned_); }),
       C::FAILED_PRECONDITION, "task"},
      {"CompleteTaskZero", complete([](auto& q) { q.set_task_id(0); }), C::INVALID_ARGUMENT,
       "task_id"},
      {"CompleteUnknownTask", complete([](auto& q) { q.set_task_id(kUnknown); }), C::NOT_FOUND,
       "task"},
      {"CompleteAnOfferedTask", complete([&](auto& q) { q.set_task_id(offered_); }),
       C::FAILED_PRECONDITION, "task"},
      {"TransferTaskZero", transfer([](auto& q) { q.set_task_id(0); }), C::INVALID_ARGUMENT,
       "task_id"},
      {"TransferNoTarget", transfer([](auto& q) { q.clear_target(); }), C::INVALID_ARGUMENT,
       "target"},
      {"TransferUnknownTask", transfer([](auto& q) { q.set_task_id(kUnknown); }), C::NOT_FOUND,
       "task"},
      {"TransferToUnknownQueue", transfer([](auto& q) { q.set_queue_id("nowhere"); }), C::NOT_FOUND,
       "queue"},
      {"TransferToUnknownAgent", transfer([](auto& q) { q.set_agent_id("nobody"); }), C::NOT_FOUND,
       "agent"},
      {"TransferACompletedTask", transfer([&](auto& q) { q.set_task_id(done_); }),
       C::FAILED_PRECONDITION, "task"},
      {"AbandonTaskZero", abandon([](auto& q) { q.set_task_id(0); }), C::INVALID_ARGUMENT,
       "task_id"},
      {"AbandonUnknownTask", abandon([](auto& q) { q.set_task_id(kUnknown); }), C::NOT_FOUND,
       "task"},
      {"AbandonACompletedTask", abandon([&](auto& q) { q.set_task_id(done_); }),
       C::FAILED_PRECONDITION, "task"},
      {"GetTaskZero", get_task([](auto& q) { q.set_task_id(0); }), C::INVALID_ARGUMENT, "task_id"},
      {"GetTaskUnknown", get_task([](auto& q) { q.set_task_id(kUnknown); }), C::NOT_FOUND, "task"},
      {"ConversationRoutingZero", conv_routing([](auto& q) { q.set_conversation_id(0); }),
       C::INVALID_ARGUMENT, "conversation_id"},
      {"ConversationRoutingUnknown", conv_routing([](auto& q) { q.set_conversation_id(kUnknown); }),
       C::NOT_FOUND, "conversation"},
      // ------------------------------------------------------------ commitments
      {"RecordCommitmentConversationZero", record([](auto& q) { q.set_conversation_id(0); }),
       C::INVALID_ARGUMENT, "conversation_id"},
      {"RecordCommitmentNoDueAt", record([](auto& q) { q.clear_due_at(); }), C::INVALID_ARGUMENT,
       "due_at"},
      {"RecordCommitmentUnknownConversation",
       record([](auto& q) { q.set_conversation_id(kUnknown); }), C::NOT_FOUND, "conversation"},
      {"RecordCommitmentKind99",
       record([](auto& q) { q.set_kind(static_cast<v1::CommitmentKind>(99)); }),
       C::INVALID_ARGUMENT, "kind"},
      {"RecordCommitmentChannel99", record([&](auto& q) { q.set_channel(bad_channel); }),
       C::INVALID_ARGUMENT, "channel"},
      {"RecordCommitmentDeadlineBeforeDue",
       record([&](auto& q) { *q.mutable_deadline() = ToTimestamp(clock_.Now() + absl::Hours(1)); }),
       C::INVALID_ARGUMENT, "deadline"},
      {"CloseCommitmentZero", close([](auto& q) { q.set_commitment_id(0); }), C::INVALID_ARGUMENT,
       "commitment_id"},
      {"CloseUnknownCommitment", close([](auto& q) { q.set_commitment_id(kUnknown); }),
       C::NOT_FOUND, "commitment"},
      {"CloseCommitmentAsPending",
       close([](auto& q) { q.set_status(v1::COMMITMENT_STATUS_PENDING); }), C::INVALID_ARGUMENT,
       "status"},
      {"CloseCommitmentStatus99",
       close([](auto& q) { q.set_status(static_cast<v1::CommitmentStatus>(99)); }),
       C::INVALID_ARGUMENT, "status"},
      {"CloseACommitmentTwice", close([&](auto& q) { q.set_commitment_id(closed_commitment_); }),
       C::FAILED_PRECONDITION, "commitment"},
      {"GetCommitmentZero", get_commitment([](auto& q) { q.set_commitment_id(0); }),
       C::INVALID_ARGUMENT, "commitment_id"},
      {"GetUnknownCommitment", get_commitment([](auto& q) { q.set_commitment_id(kUnknown); }),
       C::NOT_FOUND, "commitment"},
      {"ListCommitmentsConversationZero",
       list_commitments([](auto& q) { q.set_conversation_id(0); }), C::INVALID_ARGUMENT,
       "conversation_id"},
      {"ListCommitmentsUnknownConversation",
       list_commitments([](auto& q) { q.set_conversation_id(kUnknown); }), C::NOT_FOUND,
       "conversation"},
      // ------------------------------------------------------------ events, diagnostics
      {"WatchEventsUnknownTenant", watch("nobody"), C::NOT_FOUND, "tenant"},
      {"WatchEventsEmptyTenant", watch(""), C::NOT_FOUND, "tenant_id"},
      {"PingOverTheServerLimit", ping([&](auto& q) { q.set_payload(big); }), C::RESOURCE_EXHAUSTED,
       "larger than"},
  };
  for (const Registered& r : registry) {
    rows.push_back({r.name + "UnknownTenant", r.with_tenant("nobody"), C::NOT_FOUND, "tenant"});
    rows.push_back({r.name + "EmptyTenant", r.with_tenant(""), C::NOT_FOUND, "tenant_id"});
    if (bases != nullptr) bases->push_back({r.name, r.as_is});
  }
  if (bases != nullptr) {
    bases->push_back({"CreateTenant", create([](auto&) {})});
    bases->push_back({"Ping", ping([](auto&) {})});
  }
  return rows;
}

namespace {

using ::testing::HasSubstr;

TEST_F(BadRequestTest, EveryRpcRefusesBadRequestsWithTheRightCodeAndChangesNothing) {
  Build();
  if (HasFailure()) return;
  const std::vector<Row> rows = Rows();
  const std::vector<std::string> tenants = Tenants();
  for (const Row& row : rows) {
    SCOPED_TRACE(row.name);
    const uint64_t before = LastSequence(kTenant);
    const std::string state = Dump();
    const grpc::Status status = row.call();
    EXPECT_EQ(status.error_code(), row.code) << Describe(status);
    EXPECT_THAT(status.error_message(), HasSubstr(row.field));
    EXPECT_EQ(LastSequence(kTenant), before);
    EXPECT_EQ(Dump(), state);
    EXPECT_EQ(Tenants(), tenants);
  }

  // The server still answers, and every valid call still works.
  v1::PingRequest ping;
  ping.set_payload("still there?");
  EXPECT_EQ(MustInvoke(*diagnostics_, &v1::DiagnosticsService::Stub::Ping, ping).payload(),
            "still there?");
  EXPECT_EQ(GetTask(kTenant, offered_).status(), v1::TASK_STATUS_OFFERED);
  const v1::IngestMessageResponse fine =
      Ingest(EmailMessage(kTenant, "new@example.com", "<n1@example.com>", "hello"));
  EXPECT_TRUE(fine.customer_created());
  EXPECT_GT(LastSequence(kTenant), 0u);
}

// Each row spoils one field of a request the server accepts as it is, so
// the row's status is about that field. Each base runs on a fresh world.
TEST_F(BadRequestTest, EachRowSpoilsARequestTheServerAccepts) {
  std::vector<std::pair<std::string, std::function<grpc::Status()>>> bases;
  Build();
  Rows(&bases);
  ASSERT_EQ(bases.size(), 37u);
  const size_t n = bases.size();
  for (size_t i = 0; i < n && !HasFatalFailure(); ++i) {
    Restart();
    Build();
    bases.clear();
    Rows(&bases);
    ASSERT_EQ(bases.size(), n);
    const grpc::Status status = bases[i].second();
    EXPECT_TRUE(status.ok()) << bases[i].first << ": " << Describe(status);
  }
}

// A body just under the server's limit but over the tenant's is the
// tenant's to refuse; the same body is accepted by a tenant whose limit
// allows it.
TEST_F(BadRequestTest, BodiesAreMeasuredAgainstTheTenantsOwnLimit) {
  Build();
  v1::TenantSettings roomy;
  roomy.set_max_body_bytes(48 * 1024);
  CreateTenant("roomy", &roomy);
  const std::string body(40 * 1024, 'b');
  Reply<v1::IngestMessageResponse> refused =
      Invoke(*conversations_, &v1::ConversationService::Stub::IngestMessage,
             EmailMessage(kTenant, "x@example.com", "<x@example.com>", body));
  EXPECT_EQ(refused.status.error_code(), Code::RESOURCE_EXHAUSTED) << Describe(refused.status);
  EXPECT_THAT(refused.status.error_message(), HasSubstr("body"));
  Reply<v1::IngestMessageResponse> accepted =
      Invoke(*conversations_, &v1::ConversationService::Stub::IngestMessage,
             EmailMessage("roomy", "x@example.com", "<x@example.com>", body));
  EXPECT_TRUE(accepted.ok()) << Describe(accepted.status);
}

}  // namespace
}  // namespace omniroute::service_test
