// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Any node answers any call (service/forwarder.h): two nodes forwarding on
// one real PostgreSQL, and calls for a tenant of one of them sent to the
// other. Every call that names a tenant gets the owner's answer; an ingest
// is stored once; the change feed and the offer stream are relayed; a
// forwarded call is never forwarded again; and a stream whose tenant leaves
// its node ends with where it went, so that it resumes there with no gap
// and no repeat.

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "gtest/gtest.h"
#include "service/cluster_fixture.h"
#include "service/forwarder.h"
#include "service/ownership.h"
#include "service/service_test_support.h"

namespace omniroute::service_test {
namespace {

using service::kForwardedMetadataKey;
using service::kOwnerMetadataKey;
using ::testing::HasSubstr;

using ProtoStub = grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message>;

std::string OwnerHint(const grpc::ClientContext& context) {
  auto hint = context.GetServerTrailingMetadata().find(kOwnerMetadataKey);
  if (hint == context.GetServerTrailingMetadata().end()) return "";
  return std::string(hint->second.data(), hint->second.size());
}

// Two forwarding nodes and one tenant, "t", held by `owner` (the other
// node is `other`).
class ForwardingTest : public ClusterFixture {
 protected:
  void SetUp() override {
    ClusterFixture::SetUp();
    if (HasFatalFailure()) return;
    a_ = StartNode("a", /*forward=*/true);
    b_ = StartNode("b", /*forward=*/true);
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
    // Both nodes see each other before the tenant is placed.
    ASSERT_TRUE(Eventually([&] {
      auto on_a = a_->ownership()->OwnerOf("t");
      auto on_b = b_->ownership()->OwnerOf("t");
      return on_a.has_value() && on_b.has_value() && on_a->node_id == on_b->node_id;
    }));
    // Created through whichever node: the one it is not placed on forwards.
    v1::CreateTenantRequest create;
    create.set_tenant_id("t");
    Reply<v1::CreateTenantResponse> created = Invoke(
        *v1::TenantService::NewStub(Channel(*a_)), &v1::TenantService::Stub::CreateTenant, create);
    ASSERT_TRUE(created.ok()) << Describe(created.status);
    ASSERT_TRUE(Eventually([&] { return ExactlyOneOwnerEach({"t"}, {a_.get(), b_.get()}); }));
    const bool on_a = !a_->ownership()->Held().empty();
    owner_ = on_a ? a_.get() : b_.get();
    other_ = on_a ? b_.get() : a_.get();
  }

  std::shared_ptr<grpc::Channel> Channel(service::Server& node) {
    return grpc::CreateChannel(Address(node), grpc::InsecureChannelCredentials());
  }

  v1::IngestMessageResponse Ingest(service::Server& node, const std::string& external_id) {
    Reply<v1::IngestMessageResponse> reply =
        Invoke(*v1::ConversationService::NewStub(Channel(node)),
               &v1::ConversationService::Stub::IngestMessage,
               EmailMessage("t", "ana@example.com", external_id, "hello"));
    EXPECT_TRUE(reply.ok()) << Describe(reply.status);
    return reply.value;
  }

  std::unique_ptr<service::Server> a_;
  std::unique_ptr<service::Server> b_;
  service::Server* owner_ = nullptr;
  service::Server* other_ = nullptr;
};

TEST_F(ForwardingTest, EveryUnaryCallNamingATenantGetsTheOwnersAnswerThroughTheOtherNode) {
  Ingest(*owner_, "m1");
  const google::protobuf::FileDescriptor* file = v1::IngestMessageRequest::descriptor()->file();
  ProtoStub through_other(Channel(*other_));
  ProtoStub direct(Channel(*owner_));
  int calls = 0;
  int forwarded_calls = 0;
  for (int s = 0; s < file->service_count(); ++s) {
    const google::protobuf::ServiceDescriptor* service = file->service(s);
    for (int m = 0; m < service->method_count(); ++m) {
      const google::protobuf::MethodDescriptor* method = service->method(m);
      const google::protobuf::FieldDescriptor* tenant_field =
          method->input_type()->FindFieldByName("tenant_id");
      if (method->server_streaming() || method->client_streaming() || tenant_field == nullptr) {
        continue;
      }
      const std::string path = absl::StrCat("/", service->full_name(), "/", method->name());
      google::protobuf::MessageFactory& factory =
          *google::protobuf::MessageFactory::generated_factory();
      std::unique_ptr<google::protobuf::Message> request(
          factory.GetPrototype(method->input_type())->New());
      request->GetReflection()->SetString(request.get(), tenant_field, "t");
      // Ids that name nothing, so that the request passes the checks of its
      // own fields and the owner answers it (mostly NOT_FOUND).
      for (int f = 0; f < method->input_type()->field_count(); ++f) {
        const google::protobuf::FieldDescriptor* field = method->input_type()->field(f);
        if (field->is_repeated() || field == tenant_field) continue;
        if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_UINT64) {
          request->GetReflection()->SetUInt64(request.get(), field, 999);
        } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING &&
                   field->name().size() > 3 &&
                   field->name().compare(field->name().size() - 3, 3, "_id") == 0) {
          request->GetReflection()->SetString(request.get(), field, "nobody");
        }
      }
      std::unique_ptr<google::protobuf::Message> forwarded_answer(
          factory.GetPrototype(method->output_type())->New());
      std::unique_ptr<google::protobuf::Message> direct_answer(
          factory.GetPrototype(method->output_type())->New());

      auto call = [&](ProtoStub& stub, google::protobuf::Message* answer) {
        grpc::ClientContext context;
        SetDeadline(context);
        absl::Mutex mu;
        bool done = false;
        grpc::Status status;
        stub.UnaryCall(&context, path, grpc::StubOptions(), request.get(), answer,
                       [&](grpc::Status s) {
                         absl::MutexLock lock(&mu);
                         status = std::move(s);
                         done = true;
                       });
        absl::MutexLock lock(&mu);
        mu.Await(absl::Condition(&done));
        return status;
      };
      const int64_t forwarded_before = other_->forwarder()->forwarded_calls();
      const grpc::Status forwarded = call(through_other, forwarded_answer.get());
      const int64_t forwarded_now = other_->forwarder()->forwarded_calls() - forwarded_before;
      const grpc::Status answered = call(direct, direct_answer.get());
      // A request refused for its own fields (the requests are mostly
      // empty) is refused wherever it arrives; anything else went to the
      // owner.
      if (answered.error_code() != grpc::StatusCode::INVALID_ARGUMENT) {
        EXPECT_EQ(forwarded_now, 1) << path;
        ++forwarded_calls;
      }
      // Both answer the same way; a read answers the same.
      EXPECT_EQ(forwarded.error_code(), answered.error_code())
          << path << ": through the other node " << Describe(forwarded) << ", direct "
          << Describe(answered);
      EXPECT_NE(forwarded.error_code(), grpc::StatusCode::UNAVAILABLE) << path;
      EXPECT_NE(forwarded.error_code(), grpc::StatusCode::UNIMPLEMENTED) << path;
      if (method->name().rfind("Get", 0) == 0 || method->name().rfind("List", 0) == 0) {
        EXPECT_EQ(forwarded_answer->SerializeAsString(), direct_answer->SerializeAsString())
            << path;
      }
      ++calls;
    }
  }
  EXPECT_GT(calls, 30);
  EXPECT_GT(forwarded_calls, 20);
}

TEST_F(ForwardingTest, AnIngestThroughTheOtherNodeIsStoredOnceAndARedeliveryIsRecognised) {
  const v1::IngestMessageResponse first = Ingest(*other_, "m1");
  EXPECT_FALSE(first.duplicate());
  EXPECT_NE(first.message_id(), 0u);
  const v1::IngestMessageResponse again = Ingest(*other_, "m1");
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.message_id(), first.message_id());
  EXPECT_EQ(again.conversation_id(), first.conversation_id());
  std::unique_ptr<EventStore> store = Reader();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(StoredMessages(*store, "t"), std::multiset<std::string>({"m1"}));
}

TEST_F(ForwardingTest, AForwardedCallIsNeverForwardedAgain) {
  auto stub = v1::EventService::NewStub(Channel(*other_));
  grpc::ClientContext context;
  SetDeadline(context);
  // As if another node had forwarded it here.
  context.AddMetadata(kForwardedMetadataKey, "some-node");
  v1::GetLastSequenceRequest request;
  request.set_tenant_id("t");
  v1::GetLastSequenceResponse response;
  const int64_t before = other_->forwarder()->forwarded_calls();
  grpc::Status status = stub->GetLastSequence(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(OwnerHint(context), Address(*owner_));
  EXPECT_EQ(other_->forwarder()->forwarded_calls(), before);
}

TEST_F(ForwardingTest, TheChangeFeedAndTheOfferStreamAreRelayedFromTheOwner) {
  // An agent who takes email, and a queue for it, so that a message makes
  // an offer.
  auto routing = v1::RoutingService::NewStub(Channel(*other_));
  v1::UpsertQueueRequest queue;
  queue.set_tenant_id("t");
  *queue.mutable_queue() = Queue("mail", {v1::CHANNEL_EMAIL});
  ASSERT_TRUE(Invoke(*routing, &v1::RoutingService::Stub::UpsertQueue, queue).ok());
  v1::ConfigureRoutingRequest configure;
  configure.set_tenant_id("t");
  configure.mutable_settings()->set_default_queue_id("mail");
  ASSERT_TRUE(Invoke(*routing, &v1::RoutingService::Stub::ConfigureRouting, configure).ok());
  v1::UpsertAgentRequest agent;
  agent.set_tenant_id("t");
  *agent.mutable_agent() = AgentWith("ann", {v1::CHANNEL_EMAIL});
  ASSERT_TRUE(Invoke(*routing, &v1::RoutingService::Stub::UpsertAgent, agent).ok());
  v1::SetAgentPresenceRequest presence;
  presence.set_tenant_id("t");
  presence.set_agent_id("ann");
  presence.set_presence(v1::AGENT_PRESENCE_AVAILABLE);
  Reply<v1::SetAgentPresenceResponse> present =
      Invoke(*routing, &v1::RoutingService::Stub::SetAgentPresence, presence);
  ASSERT_TRUE(present.ok()) << Describe(present.status);

  grpc::ClientContext feed_context;
  SetDeadline(feed_context);
  v1::WatchEventsRequest watch;
  watch.set_tenant_id("t");
  watch.set_from_sequence(1);
  auto feed = v1::EventService::NewStub(Channel(*other_))->WatchEvents(&feed_context, watch);

  grpc::ClientContext offers_context;
  SetDeadline(offers_context);
  v1::StreamOffersRequest offers_request;
  offers_request.set_tenant_id("t");
  offers_request.set_agent_id("ann");
  auto offers = routing->StreamOffers(&offers_context, offers_request);

  const v1::IngestMessageResponse ingested = Ingest(*owner_, "m1");
  ASSERT_NE(ingested.task().task_id(), 0u);

  // The feed from sequence 1, with no gap, up to the message.
  uint64_t expected = 1;
  bool saw_message = false;
  v1::Event event;
  while (!saw_message && feed->Read(&event)) {
    EXPECT_EQ(event.sequence(), expected);
    expected = event.sequence() + 1;
    saw_message = event.has_message_recorded() && event.message_recorded().external_id() == "m1";
  }
  EXPECT_TRUE(saw_message);
  // The offer of the message's task to ann.
  v1::OfferUpdate update;
  ASSERT_TRUE(offers->Read(&update));
  EXPECT_EQ(update.kind(), v1::OfferUpdate::KIND_OFFERED);
  EXPECT_EQ(update.task().task_id(), ingested.task().task_id());
  feed_context.TryCancel();
  offers_context.TryCancel();
  EXPECT_GE(other_->forwarder()->forwarded_calls(), 2);
}

TEST_F(ForwardingTest, AStreamWhoseTenantLeavesEndsAndResumesOnTheNewOwnerWithNoGapOrRepeat) {
  Ingest(*owner_, "m1");
  Ingest(*owner_, "m2");
  // The feed on the owner itself, read up to its end.
  grpc::ClientContext context;
  SetDeadline(context);
  v1::WatchEventsRequest watch;
  watch.set_tenant_id("t");
  watch.set_from_sequence(1);
  auto feed = v1::EventService::NewStub(Channel(*owner_))->WatchEvents(&context, watch);
  std::vector<uint64_t> sequences;
  v1::Event event;
  std::set<std::string> messages;
  while (messages.size() < 2 && feed->Read(&event)) {
    sequences.push_back(event.sequence());
    if (event.has_message_recorded()) messages.insert(event.message_recorded().external_id());
  }
  ASSERT_EQ(messages.size(), 2u);

  // The owner hands the tenant off (what SIGTERM does) while the stream is
  // open: the stream ends, naming the new owner.
  const std::string new_owner = Address(*other_);
  owner_->Shutdown();
  while (feed->Read(&event)) sequences.push_back(event.sequence());
  const grpc::Status ended = feed->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(ended);
  ASSERT_TRUE(Eventually([&] { return !other_->ownership()->Held().empty(); }));

  // Resumed on the new owner from the next sequence, with more messages.
  Ingest(*other_, "m3");
  grpc::ClientContext resumed_context;
  SetDeadline(resumed_context);
  watch.set_from_sequence(sequences.back() + 1);
  auto resumed = v1::EventService::NewStub(Channel(*other_))->WatchEvents(&resumed_context, watch);
  while (messages.size() < 3 && resumed->Read(&event)) {
    sequences.push_back(event.sequence());
    if (event.has_message_recorded()) messages.insert(event.message_recorded().external_id());
  }
  EXPECT_EQ(messages, std::set<std::string>({"m1", "m2", "m3"}));
  for (size_t i = 0; i < sequences.size(); ++i) EXPECT_EQ(sequences[i], i + 1);
  resumed_context.TryCancel();
}

TEST_F(ForwardingTest, AStreamRelayedThroughTheOtherNodeEndsWhenTheOwnerHandsTheTenantOff) {
  Ingest(*owner_, "m1");
  grpc::ClientContext context;
  SetDeadline(context);
  v1::WatchEventsRequest watch;
  watch.set_tenant_id("t");
  watch.set_from_sequence(1);
  auto feed = v1::EventService::NewStub(Channel(*other_))->WatchEvents(&context, watch);
  v1::Event event;
  uint64_t last = 0;
  bool saw = false;
  while (!saw && feed->Read(&event)) {
    last = event.sequence();
    saw = event.has_message_recorded();
  }
  ASSERT_TRUE(saw);
  owner_->Shutdown();
  while (feed->Read(&event)) last = event.sequence();
  const grpc::Status ended = feed->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(ended);
  EXPECT_THAT(ended.error_message(), HasSubstr("tenant_id: \"t\""));

  // The same address again, from the next sequence: served there now.
  ASSERT_TRUE(Eventually([&] { return !other_->ownership()->Held().empty(); }));
  Ingest(*other_, "m2");
  grpc::ClientContext resumed_context;
  SetDeadline(resumed_context);
  watch.set_from_sequence(last + 1);
  auto resumed = v1::EventService::NewStub(Channel(*other_))->WatchEvents(&resumed_context, watch);
  ASSERT_TRUE(resumed->Read(&event));
  EXPECT_EQ(event.sequence(), last + 1);
  resumed_context.TryCancel();
}

}  // namespace
}  // namespace omniroute::service_test
