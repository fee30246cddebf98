// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/identity_text.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/enum_names.h"

namespace omniroute::cli {
namespace {

namespace v1 = ::omniroute::v1;

struct KindName {
  absl::string_view text;
  v1::IdentityKind kind;
};

// The short names people type; the first of each kind is the one printed.
// The enum's own names (SOCIAL_HANDLE, CRM_ID) are accepted too.
constexpr KindName kKindNames[] = {
    {"email", v1::IDENTITY_KIND_EMAIL},          {"phone", v1::IDENTITY_KIND_PHONE},
    {"handle", v1::IDENTITY_KIND_SOCIAL_HANDLE}, {"social_id", v1::IDENTITY_KIND_SOCIAL_ID},
    {"crm", v1::IDENTITY_KIND_CRM_ID},           {"custom", v1::IDENTITY_KIND_CUSTOM},
};

constexpr char kForms[] =
    "write kind:value or kind@network:value (email, phone, handle, social_id, crm, custom)";

absl::StatusOr<v1::IdentityKind> ParseKind(absl::string_view what, absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  for (const KindName& name : kKindNames) {
    if (lower == name.text) return name.kind;
  }
  absl::StatusOr<v1::IdentityKind> kind = ParseEnum<v1::IdentityKind>(what, text);
  if (kind.ok()) return kind;
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": \"", text, "\" is not an identity kind; ", kForms));
}

bool LooksLikePhone(absl::string_view text) {
  if (text.empty()) return false;
  int digits = 0;
  for (char c : text) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (c != '+' && c != ' ' && c != '.' && c != '-' && c != '(' && c != ')') {
      return false;
    }
  }
  return digits > 0;
}

}  // namespace

std::string IdentityKindText(v1::IdentityKind kind) {
  for (const KindName& name : kKindNames) {
    if (name.kind == kind) return std::string(name.text);
  }
  return absl::AsciiStrToLower(ShortName(kind));
}

absl::StatusOr<v1::RawIdentity> ParseIdentity(absl::string_view what, absl::string_view text) {
  v1::RawIdentity identity;
  const size_t colon = text.find(':');
  if (colon == absl::string_view::npos) {
    // A bare value: only an email address or a phone number is unambiguous.
    if (text.find('@') != absl::string_view::npos && text.front() != '@') {
      identity.set_kind(v1::IDENTITY_KIND_EMAIL);
    } else if (LooksLikePhone(text)) {
      identity.set_kind(v1::IDENTITY_KIND_PHONE);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": \"", text, "\" is not an identity; ", kForms));
    }
    identity.set_value(std::string(text));
    return identity;
  }
  absl::string_view kind_text = text.substr(0, colon);
  const absl::string_view value = text.substr(colon + 1);
  if (const size_t at = kind_text.find('@'); at != absl::string_view::npos) {
    const absl::string_view network = kind_text.substr(at + 1);
    if (network.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": \"", text, "\" has an empty network after '@'"));
    }
    identity.set_network(std::string(network));
    kind_text = kind_text.substr(0, at);
  }
  absl::StatusOr<v1::IdentityKind> kind = ParseKind(what, kind_text);
  if (!kind.ok()) return kind.status();
  identity.set_kind(*kind);
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": \"", text, "\" has no value"));
  }
  identity.set_value(std::string(value));
  if ((*kind == v1::IDENTITY_KIND_EMAIL || *kind == v1::IDENTITY_KIND_PHONE) &&
      !identity.network().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", IdentityKindText(*kind), " takes no network (\"", text, "\")"));
  }
  return identity;
}

absl::Status CheckIdentityNetwork(absl::string_view what, const v1::RawIdentity& identity) {
  const v1::IdentityKind kind = identity.kind();
  const bool needs_network = kind == v1::IDENTITY_KIND_SOCIAL_HANDLE ||
                             kind == v1::IDENTITY_KIND_SOCIAL_ID ||
                             kind == v1::IDENTITY_KIND_CUSTOM;
  if (needs_network && identity.network().empty()) {
    const std::string kind_text = IdentityKindText(kind);
    return absl::InvalidArgumentError(absl::StrCat(what, ": a ", kind_text,
                                                   " needs its network: write ", kind_text,
                                                   "@NETWORK:", identity.value()));
  }
  return absl::OkStatus();
}

std::string FormatIdentity(const v1::Identity& identity) {
  std::string text = IdentityKindText(identity.kind());
  if (!identity.network().empty()) absl::StrAppend(&text, "@", identity.network());
  absl::StrAppend(&text, ":", identity.value());
  return text;
}

}  // namespace omniroute::cli
