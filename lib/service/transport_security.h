// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// TLS for the gRPC listener and for the channels a node opens (forwarding
// to other nodes), from PEM files, with the checks that make a wrong file a
// clear error at start-up rather than a failed handshake later: each file
// readable and of the right kind, the certificate matching its key.
//
// Thread-safe: functions of their arguments.

#ifndef OMNIROUTE_LIB_SERVICE_TRANSPORT_SECURITY_H_
#define OMNIROUTE_LIB_SERVICE_TRANSPORT_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace omniroute::service {

struct TlsFiles {
  // PEM: the certificate chain presented, and its private key. Both, or
  // neither (plain text).
  std::string cert_file;
  std::string key_file;
  // PEM: the CAs to verify the peer with. On a listener: client
  // certificates are then required and verified (mutual TLS). On a
  // channel: the server's certificate is verified against them (empty:
  // the system's CAs).
  std::string ca_file;
};

// Whether `address` (host:port, or unix:path) can be reached from this
// machine only: 127.0.0.0/8, ::1, localhost, a unix socket.
bool IsLoopbackAddress(absl::string_view address);

// The credentials of a listener on `address`: TLS from `files`, or plain
// text when they name no certificate, which is refused (INVALID_ARGUMENT)
// on an address reachable from other machines unless `insecure`. Errors
// name the file and the reason (unreadable, no PEM certificate or key in
// it, the certificate does not match the key, a client CA without a
// certificate).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files, absl::string_view address, bool insecure);

// The credentials of a channel: TLS (verifying the server with ca_file,
// presenting cert_file/key_file when given) when any file is named, plain
// text otherwise. Errors as above.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const TlsFiles& files);

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_TRANSPORT_SECURITY_H_
