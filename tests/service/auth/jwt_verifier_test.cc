// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The JWT verifier against real keys: RSA 2048 and EC P-256 key pairs made
// here with OpenSSL, their public halves written to a JWKS file in a temp
// directory, tokens signed here with OpenSSL. Every check passes `now`
// explicitly: nothing depends on the real clock.

#include "service/auth/jwt_verifier.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace omniroute::service::auth {
namespace {

using json = nlohmann::json;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kIssuer[] = "https://idp.example.com/";
constexpr char kAudience[] = "omniroute";

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);  // 2027-01-15T08:00:00Z

// --- OpenSSL helpers (test code: makes keys and signs tokens) ---------------

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey GenerateRsa(int bits = 2048) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 &&
            EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) == 1 && EVP_PKEY_keygen(ctx, &key) == 1;
  EVP_PKEY_CTX_free(ctx);
  EXPECT_TRUE(ok);
  return Pkey(key);
}
Pkey GenerateEc() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 &&
            EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1 && EVP_PKEY_keygen(ctx, &key) == 1;
  EVP_PKEY_CTX_free(ctx);
  EXPECT_TRUE(ok);
  return Pkey(key);
}

std::string B64(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

std::string BnParam(const EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1) << name;
  std::string out(pad > 0 ? pad : BN_num_bytes(bn), '\0');
  if (pad > 0) {
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), pad);
  } else {
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  }
  BN_free(bn);
  return out;
}

json RsaJwk(const EVP_PKEY* key, const std::string& kid) {
  json jwk = {{"kty", "RSA"},
              {"n", B64(BnParam(key, OSSL_PKEY_PARAM_RSA_N))},
              {"e", B64(BnParam(key, OSSL_PKEY_PARAM_RSA_E))}};
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk;
}

json EcJwk(const EVP_PKEY* key, const std::string& kid) {
  json jwk = {{"kty", "EC"},
              {"crv", "P-256"},
              {"x", B64(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, 32))},
              {"y", B64(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk;
}

// A SHA-256 signature: PKCS #1 v1.5 for RSA, DER ECDSA for EC.
std::string SignSha256(EVP_PKEY* key, absl::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  EXPECT_EQ(EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key, nullptr), 1);
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  EXPECT_EQ(EVP_DigestSign(ctx, nullptr, &length, data, input.size()), 1);
  std::string signature(length, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                           input.size()),
            1);
  signature.resize(length);
  EVP_MD_CTX_free(ctx);
  return signature;
}

// The JOSE form r||s of a DER ECDSA signature.
std::string DerToJose(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  EXPECT_NE(sig, nullptr);
  std::string out(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

std::string HmacSha256(absl::string_view secret, absl::string_view input) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t length = 0;
  EXPECT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                      reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, sizeof out,
                      &length),
            nullptr);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::string PublicPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio, key), 1);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(bio);
  return pem;
}

// A compact JWS of `header` and `payload` (JSON text, as given) signed by
// `key` as `alg` says (RS256 or ES256).
std::string SignRaw(EVP_PKEY* key, const std::string& header, const std::string& payload) {
  std::string input = absl::StrCat(B64(header), ".", B64(payload));
  std::string signature = SignSha256(key, input);
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) signature = DerToJose(signature);
  return absl::StrCat(input, ".", B64(signature));
}

json Header(const std::string& alg, const std::string& kid) {
  json header = {{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  return header;
}

json GoodClaims() {
  return {{"iss", kIssuer},
          {"aud", kAudience},
          {"sub", "integration-42"},
          {"exp", absl::ToUnixSeconds(kNow + absl::Hours(1))},
          {"nbf", absl::ToUnixSeconds(kNow - absl::Minutes(5))},
          {"iat", absl::ToUnixSeconds(kNow - absl::Minutes(5))},
          {"role", "agent"},
          {"tenant", "acme"},
          {"agent_id", 1234}};
}

// --- Fixture ------------------------------------------------------------------

class JwtVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = GenerateRsa().release();
    rsa_other_ = GenerateRsa().release();
    ec_ = GenerateEc().release();
    ec_other_ = GenerateEc().release();
  }
  static void TearDownTestSuite() {
    for (EVP_PKEY* key : {rsa_, rsa_other_, ec_, ec_other_}) EVP_PKEY_free(key);
  }

  void SetUp() override {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "jwt_verifier_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` to `name` in the temp dir; returns its path.
  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string WriteJwks(const json& keys, const std::string& name = "jwks.json") {
    return WriteFile(name, json{{"keys", keys}}.dump());
  }
  JwtVerifierOptions Options(const std::string& path) {
    return JwtVerifierOptions{.jwks_file = path, .issuer = kIssuer, .audience = kAudience};
  }
  absl::StatusOr<std::unique_ptr<JwtVerifier>> LoadKeys(const json& keys) {
    return JwtVerifier::Load(Options(WriteJwks(keys)));
  }
  // The verifier of the usual file: RSA "rsa-1" and EC "ec-1".
  std::unique_ptr<JwtVerifier> Usual() {
    auto verifier = LoadKeys(json::array({RsaJwk(rsa_, "rsa-1"), EcJwk(ec_, "ec-1")}));
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return verifier.ok() ? *std::move(verifier) : nullptr;
  }

  static std::string Rs256(const json& claims, const std::string& kid = "rsa-1", EVP_PKEY* key = nullptr) {
    return SignRaw(key ? key : rsa_, Header("RS256", kid).dump(), claims.dump());
  }
  static std::string Es256(const json& claims, const std::string& kid = "ec-1", EVP_PKEY* key = nullptr) {
    return SignRaw(key ? key : ec_, Header("ES256", kid).dump(), claims.dump());
  }

  // Verifies and expects UNAUTHENTICATED with `reason` in the message, and
  // none of the token's parts there.
  static void ExpectRefused(const JwtVerifier& verifier, const std::string& token, const std::string& reason,
                            absl::Time now = kNow) {
    absl::StatusOr<JwtClaims> claims = verifier.Verify(token, now);
    ASSERT_FALSE(claims.ok()) << "accepted: " << reason;
    EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated) << claims.status();
    EXPECT_THAT(claims.status().message(), HasSubstr(reason));
    for (absl::string_view part : absl::StrSplit(token, '.')) {
      if (part.size() >= 8) EXPECT_THAT(claims.status().message(), Not(HasSubstr(part)));
    }
  }

  static EVP_PKEY* rsa_;
  static EVP_PKEY* rsa_other_;
  static EVP_PKEY* ec_;
  static EVP_PKEY* ec_other_;
  std::filesystem::path dir_;
};

EVP_PKEY* JwtVerifierTest::rsa_ = nullptr;
EVP_PKEY* JwtVerifierTest::rsa_other_ = nullptr;
EVP_PKEY* JwtVerifierTest::ec_ = nullptr;
EVP_PKEY* JwtVerifierTest::ec_other_ = nullptr;

// --- Valid tokens ----------------------------------------------------------

TEST_F(JwtVerifierTest, ValidRs256TokenGivesItsClaims) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  EXPECT_EQ(verifier->key_count(), 2);
  EXPECT_THAT(verifier->skipped_keys(), ::testing::IsEmpty());
  json claims = GoodClaims();
  absl::StatusOr<JwtClaims> got = verifier->Verify(Rs256(claims), kNow);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->subject, "integration-42");
  EXPECT_EQ(got->issuer, kIssuer);
  EXPECT_THAT(got->audience, ElementsAre(kAudience));
  EXPECT_EQ(got->expires_at, kNow + absl::Hours(1));
  EXPECT_EQ(got->not_before, kNow - absl::Minutes(5));
  EXPECT_EQ(got->role, "agent");
  EXPECT_EQ(got->tenant, "acme");
  EXPECT_EQ(got->agent_id, "1234");
  EXPECT_EQ(got->algorithm, "RS256");
  EXPECT_EQ(got->key_id, "rsa-1");
  EXPECT_EQ(json::parse(got->payload_json), claims);
}

TEST_F(JwtVerifierTest, ValidEs256TokenGivesItsClaims) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  json claims = GoodClaims();
  claims["agent_id"] = "agent-7";
  claims["role"] = "admin";
  claims["tenant"] = "*";
  claims.erase("nbf");
  absl::StatusOr<JwtClaims> got = verifier->Verify(Es256(claims), kNow);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->agent_id, "agent-7");
  EXPECT_EQ(got->role, "admin");
  EXPECT_EQ(got->tenant, "*");
  EXPECT_EQ(got->not_before, std::nullopt);
  EXPECT_EQ(got->algorithm, "ES256");
  EXPECT_EQ(got->key_id, "ec-1");
}

TEST_F(JwtVerifierTest, OptionalClaimsMayBeAbsent) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  json claims = {{"iss", kIssuer}, {"aud", kAudience}, {"exp", absl::ToUnixSeconds(kNow) + 60}};
  absl::StatusOr<JwtClaims> got = verifier->Verify(Rs256(claims), kNow);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->subject, "");
  EXPECT_EQ(got->role, "");
  EXPECT_EQ(got->tenant, "");
  EXPECT_EQ(got->agent_id, "");
}

TEST_F(JwtVerifierTest, TokenWithoutKidUsesTheOnlyKeyOfItsType) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  EXPECT_TRUE(verifier->Verify(Rs256(GoodClaims(), ""), kNow).ok());
  EXPECT_TRUE(verifier->Verify(Es256(GoodClaims(), ""), kNow).ok());
}

TEST_F(JwtVerifierTest, TokenWithoutKidIsRefusedWhenTwoKeysCouldVerifyIt) {
  auto verifier = LoadKeys(json::array({RsaJwk(rsa_, "rsa-1"), RsaJwk(rsa_other_, "rsa-2")}));
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  ExpectRefused(**verifier, Rs256(GoodClaims(), ""), "token has no kid and there are 2 RSA keys");
  EXPECT_TRUE((*verifier)->Verify(Rs256(GoodClaims(), "rsa-2", rsa_other_), kNow).ok());
}

TEST_F(JwtVerifierTest, KeysWithUseSigAndTheirAlgAreUsable) {
  json rsa = RsaJwk(rsa_, "rsa-1");
  rsa["use"] = "sig";
  rsa["alg"] = "RS256";
  json ec = EcJwk(ec_, "ec-1");
  ec["key_ops"] = {"verify"};
  ec["alg"] = "ES256";
  auto verifier = LoadKeys(json::array({rsa, ec}));
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_EQ((*verifier)->key_count(), 2);
  EXPECT_TRUE((*verifier)->Verify(Rs256(GoodClaims()), kNow).ok());
  EXPECT_TRUE((*verifier)->Verify(Es256(GoodClaims()), kNow).ok());
}

// --- Signatures and algorithms --------------------------------------------------

TEST_F(JwtVerifierTest, SignatureByAnotherKeyWithTheSameKidIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  ExpectRefused(*verifier, Rs256(GoodClaims(), "rsa-1", rsa_other_), "signature does not verify");
  ExpectRefused(*verifier, Es256(GoodClaims(), "ec-1", ec_other_), "signature does not verify");
}

TEST_F(JwtVerifierTest, TamperedPayloadIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  for (const std::string& token : {Rs256(GoodClaims()), Es256(GoodClaims())}) {
    std::vector<std::string> parts = absl::StrSplit(token, '.');
    json claims = GoodClaims();
    claims["role"] = "admin";
    claims["tenant"] = "*";
    std::string tampered = absl::StrCat(parts[0], ".", B64(claims.dump()), ".", parts[2]);
    ExpectRefused(*verifier, tampered, "signature does not verify");
  }
}

TEST_F(JwtVerifierTest, TamperedSignatureIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  std::string token = Es256(GoodClaims());
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string signature;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[2], &signature));
  signature[10] ^= 1;
  ExpectRefused(*verifier, absl::StrCat(parts[0], ".", parts[1], ".", B64(signature)),
                "signature does not verify");
}

TEST_F(JwtVerifierTest, Es256SignatureInDerFormIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  std::string input = absl::StrCat(B64(Header("ES256", "ec-1").dump()), ".", B64(GoodClaims().dump()));
  ExpectRefused(*verifier, absl::StrCat(input, ".", B64(SignSha256(ec_, input))), "signature does not verify");
}

TEST_F(JwtVerifierTest, AlgNoneIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  std::string token = absl::StrCat(B64(json{{"alg", "none"}, {"typ", "JWT"}}.dump()), ".",
                                   B64(GoodClaims().dump()), ".");
  ExpectRefused(*verifier, token, "alg \"none\" is not accepted");
  ExpectRefused(*verifier, token.substr(0, token.size() - 1), "token has 2 parts");
}

TEST_F(JwtVerifierTest, Hs256WithTheRsaPublicKeyAsSecretIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  // The classic confusion: the public key, known to all, used as the HMAC
  // secret by a verifier that lets the token choose the algorithm.
  std::string pem = PublicPem(rsa_);
  std::string input = absl::StrCat(B64(Header("HS256", "rsa-1").dump()), ".", B64(GoodClaims().dump()));
  ExpectRefused(*verifier, absl::StrCat(input, ".", B64(HmacSha256(pem, input))), "alg \"HS256\" is not accepted");
  std::string n_secret = BnParam(rsa_, OSSL_PKEY_PARAM_RSA_N);
  ExpectRefused(*verifier, absl::StrCat(input, ".", B64(HmacSha256(n_secret, input))),
                "alg \"HS256\" is not accepted");
}

TEST_F(JwtVerifierTest, OtherAlgorithmsAreRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  for (const char* alg : {"RS384", "RS512", "PS256", "ES384", "EdDSA", "rs256", ""}) {
    std::string input = absl::StrCat(B64(Header(alg, "rsa-1").dump()), ".", B64(GoodClaims().dump()));
    ExpectRefused(*verifier, absl::StrCat(input, ".", B64(SignSha256(rsa_, input))), "is not accepted");
  }
  std::string input = absl::StrCat(B64(json{{"typ", "JWT"}}.dump()), ".", B64(GoodClaims().dump()));
  ExpectRefused(*verifier, absl::StrCat(input, ".", B64(SignSha256(rsa_, input))), "header has no alg");
}

TEST_F(JwtVerifierTest, CritHeaderIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  json header = Header("RS256", "rsa-1");
  header["crit"] = {"exp"};
  ExpectRefused(*verifier, SignRaw(rsa_, header.dump(), GoodClaims().dump()), "crit");
}

TEST_F(JwtVerifierTest, KeyOfferedInTheHeaderIsIgnored) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  // The attacker's own key in "jwk", the token signed with it: only the
  // file's keys count.
  json header = Header("RS256", "rsa-1");
  header["jwk"] = RsaJwk(rsa_other_, "rsa-1");
  header["jku"] = "https://evil.example.com/jwks.json";
  ExpectRefused(*verifier, SignRaw(rsa_other_, header.dump(), GoodClaims().dump()), "signature does not verify");
  header["kid"] = "attacker";
  header["jwk"]["kid"] = "attacker";
  ExpectRefused(*verifier, SignRaw(rsa_other_, header.dump(), GoodClaims().dump()), "no RSA key has kid");
}

TEST_F(JwtVerifierTest, UnknownKidIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  ExpectRefused(*verifier, Rs256(GoodClaims(), "rsa-9"), "no RSA key has kid \"rsa-9\"");
  // A kid of the other type: an RS256 token does not get the EC key.
  ExpectRefused(*verifier, Rs256(GoodClaims(), "ec-1"), "no RSA key has kid \"ec-1\"");
  ExpectRefused(*verifier, Es256(GoodClaims(), "rsa-1"), "no EC P-256 key has kid \"rsa-1\"");
}

TEST_F(JwtVerifierTest, AlgorithmWithoutAKeyOfItsTypeIsRefused) {
  auto verifier = LoadKeys(json::array({RsaJwk(rsa_, "rsa-1")}));
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  ExpectRefused(**verifier, Es256(GoodClaims(), ""), "no EC P-256 key for ES256");
}

// --- Time ---------------------------------------------------------------------

TEST_F(JwtVerifierTest, ExpiredTokenIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  json claims = GoodClaims();
  claims["exp"] = absl::ToUnixSeconds(kNow - absl::Hours(1));
  ExpectRefused(*verifier, Rs256(claims), "token expired at 2027-01-15T07:00:00+00:00");
}

TEST_F(JwtVerifierTest, TokenNotYetValidIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  json claims = GoodClaims();
  claims["nbf"] = absl::ToUnixSeconds(kNow + absl::Minutes(10));
  ExpectRefused(*verifier, Es256(claims), "token is not valid before 2027-01-15T08:10:00+00:00");
}

TEST_F(JwtVerifierTest, LeewayIsRespectedOnExpAndNbf) {
  auto verifier = Usual();  // leeway 30 s
  ASSERT_NE(verifier, nullptr);
  json claims = GoodClaims();
  int64_t now = absl::ToUnixSeconds(kNow);

  claims["exp"] = now - 29;
  EXPECT_TRUE(verifier->Verify(Rs256(claims), kNow).ok());
  claims["exp"] = now - 30;
  ExpectRefused(*verifier, Rs256(claims), "token expired");
  claims["exp"] = now + 60;

  claims["nbf"] = now + 30;
  EXPECT_TRUE(verifier->Verify(Rs256(claims), kNow).ok());
  claims["nbf"] = now + 31;
  ExpectRefused(*verifier, Rs256(claims), "not valid before");

  // A leeway of zero: exp is the first instant the token is refused.
  JwtVerifierOptions options = verifier->options();
  options.leeway = absl::ZeroDuration();
  auto strict = JwtVerifier::Load(options);
  ASSERT_TRUE(strict.ok()) << strict.status();
  claims["nbf"] = now;
  claims["exp"] = now + 1;
  EXPECT_TRUE((*strict)->Verify(Rs256(claims), kNow).ok());
  EXPECT_TRUE((*strict)->Verify(Rs256(claims), kNow + absl::Milliseconds(999)).ok());
  ExpectRefused(**strict, Rs256(claims), "token expired", kNow + absl::Seconds(1));
  ExpectRefused(**strict, Rs256(claims), "not valid before", kNow - absl::Milliseconds(1));
}

TEST_F(JwtVerifierTest, FractionalNumericDatesAreRead) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  json claims = GoodClaims();
  claims["exp"] = static_cast<double>(absl::ToUnixSeconds(kNow)) + 100.5;
  absl::StatusOr<JwtClaims> got = verifier->Verify(Rs256(claims), kNow);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->expires_at, kNow + absl::Milliseconds(100'500));
}

TEST_F(JwtVerifierTest, MissingOrMistypedExpIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  json claims = GoodClaims();
  claims.erase("exp");
  ExpectRefused(*verifier, Rs256(claims), "token has no exp");
  claims["exp"] = absl::StrCat(absl::ToUnixSeconds(kNow) + 3600);
  ExpectRefused(*verifier, Rs256(claims), "exp is not a number");
  claims["exp"] = absl::ToUnixSeconds(kNow) + 3600;
  claims["nbf"] = "yesterday";
  ExpectRefused(*verifier, Rs256(claims), "nbf is not a number");
}

// --- Issuer and audience ---------------------------------------------------------

TEST_F(JwtVerifierTest, WrongIssuerIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  json claims = GoodClaims();
  claims["iss"] = "https://evil.example.com/";
  ExpectRefused(*verifier, Rs256(claims), "issuer \"https://evil.example.com/\" is not the one expected");
  claims["iss"] = "https://idp.example.com";  // no trailing slash: not the same
  ExpectRefused(*verifier, Rs256(claims), "is not the one expected");
  claims.erase("iss");
  ExpectRefused(*verifier, Rs256(claims), "token has no iss");
}

TEST_F(JwtVerifierTest, WrongAudienceIsRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  json claims = GoodClaims();
  claims["aud"] = "billing";
  ExpectRefused(*verifier, Es256(claims), "audience \"billing\" is not the one expected");
  claims["aud"] = {"billing", "crm"};
  ExpectRefused(*verifier, Es256(claims), "aud does not contain the audience expected");
  claims["aud"] = json::array();
  ExpectRefused(*verifier, Es256(claims), "aud does not contain");
  claims["aud"] = {kAudience, 7};
  ExpectRefused(*verifier, Es256(claims), "aud is not a string or an array of strings");
  claims.erase("aud");
  ExpectRefused(*verifier, Es256(claims), "token has no aud");
}

TEST_F(JwtVerifierTest, AudienceArrayContainingOursIsAccepted) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  json claims = GoodClaims();
  claims["aud"] = {"billing", kAudience, "crm"};
  absl::StatusOr<JwtClaims> got = verifier->Verify(Rs256(claims), kNow);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(got->audience, ElementsAre("billing", kAudience, "crm"));
}

TEST_F(JwtVerifierTest, ClaimsOfTheWrongTypeAreRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  for (const char* name : {"sub", "role", "tenant"}) {
    json claims = GoodClaims();
    claims[name] = {{"x", 1}};
    ExpectRefused(*verifier, Rs256(claims), absl::StrCat(name, " is not a string"));
  }
  json claims = GoodClaims();
  claims["agent_id"] = 1.5;
  ExpectRefused(*verifier, Rs256(claims), "agent_id is not a string or an integer");
}

TEST_F(JwtVerifierTest, AMemberNamedTwiceCountsWithItsLastValue) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  int64_t exp = absl::ToUnixSeconds(kNow) + 60;
  std::string payload = absl::StrCat(R"({"iss":"https://evil.example.com/","aud":"omniroute","exp":)", exp,
                                     R"(,"iss":"https://idp.example.com/"})");
  EXPECT_TRUE(verifier->Verify(SignRaw(rsa_, Header("RS256", "rsa-1").dump(), payload), kNow).ok());
  payload = absl::StrCat(R"({"iss":"https://idp.example.com/","aud":"omniroute","exp":)", exp,
                         R"(,"iss":"https://evil.example.com/"})");
  ExpectRefused(*verifier, SignRaw(rsa_, Header("RS256", "rsa-1").dump(), payload), "evil");
}

// --- Malformed tokens -------------------------------------------------------------

TEST_F(JwtVerifierTest, MalformedTokensAreRefused) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  std::string good = Rs256(GoodClaims());
  std::vector<std::string> parts = absl::StrSplit(good, '.');

  ExpectRefused(*verifier, "", "token is empty");
  ExpectRefused(*verifier, absl::StrCat(parts[0], ".", parts[1]), "token has 2 parts, not 3");
  ExpectRefused(*verifier, absl::StrCat(good, ".", parts[2]), "token has 4 parts, not 3");
  ExpectRefused(*verifier, absl::StrCat(parts[0], "=.", parts[1], ".", parts[2]), "header is not base64url");
  ExpectRefused(*verifier, absl::StrCat(parts[0], ".", parts[1], "!.", parts[2]), "payload is not base64url");
  ExpectRefused(*verifier, absl::StrCat(parts[0], ".", parts[1], ".", parts[2], "+"), "signature is not base64url");
  ExpectRefused(*verifier, absl::StrCat(".", parts[1], ".", parts[2]), "header is not base64url");
  ExpectRefused(*verifier, absl::StrCat(parts[0], " .", parts[1], ".", parts[2]), "header is not base64url");
  ExpectRefused(*verifier, std::string(20000, 'a'), "longer than 16 KiB");

  ExpectRefused(*verifier, SignRaw(rsa_, "{\"alg\":\"RS256\"", GoodClaims().dump()), "header is not a JSON object");
  ExpectRefused(*verifier, SignRaw(rsa_, "[\"RS256\"]", GoodClaims().dump()), "header is not a JSON object");
  ExpectRefused(*verifier, SignRaw(rsa_, Header("RS256", "rsa-1").dump(), "[1,2,3]"),
                "payload is not a JSON object");
  ExpectRefused(*verifier, SignRaw(rsa_, Header("RS256", "rsa-1").dump(), "{\"exp\":"),
                "payload is not a JSON object");
  ExpectRefused(*verifier, SignRaw(rsa_, Header("RS256", "rsa-1").dump(), "\xff\xfe"),
                "payload is not a JSON object");
  json header = Header("RS256", "");
  header["kid"] = 1;
  ExpectRefused(*verifier, SignRaw(rsa_, header.dump(), GoodClaims().dump()), "header kid is not a string");
}

TEST_F(JwtVerifierTest, VerifyIsSafeFromManyThreads) {
  auto verifier = Usual();
  ASSERT_NE(verifier, nullptr);
  std::vector<std::string> tokens = {Rs256(GoodClaims()), Es256(GoodClaims()),
                                     Rs256(GoodClaims(), "rsa-1", rsa_other_)};
  std::vector<int> accepted(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) accepted[t] += verifier->Verify(tokens[i % 3], kNow).ok() ? 1 : 0;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(accepted, ElementsAre(40, 40, 40, 40));
}

// --- JWKS files -----------------------------------------------------------------

TEST_F(JwtVerifierTest, MissingJwksFileIsNotFoundAndNamed) {
  std::string path = (dir_ / "absent.json").string();
  auto verifier = JwtVerifier::Load(Options(path));
  ASSERT_FALSE(verifier.ok());
  EXPECT_EQ(verifier.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(verifier.status().message(),
              AllOf(HasSubstr(path), HasSubstr("cannot be read"), HasSubstr("No such file")));
}

TEST_F(JwtVerifierTest, JwksThatIsADirectoryIsRefused) {
  auto verifier = JwtVerifier::Load(Options(dir_.string()));
  ASSERT_FALSE(verifier.ok());
  EXPECT_EQ(verifier.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(verifier.status().message(), AllOf(HasSubstr(dir_.string()), HasSubstr("cannot be read")));
}

TEST_F(JwtVerifierTest, JwksThatIsNotJsonIsRefused) {
  std::string path = WriteFile("jwks.json", "{\"keys\": [");
  auto verifier = JwtVerifier::Load(Options(path));
  ASSERT_FALSE(verifier.ok());
  EXPECT_EQ(verifier.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(verifier.status().message(), AllOf(HasSubstr(path + ": not JSON: "), HasSubstr("parse error")));
}

TEST_F(JwtVerifierTest, JwksWithoutKeysIsRefused) {
  struct Case {
    std::string text;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{{"[]", "not a JSON object"},
                                         {"{}", "no \"keys\" array"},
                                         {"{\"keys\": {}}", "no \"keys\" array"},
                                         {"{\"keys\": []}", "no usable key: \"keys\" is empty"},
                                         {"", "not JSON"}}) {
    std::string path = WriteFile("jwks.json", c.text);
    auto verifier = JwtVerifier::Load(Options(path));
    ASSERT_FALSE(verifier.ok()) << c.text;
    EXPECT_EQ(verifier.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(verifier.status().message(), HasSubstr(absl::StrCat(path, ": ", c.reason))) << c.text;
  }
}

TEST_F(JwtVerifierTest, JwksWithOnlyUnusableKeysIsRefusedWithEveryReason) {
  Pkey small_rsa = GenerateRsa(1024);
  json oct = {{"kty", "oct"}, {"kid", "k1"}, {"k", B64("secret")}};
  json enc = RsaJwk(rsa_, "enc-1");
  enc["use"] = "enc";
  json rs384 = RsaJwk(rsa_, "rs384");
  rs384["alg"] = "RS384";
  json rsa_as_es = RsaJwk(rsa_, "rsa-es");
  rsa_as_es["alg"] = "ES256";
  json p384 = EcJwk(ec_, "p384");
  p384["crv"] = "P-384";
  json off_curve = EcJwk(ec_, "off-curve");
  std::string y;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(off_curve["y"].get<std::string>(), &y));
  y[31] ^= 1;
  off_curve["y"] = B64(y);
  json no_n = RsaJwk(rsa_, "no-n");
  no_n.erase("n");
  json bad_e = RsaJwk(rsa_, "bad-e");
  bad_e["e"] = "AQAB==";
  json encrypt_only = EcJwk(ec_, "ops");
  encrypt_only["key_ops"] = {"encrypt"};
  json short_x = EcJwk(ec_, "short-x");
  short_x["x"] = B64("too short");

  std::string path = WriteJwks(json::array({oct, enc, rs384, rsa_as_es, RsaJwk(small_rsa.get(), "small"), p384,
                                            off_curve, no_n, bad_e, encrypt_only, short_x, 42, {{"n", "x"}}}));
  auto verifier = JwtVerifier::Load(Options(path));
  ASSERT_FALSE(verifier.ok());
  EXPECT_EQ(verifier.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(verifier.status().message());
  EXPECT_THAT(message, HasSubstr(absl::StrCat(path, ": no usable key: ")));
  EXPECT_THAT(message, HasSubstr("key 0 (kid \"k1\"): kty \"oct\" is not RSA or EC"));
  EXPECT_THAT(message, HasSubstr("key 1 (kid \"enc-1\"): use \"enc\" is not \"sig\""));
  EXPECT_THAT(message, HasSubstr("key 2 (kid \"rs384\"): alg \"RS384\" is not RS256 (RSA key)"));
  EXPECT_THAT(message, HasSubstr("key 3 (kid \"rsa-es\"): alg \"ES256\" is not RS256 (RSA key)"));
  EXPECT_THAT(message, HasSubstr("key 4 (kid \"small\"): RSA modulus of 1024 bits is shorter than 2048"));
  EXPECT_THAT(message, HasSubstr("key 5 (kid \"p384\"): crv \"P-384\" is not P-256"));
  EXPECT_THAT(message, HasSubstr("key 6 (kid \"off-curve\"): OpenSSL refuses it: point is not on curve"));
  EXPECT_THAT(message, HasSubstr("key 7 (kid \"no-n\"): no \"n\""));
  EXPECT_THAT(message, HasSubstr("key 8 (kid \"bad-e\"): \"e\" is not base64url"));
  EXPECT_THAT(message, HasSubstr("key 9 (kid \"ops\"): key_ops does not include \"verify\""));
  EXPECT_THAT(message, HasSubstr("key 10 (kid \"short-x\"): P-256 \"x\" and \"y\" must be 32 bytes each"));
  EXPECT_THAT(message, HasSubstr("key 11: not a JSON object"));
  EXPECT_THAT(message, HasSubstr("key 12: no \"kty\""));
}

TEST_F(JwtVerifierTest, UnusableKeysNextToUsableOnesAreSkippedAndSaidWhy) {
  json oct = {{"kty", "oct"}, {"kid", "k1"}, {"k", B64("secret")}};
  auto verifier = LoadKeys(json::array({oct, RsaJwk(rsa_, "rsa-1"), RsaJwk(rsa_other_, "rsa-1")}));
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_EQ((*verifier)->key_count(), 1);
  EXPECT_THAT((*verifier)->skipped_keys(),
              ElementsAre("key 0 (kid \"k1\"): kty \"oct\" is not RSA or EC",
                          "key 2 (kid \"rsa-1\"): a second RSA key with this kid"));
  // The first key with the kid is the one used.
  EXPECT_TRUE((*verifier)->Verify(Rs256(GoodClaims()), kNow).ok());
  ExpectRefused(**verifier, Rs256(GoodClaims(), "rsa-1", rsa_other_), "signature does not verify");
}

TEST_F(JwtVerifierTest, InvalidOptionsAreRefused) {
  std::string path = WriteJwks(json::array({RsaJwk(rsa_, "rsa-1")}));
  JwtVerifierOptions options = Options(path);
  options.issuer = "";
  EXPECT_EQ(JwtVerifier::Load(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options(path);
  options.audience = "";
  EXPECT_EQ(JwtVerifier::Load(options).status().code(), absl::StatusCode::kInvalidArgument);
  options = Options(path);
  options.leeway = absl::Seconds(-1);
  EXPECT_EQ(JwtVerifier::Load(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(JwtVerifierTest, LoadingAgainReadsTheFileAsItIsNow) {
  std::string path = WriteJwks(json::array({RsaJwk(rsa_, "rsa-1")}));
  auto before = JwtVerifier::Load(Options(path));
  ASSERT_TRUE(before.ok()) << before.status();
  // The identity provider rotates its key: the file gets a new one.
  WriteJwks(json::array({RsaJwk(rsa_other_, "rsa-2")}));
  auto after = JwtVerifier::Load(Options(path));
  ASSERT_TRUE(after.ok()) << after.status();

  std::string old_token = Rs256(GoodClaims(), "rsa-1");
  std::string new_token = Rs256(GoodClaims(), "rsa-2", rsa_other_);
  EXPECT_TRUE((*before)->Verify(old_token, kNow).ok());
  EXPECT_FALSE((*before)->Verify(new_token, kNow).ok());
  EXPECT_FALSE((*after)->Verify(old_token, kNow).ok());
  EXPECT_TRUE((*after)->Verify(new_token, kNow).ok());
}

}  // namespace
}  // namespace omniroute::service::auth
