// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "common/client_channel.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpcpp/support/client_interceptor.h"

namespace omniroute::tools {
namespace {

class BearerInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit BearerInterceptor(const std::string* value) : value_(value) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace("authorization", *value_);
    }
    methods->Proceed();
  }

 private:
  const std::string* value_;
};

class BearerInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerInterceptorFactory(std::string token) : value_("Bearer " + std::move(token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new BearerInterceptor(&value_);
  }

 private:
  // Outlives the channel's interceptors: the factory lives as long as the
  // channel (it is owned by it).
  const std::string value_;
};

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The host of one address ("host:port", "[v6]:port", "v6" without a port).
absl::string_view HostOf(absl::string_view address) {
  if (absl::ConsumePrefix(&address, "[")) return address.substr(0, address.find(']'));
  if (std::count(address.begin(), address.end(), ':') > 1) return address;  // Bare IPv6.
  return address.substr(0, address.find(':'));
}

bool IsLoopbackHost(absl::string_view host) {
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  absl::ConsumePrefix(&host, "::ffff:");
  if (host == "::1") return true;
  std::vector<absl::string_view> octets = absl::StrSplit(host, '.');
  int first = 0;
  return octets.size() == 4 && absl::SimpleAtoi(octets[0], &first) && first == 127;
}

}  // namespace

bool IsLoopbackTarget(const std::string& target) {
  absl::string_view rest = target;
  if (absl::StartsWith(rest, "unix:") || absl::StartsWith(rest, "unix-abstract:")) return true;
  for (absl::string_view scheme : {"dns:///", "dns:", "ipv4:", "ipv6:"}) {
    if (absl::ConsumePrefix(&rest, scheme)) break;
  }
  if (rest.empty()) return false;
  for (absl::string_view address : absl::StrSplit(rest, ',')) {
    if (!IsLoopbackHost(HostOf(absl::StripAsciiWhitespace(address)))) return false;
  }
  return true;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenClientChannel(
    const std::string& target, const ClientSecurity& security, const grpc::ChannelArguments& args) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!security.tls_ca.empty() || !security.tls_cert.empty() || !security.tls_key.empty()) {
    if (security.tls_cert.empty() != security.tls_key.empty()) {
      return absl::InvalidArgumentError(
          "--tls_cert, --tls_key: give both (the client certificate and its key), or neither");
    }
    grpc::SslCredentialsOptions options;
    if (!security.tls_ca.empty()) {
      absl::StatusOr<std::string> ca = ReadFile(security.tls_ca, "--tls_ca");
      if (!ca.ok()) return ca.status();
      options.pem_root_certs = *ca;
    }
    if (!security.tls_cert.empty()) {
      absl::StatusOr<std::string> cert = ReadFile(security.tls_cert, "--tls_cert");
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadFile(security.tls_key, "--tls_key");
      if (!key.ok()) return key.status();
      options.pem_cert_chain = *cert;
      options.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(options);
  }
  const bool tls =
      !security.tls_ca.empty() || !security.tls_cert.empty() || !security.tls_key.empty();
  if (!security.token.empty() && !tls && !security.insecure && !IsLoopbackTarget(target)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--token: the credential would go in clear to ", target,
        ", which is not on this machine; speak TLS (--tls_ca), or say --insecure if something "
        "else encrypts the link"));
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (!security.token.empty()) {
    interceptors.push_back(std::make_unique<BearerInterceptorFactory>(security.token));
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(target, credentials, args,
                                                                 std::move(interceptors));
}

}  // namespace omniroute::tools
