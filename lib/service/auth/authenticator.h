// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Authenticator: turns the bearer token of a call (gRPC metadata
// `authorization: Bearer <token>`) into the principal it stands for, from
// the server's credentials: API keys (api_keys.h) and JWTs from an identity
// provider (jwt_verifier.h). Reload() reads the files again, so that a key
// is added or revoked without a restart (omniroute-server does it on
// SIGHUP).
//
// Thread-safe: Authenticate runs on every call, concurrently with Reload.

#ifndef OMNIROUTE_LIB_SERVICE_AUTH_AUTHENTICATOR_H_
#define OMNIROUTE_LIB_SERVICE_AUTH_AUTHENTICATOR_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/auth/api_keys.h"
#include "service/auth/jwt_verifier.h"
#include "service/auth/principal.h"

namespace omniroute::service {

struct AuthOptions {
  // The API keys file (proto/omniroute/v1/credentials.proto). Empty: no API
  // keys are accepted.
  std::string api_keys_file;
  // JWTs: the JWKS file of the identity provider's public keys, and the
  // issuer and audience a token must name (jwt_verifier.h). Empty
  // jwks_file: no JWTs are accepted.
  std::string jwks_file;
  std::string jwt_issuer;
  std::string jwt_audience;
};

class Authenticator {
 public:
  // Loads the credentials. INVALID_ARGUMENT when no source is given, or the
  // error of a file (naming it and the reason: a keys file with an unknown
  // role, a JWKS without a usable key, ...).
  static absl::StatusOr<std::unique_ptr<Authenticator>> Start(const AuthOptions& options);

  // Reads the files again. On error the credentials in use stay as they
  // were, and the error (naming the file) is returned.
  absl::Status Reload();

  // The principal of `authorization`, the metadata's value ("Bearer
  // <token>", the scheme in any case). UNAUTHENTICATED when it is empty,
  // of another scheme, or a token that no credential accepts (saying why,
  // never echoing a secret).
  absl::StatusOr<Principal> Authenticate(absl::string_view authorization, absl::Time now) const;

 private:
  explicit Authenticator(AuthOptions options) : options_(std::move(options)) {}

  const AuthOptions options_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const ApiKeys> keys_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const auth::JwtVerifier> jwt_ ABSL_GUARDED_BY(mu_);
};

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_AUTH_AUTHENTICATOR_H_
