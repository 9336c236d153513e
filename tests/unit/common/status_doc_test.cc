// docs/fabric.md's status table is the wire contract clients are written against: every code of
// common/status.h has its row there (number and name), and the table names no code that does
// not exist.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "common/status.h"

namespace ais {
namespace {

std::string readDoc(const std::string& path) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

TEST(StatusDoc, FabricTableListsEveryCode) {
  std::string doc = readDoc(std::string(AIS_SOURCE_ROOT) + "/docs/fabric.md");
  ASSERT_FALSE(doc.empty()) << "cannot read docs/fabric.md";

  std::set<std::string> documented;  // "101 InvalidArgument"
  std::regex row(R"(\n\| (\d+) \| ([A-Za-z]+) \|)");
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), row); it != std::sregex_iterator();
       ++it) {
    documented.insert((*it)[1].str() + " " + (*it)[2].str());
  }

  std::set<std::string> defined;
#define AIS_X(name, num, msg) \
  if (num != 0) defined.insert(std::to_string(num) + " " + std::string(#name).substr(1));
  AIS_STATUS_CODES(AIS_X)
#undef AIS_X

  for (const auto& code : defined) EXPECT_TRUE(documented.count(code)) << code << " has no row";
  for (const auto& code : documented) EXPECT_TRUE(defined.count(code)) << code << " is not a code";
}

}  // namespace
}  // namespace ais
