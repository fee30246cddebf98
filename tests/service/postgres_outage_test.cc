// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A server on PostgreSQL whose database goes away mid-run and comes back
// (the test's PostgreSQL is stopped, then started again on the same data):
// while it is down, calls answer UNAVAILABLE naming PostgreSQL and nothing
// is acknowledged; once it is back, the next calls are served, with every
// message acknowledged before the outage there exactly once, without a
// restart of the server. A single server and a cluster node alike.

#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "service/cluster_fixture.h"
#include "service/service_test_support.h"

namespace omniroute::service_test {
namespace {

using ::testing::HasSubstr;

class PostgresOutageTest : public ClusterFixture {
 protected:
  std::unique_ptr<service::Server> StartServer(bool node) {
    service::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.postgres_conninfo = conninfo_;
    if (node) {
      options.node_id = "a";
      options.lease = kLease;
    }
    options.blocking_call_threads = 4;
    absl::StatusOr<std::unique_ptr<service::Server>> server = service::Server::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  Reply<v1::IngestMessageResponse> Ingest(service::Server& server, const std::string& id) {
    auto stub = v1::ConversationService::NewStub(
        grpc::CreateChannel(Address(server), grpc::InsecureChannelCredentials()));
    return Invoke(*stub, &v1::ConversationService::Stub::IngestMessage,
                  EmailMessage("acme", "ana@example.com", id, "hello"));
  }

  void RunOutage(bool node) {
    std::unique_ptr<service::Server> server = StartServer(node);
    ASSERT_NE(server, nullptr);
    auto tenants = v1::TenantService::NewStub(
        grpc::CreateChannel(Address(*server), grpc::InsecureChannelCredentials()));
    v1::CreateTenantRequest create;
    create.set_tenant_id("acme");
    ASSERT_TRUE(Invoke(*tenants, &v1::TenantService::Stub::CreateTenant, create).ok());
    ASSERT_TRUE(Ingest(*server, "before").ok());

    testing_internal::PostgresTestServer* postgres = testing_internal::SharedPostgresServer();
    ASSERT_NE(postgres, nullptr);
    ASSERT_TRUE(postgres
                    ->Restart([&] {
                      Reply<v1::IngestMessageResponse> down = Ingest(*server, "during");
                      EXPECT_EQ(down.status.error_code(), grpc::StatusCode::UNAVAILABLE)
                          << Describe(down.status);
                      EXPECT_THAT(down.status.error_message(), HasSubstr("PostgreSQL"));
                    })
                    .ok());

    // Back: served again without restarting the server (a node takes its
    // tenant again once its heartbeats go through), and the message sent
    // during the outage, retried, is stored once.
    ASSERT_TRUE(Eventually([&] { return Ingest(*server, "during").ok(); }));
    Reply<v1::IngestMessageResponse> after = Ingest(*server, "after");
    ASSERT_TRUE(after.ok()) << Describe(after.status);
    std::unique_ptr<EventStore> store = Reader();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(StoredMessages(*store, "acme"),
              std::multiset<std::string>({"before", "during", "after"}));
  }
};

TEST_F(PostgresOutageTest, ASingleServerServesAgainOnceTheDatabaseIsBack) { RunOutage(false); }

TEST_F(PostgresOutageTest, AClusterNodeServesAgainOnceTheDatabaseIsBack) { RunOutage(true); }

}  // namespace
}  // namespace omniroute::service_test
