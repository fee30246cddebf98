// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Verification of the JSON Web Tokens that integrators with an identity
// provider present on gRPC calls: compact JWS signed with RS256 or ES256,
// verified against the public keys of a JWKS file, then the registered
// claims `iss`, `aud`, `exp` and `nbf` checked. The cryptography is
// OpenSSL's (EVP); nothing here computes a signature by itself.
//
// Claims a token carries for authorization (read here, enforced by the
// server, not by the verifier):
//
//   "sub"       who the token is for (a string; optional).
//   "role"      one of "admin", "integration", "agent", "reader" (a string;
//               optional here: the verifier does not check the value).
//   "tenant"    the tenant the caller may act on; "*" means every tenant and
//               is meant for the "admin" role only (a string; optional).
//   "agent_id"  the agent an "agent" token acts as (a string, or an integer
//               that is turned into its decimal string; optional).
//
// A claim that is present with the wrong JSON type makes the token invalid.
// A member named twice in the header or the payload: the last one counts
// (RFC 7519 section 4).

#ifndef OMNIROUTE_LIB_SERVICE_AUTH_JWT_VERIFIER_H_
#define OMNIROUTE_LIB_SERVICE_AUTH_JWT_VERIFIER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace omniroute::service::auth {

struct JwtVerifierOptions {
  // Path of the JWKS file: a JSON object {"keys": [JWK, ...]}.
  std::string jwks_file;
  // The `iss` every token must carry, exactly. Must not be empty.
  std::string issuer;
  // The audience every token must name in `aud` (a string equal to it, or an
  // array of strings containing it). Must not be empty.
  std::string audience;
  // Clock skew tolerated on `exp` and `nbf`. Must not be negative.
  absl::Duration leeway = absl::Seconds(30);
};

// What a verified token says. Every field comes from a token whose signature
// verified and whose `iss`, `aud`, `exp` and `nbf` passed.
struct JwtClaims {
  std::string subject;                // "sub"; empty when absent
  std::string issuer;                 // "iss"
  std::vector<std::string> audience;  // "aud", as one or more strings
  absl::Time expires_at;              // "exp"
  std::optional<absl::Time> not_before;  // "nbf", when present
  std::string role;      // "role"; empty when absent
  std::string tenant;    // "tenant"; empty when absent; "*" = every tenant
  std::string agent_id;  // "agent_id"; empty when absent
  std::string algorithm;  // the header's "alg": "RS256" or "ES256"
  std::string key_id;     // the "kid" of the JWKS key that verified it
  // The payload exactly as signed (decoded from base64url): a JSON object,
  // for any claim the fields above do not carry.
  std::string payload_json;
};

// The public keys of one JWKS file and the claims tokens must carry.
//
// Immutable once loaded: Verify may be called from any number of threads at
// the same time. Reloading (on SIGHUP, say) is calling Load again and
// swapping the verifier the server uses (a std::shared_ptr swapped under a
// lock, for instance); a failed Load leaves the caller's current verifier as
// it was.
class JwtVerifier {
 public:
  // Reads `options.jwks_file` and keeps its usable keys:
  //   - "kty" "RSA" with base64url "n" and "e" and a modulus of at least
  //     2048 bits, for RS256;
  //   - "kty" "EC", "crv" "P-256", base64url "x" and "y" of 32 bytes each
  //     naming a point of the curve, for ES256.
  // A key whose "use" is present and not "sig", whose "key_ops" is present
  // and lacks "verify", whose "alg" is present and not the one of its type,
  // or that repeats the "kid" of an earlier key of its type, is skipped, and
  // why is kept in skipped_keys(). A key without "kid" is usable only by
  // tokens without "kid" (see Verify).
  //
  // Errors, each message starting with the file's path:
  //   NOT_FOUND         the file does not exist;
  //   INVALID_ARGUMENT  the file cannot be read, is too large (over 1 MiB),
  //                     is not JSON, is not an object with a "keys" array,
  //                     or has no usable key (the message says why each key
  //                     was skipped, e.g. `jwks.json: no usable key: key 0
  //                     (kid "k1"): kty "oct" is not RSA or EC`);
  //                     or the options are invalid (empty issuer or
  //                     audience, negative leeway).
  // Never throws.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Load(const JwtVerifierOptions& options);

  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // Verifies `token`, a compact JWS (three base64url parts without padding,
  // at most 16 KiB), at time `now`:
  //   - the header's "alg" is "RS256" or "ES256" ("none", "HS256" and every
  //     other value are refused), and it has no "crit"; "typ" is not
  //     checked, and keys the header offers ("jwk", "jku", "x5u", "x5c")
  //     are ignored: only the JWKS file's keys verify;
  //   - its "kid" names a key of the algorithm's type; a token without "kid"
  //     uses the only key of that type, if the file has exactly one;
  //   - the signature verifies with that key (ES256: the JOSE r||s form);
  //   - the payload is a JSON object; "iss" equals the issuer; "aud" equals
  //     the audience or is an array containing it; "exp" is present and
  //     now < exp + leeway; "nbf", when present, now >= nbf - leeway;
  //     "sub", "role", "tenant" have the types the file comment says.
  //
  // Returns the claims, or UNAUTHENTICATED with a short reason ("signature
  // does not verify", "token expired at 2026-01-01T00:00:00+00:00", `issuer
  // "x" is not the one expected`). The reason never contains the token;
  // values quoted from it are escaped and cut to 64 characters. Never throws.
  absl::StatusOr<JwtClaims> Verify(absl::string_view token, absl::Time now) const;

  // The options it was loaded with.
  const JwtVerifierOptions& options() const { return options_; }
  // How many keys are usable.
  int key_count() const;
  // Why each skipped key of the file was skipped (one line each, in file
  // order), for the server to log after a successful Load.
  const std::vector<std::string>& skipped_keys() const { return skipped_; }

 private:
  struct Key;
  JwtVerifier(JwtVerifierOptions options, std::vector<Key> keys, std::vector<std::string> skipped);

  const Key* FindKey(absl::string_view alg, const std::optional<std::string>& kid,
                     std::string* reason) const;

  JwtVerifierOptions options_;
  std::vector<Key> keys_;
  std::vector<std::string> skipped_;
};

}  // namespace omniroute::service::auth

#endif  // OMNIROUTE_LIB_SERVICE_AUTH_JWT_VERIFIER_H_
