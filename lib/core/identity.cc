// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Normalization runs on every inbound message, so it works on views of the
// input, writes the result in place and allocates only the strings it
// returns; the error paths, which are rare, are free to build rich messages.

#include "omniroute/identity.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace omniroute {
namespace {

using ::omniroute::v1::IDENTITY_KIND_CRM_ID;
using ::omniroute::v1::IDENTITY_KIND_CUSTOM;
using ::omniroute::v1::IDENTITY_KIND_EMAIL;
using ::omniroute::v1::IDENTITY_KIND_PHONE;
using ::omniroute::v1::IDENTITY_KIND_SOCIAL_HANDLE;
using ::omniroute::v1::IDENTITY_KIND_SOCIAL_ID;
using ::omniroute::v1::IDENTITY_KIND_UNSPECIFIED;

// RFC 5321 caps a deliverable address at 254 bytes, below the general limit.
constexpr size_t kMaxEmailBytes = 254;
constexpr size_t kMaxHandleChars = 64;
constexpr size_t kMaxNetworkChars = 64;
// E.164: a country code and subscriber number of at most 15 digits; fewer
// than 8 is no real number anywhere and usually a truncated input.
constexpr size_t kMinPhoneDigits = 8;
constexpr size_t kMaxPhoneDigits = 15;
// Error messages quote at most this much of a value, so that a megabyte of
// garbage does not end up in a log line.
constexpr size_t kMaxQuotedBytes = 64;

constexpr char kValueField[] = "identity.value";
constexpr char kNetworkField[] = "identity.network";

// Decodes the UTF-8 sequence at s[pos] into `code_point`. Returns its length
// in bytes, or 0 when it is not well-formed (truncated, overlong, a surrogate
// or beyond U+10FFFF).
size_t DecodeUtf8(absl::string_view s, size_t pos, char32_t* code_point) {
  const auto byte = [s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  }
  size_t length;
  char32_t cp;
  char32_t smallest;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1F;
    smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
    smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07;
    smallest = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - pos < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(pos + i);
    if ((next & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < smallest || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return length;
}

// C0, DEL and C1.
bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

// Unicode spaces other than U+0020: a no-break space pasted from a web page
// looks like a space and must be treated as one.
bool IsUnicodeSpace(char32_t c) {
  return c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

// `s` in double quotes for an error message: truncated, with control
// characters, malformed bytes, quotes and backslashes escaped so the message
// stays one readable line.
std::string Quote(absl::string_view s) {
  const absl::string_view shown = s.substr(0, kMaxQuotedBytes);
  std::string out = "\"";
  for (size_t i = 0; i < shown.size();) {
    char32_t cp;
    const size_t length = DecodeUtf8(shown, i, &cp);
    if (length == 0 || IsControl(cp)) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(shown[i]));
      ++i;
      continue;
    }
    if (cp == '"' || cp == '\\') out.push_back('\\');
    out.append(shown.data() + i, length);
    i += length;
  }
  out.push_back('"');
  if (shown.size() < s.size()) absl::StrAppend(&out, "... (", s.size(), " bytes)");
  return out;
}

// Names the character at s[pos] for an error message: 'x', U+00A0 for an
// invisible one, 'é' (U+00E9) for the rest.
std::string DescribeChar(absl::string_view s, size_t pos) {
  char32_t cp;
  const size_t length = DecodeUtf8(s, pos, &cp);
  if (length == 0) {
    return absl::StrFormat("the malformed UTF-8 byte 0x%02X", static_cast<unsigned char>(s[pos]));
  }
  if (cp >= 0x20 && cp < 0x7F) return absl::StrCat("'", s.substr(pos, 1), "'");
  if (IsControl(cp) || IsUnicodeSpace(cp)) {
    return absl::StrFormat("U+%04X", static_cast<uint32_t>(cp));
  }
  return absl::StrFormat("'%s' (U+%04X)", s.substr(pos, length), static_cast<uint32_t>(cp));
}

absl::Status Invalid(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

// Every stored string must be valid UTF-8 (proto3 string fields of the event
// log reject anything else, so a replay would fail) and free of control
// characters (invisible, they would make one person two identities).
absl::Status CheckText(absl::string_view field, absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    if (b >= 0x20 && b < 0x7F) {  // Printable ASCII: the common case.
      ++i;
      continue;
    }
    char32_t cp;
    const size_t length = DecodeUtf8(s, i, &cp);
    if (length == 0) {
      return Invalid(field, absl::StrCat(Quote(s), " is not valid UTF-8 (byte ", i, ")"));
    }
    if (IsControl(cp)) {
      return Invalid(field, absl::StrCat(Quote(s), " contains the control character ",
                                         DescribeChar(s, i), " at byte ", i));
    }
    i += length;
  }
  return absl::OkStatus();
}

// The position of the first space (ASCII or Unicode) in `s`, or npos. `s` has
// passed CheckText, so tabs and newlines were already refused.
size_t FindSpace(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b == ' ') return i;
      ++i;
      continue;
    }
    char32_t cp;
    const size_t length = DecodeUtf8(s, i, &cp);
    if (IsUnicodeSpace(cp)) return i;
    i += length;
  }
  return absl::string_view::npos;
}

bool IsNetworkChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '.' || c == '-';
}

bool IsHandleChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '.';
}

bool IsCountryCode(absl::string_view code) {
  if (code.empty() || code.size() > 3 || code[0] == '0') return false;
  for (char c : code) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// Lower-cases `network` (already trimmed) into `out`; only [a-z0-9_.-].
absl::Status NormalizeNetwork(absl::string_view network, std::string* out) {
  out->resize(network.size());
  for (size_t i = 0; i < network.size(); ++i) {
    const char c = absl::ascii_tolower(network[i]);
    if (!IsNetworkChar(c)) {
      return Invalid(kNetworkField, absl::StrCat(Quote(network), " has ", DescribeChar(network, i),
                                                 "; only a-z, 0-9, '_', '.' and '-' are allowed"));
    }
    (*out)[i] = c;
  }
  // Checked after the characters, which are all ASCII by now, so the count is
  // in characters.
  if (network.size() > kMaxNetworkChars) {
    return Invalid(kNetworkField,
                   absl::StrCat(Quote(network), " is ", network.size(),
                                " characters long; at most ", kMaxNetworkChars, " are allowed"));
  }
  return absl::OkStatus();
}

absl::Status NormalizeEmail(absl::string_view email, std::string* out) {
  const auto fail = [email](absl::string_view reason) {
    return Invalid(kValueField, absl::StrCat("email ", Quote(email), " ", reason));
  };
  if (email.size() > kMaxEmailBytes) {
    return fail(
        absl::StrCat("is ", email.size(), " bytes long; at most ", kMaxEmailBytes, " are allowed"));
  }
  if (const size_t space = FindSpace(email); space != absl::string_view::npos) {
    return fail(absl::StrCat("contains whitespace (", DescribeChar(email, space), ")"));
  }
  const size_t at = email.find('@');
  if (at == absl::string_view::npos) return fail("has no '@'");
  if (email.find('@', at + 1) != absl::string_view::npos) return fail("has more than one '@'");
  if (at == 0) return fail("has nothing before the '@'");
  const absl::string_view domain = email.substr(at + 1);
  if (domain.empty()) return fail("has no domain after the '@'");
  if (domain.front() == '.' || domain.back() == '.') {
    return fail("has a domain that starts or ends with a dot");
  }
  if (domain.find('.') == absl::string_view::npos) return fail("has a domain without a dot");
  if (absl::StrContains(domain, "..")) return fail("has an empty label ('..') in its domain");
  // Only ASCII is folded: the case of internationalized addresses is the
  // mail server's business, and Unicode case folding is not a byte operation.
  out->resize(email.size());
  for (size_t i = 0; i < email.size(); ++i) (*out)[i] = absl::ascii_tolower(email[i]);
  return absl::OkStatus();
}

absl::Status NormalizePhone(absl::string_view phone, absl::string_view default_country_code,
                            std::string* out) {
  const auto fail = [phone](absl::string_view reason) {
    return Invalid(kValueField, absl::StrCat("phone number ", Quote(phone), " ", reason));
  };
  // Enough for the longest valid number read with an international "00";
  // digits past it are only counted, for the error message.
  char digits[kMaxPhoneDigits + 2];
  size_t count = 0;
  bool plus = false;
  const auto international_so_far = [&] {
    return plus || (count >= 2 && digits[0] == '0' && digits[1] == '0');
  };
  for (size_t i = 0; i < phone.size(); ++i) {
    const char c = phone[i];
    if (absl::ascii_isdigit(c)) {
      if (count < sizeof(digits)) digits[count] = c;
      ++count;
      continue;
    }
    switch (c) {
      case '+':
        if (plus || count > 0) return fail("has a '+' that is not at the start");
        plus = true;
        break;
      case '(':
        // "+44 (0)20 7946 0958": the bracketed trunk 0 is dialled only from
        // inside the country and is no part of the international number.
        if (count > 0 && international_so_far() && phone.substr(i, 3) == "(0)") i += 2;
        break;
      case ' ':
      case '.':
      case '-':
      case ')':
      case '/':
        break;
      default:
        return fail(absl::StrCat("has ", DescribeChar(phone, i),
                                 "; only digits, spaces, '.', '-', '(', ')', '/' and a "
                                 "leading '+' are allowed"));
    }
  }
  if (count == 0) return fail("has no digits");

  absl::string_view country;  // Prepended to a national number.
  size_t skip = 0;            // Leading digits that are no part of the E.164 form.
  if (plus) {
    // Already international.
  } else if (count >= 2 && digits[0] == '0' && digits[1] == '0') {
    skip = 2;
  } else {
    if (default_country_code.empty()) {
      return Invalid(kValueField, absl::StrCat("national phone number ", Quote(phone),
                                               " needs a country code and the tenant has no "
                                               "default_country_code"));
    }
    // Tenant options are validated when the tenant is created; this guards
    // direct callers of the library function.
    if (!IsCountryCode(default_country_code)) {
      return Invalid("default_country_code",
                     absl::StrCat(Quote(default_country_code),
                                  " is not a country calling code (1 to 3 digits, no '+', "
                                  "not starting with 0)"));
    }
    country = default_country_code;
    if (digits[0] == '0') skip = 1;  // The trunk prefix.
  }
  const size_t total = country.size() + count - skip;
  if (total < kMinPhoneDigits || total > kMaxPhoneDigits) {
    return fail(absl::StrCat("has ", total, " digits",
                             country.empty() ? "" : absl::StrCat(" with country code ", country),
                             "; E.164 needs ", kMinPhoneDigits, " to ", kMaxPhoneDigits));
  }
  // total <= 15 guarantees that every digit was kept in `digits`.
  if (country.empty() && digits[skip] == '0') {
    return fail("has a country code starting with 0, which E.164 does not allow");
  }
  out->reserve(1 + total);
  out->push_back('+');
  out->append(country.data(), country.size());
  out->append(digits + skip, count - skip);
  return absl::OkStatus();
}

absl::Status NormalizeHandle(absl::string_view value, std::string* out) {
  absl::string_view handle = value;
  absl::ConsumePrefix(&handle, "@");
  if (handle.empty()) return Invalid(kValueField, "handle \"@\" has no name after the '@'");
  out->resize(handle.size());
  for (size_t i = 0; i < handle.size(); ++i) {
    const char c = absl::ascii_tolower(handle[i]);
    if (!IsHandleChar(c)) {
      return Invalid(kValueField,
                     absl::StrCat("handle ", Quote(value), " has ", DescribeChar(handle, i),
                                  "; only a-z, 0-9, '_' and '.' are allowed"));
    }
    (*out)[i] = c;
  }
  if (handle.size() > kMaxHandleChars) {
    return Invalid(kValueField,
                   absl::StrCat("handle ", Quote(value), " is ", handle.size(),
                                " characters long; at most ", kMaxHandleChars, " are allowed"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Identity> NormalizeIdentity(const RawIdentity& raw,
                                           absl::string_view default_country_code) {
  Identity identity;
  identity.kind = raw.kind;

  bool network_required = false;
  switch (raw.kind) {
    case IDENTITY_KIND_EMAIL:
    case IDENTITY_KIND_PHONE:
      // An address or a number is the same person whichever network reported
      // it, so a network sent along is ignored rather than kept or refused.
      break;
    case IDENTITY_KIND_SOCIAL_HANDLE:
    case IDENTITY_KIND_SOCIAL_ID:
    case IDENTITY_KIND_CUSTOM:
      network_required = true;
      [[fallthrough]];
    case IDENTITY_KIND_CRM_ID: {
      const absl::string_view network = absl::StripAsciiWhitespace(raw.network);
      if (network.empty()) {
        if (network_required) {
          return Invalid(kNetworkField, absl::StrCat("required for ", IdentityKindName(raw.kind)));
        }
        break;
      }
      if (absl::Status s = NormalizeNetwork(network, &identity.network); !s.ok()) return s;
      break;
    }
    case IDENTITY_KIND_UNSPECIFIED:
      return Invalid("identity.kind", "unspecified");
    default:
      return Invalid("identity.kind",
                     absl::StrCat(static_cast<int>(raw.kind), " is not a known identity kind"));
  }

  const absl::string_view value = absl::StripAsciiWhitespace(raw.value);
  if (value.empty()) return Invalid(kValueField, "empty");
  if (value.size() > kMaxIdentityValueBytes) {
    return Invalid(kValueField,
                   absl::StrCat(Quote(value), " is ", value.size(), " bytes long; at most ",
                                kMaxIdentityValueBytes, " are allowed"));
  }
  if (absl::Status s = CheckText(kValueField, value); !s.ok()) return s;

  absl::Status status;
  switch (raw.kind) {
    case IDENTITY_KIND_EMAIL:
      status = NormalizeEmail(value, &identity.value);
      break;
    case IDENTITY_KIND_PHONE:
      status = NormalizePhone(value, default_country_code, &identity.value);
      break;
    case IDENTITY_KIND_SOCIAL_HANDLE:
      status = NormalizeHandle(value, &identity.value);
      break;
    case IDENTITY_KIND_SOCIAL_ID:
      // Platform ids are case-sensitive on some networks: kept as sent.
      if (const size_t space = FindSpace(value); space != absl::string_view::npos) {
        return Invalid(kValueField,
                       absl::StrCat("social id ", Quote(value), " contains whitespace (",
                                    DescribeChar(value, space), ")"));
      }
      identity.value.assign(value.data(), value.size());
      break;
    default:  // CRM_ID and CUSTOM: opaque ids, kept as sent.
      identity.value.assign(value.data(), value.size());
      break;
  }
  if (!status.ok()) return status;
  return identity;
}

std::string ToString(const Identity& identity) {
  // Networks never contain ':', so "kind@network:value" reads back without
  // ambiguity whatever the value holds.
  const absl::string_view kind = IdentityKindName(identity.kind);
  std::string out;
  out.reserve(kind.size() + identity.network.size() + identity.value.size() + 2);
  for (char c : kind) out.push_back(absl::ascii_tolower(c));
  if (!identity.network.empty()) {
    out.push_back('@');
    out.append(identity.network);
  }
  out.push_back(':');
  out.append(identity.value);
  return out;
}

}  // namespace omniroute
