// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "base/incremental_hash_map.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace omniroute::base {
namespace {

using FlatMap = IncrementalHashMap<absl::flat_hash_map<uint64_t, std::string>>;
using NodeMap = IncrementalHashMap<absl::node_hash_map<uint64_t, std::string>>;
using StringKeyMap = IncrementalHashMap<absl::flat_hash_map<std::string, uint64_t>>;

// Every entry of `map`, by walking it; fails the test on an entry seen twice.
template <typename M>
std::map<typename M::key_type, typename M::mapped_type> Walk(const M& map) {
  std::map<typename M::key_type, typename M::mapped_type> seen;
  for (const auto& [key, value] : map) {
    EXPECT_TRUE(seen.emplace(key, value).second) << "entry walked twice: " << key;
  }
  return seen;
}

TEST(IncrementalHashMapTest, GrowsPastTheThresholdByMigratingWhileInserting) {
  FlatMap map;
  bool saw_migration = false;
  for (uint64_t i = 0; i < 100'000; ++i) {
    ASSERT_TRUE(map.try_emplace(i, absl::StrCat("v", i)).second);
    saw_migration = saw_migration || map.migrating();
  }
  EXPECT_TRUE(saw_migration);
  EXPECT_EQ(map.size(), 100'000u);
  for (uint64_t i = 0; i < 100'000; i += 7) {
    auto it = map.find(i);
    ASSERT_NE(it, map.end()) << i;
    EXPECT_EQ(it->second, absl::StrCat("v", i));
  }
  EXPECT_EQ(map.find(100'000u), map.end());
}

TEST(IncrementalHashMapTest, NeverHoldsAKeyTwiceWhileMigrating) {
  FlatMap map;
  uint64_t i = 0;
  // Fill up to the start of a migration.
  while (!map.migrating()) map.try_emplace(i++, "first");
  ASSERT_GT(map.size(), 1000u);
  // Every key inserted again, during the migration, is found where it is.
  const uint64_t count = i;
  for (uint64_t k = 0; k < count; ++k) {
    auto [it, inserted] = map.try_emplace(k, "second");
    EXPECT_FALSE(inserted) << k;
    EXPECT_EQ(it->second, "first") << k;
  }
  EXPECT_FALSE(map.migrating());
  EXPECT_EQ(map.size(), count);
  EXPECT_EQ(Walk(map).size(), count);
}

TEST(IncrementalHashMapTest, AgreesWithAnOrdinaryMapUnderRandomOperations) {
  absl::BitGen rng;
  StringKeyMap map;
  absl::flat_hash_map<std::string, uint64_t> reference;
  size_t migrations_seen = 0;
  bool was_migrating = false;
  for (int op = 0; op < 400'000; ++op) {
    // Keys from a range that lets the map grow, then churn in place.
    const std::string key = absl::StrCat("key-", absl::Uniform<uint64_t>(rng, 0, 60'000));
    const int what = absl::Uniform<int>(rng, 0, 10);
    const size_t capacity_before = map.capacity();
    const bool migrating_before = map.migrating();
    if (what < 5) {
      auto [it, inserted] = map.try_emplace(key, static_cast<uint64_t>(op));
      auto [ref_it, ref_inserted] = reference.try_emplace(key, static_cast<uint64_t>(op));
      ASSERT_EQ(inserted, ref_inserted) << key;
      ASSERT_EQ(it->second, ref_it->second) << key;
    } else if (what < 7) {
      ASSERT_EQ(map.erase(key), reference.erase(key)) << key;
    } else if (what < 8) {
      map[key] += 1;
      reference[key] += 1;
    } else {
      auto it = map.find(key);
      auto ref_it = reference.find(key);
      ASSERT_EQ(it == map.end(), ref_it == reference.end()) << key;
      if (ref_it != reference.end()) ASSERT_EQ(it->second, ref_it->second);
    }
    ASSERT_EQ(map.size(), reference.size());
    // Past the smallest incremental size, tables grow only by migrating: a
    // bigger capacity means this operation started a migration, never that
    // a table rehashed into a bigger one by itself.
    if (capacity_before > StringKeyMap::kMinIncrementalCapacity &&
        map.capacity() > capacity_before) {
      ASSERT_TRUE(!migrating_before && map.migrating())
          << "a table grew by itself at op " << op << ": " << capacity_before << " -> "
          << map.capacity();
    }
    if (map.migrating() && !was_migrating) ++migrations_seen;
    was_migrating = map.migrating();
    if (op % 50'000 == 0 || (map.migrating() && op % 997 == 0)) {
      auto walked = Walk(map);
      ASSERT_EQ(walked.size(), reference.size());
      for (const auto& [k, v] : reference) ASSERT_EQ(walked.at(k), v) << k;
    }
  }
  // Growth, and the churn's rehashes that drop tombstones, both migrated.
  EXPECT_GE(migrations_seen, 3u);
}

TEST(IncrementalHashMapTest, NodeValuesStayPutThroughAMigration) {
  NodeMap map;
  std::vector<const std::string*> addresses;
  uint64_t i = 0;
  for (; i < 5000; ++i) addresses.push_back(&map.try_emplace(i, absl::StrCat("n", i)).first->second);
  bool migrated = false;
  while (!migrated || map.migrating()) {
    map.try_emplace(i++, "more");
    migrated = migrated || map.migrating();
  }
  for (uint64_t k = 0; k < 5000; ++k) {
    EXPECT_EQ(&map.at(k), addresses[k]) << k;
    EXPECT_EQ(map.at(k), absl::StrCat("n", k));
  }
}

TEST(IncrementalHashMapTest, EraseDuringAWalkVisitsTheRestOnce) {
  FlatMap map;
  uint64_t i = 0;
  while (!map.migrating()) map.try_emplace(i++, "x");
  for (int extra = 0; extra < 100; ++extra) map.try_emplace(i++, "x");
  ASSERT_TRUE(map.migrating());
  const size_t total = map.size();
  size_t visited = 0;
  size_t kept = 0;
  for (auto it = map.begin(); it != map.end();) {
    ++visited;
    if (it->first % 2 == 0) {
      map.erase(it++);  // the absl idiom: erase invalidates only the erased entry
    } else {
      ++kept;
      ++it;
    }
  }
  EXPECT_EQ(visited, total);
  EXPECT_EQ(map.size(), kept);
  for (const auto& [key, value] : map) EXPECT_EQ(key % 2, 1u);
}

TEST(IncrementalHashMapTest, ErasingTheWholeDrainingTableEndsTheMigration) {
  FlatMap map;
  uint64_t i = 0;
  while (!map.migrating()) map.try_emplace(i++, "old");
  const uint64_t old_keys = i;
  for (uint64_t k = 0; k < old_keys; ++k) map.erase(k);
  EXPECT_FALSE(map.migrating());
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.begin(), map.end());
  map.try_emplace(7, "new");
  EXPECT_EQ(map.at(7), "new");
}

TEST(IncrementalHashMapTest, ReserveAndRehashFinishTheMigration) {
  FlatMap map;
  uint64_t i = 0;
  while (!map.migrating()) map.try_emplace(i++, "x");
  const size_t before = map.size();
  map.rehash(0);
  EXPECT_FALSE(map.migrating());
  EXPECT_EQ(map.size(), before);
  EXPECT_EQ(Walk(map).size(), before);

  FlatMap other;
  other.reserve(100'000);
  for (uint64_t k = 0; k < 80'000; ++k) {
    other.try_emplace(k, "y");
    ASSERT_FALSE(other.migrating()) << "a reserved map grew at " << k;
  }
}

TEST(IncrementalHashMapTest, MoveTakesBothTables) {
  FlatMap map;
  uint64_t i = 0;
  while (!map.migrating()) map.try_emplace(i++, "x");
  FlatMap moved = std::move(map);
  EXPECT_EQ(map.size(), 0u);  // NOLINT: a moved-from map is empty, by contract.
  EXPECT_EQ(moved.size(), i);
  for (uint64_t k = 0; k < 1000; ++k) moved.try_emplace(i + k, "y");
  EXPECT_EQ(Walk(moved).size(), i + 1000);
}

}  // namespace
}  // namespace omniroute::base
