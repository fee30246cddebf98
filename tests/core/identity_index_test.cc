// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/identity_index.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "omniroute/identity.h"
#include "omniroute/ids.h"
#include "omniroute/types.h"

namespace omniroute::core {
namespace {

using ::omniroute::v1::IDENTITY_KIND_CRM_ID;
using ::omniroute::v1::IDENTITY_KIND_CUSTOM;
using ::omniroute::v1::IDENTITY_KIND_EMAIL;
using ::omniroute::v1::IDENTITY_KIND_PHONE;
using ::omniroute::v1::IDENTITY_KIND_SOCIAL_HANDLE;
using ::omniroute::v1::IDENTITY_KIND_SOCIAL_ID;
using ::omniroute::v1::IDENTITY_KIND_UNSPECIFIED;

Identity Email(std::string value) { return {IDENTITY_KIND_EMAIL, "", std::move(value)}; }

CustomerId C(uint64_t id) { return CustomerId(id); }

// Every key hashes alike: same home bucket, same stored hash. Only the full
// key comparison tells entries apart.
uint64_t ConstantHash(IdentityKind, absl::string_view, absl::string_view) {
  return 0x9e3779b97f4a7c15;
}

// Two hash values: two long collision chains that interleave.
uint64_t ParityHash(IdentityKind, absl::string_view, absl::string_view value) {
  return value.empty() || value.back() % 2 == 0 ? 0x1234'5678'0000'0000 : 0x1234'5679'0000'0000;
}

// The index and the records it is keyed by (a customer's identities, as
// CustomerProfile holds them in the tenant), kept in step in the order the
// index needs (identity_index.h).
class Owners {
 public:
  Owners() = default;
  explicit Owners(IdentityIndex::HashFunction hash) : index_(hash) {}

  CustomerId Find(const Identity& k) const { return index_.Find(k, Holds(k)); }
  bool Insert(const Identity& k, CustomerId c) {
    if (!index_.Insert(k, c, Holds(k))) return false;
    held_[c].push_back(k);
    return true;
  }
  void Assign(const Identity& k, CustomerId c) {
    const CustomerId old = Find(k);
    index_.Assign(k, c, Holds(k));
    if (old.valid()) Drop(old, k);
    held_[c].push_back(k);
  }
  bool Erase(const Identity& k) {
    const CustomerId old = Find(k);
    if (!index_.Erase(k, Holds(k))) return false;
    Drop(old, k);
    return true;
  }
  void Reserve(size_t n) { index_.Reserve(n); }
  size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }
  size_t slot_count() const { return index_.slot_count(); }

 private:
  std::function<bool(CustomerId)> Holds(const Identity& k) const {
    return [this, k](CustomerId c) {
      auto it = held_.find(c);
      return it != held_.end() && std::find(it->second.begin(), it->second.end(), k) !=
                                      it->second.end();
    };
  }
  void Drop(CustomerId c, const Identity& k) {
    std::vector<Identity>& v = held_[c];
    v.erase(std::find(v.begin(), v.end(), k));
  }

  IdentityIndex index_;
  absl::flat_hash_map<CustomerId, std::vector<Identity>> held_;
};

TEST(IdentityIndexTest, EmptyFindsNothing) {
  Owners index;
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.empty());
  EXPECT_FALSE(index.Find(Email("ann@example.com")).valid());
  EXPECT_FALSE(index.Erase(Email("ann@example.com")));
  EXPECT_EQ(index.slot_count(), 0u);
}

TEST(IdentityIndexTest, InsertFindEraseAssign) {
  Owners index;
  EXPECT_TRUE(index.Insert(Email("ann@example.com"), C(1)));
  EXPECT_TRUE(index.Insert(Email("bob@example.com"), C(2)));
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.Find(Email("ann@example.com")), C(1));
  EXPECT_EQ(index.Find(Email("bob@example.com")), C(2));
  EXPECT_FALSE(index.Find(Email("cat@example.com")).valid());

  // Insert does not overwrite.
  EXPECT_FALSE(index.Insert(Email("ann@example.com"), C(3)));
  EXPECT_EQ(index.Find(Email("ann@example.com")), C(1));

  // Assign does, and inserts when absent.
  index.Assign(Email("ann@example.com"), C(3));
  EXPECT_EQ(index.Find(Email("ann@example.com")), C(3));
  index.Assign(Email("cat@example.com"), C(4));
  EXPECT_EQ(index.Find(Email("cat@example.com")), C(4));
  EXPECT_EQ(index.size(), 3u);

  EXPECT_TRUE(index.Erase(Email("ann@example.com")));
  EXPECT_FALSE(index.Erase(Email("ann@example.com")));
  EXPECT_FALSE(index.Find(Email("ann@example.com")).valid());
  EXPECT_EQ(index.Find(Email("bob@example.com")), C(2));
  EXPECT_EQ(index.Find(Email("cat@example.com")), C(4));
  EXPECT_EQ(index.size(), 2u);
}

TEST(IdentityIndexTest, GrowsAcrossManyRehashes) {
  Owners index;
  constexpr uint64_t kCount = 200'000;
  for (uint64_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(index.Insert(Email(absl::StrCat("customer", i, "@example.com")), C(i + 1)));
  }
  EXPECT_EQ(index.size(), kCount);
  // At most 7/8 full, and no more than twice as big as it needs to be: 8
  // bytes a slot, so 9 to 18 bytes an identity.
  EXPECT_GE(index.slot_count() * 7, kCount * 8);
  EXPECT_LE(index.slot_count() * 7, kCount * 16);
  for (uint64_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(index.Find(Email(absl::StrCat("customer", i, "@example.com"))), C(i + 1)) << i;
  }
  EXPECT_FALSE(index.Find(Email(absl::StrCat("customer", kCount, "@example.com"))).valid());
}

TEST(IdentityIndexTest, ReserveAvoidsRehashing) {
  Owners index;
  index.Reserve(10'000);
  const size_t buckets = index.slot_count();
  EXPECT_GE(buckets * 7, 10'000u * 8);
  for (uint64_t i = 0; i < 10'000; ++i) index.Insert(Email(absl::StrCat(i, "@x.org")), C(i + 1));
  EXPECT_EQ(index.slot_count(), buckets);
  // Reserving less than there is changes nothing.
  index.Reserve(10);
  EXPECT_EQ(index.slot_count(), buckets);
  for (uint64_t i = 0; i < 10'000; ++i) ASSERT_EQ(index.Find(Email(absl::StrCat(i, "@x.org"))), C(i + 1));
}

TEST(IdentityIndexTest, KeysOfManyLengths) {
  Owners index;
  std::vector<Identity> keys;
  // Empty value up to a line's length, then much longer keys.
  for (size_t n = 0; n <= 64; ++n) {
    keys.push_back(Email(std::string(n, 'a')));
    keys.push_back({IDENTITY_KIND_CUSTOM, "ns", std::string(n, 'a')});
  }
  for (size_t n : {200, 320, 1024, 4096}) {
    keys.push_back(Email(std::string(n, 'b')));
    // Same long prefix, different last byte.
    std::string v(n, 'b');
    v.back() = 'c';
    keys.push_back(Email(v));
    keys.push_back({IDENTITY_KIND_CUSTOM, std::string(n, 'n'), "v"});
  }
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_TRUE(index.Insert(keys[i], C(i + 1))) << i;
  EXPECT_EQ(index.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(index.Find(keys[i]), C(i + 1)) << i;
  // A key one byte longer or shorter than a stored one is another key.
  EXPECT_FALSE(index.Find(Email(std::string(1025, 'b'))).valid());
  EXPECT_FALSE(index.Find(Email(std::string(1023, 'b'))).valid());

  // Erase every other key, long and short; the rest are still there.
  for (size_t i = 0; i < keys.size(); i += 2) ASSERT_TRUE(index.Erase(keys[i]));
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(index.Find(keys[i]), i % 2 == 0 ? CustomerId() : C(i + 1)) << i;
  }
}

TEST(IdentityIndexTest, KindAndNetworkArePartOfTheKey) {
  Owners index;
  const std::vector<Identity> keys = {
      {IDENTITY_KIND_UNSPECIFIED, "", "123"},
      {IDENTITY_KIND_EMAIL, "", "123"},
      {IDENTITY_KIND_PHONE, "", "123"},
      {IDENTITY_KIND_SOCIAL_HANDLE, "x", "123"},
      {IDENTITY_KIND_SOCIAL_ID, "x", "123"},
      {IDENTITY_KIND_SOCIAL_ID, "instagram", "123"},
      {IDENTITY_KIND_CRM_ID, "", "123"},
      {IDENTITY_KIND_CRM_ID, "salesforce", "123"},
      {IDENTITY_KIND_CUSTOM, "x", "123"},
      // The same bytes split differently between network and value.
      {IDENTITY_KIND_CUSTOM, "x1", "23"},
      {IDENTITY_KIND_CUSTOM, "x12", "3"},
      {IDENTITY_KIND_CUSTOM, "x123", ""},
      {IDENTITY_KIND_CUSTOM, "", "x123"},
      // A kind outside the known ones, and a network long enough that its
      // size takes two bytes.
      {static_cast<IdentityKind>(1000), "x", "123"},
      {IDENTITY_KIND_CUSTOM, std::string(200, 'n'), "123"},
      {IDENTITY_KIND_CUSTOM, std::string(199, 'n'), "n123"},
  };
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_TRUE(index.Insert(keys[i], C(i + 1))) << i;
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(index.Find(keys[i]), C(i + 1)) << i;
  EXPECT_FALSE(index.Find({IDENTITY_KIND_SOCIAL_HANDLE, "instagram", "123"}).valid());
}

TEST(IdentityIndexTest, CollidingHashesStayDistinct) {
  Owners index(&ConstantHash);
  std::vector<Identity> keys;
  for (int i = 0; i < 300; ++i) {
    // Short (inline) and long (out-of-line) keys in the same chain.
    keys.push_back(Email(absl::StrCat("u", i, "@example.com")));
    keys.push_back(Email(absl::StrCat(std::string(100, 'l'), i)));
  }
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_TRUE(index.Insert(keys[i], C(i + 1)));
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(index.Find(keys[i]), C(i + 1)) << i;
  EXPECT_FALSE(index.Find(Email("u300@example.com")).valid());
  EXPECT_FALSE(index.Insert(keys[7], C(99)));
  for (size_t i = 0; i < keys.size(); i += 3) ASSERT_TRUE(index.Erase(keys[i]));
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(index.Find(keys[i]), i % 3 == 0 ? CustomerId() : C(i + 1)) << i;
  }
}

TEST(IdentityIndexTest, InterleavedCollisionChains) {
  Owners index(&ParityHash);
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(index.Insert(Email(absl::StrCat(i)), C(i + 1)));
  for (int i = 0; i < 500; i += 2) ASSERT_TRUE(index.Erase(Email(absl::StrCat(i))));
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(index.Find(Email(absl::StrCat(i))), i % 2 == 0 ? CustomerId() : C(i + 1)) << i;
  }
}

// Every key's home is the last bucket (the top bits of the hash are all ones)
// and the low bits differ by key, so a chain wraps around the end of the
// table.
uint64_t LastBucketHash(IdentityKind, absl::string_view, absl::string_view value) {
  return uint64_t{0xffffff80 | static_cast<uint8_t>(value.back())} << 32;
}

TEST(IdentityIndexTest, ChainsWrapAroundTheEnd) {
  Owners index(&LastBucketHash);
  const std::vector<Identity> keys = {Email("a"), Email("b"), Email("c"), Email("d"),
                                      Email("e"), Email("f")};
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_TRUE(index.Insert(keys[i], C(i + 1)));
  ASSERT_EQ(index.slot_count(), 16u);
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(index.Find(keys[i]), C(i + 1)) << i;
  EXPECT_FALSE(index.Find(Email("g")).valid());
  // Erasing the entry in the last bucket shifts the wrapped ones back.
  ASSERT_TRUE(index.Erase(keys[0]));
  EXPECT_FALSE(index.Find(keys[0]).valid());
  for (size_t i = 1; i < keys.size(); ++i) ASSERT_EQ(index.Find(keys[i]), C(i + 1)) << i;
  ASSERT_TRUE(index.Erase(keys[3]));
  for (size_t i = 1; i < keys.size(); ++i) {
    ASSERT_EQ(index.Find(keys[i]), i == 3 ? CustomerId() : C(i + 1)) << i;
  }
}

TEST(IdentityIndexTest, EraseThenReinsert) {
  Owners index;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(index.Insert(Email(absl::StrCat("k", i)), C(round * 1000 + i + 1)));
    }
    ASSERT_EQ(index.size(), 1000u);
    for (int i = 0; i < 1000; ++i) {
      ASSERT_EQ(index.Find(Email(absl::StrCat("k", i))), C(round * 1000 + i + 1));
      ASSERT_TRUE(index.Erase(Email(absl::StrCat("k", i))));
    }
    ASSERT_EQ(index.size(), 0u);
  }
  // Churn does not grow the table (no tombstones to make room for).
  EXPECT_LE(index.slot_count(), 4096u);
}

TEST(IdentityIndexTest, MovesAndTheMovedFromIsUsable) {
  // Every customer holds every identity here: the moves are what is tested.
  auto all = [](CustomerId) { return true; };
  auto none = [](CustomerId) { return false; };
  IdentityIndex a;
  a.InsertAbsent(Email("ann@example.com"), C(1));
  a.InsertAbsent(Email("bob@example.com"), C(2));

  IdentityIndex b(std::move(a));
  EXPECT_EQ(b.size(), 2u);
  EXPECT_TRUE(b.Find(Email("ann@example.com"), all).valid());
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): defined as empty.
  EXPECT_EQ(a.slot_count(), 0u);
  EXPECT_FALSE(a.Find(Email("ann@example.com"), all).valid());
  EXPECT_TRUE(a.Insert(Email("cat@example.com"), C(3), none));
  EXPECT_EQ(a.Find(Email("cat@example.com"), all), C(3));

  // Assignment frees what the target held (checked by the sanitizers).
  a = std::move(b);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_FALSE(a.Find(Email("cat@example.com"), none).valid());
  EXPECT_EQ(b.size(), 0u);  // NOLINT(bugprone-use-after-move)
}

// The index keeps hashes, not keys: a slot whose hash matches is a match only
// if its customer holds the identity, so the caller's records decide.
TEST(IdentityIndexTest, TheHoldersRecordsDecideAMatch) {
  IdentityIndex index(&ConstantHash);
  index.InsertAbsent(Email("ann@example.com"), C(1));
  const Identity ann = Email("ann@example.com");
  const Identity bob = Email("bob@example.com");
  auto holds_ann = [&](CustomerId c) { return c == C(1); };
  auto nobody = [](CustomerId) { return false; };
  EXPECT_EQ(index.Find(ann, holds_ann), C(1));
  // Same hash, but customer 1 does not hold bob.
  EXPECT_FALSE(index.Find(bob, nobody).valid());
  EXPECT_FALSE(index.Erase(bob, nobody));
  EXPECT_EQ(index.size(), 1u);
}

// One customer holding two identities whose hashes collide: its two slots
// are interchangeable, and each identity stays findable through any change.
TEST(IdentityIndexTest, OneCustomerWithCollidingIdentities) {
  Owners index(&ConstantHash);
  const Identity ann = Email("ann@example.com");
  const Identity ann2 = Email("ann@example.org");
  const Identity bob = Email("bob@example.com");
  ASSERT_TRUE(index.Insert(ann, C(1)));
  ASSERT_TRUE(index.Insert(bob, C(2)));
  ASSERT_TRUE(index.Insert(ann2, C(1)));
  EXPECT_EQ(index.Find(ann), C(1));
  EXPECT_EQ(index.Find(ann2), C(1));
  // Moving the second one leaves the first with customer 1.
  index.Assign(ann2, C(3));
  EXPECT_EQ(index.Find(ann), C(1));
  EXPECT_EQ(index.Find(ann2), C(3));
  EXPECT_EQ(index.Find(bob), C(2));
  index.Assign(ann2, C(1));
  ASSERT_TRUE(index.Erase(ann));
  EXPECT_FALSE(index.Find(ann).valid());
  EXPECT_EQ(index.Find(ann2), C(1));
  EXPECT_EQ(index.size(), 2u);
}

// Random operations against absl::flat_hash_map, over keys of all lengths
// and kinds, with a fixed seed so that a failure reproduces.
TEST(IdentityIndexTest, MatchesFlatHashMapOnRandomOperations) {
  std::mt19937_64 rng(20240611);
  auto uniform = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  // A pool of keys small enough that operations often hit existing ones.
  std::vector<Identity> pool;
  const std::vector<std::string> networks = {"", "x", "instagram", std::string(60, 'n')};
  for (int i = 0; i < 4000; ++i) {
    Identity k;
    k.kind = static_cast<IdentityKind>(uniform(7));
    k.network = networks[uniform(networks.size())];
    const size_t length = uniform(10) == 0 ? 50 + uniform(400) : uniform(60);
    for (size_t j = 0; j < length; ++j) k.value.push_back(static_cast<char>('a' + uniform(3)));
    pool.push_back(std::move(k));
  }

  // The built-in hash, then long collision chains.
  for (const bool colliding : {false, true}) {
    Owners index = colliding ? Owners(&ParityHash) : Owners();
    absl::flat_hash_map<Identity, CustomerId> model;
    const int operations = colliding ? 10'000 : 100'000;
    for (int op = 0; op < operations; ++op) {
      const Identity& k = pool[uniform(pool.size())];
      const CustomerId customer(1 + uniform(1'000'000));
      switch (uniform(10)) {
        case 0:
        case 1:
        case 2: {
          auto it = model.find(k);
          ASSERT_EQ(index.Find(k), it == model.end() ? CustomerId() : it->second) << op;
          break;
        }
        case 3:
        case 4:
        case 5:
          ASSERT_EQ(index.Insert(k, customer), model.emplace(k, customer).second) << op;
          break;
        case 6:
        case 7:
          index.Assign(k, customer);
          model[k] = customer;
          break;
        case 8:
          ASSERT_EQ(index.Erase(k), model.erase(k) == 1) << op;
          break;
        case 9:
          if (uniform(100) == 0) index.Reserve(uniform(10'000));
          break;
      }
      ASSERT_EQ(index.size(), model.size()) << op;
    }
    for (const Identity& k : pool) {
      auto it = model.find(k);
      ASSERT_EQ(index.Find(k), it == model.end() ? CustomerId() : it->second);
    }
  }
}

}  // namespace
}  // namespace omniroute::core
