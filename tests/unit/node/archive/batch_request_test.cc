// GetBatch requests as AIStore's JSON (node/archive/get_batch.h parseBatchRequest): what is read,
// and what is refused with a reason.
#include <gtest/gtest.h>

#include "node/archive/get_batch.h"

namespace ais::archive {
namespace {

TEST(BatchRequest, ReadsItemsAndFlags) {
  auto req = parseBatchRequest(
      R"({"in": [{"objname": "a"}, {"objname": "s.tar", "bucket": "other", "archpath": "x/y",
                  "start": 5, "length": 7}], "coer": true, "onob": true, "mime": ".tar"})",
      "dflt");
  ASSERT_TRUE(req.ok()) << req.status().toString();
  ASSERT_EQ(req->items.size(), 2u);
  EXPECT_EQ(req->items[0].bucket, "dflt");
  EXPECT_EQ(req->items[0].name, "a");
  EXPECT_EQ(req->items[1].bucket, "other");
  EXPECT_EQ(req->items[1].archpath, "x/y");
  EXPECT_EQ(req->items[1].start, 5u);
  EXPECT_EQ(req->items[1].length, 7u);
  EXPECT_TRUE(req->options.continueOnError);
  EXPECT_TRUE(req->options.onlyObjName);
  EXPECT_TRUE(req->streaming);
}

TEST(BatchRequest, RefusesWhatItCannotServe) {
  struct Case {
    const char* json;
    const char* why;
  };
  for (const Case& c : {
           Case{"", "not a JSON object"},
           Case{"[1]", "not a JSON object"},
           Case{R"({"in": []})", "non-empty list"},
           Case{R"({"in": "a"})", "non-empty list"},
           Case{R"({"in": [{"objname": "a"}]})", "no \"bucket\""},
           Case{R"({"in": [{"bucket": "b"}]})", "no \"objname\""},
           Case{R"({"in": [3]})", "not an object"},
           Case{R"({"in": [{"objname": "a", "bucket": "b", "start": -1}]})", "negative range"},
           Case{R"({"in": [{"objname": 5, "bucket": "b"}]})", "wrong type"},
           Case{R"({"in": [{"objname": "a", "bucket": "b"}], "mime": ".zip"})", "only TAR"},
       }) {
    auto req = parseBatchRequest(c.json, "");
    ASSERT_FALSE(req.ok()) << c.json;
    EXPECT_EQ(req.code(), Code::kInvalidArgument) << c.json;
    EXPECT_NE(req.status().message().find(c.why), std::string::npos)
        << c.json << ": " << req.status().message();
  }
}

}  // namespace
}  // namespace ais::archive
