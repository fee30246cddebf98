// Copyright omniroute authors. Licensed under the Apache License 2.0.

#include "core/id_list.h"

#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "omniroute/ids.h"

namespace omniroute::core {
namespace {

using ::testing::ElementsAre;

ConversationId C(uint64_t id) { return ConversationId(id); }

TEST(IdListTest, OnePointerAndNoBlockWhenEmpty) {
  EXPECT_EQ(sizeof(IdList<ConversationId>), sizeof(void*));
  IdList<ConversationId> list;
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.begin(), list.end());
  list.Erase(C(1));  // Nothing to erase.
  EXPECT_TRUE(list.empty());
}

TEST(IdListTest, PushEraseAndOrder) {
  IdList<ConversationId> list;
  for (uint64_t i = 1; i <= 100; ++i) list.push_back(C(i));
  EXPECT_EQ(list.size(), 100u);
  EXPECT_EQ(list[0], C(1));
  EXPECT_EQ(list[99], C(100));
  for (uint64_t i = 1; i <= 100; i += 2) list.Erase(C(i));
  ASSERT_EQ(list.size(), 50u);
  for (size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i], C(2 * (i + 1)));
  // Every occurrence goes.
  list.push_back(C(2));
  list.Erase(C(2));
  EXPECT_EQ(list.size(), 49u);
  EXPECT_EQ(list[0], C(4));
  for (uint64_t i = 4; i <= 100; i += 2) list.Erase(C(i));
  EXPECT_TRUE(list.empty());
  list.push_back(C(7));
  EXPECT_THAT(list.ToVector(), ElementsAre(C(7)));
}

TEST(IdListTest, CopiesAndMoves) {
  IdList<ConversationId> a;
  a.push_back(C(1));
  a.push_back(C(2));
  IdList<ConversationId> b = a;
  b.push_back(C(3));
  EXPECT_THAT(a.ToVector(), ElementsAre(C(1), C(2)));
  EXPECT_THAT(b.ToVector(), ElementsAre(C(1), C(2), C(3)));
  IdList<ConversationId> c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): defined as empty.
  EXPECT_EQ(c.size(), 3u);
  a = c;
  EXPECT_EQ(a.size(), 3u);
  a = IdList<ConversationId>();
  EXPECT_TRUE(a.empty());
  c = c;
  EXPECT_EQ(c.size(), 3u);
}

}  // namespace
}  // namespace omniroute::core
