// The fabric's same-host shortcut is for loopback endpoints only (proto/local_socket.h).
#include "proto/local_socket.h"

#include <gtest/gtest.h>

namespace ais::proto {
namespace {

TEST(LocalSocketTest, LoopbackEndpointsHaveOneOtherEndpointsNone) {
  EXPECT_EQ(localSocketOf("127.0.0.1:51080"), "unix-abstract:ais-fabric/127.0.0.1:51080");
  EXPECT_EQ(localSocketOf("127.3.2.1:7"), "unix-abstract:ais-fabric/127.3.2.1:7");
  EXPECT_EQ(localSocketOf("localhost:9"), "unix-abstract:ais-fabric/localhost:9");
  EXPECT_EQ(localSocketOf("[::1]:9"), "unix-abstract:ais-fabric/[::1]:9");
  EXPECT_FALSE(localSocketOf("10.200.0.3:20000").has_value());
  EXPECT_FALSE(localSocketOf("0.0.0.0:20000").has_value());
  EXPECT_FALSE(localSocketOf("1270.0.0.1:1").has_value());
  EXPECT_FALSE(localSocketOf("127.0.0.1").has_value());   // no port
  EXPECT_FALSE(localSocketOf("127.0.0.1:").has_value());  // nor here
  EXPECT_FALSE(localSocketOf("example.com:80").has_value());
}

}  // namespace
}  // namespace ais::proto
