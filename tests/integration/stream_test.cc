// Client::getStream (the gateway's forwarded GET): chunks reach a slow consumer in order with flow
// control, a consumer error stops the transfer, a version pin refuses another version (and a
// checksum pin other content under the same version number), and a damaged block ends the
// stream after only verified bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/integration/cluster_fixture.h"

namespace ais::testing {
namespace {

namespace fs = std::filesystem;

// Each test uses its own object names in bucket "strm" (created on first use).
class StreamTest : public ClusterFixture {
 protected:
  void SetUp() override {
    ClusterFixture::SetUp();
    Status st = client_->createBucket("strm");
    ASSERT_TRUE(st.ok() || st.code() == Code::kBucketExists) << st.toString();
  }
};

TEST_F(StreamTest, SlowConsumerGetsEveryByteInOrder) {
  std::string data = patternBytes(1, (12 << 20) + 777);
  auto info = client_->put("strm", "big", data);
  ASSERT_TRUE(info.ok());
  std::string got;
  size_t calls = 0;
  auto r = client_->getStream("strm", "big", ByteRange{100, data.size() - 100}, info->version,
                              [&](std::string_view chunk) {
                                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                                got.append(chunk);
                                ++calls;
                                return Status::OK();
                              });
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ(r->version, info->version);
  EXPECT_GT(calls, 5u);
  EXPECT_TRUE(got == data.substr(100));
  // An empty range and a small one.
  got.clear();
  r = client_->getStream("strm", "big", ByteRange{5, 10}, 0, [&](std::string_view chunk) {
    got.append(chunk);
    return Status::OK();
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(got, data.substr(5, 10));
}

TEST_F(StreamTest, ConsumerErrorStopsTheTransferAndTheClientGoesOn) {
  std::string data = patternBytes(2, 30 << 20);
  ASSERT_TRUE(client_->put("strm", "stop", data).ok());
  size_t calls = 0;
  auto r = client_->getStream("strm", "stop", ByteRange{0, data.size()}, 0, [&](std::string_view) {
    return ++calls == 2 ? Status(Code::kIoError, "socket closed") : Status::OK();
  });
  EXPECT_EQ(r.code(), Code::kIoError);
  EXPECT_EQ(calls, 2u);
  auto again = client_->get("strm", "stop", ByteRange{data.size() - 10, 10});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, data.substr(data.size() - 10));
}

TEST_F(StreamTest, VersionPinRefusesAnotherVersionBeforeAnyByte) {
  auto v1 = client_->put("strm", "pinned", patternBytes(3, 3 << 20));
  ASSERT_TRUE(v1.ok());
  ASSERT_TRUE(client_->put("strm", "pinned", patternBytes(4, 3 << 20)).ok());
  size_t bytes = 0;
  auto r = client_->getStream("strm", "pinned", ByteRange{0, 3 << 20}, v1->version,
                              [&](std::string_view chunk) {
                                bytes += chunk.size();
                                return Status::OK();
                              });
  EXPECT_EQ(r.code(), Code::kVersionChanged);
  EXPECT_EQ(bytes, 0u);
}

TEST_F(StreamTest, ChecksumPinRefusesOtherContentOfTheSameVersionNumber) {
  // Deleted and written again: version 1 both times, other bytes. A reader pinned to the first
  // (its headers already sent) must get none of the second's bytes.
  auto first = client_->put("strm", "reborn", patternBytes(5, 3 << 20));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(client_->remove("strm", "reborn").ok());
  auto second = client_->put("strm", "reborn", patternBytes(6, 3 << 20));
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->version, first->version);
  size_t bytes = 0;
  auto count = [&](std::string_view chunk) {
    bytes += chunk.size();
    return Status::OK();
  };
  ByteRange pinned{0, 3 << 20};
  pinned.ifChecksum = first->checksum;
  auto r = client_->getStream("strm", "reborn", pinned, first->version, count);
  EXPECT_EQ(r.code(), Code::kVersionChanged);
  EXPECT_EQ(bytes, 0u);
  std::string piece;
  EXPECT_EQ(client_->getRange("strm", "reborn", ByteRange{0, 1000, "", "", first->checksum}, &piece)
                .code(),
            Code::kVersionChanged);
  // Pinned to the object there now: served.
  pinned.ifChecksum = second->checksum;
  r = client_->getStream("strm", "reborn", pinned, second->version, count);
  ASSERT_TRUE(r.ok()) << r.status().toString();
  EXPECT_EQ(bytes, size_t{3} << 20);
}

TEST_F(StreamTest, DamagedBlockEndsTheStreamAfterVerifiedBytesOnly) {
  std::string data = patternBytes(5, 8 << 20);
  ASSERT_TRUE(client_->put("strm", "rot", data).ok());
  std::string path;
  for (const auto& id : cluster_->targetIds()) {
    for (const auto& mp : cluster_->node(id).mountpaths) {
      if (fs::exists(mp + "/@ais/strm/%ob/rot")) path = mp + "/@ais/strm/%ob/rot";
    }
  }
  ASSERT_FALSE(path.empty());
  const size_t bad = (5 << 20) + 12345;
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(bad));
    char flipped = static_cast<char>(data[bad] ^ 0x11);
    f.write(&flipped, 1);
  }
  std::string got;
  auto r =
      client_->getStream("strm", "rot", ByteRange{0, data.size()}, 0, [&](std::string_view ch) {
        got.append(ch);
        return Status::OK();
      });
  EXPECT_EQ(r.code(), Code::kObjectCorrupted);
  EXPECT_LE(got.size(), bad);
  EXPECT_TRUE(got == data.substr(0, got.size()));
}

}  // namespace
}  // namespace ais::testing
