// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/identity_index.h"

#include <sys/mman.h>

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <new>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/hash/hash.h"

namespace omniroute::core {
namespace {

// A bucket's `meta` byte: empty (zero, so that zeroed memory is an empty
// table), a key stored out of line, or 1 + the size of a key stored inline.
constexpr uint8_t kEmpty = 0;
constexpr uint8_t kOutOfLine = 0xff;
static_assert(IdentityIndex::kInlineKeyBytes + 1 < kOutOfLine);

// The table never exceeds this load (entries / buckets).
constexpr size_t kMaxLoadNumerator = 1;
constexpr size_t kMaxLoadDenominator = 2;
constexpr size_t kMinBuckets = 16;
// Home() keeps 32 bits of hash, so it can address at most 2^32 buckets.
constexpr size_t kMaxBuckets = size_t{1} << 32;

// Tables of at least one huge page get huge-page alignment and
// MADV_HUGEPAGE: random lookups over a table of a hundred megabytes
// otherwise miss the TLB on nearly every access, and in a virtual machine a
// TLB miss is a two-dimensional page walk that costs as much as the miss.
constexpr size_t kHugePageBytes = size_t{2} << 20;

// The bytes of a bucket that identify an inline entry: its key (zero-padded),
// its meta byte (which holds the key's size) and its hash. Two inline entries
// hold the same key exactly when these bytes are equal.
constexpr size_t kImageBytes = 56;
constexpr size_t kImageWords = kImageBytes / 8;
constexpr size_t kMetaOffset = IdentityIndex::kInlineKeyBytes;
constexpr size_t kHashOffset = 52;

// Each bucket has a tag byte in a separate array: kEmpty, or 0x80 and 7 bits
// of the hash. Find() reads the tags of a group of kGroupWidth buckets from
// the home bucket on in one word, so that it touches no bucket for most
// absent keys and only the right bucket for present ones. The tag array is a
// 64th of the table (2 MiB for a million identities), so it mostly stays in
// cache. Its first kGroupWidth - 1 tags are repeated after the end, so that a
// group read never wraps.
constexpr size_t kGroupWidth = 8;
constexpr uint64_t kLowBits = 0x0101010101010101;
constexpr uint64_t kHighBits = 0x8080808080808080;
static_assert(std::endian::native == std::endian::little, "tag groups are read little-endian");

// The low bits of the stored hash: Home() uses the top ones (they overlap only
// in tables of more than 2^25 buckets, where tags filter less).
uint8_t TagOf(uint32_t hash) { return static_cast<uint8_t>(0x80 | (hash & 0x7f)); }

// The high bit of each byte of `x` that is zero, exactly for the lowest zero
// byte; a byte above a zero byte may be flagged falsely.
uint64_t ZeroBytes(uint64_t x) { return (x - kLowBits) & ~x & kHighBits; }

// Writes `v` as a little-endian base-128 varint; returns the bytes written.
size_t PutVarint(uint64_t v, char* out) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<char>(v);
  return n;
}

uint64_t LoadWord(const void* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
  return w;
}

// Multiplies and folds the 128-bit product (as wyhash does): every input bit
// reaches the high output bits, which Home() uses.
uint64_t Mix(uint64_t a, uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}

// Hashes the first kImageBytes of an image (hash field zero). Fixed size and
// branch-free, so that the lookup of an inline key never stalls on a
// mispredicted branch while its bucket is in flight.
uint64_t HashImage(const unsigned char* image, uint64_t seed) {
  constexpr uint64_t k0 = 0xa0761d6478bd642f;
  constexpr uint64_t k1 = 0xe7037ed1a0b428db;
  constexpr uint64_t k2 = 0x8ebc6af09c88c6e3;
  constexpr uint64_t k3 = 0x589965cc75374cc3;
  const uint64_t a = Mix(LoadWord(image) ^ k0, LoadWord(image + 8) ^ seed);
  const uint64_t b = Mix(LoadWord(image + 16) ^ k1, LoadWord(image + 24) ^ seed);
  const uint64_t c = Mix(LoadWord(image + 32) ^ k2, LoadWord(image + 40) ^ seed);
  const uint64_t d = Mix(LoadWord(image + 48) ^ k3, seed ^ k0);
  return Mix(a ^ c ^ k1, b ^ d ^ seed);
}

// The part of a bucket that points at a key stored out of line.
struct OutOfLineKey {
  char* data;
  size_t size;
};

OutOfLineKey GetOutOfLine(const char* bucket_key) {
  OutOfLineKey key;
  std::memcpy(&key, bucket_key, sizeof(key));
  return key;
}

// The table is one allocation: the buckets, then the tags.
size_t TagBytes(size_t bucket_count) { return (bucket_count + kGroupWidth - 1 + 63) / 64 * 64; }
size_t TableBytes(size_t bucket_count) { return bucket_count * 64 + TagBytes(bucket_count); }
size_t AlignmentFor(size_t bytes) { return bytes >= kHugePageBytes ? kHugePageBytes : 64; }

}  // namespace

struct alignas(64) IdentityIndex::Bucket {
  // The encoded key, zero-padded, if it fits; else an OutOfLineKey.
  char key[kInlineKeyBytes];
  uint8_t meta;
  // The top 32 bits of the key's hash: the home bucket, and for out-of-line
  // keys a filter that spares most comparisons (and their cache misses).
  uint32_t hash;
  uint64_t customer;
};

// An identity being looked up or stored, encoded.
struct IdentityIndex::Key {
  bool Equals(const char* data, size_t n) const {
    return n == size && std::memcmp(data, header, header_size) == 0 &&
           std::memcmp(data + header_size, network.data(), network.size()) == 0 &&
           std::memcmp(data + header_size + network.size(), value.data(), value.size()) == 0;
  }

  void WriteTo(char* out) const {
    std::memcpy(out, header, header_size);
    if (!network.empty()) std::memcpy(out + header_size, network.data(), network.size());
    if (!value.empty()) std::memcpy(out + header_size + network.size(), value.data(), value.size());
  }

  // Inline keys: what a bucket holding the key starts with.
  alignas(8) unsigned char image[kImageBytes];
  bool is_inline;
  uint32_t hash;
  size_t size;
  // varint(kind) is at most 5 bytes, varint(network size) at most 10.
  char header[15];
  size_t header_size;
  absl::string_view network;
  absl::string_view value;
};

namespace {

// Whether the bucket at `bucket` holds the inline key of `image`.
bool SameImage(const void* bucket, const unsigned char* image) {
  const unsigned char* stored = static_cast<const unsigned char*>(bucket);
  uint64_t difference = 0;
  for (size_t i = 0; i < kImageWords; ++i) {
    difference |= LoadWord(stored + 8 * i) ^ LoadWord(image + 8 * i);
  }
  return difference == 0;
}

}  // namespace

IdentityIndex::IdentityIndex() : seed_(absl::HashOf(uint64_t{0x6f6d6e69726f7574})) {}

IdentityIndex::IdentityIndex(HashFunction hash) : IdentityIndex() { hash_override_ = hash; }

IdentityIndex::~IdentityIndex() {
  if (buckets_ == nullptr) return;
  FreeKeys();
  FreeBuckets(buckets_, bucket_count());
}

IdentityIndex::IdentityIndex(IdentityIndex&& other) noexcept
    : hash_override_(other.hash_override_),
      seed_(other.seed_),
      buckets_(std::exchange(other.buckets_, nullptr)),
      tags_(std::exchange(other.tags_, nullptr)),
      mask_(std::exchange(other.mask_, 0)),
      shift_(std::exchange(other.shift_, 32)),
      size_(std::exchange(other.size_, 0)),
      out_of_line_(std::exchange(other.out_of_line_, 0)) {}

IdentityIndex& IdentityIndex::operator=(IdentityIndex&& other) noexcept {
  if (this != &other) {
    IdentityIndex doomed(std::move(*this));
    hash_override_ = other.hash_override_;
    seed_ = other.seed_;
    buckets_ = std::exchange(other.buckets_, nullptr);
    tags_ = std::exchange(other.tags_, nullptr);
    mask_ = std::exchange(other.mask_, 0);
    shift_ = std::exchange(other.shift_, 32);
    size_ = std::exchange(other.size_, 0);
    out_of_line_ = std::exchange(other.out_of_line_, 0);
  }
  return *this;
}

IdentityIndex::Key IdentityIndex::MakeKey(const Identity& identity) const {
  Key key;
  key.network = identity.network;
  key.value = identity.value;
  key.header_size = PutVarint(static_cast<uint32_t>(identity.kind), key.header);
  key.header_size += PutVarint(key.network.size(), key.header + key.header_size);
  key.size = key.header_size + key.network.size() + key.value.size();
  key.is_inline = key.size <= kInlineKeyBytes;
  uint64_t hash;
  if (key.is_inline) {
    std::memset(key.image, 0, kImageBytes);
    key.WriteTo(reinterpret_cast<char*>(key.image));
    key.image[kMetaOffset] = static_cast<unsigned char>(key.size + 1);
    hash = HashImage(key.image, seed_);
  } else {
    hash = absl::HashOf(seed_, identity.kind, key.network, key.value);
  }
  if (ABSL_PREDICT_FALSE(hash_override_ != nullptr)) {
    hash = hash_override_(identity.kind, key.network, key.value);
  }
  key.hash = static_cast<uint32_t>(hash >> 32);
  if (key.is_inline) std::memcpy(key.image + kHashOffset, &key.hash, sizeof(key.hash));
  return key;
}

IdentityIndex::Bucket* IdentityIndex::AllocateBuckets(size_t count) {
  static_assert(sizeof(Bucket) == 64, "a bucket is one cache line");
  static_assert(alignof(Bucket) == 64);
  static_assert(offsetof(Bucket, meta) == kMetaOffset && offsetof(Bucket, hash) == kHashOffset &&
                offsetof(Bucket, customer) == kImageBytes);
  static_assert(sizeof(OutOfLineKey) <= kInlineKeyBytes);
  const size_t bytes = TableBytes(count);
  const size_t alignment = AlignmentFor(bytes);
  void* memory = ::operator new(bytes, std::align_val_t(alignment));
#ifdef MADV_HUGEPAGE
  // Best effort, and before the memset below faults the pages in, so that
  // they come as huge pages where the kernel has them.
  if (alignment == kHugePageBytes) madvise(memory, bytes, MADV_HUGEPAGE);
#endif
  std::memset(memory, 0, bytes);
  return static_cast<Bucket*>(memory);
}

void IdentityIndex::FreeBuckets(Bucket* buckets, size_t count) {
  const size_t bytes = TableBytes(count);
  ::operator delete(buckets, bytes, std::align_val_t(AlignmentFor(bytes)));
}

bool IdentityIndex::Matches(const Bucket& bucket, const Key& key) {
  // An inline key never matches an out-of-line bucket: their meta differ.
  if (key.is_inline) return SameImage(&bucket, key.image);
  if (bucket.meta != kOutOfLine || bucket.hash != key.hash) return false;
  const OutOfLineKey stored = GetOutOfLine(bucket.key);
  return key.Equals(stored.data, stored.size);
}

size_t IdentityIndex::EncodedSize(const Identity& identity) {
  char header[15];
  size_t header_size = PutVarint(static_cast<uint32_t>(identity.kind), header);
  header_size += PutVarint(identity.network.size(), header + header_size);
  return header_size + identity.network.size() + identity.value.size();
}

void IdentityIndex::SetTag(size_t index, uint8_t tag) {
  tags_[index] = tag;
  if (index < kGroupWidth - 1) tags_[mask_ + 1 + index] = tag;
}

size_t IdentityIndex::DistanceFromHome(const Bucket& bucket, size_t index) const {
  return (index - Home(bucket.hash)) & mask_;
}

IdentityIndex::Probe IdentityIndex::Search(const Key& key, size_t index, size_t distance) const {
  for (;; ++distance, index = (index + 1) & mask_) {
    const Bucket& bucket = buckets_[index];
    // Robin Hood order: once the search is further from its home than the
    // resident is from its own, the key would have been placed here.
    if (bucket.meta == kEmpty || DistanceFromHome(bucket, index) < distance) {
      return {index, distance, false};
    }
    if (Matches(bucket, key)) return {index, distance, true};
  }
}

IdentityIndex::Probe IdentityIndex::Search(const Key& key) const {
  return Search(key, Home(key.hash), 0);
}

CustomerId IdentityIndex::Find(const Identity& identity) const {
  if (size_ == 0) return CustomerId();
  const Key key = MakeKey(identity);
  const size_t home = Home(key.hash);
  // Most keys live in their home bucket: start fetching it while the tags
  // are read.
  __builtin_prefetch(&buckets_[home]);
  uint64_t group;
  std::memcpy(&group, tags_ + home, sizeof(group));
  const uint64_t empties = ZeroBytes(group);
  // Robin Hood keeps the entries of a home together and without gaps: the
  // key is before the first empty bucket, if anywhere. Tag matches after it
  // are ignored (they belong to other homes).
  const uint64_t before_empty = empties == 0 ? ~uint64_t{0} : (empties & (0 - empties)) - 1;
  for (uint64_t matches = ZeroBytes(group ^ (kLowBits * TagOf(key.hash))) & before_empty;
       matches != 0; matches &= matches - 1) {
    const Bucket& bucket = buckets_[(home + std::countr_zero(matches) / 8) & mask_];
    if (Matches(bucket, key)) return CustomerId(bucket.customer);
  }
  if (ABSL_PREDICT_TRUE(empties != 0)) return CustomerId();
  // A group with no empty bucket: rare at our load; search bucket by bucket.
  const Probe probe = Search(key);
  return probe.found ? CustomerId(buckets_[probe.index].customer) : CustomerId();
}

bool IdentityIndex::Insert(const Identity& identity, CustomerId customer) {
  const Key key = MakeKey(identity);
  if (buckets_ == nullptr) Rehash(kMinBuckets);
  Probe probe = Search(key);
  if (probe.found) return false;
  if (GrowForOneMore()) probe = Search(key);
  InsertAt(probe, key, customer);
  return true;
}

void IdentityIndex::Assign(const Identity& identity, CustomerId customer) {
  const Key key = MakeKey(identity);
  if (buckets_ == nullptr) Rehash(kMinBuckets);
  Probe probe = Search(key);
  if (probe.found) {
    buckets_[probe.index].customer = customer.value();
    return;
  }
  if (GrowForOneMore()) probe = Search(key);
  InsertAt(probe, key, customer);
}

bool IdentityIndex::Erase(const Identity& identity) {
  if (size_ == 0) return false;
  const Probe probe = Search(MakeKey(identity));
  if (!probe.found) return false;
  size_t hole = probe.index;
  if (buckets_[hole].meta == kOutOfLine) {
    delete[] GetOutOfLine(buckets_[hole].key).data;
    --out_of_line_;
  }
  // Backward shift: the entries after the hole that are away from home move
  // one step closer, which keeps every search path unbroken without
  // tombstones.
  for (size_t next = (hole + 1) & mask_;
       buckets_[next].meta != kEmpty && DistanceFromHome(buckets_[next], next) > 0;
       hole = next, next = (next + 1) & mask_) {
    buckets_[hole] = buckets_[next];
    SetTag(hole, tags_[next]);
  }
  std::memset(&buckets_[hole], 0, sizeof(Bucket));
  SetTag(hole, kEmpty);
  --size_;
  return true;
}

void IdentityIndex::Reserve(size_t n) {
  size_t count = kMinBuckets;
  while (n * kMaxLoadDenominator > count * kMaxLoadNumerator) count *= 2;
  if (count > bucket_count()) Rehash(count);
}

void IdentityIndex::InsertAt(Probe probe, const Key& key, CustomerId customer) {
  Bucket carried;
  if (key.is_inline) {
    std::memcpy(&carried, key.image, kImageBytes);
  } else {
    std::memset(&carried, 0, sizeof(carried));
    const OutOfLineKey stored{new char[key.size], key.size};
    key.WriteTo(stored.data);
    std::memcpy(carried.key, &stored, sizeof(stored));
    carried.meta = kOutOfLine;
    carried.hash = key.hash;
    ++out_of_line_;
  }
  carried.customer = customer.value();
  Place(carried, probe.index, probe.distance);
  ++size_;
}

void IdentityIndex::Place(Bucket carried, size_t index, size_t distance) {
  // Robin Hood: the carried entry takes the place of the first resident that
  // is closer to its home, which then moves on in its stead.
  for (;; index = (index + 1) & mask_, ++distance) {
    Bucket& bucket = buckets_[index];
    if (bucket.meta == kEmpty) {
      bucket = carried;
      SetTag(index, TagOf(bucket.hash));
      return;
    }
    const size_t resident = DistanceFromHome(bucket, index);
    if (resident < distance) {
      std::swap(bucket, carried);
      SetTag(index, TagOf(bucket.hash));
      distance = resident;
    }
  }
}

bool IdentityIndex::GrowForOneMore() {
  if ((size_ + 1) * kMaxLoadDenominator <= bucket_count() * kMaxLoadNumerator) return false;
  Rehash(bucket_count() * 2);
  return true;
}

void IdentityIndex::Rehash(size_t count) {
  assert(std::has_single_bit(count) && count >= kMinBuckets && count <= kMaxBuckets);
  Bucket* const old = buckets_;
  const size_t old_count = bucket_count();
  buckets_ = AllocateBuckets(count);
  tags_ = reinterpret_cast<uint8_t*>(buckets_ + count);
  mask_ = count - 1;
  shift_ = 32 - std::countr_zero(count);
  // Entries move bitwise (out-of-line keys keep their blocks) and are placed
  // by their stored hash, so growing reads no key.
  for (size_t i = 0; i < old_count; ++i) {
    if (old[i].meta == kEmpty) continue;
    Place(old[i], Home(old[i].hash), 0);
  }
  if (old != nullptr) FreeBuckets(old, old_count);
}

void IdentityIndex::FreeKeys() {
  // Most tables have no out-of-line key; they skip reading every bucket.
  for (size_t i = 0; out_of_line_ > 0 && i <= mask_; ++i) {
    if (buckets_[i].meta == kOutOfLine) {
      delete[] GetOutOfLine(buckets_[i].key).data;
      --out_of_line_;
    }
  }
}

}  // namespace omniroute::core
