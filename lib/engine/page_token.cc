// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "engine/page_token.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "store/crc32c.h"

namespace omniroute::engine_internal {
namespace {

constexpr char kTokenFormat = 1;

uint32_t TokenCrc(absl::string_view tenant_id, absl::string_view scope, absl::string_view body) {
  // Separators keep ("ab", "c") and ("a", "bc") apart.
  uint32_t crc = store::Crc32c(tenant_id);
  crc = store::ExtendCrc32c(crc, absl::string_view("\0", 1));
  crc = store::ExtendCrc32c(crc, scope);
  crc = store::ExtendCrc32c(crc, absl::string_view("\0", 1));
  return store::ExtendCrc32c(crc, body);
}

void AppendUint32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

}  // namespace

void AppendUint64(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

uint64_t ReadUint64(absl::string_view bytes, size_t offset) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= uint64_t{static_cast<uint8_t>(bytes[offset + i])} << (8 * i);
  }
  return value;
}

std::string EncodePageToken(absl::string_view tenant_id, absl::string_view scope,
                            absl::string_view position) {
  std::string body(1, kTokenFormat);
  body.append(position.data(), position.size());
  AppendUint32(body, TokenCrc(tenant_id, scope, body));
  return absl::WebSafeBase64Escape(body);
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view tenant_id, absl::string_view scope,
                                            absl::string_view token) {
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(token, &bytes) || bytes.size() < 5) {
    return absl::InvalidArgumentError(
        "page_token: not a page token (pass next_page_token back unchanged)");
  }
  const absl::string_view body(bytes.data(), bytes.size() - 4);
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) {
    crc |= uint32_t{static_cast<uint8_t>(bytes[bytes.size() - 4 + i])} << (8 * i);
  }
  if (crc != TokenCrc(tenant_id, scope, body)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token: not a token of this list (", scope,
        " of this tenant): it was given for another one, or it is damaged"));
  }
  if (body[0] != kTokenFormat) {
    return absl::InvalidArgumentError("page_token: of a format this server does not read");
  }
  return std::string(body.substr(1));
}

absl::StatusOr<int> PageSize(const PageRequest& request) {
  if (request.page_size == 0) return kDefaultPageSize;
  if (request.page_size < 0 || request.page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: ", request.page_size,
                                                   " is out of range (0 for the default of ",
                                                   kDefaultPageSize, ", or 1 to ", kMaxPageSize,
                                                   ")"));
  }
  return request.page_size;
}

}  // namespace omniroute::engine_internal
