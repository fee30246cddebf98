// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "common/channel_target.h"

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace omniroute::tools {
namespace {

enum class Family { kIpv4, kIpv6, kName };

// The family of "host:port" ("[v6]:port" for IPv6), or an error.
absl::StatusOr<Family> FamilyOf(absl::string_view flag, absl::string_view address) {
  const size_t colon = address.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port == 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": \"", address, "\" is not host:port (a port from 1 to 65535 is required)"));
  }
  const std::string host(address.substr(0, colon));
  unsigned char buffer[16];
  if (inet_pton(AF_INET, host.c_str(), buffer) == 1) return Family::kIpv4;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']' &&
      inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), buffer) == 1) {
    return Family::kIpv6;
  }
  return Family::kName;
}

}  // namespace

absl::StatusOr<std::string> ChannelTarget(absl::string_view flag, absl::string_view addresses,
                                          size_t rotate) {
  std::vector<std::string> list;
  for (absl::string_view entry : absl::StrSplit(addresses, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": \"", addresses, "\" has an empty address"));
    }
    list.emplace_back(entry);
  }
  if (list.size() == 1) return list.front();
  Family family = Family::kName;
  for (size_t i = 0; i < list.size(); ++i) {
    absl::StatusOr<Family> f = FamilyOf(flag, list[i]);
    if (!f.ok()) return f.status();
    if (*f == Family::kName) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": several addresses must be IP literals, and \"", list[i],
                       "\" is a host name (give one DNS name for all of them instead)"));
    }
    if (i > 0 && *f != family) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": \"", addresses, "\" mixes IPv4 and IPv6 addresses"));
    }
    family = *f;
  }
  std::vector<std::string> rotated;
  for (size_t i = 0; i < list.size(); ++i) rotated.push_back(list[(i + rotate) % list.size()]);
  return absl::StrCat(family == Family::kIpv4 ? "ipv4:" : "ipv6:", absl::StrJoin(rotated, ","));
}

}  // namespace omniroute::tools
