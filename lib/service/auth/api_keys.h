// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// API keys: bearer tokens "omr_<id>_<secret>" checked against a keys file
// (proto/omniroute/v1/credentials.proto) that holds, for each key, only a
// random salt and SHA-256(salt || secret). A secret is 32 random bytes, so
// a fast hash is enough: there is nothing to guess a dictionary from.
//
// Thread-safe once loaded (const).

#ifndef OMNIROUTE_LIB_SERVICE_AUTH_API_KEYS_H_
#define OMNIROUTE_LIB_SERVICE_AUTH_API_KEYS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "omniroute/v1/credentials.pb.h"
#include "service/auth/principal.h"

namespace omniroute::service {

// Every API key token starts with this.
inline constexpr absl::string_view kApiKeyPrefix = "omr_";

class ApiKeys {
 public:
  // Reads and checks the keys file at `path`. Errors (INVALID_ARGUMENT, or
  // NOT_FOUND for a missing file) name the file and, for an entry, its
  // index and id and what is wrong: a syntax error (line and column), an
  // id given twice or with other characters than letters, digits and '-',
  // an unknown role, no tenant, an agent key without agent_id (or another
  // role with one), a salt or hash that is not hex of the right length.
  static absl::StatusOr<ApiKeys> Load(const std::string& path);
  // The same checks on entries already parsed; `source` names them in
  // errors.
  static absl::StatusOr<ApiKeys> FromProto(const ::omniroute::v1::ApiKeysFile& file,
                                           absl::string_view source);

  // The principal of `token` when it is one of the keys; UNAUTHENTICATED
  // otherwise, saying whether the id is unknown (revoked) or the secret
  // wrong, never echoing the secret.
  absl::StatusOr<Principal> Verify(absl::string_view token) const;

  int size() const { return static_cast<int>(keys_.size()); }

 private:
  struct Key {
    Principal principal;
    std::string salt;    // Raw bytes.
    std::string sha256;  // Raw bytes.
  };
  absl::flat_hash_map<std::string, Key> keys_;  // By id.
};

// A new key: its token, shown once to whoever will use it, and the entry
// for the keys file. INVALID_ARGUMENT for an id, role, tenant or agent that
// Load would refuse.
struct NewApiKey {
  std::string token;
  ::omniroute::v1::ApiKeyEntry entry;
};
absl::StatusOr<NewApiKey> MakeApiKey(absl::string_view id, absl::string_view name,
                                     absl::string_view role, absl::string_view tenant,
                                     absl::string_view agent_id);

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_AUTH_API_KEYS_H_
