// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "cli/enum_names.h"

#include <cctype>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace omniroute::cli {
namespace {

// "CHANNEL_" from CHANNEL_UNSPECIFIED; empty when the enum has no such value.
std::string Prefix(const google::protobuf::EnumDescriptor& descriptor) {
  const google::protobuf::EnumValueDescriptor* zero = descriptor.FindValueByNumber(0);
  if (zero == nullptr) return "";
  absl::string_view name = zero->name();
  if (!absl::ConsumeSuffix(&name, "UNSPECIFIED")) return "";
  return std::string(name);
}

absl::string_view Short(const google::protobuf::EnumValueDescriptor& value,
                        absl::string_view prefix) {
  absl::string_view name = value.name();
  absl::ConsumePrefix(&name, prefix);
  return name;
}

// "ConversationStatus" -> "conversation status".
std::string Noun(const google::protobuf::EnumDescriptor& descriptor) {
  std::string noun;
  for (char c : descriptor.name()) {
    if (std::isupper(static_cast<unsigned char>(c)) && !noun.empty()) noun.push_back(' ');
    noun.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return noun;
}

}  // namespace

std::string EnumChoices(const google::protobuf::EnumDescriptor& descriptor) {
  const std::string prefix = Prefix(descriptor);
  std::vector<absl::string_view> names;
  for (int i = 0; i < descriptor.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = descriptor.value(i);
    if (value->number() == 0) continue;
    names.push_back(Short(*value, prefix));
  }
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<int> ParseEnumNumber(const google::protobuf::EnumDescriptor& descriptor,
                                    absl::string_view what, absl::string_view text) {
  const std::string prefix = Prefix(descriptor);
  const std::string wanted =
      absl::AsciiStrToUpper(absl::StrReplaceAll(absl::StripAsciiWhitespace(text), {{"-", "_"}}));
  for (int i = 0; i < descriptor.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = descriptor.value(i);
    if (value->number() == 0) continue;
    if (wanted == value->name() || wanted == Short(*value, prefix)) return value->number();
  }
  const std::string noun = Noun(descriptor);
  return absl::InvalidArgumentError(absl::StrCat(
      what, ": \"", text, "\" is not a", absl::StrContains("aeiou", noun.substr(0, 1)) ? "n " : " ",
      noun, "; one of ", EnumChoices(descriptor)));
}

std::string ShortEnumName(const google::protobuf::EnumDescriptor& descriptor, int number) {
  const google::protobuf::EnumValueDescriptor* value = descriptor.FindValueByNumber(number);
  const std::string prefix = Prefix(descriptor);
  if (value == nullptr) {
    absl::string_view base = prefix;
    absl::ConsumeSuffix(&base, "_");
    return absl::StrCat(base.empty() ? descriptor.name() : std::string(base), "(", number, ")");
  }
  return std::string(Short(*value, prefix));
}

}  // namespace omniroute::cli
