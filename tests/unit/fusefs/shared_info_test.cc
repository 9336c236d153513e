// SharedInfo: copies share one ObjectInfo; a change copies first; release moves or copies.
#include "fusefs/shared_info.h"

#include <gtest/gtest.h>

namespace ais::fusefs {
namespace {

ObjectInfo named(const std::string& name) {
  ObjectInfo info;
  info.name = name;
  info.custom["mode"] = "0644";
  return info;
}

TEST(SharedInfoTest, CopiesShareOneInfoAndAChangeCopiesItFirst) {
  SharedInfo a = named("x");
  SharedInfo b = a;
  EXPECT_EQ(&*a, &*b);  // one ObjectInfo, not two
  b.edit().custom["mode"] = "0600";
  EXPECT_NE(&*a, &*b);
  EXPECT_EQ(a->custom.at("mode"), "0644");  // the other copy is unchanged
  EXPECT_EQ(b->custom.at("mode"), "0600");
  EXPECT_FALSE(a == b);
  b.edit().custom["mode"] = "0644";
  EXPECT_TRUE(a == b);  // equal by value too
  EXPECT_TRUE(a == named("x"));
}

TEST(SharedInfoTest, EmptyByDefaultAndEditingItNeverChangesAnother) {
  SharedInfo a, b;
  EXPECT_TRUE(a->name.empty());
  a.edit().name = "y";
  EXPECT_EQ(a->name, "y");
  EXPECT_TRUE(b->name.empty());
  EXPECT_TRUE(SharedInfo()->name.empty());
}

TEST(SharedInfoTest, ReleaseMovesAnUnsharedInfoAndCopiesASharedOne) {
  SharedInfo a = named("z");
  SharedInfo b = a;
  ObjectInfo copied = std::move(b).release();
  EXPECT_EQ(copied.name, "z");
  EXPECT_EQ(a->name, "z");  // still whole: it was shared
  ObjectInfo moved = std::move(a).release();
  EXPECT_EQ(moved.custom.at("mode"), "0644");
  ObjectInfo none = SharedInfo().release();
  EXPECT_TRUE(none.name.empty());
  EXPECT_TRUE(SharedInfo()->name.empty());  // the shared empty one was not moved from
}

}  // namespace
}  // namespace ais::fusefs
