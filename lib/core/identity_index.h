// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// IdentityIndex: the exact map from a normalized Identity to the customer who
// owns it, built so that a lookup in a tenant of millions of customers costs
// one cache miss in the common case.
//
// A general-purpose hash map of Identity pays up to three misses per lookup:
// the control bytes, the 80-byte slot and the heap block of any value longer
// than the string's inline buffer (most emails). Here every bucket is one
// 64-byte cache line that holds the key inline, its hash and the customer id.
//
// Layout. One allocation: 2^k buckets, then one tag byte per bucket (empty,
// or 7 bits of the hash). It is 64-byte aligned, and 2 MiB aligned with
// MADV_HUGEPAGE once it is at least 2 MiB, which cuts the TLB misses of
// random lookups (measurably, on the benchmark VM). A key is encoded as
//   varint(kind) varint(network size) network value
// which is unambiguous ("ab"+"c" and "a"+"bc" differ). Encodings of up to
// kInlineKeyBytes bytes (emails of up to 49 characters) live in the bucket,
// zero-padded, so that a match is one comparison of 56 bytes; longer ones
// live in their own heap block that the bucket points to, and cost a second
// miss.
//
// Probing. Open addressing with linear probing and Robin Hood displacement:
// the home bucket is taken from the top bits of the hash, and the entries of
// a home stay together, before the first empty bucket. Find() reads the tags
// of the 8 buckets from home in one word (the tag array is a 64th of the
// table, so it mostly stays in cache) while the home bucket is prefetched,
// then reads only the buckets whose tag matches: a hit reads one bucket
// wherever it sits, and most misses read none. Erase shifts the following
// entries back (no tombstones), so probe lengths never degrade with churn.
//
// Exactness. Tags and hashes are only filters: a match is declared after
// comparing the full encoded key, so two identities whose hashes collide stay
// two identities.
//
// Load factor. The table doubles (rehashing from the stored hashes, without
// touching out-of-line keys) before it would exceed 1/2 full, so the load
// stays between 1/4 and 1/2: 130 to 260 bytes per entry, about what
// flat_hash_map<Identity, CustomerId> used with its heap-allocated strings.
// At a load of 1/2 about 2 entries in 3 sit in their home bucket and 9 in 10
// within one step of it, so the prefetch is mostly the right line.
//
// The hash is seeded per process (from absl::Hash), so that nobody can craft
// identities that pile up in one bucket; the layout therefore differs between
// runs. There is no iteration: nobody needs one, and its order would not be
// deterministic anyway.
//
// Thread-compatible. Movable, not copyable.

#ifndef OMNIROUTE_LIB_CORE_IDENTITY_INDEX_H_
#define OMNIROUTE_LIB_CORE_IDENTITY_INDEX_H_

#include <cstddef>
#include <cstdint>

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

  // Encoded keys of up to this many bytes are stored inside the bucket.
  static constexpr size_t kInlineKeyBytes = 51;

  IdentityIndex();
  // For tests: hashes with `hash` instead of the built-in hash.
  explicit IdentityIndex(HashFunction hash);
  ~IdentityIndex();

  // A moved-from index is empty and usable.
  IdentityIndex(IdentityIndex&& other) noexcept;
  IdentityIndex& operator=(IdentityIndex&& other) noexcept;
  IdentityIndex(const IdentityIndex&) = delete;
  IdentityIndex& operator=(const IdentityIndex&) = delete;

  // The customer mapped to `identity`; invalid if none.
  CustomerId Find(const Identity& identity) const;
  // Maps `identity` to `customer` unless it is already mapped; returns whether
  // it inserted.
  bool Insert(const Identity& identity, CustomerId customer);
  // Maps `identity` to `customer`, replacing any previous mapping.
  void Assign(const Identity& identity, CustomerId customer);
  // Removes the mapping of `identity`; returns whether there was one.
  bool Erase(const Identity& identity);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Makes room for `n` entries without further rehashing.
  void Reserve(size_t n);
  size_t bucket_count() const { return mask_ + (buckets_ != nullptr ? 1 : 0); }

  // The size of the encoding of `identity`; it is stored inline if this is at
  // most kInlineKeyBytes.
  static size_t EncodedSize(const Identity& identity);

 private:
  struct Bucket;
  struct Key;
  // Where a search for a key ended.
  struct Probe {
    size_t index;     // The key's bucket if found, else where it belongs.
    size_t distance;  // From the key's home bucket to `index`.
    bool found;
  };

  static Bucket* AllocateBuckets(size_t count);
  static void FreeBuckets(Bucket* buckets, size_t count);
  static bool Matches(const Bucket& bucket, const Key& key);

  Key MakeKey(const Identity& identity) const;
  size_t Home(uint32_t hash) const { return hash >> shift_; }
  size_t DistanceFromHome(const Bucket& bucket, size_t index) const;
  void SetTag(size_t index, uint8_t tag);
  // The general search, from `index` at `distance` from the key's home.
  Probe Search(const Key& key, size_t index, size_t distance) const;
  Probe Search(const Key& key) const;
  // Stores a new entry for `key`, known to be absent, found by `probe`.
  void InsertAt(Probe probe, const Key& key, CustomerId customer);
  // Grows if one more entry would exceed the maximum load; returns whether
  // it did (which invalidates probes).
  // Puts `carried` at or after `index`, `distance` steps from its home,
  // moving richer residents on (Robin Hood).
  void Place(Bucket carried, size_t index, size_t distance);
  bool GrowForOneMore();
  void Rehash(size_t bucket_count);
  void FreeKeys();

  // Null for the built-in hash.
  HashFunction hash_override_ = nullptr;
  // Seeds the built-in hash, differently in each process (from absl::Hash), so
  // that nobody can craft identities that pile up in one bucket.
  uint64_t seed_;
  Bucket* buckets_ = nullptr;
  // The buckets' tags, in the same allocation (see the .cc).
  uint8_t* tags_ = nullptr;
  // bucket_count - 1 (0 while there are no buckets).
  size_t mask_ = 0;
  // 32 - log2(bucket_count): Home() is the top bits of the 32-bit hash.
  int shift_ = 32;
  size_t size_ = 0;
  // Entries whose key is stored out of line (their blocks to free).
  size_t out_of_line_ = 0;
};

}  // namespace omniroute::core

#endif  // OMNIROUTE_LIB_CORE_IDENTITY_INDEX_H_
