// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// CustomerService.EraseCustomer and CustomerService.ExportCustomer over real
// gRPC: a merged customer erased through the survivor, the export streamed
// record by record (an erased customer's is its erasure), and bad input
// answered with the field named.

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/service_test_support.h"

namespace omniroute::service_test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using CS = v1::CustomerService::Stub;

constexpr char kTenant[] = "acme";

class CustomerErasureServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    CreateTenant(kTenant);
  }

  // Ingests and cancels the task it made: no work in progress.
  v1::IngestMessageResponse IngestQuiet(const v1::IngestMessageRequest& request) {
    v1::IngestMessageResponse r = Ingest(request);
    if (r.has_task()) {
      v1::AbandonTaskRequest abandon;
      abandon.set_tenant_id(kTenant);
      abandon.set_task_id(r.task().task_id());
      MustInvoke(*routing_, &v1::RoutingService::Stub::AbandonTask, abandon);
    }
    return r;
  }

  grpc::Status Erase(const std::string& tenant, uint64_t customer) {
    v1::EraseCustomerRequest r;
    r.set_tenant_id(tenant);
    r.set_customer_id(customer);
    *r.mutable_actor() = AgentActor("dpo");
    return Invoke(*customers_, &CS::EraseCustomer, r).status;
  }

  // The records of the export, and how the stream ended.
  grpc::Status Export(const std::string& tenant, uint64_t customer,
                      std::vector<v1::CustomerExportRecord>* records) {
    v1::ExportCustomerRequest r;
    r.set_tenant_id(tenant);
    r.set_customer_id(customer);
    grpc::ClientContext context;
    SetDeadline(context);
    std::unique_ptr<grpc::ClientReader<v1::CustomerExportRecord>> reader =
        customers_->ExportCustomer(&context, r);
    v1::CustomerExportRecord record;
    while (reader->Read(&record)) records->push_back(record);
    return reader->Finish();
  }

  std::vector<std::string> Kinds(const std::vector<v1::CustomerExportRecord>& records) {
    std::vector<std::string> kinds;
    for (const auto& r : records) {
      kinds.push_back(std::string(
          v1::CustomerExportRecord::descriptor()->FindFieldByNumber(r.record_case())->name()));
    }
    return kinds;
  }
};

TEST_F(CustomerErasureServiceTest, ErasesAMergedCustomerAndExportsItsErasure) {
  const auto post = IngestQuiet(PublicPost(kTenant, "grpc_erased", "g-post-1", "grpc-erased-body"));
  const auto mail =
      IngestQuiet(EmailMessage(kTenant, "grpc.erased@example.com", "<g1@example.com>", "mail"));
  const auto kept =
      IngestQuiet(EmailMessage(kTenant, "grpc.kept@example.com", "<g2@example.com>", "kept-body"));
  v1::LinkIdentityRequest link;
  link.set_tenant_id(kTenant);
  link.set_customer_id(post.customer_id());
  *link.mutable_identity() = EmailId("grpc.erased@example.com");
  *link.mutable_actor() = AgentActor("cm");
  MustInvoke(*customers_, &CS::LinkIdentity, link);

  // Before: everything is exported, customers first, then the thread the
  // merge joined (both messages), then the conversation merged into it.
  std::vector<v1::CustomerExportRecord> before;
  ASSERT_TRUE(Export(kTenant, post.customer_id(), &before).ok());
  EXPECT_THAT(Kinds(before), ElementsAre("customer", "customer", "conversation", "message",
                                         "message", "conversation"));

  const grpc::Status absorbed = Erase(kTenant, mail.customer_id());
  EXPECT_EQ(absorbed.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(absorbed.error_message(), HasSubstr(absl::StrCat("customer/", post.customer_id())));

  ASSERT_TRUE(Erase(kTenant, post.customer_id()).ok());
  ASSERT_TRUE(Erase(kTenant, post.customer_id()).ok());  // Nothing more.

  v1::GetCustomerRequest get;
  get.set_tenant_id(kTenant);
  get.set_customer_id(mail.customer_id());
  const v1::Customer customer = MustInvoke(*customers_, &CS::GetCustomer, get);
  EXPECT_TRUE(customer.erased());
  EXPECT_EQ(customer.identities_size(), 0);

  std::vector<v1::CustomerExportRecord> after;
  ASSERT_TRUE(Export(kTenant, mail.customer_id(), &after).ok());
  ASSERT_THAT(Kinds(after), ElementsAre("erasure"));
  EXPECT_EQ(after[0].erasure().customer_id(), post.customer_id());
  EXPECT_THAT(after[0].erasure().erased_with_customer_ids(), ElementsAre(mail.customer_id()));

  std::vector<v1::CustomerExportRecord> other;
  ASSERT_TRUE(Export(kTenant, kept.customer_id(), &other).ok());
  ASSERT_THAT(Kinds(other), ElementsAre("customer", "conversation", "message"));
  EXPECT_EQ(other[2].message().message().body(), "kept-body");
}

TEST_F(CustomerErasureServiceTest, BadInputNamesTheField) {
  const grpc::Status no_tenant = Erase("", 1);
  EXPECT_EQ(no_tenant.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(no_tenant.error_message(), HasSubstr("tenant_id"));
  const grpc::Status no_customer = Erase(kTenant, 0);
  EXPECT_EQ(no_customer.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(no_customer.error_message(), HasSubstr("customer_id"));
  EXPECT_EQ(Erase(kTenant, 42).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Erase("nobody", 1).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::EraseCustomerRequest no_actor;
  no_actor.set_tenant_id(kTenant);
  no_actor.set_customer_id(1);
  const grpc::Status actor = Invoke(*customers_, &CS::EraseCustomer, no_actor).status;
  EXPECT_EQ(actor.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(actor.error_message(), HasSubstr("actor"));

  std::vector<v1::CustomerExportRecord> records;
  const grpc::Status export_no_tenant = Export("", 1, &records);
  EXPECT_EQ(export_no_tenant.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(export_no_tenant.error_message(), HasSubstr("tenant_id"));
  const grpc::Status export_no_customer = Export(kTenant, 0, &records);
  EXPECT_EQ(export_no_customer.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(export_no_customer.error_message(), HasSubstr("customer_id"));
  EXPECT_EQ(Export(kTenant, 42, &records).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(records.empty());
}

}  // namespace
}  // namespace omniroute::service_test
