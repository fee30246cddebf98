// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Enum values of omniroute.v1 as people type and read them: without the
// enum's prefix (EMAIL for CHANNEL_EMAIL, RESOLVED for
// CONVERSATION_STATUS_RESOLVED), in any case, with '-' for '_' accepted
// (public-social). The prefix is the one of the enum's *_UNSPECIFIED value,
// which every omniroute enum starts with, so nothing is listed by hand.
//
// Thread-safe (pure functions over generated descriptors).

#ifndef OMNIROUTE_TOOLS_CLI_ENUM_NAMES_H_
#define OMNIROUTE_TOOLS_CLI_ENUM_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_enum_reflection.h"

namespace omniroute::cli {

// The number of the value `text` names in `descriptor`: its short name or
// its full name, case-insensitively. The UNSPECIFIED value is never accepted.
// INVALID_ARGUMENT "<what>: \"text\" is not a <noun>; one of A, B, C" where
// the noun comes from the enum's name (ConversationStatus: "conversation
// status").
absl::StatusOr<int> ParseEnumNumber(const google::protobuf::EnumDescriptor& descriptor,
                                    absl::string_view what, absl::string_view text);

// The value's name without the enum's prefix ("EMAIL"); the number in
// parentheses for a value this build does not know ("CHANNEL(42)").
std::string ShortEnumName(const google::protobuf::EnumDescriptor& descriptor, int number);

// "A, B, C": every value but UNSPECIFIED, short names, in declaration order.
std::string EnumChoices(const google::protobuf::EnumDescriptor& descriptor);

template <typename Enum>
absl::StatusOr<Enum> ParseEnum(absl::string_view what, absl::string_view text) {
  absl::StatusOr<int> number =
      ParseEnumNumber(*google::protobuf::GetEnumDescriptor<Enum>(), what, text);
  if (!number.ok()) return number.status();
  return static_cast<Enum>(*number);
}

template <typename Enum>
std::string ShortName(Enum value) {
  return ShortEnumName(*google::protobuf::GetEnumDescriptor<Enum>(), static_cast<int>(value));
}

}  // namespace omniroute::cli

#endif  // OMNIROUTE_TOOLS_CLI_ENUM_NAMES_H_
