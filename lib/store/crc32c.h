// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// CRC-32C (Castagnoli), the checksum the SQLite store keeps next to every
// stored payload. Debian's Abseil (20220623) has no absl::crc32c yet, hence
// this small implementation: SSE4.2's crc32 instruction where the CPU has it,
// a slicing-by-8 table otherwise. Both give the same values, so a file written
// on one machine verifies on any other.
//
// Thread-safe: pure functions.

#ifndef OMNIROUTE_LIB_STORE_CRC32C_H_
#define OMNIROUTE_LIB_STORE_CRC32C_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace omniroute::store {

// The CRC-32C of `crc`'s data followed by `data`, where `crc` is the CRC-32C
// of the data so far (0 for none): Extend(Crc32c(a), b) == Crc32c(a + b).
uint32_t ExtendCrc32c(uint32_t crc, absl::string_view data);

// The same with the table implementation whatever the CPU; exposed so that
// tests can check that both implementations agree.
uint32_t ExtendCrc32cPortable(uint32_t crc, absl::string_view data);

// The CRC-32C of `data`. Crc32c("123456789") == 0xE3069283.
inline uint32_t Crc32c(absl::string_view data) { return ExtendCrc32c(0, data); }

}  // namespace omniroute::store

#endif  // OMNIROUTE_LIB_STORE_CRC32C_H_
