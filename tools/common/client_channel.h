// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// How the command-line tools reach a server that requires TLS and
// credentials: a channel over TLS (the CA to trust, and a client
// certificate for mutual TLS) whose every call carries the metadata
// "authorization: Bearer <token>". The token is added by a client
// interceptor rather than by call credentials, which gRPC sends over TLS
// only: a server on loopback may check tokens without TLS.

#ifndef OMNIROUTE_TOOLS_COMMON_CLIENT_CHANNEL_H_
#define OMNIROUTE_TOOLS_COMMON_CLIENT_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace omniroute::tools {

struct ClientSecurity {
  // Bearer token (an API key or a JWT); empty: none is sent.
  std::string token;
  // PEM files: the CA to verify the server with, and the client's
  // certificate and key. All empty: plain text.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  // Send `token` over plain text to an address on another machine (behind
  // something else that encrypts, such as a service mesh). Off, a token
  // goes in clear to a loopback address only.
  bool insecure = false;
};

// True when every address of `target` (a comma-separated list, with or
// without a gRPC scheme) is on this machine: localhost, 127.0.0.0/8, ::1,
// an IPv4-mapped loopback address, or a unix socket.
bool IsLoopbackTarget(const std::string& target);

// A channel to `target` with `args`. INVALID_ARGUMENT naming the flag
// (--tls_ca, --tls_cert, --tls_key) of a file that cannot be read, or a
// certificate without its key; and naming --token when it would go in
// clear to another machine (no TLS, not `insecure`).
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenClientChannel(
    const std::string& target, const ClientSecurity& security,
    const grpc::ChannelArguments& args = grpc::ChannelArguments());

}  // namespace omniroute::tools

#endif  // OMNIROUTE_TOOLS_COMMON_CLIENT_CHANNEL_H_
