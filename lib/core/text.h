// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Checks on free text that enters the event log. Events are protobuf
// messages whose string fields must be valid UTF-8: text that is not would be
// accepted today and fail to parse when the log is read back, so it is
// refused at the door instead.

#ifndef OMNIROUTE_LIB_CORE_TEXT_H_
#define OMNIROUTE_LIB_CORE_TEXT_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace omniroute::core {

// The offset of the first byte that does not start a well-formed UTF-8
// sequence, or text.size() if all of it is well-formed.
size_t FirstInvalidUtf8(absl::string_view text);

// OK, or INVALID_ARGUMENT "<field>: not valid UTF-8 at byte N".
absl::Status CheckUtf8(absl::string_view text, absl::string_view field);

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_TEXT_H_
