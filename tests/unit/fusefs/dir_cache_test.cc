// DirCache: a listing asked for before this mount's own edit and put after it keeps the edit
// (rsync renames the temp file it just closed while its directory is being listed).
#include "fusefs/dir_cache.h"

#include <gtest/gtest.h>

#include <thread>

namespace ais::fusefs {
namespace {

DirEntry file(const std::string& name) {
  DirEntry e{.kind = Kind::kFile, .haveInfo = true};
  e.info.name = name;
  return e;
}

TEST(DirCacheTest, AListingInFlightKeepsTheEditsMadeMeanwhile) {
  DirCache cache;
  cache.put("b", "d/", Listing{.at = Clock::now()});
  cache.upsert("b", "d/", "gone", file("d/gone"));
  // A listing is asked for now; it will show "gone" (removed meanwhile) and not "new".
  Listing inFlight{.at = Clock::now()};
  inFlight.children["gone"] = file("d/gone");
  inFlight.children["old"] = file("d/old");
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  cache.upsert("b", "d/", "new", file("d/new"));  // stored here, after the listing was asked
  cache.erase("b", "d/", "gone");
  cache.put("b", "d/", std::move(inFlight));
  auto has = [&](const std::string& name) {
    auto c = cache.child("b", "d/", name, std::chrono::hours(1));
    return c && *c;
  };
  EXPECT_TRUE(has("new"));
  EXPECT_FALSE(has("gone"));
  EXPECT_TRUE(has("old"));
  // A listing asked for after the edits shows what the cluster says: nothing is replayed.
  Listing later{.at = Clock::now()};
  later.children["other"] = file("d/other");
  cache.put("b", "d/", std::move(later));
  EXPECT_FALSE(has("new"));
  EXPECT_TRUE(has("other"));
  // The edits are kept for a directory not cached too (a listing may be in flight).
  Listing first{.at = Clock::now()};
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  cache.upsert("b", "e/", "made", file("e/made"));
  cache.put("b", "e/", std::move(first));
  auto made = cache.child("b", "e/", "made", std::chrono::hours(1));
  EXPECT_TRUE(made && *made);
}

}  // namespace
}  // namespace ais::fusefs
