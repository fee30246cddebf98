// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/identity_index.h"

#include <cstdint>
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

TEST(IdentityIndexTest, EmptyFindsNothing) {
  IdentityIndex index;
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.empty());
  EXPECT_FALSE(index.Find(Email("ann@example.com")).valid());
  EXPECT_FALSE(index.Erase(Email("ann@example.com")));
  EXPECT_EQ(index.bucket_count(), 0u);
}

TEST(IdentityIndexTest, InsertFindEraseAssign) {
  IdentityIndex index;
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
  IdentityIndex index;
  constexpr uint64_t kCount = 200'000;
  for (uint64_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(index.Insert(Email(absl::StrCat("customer", i, "@example.com")), C(i + 1)));
  }
  EXPECT_EQ(index.size(), kCount);
  // At most half full, and no more than twice as big as it needs to be.
  EXPECT_GE(index.bucket_count(), 2 * kCount);
  EXPECT_LE(index.bucket_count(), 4 * kCount);
  for (uint64_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(index.Find(Email(absl::StrCat("customer", i, "@example.com"))), C(i + 1)) << i;
  }
  EXPECT_FALSE(index.Find(Email(absl::StrCat("customer", kCount, "@example.com"))).valid());
}

TEST(IdentityIndexTest, ReserveAvoidsRehashing) {
  IdentityIndex index;
  index.Reserve(10'000);
  const size_t buckets = index.bucket_count();
  EXPECT_GE(buckets, 20'000u);
  for (uint64_t i = 0; i < 10'000; ++i) index.Insert(Email(absl::StrCat(i, "@x.org")), C(i + 1));
  EXPECT_EQ(index.bucket_count(), buckets);
  // Reserving less than there is changes nothing.
  index.Reserve(10);
  EXPECT_EQ(index.bucket_count(), buckets);
  for (uint64_t i = 0; i < 10'000; ++i) ASSERT_EQ(index.Find(Email(absl::StrCat(i, "@x.org"))), C(i + 1));
}

TEST(IdentityIndexTest, KeysOfEveryLengthAroundTheInlineLimit) {
  IdentityIndex index;
  std::vector<Identity> keys;
  // Empty value up to well past the inline limit, then much longer keys.
  for (size_t n = 0; n <= IdentityIndex::kInlineKeyBytes + 8; ++n) {
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
  bool saw_inline_limit = false;
  bool saw_one_past = false;
  for (const Identity& k : keys) {
    saw_inline_limit |= IdentityIndex::EncodedSize(k) == IdentityIndex::kInlineKeyBytes;
    saw_one_past |= IdentityIndex::EncodedSize(k) == IdentityIndex::kInlineKeyBytes + 1;
  }
  EXPECT_TRUE(saw_inline_limit);
  EXPECT_TRUE(saw_one_past);

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
  IdentityIndex index;
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
  IdentityIndex index(&ConstantHash);
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
  IdentityIndex index(&ParityHash);
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
  IdentityIndex index(&LastBucketHash);
  const std::vector<Identity> keys = {Email("a"), Email("b"), Email("c"), Email("d"),
                                      Email("e"), Email("f")};
  for (size_t i = 0; i < keys.size(); ++i) ASSERT_TRUE(index.Insert(keys[i], C(i + 1)));
  ASSERT_EQ(index.bucket_count(), 16u);
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
  IdentityIndex index;
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
  EXPECT_LE(index.bucket_count(), 4096u);
}

TEST(IdentityIndexTest, MovesAndTheMovedFromIsUsable) {
  IdentityIndex a;
  a.Insert(Email("ann@example.com"), C(1));
  a.Insert(Email(std::string(300, 'z')), C(2));

  IdentityIndex b(std::move(a));
  EXPECT_EQ(b.Find(Email("ann@example.com")), C(1));
  EXPECT_EQ(b.Find(Email(std::string(300, 'z'))), C(2));
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): defined as empty.
  EXPECT_FALSE(a.Find(Email("ann@example.com")).valid());
  a.Insert(Email("bob@example.com"), C(3));
  EXPECT_EQ(a.Find(Email("bob@example.com")), C(3));

  // Assignment frees what the target held (checked by the sanitizers).
  a = std::move(b);
  EXPECT_EQ(a.Find(Email("ann@example.com")), C(1));
  EXPECT_FALSE(a.Find(Email("bob@example.com")).valid());
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(b.size(), 0u);  // NOLINT(bugprone-use-after-move)
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
    IdentityIndex index = colliding ? IdentityIndex(&ParityHash) : IdentityIndex();
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
