// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The audit trail over real gRPC: the events of merges, unmerges, erasures
// and configuration changes name who held the call's credential (its
// principal, role and kind), as the server authenticated it; a call
// forwarded by a node of a cluster records the original caller. The request
// cannot choose it: no request carries a Caller, and the `actor` a client
// sets stays the actor. A server without authentication records that
// nobody was checked; a configuration file is named as the caller of what
// it configured.

#include "tenant/caller_audit.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "omniroute/v1/credentials.pb.h"
#include "omniroute/v1/service.grpc.pb.h"
#include "service/auth/api_keys.h"
#include "service/cluster_fixture.h"
#include "service/server.h"
#include "service/service_test_support.h"

namespace omniroute::service_test {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

constexpr char kTenant[] = "acme";

// "principal/role/credential" of an event's caller; "-" when it has none.
std::string CallerText(const v1::Event& event) {
  const v1::Caller* caller = tenant::CallerOf(event);
  if (caller == nullptr) return "-";
  return absl::StrCat(caller->principal(), "/", caller->role(), "/",
                      v1::CallerCredential_Name(caller->credential()));
}

std::string PayloadName(const v1::Event& event) {
  return v1::Event::descriptor()->FindFieldByNumber(event.payload_case())->name();
}

// (payload, caller) of each audited event of `log`, in log order.
std::vector<std::pair<std::string, std::string>> AuditTrail(const std::vector<v1::Event>& log) {
  std::vector<std::pair<std::string, std::string>> trail;
  for (const v1::Event& event : log) {
    if (tenant::IsAudited(event)) trail.emplace_back(PayloadName(event), CallerText(event));
  }
  return trail;
}

// Calls a unary RPC with `token` as the bearer credential (none if empty).
template <typename Stub, typename Request, typename Response>
Reply<Response> InvokeAs(const std::string& token, Stub& stub,
                         grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                      Response*),
                         const Request& request) {
  grpc::ClientContext context;
  SetDeadline(context);
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  Reply<Response> reply;
  reply.status = (stub.*method)(&context, request, &reply.value);
  return reply;
}

// The tenant's whole log as the change feed delivers it (WatchEvents from
// the first event up to the last one stored when called).
std::vector<v1::Event> WatchLog(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& token, const std::string& tenant) {
  auto events = v1::EventService::NewStub(channel);
  v1::GetLastSequenceRequest last_request;
  last_request.set_tenant_id(tenant);
  Reply<v1::GetLastSequenceResponse> last =
      InvokeAs(token, *events, &v1::EventService::Stub::GetLastSequence, last_request);
  EXPECT_TRUE(last.ok()) << Describe(last.status);
  std::vector<v1::Event> log;
  if (!last.ok() || last.value.sequence() == 0) return log;
  grpc::ClientContext context;
  SetDeadline(context);
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  v1::WatchEventsRequest watch;
  watch.set_tenant_id(tenant);
  watch.set_from_sequence(1);
  auto reader = events->WatchEvents(&context, watch);
  v1::Event event;
  while (reader->Read(&event)) {
    log.push_back(event);
    if (event.sequence() >= last.value.sequence()) break;
  }
  context.TryCancel();
  reader->Finish();
  EXPECT_EQ(log.size(), last.value.sequence());
  return log;
}

v1::Actor AgentActorOf(absl::string_view id) { return AgentActor(id); }

// ------------------------------------------------------------ with API keys

class CallerAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("omniroute-audit-", getpid(), "-", absl::ToUnixNanos(absl::Now()));
    std::filesystem::create_directories(dir_);
    v1::ApiKeysFile keys;
    auto add = [&](absl::string_view id, absl::string_view name, absl::string_view role,
                   absl::string_view tenant) {
      absl::StatusOr<service::NewApiKey> key = service::MakeApiKey(id, name, role, tenant, "");
      EXPECT_TRUE(key.ok()) << key.status();
      *keys.add_key() = key->entry;
      return key->token;
    };
    admin_ = add("adm", "admin", "admin", "*");
    ops_ = add("ops", "ops-1", "integration", kTenant);
    auditor_ = add("aud", "auditor", "reader", kTenant);
    std::string text;
    google::protobuf::TextFormat::PrintToString(keys, &text);
    std::ofstream((dir_ / "keys.textproto").string()) << text;

    service::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.clock = &clock_;
    options.run_timers = false;
    options.authenticate = true;
    options.auth.api_keys_file = (dir_ / "keys.textproto").string();
    absl::StatusOr<std::unique_ptr<service::Server>> server = service::Server::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    tenants_ = v1::TenantService::NewStub(channel_);
    customers_ = v1::CustomerService::NewStub(channel_);
    conversations_ = v1::ConversationService::NewStub(channel_);
    routing_ = v1::RoutingService::NewStub(channel_);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // A customer writes by email; its task is abandoned so that nothing is
  // in progress (an erasure needs that). Returns the customer.
  uint64_t CustomerWriting(absl::string_view address, absl::string_view external_id) {
    Reply<v1::IngestMessageResponse> ingested =
        InvokeAs(ops_, *conversations_, &v1::ConversationService::Stub::IngestMessage,
                 EmailMessage(kTenant, address, external_id, "hello"));
    EXPECT_TRUE(ingested.ok()) << Describe(ingested.status);
    if (ingested.value.has_task()) {
      v1::AbandonTaskRequest abandon;
      abandon.set_tenant_id(kTenant);
      abandon.set_task_id(ingested.value.task().task_id());
      EXPECT_TRUE(InvokeAs(ops_, *routing_, &v1::RoutingService::Stub::AbandonTask, abandon).ok());
    }
    return ingested.value.customer_id();
  }

  ManualClock clock_;
  std::filesystem::path dir_;
  std::string admin_, ops_, auditor_;
  std::unique_ptr<service::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::TenantService::Stub> tenants_;
  std::unique_ptr<v1::CustomerService::Stub> customers_;
  std::unique_ptr<v1::ConversationService::Stub> conversations_;
  std::unique_ptr<v1::RoutingService::Stub> routing_;
};

TEST_F(CallerAuditTest, EachAuditedEventNamesWhoHeldTheCredential) {
  // The admin configures the tenant.
  v1::CreateTenantRequest create;
  create.set_tenant_id(kTenant);
  create.mutable_settings()->set_default_country_code("33");
  ASSERT_TRUE(InvokeAs(admin_, *tenants_, &v1::TenantService::Stub::CreateTenant, create).ok());
  v1::UpsertQueueRequest queue;
  queue.set_tenant_id(kTenant);
  queue.mutable_queue()->set_queue_id("support");
  queue.mutable_queue()->add_channels(v1::CHANNEL_EMAIL);
  ASSERT_TRUE(InvokeAs(admin_, *routing_, &v1::RoutingService::Stub::UpsertQueue, queue).ok());
  v1::ConfigureRoutingRequest routing;
  routing.set_tenant_id(kTenant);
  routing.mutable_settings()->set_default_queue_id("support");
  ASSERT_TRUE(
      InvokeAs(admin_, *routing_, &v1::RoutingService::Stub::ConfigureRouting, routing).ok());
  v1::UpsertAgentRequest agent;
  agent.set_tenant_id(kTenant);
  agent.mutable_agent()->set_agent_id("agent-ana");
  agent.mutable_agent()->add_channels(v1::CHANNEL_EMAIL);
  ASSERT_TRUE(InvokeAs(admin_, *routing_, &v1::RoutingService::Stub::UpsertAgent, agent).ok());

  // ops-1 (integration) merges two customers, unmerges them, links an
  // identity; the actor it names is the agent the integrator says did it.
  const uint64_t ann = CustomerWriting("ann@example.com", "m1");
  clock_.Advance(absl::Minutes(1));
  const uint64_t bob = CustomerWriting("bob@example.com", "m2");
  v1::MergeCustomersRequest merge;
  merge.set_tenant_id(kTenant);
  merge.set_customer_id(ann);
  merge.set_other_customer_id(bob);
  // An actor that looks like a principal: it stays the actor.
  *merge.mutable_actor() = AgentActorOf("admin");
  Reply<v1::LinkIdentityResponse> merged =
      InvokeAs(ops_, *customers_, &v1::CustomerService::Stub::MergeCustomers, merge);
  ASSERT_TRUE(merged.ok()) << Describe(merged.status);
  v1::UnmergeCustomerRequest unmerge;
  unmerge.set_tenant_id(kTenant);
  unmerge.set_customer_id(bob);
  *unmerge.mutable_actor() = AgentActorOf("agent-ana");
  ASSERT_TRUE(
      InvokeAs(ops_, *customers_, &v1::CustomerService::Stub::UnmergeCustomer, unmerge).ok());
  v1::LinkIdentityRequest link;
  link.set_tenant_id(kTenant);
  link.set_customer_id(ann);
  *link.mutable_identity() = PhoneId("06 12 34 56 78");
  *link.mutable_actor() = AgentActorOf("agent-ana");
  link.set_mode(v1::LINK_MODE_EXPLICIT);
  ASSERT_TRUE(InvokeAs(ops_, *customers_, &v1::CustomerService::Stub::LinkIdentity, link).ok());

  // Erasure is the admin's (integration may not: refused, nothing recorded).
  v1::EraseCustomerRequest erase;
  erase.set_tenant_id(kTenant);
  erase.set_customer_id(bob);
  *erase.mutable_actor() = AgentActorOf("dpo");
  EXPECT_EQ(InvokeAs(ops_, *customers_, &v1::CustomerService::Stub::EraseCustomer, erase)
                .status.error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  Reply<v1::EraseCustomerResponse> erased =
      InvokeAs(admin_, *customers_, &v1::CustomerService::Stub::EraseCustomer, erase);
  ASSERT_TRUE(erased.ok()) << Describe(erased.status);

  // Read back by a reader through the change feed, after the erasure's
  // redaction rewrote the merge's events: the callers are all there.
  const std::vector<v1::Event> log = WatchLog(channel_, auditor_, kTenant);
  EXPECT_THAT(AuditTrail(log),
              ElementsAre(Pair("tenant_configured", "admin/admin/CALLER_CREDENTIAL_API_KEY"),
                          Pair("queue_configured", "admin/admin/CALLER_CREDENTIAL_API_KEY"),
                          Pair("routing_configured", "admin/admin/CALLER_CREDENTIAL_API_KEY"),
                          Pair("agent_configured", "admin/admin/CALLER_CREDENTIAL_API_KEY"),
                          // Each ingest's first link: made by no audited call.
                          Pair("identity_linked", "-"), Pair("identity_linked", "-"),
                          Pair("customers_merged", "ops-1/integration/CALLER_CREDENTIAL_API_KEY"),
                          Pair("customer_unmerged", "ops-1/integration/CALLER_CREDENTIAL_API_KEY"),
                          Pair("identity_linked", "ops-1/integration/CALLER_CREDENTIAL_API_KEY"),
                          Pair("customer_erased", "admin/admin/CALLER_CREDENTIAL_API_KEY")));
  for (const v1::Event& event : log) {
    if (event.has_customers_merged()) {
      EXPECT_EQ(event.customers_merged().actor().kind(), v1::ACTOR_KIND_AGENT);
      EXPECT_EQ(event.customers_merged().actor().id(), "admin");
    }
    // The erasure's closing of the conversation is not itself audited.
    if (event.has_conversation_status_changed()) EXPECT_EQ(CallerText(event), "-");
  }
}

TEST(CallerAuditRequestsTest, NoRequestCarriesACaller) {
  // Whatever a client sends, the caller comes from its credential alone:
  // no request message of the API has a Caller anywhere in it.
  std::set<const google::protobuf::Descriptor*> seen;
  std::vector<std::string> carriers;
  std::function<void(const google::protobuf::Descriptor*, const std::string&)> walk =
      [&](const google::protobuf::Descriptor* type, const std::string& path) {
        if (type == v1::Caller::descriptor()) carriers.push_back(path);
        if (!seen.insert(type).second) return;
        for (int f = 0; f < type->field_count(); ++f) {
          const google::protobuf::FieldDescriptor* field = type->field(f);
          if (field->message_type() != nullptr) {
            walk(field->message_type(), absl::StrCat(path, ".", field->name()));
          }
        }
      };
  const google::protobuf::FileDescriptor* file = v1::MergeCustomersRequest::descriptor()->file();
  int methods = 0;
  for (int s = 0; s < file->service_count(); ++s) {
    for (int m = 0; m < file->service(s)->method_count(); ++m) {
      const google::protobuf::Descriptor* input = file->service(s)->method(m)->input_type();
      walk(input, input->name());
      ++methods;
    }
  }
  EXPECT_GT(methods, 40);
  EXPECT_THAT(carriers, ::testing::IsEmpty());
  // The walk does find a Caller where there is one.
  seen.clear();
  walk(v1::Event::descriptor(), "Event");
  EXPECT_FALSE(carriers.empty());
}

// ------------------------------------------------------------ without authentication

class UnauthenticatedCallerAuditTest : public ServiceTest {};

TEST_F(UnauthenticatedCallerAuditTest, RecordsThatNobodyWasChecked) {
  CreateTenant(kTenant);
  const uint64_t ann = Ingest(EmailMessage(kTenant, "ann@example.com", "m1", "hi")).customer_id();
  clock_.Advance(absl::Minutes(1));
  const uint64_t bob = Ingest(EmailMessage(kTenant, "bob@example.com", "m2", "hi")).customer_id();
  v1::MergeCustomersRequest merge;
  merge.set_tenant_id(kTenant);
  merge.set_customer_id(ann);
  merge.set_other_customer_id(bob);
  *merge.mutable_actor() = AgentActor("agent-ana");
  MustInvoke(*customers_, &v1::CustomerService::Stub::MergeCustomers, merge);

  const std::vector<v1::Event> log = WatchLog(channel_, "", kTenant);
  EXPECT_THAT(AuditTrail(log),
              ElementsAre(Pair("tenant_configured", "//CALLER_CREDENTIAL_NONE"),
                          Pair("identity_linked", "-"), Pair("identity_linked", "-"),
                          Pair("customers_merged", "//CALLER_CREDENTIAL_NONE")));
  // Recorded, not missing: the field is set, with empty principal and role.
  for (const v1::Event& event : log) {
    if (event.has_customers_merged()) EXPECT_TRUE(event.customers_merged().has_caller());
  }
}

// ------------------------------------------------------------ configuration files

class ConfigFileCallerAuditTest : public ServiceTest {
 protected:
  void Configure(service::ServerOptions& options) override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("omniroute-audit-config-", getpid(), "-", absl::ToUnixNanos(absl::Now()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "acme.textproto").string();
    std::ofstream(path_) << R"(tenant_id: "acme"
queues { queue_id: "support" channels: CHANNEL_EMAIL }
)";
    options.config_dir = dir_.string();
  }
  void TearDown() override {
    ServiceTest::TearDown();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ConfigFileCallerAuditTest, NamesTheFileAsTheCaller) {
  const std::string by_file = absl::StrCat(path_, "//CALLER_CREDENTIAL_CONFIG_FILE");
  EXPECT_THAT(AuditTrail(WatchLog(channel_, "", kTenant)),
              ElementsAre(Pair("tenant_configured", by_file), Pair("queue_configured", by_file)));
}

// ------------------------------------------------------------ forwarded calls

// Two nodes on one PostgreSQL that require API keys and forward; calls sent
// to the node that does not hold the tenant.
class ForwardedCallerAuditTest : public ClusterFixture {
 protected:
  void SetUp() override {
    ClusterFixture::SetUp();
    if (HasFatalFailure()) return;
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("omniroute-audit-fwd-", getpid(), "-", absl::ToUnixNanos(absl::Now()));
    std::filesystem::create_directories(dir_);
    v1::ApiKeysFile keys;
    for (auto [id, name, role, tenant] : {std::tuple{"adm", "admin", "admin", "*"},
                                          std::tuple{"ops", "ops-1", "integration", "t"}}) {
      absl::StatusOr<service::NewApiKey> key = service::MakeApiKey(id, name, role, tenant, "");
      ASSERT_TRUE(key.ok()) << key.status();
      *keys.add_key() = key->entry;
      (std::string(id) == "adm" ? admin_ : ops_) = key->token;
    }
    std::string text;
    google::protobuf::TextFormat::PrintToString(keys, &text);
    std::ofstream((dir_ / "keys.textproto").string()) << text;
    service::AuthOptions auth;
    auth.api_keys_file = (dir_ / "keys.textproto").string();
    a_ = StartNode("a", /*forward=*/true, &auth);
    b_ = StartNode("b", /*forward=*/true, &auth);
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
    ASSERT_TRUE(Eventually([&] {
      auto on_a = a_->ownership()->OwnerOf("t");
      auto on_b = b_->ownership()->OwnerOf("t");
      return on_a.has_value() && on_b.has_value() && on_a->node_id == on_b->node_id;
    }));
    // Sent to the node the tenant is not placed on, which forwards it.
    service::Server* placed = a_->ownership()->OwnerOf("t")->node_id == "a" ? a_.get() : b_.get();
    other_ = placed == a_.get() ? b_.get() : a_.get();
    v1::CreateTenantRequest create;
    create.set_tenant_id("t");
    Reply<v1::CreateTenantResponse> created =
        InvokeAs(admin_, *v1::TenantService::NewStub(Channel(*other_)),
                 &v1::TenantService::Stub::CreateTenant, create);
    ASSERT_TRUE(created.ok()) << Describe(created.status);
    ASSERT_TRUE(Eventually([&] { return ExactlyOneOwnerEach({"t"}, {a_.get(), b_.get()}); }));
    ASSERT_TRUE(other_->ownership()->Held().empty());
  }

  void TearDown() override {
    if (a_ != nullptr) a_->Shutdown();
    if (b_ != nullptr) b_->Shutdown();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::shared_ptr<grpc::Channel> Channel(service::Server& node) {
    return grpc::CreateChannel(Address(node), grpc::InsecureChannelCredentials());
  }

  std::filesystem::path dir_;
  std::string admin_, ops_;
  std::unique_ptr<service::Server> a_;
  std::unique_ptr<service::Server> b_;
  service::Server* other_ = nullptr;
};

TEST_F(ForwardedCallerAuditTest, RecordsTheOriginalCallerNotTheForwardingNode) {
  auto conversations = v1::ConversationService::NewStub(Channel(*other_));
  std::vector<uint64_t> customers;
  for (const char* address : {"ann@example.com", "bob@example.com"}) {
    Reply<v1::IngestMessageResponse> ingested =
        InvokeAs(ops_, *conversations, &v1::ConversationService::Stub::IngestMessage,
                 EmailMessage("t", address, address, "hello"));
    ASSERT_TRUE(ingested.ok()) << Describe(ingested.status);
    customers.push_back(ingested.value.customer_id());
  }
  v1::MergeCustomersRequest merge;
  merge.set_tenant_id("t");
  merge.set_customer_id(customers[0]);
  merge.set_other_customer_id(customers[1]);
  *merge.mutable_actor() = AgentActor("agent-ana");
  Reply<v1::LinkIdentityResponse> merged =
      InvokeAs(ops_, *v1::CustomerService::NewStub(Channel(*other_)),
               &v1::CustomerService::Stub::MergeCustomers, merge);
  ASSERT_TRUE(merged.ok()) << Describe(merged.status);

  std::unique_ptr<EventStore> store = Reader();
  ASSERT_NE(store, nullptr);
  std::vector<v1::Event> log;
  ASSERT_TRUE(store
                  ->Read("t", 1,
                         [&](const v1::Event& event) {
                           log.push_back(event);
                           return true;
                         })
                  .ok());
  EXPECT_THAT(AuditTrail(log),
              ElementsAre(Pair("tenant_configured", "admin/admin/CALLER_CREDENTIAL_API_KEY"),
                          Pair("identity_linked", "-"), Pair("identity_linked", "-"),
                          Pair("customers_merged", "ops-1/integration/CALLER_CREDENTIAL_API_KEY")));
}

}  // namespace
}  // namespace omniroute::service_test
