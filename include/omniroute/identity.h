// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Identities: how a customer is known on a channel, and their normalization.
// Two raw identities that normalize to the same Identity are the same person.

#ifndef OMNIROUTE_IDENTITY_H_
#define OMNIROUTE_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "omniroute/types.h"

namespace omniroute {

// A normalized identity: what the library stores and matches on.
struct Identity {
  IdentityKind kind = ::omniroute::v1::IDENTITY_KIND_UNSPECIFIED;
  // Social network, CRM or custom namespace (lower-case); empty for email and
  // phone.
  std::string network;
  std::string value;

  friend bool operator==(const Identity&, const Identity&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Identity& id) {
    return H::combine(std::move(h), id.kind, id.network, id.value);
  }
};

// An identity as received from a channel, before normalization.
struct RawIdentity {
  IdentityKind kind = ::omniroute::v1::IDENTITY_KIND_UNSPECIFIED;
  std::string network;
  std::string value;
};

// Longest normalized value accepted, in bytes (an email address is at most
// 254 bytes; the rest is room for CRM and custom ids).
inline constexpr size_t kMaxIdentityValueBytes = 320;

// Normalizes `raw`:
//   EMAIL          trimmed, lower-cased; one '@' with text on both sides, a
//                  domain with a dot, no spaces.
//   PHONE          spaces, dots, dashes and brackets dropped; a leading "00"
//                  read as "+"; a national number (no '+') loses one leading
//                  trunk '0' and gets `default_country_code` (digits, no '+');
//                  the result is '+' and 8 to 15 digits (E.164).
//   SOCIAL_HANDLE  network required; trimmed, leading '@' dropped,
//                  lower-cased; letters, digits, '_' and '.' only.
//   SOCIAL_ID      network required; trimmed; no spaces.
//   CRM_ID         trimmed; network optional.
//   CUSTOM         network required; trimmed.
// Networks are trimmed and lower-cased.
//
// Returns INVALID_ARGUMENT naming the field ("identity.value",
// "identity.network", "identity.kind") and the reason when the identity cannot
// be normalized.
absl::StatusOr<Identity> NormalizeIdentity(const RawIdentity& raw,
                                           absl::string_view default_country_code);

// How a link that would merge two customers is treated.
enum class LinkMode {
  // An agent linked the identity: a merge is intended.
  kExplicit,
  // A deterministic match found by a system: merges two customers only when
  // it cannot join two different platform ids of the same network.
  kAutomatic,
};

// "email:ann@example.com", "phone:+33612345678", "social_handle@x:ann".
std::string ToString(const Identity& identity);

}  // namespace omniroute

#endif  // OMNIROUTE_IDENTITY_H_
