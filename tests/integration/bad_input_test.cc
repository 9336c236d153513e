// Hostile and broken input sent straight to a target over the fabric (bypassing the client
// library's own checks): clear typed errors, nothing stored, and the node keeps serving.
#include <capnp/ez-rpc.h>
#include <gtest/gtest.h>
#include <xxhash.h>

#include <filesystem>
#include <fstream>

#include "meta/hrw.h"
#include "proto/ais.capnp.h"
#include "proto/wire.h"
#include "tests/integration/test_cluster.h"

namespace ais::testing {
namespace {

namespace fs = std::filesystem;

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new TestCluster(TestCluster::Options{});
    ASSERT_TRUE(cluster_->start().ok());
    auto c = cluster_->client();
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->createBucket("bad").ok());
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  // The owner target of a name and a raw fabric connection to it.
  struct Raw {
    std::string targetId;
    std::unique_ptr<capnp::EzRpcClient> rpc;
    wire::Node::Client node = nullptr;
    uint64_t smapVersion = 0;
  };
  Raw connectToOwner(const std::string& bucket, const std::string& name) {
    auto c = cluster_->client();
    auto smap = (*c)->smap(true);
    const meta::NodeInfo* owner = meta::ownerTarget(*smap, meta::uname(bucket, name));
    Raw raw;
    raw.targetId = owner->id;
    raw.rpc = std::make_unique<capnp::EzRpcClient>(owner->rpcEndpoint);
    raw.node = raw.rpc->getMain<wire::Node>();
    raw.smapVersion = smap->version;
    return raw;
  }
  Code rawPut(Raw& raw, const std::string& bucket, const std::string& name, std::string_view data,
              uint64_t checksum) {
    auto req = raw.node.putObjectRequest();
    auto ref = req.initRef();
    // Exactly these bytes, embedded NULs included (std::string converts through c_str()).
    ref.setBucket(capnp::Text::Reader(bucket.data(), bucket.size()));
    ref.setName(capnp::Text::Reader(name.data(), name.size()));
    ref.setSmapVersion(raw.smapVersion);
    req.setData(proto::asBytes(data));
    req.setChecksum(checksum);
    auto resp = req.send().wait(raw.rpc->getWaitScope());
    return proto::toStatus(resp.getStatus()).code();
  }

  // A ref to `name` in bucket "bad", routed as the owner expects.
  static void fillRef(wire::ObjectRef::Builder ref, const Raw& raw, const std::string& name) {
    ref.setBucket("bad");
    ref.setName(name);
    ref.setSmapVersion(raw.smapVersion);
  }
  // A streamed PUT of `name` opened on its owner.
  static wire::PutStream::Client beginRawPut(Raw& raw, const std::string& name) {
    auto req = raw.node.beginPutRequest();
    fillRef(req.initRef(), raw, name);
    auto resp = req.send().wait(raw.rpc->getWaitScope());
    EXPECT_EQ(proto::toStatus(resp.getStatus()).code(), Code::kOk);
    return resp.getStream();
  }
  // Commits a raw streamed PUT with the sender's checksum: the target's answer.
  static Code commitRawPut(Raw& raw, wire::PutStream::Client& stream, uint64_t checksum) {
    auto commit = stream.commitRequest();
    commit.setChecksum(checksum);
    auto done = commit.send().wait(raw.rpc->getWaitScope());
    return proto::toStatus(done.getStatus()).code();
  }

  static TestCluster* cluster_;
};
TestCluster* BadInputTest::cluster_ = nullptr;

TEST_F(BadInputTest, RejectsNamesThatWouldEscapeTheMountpath) {
  auto raw = connectToOwner("bad", "anything");
  std::vector<std::string> hostile = {"../x",
                                      "a/../../b",
                                      "..",
                                      "/etc/passwd",
                                      std::string(4096, 'n'),
                                      "bad\xff\xfeutf8",
                                      "\xc0\xaf",
                                      std::string("nul\0tail", 8),
                                      std::string("\0", 1)};
  for (const auto& name : hostile) {
    EXPECT_EQ(rawPut(raw, "bad", name, "x", XXH64("x", 1, 0)), Code::kBadObjectName) << name;
  }
  EXPECT_EQ(rawPut(raw, "../../etc", "x", "x", XXH64("x", 1, 0)), Code::kBadBucketName);
  EXPECT_EQ(rawPut(raw, std::string("bad\0x", 5), "x", "x", XXH64("x", 1, 0)),
            Code::kBadBucketName);
  // Nothing escaped: no file outside the mountpaths' object trees, and the node still serves.
  for (const auto& id : cluster_->targetIds()) {
    EXPECT_FALSE(fs::exists(cluster_->node(id).dir + "/x")) << id;
  }
  auto c = cluster_->client();
  EXPECT_EQ((*c)->head("bad", "nul").code(), Code::kObjectNotFound);  // not truncated and stored
  ASSERT_TRUE((*c)->put("bad", "after-hostile", "ok").ok());
  EXPECT_EQ(*(*c)->get("bad", "after-hostile"), "ok");
}

TEST_F(BadInputTest, RefusesDataThatDoesNotMatchItsChecksum) {
  auto raw = connectToOwner("bad", "damaged");
  EXPECT_EQ(rawPut(raw, "bad", "damaged", "payload", XXH64("other", 5, 0)),
            Code::kChecksumMismatch);
  auto c = cluster_->client();
  EXPECT_EQ((*c)->head("bad", "damaged").code(), Code::kObjectNotFound);

  // Streamed: chunks then a wrong checksum at commit.
  auto& ws = raw.rpc->getWaitScope();
  auto stream = beginRawPut(raw, "damaged");
  for (int i = 0; i < 3; ++i) {
    auto w = stream.writeRequest();
    w.setChunk(proto::asBytes("chunk"));
    w.send().wait(ws);
  }
  EXPECT_EQ(commitRawPut(raw, stream, 12345), Code::kChecksumMismatch);
  EXPECT_EQ((*c)->head("bad", "damaged").code(), Code::kObjectNotFound);
}

TEST_F(BadInputTest, HostileHolesAndCountersAreRefused) {
  auto c = cluster_->client();
  // A sparse PUT whose holes pass 5 TiB: refused at the commit, nothing stored.
  {
    auto raw = connectToOwner("bad", "huge-hole");
    auto& scope = raw.rpc->getWaitScope();
    auto stream = beginRawPut(raw, "huge-hole");
    auto w = stream.writeRequest();
    w.setChunk(proto::asBytes("x"));
    w.send().wait(scope);
    auto z = stream.writeZerosRequest();
    z.setLength(6ull << 40);
    z.send().wait(scope);
    EXPECT_EQ(commitRawPut(raw, stream, 0), Code::kInvalidArgument);
    EXPECT_EQ((*c)->head("bad", "huge-hole").code(), Code::kObjectNotFound);
  }
  // A counter change that is not a number: InvalidArgument, the metadata as it was.
  ASSERT_TRUE((*c)->put("bad", "counted", "x", PutOptions{{{"n", "1"}}}).ok());
  auto raw = connectToOwner("bad", "counted");
  auto req = raw.node.setCustomRequest();
  fillRef(req.initRef(), raw, "counted");
  req.setMerge(true);
  auto add = req.initAdd(1);
  add[0].setKey("n");
  add[0].setValue("one");
  auto resp = req.send().wait(raw.rpc->getWaitScope());
  EXPECT_EQ(proto::toStatus(resp.getStatus()).code(), Code::kInvalidArgument);
  EXPECT_EQ((*c)->head("bad", "counted")->custom.at("n"), "1");
  // The node keeps serving.
  EXPECT_TRUE((*c)->put("bad", "after-hostile", "ok").ok());
}

TEST_F(BadInputTest, ChangeTokensOfTooManyOrHostilePrefixesAreRefusedOrHarmless) {
  auto c = cluster_->client();
  auto raw = connectToOwner("bad", "any");
  auto& scope = raw.rpc->getWaitScope();
  auto ask = [&](size_t n, std::string_view prefix) {
    auto req = raw.node.bucketChangesRequest();
    req.setBucket("bad");
    auto list = req.initPrefixes(n);
    for (size_t i = 0; i < n; ++i) list.set(i, capnp::Text::Reader(prefix.data(), prefix.size()));
    auto resp = req.send().wait(scope);
    return std::pair{proto::toStatus(resp.getStatus()).code(), resp.getFingerprints().size()};
  };
  EXPECT_EQ(ask(70000, "d/").first, Code::kInvalidArgument);
  // A NUL, a 2 KiB prefix, "../": tokens of directories that hold nothing, nothing more.
  std::string nul("a\0b/", 4), longName(2048, 'x');
  for (const std::string& p : {nul, longName + "/", std::string("../")}) {
    auto [code, n] = ask(1, p);
    EXPECT_EQ(code, Code::kOk) << p.size();
    EXPECT_EQ(n, 1u);
  }
  EXPECT_TRUE((*c)->put("bad", "after-tokens", "ok").ok());
}

TEST_F(BadInputTest, ClientVanishingMidStreamLeavesNothing) {
  {
    auto raw = connectToOwner("bad", "vanished");
    auto& ws = raw.rpc->getWaitScope();
    auto stream = beginRawPut(raw, "vanished");
    auto w = stream.writeRequest();
    w.setChunk(proto::asBytes(std::string(1 << 20, 'p')));
    w.send().wait(ws);
  }  // connection closed without commit
  auto c = cluster_->client();
  EXPECT_EQ((*c)->head("bad", "vanished").code(), Code::kObjectNotFound);
  // No work file is left behind either (give the target a moment to see the disconnect).
  bool leftover = true;
  for (int i = 0; i < 50 && leftover; ++i) {
    leftover = false;
    for (const auto& id : cluster_->targetIds()) {
      for (const auto& mp : cluster_->node(id).mountpaths) {
        std::error_code ec;
        for (auto& e : fs::directory_iterator(mp + "/@ais/bad/%wk", ec)) {
          (void)e;
          leftover = true;
        }
        // (A work file may be one made ahead in %pw, written where it is: empty until then.)
        for (auto it = fs::recursive_directory_iterator(mp + "/@ais/bad/%pw", ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
          if (it->is_regular_file() && it->file_size() > 0) leftover = true;
        }
      }
    }
    if (leftover) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(leftover);
}

std::string objectPath(TestCluster& cluster, const std::string& bucket, const std::string& name) {
  for (const auto& id : cluster.targetIds()) {
    for (const auto& mp : cluster.node(id).mountpaths) {
      std::string p = mp + "/@ais/" + bucket + "/%ob/" + name;
      if (fs::exists(p)) return p;
    }
  }
  return "";
}

TEST_F(BadInputTest, CorruptionOnDiskFailsTheReadInsteadOfReturningBadBytes) {
  auto c = cluster_->client();
  for (size_t size : {size_t(1000), size_t(3 << 20)}) {  // inline and streamed replies
    std::string name = "rot-" + std::to_string(size);
    std::string data = patternBytes(size, size);
    ASSERT_TRUE((*c)->put("bad", name, data).ok());
    std::string path = objectPath(*cluster_, "bad", name);
    ASSERT_FALSE(path.empty());
    {
      std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(size / 2);
      char flipped = static_cast<char>(data[size / 2] ^ 0x5a);
      f.write(&flipped, 1);
    }
    EXPECT_EQ((*c)->get("bad", name).code(), Code::kObjectCorrupted) << name;
    // Ranges: the damaged block fails, the others are served (64 KiB block checksums).
    EXPECT_EQ((*c)->get("bad", name, ByteRange{size / 2, 1}).code(), Code::kObjectCorrupted);
    if (size > (1 << 20)) {
      auto head = (*c)->get("bad", name, ByteRange{0, 1 << 20});
      ASSERT_TRUE(head.ok()) << head.status().toString();
      EXPECT_EQ(*head, data.substr(0, 1 << 20));
      auto tail = (*c)->get("bad", name, ByteRange{size - 100000, 100000});
      ASSERT_TRUE(tail.ok()) << tail.status().toString();
      EXPECT_EQ(*tail, data.substr(size - 100000));
    }
  }
  ASSERT_TRUE((*c)->put("bad", "healthy", "fine").ok());
  EXPECT_EQ(*(*c)->get("bad", "healthy"), "fine");
}

TEST_F(BadInputTest, DeletedOrTruncatedFileIsAnErrorNeverAMove) {
  auto c = cluster_->client();
  std::string data = patternBytes(200000, 9);
  ASSERT_TRUE((*c)->put("bad", "deleted", data).ok());
  ASSERT_TRUE((*c)->put("bad", "truncated", data).ok());
  fs::remove(objectPath(*cluster_, "bad", "deleted"));
  fs::resize_file(objectPath(*cluster_, "bad", "truncated"), 1000);
  EXPECT_EQ((*c)->get("bad", "deleted").code(), Code::kObjectCorrupted);
  EXPECT_EQ((*c)->get("bad", "truncated").code(), Code::kObjectCorrupted);
  EXPECT_EQ((*c)->get("bad", "truncated", ByteRange{0, 10}).code(), Code::kObjectCorrupted);
  // A new PUT replaces the damaged object; deleting the other works.
  ASSERT_TRUE((*c)->put("bad", "truncated", "new").ok());
  EXPECT_EQ(*(*c)->get("bad", "truncated"), "new");
  EXPECT_TRUE((*c)->remove("bad", "deleted").ok());
  EXPECT_EQ((*c)->head("bad", "deleted").code(), Code::kObjectNotFound);
}

TEST_F(BadInputTest, WrongOwnerAnswersStaleSmap) {
  auto c = cluster_->client();
  auto smap = (*c)->smap(true);
  const meta::NodeInfo* owner = meta::ownerTarget(*smap, meta::uname("bad", "routed"));
  const meta::NodeInfo* other = nullptr;
  for (const meta::NodeInfo* t : smap->activeTargets()) {
    if (t->id != owner->id) other = t;
  }
  capnp::EzRpcClient rpc(other->rpcEndpoint);
  auto node = rpc.getMain<wire::Node>();
  auto req = node.headObjectRequest();
  req.initRef().setBucket("bad");
  req.getRef().setName("routed");
  auto resp = req.send().wait(rpc.getWaitScope());
  EXPECT_EQ(proto::toStatus(resp.getStatus()).code(), Code::kStaleSmap);
}

}  // namespace
}  // namespace ais::testing
