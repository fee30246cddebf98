// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The gRPC channel target of a list of server addresses, as the command-line
// tools take them ("host:port" or "10.0.0.5:50051,10.0.0.6:50051"). One
// address is used as given. Several addresses become one channel that
// connects to the first that answers and moves on to the next when that
// one goes away (gRPC's pick_first over a static list): with a cluster
// whose nodes forward calls to each tenant's owner, any live node serves
// any call, so a client survives the loss of the node it used. A static
// list needs IP literals ("ipv4:" or "ipv6:" targets); several host names
// are refused (put them behind one DNS name instead, which gRPC resolves
// to all of its addresses).

#ifndef OMNIROUTE_TOOLS_COMMON_CHANNEL_TARGET_H_
#define OMNIROUTE_TOOLS_COMMON_CHANNEL_TARGET_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace omniroute::tools {

// The target for `addresses` (comma-separated, spaces ignored), the list
// rotated left by `rotate` so that several channels start on different
// nodes. INVALID_ARGUMENT naming `flag` for an empty list, an empty entry,
// an entry without a port, or several entries that are not all IPv4 or
// all IPv6 literals.
absl::StatusOr<std::string> ChannelTarget(absl::string_view flag, absl::string_view addresses,
                                          size_t rotate = 0);

}  // namespace omniroute::tools

#endif  // OMNIROUTE_TOOLS_COMMON_CHANNEL_TARGET_H_
