// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "service/placement.h"

namespace omniroute::service {
namespace {

uint64_t Fnv1a(uint64_t hash, absl::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// MurmurHash3's 64-bit finalizer: FNV-1a alone leaves the high bits of
// similar strings alike.
uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace

uint64_t PlacementScore(absl::string_view tenant, absl::string_view node) {
  uint64_t hash = Fnv1a(0xcbf29ce484222325ULL, tenant);
  // A separator no tenant id contains, so ("ab", "c") and ("a", "bc") differ.
  hash = Fnv1a(hash, absl::string_view("\0", 1));
  return Mix(Fnv1a(hash, node));
}

std::string PlaceTenant(absl::string_view tenant, absl::Span<const std::string> nodes) {
  const std::string* best = nullptr;
  uint64_t best_score = 0;
  for (const std::string& node : nodes) {
    const uint64_t score = PlacementScore(tenant, node);
    if (best == nullptr || score > best_score || (score == best_score && node < *best)) {
      best = &node;
      best_score = score;
    }
  }
  return best != nullptr ? *best : std::string();
}

}  // namespace omniroute::service
