// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Limits per tenant over a real gRPC channel (the server's ManualClock
// refills the buckets): a tenant over its request rate is refused
// RESOURCE_EXHAUSTED with the retry delay in the status details (encoded as
// google.rpc.Status with a google.rpc.RetryInfo), another tenant is not
// affected, node calls are not counted, a refused call changes nothing, a
// tenant holding its streams cannot open another until one ends, and
// callers without a valid credential cannot spend a tenant's requests.

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "omniroute/v1/credentials.pb.h"
#include "omniroute/v1/status_details.pb.h"
#include "service/auth/api_keys.h"
#include "service/service_test_support.h"

namespace omniroute::service_test {
namespace {

using ::testing::HasSubstr;

constexpr char kTenant[] = "acme";
constexpr char kOther[] = "globex";

// The retry delay in a refusal's status details, or -1 s when it has none
// (or they do not decode as google.rpc.Status with a RetryInfo).
absl::Duration RetryDelayIn(const grpc::Status& status) {
  v1::StatusDetails details;
  if (!details.ParseFromString(status.error_details())) return absl::Seconds(-1);
  if (details.code() != static_cast<int>(status.error_code()) ||
      details.message() != status.error_message()) {
    return absl::Seconds(-1);
  }
  for (const google::protobuf::Any& any : details.details()) {
    if (any.type_url() != "type.googleapis.com/google.rpc.RetryInfo") continue;
    v1::RetryInfo info;
    if (!info.ParseFromString(any.value())) return absl::Seconds(-1);
    return absl::Seconds(info.retry_delay().seconds()) +
           absl::Nanoseconds(info.retry_delay().nanos());
  }
  return absl::Seconds(-1);
}

class TenantRateLimitTest : public ServiceTest {
 protected:
  void Configure(service::ServerOptions& options) override {
    options.tenant_limits.requests_per_second = 2;
    options.tenant_limits.burst = 3;
  }

  void SetUp() override {
    ServiceTest::SetUp();
    CreateTenant(kTenant);
    CreateTenant(kOther);
    // Full buckets for the test.
    clock_.Advance(absl::Hours(1));
  }

  Reply<v1::IngestMessageResponse> Mail(absl::string_view tenant, int n) {
    return Invoke(*conversations_, &v1::ConversationService::Stub::IngestMessage,
                  EmailMessage(tenant, absl::StrCat("customer", n, "@example.com"),
                               absl::StrCat("<m", n, "@example.com>"), "hello"));
  }

  uint64_t LastSequence(absl::string_view tenant) {
    v1::GetLastSequenceRequest r;
    r.set_tenant_id(std::string(tenant));
    return MustInvoke(*events_, &v1::EventService::Stub::GetLastSequence, r).sequence();
  }
};

TEST_F(TenantRateLimitTest, ATenantOverItsRateIsRefusedWithARetryDelay) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Mail(kTenant, i).ok()) << i;

  const Reply<v1::IngestMessageResponse> refused = Mail(kTenant, 3);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.status.error_message(), HasSubstr(absl::StrCat("tenant \"", kTenant, "\"")));
  // An empty bucket that gains 2 tokens a second: the next in 500 ms.
  EXPECT_EQ(RetryDelayIn(refused.status), absl::Milliseconds(500));

  // The other tenant has its own bucket.
  EXPECT_TRUE(Mail(kOther, 100).ok());

  clock_.Advance(absl::Milliseconds(500));
  EXPECT_TRUE(Mail(kTenant, 3).ok());
}

TEST_F(TenantRateLimitTest, ARefusedCallChangesNothing) {
  // GetLastSequence is counted too: 3 tokens, one spent here.
  const uint64_t before = LastSequence(kTenant);
  ASSERT_TRUE(Mail(kTenant, 0).ok());
  ASSERT_TRUE(Mail(kTenant, 1).ok());
  ASSERT_EQ(Mail(kTenant, 2).status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  clock_.Advance(absl::Hours(1));
  const uint64_t after = LastSequence(kTenant);
  // The two admitted messages made events; the refused one none: a third
  // message from a new customer would have made more.
  const uint64_t per_message = (after - before) / 2;
  ASSERT_GT(per_message, 0u);
  EXPECT_EQ(after - before, 2 * per_message);
  ASSERT_TRUE(Mail(kTenant, 2).ok());
  EXPECT_EQ(LastSequence(kTenant) - after, per_message);
}

TEST_F(TenantRateLimitTest, NodeCallsAreNotCounted) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Mail(kTenant, i).ok());
  for (int i = 0; i < 20; ++i) {
    v1::ListTenantsRequest list;
    ASSERT_TRUE(Invoke(*tenants_, &v1::TenantService::Stub::ListTenants, list).ok()) << i;
    v1::PingRequest ping;
    ASSERT_TRUE(Invoke(*diagnostics_, &v1::DiagnosticsService::Stub::Ping, ping).ok()) << i;
  }
}

class TenantStreamLimitTest : public TenantRateLimitTest {
 protected:
  void Configure(service::ServerOptions& options) override {
    options.tenant_limits.max_streams = 2;
  }

  struct Watch {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<v1::Event>> reader;
  };

  // A WatchEvents stream of `tenant` from its first event, open once its
  // first event is read (or failed).
  Watch Open(absl::string_view tenant) {
    Watch watch;
    watch.context = std::make_unique<grpc::ClientContext>();
    SetDeadline(*watch.context);
    v1::WatchEventsRequest r;
    r.set_tenant_id(std::string(tenant));
    r.set_from_sequence(1);
    watch.reader = events_->WatchEvents(watch.context.get(), r);
    return watch;
  }

  static bool ReadsAnEvent(Watch& watch) {
    v1::Event event;
    return watch.reader->Read(&event);
  }
};

TEST_F(TenantStreamLimitTest, ATenantHoldingItsStreamsCannotOpenAnother) {
  Watch first = Open(kTenant);
  Watch second = Open(kTenant);
  ASSERT_TRUE(ReadsAnEvent(first));
  ASSERT_TRUE(ReadsAnEvent(second));

  Watch third = Open(kTenant);
  EXPECT_FALSE(ReadsAnEvent(third));
  const grpc::Status refused = third.reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("2 open streams"));
  EXPECT_EQ(RetryDelayIn(refused), absl::Seconds(1));

  // Another tenant's streams are its own.
  Watch other = Open(kOther);
  EXPECT_TRUE(ReadsAnEvent(other));

  // Once a stream ends, its place is free. The server learns of the end
  // when gRPC runs the stream's OnDone, after the client's cancel: opened
  // again until admitted, within the deadline.
  first.context->TryCancel();
  first.reader->Finish();
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  bool admitted = false;
  while (!admitted && absl::Now() < give_up) {
    Watch again = Open(kTenant);
    admitted = ReadsAnEvent(again);
    if (!admitted) {
      const grpc::Status status = again.reader->Finish();
      ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(status);
    } else {
      again.context->TryCancel();
      again.reader->Finish();
    }
  }
  EXPECT_TRUE(admitted);
  second.context->TryCancel();
  second.reader->Finish();
  other.context->TryCancel();
  other.reader->Finish();
}

// With authentication: a caller that is refused for its credential is
// refused before the limits, so it cannot spend a tenant's requests.
class TenantLimitAuthTest : public TenantRateLimitTest {
 protected:
  void Configure(service::ServerOptions& options) override {
    TenantRateLimitTest::Configure(options);
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("omniroute-limits-", getpid(), "-", absl::ToUnixNanos(absl::Now()));
    std::filesystem::create_directories(dir_);
    v1::ApiKeysFile keys;
    for (const auto& [id, role, tenant] :
         {std::tuple{"admin", "admin", "*"}, std::tuple{"acme", "integration", "acme"}}) {
      absl::StatusOr<service::NewApiKey> key = service::MakeApiKey(id, id, role, tenant, "");
      ASSERT_TRUE(key.ok()) << key.status();
      *keys.add_key() = key->entry;
      (std::string(id) == "admin" ? admin_ : acme_) = key->token;
    }
    std::string text;
    google::protobuf::TextFormat::PrintToString(keys, &text);
    std::ofstream(dir_ / "keys.textproto") << text;
    options.authenticate = true;
    options.auth.api_keys_file = (dir_ / "keys.textproto").string();
  }

  void SetUp() override {
    ServiceTest::SetUp();
    for (const char* tenant : {kTenant, kOther}) {
      v1::CreateTenantRequest r;
      r.set_tenant_id(tenant);
      ASSERT_TRUE(Call(admin_, &v1::TenantService::Stub::CreateTenant, *tenants_, r).ok());
    }
    clock_.Advance(absl::Hours(1));
  }

  void TearDown() override {
    ServiceTest::TearDown();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  template <typename Stub, typename Request, typename Response>
  static grpc::Status Call(const std::string& token,
                           grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                        Response*),
                           Stub& stub, const Request& request) {
    grpc::ClientContext context;
    SetDeadline(context);
    if (!token.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    Response response;
    return (stub.*method)(&context, request, &response);
  }

  grpc::Status MailAs(const std::string& token, int n) {
    return Call(token, &v1::ConversationService::Stub::IngestMessage, *conversations_,
                EmailMessage(kTenant, absl::StrCat("customer", n, "@example.com"),
                             absl::StrCat("<m", n, "@example.com>"), "hello"));
  }

  std::filesystem::path dir_;
  std::string admin_;
  std::string acme_;
};

TEST_F(TenantLimitAuthTest, CallersRefusedForTheirCredentialSpendNothing) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(MailAs("", i).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    ASSERT_EQ(MailAs("not-a-key", i).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // The whole burst is still there for the tenant's own key.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(MailAs(acme_, i).ok()) << i;
  EXPECT_EQ(MailAs(acme_, 3).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace omniroute::service_test
