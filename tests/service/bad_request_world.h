// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The world of the bad-request table (bad_request_test.cc): a populated
// tenant on an in-process server whose request limit is 64 KiB, and the
// functions that turn a valid request into a spoiled call.

#ifndef OMNIROUTE_TESTS_SERVICE_BAD_REQUEST_WORLD_H_
#define OMNIROUTE_TESTS_SERVICE_BAD_REQUEST_WORLD_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/substitute.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "service/service_test_support.h"

namespace omniroute::service_test {

using Code = grpc::StatusCode;

constexpr char kTenant[] = "acme";
constexpr uint32_t kMaxBody = 1000;
constexpr uint64_t kUnknown = 999;

struct Row {
  std::string name;
  std::function<grpc::Status()> call;
  Code code;
  // A part of the message: the field (or what the limit is about).
  std::string field;
};

template <typename Request>
using Spoil = std::function<void(Request&)>;

// An RPC with a valid request: Rpc(...)(spoil) is the call of that request
// spoiled by `spoil`.
template <typename Stub, typename Request, typename Response>
auto Rpc(Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
         Request valid) {
  return [&stub, method, valid](const Spoil<Request>& spoil) -> std::function<grpc::Status()> {
    Request request = valid;
    spoil(request);
    return [&stub, method, request] { return Invoke(stub, method, request).status; };
  };
}

// A request from its text format, with $0 replaced by `id`.
template <typename Request>
Request Text(absl::string_view format, uint64_t id = 0) {
  Request r;
  const std::string text = absl::Substitute(format, id);
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &r)) << text;
  return r;
}

// Spoils the tenant id.
inline auto Tenant(std::string id) {
  return [id](auto& q) { q.set_tenant_id(id); };
}

class BadRequestTest : public ServiceTest {
 protected:
  void Configure(service::ServerOptions& options) override {
    options.max_message_bytes = 64 * 1024;
  }

  // acme: three queues, agents a1 (available) and a2. Ann: her email
  // (offered to a1), the answer and her reply; the reply split off into a
  // second conversation of hers. Bob's email assigned to a1, Carol's done.
  // Dan's social account merged into Dan. A pending and a closed commitment
  // on Ann's conversation.
  void Build() {
    v1::TenantSettings settings;
    settings.set_default_country_code("33");
    settings.set_max_body_bytes(kMaxBody);
    settings.set_merge_threads_on_customer_merge(true);
    settings.set_close_public_loop(true);
    CreateTenant(kTenant, &settings);
    UpsertQueue(kTenant, Queue("mail", {v1::CHANNEL_EMAIL}));
    UpsertQueue(kTenant, Queue("social", {v1::CHANNEL_PUBLIC_SOCIAL}));
    UpsertQueue(kTenant, Queue("billing", {v1::CHANNEL_EMAIL}));
    v1::RoutingSettings routing;
    *routing.add_rules() = Rule("email", {v1::CHANNEL_EMAIL}, "mail");
    *routing.add_rules() = Rule("public", {v1::CHANNEL_PUBLIC_SOCIAL}, "social");
    ConfigureRouting(kTenant, routing);
    UpsertAgent(kTenant, AgentWith("a1", {v1::CHANNEL_EMAIL, v1::CHANNEL_PUBLIC_SOCIAL}));
    UpsertAgent(kTenant, AgentWith("a2", {v1::CHANNEL_EMAIL}));
    SetPresence(kTenant, "a1", v1::AGENT_PRESENCE_AVAILABLE);

    const v1::IngestMessageResponse ann =
        Ingest(EmailMessage(kTenant, "ann@example.com", "<a1@example.com>", "broken"));
    ann_ = ann.customer_id();
    ann_conv_ = ann.conversation_id();
    offered_ = ann.task().task_id();
    ann_answer_ = Answer(Outbound(kTenant, ann_conv_, v1::CHANNEL_EMAIL, "<o0@brand.example>", "a1",
                                  "looking into it"));
    const v1::IngestMessageResponse reply =
        Ingest(EmailMessage(kTenant, "ann@example.com", "<a2@example.com>", "thanks"));
    ASSERT_EQ(reply.conversation_id(), ann_conv_);
    v1::SplitConversationRequest split;
    split.set_tenant_id(kTenant);
    split.set_conversation_id(ann_conv_);
    split.add_message_ids(reply.message_id());
    *split.mutable_actor() = AgentActor("a1");
    ann_conv2_ =
        MustInvoke(*conversations_, &v1::ConversationService::Stub::SplitConversation, split)
            .conversation_id();
    const v1::IngestMessageResponse bob =
        Ingest(EmailMessage(kTenant, "bob@example.com", "<b1@example.com>", "late"));
    bob_ = bob.customer_id();
    assigned_ = bob.task().task_id();
    Accept(kTenant, assigned_, "a1");
    const v1::IngestMessageResponse carol =
        Ingest(EmailMessage(kTenant, "carol@example.com", "<c1@example.com>", "lost"));
    done_ = carol.task().task_id();
    Accept(kTenant, done_, "a1");
    Complete(kTenant, done_, "a1");
    const v1::IngestMessageResponse dan =
        Ingest(EmailMessage(kTenant, "dan@example.com", "<d1@example.com>", "where?"));
    const v1::IngestMessageResponse dan_post = Ingest(PublicPost(kTenant, "@dan", "p-1", "where?"));
    const v1::LinkIdentityResponse dan_link =
        Link(kTenant, dan.customer_id(), HandleId("x", "@dan"), "a1");
    ASSERT_EQ(dan_link.absorbed_customer_id(), dan_post.customer_id());
    dan_social_ = dan_post.customer_id();
    ASSERT_EQ(GetTask(kTenant, offered_).status(), v1::TASK_STATUS_OFFERED);

    v1::RecordCommitmentRequest c = CommitmentRequest();
    pending_commitment_ =
        MustInvoke(*commitments_, &v1::CommitmentService::Stub::RecordCommitment, c)
            .commitment_id();
    closed_commitment_ =
        MustInvoke(*commitments_, &v1::CommitmentService::Stub::RecordCommitment, c)
            .commitment_id();
    v1::CloseCommitmentRequest close;
    close.set_tenant_id(kTenant);
    close.set_commitment_id(closed_commitment_);
    close.set_status(v1::COMMITMENT_STATUS_CANCELLED);
    *close.mutable_actor() = AgentActor("a1");
    MustInvoke(*commitments_, &v1::CommitmentService::Stub::CloseCommitment, close);
  }

  v1::RecordCommitmentRequest CommitmentRequest() {
    v1::RecordCommitmentRequest r;
    r.set_tenant_id(kTenant);
    r.set_conversation_id(ann_conv_);
    r.set_kind(v1::COMMITMENT_KIND_CALLBACK);
    r.set_description("call back");
    *r.mutable_due_at() = ToTimestamp(clock_.Now() + absl::Hours(24));
    *r.mutable_actor() = AgentActor("a1");
    return r;
  }

  // Opens a server stream and returns how it ended (it must end at once).
  template <typename Message, typename Open>
  static std::function<grpc::Status()> StreamCall(Open open) {
    return [open] {
      grpc::ClientContext context;
      SetDeadline(context);
      std::unique_ptr<grpc::ClientReader<Message>> reader = open(&context);
      Message m;
      while (reader->Read(&m)) {
      }
      return reader->Finish();
    };
  }

  // The rows; with `bases`, also each RPC's unspoiled call.
  std::vector<Row> Rows(
      std::vector<std::pair<std::string, std::function<grpc::Status()>>>* bases = nullptr);

  // A new server (and stubs) on the same clock, for a fresh world.
  void Restart() {
    server_->Shutdown();
    server_.reset();
    ServiceTest::SetUp();
  }

  std::string Dump() {
    absl::StatusOr<std::string> dump = server_->engine().DumpState(kTenant);
    EXPECT_TRUE(dump.ok()) << dump.status();
    return dump.ok() ? *dump : "";
  }
  std::vector<std::string> Tenants() {
    v1::ListTenantsResponse r =
        MustInvoke(*tenants_, &v1::TenantService::Stub::ListTenants, v1::ListTenantsRequest());
    return {r.tenant_ids().begin(), r.tenant_ids().end()};
  }

  uint64_t ann_ = 0, ann_conv_ = 0, ann_conv2_ = 0, ann_answer_ = 0, bob_ = 0, dan_social_ = 0;
  uint64_t offered_ = 0, assigned_ = 0, done_ = 0;
  uint64_t pending_commitment_ = 0, closed_commitment_ = 0;
};

}  // namespace omniroute::service_test

#endif  // OMNIROUTE_TESTS_SERVICE_BAD_REQUEST_WORLD_H_
