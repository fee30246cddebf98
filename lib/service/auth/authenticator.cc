// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/auth/authenticator.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace omniroute::service {

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Start(const AuthOptions& options) {
  if (options.api_keys_file.empty() && options.jwks_file.empty()) {
    return absl::InvalidArgumentError(
        "auth: no credentials to check calls against: give an API keys file (--api_keys), a "
        "JWKS file (--jwks), or both");
  }
  std::unique_ptr<Authenticator> auth(new Authenticator(options));
  if (absl::Status s = auth->Reload(); !s.ok()) return s;
  return auth;
}

absl::Status Authenticator::Reload() {
  std::shared_ptr<const ApiKeys> keys;
  if (!options_.api_keys_file.empty()) {
    absl::StatusOr<ApiKeys> loaded = ApiKeys::Load(options_.api_keys_file);
    if (!loaded.ok()) return loaded.status();
    keys = std::make_shared<const ApiKeys>(*std::move(loaded));
  }
  std::shared_ptr<const auth::JwtVerifier> jwt;
  if (!options_.jwks_file.empty()) {
    auth::JwtVerifierOptions jwt_options;
    jwt_options.jwks_file = options_.jwks_file;
    jwt_options.issuer = options_.jwt_issuer;
    jwt_options.audience = options_.jwt_audience;
    absl::StatusOr<std::unique_ptr<auth::JwtVerifier>> loaded =
        auth::JwtVerifier::Load(jwt_options);
    if (!loaded.ok()) return loaded.status();
    jwt = *std::move(loaded);
  }
  absl::MutexLock lock(&mu_);
  keys_ = std::move(keys);
  jwt_ = std::move(jwt);
  return absl::OkStatus();
}

absl::StatusOr<Principal> Authenticator::Authenticate(absl::string_view authorization,
                                                      absl::Time now) const {
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "no credential: send the metadata \"authorization: Bearer <token>\"");
  }
  absl::string_view token = absl::StripAsciiWhitespace(authorization);
  if (token.size() < 7 || !absl::EqualsIgnoreCase(token.substr(0, 7), "bearer ")) {
    return absl::UnauthenticatedError(
        "authorization: expected \"Bearer <token>\", got another scheme");
  }
  token = absl::StripLeadingAsciiWhitespace(token.substr(7));
  std::shared_ptr<const ApiKeys> keys;
  std::shared_ptr<const auth::JwtVerifier> jwt;
  {
    absl::MutexLock lock(&mu_);
    keys = keys_;
    jwt = jwt_;
  }
  if (absl::StartsWith(token, kApiKeyPrefix)) {
    if (keys == nullptr) return absl::UnauthenticatedError("this server accepts no API keys");
    return keys->Verify(token);
  }
  if (jwt == nullptr) {
    return absl::UnauthenticatedError(
        "the token is not an API key (\"omr_...\") and this "
        "server accepts no JWTs");
  }
  absl::StatusOr<auth::JwtClaims> claims = jwt->Verify(token, now);
  if (!claims.ok()) return claims.status();
  absl::StatusOr<Role> role = ParseRole(claims->role);
  if (!role.ok()) {
    return absl::UnauthenticatedError(absl::StrCat("JWT claim ", role.status().message()));
  }
  if (claims->tenant.empty()) {
    return absl::UnauthenticatedError("JWT claim tenant: required (a tenant id, or \"*\")");
  }
  if (*role == Role::kAgent && (claims->agent_id.empty() || claims->tenant == kEveryTenant)) {
    return absl::UnauthenticatedError(
        "JWT of role agent: needs an agent_id claim and one tenant, not \"*\"");
  }
  Principal principal;
  principal.name = claims->subject.empty() ? claims->issuer : claims->subject;
  principal.role = *role;
  principal.tenant = claims->tenant;
  principal.agent_id = *role == Role::kAgent ? claims->agent_id : "";
  principal.credential = Credential::kJwt;
  return principal;
}

}  // namespace omniroute::service
