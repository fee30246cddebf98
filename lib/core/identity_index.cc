// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/identity_index.h"

#include <sys/mman.h>

#include <bit>
#include <cassert>
#include <cstring>
#include <new>
#include <utility>

#include "absl/hash/hash.h"

namespace omniroute::core {
namespace {

// The table never exceeds this load (entries / slots).
constexpr size_t kMaxLoadNumerator = 7;
constexpr size_t kMaxLoadDenominator = 8;
constexpr size_t kMinSlots = 16;
// Home() keeps 32 bits of hash, so it can address at most 2^32 slots.
constexpr size_t kMaxSlots = size_t{1} << 32;

// Tables of at least one huge page get huge-page alignment and
// MADV_HUGEPAGE: random lookups over a table of a hundred megabytes
// otherwise miss the TLB on nearly every access, and in a virtual machine a
// TLB miss is a two-dimensional page walk that costs as much as the miss.
constexpr size_t kHugePageBytes = size_t{2} << 20;

size_t AlignmentFor(size_t bytes) { return bytes >= kHugePageBytes ? kHugePageBytes : 64; }

uint64_t* AllocateSlots(size_t count) {
  const size_t bytes = count * sizeof(uint64_t);
  const size_t alignment = AlignmentFor(bytes);
  void* memory = ::operator new(bytes, std::align_val_t(alignment));
#ifdef MADV_HUGEPAGE
  // Best effort, and before the memset below faults the pages in, so that
  // they come as huge pages where the kernel has them.
  if (alignment == kHugePageBytes) madvise(memory, bytes, MADV_HUGEPAGE);
#endif
  std::memset(memory, 0, bytes);
  return static_cast<uint64_t*>(memory);
}

void FreeSlots(uint64_t* slots, size_t count) {
  const size_t bytes = count * sizeof(uint64_t);
  ::operator delete(slots, bytes, std::align_val_t(AlignmentFor(bytes)));
}

uint32_t HashPart(uint64_t slot) { return static_cast<uint32_t>(slot >> 32); }
uint64_t CustomerPart(uint64_t slot) { return slot & 0xffffffff; }
uint64_t MakeSlot(uint32_t hash, CustomerId customer) {
  assert(customer.valid() && customer.value() <= IdentityIndex::kMaxCustomerId);
  return uint64_t{hash} << 32 | customer.value();
}

}  // namespace

IdentityIndex::IdentityIndex() : seed_(absl::HashOf(uint64_t{0x6f6d6e69726f7574})) {}

IdentityIndex::IdentityIndex(HashFunction hash) : IdentityIndex() { hash_override_ = hash; }

IdentityIndex::~IdentityIndex() {
  if (slots_ != nullptr) FreeSlots(slots_, slot_count());
}

IdentityIndex::IdentityIndex(IdentityIndex&& other) noexcept
    : hash_override_(other.hash_override_),
      seed_(other.seed_),
      slots_(std::exchange(other.slots_, nullptr)),
      mask_(std::exchange(other.mask_, 0)),
      shift_(std::exchange(other.shift_, 32)),
      size_(std::exchange(other.size_, 0)) {}

IdentityIndex& IdentityIndex::operator=(IdentityIndex&& other) noexcept {
  if (this != &other) {
    IdentityIndex doomed(std::move(*this));
    hash_override_ = other.hash_override_;
    seed_ = other.seed_;
    slots_ = std::exchange(other.slots_, nullptr);
    mask_ = std::exchange(other.mask_, 0);
    shift_ = std::exchange(other.shift_, 32);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

uint32_t IdentityIndex::HashOf(const Identity& identity) const {
  const uint64_t hash = hash_override_ != nullptr
                            ? hash_override_(identity.kind, identity.network, identity.value)
                            : absl::HashOf(seed_, identity.kind, identity.network, identity.value);
  return static_cast<uint32_t>(hash >> 32);
}

size_t IdentityIndex::DistanceFromHome(uint64_t slot, size_t index) const {
  return (index - Home(HashPart(slot))) & mask_;
}

IdentityIndex::Probe IdentityIndex::Search(uint32_t hash, Holds holds) const {
  size_t index = Home(hash);
  for (size_t distance = 0;; ++distance, index = (index + 1) & mask_) {
    const uint64_t slot = slots_[index];
    // Robin Hood order: once the search is further from its home than the
    // resident is from its own, the key would have been placed here.
    if (slot == 0 || DistanceFromHome(slot, index) < distance) return {index, distance, false};
    if (HashPart(slot) == hash && holds(CustomerId(CustomerPart(slot)))) {
      return {index, distance, true};
    }
  }
}

CustomerId IdentityIndex::Find(const Identity& identity, Holds holds) const {
  if (size_ == 0) return CustomerId();
  const Probe probe = Search(HashOf(identity), holds);
  return probe.found ? CustomerId(CustomerPart(slots_[probe.index])) : CustomerId();
}

bool IdentityIndex::Insert(const Identity& identity, CustomerId customer, Holds holds) {
  if (slots_ == nullptr) Rehash(kMinSlots);
  const uint32_t hash = HashOf(identity);
  Probe probe = Search(hash, holds);
  if (probe.found) return false;
  if (GrowForOneMore()) probe = Search(hash, holds);
  InsertAt(probe, hash, customer);
  return true;
}

void IdentityIndex::InsertAbsent(const Identity& identity, CustomerId customer) {
  if (slots_ == nullptr) Rehash(kMinSlots);
  GrowForOneMore();
  const uint32_t hash = HashOf(identity);
  InsertAt(Search(hash, [](CustomerId) { return false; }), hash, customer);
}

void IdentityIndex::Assign(const Identity& identity, CustomerId customer, Holds holds) {
  if (slots_ == nullptr) Rehash(kMinSlots);
  const uint32_t hash = HashOf(identity);
  Probe probe = Search(hash, holds);
  if (probe.found) {
    // The home and the distance depend on the hash only: the slot stays.
    slots_[probe.index] = MakeSlot(hash, customer);
    return;
  }
  if (GrowForOneMore()) probe = Search(hash, holds);
  InsertAt(probe, hash, customer);
}

bool IdentityIndex::Erase(const Identity& identity, Holds holds) {
  if (size_ == 0) return false;
  const Probe probe = Search(HashOf(identity), holds);
  if (!probe.found) return false;
  // Backward shift: the entries after the hole that are away from home move
  // one step closer, which keeps every search path unbroken without
  // tombstones.
  size_t hole = probe.index;
  for (size_t next = (hole + 1) & mask_;
       slots_[next] != 0 && DistanceFromHome(slots_[next], next) > 0;
       hole = next, next = (next + 1) & mask_) {
    slots_[hole] = slots_[next];
  }
  slots_[hole] = 0;
  --size_;
  return true;
}

void IdentityIndex::Reserve(size_t n) {
  size_t count = kMinSlots;
  while (n * kMaxLoadDenominator > count * kMaxLoadNumerator) count *= 2;
  if (count > slot_count()) Rehash(count);
}

void IdentityIndex::InsertAt(Probe probe, uint32_t hash, CustomerId customer) {
  Place(MakeSlot(hash, customer), probe.index, probe.distance);
  ++size_;
}

void IdentityIndex::Place(uint64_t carried, size_t index, size_t distance) {
  // Robin Hood: the carried entry takes the place of the first resident that
  // is closer to its home, which then moves on in its stead.
  for (;; index = (index + 1) & mask_, ++distance) {
    uint64_t& slot = slots_[index];
    if (slot == 0) {
      slot = carried;
      return;
    }
    const size_t resident = DistanceFromHome(slot, index);
    if (resident < distance) {
      std::swap(slot, carried);
      distance = resident;
    }
  }
}

bool IdentityIndex::GrowForOneMore() {
  if ((size_ + 1) * kMaxLoadDenominator <= slot_count() * kMaxLoadNumerator) return false;
  Rehash(slot_count() * 2);
  return true;
}

void IdentityIndex::Rehash(size_t count) {
  assert(std::has_single_bit(count) && count >= kMinSlots && count <= kMaxSlots);
  uint64_t* const old = slots_;
  const size_t old_count = slot_count();
  slots_ = AllocateSlots(count);
  mask_ = count - 1;
  shift_ = 32 - std::countr_zero(count);
  // Slots are placed by their stored hash: growing reads no record.
  for (size_t i = 0; i < old_count; ++i) {
    if (old[i] != 0) Place(old[i], Home(HashPart(old[i])), 0);
  }
  if (old != nullptr) FreeSlots(old, old_count);
}

}  // namespace omniroute::core
