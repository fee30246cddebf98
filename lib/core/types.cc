// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "omniroute/types.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"

namespace omniroute {
namespace {

using ::omniroute::v1::VISIBILITY_PRIVATE;
using ::omniroute::v1::VISIBILITY_PUBLIC;

constexpr ChannelMode kSync = ChannelMode::kSynchronous;
constexpr ChannelMode kAsync = ChannelMode::kAsynchronous;

// Indexed by Channel value. VOICE costs 4 because a call takes the agent's
// full attention; CHAT costs 2 because a live customer waits on every reply,
// while the asynchronous channels can be worked between other tasks.
constexpr ChannelTraits kTraits[] = {
    /*UNSPECIFIED*/ {VISIBILITY_PRIVATE, kAsync, absl::Hours(24), 1},
    /*PUBLIC_SOCIAL*/ {VISIBILITY_PUBLIC, kAsync, absl::Hours(1), 1},
    /*PRIVATE_SOCIAL*/ {VISIBILITY_PRIVATE, kAsync, absl::Hours(1), 1},
    /*EMAIL*/ {VISIBILITY_PRIVATE, kAsync, absl::Hours(24), 1},
    /*VOICE*/ {VISIBILITY_PRIVATE, kSync, absl::Seconds(30), 4},
    /*CHAT*/ {VISIBILITY_PRIVATE, kSync, absl::Minutes(1), 2},
    /*SMS*/ {VISIBILITY_PRIVATE, kAsync, absl::Hours(4), 1},
    /*MESSAGING*/ {VISIBILITY_PRIVATE, kAsync, absl::Hours(1), 1},
};
static_assert(std::size(kTraits) == ::omniroute::v1::Channel_ARRAYSIZE,
              "every channel of types.proto needs its traits here");

constexpr absl::string_view kUnknown = "UNKNOWN";

// The names of one proto enum with their common prefix removed, built once
// from the descriptor so that a value added to types.proto is named without
// touching this file.
class EnumNames {
 public:
  explicit EnumNames(const google::protobuf::EnumDescriptor* descriptor) {
    // The prefix is what precedes "UNSPECIFIED" in the zero value's name
    // ("CHANNEL_" in "CHANNEL_UNSPECIFIED"); the style guide requires it.
    absl::string_view prefix;
    if (const auto* zero = descriptor->FindValueByNumber(0); zero != nullptr) {
      absl::string_view zero_name = zero->name();
      if (absl::ConsumeSuffix(&zero_name, "UNSPECIFIED")) prefix = zero_name;
    }
    int max = 0;
    for (int i = 0; i < descriptor->value_count(); ++i) {
      max = std::max(max, descriptor->value(i)->number());
    }
    names_.assign(static_cast<size_t>(max) + 1, kUnknown);
    for (int i = 0; i < descriptor->value_count(); ++i) {
      const google::protobuf::EnumValueDescriptor* value = descriptor->value(i);
      if (value->number() < 0) continue;
      // Views into the descriptor's strings, which live as long as the
      // program.
      absl::string_view name = value->name();
      absl::ConsumePrefix(&name, prefix);
      names_[static_cast<size_t>(value->number())] = name;
    }
  }

  absl::string_view Get(int value) const {
    if (value < 0 || static_cast<size_t>(value) >= names_.size()) return kUnknown;
    return names_[static_cast<size_t>(value)];
  }

 private:
  std::vector<absl::string_view> names_;
};

// Built on first use (thread-safe static initialization) and never
// destroyed, so that names stay valid during static destruction.
template <const google::protobuf::EnumDescriptor* (*Descriptor)()>
const EnumNames& NamesOf() {
  static const EnumNames* const names = new EnumNames(Descriptor());
  return *names;
}

}  // namespace

const ChannelTraits& TraitsOf(Channel channel) {
  const int index = static_cast<int>(channel);
  if (index < 0 || index >= static_cast<int>(std::size(kTraits))) return kTraits[0];
  return kTraits[index];
}

absl::string_view ChannelName(Channel channel) {
  return NamesOf<::omniroute::v1::Channel_descriptor>().Get(channel);
}

absl::string_view IdentityKindName(IdentityKind kind) {
  return NamesOf<::omniroute::v1::IdentityKind_descriptor>().Get(kind);
}

absl::string_view ConversationStatusName(ConversationStatus status) {
  return NamesOf<::omniroute::v1::ConversationStatus_descriptor>().Get(status);
}

absl::string_view ThreadOutcomeName(ThreadOutcome outcome) {
  return NamesOf<::omniroute::v1::ThreadOutcome_descriptor>().Get(outcome);
}

}  // namespace omniroute
