// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// TLS and the credentials' files, against a real server on 127.0.0.1 with
// certificates made by the openssl command in the test: a plain-text
// client, a client that trusts another CA, and a client without a
// certificate under mutual TLS are all refused; the right client gets in.
// A server given a certificate that does not match its key, a keys file
// with an unknown role, a JWKS without a usable key, or a public address
// without TLS refuses to start, naming the file (or flag) and the reason.

#include "service/transport_security.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "omniroute/v1/service.grpc.pb.h"
#include "service/server.h"

namespace omniroute::service {
namespace {

namespace v1 = ::omniroute::v1;
namespace fs = std::filesystem;

class TransportSecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / absl::StrCat("omniroute-tls-", getpid(), "-",
                                                                 absl::ToUnixNanos(absl::Now())));
    fs::create_directories(*dir_);
    std::ofstream(*dir_ / "san.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    const std::string d = dir_->string();
    auto run = [](const std::string& command) {
      ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;
    };
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    for (const char* ca : {"ca", "other-ca"}) {
      run(absl::StrCat("openssl req -x509 ", ec, " -keyout ", d, "/", ca, ".key -out ", d, "/", ca,
                       ".pem -days 2 -subj /CN=", ca));
    }
    for (const char* leaf : {"server", "client"}) {
      run(absl::StrCat("openssl req ", ec, " -keyout ", d, "/", leaf, ".key -out ", d, "/", leaf,
                       ".csr -subj /CN=", leaf));
      run(absl::StrCat(
          "openssl x509 -req -in ", d, "/", leaf, ".csr -CA ", d, "/ca.pem -CAkey ", d,
          "/ca.key -CAcreateserial -days 2 -out ", d, "/", leaf, ".pem",
          std::string(leaf) == "server" ? absl::StrCat(" -extfile ", d, "/san.ext") : ""));
    }
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*dir_, ignored);
    delete dir_;
  }

  static std::string File(const char* name) { return (*dir_ / name).string(); }

  std::unique_ptr<Server> MustStart(ServerOptions options) {
    options.listen_address = "127.0.0.1:0";
    options.run_timers = false;
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  static grpc::Status Ping(const Server& server,
                           const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto channel = grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", const_cast<Server&>(server).port()), credentials, args);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::PingRequest request;
    v1::PingResponse response;
    return v1::DiagnosticsService::NewStub(channel)->Ping(&context, request, &response);
  }

  static std::shared_ptr<grpc::ChannelCredentials> Client(TlsFiles files) {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        MakeChannelCredentials(files);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return *credentials;
  }

  static fs::path* dir_;
};

fs::path* TransportSecurityTest::dir_ = nullptr;

TEST_F(TransportSecurityTest, TlsAdmitsAClientTrustingItsCaAndRefusesPlainTextAndOtherCas) {
  ServerOptions options;
  options.tls = {File("server.pem"), File("server.key"), ""};
  std::unique_ptr<Server> server = MustStart(options);
  ASSERT_NE(server, nullptr);
  EXPECT_TRUE(Ping(*server, Client({"", "", File("ca.pem")})).ok());
  EXPECT_EQ(Ping(*server, grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Ping(*server, Client({"", "", File("other-ca.pem")})).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  server->Shutdown();
}

TEST_F(TransportSecurityTest, MutualTlsRefusesAClientWithoutACertificate) {
  ServerOptions options;
  options.tls = {File("server.pem"), File("server.key"), File("ca.pem")};
  std::unique_ptr<Server> server = MustStart(options);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(Ping(*server, Client({"", "", File("ca.pem")})).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Ping(*server, Client({File("client.pem"), File("client.key"), File("ca.pem")})).ok());
  server->Shutdown();
}

absl::Status StartError(ServerOptions options, const std::string& listen = "127.0.0.1:0") {
  options.listen_address = listen;
  options.run_timers = false;
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(options);
  if (server.ok()) {
    (*server)->Shutdown();
    return absl::OkStatus();
  }
  return server.status();
}

TEST_F(TransportSecurityTest, ACertificateThatDoesNotMatchItsKeyIsRefusedAtStart) {
  ServerOptions options;
  options.tls = {File("server.pem"), File("client.key"), ""};
  absl::Status status = StartError(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(File("server.pem")), std::string::npos) << status;
  EXPECT_NE(status.message().find("does not match"), std::string::npos) << status;

  options.tls = {File("missing.pem"), File("server.key"), ""};
  status = StartError(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find("missing.pem"), std::string::npos) << status;

  options.tls = {File("server.key"), File("server.key"), ""};
  status = StartError(options);
  EXPECT_NE(status.message().find("no PEM certificate"), std::string::npos) << status;
}

TEST_F(TransportSecurityTest, PlainTextOnAPublicAddressNeedsInsecure) {
  ServerOptions options;
  absl::Status status = StartError(options, "0.0.0.0:0");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("--insecure"), std::string::npos) << status;
  options.insecure = true;
  EXPECT_TRUE(StartError(options, "0.0.0.0:0").ok());
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:1"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:1"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:1"));
  EXPECT_TRUE(IsLoopbackAddress("unix:/tmp/x.sock"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1:1"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:1"));
}

TEST_F(TransportSecurityTest, BadCredentialFilesAreRefusedAtStartNamingTheFileAndTheReason) {
  std::ofstream(*dir_ / "keys.textproto")
      << "key { id: \"k1\" role: \"superuser\" tenant: \"acme\" salt: "
         "\"00112233445566778899aabbccddeeff\" sha256: "
         "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\" }\n";
  ServerOptions options;
  options.authenticate = true;
  options.auth.api_keys_file = File("keys.textproto");
  absl::Status status = StartError(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(File("keys.textproto")), std::string::npos) << status;
  EXPECT_NE(status.message().find("superuser"), std::string::npos) << status;

  std::ofstream(*dir_ / "jwks.json") << R"({"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]})";
  options.auth = AuthOptions{};
  options.auth.jwks_file = File("jwks.json");
  options.auth.jwt_issuer = "https://idp.test";
  options.auth.jwt_audience = "omniroute";
  status = StartError(options);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(File("jwks.json")), std::string::npos) << status;
  EXPECT_NE(status.message().find("no usable key"), std::string::npos) << status;

  options.auth = AuthOptions{};
  status = StartError(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("--api_keys"), std::string::npos) << status;
}

}  // namespace
}  // namespace omniroute::service
