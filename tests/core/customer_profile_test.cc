// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/customer_profile.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/identity.h"

namespace omniroute::core {
namespace {

using ::omniroute::v1::IDENTITY_KIND_CUSTOM;
using ::omniroute::v1::IDENTITY_KIND_EMAIL;
using ::omniroute::v1::IDENTITY_KIND_PHONE;
using ::omniroute::v1::IDENTITY_KIND_SOCIAL_HANDLE;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Identity kAnn{IDENTITY_KIND_EMAIL, "", "ann@example.com"};
const Identity kPhone{IDENTITY_KIND_PHONE, "", "+15551234567"};
const Identity kHandle{IDENTITY_KIND_SOCIAL_HANDLE, "x", "ann_b"};

TEST(CustomerProfileTest, EmptyHoldsNoBlock) {
  CustomerProfile empty;
  EXPECT_EQ(empty.display_name(), "");
  EXPECT_EQ(empty.language(), "");
  EXPECT_EQ(empty.identity_count(), 0u);
  EXPECT_THAT(empty.identities(), IsEmpty());
  EXPECT_FALSE(empty.Holds(kAnn));
  EXPECT_EQ(empty.block_bytes(), 0u);
  EXPECT_EQ(CustomerProfile("", "", {}).block_bytes(), 0u);
}

TEST(CustomerProfileTest, KeepsNamesAndIdentitiesInOrder) {
  CustomerProfile p("Ann Berg", "sv", {kAnn, kPhone, kHandle});
  EXPECT_EQ(p.display_name(), "Ann Berg");
  EXPECT_EQ(p.language(), "sv");
  EXPECT_EQ(p.identity_count(), 3u);
  EXPECT_THAT(p.identities(), ElementsAre(kAnn, kPhone, kHandle));
  EXPECT_TRUE(p.Holds(kAnn));
  EXPECT_TRUE(p.Holds(kHandle));
  // Kind, network and value all count.
  EXPECT_FALSE(p.Holds({IDENTITY_KIND_CUSTOM, "", "ann@example.com"}));
  EXPECT_FALSE(p.Holds({IDENTITY_KIND_SOCIAL_HANDLE, "instagram", "ann_b"}));
  EXPECT_FALSE(p.Holds({IDENTITY_KIND_EMAIL, "", "ann@example.co"}));
  std::vector<Identity> seen;
  p.ForEachIdentity([&](const IdentityRef& ref) { seen.push_back(ref.ToIdentity()); });
  EXPECT_EQ(seen, p.identities());
}

TEST(CustomerProfileTest, AnEmailAndAPhoneTakeOneSmallBlock) {
  CustomerProfile p("", "", {{IDENTITY_KIND_EMAIL, "", "customer123456@example.com"}, kPhone});
  // 8 bytes of header, 2 of empty names, each identity its bytes and 3.
  EXPECT_EQ(p.block_bytes(), 8u + 2 + (3 + 26) + (3 + 12));
  EXPECT_LE(sizeof(CustomerProfile), sizeof(void*));
}

TEST(CustomerProfileTest, LongStringsAndManyIdentities) {
  // Sizes of 128 and more take two varint bytes.
  const std::string name(300, 'n');
  std::vector<Identity> identities;
  for (int i = 0; i < 200; ++i) {
    identities.push_back({IDENTITY_KIND_CUSTOM, std::string(i, 'k'), std::string(2 * i, 'v')});
  }
  CustomerProfile p(name, std::string(130, 'l'), identities);
  EXPECT_EQ(p.display_name(), name);
  EXPECT_EQ(p.language(), std::string(130, 'l'));
  EXPECT_EQ(p.identities(), identities);
  for (const Identity& i : identities) EXPECT_TRUE(p.Holds(i));
}

TEST(CustomerProfileTest, ChangesMakeNewProfilesAndKeepTheRest) {
  const CustomerProfile p("Ann", "en", {kAnn});
  const CustomerProfile more = p.WithIdentity(kPhone);
  EXPECT_THAT(p.identities(), ElementsAre(kAnn));
  EXPECT_THAT(more.identities(), ElementsAre(kAnn, kPhone));
  EXPECT_EQ(more.display_name(), "Ann");
  EXPECT_EQ(more.language(), "en");

  const CustomerProfile less = more.WithoutIdentity(kAnn);
  EXPECT_THAT(less.identities(), ElementsAre(kPhone));
  EXPECT_EQ(less.display_name(), "Ann");
  // Removing what is not there changes nothing.
  EXPECT_THAT(less.WithoutIdentity(kHandle).identities(), ElementsAre(kPhone));

  const CustomerProfile renamed = more.WithNames("Ann B", "");
  EXPECT_EQ(renamed.display_name(), "Ann B");
  EXPECT_EQ(renamed.language(), "");
  EXPECT_THAT(renamed.identities(), ElementsAre(kAnn, kPhone));
  // No name, no language, no identity: no block.
  EXPECT_EQ(CustomerProfile("", "", {kAnn}).WithoutIdentity(kAnn).block_bytes(), 0u);
}

TEST(CustomerProfileTest, CopiesAndMoves) {
  CustomerProfile a("Ann", "en", {kAnn, kPhone});
  CustomerProfile b = a;
  EXPECT_EQ(b.identities(), a.identities());
  EXPECT_EQ(b.display_name(), "Ann");
  CustomerProfile c = std::move(a);
  EXPECT_EQ(c.identities(), b.identities());
  EXPECT_EQ(a.block_bytes(), 0u);  // NOLINT(bugprone-use-after-move): defined as empty.
  a = c;
  EXPECT_TRUE(a.Holds(kPhone));
  a = CustomerProfile();
  EXPECT_FALSE(a.Holds(kPhone));
  c = c;  // Self-assignment keeps the data.
  EXPECT_TRUE(c.Holds(kAnn));
}

}  // namespace
}  // namespace omniroute::core
