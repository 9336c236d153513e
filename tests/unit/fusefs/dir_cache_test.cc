// DirCache: a listing asked for before this mount's own edit and put after it keeps the edit
// (rsync renames the temp file it just closed while its directory is being listed).
#include "fusefs/dir_cache.h"

#include <gtest/gtest.h>

#include <thread>

namespace ais::fusefs {
namespace {

DirEntry file(const std::string& name) {
  DirEntry e{.kind = Kind::kFile, .haveInfo = true};
  e.info.edit().name = name;
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

// A directory this mount made has no stamp; its anchor (the stamped listing above it then)
// stamps it once read unchanged with it, and not otherwise.
// st_nlink of a directory counts its subdirectories: kept right through every kind of edit
// (the count is cached between changes of a subdirectory).
TEST(DirCacheTest, SubdirectoriesAreCountedThroughEdits) {
  DirCache cache;
  const auto ttl = std::chrono::hours(1);
  EXPECT_FALSE(cache.subdirs("b", "d/", ttl).has_value());
  Listing listing{.at = Clock::now()};
  listing.children["s1"] = DirEntry{.kind = Kind::kDir};
  listing.children["f1"] = file("d/f1");
  cache.put("b", "d/", std::move(listing));
  EXPECT_EQ(cache.subdirs("b", "d/", ttl), 1u);
  cache.upsert("b", "d/", "f2", file("d/f2"));
  EXPECT_EQ(cache.subdirs("b", "d/", ttl), 1u);
  cache.upsert("b", "d/", "s2", DirEntry{.kind = Kind::kDir});
  EXPECT_EQ(cache.subdirs("b", "d/", ttl), 2u);
  cache.upsert("b", "d/", "s2", file("d/s2"));  // a directory's name now a file's
  EXPECT_EQ(cache.subdirs("b", "d/", ttl), 1u);
  cache.upsert("b", "d/", "f1", DirEntry{.kind = Kind::kDir});  // and the other way
  EXPECT_EQ(cache.subdirs("b", "d/", ttl), 2u);
  cache.erase("b", "d/", "s1");
  EXPECT_EQ(cache.subdirs("b", "d/", ttl), 1u);
  cache.erase("b", "d/", "f2");
  cache.erase("b", "d/", "nothing");
  EXPECT_EQ(cache.subdirs("b", "d/", ttl), 1u);
  // A listing put again counts afresh, with this mount's edits replayed into it.
  Listing again{.at = Clock::now() - std::chrono::seconds(1)};
  again.children["x"] = DirEntry{.kind = Kind::kDir};
  cache.put("b", "d/", std::move(again));
  EXPECT_EQ(cache.subdirs("b", "d/", ttl), 2u);  // x, and f1 made a directory meanwhile
}

TEST(DirCacheTest, AListingThisMountMadeIsStampedThroughItsAnchor) {
  DirCache cache;
  Listing root{.at = Clock::now(), .stamp = "root-1"};
  cache.put("b", "", std::move(root));
  EXPECT_EQ(cache.anchorBelow("b", ""), std::make_pair(std::string(""), std::string("root-1")));
  cache.put("b", "new/",
            Listing{.at = Clock::now(), .anchor = cache.anchorBelow("b", ""), .ownEdits = true});
  // Below an unstamped listing: the same anchor.
  EXPECT_EQ(cache.anchorBelow("b", "new/"), cache.anchorBelow("b", ""));
  cache.upsert("b", "new/", "f", file("new/f"));
  EXPECT_FALSE(cache.stamp("b", "new/"));
  auto stale = cache.staleStamped("b", "", std::chrono::seconds(0), Clock::now(), 10);
  EXPECT_EQ(stale, std::vector<std::string>{"new/"});  // (and "", the one asked about)
  cache.tokensAsked("b", {"new/"}, Clock::now());
  EXPECT_TRUE(cache
                  .staleStamped("b", "", std::chrono::seconds(0),
                                Clock::now() - std::chrono::seconds(1), 10)
                  .empty());
  auto later = Clock::now() + std::chrono::milliseconds(5);
  // The anchor moved: not adopted.
  EXPECT_FALSE(cache.adopt("b", "new/", "root-2", "new-1", later));
  EXPECT_FALSE(cache.stamp("b", "new/"));
  EXPECT_TRUE(cache.adopt("b", "new/", "root-1", "new-1", later));
  EXPECT_EQ(cache.stamp("b", "new/"), "new-1");
  EXPECT_FALSE(cache.anchor("b", "new/"));
  // Its own edit, dated before, is as fresh as the listing now.
  Clock::time_point at;
  auto f = cache.child("b", "new/", "f", std::chrono::hours(1), &at);
  ASSERT_TRUE(f && *f);
  EXPECT_EQ((*f)->at, later);
  EXPECT_EQ(at, later);
}

// The listings due for revalidation come in the order a walk of the tree needs them: after the
// directory asked about, then from the start; those whose tokens were just asked for are left out.
TEST(DirCacheTest, StaleListingsComeInWalkOrder) {
  DirCache cache;
  auto old = Clock::now() - std::chrono::seconds(5);
  for (std::string p : {"a/", "b/", "b/x/", "c/", "d/"}) {
    cache.put("b", p, Listing{.at = old, .stamp = "s-" + p});
  }
  cache.put("b", "e/", Listing{.at = old});  // (unstamped: listed again, not revalidated)
  auto order = cache.staleStamped("b", "b/", std::chrono::seconds(1), Clock::now(), 10);
  EXPECT_EQ(order, (std::vector<std::string>{"b/x/", "c/", "d/", "a/"}));
  EXPECT_EQ(cache.staleStamped("b", "b/", std::chrono::seconds(1), Clock::now(), 2),
            (std::vector<std::string>{"b/x/", "c/"}));
  // Past the last one, the first ones in name order (the walk wraps around).
  EXPECT_EQ(cache.staleStamped("b", "c/", std::chrono::seconds(1), Clock::now(), 3),
            (std::vector<std::string>{"d/", "a/", "b/"}));
  cache.tokensAsked("b", {"c/", "d/"}, Clock::now());
  order = cache.staleStamped("b", "b/", std::chrono::seconds(1),
                             Clock::now() - std::chrono::milliseconds(100), 10);
  EXPECT_EQ(order, (std::vector<std::string>{"b/x/", "a/"}));
}

// The index the walk uses follows the listings: those of another bucket (even one whose name
// starts with this one's) and those dropped with their tree are never offered.
TEST(DirCacheTest, StaleListingsComeFromThisBucketsCachedListingsOnly) {
  DirCache cache;
  auto old = Clock::now() - std::chrono::seconds(5);
  for (std::string p : {"a/", "t/", "t/x/", "t/x/y/", "tu/", "z/"}) {
    cache.put("b", p, Listing{.at = old, .stamp = "s-" + p});
    cache.put("bb", p, Listing{.at = old, .stamp = "s-" + p});
  }
  cache.put("a", "q/", Listing{.at = old, .stamp = "s"});
  cache.invalidateTree("b", "t/");
  cache.invalidate("b", "z/");
  cache.put("b", "t/x/", Listing{.at = old, .stamp = "again"});  // (listed again since)
  EXPECT_EQ(cache.staleStamped("b", "", std::chrono::seconds(1), Clock::now(), 10),
            (std::vector<std::string>{"a/", "t/x/", "tu/"}));
  EXPECT_EQ(cache.staleStamped("b", "t/x/", std::chrono::seconds(1), Clock::now(), 10),
            (std::vector<std::string>{"tu/", "a/"}));
  EXPECT_FALSE(cache.fresh("b", "t/x/y/", std::chrono::hours(1)));
  EXPECT_TRUE(cache.fresh("bb", "t/x/y/", std::chrono::hours(1)));
  EXPECT_EQ(cache.staleStamped("bb", "tu/", std::chrono::seconds(1), Clock::now(), 10).size(), 5u);
}

// A renewal dates what the listing holds as of it (the kernel is then answered for a whole
// TTL): what it showed, and what a HEAD taught since that is older than the renewal. What is
// newer keeps its own time, and a hard-linked name's file attributes keep when they were read.
TEST(DirCacheTest, ARenewalDatesItsEntriesAsOfIt) {
  DirCache cache;
  auto listed = Clock::now() - std::chrono::seconds(5);
  Listing listing{.at = listed, .stamp = "s"};
  listing.children["shown"] = file("d/shown");
  listing.children["shown"].at = listed;
  DirEntry linked = file("./aisfs-links/0001");
  linked.at = listed;
  listing.children["linked"] = linked;
  cache.put("b", "d/", std::move(listing));
  DirEntry headed = file("d/headed");
  headed.at = listed + std::chrono::seconds(1);
  cache.upsert("b", "d/", "headed", headed);
  auto renewed = listed + std::chrono::seconds(2);
  EXPECT_TRUE(cache.renew("b", "d/", "s", renewed));
  DirEntry later = file("d/later");
  later.at = listed + std::chrono::seconds(3);
  cache.upsert("b", "d/", "later", later);
  auto at = [&](const std::string& name) {
    auto c = cache.child("b", "d/", name, std::chrono::hours(1));
    return c && *c ? (*c)->at : Clock::time_point{};
  };
  EXPECT_EQ(at("shown"), renewed);
  EXPECT_EQ(at("headed"), renewed);
  EXPECT_EQ(at("linked"), renewed);
  EXPECT_EQ(at("later"), later.at);
  auto c = cache.child("b", "d/", "linked", std::chrono::hours(1));
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->infoAt, listed);
  EXPECT_EQ(cache.child("b", "d/", "shown", std::chrono::hours(1)).value()->infoAt,
            Clock::time_point{});
  auto snap = cache.snapshot("b", "d/", std::chrono::hours(1));
  ASSERT_TRUE(snap);
  for (auto& [name, entry] : *snap) {
    EXPECT_EQ(entry.at, name == "later" ? later.at : renewed) << name;
    EXPECT_EQ(entry.infoAt, name == "linked" ? listed : Clock::time_point{}) << name;
  }
  // A later renewal moves them again, the linked name's file attributes still not.
  EXPECT_TRUE(cache.renew("b", "d/", "s", renewed + std::chrono::seconds(2)));
  EXPECT_EQ(at("later"), renewed + std::chrono::seconds(2));
  EXPECT_EQ(cache.child("b", "d/", "linked", std::chrono::hours(1)).value()->infoAt, listed);
}

// The listings a batch of tokens asked for along with another are renewed at once when their
// token (or their anchor's) holds, and each one's first use afterwards counts as a hit of the
// batch.
TEST(DirCacheTest, ABatchRenewsTheListingsItAskedForAlong) {
  DirCache cache;
  auto old = Clock::now() - std::chrono::seconds(5);
  cache.put("b", "", Listing{.at = old, .stamp = "root-1"});
  cache.put("b", "same/", Listing{.at = old, .stamp = "s-1"});
  cache.put("b", "moved/", Listing{.at = old, .stamp = "m-1"});
  cache.put("b", "made/",
            Listing{.at = old, .anchor = std::pair{std::string(""), std::string("root-1")}});
  auto asked = Clock::now();
  EXPECT_TRUE(cache.renewBatched("b", "same/", "s-1", std::nullopt, asked));
  EXPECT_FALSE(cache.renewBatched("b", "moved/", "m-2", std::nullopt, asked));  // changed
  EXPECT_FALSE(
      cache.renewBatched("b", "made/", "d-1", std::string("root-2"), asked));  // anchor moved
  EXPECT_TRUE(cache.renewBatched("b", "made/", "d-1", std::string("root-1"), asked));
  EXPECT_EQ(cache.stamp("b", "made/"), "d-1");
  EXPECT_FALSE(cache.renewBatched("b", "gone/", "g-1", std::nullopt, asked));  // not cached
  EXPECT_TRUE(cache.fresh("b", "same/", std::chrono::seconds(1), false));
  EXPECT_FALSE(cache.fresh("b", "moved/", std::chrono::seconds(1), false));
  EXPECT_EQ(cache.takeBatchHits(), 0u);
  EXPECT_TRUE(cache.child("b", "same/", "x", std::chrono::seconds(1)));
  EXPECT_TRUE(cache.child("b", "same/", "y", std::chrono::seconds(1)));  // (counted once)
  EXPECT_TRUE(cache.snapshot("b", "made/", std::chrono::seconds(1)));
  EXPECT_EQ(cache.takeBatchHits(), 2u);
  EXPECT_EQ(cache.takeBatchHits(), 0u);
  // One already fresher than the batch's time is left as it is, and no hit of it.
  cache.put("b", "fresh/", Listing{.at = Clock::now(), .stamp = "f-1"});
  EXPECT_TRUE(cache.renewBatched("b", "fresh/", "f-1", std::nullopt, asked));
  EXPECT_TRUE(cache.child("b", "fresh/", "x", std::chrono::seconds(1)));
  EXPECT_EQ(cache.takeBatchHits(), 0u);
}

// A listing this mount edited is renewed for ten minutes after it was listed, then listed again;
// one it never edited is renewed as long as its stamp holds.
TEST(DirCacheTest, AnEditedListingIsRenewedForTenMinutesOnly) {
  DirCache cache;
  auto listed = Clock::now();
  cache.put("b", "quiet/", Listing{.at = listed, .stamp = "q"});
  cache.put("b", "edited/", Listing{.at = listed, .stamp = "e"});
  cache.erase("b", "edited/", "x");
  EXPECT_TRUE(cache.renew("b", "quiet/", "q", listed + std::chrono::seconds(590)));
  EXPECT_TRUE(cache.renew("b", "edited/", "e", listed + std::chrono::seconds(590)));
  EXPECT_FALSE(cache.renew("b", "edited/", "e", listed + std::chrono::seconds(610)));
  EXPECT_TRUE(cache.renew("b", "quiet/", "q", listed + std::chrono::seconds(610)));
  EXPECT_FALSE(cache.renew("b", "quiet/", "other", listed + std::chrono::seconds(620)));
}

// A directory's entry upserted in its parent (a chmod, its mtime written) is its own listing's
// `self` too.
TEST(DirCacheTest, ADirectorysEntryIsItsListingsSelf) {
  DirCache cache;
  Listing sub{.at = Clock::now(), .listedSelf = true};
  sub.self = ObjectInfo{};
  sub.self->name = "d/";
  cache.put("b", "d/", std::move(sub));
  DirEntry dir{.kind = Kind::kDir, .haveInfo = true, .hasMarker = true};
  dir.info.edit().name = "d/";
  dir.info.edit().custom["mode"] = "0700";
  cache.upsert("b", "", "d", dir);
  std::optional<ObjectInfo> marker;
  Clock::time_point at;
  ASSERT_TRUE(cache.self("b", "d/", std::chrono::hours(1), &marker, &at));
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->custom.at("mode"), "0700");
}

}  // namespace
}  // namespace ais::fusefs
