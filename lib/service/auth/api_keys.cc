// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/auth/api_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace omniroute::service {
namespace {

using ::omniroute::v1::ApiKeyEntry;
using ::omniroute::v1::ApiKeysFile;

constexpr int kSecretBytes = 32;
constexpr int kSaltBytes = 16;
constexpr int kSha256Bytes = 32;

std::string Sha256(absl::string_view salt, absl::string_view secret) {
  std::string digest(kSha256Bytes, '\0');
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  unsigned int size = 0;
  const bool ok =
      context != nullptr && EVP_DigestInit_ex(context, EVP_sha256(), nullptr) == 1 &&
      EVP_DigestUpdate(context, salt.data(), salt.size()) == 1 &&
      EVP_DigestUpdate(context, secret.data(), secret.size()) == 1 &&
      EVP_DigestFinal_ex(context, reinterpret_cast<unsigned char*>(digest.data()), &size) == 1;
  EVP_MD_CTX_free(context);
  // SHA-256 is always there in OpenSSL; an empty digest matches nothing.
  return ok ? digest : std::string();
}

bool ValidId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

// Hex of min_bytes to max_bytes bytes, decoded into `out`; false otherwise.
bool DecodeHex(absl::string_view hex, size_t min_bytes, size_t max_bytes, std::string* out) {
  if (hex.size() % 2 != 0 || hex.size() / 2 < min_bytes || hex.size() / 2 > max_bytes) {
    return false;
  }
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  *out = absl::HexStringToBytes(hex);
  return true;
}

class ErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty())
      first_ = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

}  // namespace

absl::StatusOr<ApiKeys> ApiKeys::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the API keys file"));
  }
  std::stringstream text;
  text << in.rdbuf();
  ApiKeysFile file;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text.str(), &file)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", errors.first()));
  }
  return FromProto(file, path);
}

absl::StatusOr<ApiKeys> ApiKeys::FromProto(const ApiKeysFile& file, absl::string_view source) {
  ApiKeys keys;
  for (int i = 0; i < file.key_size(); ++i) {
    const ApiKeyEntry& entry = file.key(i);
    auto fail = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": key ", i, " (id \"", entry.id(), "\"): ", why));
    };
    if (!ValidId(entry.id())) {
      return fail("id: must be 1 to 64 letters, digits or '-'");
    }
    absl::StatusOr<Role> role = ParseRole(entry.role());
    if (!role.ok()) return fail(role.status().message());
    if (entry.tenant().empty())
      return fail("tenant: required (a tenant id, or \"*\" for every tenant)");
    if (*role == Role::kAgent && entry.agent_id().empty()) {
      return fail("agent_id: required for role agent");
    }
    if (*role != Role::kAgent && !entry.agent_id().empty()) {
      return fail("agent_id: only for role agent");
    }
    if (*role == Role::kAgent && entry.tenant() == kEveryTenant) {
      return fail("tenant: an agent belongs to one tenant, not \"*\"");
    }
    Key key;
    if (!DecodeHex(entry.salt(), kSaltBytes, 64, &key.salt)) {
      return fail("salt: must be 16 to 64 bytes in hex");
    }
    if (!DecodeHex(entry.sha256(), kSha256Bytes, kSha256Bytes, &key.sha256)) {
      return fail("sha256: must be 32 bytes in hex");
    }
    key.principal.name = entry.name().empty() ? entry.id() : entry.name();
    key.principal.role = *role;
    key.principal.tenant = entry.tenant();
    key.principal.agent_id = entry.agent_id();
    key.principal.credential = Credential::kApiKey;
    if (!keys.keys_.emplace(entry.id(), std::move(key)).second) {
      return fail("id: given twice");
    }
  }
  return keys;
}

absl::StatusOr<Principal> ApiKeys::Verify(absl::string_view token) const {
  if (!absl::StartsWith(token, kApiKeyPrefix)) {
    return absl::UnauthenticatedError("not an API key (it does not start with \"omr_\")");
  }
  absl::string_view rest = token.substr(kApiKeyPrefix.size());
  const size_t separator = rest.find('_');
  if (separator == absl::string_view::npos || separator == 0 || separator + 1 == rest.size()) {
    return absl::UnauthenticatedError("malformed API key: expected omr_<id>_<secret>");
  }
  const absl::string_view id = rest.substr(0, separator);
  const absl::string_view secret = rest.substr(separator + 1);
  auto it = keys_.find(id);
  if (it == keys_.end()) {
    return absl::UnauthenticatedError(absl::StrCat("API key \"", id, "\" is unknown or revoked"));
  }
  const std::string digest = Sha256(it->second.salt, secret);
  if (digest.size() != it->second.sha256.size() ||
      CRYPTO_memcmp(digest.data(), it->second.sha256.data(), digest.size()) != 0) {
    return absl::UnauthenticatedError(absl::StrCat("API key \"", id, "\": wrong secret"));
  }
  return it->second.principal;
}

absl::StatusOr<NewApiKey> MakeApiKey(absl::string_view id, absl::string_view name,
                                     absl::string_view role, absl::string_view tenant,
                                     absl::string_view agent_id) {
  std::string secret(kSecretBytes, '\0');
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), kSecretBytes) != 1 ||
      RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), kSaltBytes) != 1) {
    return absl::InternalError("OpenSSL could not produce random bytes");
  }
  NewApiKey key;
  const std::string encoded = absl::WebSafeBase64Escape(secret);
  key.token = absl::StrCat(kApiKeyPrefix, id, "_", encoded);
  key.entry.set_id(std::string(id));
  key.entry.set_name(std::string(name));
  key.entry.set_role(std::string(role));
  key.entry.set_tenant(std::string(tenant));
  key.entry.set_agent_id(std::string(agent_id));
  key.entry.set_salt(absl::BytesToHexString(salt));
  key.entry.set_sha256(absl::BytesToHexString(Sha256(salt, encoded)));
  // The same checks as a keys file gets.
  ApiKeysFile file;
  *file.add_key() = key.entry;
  absl::StatusOr<ApiKeys> check = ApiKeys::FromProto(file, "new key");
  if (!check.ok()) return check.status();
  return key;
}

}  // namespace omniroute::service
