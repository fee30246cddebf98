// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// IdentityIndex: the exact map from a normalized Identity to the customer who
// owns it, in 8 bytes per slot.
//
// A tenant of tens of millions of customers holds two or three identities
// each, so the index is the largest structure of the working set after the
// customer records. It stores no keys: a slot is the top 32 bits of the
// identity's hash and the owner's customer id, and the owner's record
// (CustomerProfile, which holds the identity's bytes anyway) is the key. A
// lookup compares hashes in the slots and asks the caller, through `holds`,
// whether the customer of a matching slot holds the identity; only that
// answer declares a match, so two identities whose hashes collide stay two
// identities.
//
// Callers keep the index and the records in step in this order: Insert while
// no record holds the identity yet; Assign and Erase while the old owner's
// record still holds it. Slots with the same hash and the same customer are
// interchangeable (each stands for "this customer holds an identity with this
// hash"), which is what makes that order sufficient when one customer holds
// two identities whose hashes collide.
//
// Probing. Open addressing with linear probing and Robin Hood displacement:
// the home slot is the top bits of the hash, the entries of a home stay
// together, and Erase shifts the following entries back (no tombstones), so
// probe lengths do not degrade with churn. Eight slots share a cache line, so
// a lookup at the maximum load of 7/8 mostly reads one line of the table and
// the one record it verifies. The table doubles before it would exceed 7/8
// full: between 7/16 and 7/8, 9 to 18 bytes per identity.
//
// The hash is seeded per process (from absl::Hash), so that nobody can craft
// identities that pile up in one home; the layout therefore differs between
// runs. Customer ids must fit 32 bits (CoreState refuses more customers).
//
// Thread-compatible. Movable, not copyable.

#ifndef OMNIROUTE_LIB_CORE_IDENTITY_INDEX_H_
#define OMNIROUTE_LIB_CORE_IDENTITY_INDEX_H_

#include <cstddef>
#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "omniroute/identity.h"
#include "omniroute/ids.h"
#include "omniroute/types.h"

namespace omniroute::core {

class IdentityIndex {
 public:
  // Hashes the three parts of an identity. Tests replace the built-in hash
  // with one to force collisions; only the top 32 bits are used.
  using HashFunction = uint64_t (*)(IdentityKind kind, absl::string_view network,
                                    absl::string_view value);
  // Whether the customer's record holds the identity being looked up.
  using Holds = absl::FunctionRef<bool(CustomerId customer)>;

  // The largest customer id a slot can hold.
  static constexpr uint64_t kMaxCustomerId = UINT32_MAX;

  IdentityIndex();
  // For tests: hashes with `hash` instead of the built-in hash.
  explicit IdentityIndex(HashFunction hash);
  ~IdentityIndex();

  // A moved-from index is empty and usable.
  IdentityIndex(IdentityIndex&& other) noexcept;
  IdentityIndex& operator=(IdentityIndex&& other) noexcept;
  IdentityIndex(const IdentityIndex&) = delete;
  IdentityIndex& operator=(const IdentityIndex&) = delete;

  // The customer who holds `identity`; invalid if none.
  CustomerId Find(const Identity& identity, Holds holds) const;
  // Maps `identity` to `customer` unless some customer holds it already;
  // returns whether it inserted. `customer` must not hold it yet.
  bool Insert(const Identity& identity, CustomerId customer, Holds holds);
  // Maps `identity`, which no customer holds, to `customer` without looking
  // for it first (a restore that checks uniqueness otherwise).
  void InsertAbsent(const Identity& identity, CustomerId customer);
  // Maps `identity` to `customer`: moves it from the customer who holds it,
  // or inserts it if none does.
  void Assign(const Identity& identity, CustomerId customer, Holds holds);
  // Removes the mapping of `identity`; returns whether there was one.
  bool Erase(const Identity& identity, Holds holds);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Makes room for `n` entries without further rehashing.
  void Reserve(size_t n);
  size_t slot_count() const { return slots_ == nullptr ? 0 : mask_ + 1; }
  // The bytes of the table.
  size_t table_bytes() const { return slot_count() * sizeof(uint64_t); }

 private:
  // Where a search ended: the matching slot, or where the key belongs.
  struct Probe {
    size_t index;
    size_t distance;  // From the key's home to `index`.
    bool found;
  };

  uint32_t HashOf(const Identity& identity) const;
  size_t Home(uint32_t hash) const { return hash >> shift_; }
  size_t DistanceFromHome(uint64_t slot, size_t index) const;
  Probe Search(uint32_t hash, Holds holds) const;
  void Place(uint64_t carried, size_t index, size_t distance);
  void InsertAt(Probe probe, uint32_t hash, CustomerId customer);
  // Grows if one more entry would exceed the maximum load; returns whether
  // it did (which invalidates probes).
  bool GrowForOneMore();
  void Rehash(size_t slot_count);

  // Null for the built-in hash.
  HashFunction hash_override_ = nullptr;
  uint64_t seed_;
  // Each slot: hash << 32 | customer id; 0 is empty (customer ids start at 1).
  uint64_t* slots_ = nullptr;
  size_t mask_ = 0;
  // 32 - log2(slot count): Home() is the top bits of the 32-bit hash.
  int shift_ = 32;
  size_t size_ = 0;
};

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_IDENTITY_INDEX_H_
