// Crash recovery: crafted half-finished PUTs, and a real kill -9 of a writer process at random
// points. After reopening, every visible object's bytes match its LOM and no work file remains.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "node/store/fqn.h"
#include "node/store/lom_db.h"
#include "node/store/store.h"
#include "temp_dir.h"
#include "xxh.h"

extern char** environ;

namespace ais::store {
namespace {

using testing::TempDir;

using testing::xxh;

std::string readAll(Store& store, std::string_view name) {
  auto r = store.openObject("bkt", name);
  EXPECT_TRUE(r.ok()) << name << ": " << r.status().toString();
  if (!r.ok()) return "<error>";
  std::string out((*r)->lom().size, '\0');
  EXPECT_EQ(*(*r)->read(out.data(), out.size(), 0), out.size());
  EXPECT_EQ(xxh(out), (*r)->lom().checksum) << name;
  return out;
}

size_t workFiles(const std::string& mp) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(mp + "/@ais", ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().string().find("/%wk/") != std::string::npos && it->is_regular_file()) ++n;
  }
  return n;
}

void writeFile(const std::string& path, std::string_view data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

// Crafts the on-disk state of a crash inside commit: a pending marker describing `markerBytes`,
// and `fileBytes` at the object's path (nullopt: no file), plus a stray work file.
void craftCrash(const std::string& mp, const std::string& name, std::string_view markerBytes,
                std::optional<std::string_view> fileBytes) {
  auto db = LomDb::open(mp + "/.ais.lomdb");
  ASSERT_TRUE(db.ok()) << db.status().toString();
  Lom marker;
  marker.name = name;
  marker.size = markerBytes.size();
  marker.checksum = xxh(markerBytes);
  marker.custom = {{"from", "marker"}};
  ASSERT_TRUE((*db)->put(pendingKey("bkt", name), encodeLom(marker)).ok());
  std::string path = objectFqn(mp, "bkt", name, false);
  if (fileBytes) {
    writeFile(path, *fileBytes);
  } else {
    std::filesystem::remove(path);
  }
  writeFile(workDir(mp, "bkt") + "/stray.work", "half a put");
}

using CrashTest = testing::OneMountpathStoreTest;

TEST_F(CrashTest, RenameDoneLomNotCommitted) {
  ASSERT_TRUE(store_->putBytes("bkt", "obj", "old content").ok());
  store_.reset();
  craftCrash(mp_, "obj", "new content!", "new content!");
  reopen();
  EXPECT_EQ(workFiles(mp_), 0u);
  EXPECT_EQ(readAll(*store_, "obj"), "new content!");
  auto lom = store_->head("bkt", "obj");
  EXPECT_EQ(lom->version, 2u);
  EXPECT_EQ(lom->custom.at("from"), "marker");
}

TEST_F(CrashTest, CrashBeforeRenameKeepsOldVersion) {
  ASSERT_TRUE(store_->putBytes("bkt", "obj", "old content").ok());
  store_.reset();
  craftCrash(mp_, "obj", "new content!", "old content");
  reopen();
  EXPECT_EQ(workFiles(mp_), 0u);
  EXPECT_EQ(readAll(*store_, "obj"), "old content");
  EXPECT_EQ(store_->head("bkt", "obj")->version, 1u);
}

TEST_F(CrashTest, FirstPutCrashedBeforeRenameLeavesNothing) {
  store_.reset();
  craftCrash(mp_, "fresh", "never placed", std::nullopt);
  reopen();
  EXPECT_EQ(store_->head("bkt", "fresh").code(), Code::kObjectNotFound);
  EXPECT_EQ(workFiles(mp_), 0u);
  EXPECT_TRUE(*store_->bucketEmpty("bkt"));
}

TEST_F(CrashTest, FileMatchingNeitherLomIsQuarantinedNeverAdopted) {
  ASSERT_TRUE(store_->putBytes("bkt", "obj", "old content").ok());
  store_.reset();
  craftCrash(mp_, "obj", "new content!", "something different entirely");
  reopen();
  // The LOM's view is kept (the old version) and the object reads as damaged, not as those bytes.
  auto head = store_->head("bkt", "obj");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, std::string("old content").size());
  EXPECT_EQ(store_->openObject("bkt", "obj").code(), Code::kObjectCorrupted);
  EXPECT_EQ(store_->integrityStats().quarantined, 1u);
  size_t lost = 0;
  for (auto& e : std::filesystem::directory_iterator(mp_ + "/%lost")) {
    lost += e.is_regular_file();
  }
  EXPECT_EQ(lost, 1u);
}

TEST_F(CrashTest, LomWithoutFileIsDropped) {
  ASSERT_TRUE(store_->putBytes("bkt", "gone", "bytes").ok());
  ASSERT_TRUE(store_->putBytes("bkt", "kept", "bytes").ok());
  std::string path = *store_->fqn("bkt", "gone");
  store_.reset();
  std::filesystem::remove(path);
  reopen();
  EXPECT_EQ(store_->head("bkt", "gone").code(), Code::kObjectNotFound);
  auto all = store_->list("bkt", "", "", 10);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->at(0).name, "kept");
}

TEST_F(CrashTest, SizeMismatchIsNeverServed) {
  ASSERT_TRUE(store_->putBytes("bkt", "obj", "twelve bytes").ok());
  std::string path = *store_->fqn("bkt", "obj");
  writeFile(path, "short");  // corrupted behind the store's back
  EXPECT_EQ(store_->openObject("bkt", "obj").code(), Code::kObjectCorrupted);
  // After a restart the short file is quarantined, never adopted as the object.
  store_.reset();
  reopen();
  EXPECT_EQ(store_->head("bkt", "obj")->size, 12u);
  EXPECT_EQ(store_->openObject("bkt", "obj").code(), Code::kObjectCorrupted);
  EXPECT_EQ(store_->integrityStats().quarantined, 1u);
}

// --- kill -9 of a real writer process ---------------------------------------------------------

constexpr const char* kChildEnv = "AIS_STORE_CRASH_CHILD_DIR";

// Self-describing content: a header with size and seed, so a partial or mixed object is detectable.
std::string content(uint64_t seed, size_t size) {
  std::string s = std::to_string(size) + ":" + std::to_string(seed) + ":";
  std::mt19937_64 rng(seed);
  while (s.size() < size) s.push_back(static_cast<char>(rng()));
  return s;
}

bool wellFormed(const std::string& data) {
  size_t c1 = data.find(':'), c2 = data.find(':', c1 + 1);
  if (c1 == std::string::npos || c2 == std::string::npos) return false;
  size_t size = std::stoull(data.substr(0, c1));
  uint64_t seed = std::stoull(data.substr(c1 + 1, c2 - c1 - 1));
  return data == content(seed, size);
}

// Runs only inside the child process the test below spawns; loops until killed.
TEST(CrashChild, Workload) {
  const char* dir = std::getenv(kChildEnv);
  if (!dir) GTEST_SKIP() << "only runs as the child of StoreKillTest";
  auto store = Store::open({std::string(dir) + "/mp0", std::string(dir) + "/mp1"});
  ASSERT_TRUE(store.ok());
  int progress = ::open((std::string(dir) + "/progress").c_str(), O_WRONLY | O_CREAT, 0644);
  std::mt19937_64 rng(::getpid());
  for (uint64_t op = 0;; ++op) {
    std::string name = "dir" + std::to_string(rng() % 3) + "/obj-" + std::to_string(rng() % 40);
    switch (rng() % 10) {
      case 0:
        (void)(*store)->rename(
            "bkt", name, "dir" + std::to_string(rng() % 3) + "/obj-" + std::to_string(rng() % 40));
        break;
      case 1:
        (void)(*store)->remove("bkt", name);
        break;
      case 2: {  // a group commit of a few objects
        std::vector<std::string> datas;
        std::vector<Store::GroupPut> items;
        for (int k = 0, n = 2 + int(rng() % 6); k < n; ++k)
          datas.push_back(content(rng(), 20 + rng() % 20000));
        for (auto& d : datas) {
          Store::GroupPut g;
          g.name = "dir" + std::to_string(rng() % 3) + "/obj-" + std::to_string(rng() % 40);
          g.data = d;
          g.opts.fsync = rng() % 2;
          items.push_back(std::move(g));
        }
        (void)(*store)->putGroup("bkt", items);
        break;
      }
      default: {
        std::string data = content(rng(), 20 + rng() % 200000);
        auto w = (*store)->beginPut("bkt", name);
        for (size_t off = 0; off < data.size(); off += 8192) {
          (void)(*w)->write(data.data() + off, std::min<size_t>(8192, data.size() - off));
        }
        (void)(*w)->commit();
      }
    }
    (void)::pwrite(progress, &op, sizeof(op), 0);
  }
}

// Kill rounds. The sanitized build (-O0 ASan+UBSan, tools/dev's unit_tests_asan) looks for
// memory errors in the same paths with fewer of them (12 took half a minute of the CI there).
#ifdef __SANITIZE_ADDRESS__
constexpr int kKillRounds = 4;
#else
constexpr int kKillRounds = 12;
#endif

TEST(StoreKillTest, KillDashNineNeverLeavesAMismatchedObject) {
  TempDir tmp;
  std::mt19937_64 rng(42);
  size_t checked = 0;  // objects verified over all rounds (the store persists across rounds)
  for (int round = 0; round < kKillRounds; ++round) {
    std::filesystem::remove(tmp.sub("progress"));
    std::string env = std::string(kChildEnv) + "=" + tmp.path();
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) envp.push_back(*e);
    envp.push_back(env.data());
    envp.push_back(nullptr);
    std::string exe = std::filesystem::read_symlink("/proc/self/exe");
    std::string filter = "--gtest_filter=CrashChild.Workload";
    char* argv[] = {exe.data(), filter.data(), nullptr};
    pid_t pid;
    ASSERT_EQ(posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv, envp.data()), 0);
    // Kill after a random number of completed operations (plus whatever is in flight).
    uint64_t target = 5 + rng() % 120, done = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (done < target && std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(tmp.sub("progress"), std::ios::binary);
      if (!in.read(reinterpret_cast<char*>(&done), sizeof(done))) done = 0;
      std::this_thread::sleep_for(std::chrono::microseconds(200 + rng() % 2000));
    }
    ASSERT_GE(done, target) << "child made no progress";
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status));

    auto store = Store::open({tmp.sub("mp0"), tmp.sub("mp1")});
    ASSERT_TRUE(store.ok()) << store.status().toString();
    auto all = (*store)->list("bkt", "", "", 10000);
    ASSERT_TRUE(all.ok());
    for (const auto& lom : *all) {
      std::string data = readAll(**store, lom.name);
      EXPECT_TRUE(wellFormed(data)) << lom.name << " size " << data.size();
      ++checked;
    }
    for (const auto& mp : (*store)->mountpaths()) EXPECT_EQ(workFiles(mp), 0u);
  }
  // Hundreds of PUTs survived the kills: an always-empty store would check nothing.
  EXPECT_GE(checked, static_cast<size_t>(kKillRounds));
}

}  // namespace
}  // namespace ais::store
