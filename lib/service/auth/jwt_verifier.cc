// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/auth/jwt_verifier.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace omniroute::service::auth {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxTokenBytes = 16 * 1024;
constexpr size_t kMaxJwksBytes = 1024 * 1024;
constexpr int kMinRsaBits = 2048;
constexpr size_t kQuoteLimit = 64;

enum class KeyType { kRsa, kEc };

const char* TypeName(KeyType type) { return type == KeyType::kRsa ? "RSA" : "EC P-256"; }
const char* AlgOf(KeyType type) { return type == KeyType::kRsa ? "RS256" : "ES256"; }

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// A value taken from a token or a file, quoted for a message: escaped and
// cut, so that neither a long value nor control characters end up in logs.
std::string Quote(absl::string_view value) {
  bool cut = value.size() > kQuoteLimit;
  if (cut) value = value.substr(0, kQuoteLimit);
  return absl::StrCat("\"", absl::CHexEscape(value), cut ? "...\"" : "\"");
}

// What OpenSSL last complained about, and its error queue emptied (the queue
// is per thread: leaving entries behind would confuse the next caller).
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  std::string text = reason != nullptr ? reason : "unknown OpenSSL error";
  ERR_clear_error();
  return text;
}

bool IsBase64UrlText(absl::string_view text) {
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Strict base64url without padding (RFC 7515 section 2): only the alphabet,
// no '=', no whitespace.
bool DecodeBase64Url(absl::string_view text, std::string* out) {
  if (!IsBase64UrlText(text) || text.size() % 4 == 1) return false;
  return absl::WebSafeBase64Unescape(text, out);
}

// Parses `text` as JSON; nullopt when it is not. Never throws.
std::optional<json> ParseJson(absl::string_view text, std::string* error = nullptr) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    if (error != nullptr) {
      // "[json.exception.parse_error.101] parse error at ..." → "parse error at ...".
      absl::string_view what = e.what();
      if (size_t end = what.find("] "); !what.empty() && what[0] == '[' && end != what.npos) {
        what.remove_prefix(end + 2);
      }
      *error = std::string(what);
    }
    return std::nullopt;
  }
}

// The string member `name` of `object`: nullopt when absent; an error
// message in `reason` when present and not a string.
std::optional<std::string> StringMember(const json& object, const char* name, std::string* reason) {
  auto it = object.find(name);
  if (it == object.end()) return std::nullopt;
  if (!it->is_string()) {
    *reason = absl::StrCat(name, " is not a string");
    return std::nullopt;
  }
  return it->get<std::string>();
}

// --- Keys from JWK parameters ---------------------------------------------

struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// A public key from OSSL_PARAMs built by `add`; nullptr and `reason` set on
// failure.
template <typename AddParams>
PkeyPtr KeyFromData(const char* openssl_type, AddParams add, std::string* reason) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || !add(bld.get())) {
    *reason = absl::StrCat("cannot build its parameters: ", OpenSslError());
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, openssl_type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    *reason = absl::StrCat("OpenSSL refuses it: ", OpenSslError());
    return nullptr;
  }
  PkeyPtr key(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) <= 0) {
    *reason = absl::StrCat("not a valid public key: ", OpenSslError());
    return nullptr;
  }
  return key;
}

std::optional<std::string> DecodedMember(const json& jwk, const char* name, std::string* reason) {
  std::string text_reason;
  std::optional<std::string> text = StringMember(jwk, name, &text_reason);
  if (!text.has_value()) {
    *reason = text_reason.empty() ? absl::StrCat("no \"", name, "\"") : absl::StrCat("\"", name, "\" is not a string");
    return std::nullopt;
  }
  std::string bytes;
  if (text->empty() || !DecodeBase64Url(*text, &bytes)) {
    *reason = absl::StrCat("\"", name, "\" is not base64url");
    return std::nullopt;
  }
  return bytes;
}

PkeyPtr RsaKey(const json& jwk, std::string* reason) {
  std::optional<std::string> n = DecodedMember(jwk, "n", reason);
  if (!n.has_value()) return nullptr;
  std::optional<std::string> e = DecodedMember(jwk, "e", reason);
  if (!e.has_value()) return nullptr;
  std::unique_ptr<BIGNUM, BnFree> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
  if (bn_n == nullptr || bn_e == nullptr) {
    *reason = absl::StrCat("cannot read n or e: ", OpenSslError());
    return nullptr;
  }
  if (int bits = BN_num_bits(bn_n.get()); bits < kMinRsaBits) {
    *reason = absl::StrCat("RSA modulus of ", bits, " bits is shorter than ", kMinRsaBits);
    return nullptr;
  }
  if (!BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get())) {
    *reason = "RSA exponent is not an odd number above 1";
    return nullptr;
  }
  return KeyFromData(
      "RSA",
      [&](OSSL_PARAM_BLD* bld) {
        return OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
               OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1;
      },
      reason);
}

PkeyPtr EcKey(const json& jwk, std::string* reason) {
  std::string crv_reason;
  std::optional<std::string> crv = StringMember(jwk, "crv", &crv_reason);
  if (!crv.has_value()) {
    *reason = "EC key without a string \"crv\"";
    return nullptr;
  }
  if (*crv != "P-256") {
    *reason = absl::StrCat("crv ", Quote(*crv), " is not P-256");
    return nullptr;
  }
  std::optional<std::string> x = DecodedMember(jwk, "x", reason);
  if (!x.has_value()) return nullptr;
  std::optional<std::string> y = DecodedMember(jwk, "y", reason);
  if (!y.has_value()) return nullptr;
  if (x->size() != 32 || y->size() != 32) {
    *reason = "P-256 \"x\" and \"y\" must be 32 bytes each";
    return nullptr;
  }
  std::string point = absl::StrCat("\x04", *x, *y);  // uncompressed: 0x04 || x || y
  static constexpr char kGroup[] = "prime256v1";
  return KeyFromData(
      "EC",
      [&](OSSL_PARAM_BLD* bld) {
        return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, kGroup, 0) == 1 &&
               OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                                point.size()) == 1;
      },
      reason);
}

// --- Signatures -------------------------------------------------------------

// The JOSE ES256 signature r||s (32 bytes each) as the DER ECDSA-Sig-Value
// OpenSSL verifies; nullopt when it is not 64 bytes.
std::optional<std::string> JoseToDer(absl::string_view jose) {
  if (jose.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (sig == nullptr) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(jose.data());
  BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (length <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return out;
}

// Whether `signature` over `input` verifies with `key` and SHA-256 (RSA:
// PKCS #1 v1.5, OpenSSL's default; EC: a DER ECDSA signature).
bool VerifySha256(EVP_PKEY* key, absl::string_view input, absl::string_view signature) {
  struct MdCtxFree {
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  };
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  bool ok = ctx != nullptr &&
            EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  ERR_clear_error();
  return ok;
}

// --- Claims -----------------------------------------------------------------

absl::Status Unauthenticated(absl::string_view reason) { return absl::UnauthenticatedError(reason); }

// A NumericDate (RFC 7519: seconds since the epoch, maybe with a fraction).
std::optional<absl::Time> NumericDate(const json& value) {
  if (value.is_number_unsigned()) {
    auto seconds = value.get<uint64_t>();
    if (seconds > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InfiniteFuture();
    }
    return absl::FromUnixSeconds(static_cast<int64_t>(seconds));
  }
  if (value.is_number_integer()) return absl::FromUnixSeconds(value.get<int64_t>());
  if (value.is_number_float()) return absl::UnixEpoch() + absl::Seconds(value.get<double>());
  return std::nullopt;
}

std::string FormatDate(absl::Time t) { return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()); }

}  // namespace

struct JwtVerifier::Key {
  KeyType type;
  std::optional<std::string> kid;
  PkeyPtr pkey;
};

JwtVerifier::JwtVerifier(JwtVerifierOptions options, std::vector<Key> keys, std::vector<std::string> skipped)
    : options_(std::move(options)), keys_(std::move(keys)), skipped_(std::move(skipped)) {}

JwtVerifier::~JwtVerifier() = default;

int JwtVerifier::key_count() const { return static_cast<int>(keys_.size()); }

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Load(const JwtVerifierOptions& options) {
  const std::string& path = options.jwks_file;
  if (options.issuer.empty()) return absl::InvalidArgumentError("JWT verifier: the issuer is empty");
  if (options.audience.empty()) return absl::InvalidArgumentError("JWT verifier: the audience is empty");
  if (options.leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("JWT verifier: the leeway is negative");
  }

  std::string text;
  {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
      int error = errno;
      std::string why = absl::StrCat(path, ": cannot be read: ", std::strerror(error));
      if (error == ENOENT) return absl::NotFoundError(why);
      return absl::InvalidArgumentError(why);
    }
    char chunk[8192];
    size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, file)) > 0) {
      text.append(chunk, got);
      if (text.size() > kMaxJwksBytes) break;
    }
    int error = std::ferror(file) ? errno : 0;
    std::fclose(file);
    if (error != 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": cannot be read: ", std::strerror(error)));
    }
    if (text.size() > kMaxJwksBytes) return absl::InvalidArgumentError(absl::StrCat(path, ": larger than 1 MiB"));
  }

  std::string parse_error;
  std::optional<json> doc = ParseJson(text, &parse_error);
  if (!doc.has_value()) return absl::InvalidArgumentError(absl::StrCat(path, ": not JSON: ", parse_error));
  if (!doc->is_object()) return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  auto keys_it = doc->find("keys");
  if (keys_it == doc->end() || !keys_it->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no \"keys\" array"));
  }
  if (keys_it->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no usable key: \"keys\" is empty"));
  }

  std::vector<Key> keys;
  std::vector<std::string> skipped;
  try {
    for (size_t i = 0; i < keys_it->size(); ++i) {
      const json& jwk = (*keys_it)[i];
      std::string label = absl::StrCat("key ", i);
      auto skip = [&](absl::string_view reason) { skipped.push_back(absl::StrCat(label, ": ", reason)); };
      if (!jwk.is_object()) {
        skip("not a JSON object");
        continue;
      }
      std::string reason;
      std::optional<std::string> kid = StringMember(jwk, "kid", &reason);
      if (!reason.empty()) {
        skip("\"kid\" is not a string");
        continue;
      }
      if (kid.has_value()) absl::StrAppend(&label, " (kid ", Quote(*kid), ")");

      std::optional<std::string> kty = StringMember(jwk, "kty", &reason);
      if (!kty.has_value()) {
        skip(reason.empty() ? "no \"kty\"" : "\"kty\" is not a string");
        continue;
      }
      KeyType type;
      if (*kty == "RSA") {
        type = KeyType::kRsa;
      } else if (*kty == "EC") {
        type = KeyType::kEc;
      } else {
        skip(absl::StrCat("kty ", Quote(*kty), " is not RSA or EC"));
        continue;
      }

      std::optional<std::string> use = StringMember(jwk, "use", &reason);
      if (!reason.empty() || (use.has_value() && *use != "sig")) {
        skip(use.has_value() ? absl::StrCat("use ", Quote(*use), " is not \"sig\"") : "\"use\" is not a string");
        continue;
      }
      if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
        bool verify = false;
        if (ops->is_array()) {
          for (const json& op : *ops) verify = verify || (op.is_string() && op.get_ref<const std::string&>() == "verify");
        }
        if (!verify) {
          skip("key_ops does not include \"verify\"");
          continue;
        }
      }
      std::optional<std::string> alg = StringMember(jwk, "alg", &reason);
      if (!reason.empty() || (alg.has_value() && *alg != AlgOf(type))) {
        skip(alg.has_value() ? absl::StrCat("alg ", Quote(*alg), " is not ", AlgOf(type), " (", TypeName(type), " key)")
                             : "\"alg\" is not a string");
        continue;
      }

      bool duplicate = false;
      for (const Key& other : keys) duplicate = duplicate || (other.type == type && other.kid == kid);
      if (duplicate) {
        skip(kid.has_value() ? absl::StrCat("a second ", TypeName(type), " key with this kid")
                             : absl::StrCat("a second ", TypeName(type), " key without a kid"));
        continue;
      }

      PkeyPtr pkey = type == KeyType::kRsa ? RsaKey(jwk, &reason) : EcKey(jwk, &reason);
      if (pkey == nullptr) {
        skip(reason);
        continue;
      }
      keys.push_back(Key{type, std::move(kid), std::move(pkey)});
    }
  } catch (const std::exception& e) {  // nlohmann::json should not throw here; never let it escape
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot be read as a JWKS: ", e.what()));
  }

  if (keys.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no usable key: ", absl::StrJoin(skipped, "; ")));
  }
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(options, std::move(keys), std::move(skipped)));
}

const JwtVerifier::Key* JwtVerifier::FindKey(absl::string_view alg, const std::optional<std::string>& kid,
                                             std::string* reason) const {
  KeyType type = alg == "RS256" ? KeyType::kRsa : KeyType::kEc;
  if (kid.has_value()) {
    for (const Key& key : keys_) {
      if (key.type == type && key.kid == kid) return &key;
    }
    *reason = absl::StrCat("no ", TypeName(type), " key has kid ", Quote(*kid));
    return nullptr;
  }
  const Key* only = nullptr;
  int count = 0;
  for (const Key& key : keys_) {
    if (key.type == type) {
      only = &key;
      ++count;
    }
  }
  if (count == 1) return only;
  *reason = count == 0 ? absl::StrCat("no ", TypeName(type), " key for ", alg)
                       : absl::StrCat("token has no kid and there are ", count, " ", TypeName(type), " keys");
  return nullptr;
}

absl::StatusOr<JwtClaims> JwtVerifier::Verify(absl::string_view token, absl::Time now) const {
  try {
    if (token.empty()) return Unauthenticated("token is empty");
    if (token.size() > kMaxTokenBytes) return Unauthenticated("token is longer than 16 KiB");

    std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
    if (parts.size() != 3) {
      return Unauthenticated(absl::StrCat("token has ", parts.size(), " parts, not 3 (compact JWS)"));
    }
    std::string header_text, payload_text, signature;
    if (parts[0].empty() || !DecodeBase64Url(parts[0], &header_text)) {
      return Unauthenticated("header is not base64url");
    }
    if (parts[1].empty() || !DecodeBase64Url(parts[1], &payload_text)) {
      return Unauthenticated("payload is not base64url");
    }
    if (!DecodeBase64Url(parts[2], &signature)) return Unauthenticated("signature is not base64url");

    // The header: which algorithm and which key.
    std::optional<json> header = ParseJson(header_text);
    if (!header.has_value() || !header->is_object()) return Unauthenticated("header is not a JSON object");
    std::string reason;
    std::optional<std::string> alg = StringMember(*header, "alg", &reason);
    if (!alg.has_value()) return Unauthenticated(reason.empty() ? "header has no alg" : "header alg is not a string");
    if (*alg != "RS256" && *alg != "ES256") {
      return Unauthenticated(absl::StrCat("alg ", Quote(*alg), " is not accepted (RS256 or ES256 only)"));
    }
    if (header->contains("crit")) return Unauthenticated("header has crit extensions, none is understood");
    std::optional<std::string> kid = StringMember(*header, "kid", &reason);
    if (!reason.empty()) return Unauthenticated("header kid is not a string");
    const Key* key = FindKey(*alg, kid, &reason);
    if (key == nullptr) return Unauthenticated(reason);

    // The signature, over the first two parts as they are in the token.
    absl::string_view signing_input = token.substr(0, parts[0].size() + 1 + parts[1].size());
    if (key->type == KeyType::kEc) {
      std::optional<std::string> der = JoseToDer(signature);
      if (!der.has_value()) return Unauthenticated("signature does not verify");
      signature = *std::move(der);
    }
    if (!VerifySha256(key->pkey.get(), signing_input, signature)) {
      return Unauthenticated("signature does not verify");
    }

    // The claims.
    std::optional<json> payload = ParseJson(payload_text);
    if (!payload.has_value() || !payload->is_object()) return Unauthenticated("payload is not a JSON object");
    JwtClaims claims;
    claims.algorithm = *alg;
    claims.key_id = key->kid.value_or("");

    auto exp_it = payload->find("exp");
    if (exp_it == payload->end()) return Unauthenticated("token has no exp");
    std::optional<absl::Time> exp = NumericDate(*exp_it);
    if (!exp.has_value()) return Unauthenticated("exp is not a number");
    if (!(now < *exp + options_.leeway)) return Unauthenticated(absl::StrCat("token expired at ", FormatDate(*exp)));
    claims.expires_at = *exp;

    if (auto nbf_it = payload->find("nbf"); nbf_it != payload->end()) {
      std::optional<absl::Time> nbf = NumericDate(*nbf_it);
      if (!nbf.has_value()) return Unauthenticated("nbf is not a number");
      if (now < *nbf - options_.leeway) {
        return Unauthenticated(absl::StrCat("token is not valid before ", FormatDate(*nbf)));
      }
      claims.not_before = *nbf;
    }

    std::optional<std::string> iss = StringMember(*payload, "iss", &reason);
    if (!iss.has_value()) return Unauthenticated(reason.empty() ? "token has no iss" : reason);
    if (*iss != options_.issuer) {
      return Unauthenticated(absl::StrCat("issuer ", Quote(*iss), " is not the one expected"));
    }
    claims.issuer = *std::move(iss);

    auto aud_it = payload->find("aud");
    if (aud_it == payload->end()) return Unauthenticated("token has no aud");
    if (aud_it->is_string()) {
      claims.audience.push_back(aud_it->get<std::string>());
    } else if (aud_it->is_array()) {
      for (const json& one : *aud_it) {
        if (!one.is_string()) return Unauthenticated("aud is not a string or an array of strings");
        claims.audience.push_back(one.get<std::string>());
      }
    } else {
      return Unauthenticated("aud is not a string or an array of strings");
    }
    bool ours = false;
    for (const std::string& one : claims.audience) ours = ours || one == options_.audience;
    if (!ours) {
      return Unauthenticated(claims.audience.size() == 1
                                 ? absl::StrCat("audience ", Quote(claims.audience[0]), " is not the one expected")
                                 : "aud does not contain the audience expected");
    }

    for (auto [name, field] : {std::pair{"sub", &claims.subject}, std::pair{"role", &claims.role},
                               std::pair{"tenant", &claims.tenant}}) {
      std::optional<std::string> value = StringMember(*payload, name, &reason);
      if (!reason.empty()) return Unauthenticated(reason);
      if (value.has_value()) *field = *std::move(value);
    }
    if (auto agent_it = payload->find("agent_id"); agent_it != payload->end()) {
      if (agent_it->is_string()) {
        claims.agent_id = agent_it->get<std::string>();
      } else if (agent_it->is_number_unsigned()) {
        claims.agent_id = absl::StrCat(agent_it->get<uint64_t>());
      } else if (agent_it->is_number_integer()) {
        claims.agent_id = absl::StrCat(agent_it->get<int64_t>());
      } else {
        return Unauthenticated("agent_id is not a string or an integer");
      }
    }
    claims.payload_json = std::move(payload_text);
    return claims;
  } catch (const std::exception&) {  // nlohmann::json should not throw here; never let it escape
    return Unauthenticated("token cannot be read");
  }
}

}  // namespace omniroute::service::auth
