// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/transport_security.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace omniroute::service {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, ": ", path, ": cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The first certificate of `pem`, or an error naming `path`.
absl::StatusOr<X509*> FirstCertificate(const std::string& pem, const std::string& path,
                                       absl::string_view what) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* certificate = bio != nullptr ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (certificate == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", path, ": holds no PEM certificate"));
  }
  return certificate;
}

absl::StatusOr<EVP_PKEY*> PrivateKey(const std::string& pem, const std::string& path,
                                     absl::string_view what) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key =
      bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", path, ": holds no PEM private key (or it is encrypted)"));
  }
  return key;
}

// The certificate chain and key of `files`, checked to belong together.
absl::Status CheckPair(const TlsFiles& files, const std::string& cert_pem,
                       const std::string& key_pem, absl::string_view cert_flag,
                       absl::string_view key_flag) {
  absl::StatusOr<X509*> certificate = FirstCertificate(cert_pem, files.cert_file, cert_flag);
  if (!certificate.ok()) return certificate.status();
  absl::StatusOr<EVP_PKEY*> key = PrivateKey(key_pem, files.key_file, key_flag);
  if (!key.ok()) {
    X509_free(*certificate);
    return key.status();
  }
  const bool match = X509_check_private_key(*certificate, *key) == 1;
  X509_free(*certificate);
  EVP_PKEY_free(*key);
  if (!match) {
    return absl::InvalidArgumentError(absl::StrCat(cert_flag, ": ", files.cert_file,
                                                   ": the certificate does not match the key in ",
                                                   files.key_file));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:")) {
    return true;
  }
  absl::string_view host = address;
  if (absl::StartsWith(host, "[")) {
    host = host.substr(1, host.find(']') == absl::string_view::npos ? 0 : host.find(']') - 1);
  } else if (const size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files, absl::string_view address, bool insecure) {
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert, tls_key: give both (the certificate and its private key), or neither");
  }
  if (files.cert_file.empty()) {
    if (!files.ca_file.empty()) {
      return absl::InvalidArgumentError(
          "tls_client_ca: mutual TLS needs the server's own certificate (tls_cert, tls_key)");
    }
    if (!insecure && !IsLoopbackAddress(address)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "listen_address: ", address,
          " can be reached from other machines: give a certificate (--tls_cert, --tls_key), or "
          "--insecure to serve it in plain text anyway"));
    }
    return grpc::InsecureServerCredentials();
  }
  absl::StatusOr<std::string> cert = ReadPem(files.cert_file, "tls_cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(files.key_file, "tls_key");
  if (!key.ok()) return key.status();
  if (absl::Status s = CheckPair(files, *cert, *key, "tls_cert", "tls_key"); !s.ok()) return s;
  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!files.ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(files.ca_file, "tls_client_ca");
    if (!ca.ok()) return ca.status();
    absl::StatusOr<X509*> first = FirstCertificate(*ca, files.ca_file, "tls_client_ca");
    if (!first.ok()) return first.status();
    X509_free(*first);
    options.pem_root_certs = *ca;
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files) {
  if (files.cert_file.empty() && files.key_file.empty() && files.ca_file.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert, tls_key: give both (the client certificate and its private key), or neither");
  }
  grpc::SslCredentialsOptions options;
  if (!files.ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(files.ca_file, "tls_ca");
    if (!ca.ok()) return ca.status();
    absl::StatusOr<X509*> first = FirstCertificate(*ca, files.ca_file, "tls_ca");
    if (!first.ok()) return first.status();
    X509_free(*first);
    options.pem_root_certs = *ca;
  }
  if (!files.cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadPem(files.cert_file, "tls_cert");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem(files.key_file, "tls_key");
    if (!key.ok()) return key.status();
    if (absl::Status s = CheckPair(files, *cert, *key, "tls_cert", "tls_key"); !s.ok()) return s;
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return grpc::SslCredentials(options);
}

}  // namespace omniroute::service
