// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "store/stored_event.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "store/crc32c.h"

namespace omniroute::store {

absl::Status DamagedEvent(absl::string_view tenant, uint64_t sequence, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("events: tenant ", tenant, ", sequence ", sequence, ": ", what));
}

absl::Status ParseStoredEvent(absl::string_view tenant, uint64_t sequence,
                              absl::string_view payload, uint64_t stored_crc,
                              ::omniroute::v1::Event& event) {
  if (const uint32_t crc = Crc32c(payload); crc != stored_crc) {
    return DamagedEvent(
        tenant, sequence,
        absl::StrFormat("the stored payload does not match its checksum (stored 0x%08x, "
                        "computed 0x%08x)",
                        stored_crc, crc));
  }
  if (!event.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return DamagedEvent(tenant, sequence, "the stored payload is not an Event");
  }
  // The checksum covers the bytes, not where they are; this catches a
  // payload stored under another sequence.
  if (event.sequence() != sequence) {
    return DamagedEvent(tenant, sequence,
                        absl::StrCat("the stored payload is event ", event.sequence()));
  }
  return absl::OkStatus();
}

}  // namespace omniroute::store
