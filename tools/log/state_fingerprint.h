// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// A fingerprint of a tenant's state: a 64-bit hash of its canonical dump
// (tenant::DumpState, Engine::DumpState), printed in hex, so that two replays,
// or a replay and a running engine, can be compared without comparing dumps.
// omniroute-log prints it; its tests compute it the same way from the
// engine's dump.
//
// The hash is FNV-1a (64-bit): fixed by definition, so a fingerprint means the
// same in every build and process (unlike absl::Hash, which is seeded per
// process). It detects differences, it does not resist forgery.
//
// Thread-safe: pure functions.

#ifndef OMNIROUTE_TOOLS_LOG_STATE_FINGERPRINT_H_
#define OMNIROUTE_TOOLS_LOG_STATE_FINGERPRINT_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace omniroute::log_tool {

// The fingerprint of nothing; extend it with ExtendFingerprint.
inline constexpr uint64_t kEmptyFingerprint = 0xcbf29ce484222325ULL;

// `fingerprint` extended with `bytes`: the fingerprint of the bytes it
// stood for followed by `bytes`.
inline uint64_t ExtendFingerprint(uint64_t fingerprint, absl::string_view bytes) {
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  for (const char c : bytes) {
    fingerprint ^= static_cast<unsigned char>(c);
    fingerprint *= kPrime;
  }
  return fingerprint;
}

// The fingerprint of a state dump.
inline uint64_t StateFingerprint(absl::string_view dump) {
  return ExtendFingerprint(kEmptyFingerprint, dump);
}

// 16 lower-case hex digits, as omniroute-log prints it.
inline std::string FormatFingerprint(uint64_t fingerprint) {
  return absl::StrFormat("%016x", fingerprint);
}

}  // namespace omniroute::log_tool

#endif  // OMNIROUTE_TOOLS_LOG_STATE_FINGERPRINT_H_
