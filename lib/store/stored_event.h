// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// How a durable store checks an event it reads back: every stored event
// carries the CRC-32C of its serialized bytes (crc32c.h), and a read verifies
// the checksum and that the bytes are the event stored under that sequence,
// so that damage on the medium is reported as DATA_LOSS instead of being
// replayed. Shared by the SQLite and PostgreSQL stores, which keep the same
// (payload, crc) pair per event.
//
// Thread-safe: pure functions.

#ifndef OMNIROUTE_LIB_STORE_STORED_EVENT_H_
#define OMNIROUTE_LIB_STORE_STORED_EVENT_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "omniroute/v1/events.pb.h"

namespace omniroute::store {

// The status of a damaged or missing event: DATA_LOSS naming the tenant and
// sequence, and `what` is wrong.
absl::Status DamagedEvent(absl::string_view tenant, uint64_t sequence, absl::string_view what);

// Parses `payload`, stored as (tenant, sequence) with checksum `stored_crc`,
// into `event`, checking the checksum and that the payload is that event.
// DATA_LOSS (DamagedEvent) otherwise.
absl::Status ParseStoredEvent(absl::string_view tenant, uint64_t sequence,
                              absl::string_view payload, uint64_t stored_crc,
                              ::omniroute::v1::Event& event);

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_STORED_EVENT_H_
