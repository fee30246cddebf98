// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Identities as written on the command line and printed back:
//
//   <kind>[@<network>]:<value>
//
//   email:ann@example.com        phone:+33612345678
//   handle@x:parent_of_lea       social_id@x:123
//   crm@salesforce:0031          custom@loyalty:A-77
//
// Kinds: email, phone, handle (social_handle), social_id, crm (crm_id),
// custom, case-insensitive. The value is everything after the first ':', so
// it may itself hold ':' and '@'. A bare address (ann@example.com) is read as
// an email and a bare number (+33 6 12 34 56 78) as a phone. Values are sent
// as typed: the server normalizes them (and says why one is rejected).
//
// Thread-safe (pure functions).

#ifndef OMNIROUTE_TOOLS_CLI_IDENTITY_TEXT_H_
#define OMNIROUTE_TOOLS_CLI_IDENTITY_TEXT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "omniroute/v1/service.pb.h"
#include "omniroute/v1/types.pb.h"

namespace omniroute::cli {

// Parses `text`. INVALID_ARGUMENT naming `what` (the flag or argument, e.g.
// "--from") for an unknown kind, an empty value, a network given to email
// or phone, or a text that is none of the forms above.
absl::StatusOr<::omniroute::v1::RawIdentity> ParseIdentity(absl::string_view what,
                                                           absl::string_view text);

// OK when the identity has the network its kind needs: required for handles,
// social ids and custom kinds, optional for CRM ids. INVALID_ARGUMENT naming
// `what` otherwise, with the form to write.
absl::Status CheckIdentityNetwork(absl::string_view what,
                                  const ::omniroute::v1::RawIdentity& identity);

// "handle@x:parent_of_lea": the form ParseIdentity reads back.
std::string FormatIdentity(const ::omniroute::v1::Identity& identity);

// The kind as written in identities: "email", "handle", "crm", ...
std::string IdentityKindText(::omniroute::v1::IdentityKind kind);

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_IDENTITY_TEXT_H_
