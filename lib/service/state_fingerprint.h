// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// The fingerprint of a tenant's state dump (Engine::DumpState) that
// DiagnosticsService.GetStateFingerprint answers with: FNV-1a over 64 bits,
// in 16 hex digits. Stable across processes and builds (absl::Hash is
// seeded per process), so that a fingerprint taken by one server can be
// compared with one computed elsewhere, e.g. from a replay of the log. Not
// a cryptographic hash: it tells states apart, it does not authenticate.

#ifndef OMNIROUTE_LIB_SERVICE_STATE_FINGERPRINT_H_
#define OMNIROUTE_LIB_SERVICE_STATE_FINGERPRINT_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace omniroute::service {

inline std::string StateFingerprint(absl::string_view dump) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : dump) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return absl::StrFormat("%016x", hash);
}

}  // namespace omniroute::service

#endif  // OMNIROUTE_LIB_SERVICE_STATE_FINGERPRINT_H_
