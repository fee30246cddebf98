// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Requests whose bytes gRPC cannot turn into the method's message: answered
// INVALID_ARGUMENT naming the field (or "request" when no field can be
// named), and requests whose Timestamps or Durations are outside protobuf's
// range refused the same way, before any handler sees them.
//
// Why this exists: gRPC C++'s callback handlers (1.51,
// grpcpp/impl/codegen/server_callback_handlers.h) answer a request that
// failed to deserialize with UNIMPLEMENTED and an empty message, whatever
// the reason; and protobuf's parser refuses a proto3 `string` field that is
// not UTF-8, so a client with one bad byte in a body was told the method
// does not exist. The handler never runs, so no handler can fix it.
//
// Why this way: each method's generated handler is replaced, inside its own
// service, by one that delegates to a handler of gRPC's own type (same
// request and response types, same arena holders, same reactors), keeps a
// reference to the request's bytes while gRPC parses them, and, when the
// parse fails, explains the failure from those bytes and answers with a
// reactor that finishes with that status. The alternatives were worse: a
// SerializationTraits specialisation is global (every stub and every
// translation unit must see it), raw ByteBuffer methods would change every
// handler's signature and the forwarding of calls, and an interceptor runs
// after the bytes are gone (it could fix the code, never name the field).
// The guard touches no handler, covers unary and streaming methods alike,
// and refuses to start if a method of a service is left unguarded.

#ifndef OMNIROUTE_LIB_SERVICE_WIRE_GUARD_H_
#define OMNIROUTE_LIB_SERVICE_WIRE_GUARD_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "service/services.h"

namespace omniroute::service {

// Why `bytes` do not parse as a `type`: INVALID_ARGUMENT
// "<field path>: not valid UTF-8 at byte N" for the first string field that
// is not UTF-8 (nested messages and repeated fields included, as in
// "sender.value" or "tags[2]"), "<field path>: bytes do not parse as
// <message type>" for a nested message whose bytes are malformed, else
// "request: bytes do not parse as <type>".
absl::Status ExplainUnparsable(const google::protobuf::Descriptor& type, absl::string_view bytes);

// Replaces the handler of every method of the services with the guarded
// one. Call before the services are registered. INTERNAL if a method of
// one of them has no guard (a method added to service.proto and not here).
absl::Status GuardRequests(TenantServiceImpl& tenants, CustomerServiceImpl& customers,
                           ConversationServiceImpl& conversations, RoutingServiceImpl& routing,
                           CommitmentServiceImpl& commitments, EventServiceImpl& events,
                           DiagnosticsServiceImpl& diagnostics);

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_WIRE_GUARD_H_
