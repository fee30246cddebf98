// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Identity normalization (NormalizeIdentity, include/omniroute/identity.h) on
// any kind, network, value and default country code: an INVALID_ARGUMENT
// naming the field (an identity field or default_country_code), or an identity that is within the limits, valid
// UTF-8 and normalizes to itself again.
//
// Input: a kind byte, a country-code length byte, a network length byte, the
// country code, the network, then the value (the rest).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "omniroute/identity.h"

namespace {

void Fail(const char* what, const omniroute::Identity& identity) {
  std::fprintf(stderr, "identity_fuzzer: %s: %s\n", what, omniroute::ToString(identity).c_str());
  std::abort();
}

bool IsUtf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    size_t length = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    if (length == 0 || s.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  // Kinds 0..6 are the enum's values; 7 stands for one out of range.
  const int kind_byte = data[0] % 8;
  const auto kind = static_cast<omniroute::IdentityKind>(kind_byte == 7 ? 99 : kind_byte);
  absl::string_view rest(reinterpret_cast<const char*>(data + 3), size - 3);
  const absl::string_view country = rest.substr(0, data[1] % 5);
  rest.remove_prefix(country.size());
  const absl::string_view network = rest.substr(0, data[2]);
  rest.remove_prefix(network.size());

  omniroute::RawIdentity raw{kind, std::string(network), std::string(rest)};
  absl::StatusOr<omniroute::Identity> identity = omniroute::NormalizeIdentity(raw, country);
  if (!identity.ok()) {
    const absl::string_view message = identity.status().message();
    if (identity.status().code() != absl::StatusCode::kInvalidArgument ||
        !(absl::StartsWith(message, "identity.") ||
          absl::StartsWith(message, "default_country_code: "))) {
      std::fprintf(stderr, "identity_fuzzer: unexpected error: %s\n",
                   identity.status().ToString().c_str());
      std::abort();
    }
    return 0;
  }
  if (identity->kind != kind) Fail("kind changed", *identity);
  if (identity->value.empty()) Fail("empty value", *identity);
  if (identity->value.size() > omniroute::kMaxIdentityValueBytes) Fail("value too long", *identity);
  if (!IsUtf8(identity->value) || !IsUtf8(identity->network)) Fail("not UTF-8", *identity);
  // A normalized identity is its own normalization: what is stored matches
  // itself when it comes back from a channel.
  omniroute::RawIdentity again{identity->kind, identity->network, identity->value};
  absl::StatusOr<omniroute::Identity> twice = omniroute::NormalizeIdentity(again, country);
  if (!twice.ok()) {
    std::fprintf(stderr, "identity_fuzzer: normalized identity refused: %s\n",
                 twice.status().ToString().c_str());
    Fail("not idempotent", *identity);
  }
  if (!(*twice == *identity)) Fail("not idempotent", *twice);
  return 0;
}
