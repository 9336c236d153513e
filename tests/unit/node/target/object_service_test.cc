// ObjectService without a network: a real Store on a temp dir, real I/O workers and the KJ loop of
// this thread, a Smap of this target alone (or with a second target that owns some names), and a
// disk that fails or lies underneath (store::DiskFaults). What is checked is what users are
// promised: a request routed wrong is refused, bytes that fail their checksum never reach the
// sink, a failed write stores nothing and keeps the old object, and the service keeps answering.
#include "node/target/object_service.h"

#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <xxhash.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "meta/hrw.h"
#include "proto/wire.h"
#include "tests/unit/node/store/temp_dir.h"

namespace ais::node {
namespace {

using store::testing::TempDir;

// A disk whose reads can return one flipped byte at a given object offset or fail with an errno,
// and whose writes and fsyncs can fail. Switched from the test thread, read by the I/O workers.
class FaultyDisk final : public store::DiskFaults {
 public:
  std::atomic<int64_t> flipAt{-1};  // object offset of a byte that reads back wrong
  std::atomic<int> readErr{0}, writeErr{0}, fsyncErr{0};
  std::atomic<uint64_t> reads{0};

  int afterRead(const std::string&, uint64_t off, char* buf, size_t n) override {
    reads.fetch_add(1);
    if (int e = readErr.load()) return e;
    int64_t at = flipAt.load();
    if (at >= 0 && static_cast<uint64_t>(at) >= off && static_cast<uint64_t>(at) < off + n) {
      buf[at - off] ^= 0x5a;
    }
    return 0;
  }
  int beforeWrite(const std::string&, size_t) override { return writeErr.load(); }
  int beforeFsync(const std::string&) override { return fsyncErr.load(); }
};

// Collects what a streamed GET sends, chunk by chunk.
class CollectingSink final : public wire::ByteSink::Server {
 public:
  explicit CollectingSink(std::string* out) : out_(out) {}

 protected:
  kj::Promise<void> write(WriteContext context) override {
    auto chunk = context.getParams().getChunk();
    out_->append(reinterpret_cast<const char*>(chunk.begin()), chunk.size());
    return kj::READY_NOW;
  }
  kj::Promise<void> writeZeros(WriteZerosContext context) override {
    out_->append(context.getParams().getLength(), '\0');
    zeroRuns_++;
    return kj::READY_NOW;
  }

 private:
  std::string* out_;

 public:
  static inline int zeroRuns_ = 0;  // writeZeros calls received, by every sink
};

std::string pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

kj::ArrayPtr<const kj::byte> bytesOf(const std::string& s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

uint64_t xxh(const std::string& s) { return XXH64(s.data(), s.size(), 0); }

class ObjectServiceTest : public ::testing::Test {
 protected:
  static constexpr const char* kBucket = "bkt";

  void SetUp() override {
    LocalConfig cfg;
    cfg.id = "t1";
    cfg.role = "target";
    cfg.confdir = tmp_.sub("conf");
    std::filesystem::create_directories(cfg.confdir);
    cfg.rpcEndpoint = "127.0.0.1:1";
    ctx_ = std::make_unique<NodeContext>(std::move(cfg), *pool_);
    ctx_->ready = true;  // (joined: its BMD is the cluster's)
    ASSERT_TRUE(ctx_->meta.load().ok());
    auto st = store::Store::open({tmp_.sub("mp1"), tmp_.sub("mp2")});
    ASSERT_TRUE(st.ok()) << st.status().toString();
    ctx_->store = std::move(st).value();
    ctx_->store->setDiskFaults(&disk_);
    ctx_->io = std::make_unique<IoWorkers>(ctx_->store->mountpaths().size(), 2);
    setTargets({"t1"});
    meta::BMD bmd;
    bmd.version = 1;
    bmd.uuid = "c1";
    bmd.buckets[kBucket] = meta::BucketProps{};
    bmd.buckets["synced"] = meta::BucketProps{};
    bmd.buckets["synced"].fsync = true;
    Status accepted = ctx_->meta.acceptBmd(bmd);
    ASSERT_TRUE(accepted.ok()) << accepted.toString();
    svc_ = std::make_unique<ObjectService>(*ctx_);
  }
  void TearDown() override {
    svc_.reset();
    ctx_->io.reset();
  }

  void setTargets(std::vector<std::string> ids) {
    meta::Smap smap;
    smap.version = ++smapVersion_;
    smap.uuid = "c1";
    smap.primaryId = "p1";
    smap.nodes.push_back(meta::NodeInfo{"p1", meta::Role::kProxy, "127.0.0.1:1", "", 0});
    for (auto& id : ids) {
      // Other targets' endpoints are unreachable: this test makes no call to them.
      smap.nodes.push_back(meta::NodeInfo{id, meta::Role::kTarget, "127.0.0.1:1", "", 0});
    }
    Status st = ctx_->meta.acceptSmap(smap);
    ASSERT_TRUE(st.ok()) << st.toString();
  }

  Result<store::Lom> put(const std::string& name, const std::string& data,
                         const std::string& bucket = kBucket) {
    return svc_->put(ObjectRef{bucket, name}, bytesOf(data), xxh(data), {}).wait(ws());
  }
  // A streamed GET (nothing inline) into `out`.
  Result<GetReply> getStreamed(const std::string& name, GetRange range, std::string* out) {
    out->clear();
    range.inlineMax = 0;
    wire::ByteSink::Client sink = kj::heap<CollectingSink>(out);
    return svc_->get(ObjectRef{kBucket, name}, range, kj::mv(sink)).wait(ws());
  }
  Result<GetReply> getInline(const std::string& name, GetRange range = {}) {
    range.inlineMax = 64 << 20;
    return svc_->get(ObjectRef{kBucket, name}, range, nullptr).wait(ws());
  }
  kj::WaitScope& ws() { return aio_->waitScope; }

  // kj's loop and wait scope have throwing destructors; gtest's fixture destructor is noexcept.
  std::unique_ptr<kj::AsyncIoContext> aio_ =
      std::make_unique<kj::AsyncIoContext>(kj::setupAsyncIo());
  std::unique_ptr<proto::ConnectionPool> pool_ =
      std::make_unique<proto::ConnectionPool>(*aio_->provider);
  TempDir tmp_;
  FaultyDisk disk_;
  uint64_t smapVersion_ = 0;
  std::unique_ptr<NodeContext> ctx_;
  std::unique_ptr<ObjectService> svc_;
};

TEST_F(ObjectServiceTest, PutThenGetInlineStreamedAndRanged) {
  std::string data = pattern(3 * (1 << 20) + 777, 1);
  auto lom = put("o", data);
  ASSERT_TRUE(lom.ok()) << lom.status().toString();
  EXPECT_EQ(lom->size, data.size());
  EXPECT_EQ(lom->checksum, xxh(data));

  auto in = getInline("o");
  ASSERT_TRUE(in.ok()) << in.status().toString();
  ASSERT_TRUE(in->inlined.has_value());
  EXPECT_TRUE(*in->inlined == data);
  EXPECT_EQ(in->dataChecksum, xxh(data));

  std::string got;
  auto st = getStreamed("o", {}, &got);
  ASSERT_TRUE(st.ok()) << st.status().toString();
  EXPECT_FALSE(st->inlined.has_value());
  EXPECT_EQ(st->sentBytes, data.size());
  EXPECT_TRUE(got == data);

  auto ranged =
      getStreamed("o", GetRange{.offset = 100000, .length = 200000, .toEnd = false}, &got);
  ASSERT_TRUE(ranged.ok());
  EXPECT_TRUE(got == data.substr(100000, 200000));
  EXPECT_EQ(ranged->dataChecksum, xxh(got));

  auto past = getInline("o", GetRange{.offset = data.size(), .length = 1, .toEnd = false});
  EXPECT_EQ(past.code(), Code::kRangeNotSatisfiable);
  auto otherVersion = getInline("o", GetRange{.ifVersion = lom->version + 1});
  EXPECT_EQ(otherVersion.code(), Code::kVersionChanged);
  // Too big to go inline and nowhere to stream to: refused, not truncated.
  auto noSink = svc_->get(ObjectRef{kBucket, "o"}, GetRange{}, nullptr).wait(ws());
  EXPECT_EQ(noSink.code(), Code::kInvalidArgument);
}

TEST_F(ObjectServiceTest, StreamedGetSendsChunksOfZerosAsLengths) {
  // Data, 3 MiB of zeros (a hole on disk), data: the zeros go as writeZeros, the bytes and the
  // transfer checksum are the same.
  std::string data = pattern(100000, 3) + std::string(3 << 20, '\0') + pattern(5000, 4);
  ASSERT_TRUE(put("sparse", data).ok());
  std::string got;
  CollectingSink::zeroRuns_ = 0;
  auto st = getStreamed("sparse", {}, &got);
  ASSERT_TRUE(st.ok()) << st.status().toString();
  EXPECT_TRUE(got == data);
  EXPECT_EQ(st->sentBytes, data.size());
  EXPECT_EQ(st->dataChecksum, xxh(data));
  EXPECT_GE(CollectingSink::zeroRuns_, 1);
  // Data everywhere: no run of zeros.
  std::string dense = pattern(3 << 20, 5);
  ASSERT_TRUE(put("dense", dense).ok());
  CollectingSink::zeroRuns_ = 0;
  ASSERT_TRUE(getStreamed("dense", {}, &got).ok());
  EXPECT_TRUE(got == dense);
  EXPECT_EQ(CollectingSink::zeroRuns_, 0);
}

TEST_F(ObjectServiceTest, ABucketUnknownWhileJoiningIsUnavailableNotMissing) {
  // Asked before the buckets' metadata reached it (the primary publishes the Smap with a joining
  // target first): a retryable answer, never "no such bucket" for a bucket that may exist.
  ctx_->ready = false;
  EXPECT_EQ(put("o", "x", "nosuch").code(), Code::kUnavailable);
  EXPECT_EQ(svc_->head(ObjectRef{"nosuch", "o"}).wait(ws()).code(), Code::kUnavailable);
  EXPECT_TRUE(put("o", "x").ok());  // (a bucket it knows is served)
  ctx_->ready = true;
  EXPECT_EQ(put("o", "x", "nosuch").code(), Code::kBucketNotFound);
}

TEST_F(ObjectServiceTest, RefusesWhatIsRoutedWrong) {
  EXPECT_EQ(put("o", "x", "nosuch").code(), Code::kBucketNotFound);
  EXPECT_EQ(put(std::string("nul\0tail", 8), "x").code(), Code::kBadObjectName);
  EXPECT_EQ(put("../escape", "x").code(), Code::kBadObjectName);
  EXPECT_EQ(put(std::string(4096, 'n'), "x").code(), Code::kBadObjectName);  // past PATH_MAX - 1
  EXPECT_TRUE(put(std::string(4095, 'n'), "x").ok());  // stored by hash (fqn.h)
  EXPECT_EQ(svc_->head(ObjectRef{"Bad/Bucket", "o"}).wait(ws()).code(), Code::kBadBucketName);

  // With a second target, a name it owns is refused here (the caller's Smap is stale) unless the
  // caller asks for this target's own copy.
  setTargets({"t1", "t2"});
  std::string theirs;
  for (int i = 0; theirs.empty(); ++i) {
    std::string n = "n" + std::to_string(i);
    if (meta::ownerTarget(ctx_->meta.smap(), meta::uname(kBucket, n))->id == "t2") theirs = n;
  }
  EXPECT_EQ(put(theirs, "x").code(), Code::kStaleSmap);
  EXPECT_EQ(getInline(theirs).code(), Code::kStaleSmap);
  auto local = svc_->put(ObjectRef{kBucket, theirs, /*localOnly=*/true}, bytesOf("x"), xxh("x"), {})
                   .wait(ws());
  EXPECT_TRUE(local.ok()) << local.status().toString();
  auto head = svc_->head(ObjectRef{kBucket, theirs, true}).wait(ws());
  EXPECT_TRUE(head.ok());
}

TEST_F(ObjectServiceTest, ALyingDiskNeverReachesTheSink) {
  std::string data = pattern(3 * (1 << 20), 2);
  ASSERT_TRUE(put("o", data).ok());
  uint64_t badAt = (1 << 20) + (1 << 19) + 5;  // in the second 1 MiB chunk of a streamed GET
  disk_.flipAt = static_cast<int64_t>(badAt);

  std::string got;
  auto whole = getStreamed("o", {}, &got);
  EXPECT_EQ(whole.code(), Code::kObjectCorrupted) << whole.status().toString();
  // What went out before the bad block is a correct prefix, and stops short of it.
  EXPECT_LE(got.size(), badAt);
  EXPECT_TRUE(got == data.substr(0, got.size()));

  EXPECT_EQ(getInline("o").code(), Code::kObjectCorrupted);
  auto touching =
      getStreamed("o", GetRange{.offset = badAt - 10, .length = 20, .toEnd = false}, &got);
  EXPECT_EQ(touching.code(), Code::kObjectCorrupted);
  EXPECT_TRUE(got.empty());
  // A range whose blocks are all good is served.
  auto clean = getInline("o", GetRange{.offset = 0, .length = 4096, .toEnd = false});
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(*clean->inlined == data.substr(0, 4096));
  EXPECT_GE(ctx_->store->integrityStats().corruptReads, 3u);

  // Copies are verified too: a corrupt source is not copied.
  auto copy = svc_->copy(ObjectRef{kBucket, "o"}, kBucket, "o-copy", std::nullopt).wait(ws());
  EXPECT_EQ(copy.code(), Code::kObjectCorrupted);
  EXPECT_EQ(svc_->head(ObjectRef{kBucket, "o-copy"}).wait(ws()).code(), Code::kObjectNotFound);

  disk_.flipAt = -1;  // the disk behaves again: the same object reads back whole
  auto again = getStreamed("o", {}, &got);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(got == data);
}

TEST_F(ObjectServiceTest, AFailingDiskGivesIoErrorsAndTheServiceGoesOn) {
  std::string data = pattern(200000, 3);
  ASSERT_TRUE(put("o", data).ok());
  disk_.readErr = EIO;
  std::string got;
  EXPECT_EQ(getStreamed("o", {}, &got).code(), Code::kIoError);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(getInline("o").code(), Code::kIoError);
  disk_.readErr = 0;
  auto ok = getInline("o");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(*ok->inlined == data);
}

TEST_F(ObjectServiceTest, AFullDiskStoresNothingAndKeepsTheOldObject) {
  std::string v1 = pattern(100000, 4), v2 = pattern(150000, 5);
  ASSERT_TRUE(put("o", v1).ok());
  disk_.writeErr = ENOSPC;
  EXPECT_EQ(put("o", v2).code(), Code::kOutOfSpace);
  EXPECT_EQ(put("new", v2).code(), Code::kOutOfSpace);
  disk_.writeErr = EIO;
  EXPECT_EQ(put("o", v2).code(), Code::kIoError);
  disk_.writeErr = 0;
  auto old = getInline("o");
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(*old->inlined == v1);
  EXPECT_EQ(svc_->head(ObjectRef{kBucket, "new"}).wait(ws()).code(), Code::kObjectNotFound);
  // Once there is room again, PUTs succeed.
  ASSERT_TRUE(put("o", v2).ok());
  EXPECT_TRUE(*getInline("o")->inlined == v2);
}

TEST_F(ObjectServiceTest, AFailedFsyncStoresNothing) {
  disk_.fsyncErr = EIO;
  EXPECT_EQ(put("o", "durable", "synced").code(), Code::kIoError);
  EXPECT_EQ(svc_->head(ObjectRef{"synced", "o"}).wait(ws()).code(), Code::kObjectNotFound);
  disk_.fsyncErr = 0;
  EXPECT_TRUE(put("o", "durable", "synced").ok());
}

TEST_F(ObjectServiceTest, StreamedPutChecksTheSendersChecksum) {
  std::string data = pattern(300000, 6);
  auto commitWith = [&](const std::string& name, uint64_t checksum) -> Result<store::Lom> {
    auto stream = svc_->beginPut(ObjectRef{kBucket, name}, {}).wait(ws());
    if (!stream.ok()) return stream.status();
    wire::PutStream::Client client = kj::mv(*stream);
    for (size_t off = 0; off < data.size(); off += 65536) {
      auto w = client.writeRequest();
      w.setChunk(bytesOf(data.substr(off, 65536)));
      w.send().wait(ws());
    }
    auto c = client.commitRequest();
    c.setChecksum(checksum);
    auto r = c.send().wait(ws());
    Status st = proto::toStatus(r.getStatus());
    if (!st.ok()) return st;
    return store::Lom{};
  };
  EXPECT_EQ(commitWith("bad", xxh(data) ^ 1).code(), Code::kChecksumMismatch);
  EXPECT_EQ(svc_->head(ObjectRef{kBucket, "bad"}).wait(ws()).code(), Code::kObjectNotFound);
  ASSERT_TRUE(commitWith("good", xxh(data)).ok());
  EXPECT_TRUE(*getInline("good")->inlined == data);

  // A write failing mid-stream poisons the PUT: the commit refuses it.
  disk_.writeErr = EIO;
  EXPECT_EQ(commitWith("broken", xxh(data)).code(), Code::kIoError);
  disk_.writeErr = 0;
  EXPECT_EQ(svc_->head(ObjectRef{kBucket, "broken"}).wait(ws()).code(), Code::kObjectNotFound);
}

TEST_F(ObjectServiceTest, AMissingFileIsCorruptNotARoutingError) {
  std::string data = pattern(5000, 7);
  ASSERT_TRUE(put("o", data).ok());
  auto path = ctx_->store->fqn(kBucket, "o");
  ASSERT_TRUE(path.ok());
  ASSERT_EQ(::unlink(path->c_str()), 0);
  EXPECT_EQ(getInline("o").code(), Code::kObjectCorrupted);
  EXPECT_EQ(svc_->head(ObjectRef{kBucket, "nothere"}).wait(ws()).code(), Code::kObjectNotFound);
  // Overwriting heals it.
  ASSERT_TRUE(put("o", data).ok());
  EXPECT_TRUE(getInline("o").ok());
}

TEST_F(ObjectServiceTest, RenameCopyCustomListAndDelete) {
  ASSERT_TRUE(put("dir/a", "alpha").ok());
  ASSERT_TRUE(put("dir/b", "beta").ok());
  ASSERT_TRUE(put("top", "t").ok());
  ASSERT_TRUE(svc_->rename(ObjectRef{kBucket, "dir/a"}, "dir/c").wait(ws()).ok());
  EXPECT_EQ(svc_->head(ObjectRef{kBucket, "dir/a"}).wait(ws()).code(), Code::kObjectNotFound);
  auto copied = svc_->copy(ObjectRef{kBucket, "dir/b"}, "synced", "b2",
                           std::map<std::string, std::string>{{"k", "v"}})
                    .wait(ws());
  ASSERT_TRUE(copied.ok()) << copied.status().toString();
  auto custom = svc_->setCustom(ObjectRef{kBucket, "top"}, {{"x", "1"}}, true).wait(ws());
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->custom.at("x"), "1");

  auto page = svc_->list(ListQuery{kBucket, "", "", "/", 100}).wait(ws());
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->prefixes.size(), 1u);
  EXPECT_EQ(page->prefixes[0], "dir/");
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].name, "top");

  EXPECT_TRUE(svc_->remove(ObjectRef{kBucket, "top"}).wait(ws()).ok());
  EXPECT_EQ(svc_->remove(ObjectRef{kBucket, "top"}).wait(ws()).code(), Code::kObjectNotFound);
  EXPECT_FALSE(*svc_->bucketEmpty(kBucket).wait(ws()));
}

TEST_F(ObjectServiceTest, ValidateReportsWhatTheDiskDamaged) {
  std::string data = pattern(400000, 8);
  ASSERT_TRUE(put("a", data).ok());
  ASSERT_TRUE(put("b", "small").ok());
  auto counters = std::make_shared<store::ScrubCounters>();
  auto clean = svc_->validate(kBucket, counters).wait(ws());
  ASSERT_TRUE(clean.ok());
  EXPECT_EQ(clean->objects, 2u);
  EXPECT_EQ(clean->corruptCount, 0u);
  disk_.flipAt = 300000;
  auto damaged = svc_->validate(kBucket, std::make_shared<store::ScrubCounters>()).wait(ws());
  ASSERT_TRUE(damaged.ok());
  EXPECT_EQ(damaged->corruptCount, 1u);
  ASSERT_EQ(damaged->corrupt.size(), 1u);
  EXPECT_NE(damaged->corrupt[0].find("a"), std::string::npos);
  EXPECT_EQ(svc_->validate("nosuch", counters).wait(ws()).code(), Code::kBucketNotFound);
}

}  // namespace
}  // namespace ais::node

namespace ais::node {
namespace {

// ifAbsent is decided at the commit, under the name lock: of two PUTs that both began while the
// name was free, the second to commit is refused and the first's bytes stay.
TEST_F(ObjectServiceTest, IfAbsentIsAtomicWithTheCommit) {
  auto begin = [&](const std::string& data) {
    auto s = svc_->beginPut(ObjectRef{kBucket, "race", false, /*ifAbsent=*/true}, {}).wait(ws());
    EXPECT_TRUE(s.ok()) << s.status().toString();
    wire::PutStream::Client c = kj::mv(*s);
    auto w = c.writeRequest();
    w.setChunk(bytesOf(data));
    w.send().wait(ws());
    return c;
  };
  auto commit = [&](wire::PutStream::Client& c, const std::string& data) {
    auto req = c.commitRequest();
    req.setChecksum(xxh(data));
    return proto::toStatus(req.send().wait(ws()).getStatus());
  };
  auto first = begin("first"), second = begin("second");
  EXPECT_TRUE(commit(first, "first").ok());
  EXPECT_EQ(commit(second, "second").code(), Code::kObjectExists);
  EXPECT_TRUE(*getInline("race")->inlined == "first");
  // A one-shot PUT asking the same is refused too.
  auto again =
      svc_->put(ObjectRef{kBucket, "race", false, true}, bytesOf("third"), xxh("third"), {})
          .wait(ws());
  EXPECT_EQ(again.code(), Code::kObjectExists);
}

}  // namespace
}  // namespace ais::node
