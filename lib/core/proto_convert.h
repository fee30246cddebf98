// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Conversions between the event schema (proto/omniroute/v1) and library types.

#ifndef OMNIROUTE_LIB_CORE_PROTO_CONVERT_H_
#define OMNIROUTE_LIB_CORE_PROTO_CONVERT_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "omniroute/identity.h"
#include "omniroute/tenant_options.h"
#include "omniroute/types.h"
#include "omniroute/v1/types.pb.h"

namespace omniroute::core {

// Conversions between the event schema and library types.
Identity FromProto(const ::omniroute::v1::Identity& proto);
void ToProto(const Identity& identity, ::omniroute::v1::Identity* proto);
Actor FromProto(const ::omniroute::v1::Actor& proto);
void ToProto(const Actor& actor, ::omniroute::v1::Actor* proto);
Caller FromProto(const ::omniroute::v1::Caller& proto);
void ToProto(const Caller& caller, ::omniroute::v1::Caller* proto);
absl::Time FromProto(const google::protobuf::Timestamp& proto);
void ToProto(absl::Time time, google::protobuf::Timestamp* proto);
// TenantOptions <-> TenantSettings (every default made explicit).
TenantOptions FromProto(const ::omniroute::v1::TenantSettings& proto);
void ToProto(const TenantOptions& options, ::omniroute::v1::TenantSettings* proto);

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_PROTO_CONVERT_H_
