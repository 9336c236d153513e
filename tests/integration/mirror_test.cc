// n-way mirroring across real processes: mirror.copies on a populated bucket starts make-n-copies
// on every target; a flipped byte in a copy is never served; a target restarted with one of its
// three mountpaths wiped serves every object and resilvers the lost copies; deletes take every
// copy.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "tests/integration/test_cluster.h"

namespace ais::testing {
namespace {

constexpr const char* kBucket = "mirrored";
constexpr int kObjects = 40;

std::string objectData(int i) { return patternBytes(i, 1000 + i * 7919); }

// Object files of the bucket on every mountpath of the given targets.
std::vector<std::string> objectFiles(const TestCluster& cluster,
                                     const std::string& bucket = kBucket) {
  std::vector<std::string> out;
  for (const auto& id : cluster.targetIds()) {
    for (const auto& mp : cluster.node(id).mountpaths) {
      std::error_code ec;
      std::string dir = mp + "/@ais/" + bucket + "/%ob";
      for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file()) out.push_back(it->path().string());
      }
    }
  }
  return out;
}

// Waits until every part of the jobs with this id (or of this kind, with at least `parts` parts)
// has ended; returns the parts.
std::vector<JobInfo> waitJobs(Client& c, const std::string& id, const std::string& kind,
                              size_t parts = 1) {
  for (int i = 0; i < 600; ++i) {
    auto list = c.listJobs(id, kind);
    if (list.ok() && list->parts.size() >= parts) {
      bool running = false;
      for (const auto& p : list->parts) running |= p.running();
      if (!running) return list->parts;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "jobs " << id << kind << " did not end";
  return {};
}

// 2 targets with 3 mountpaths each, and a client.
class MirrorTest : public ::testing::Test {
 protected:
  static TestCluster::Options options() {
    TestCluster::Options opts;
    opts.targets = 2;
    opts.mountpathsPerTarget = 3;
    return opts;
  }
  void SetUp() override {
    ASSERT_TRUE(cluster.start().ok());
    auto client = cluster.client();
    ASSERT_TRUE(client.ok());
    c = std::move(*client);
  }
  TestCluster cluster{options()};
  std::unique_ptr<Client> c;
};

TEST_F(MirrorTest, CopiesSurviveCorruptionAndAWipedMountpath) {
  ASSERT_TRUE(c->createBucket(kBucket).ok());
  for (int i = 0; i < kObjects; ++i) {
    ASSERT_TRUE(c->put(kBucket, "o" + std::to_string(i), objectData(i)).ok());
  }
  EXPECT_EQ(objectFiles(cluster).size(), size_t{kObjects});

  // Two copies of a populated bucket: make-n-copies on each target.
  auto props = c->bucketProps(kBucket);
  ASSERT_TRUE(props.ok());
  props->mirrorCopies = 2;
  ASSERT_TRUE(c->setBucketProps(kBucket, *props).ok());
  for (const auto& p : waitJobs(*c, "", "make-n-copies", cluster.targetIds().size())) {
    EXPECT_EQ(p.state, "finished") << p.node << ": " << p.message;
    EXPECT_EQ(p.bucket, kBucket);
    EXPECT_EQ(p.errors, 0u);
  }
  EXPECT_EQ(objectFiles(cluster).size(), size_t{2 * kObjects});
  // New objects get both copies before the PUT returns.
  ASSERT_TRUE(c->put(kBucket, "late", objectData(99)).ok());
  EXPECT_EQ(objectFiles(cluster).size(), size_t{2 * kObjects + 2});

  // A flipped byte in every file of o0..o9 except one copy each: always the right bytes.
  for (int i = 0; i < 10; ++i) {
    std::string name = "o" + std::to_string(i);
    int flipped = 0;
    for (const auto& path : objectFiles(cluster)) {
      if (std::filesystem::path(path).filename() == name && flipped++ == 0) {
        flipByte(path, (i * 131) % objectData(i).size());
      }
    }
    ASSERT_EQ(flipped, 2) << name;
    auto got = c->get(kBucket, name);
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().toString();
    EXPECT_TRUE(*got == objectData(i)) << name;
    auto range = c->get(kBucket, name, ByteRange{100, 500});
    ASSERT_TRUE(range.ok()) << name << ": " << range.status().toString();
    EXPECT_TRUE(*range == objectData(i).substr(100, 500)) << name;
  }

  // The scrub rewrites the damaged copies that reads did not meet (reads repair what they meet
  // in the background); a second scrub finds nothing left to do.
  auto scrub = [&] {
    auto results = c->validateBucket(kBucket);
    EXPECT_TRUE(results.ok());
    size_t repaired = 0, damaged = 0;
    for (const auto& r : results.ok() ? *results : std::vector<ValidateResult>{}) {
      EXPECT_TRUE(r.status.ok()) << r.targetId << ": " << r.status.toString();
      repaired += r.repaired.size();
      damaged += r.corrupt.size() + r.missing.size();
    }
    EXPECT_EQ(damaged, 0u);
    return repaired;
  };
  EXPECT_LE(scrub(), 10u);
  EXPECT_EQ(scrub(), 0u);

  // A target restarted with one mountpath wiped: nothing lost, the copies come back.
  std::string victim = cluster.targetIds().at(0);
  ASSERT_TRUE(cluster.stop(victim).ok());
  std::filesystem::remove_all(cluster.node(victim).mountpaths.at(1));
  ASSERT_TRUE(cluster.restart(victim).ok());
  for (int i = 0; i < kObjects; ++i) {
    auto got = c->get(kBucket, "o" + std::to_string(i));
    ASSERT_TRUE(got.ok()) << i << ": " << got.status().toString();
    EXPECT_TRUE(*got == objectData(i)) << i;
  }
  for (const auto& p : waitJobs(*c, "", "resilver")) {
    EXPECT_EQ(p.state, "finished") << p.node << ": " << p.message;
    EXPECT_EQ(p.node, victim);
  }
  // Repairs of the flipped copies run in the background too; give them a moment.
  size_t files = 0;
  for (int i = 0; i < 100 && files != size_t{2 * kObjects + 2}; ++i) {
    files = objectFiles(cluster).size();
    if (files != size_t{2 * kObjects + 2})
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(files, size_t{2 * kObjects + 2});
  auto listed = c->list(kBucket);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->entries.size(), size_t{kObjects + 1});

  // A delete takes every copy.
  ASSERT_TRUE(c->remove(kBucket, "late").ok());
  EXPECT_EQ(objectFiles(cluster).size(), size_t{2 * kObjects});
  EXPECT_EQ(c->head(kBucket, "late").code(), Code::kObjectNotFound);
}

TEST_F(MirrorTest, DisablingAMountpathMovesItsObjectsWhileReadsGoOn) {
  constexpr const char* kPlain = "resilvered";
  constexpr int kCount = 1000;
  ASSERT_TRUE(c->createBucket(kPlain).ok());
  auto data = [](int i) { return patternBytes(i, 500 + (i * 37) % 3000); };
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(c->put(kPlain, "o" + std::to_string(i), data(i)).ok());
  }
  std::string victim = cluster.targetIds().at(0);
  std::string off = cluster.node(victim).mountpaths.at(0);
  auto filesOn = [&](const std::string& mp) {
    size_t n = 0;
    for (const auto& f : objectFiles(cluster, kPlain)) n += f.rfind(mp + "/", 0) == 0;
    return n;
  };
  ASSERT_GT(filesOn(off), 0u);

  // A reader checks random objects the whole time.
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, bad{0};
  struct Joiner {  // the reader ends with the test, also when an assertion returns early
    std::atomic<bool>& stop;
    std::thread t;
    ~Joiner() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } reader{stop, std::thread([&] {
             auto rc = cluster.client();
             if (!rc.ok()) return (void)++bad;
             std::mt19937 rng(7);
             while (!stop) {
               int i = static_cast<int>(rng() % kCount);
               auto got = (*rc)->get(kPlain, "o" + std::to_string(i));
               if (!got.ok() || *got != data(i)) ++bad;
               ++reads;
             }
           })};
  auto job = c->setMountpath(victim, off, false);
  ASSERT_TRUE(job.ok()) << job.status().toString();
  ASSERT_FALSE(job->empty());
  for (const auto& p : waitJobs(*c, *job, "")) {
    EXPECT_EQ(p.state, "finished") << p.message;
    EXPECT_EQ(p.kind, "resilver");
  }
  EXPECT_EQ(filesOn(off), 0u);
  auto again = c->setMountpath(victim, off, false);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());  // already disabled: nothing to do

  // Kept across a restart; enabled again, objects come back to it.
  ASSERT_TRUE(cluster.stop(victim).ok());
  ASSERT_TRUE(cluster.restart(victim).ok());
  auto states = c->mountpaths(victim);
  ASSERT_TRUE(states.ok()) << states.status().toString();
  bool sawDisabled = false;
  for (const auto& m : *states) sawDisabled |= (m.path == off && !m.enabled);
  EXPECT_TRUE(sawDisabled);
  job = c->setMountpath(victim, off, true);
  ASSERT_TRUE(job.ok()) << job.status().toString();
  for (const auto& p : waitJobs(*c, *job, "")) EXPECT_EQ(p.state, "finished") << p.message;
  EXPECT_GT(filesOn(off), 0u);
  stop = true;
  reader.t.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(bad.load(), 0);
  for (int i = 0; i < kCount; ++i) {
    auto got = c->get(kPlain, "o" + std::to_string(i));
    ASSERT_TRUE(got.ok()) << i;
    EXPECT_TRUE(*got == data(i)) << i;
  }
  EXPECT_EQ(c->setMountpath(victim, "/no/such", false).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace ais::testing
