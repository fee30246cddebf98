// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/fingerprint.h"

#include "absl/strings/string_view.h"

namespace omniroute::core {
namespace {

// FNV-1a over the bytes, then the splitmix64 finalizer to spread them.
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t Mix(uint64_t h, uint64_t byte) { return (h ^ byte) * kFnvPrime; }

uint64_t MixField(uint64_t h, absl::string_view field) {
  // The length first: ("ab", "c") and ("a", "bc") differ.
  uint64_t size = field.size();
  for (int i = 0; i < 8; ++i) h = Mix(h, (size >> (8 * i)) & 0xFF);
  for (char c : field) h = Mix(h, static_cast<uint8_t>(c));
  return h;
}

uint64_t Finalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

uint64_t IdentityFingerprint(const Identity& identity) {
  uint64_t h = Mix(kFnvOffset, static_cast<uint64_t>(identity.kind) & 0xFF);
  h = MixField(h, identity.network);
  h = MixField(h, identity.value);
  const uint64_t fingerprint = Finalize(h);
  return fingerprint == 0 ? 1 : fingerprint;
}

}  // namespace omniroute::core
