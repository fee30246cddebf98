// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Every RPC of omniroute.v1 called over real gRPC against a server that
// requires credentials, with each kind of bad or insufficient credential
// (none, malformed, another scheme, a wrong secret, a revoked key, a JWT
// signed by another key, an expired JWT, another tenant, a role that may
// not, an agent acting for another agent) and with the right one: the first
// are UNAUTHENTICATED or PERMISSION_DENIED and change nothing, the last is
// let through to the handler.

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "gtest/gtest.h"
#include "omniroute/v1/credentials.pb.h"
#include "omniroute/v1/service.grpc.pb.h"
#include "service/auth/access_policy.h"
#include "service/auth/api_keys.h"
#include "service/server.h"

namespace omniroute::service {
namespace {

namespace v1 = ::omniroute::v1;
using Message = google::protobuf::Message;

// An EC P-256 key of the test's identity provider, its JWKS, and ES256
// tokens it signs.
class TestIdentityProvider {
 public:
  explicit TestIdentityProvider(std::string kid) : kid_(std::move(kid)) {
    EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr);
    EVP_PKEY_keygen_init(context);
    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_X9_62_prime256v1);
    EVP_PKEY_keygen(context, &key_);
    EVP_PKEY_CTX_free(context);
  }
  ~TestIdentityProvider() { EVP_PKEY_free(key_); }

  std::string Jwks() const {
    unsigned char point[65];
    size_t size = sizeof(point);
    EVP_PKEY_get_octet_string_param(key_, "encoded-pub-key", point, sizeof(point), &size);
    const std::string x(reinterpret_cast<const char*>(point + 1), 32);
    const std::string y(reinterpret_cast<const char*>(point + 33), 32);
    return absl::StrCat(R"({"keys":[{"kty":"EC","crv":"P-256","use":"sig","alg":"ES256","kid":")",
                        kid_, R"(","x":")", absl::WebSafeBase64Escape(x), R"(","y":")",
                        absl::WebSafeBase64Escape(y), R"("}]})");
  }

  std::string Token(absl::string_view claims_json) const {
    const std::string signing_input =
        absl::StrCat(absl::WebSafeBase64Escape(
                         absl::StrCat(R"({"alg":"ES256","kid":")", kid_, R"(","typ":"JWT"})")),
                     ".", absl::WebSafeBase64Escape(claims_json));
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key_);
    size_t der_size = 0;
    EVP_DigestSign(md, nullptr, &der_size,
                   reinterpret_cast<const unsigned char*>(signing_input.data()),
                   signing_input.size());
    std::string der(der_size, '\0');
    EVP_DigestSign(md, reinterpret_cast<unsigned char*>(der.data()), &der_size,
                   reinterpret_cast<const unsigned char*>(signing_input.data()),
                   signing_input.size());
    EVP_MD_CTX_free(md);
    // JOSE wants r || s, 32 bytes each, not DER.
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_size));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return absl::StrCat(signing_input, ".", absl::WebSafeBase64Escape(raw));
  }

 private:
  std::string kid_;
  EVP_PKEY* key_ = nullptr;
};

std::string JwtClaims(absl::string_view role, absl::string_view tenant, absl::Time expires) {
  return absl::StrCat(R"({"iss":"https://idp.test","aud":"omniroute","sub":"jwt-)", role,
                      R"(","role":")", role, R"(","tenant":")", tenant, R"(","exp":)",
                      absl::ToUnixSeconds(expires), "}");
}

// The outcome of a call: its status code.
enum class Expect { kUnauthenticated, kPermissionDenied, kAdmitted };

class AuthorizationMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("omniroute-authz-", getpid(), "-", absl::ToUnixNanos(absl::Now()));
    std::filesystem::create_directories(dir_);
    v1::ApiKeysFile keys;
    auto add = [&](absl::string_view id, absl::string_view role, absl::string_view tenant,
                   absl::string_view agent) {
      absl::StatusOr<NewApiKey> key =
          MakeApiKey(id, absl::StrCat("test ", id), role, tenant, agent);
      EXPECT_TRUE(key.ok()) << key.status();
      *keys.add_key() = key->entry;
      return key->token;
    };
    admin_ = add("admin", "admin", "*", "");
    integration_ = add("integration", "integration", "acme", "");
    reader_ = add("reader", "reader", "acme", "");
    agent_ = add("agent", "agent", "acme", "ag-1");
    other_tenant_ = add("other", "integration", "globex", "");
    revoked_ = add("revoked", "admin", "*", "");
    keys_file_ = (dir_ / "keys.textproto").string();
    WriteKeys(keys);
    // The revoked key is removed from the file once the server runs.
    keys.mutable_key()->RemoveLast();
    remaining_keys_ = keys;

    std::ofstream(dir_ / "jwks.json") << idp_.Jwks();
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.run_timers = false;
    options.authenticate = true;
    options.auth.api_keys_file = keys_file_;
    options.auth.jwks_file = (dir_ / "jwks.json").string();
    options.auth.jwt_issuer = "https://idp.test";
    options.auth.jwt_audience = "omniroute";
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    WriteKeys(remaining_keys_);
    ASSERT_TRUE(server_->ReloadCredentials().ok());

    // The tenants and an agent the calls name, made by the admin.
    for (const char* tenant : {"acme", "globex"}) {
      v1::CreateTenantRequest create;
      create.set_tenant_id(tenant);
      ASSERT_EQ(Call("/omniroute.v1.TenantService/CreateTenant", create, admin_).error_code(),
                grpc::StatusCode::OK);
      v1::UpsertAgentRequest agent;
      agent.set_tenant_id(tenant);
      agent.mutable_agent()->set_agent_id("ag-1");
      agent.mutable_agent()->add_channels(v1::CHANNEL_EMAIL);
      const grpc::Status upserted = Call("/omniroute.v1.RoutingService/UpsertAgent", agent, admin_);
      ASSERT_EQ(upserted.error_code(), grpc::StatusCode::OK) << upserted.error_message();
    }
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  void WriteKeys(const v1::ApiKeysFile& keys) {
    std::string text;
    google::protobuf::TextFormat::PrintToString(keys, &text);
    std::ofstream(keys_file_, std::ios::trunc) << text;
  }

  // Calls `method` with `request` and the metadata "authorization" (none
  // when `authorization` is empty); a server stream is read to its end or
  // for a second (an admitted stream stays open).
  grpc::Status Call(const std::string& method, const Message& request, const std::string& token,
                    bool raw_authorization = false) {
    grpc::ClientContext context;
    if (!token.empty()) {
      context.AddMetadata("authorization", raw_authorization ? token : "Bearer " + token);
    }
    const google::protobuf::MethodDescriptor* descriptor = FindMethod(method);
    if (descriptor != nullptr && descriptor->server_streaming()) {
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
      return ReadStream(method, request, context);
    }
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    grpc::TemplatedGenericStub<Message, Message> stub(channel_);
    std::unique_ptr<Message> response(ResponsePrototype(method).New());
    grpc::Status status;
    absl::Notification done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, response.get(),
                   [&](grpc::Status s) {
                     status = std::move(s);
                     done.Notify();
                   });
    done.WaitForNotification();
    return status;
  }

  grpc::Status ReadStream(const std::string& method, const Message& request,
                          grpc::ClientContext& context) {
    if (method == "/omniroute.v1.EventService/WatchEvents") {
      auto reader = v1::EventService::NewStub(channel_)->WatchEvents(
          &context, static_cast<const v1::WatchEventsRequest&>(request));
      v1::Event event;
      while (reader->Read(&event)) {
      }
      return reader->Finish();
    }
    if (method == "/omniroute.v1.RoutingService/StreamOffers") {
      auto reader = v1::RoutingService::NewStub(channel_)->StreamOffers(
          &context, static_cast<const v1::StreamOffersRequest&>(request));
      v1::OfferUpdate update;
      while (reader->Read(&update)) {
      }
      return reader->Finish();
    }
    if (method == "/omniroute.v1.RoutingService/WatchQueueStatistics") {
      auto reader = v1::RoutingService::NewStub(channel_)->WatchQueueStatistics(
          &context, static_cast<const v1::WatchQueueStatisticsRequest&>(request));
      v1::QueueStatisticsUpdate update;
      // Admitted, it runs until cancelled: its first update is the answer.
      if (reader->Read(&update)) {
        context.TryCancel();
        while (reader->Read(&update)) {
        }
        reader->Finish();
        return grpc::Status::OK;
      }
      return reader->Finish();
    }
    auto reader = v1::CustomerService::NewStub(channel_)->ExportCustomer(
        &context, static_cast<const v1::ExportCustomerRequest&>(request));
    v1::CustomerExportRecord record;
    while (reader->Read(&record)) {
    }
    return reader->Finish();
  }

  static const google::protobuf::MethodDescriptor* FindMethod(const std::string& method) {
    // "/pkg.Service/Method" → "pkg.Service.Method".
    std::string name = method.substr(1);
    name[name.find('/')] = '.';
    return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
  }
  static const Message& ResponsePrototype(const std::string& method) {
    return *google::protobuf::MessageFactory::generated_factory()->GetPrototype(
        FindMethod(method)->output_type());
  }

  // A request of `method` naming `tenant` (and, when it has one, `agent`).
  static std::unique_ptr<Message> Request(const std::string& method, const std::string& tenant,
                                          const std::string& agent = "ag-1") {
    const google::protobuf::MethodDescriptor* descriptor = FindMethod(method);
    std::unique_ptr<Message> request(google::protobuf::MessageFactory::generated_factory()
                                         ->GetPrototype(descriptor->input_type())
                                         ->New());
    const google::protobuf::Descriptor* type = request->GetDescriptor();
    if (const auto* field = type->FindFieldByName("tenant_id"); field != nullptr) {
      request->GetReflection()->SetString(request.get(), field, tenant);
    }
    if (const auto* field = type->FindFieldByName("agent_id");
        field != nullptr && field->containing_oneof() == nullptr) {
      request->GetReflection()->SetString(request.get(), field, agent);
    }
    return request;
  }

  // Both tenants' state, read by the admin.
  std::string State() {
    std::string state;
    for (const char* tenant : {"acme", "globex"}) {
      v1::GetStateFingerprintRequest request;
      request.set_tenant_id(tenant);
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + admin_);
      v1::StateFingerprint fingerprint;
      grpc::Status status = v1::DiagnosticsService::NewStub(channel_)->GetStateFingerprint(
          &context, request, &fingerprint);
      EXPECT_TRUE(status.ok()) << status.error_message();
      absl::StrAppend(&state, fingerprint.ShortDebugString(), ";");
    }
    return state;
  }

  std::filesystem::path dir_;
  std::string keys_file_;
  v1::ApiKeysFile remaining_keys_;
  TestIdentityProvider idp_{"idp-key"};
  TestIdentityProvider impostor_{"idp-key"};
  std::string admin_, integration_, reader_, agent_, other_tenant_, revoked_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

bool Allows(const MethodAccess& access, Role role) {
  return (access.roles & (1u << static_cast<int>(role))) != 0;
}

TEST_F(AuthorizationMatrixTest, EveryRpcRefusesEveryBadCredentialAndAdmitsTheRightOne) {
  const std::string before = State();
  const absl::Time now = absl::Now();
  const std::string wrong_secret = integration_.substr(0, integration_.size() - 4) + "AAAA";
  const std::string forged = impostor_.Token(JwtClaims("admin", "*", now + absl::Hours(1)));
  const std::string expired = idp_.Token(JwtClaims("admin", "*", now - absl::Hours(1)));
  int checked = 0;
  for (const MethodAccess& access : AccessTable()) {
    const std::string method(access.method);
    SCOPED_TRACE(method);
    // Denials: none of them may act.
    struct Denial {
      const char* what;
      std::string token;
      bool raw;
      Expect expect;
    };
    std::vector<Denial> denials = {
        {"no credential", "", false, Expect::kUnauthenticated},
        {"malformed key", "omr_nosecret", false, Expect::kUnauthenticated},
        {"another scheme", "Basic YWRtaW46YWRtaW4=", true, Expect::kUnauthenticated},
        {"wrong secret", wrong_secret, false, Expect::kUnauthenticated},
        {"revoked key", revoked_, false, Expect::kUnauthenticated},
        {"JWT of another key", forged, false, Expect::kUnauthenticated},
        {"expired JWT", expired, false, Expect::kUnauthenticated},
    };
    if (access.scope == CallScope::kTenant || access.scope == CallScope::kAgent) {
      denials.push_back({"other tenant", other_tenant_, false, Expect::kPermissionDenied});
    }
    if (!Allows(access, Role::kReader)) {
      denials.push_back({"reader", reader_, false, Expect::kPermissionDenied});
    }
    if (!Allows(access, Role::kAgent)) {
      denials.push_back({"agent", agent_, false, Expect::kPermissionDenied});
    }
    if (access.scope == CallScope::kNode) {
      denials.push_back(
          {"tenant-bound integration", integration_, false, Expect::kPermissionDenied});
    }
    for (const Denial& denial : denials) {
      SCOPED_TRACE(denial.what);
      std::unique_ptr<Message> request = Request(method, "acme");
      const grpc::Status status = Call(method, *request, denial.token, denial.raw);
      EXPECT_EQ(status.error_code(), denial.expect == Expect::kUnauthenticated
                                         ? grpc::StatusCode::UNAUTHENTICATED
                                         : grpc::StatusCode::PERMISSION_DENIED)
          << status.error_message();
      ++checked;
    }
    if (access.scope == CallScope::kAgent && Allows(access, Role::kAgent)) {
      SCOPED_TRACE("agent acting for another agent");
      std::unique_ptr<Message> request = Request(method, "acme", "ag-2");
      EXPECT_EQ(Call(method, *request, agent_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
      ++checked;
    }
  }
  EXPECT_EQ(State(), before) << "a denied call changed a tenant";

  // The right credential gets past the gate (the handler may still refuse
  // the empty request, but not as a credential problem).
  for (const MethodAccess& access : AccessTable()) {
    const std::string method(access.method);
    SCOPED_TRACE(method);
    std::vector<std::string> right = {admin_};
    if (access.scope != CallScope::kNode) {
      if (Allows(access, Role::kIntegration)) right.push_back(integration_);
      if (Allows(access, Role::kReader)) right.push_back(reader_);
      if (Allows(access, Role::kAgent)) right.push_back(agent_);
    }
    right.push_back(idp_.Token(JwtClaims("admin", "*", now + absl::Hours(1))));
    for (const std::string& token : right) {
      std::unique_ptr<Message> request = Request(method, "acme");
      const grpc::Status status = Call(method, *request, token);
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
      EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
      ++checked;
    }
  }
  EXPECT_GT(checked, 400);
}

TEST_F(AuthorizationMatrixTest, TheTableCoversEveryRpcOfEveryService) {
  const google::protobuf::FileDescriptor* file = v1::CreateTenantRequest::descriptor()->file();
  int methods = 0;
  for (int s = 0; s < file->service_count(); ++s) {
    for (int m = 0; m < file->service(s)->method_count(); ++m) {
      const std::string name = absl::StrCat("/", file->service(s)->full_name(), "/",
                                            file->service(s)->method(m)->name());
      EXPECT_NE(FindMethodAccess(name), nullptr) << name << " has no entry in the access table";
      ++methods;
    }
  }
  EXPECT_EQ(methods, static_cast<int>(AccessTable().size()));
}

TEST_F(AuthorizationMatrixTest, AKeyAddedToTheFileWorksAfterAReloadAndABadFileKeepsTheOldKeys) {
  absl::StatusOr<NewApiKey> added = MakeApiKey("late", "late", "reader", "acme", "");
  ASSERT_TRUE(added.ok()) << added.status();
  v1::PingRequest ping;
  EXPECT_EQ(Call("/omniroute.v1.DiagnosticsService/Ping", ping, added->token).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::ApiKeysFile keys = remaining_keys_;
  *keys.add_key() = added->entry;
  WriteKeys(keys);
  ASSERT_TRUE(server_->ReloadCredentials().ok());
  EXPECT_EQ(Call("/omniroute.v1.DiagnosticsService/Ping", ping, added->token).error_code(),
            grpc::StatusCode::OK);

  // A file with an unknown role is refused, naming it; the keys in use stay.
  keys.mutable_key(0)->set_role("superuser");
  WriteKeys(keys);
  absl::Status reloaded = server_->ReloadCredentials();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(reloaded.message().find(keys_file_), std::string::npos) << reloaded;
  EXPECT_NE(reloaded.message().find("superuser"), std::string::npos) << reloaded;
  EXPECT_EQ(Call("/omniroute.v1.DiagnosticsService/Ping", ping, added->token).error_code(),
            grpc::StatusCode::OK);
}

}  // namespace
}  // namespace omniroute::service
