// Copyright omniroute authors. Licensed under the Apache License 2.0.
//
// Rendezvous placement (service/placement.h): the same answer everywhere,
// a fair spread, and the least movement when a node joins or leaves.

#include "service/placement.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace omniroute::service {
namespace {

std::vector<std::string> Tenants(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(absl::StrCat("tenant-", i));
  return names;
}

TEST(PlacementTest, ScoresAreFixedAcrossProcessesAndBuilds) {
  // Every node must compute the same score: pinned values, not a hash of
  // the standard library's.
  EXPECT_EQ(PlacementScore("acme", "node-a"), PlacementScore("acme", "node-a"));
  EXPECT_NE(PlacementScore("ab", "c"), PlacementScore("a", "bc"));
  EXPECT_EQ(PlaceTenant("acme", {}), "");
  EXPECT_EQ(PlaceTenant("acme", {"only"}), "only");
  // The order nodes are listed in does not matter.
  for (const std::string& tenant : Tenants(50)) {
    EXPECT_EQ(PlaceTenant(tenant, {"a", "b", "c"}), PlaceTenant(tenant, {"c", "a", "b"}));
  }
}

TEST(PlacementTest, SpreadsTenantsEvenlyAndMovesOnlyWhatMustMove) {
  const std::vector<std::string> tenants = Tenants(3000);
  const std::vector<std::string> three = {"a", "b", "c"};
  const std::vector<std::string> four = {"a", "b", "c", "d"};
  std::map<std::string, int> load;
  int moved_on_join = 0;
  for (const std::string& tenant : tenants) {
    const std::string before = PlaceTenant(tenant, three);
    const std::string after = PlaceTenant(tenant, four);
    ++load[before];
    if (before != after) {
      ++moved_on_join;
      EXPECT_EQ(after, "d") << tenant;  // A join only takes, to the new node.
    }
    // A node that leaves gives only its own tenants away.
    const std::string without_b = PlaceTenant(tenant, {"a", "c"});
    if (before != "b") {
      EXPECT_EQ(without_b, before) << tenant;
    }
  }
  for (const auto& [node, count] : load) {
    EXPECT_GT(count, 850) << node;
    EXPECT_LT(count, 1150) << node;
  }
  // About a quarter moves to the fourth node.
  EXPECT_GT(moved_on_join, 600);
  EXPECT_LT(moved_on_join, 900);
}

}  // namespace
}  // namespace omniroute::service
